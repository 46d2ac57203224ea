/* SPDX-License-Identifier: MIT */
/* Benchmark: reading a large file through fut_file (the blocking pool) vs plain read(2). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <futures.h>

#include "internal.h"   /* --pool: the syscall table (linked statically) */

/*
 * Usage: fileread [SIZE_MB [CHUNK_KB [REPS]]] [--cold] [--pool]
 * (or FUT_BENCH_FILE_MB in the environment; default 1024 MB, 1024 KB
 * reads, 5 repetitions). The file is made in $TMPDIR (or /tmp) and
 * removed at the end. Each repetition reads the whole file once with
 * read(2) in a loop and once through fut_file's AsyncRead (on the
 * runtime's blocking pool), alternately, and the medians are compared.
 *
 * Page cache: by default the file is warm (just written, and read again
 * by every repetition, if memory holds it), which measures the library's
 * overhead rather than the disk. --cold asks the kernel to drop the
 * file's cached pages (posix_fadvise DONTNEED after fdatasync) before
 * each read, which measures the device with read-ahead; on tmpfs that
 * cannot drop anything.
 *
 * --pool makes the library believe the kernel has no RWF_NOWAIT (through
 * the syscall table), so that every read of fut_file goes through the
 * blocking pool and the file's own read-ahead, as on kernels before 4.14
 * or file systems without it: the cost of the pool itself.
 */

#define MAX_REPS 15

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static ssize_t
no_nowait(int fd, const struct iovec *iov, int iovcnt, off_t off, int flags)
{
    (void)fd;
    (void)iov;
    (void)iovcnt;
    (void)off;
    (void)flags;
    errno = EOPNOTSUPP;
    return -1;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void
drop_cache(int fd)
{
    (void)fdatasync(fd);
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

/* Read @fd to its end with read(2); the sum of one byte per 4 KiB keeps
 * the compiler honest (both readers do the same). */
static uint64_t
plain_read(int fd, unsigned char *buf, size_t chunk, uint64_t *sum)
{
    uint64_t total = 0;
    ssize_t n;
    size_t i;

    (void)lseek(fd, 0, SEEK_SET);
    for (;;) {
        n = read(fd, buf, chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (i = 0; i < (size_t)n; i += 4096)
            *sum += buf[i];
        total += (uint64_t)n;
    }
    return total;
}

/* The same through fut_file, as a future driven by fut_block_on(). */
struct reader {
    struct fut_future base;
    struct fut_file *file;
    unsigned char *buf;
    size_t chunk;
    uint64_t total, sum;
    int err;
};

static enum fut_poll
reader_poll(struct fut_future *base, struct fut_context *cx)
{
    struct reader *r = (struct reader *)base;
    ssize_t n;
    size_t i;

    for (;;) {
        if (fut_async_read_poll_read(&r->file->reader, cx, r->buf, r->chunk,
                                     &n) == FUT_PENDING)
            return FUT_PENDING;
        if (n <= 0) {
            r->err = (int)n;
            return FUT_READY;
        }
        for (i = 0; i < (size_t)n; i += 4096)
            r->sum += r->buf[i];
        r->total += (uint64_t)n;
    }
}

static void
reader_drop(struct fut_future *base)
{
    (void)base;
}

static const struct fut_future_vtable reader_vtable = {
    .poll = reader_poll,
    .drop = reader_drop,
    .result = NULL,
};

int
main(int argc, char **argv)
{
    const char *tmp = getenv("TMPDIR"), *env = getenv("FUT_BENCH_FILE_MB");
    double t_plain[MAX_REPS], t_fut[MAX_REPS], t0, mp, mf;
    long mb = env != NULL ? atol(env) : 1024, kb = 1024, reps = 5;
    uint64_t size, total, sum1 = 0;
    struct fut_runtime rt;
    struct fut_file file;
    struct reader r;
    unsigned char *buf;
    char path[4096];
    int fd, i, cold = 0, pool = 0, pos = 0;
    size_t chunk;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cold") == 0)
            cold = 1;
        else if (strcmp(argv[i], "--pool") == 0)
            pool = 1;
        else if (pos == 0 && ++pos)
            mb = atol(argv[i]);
        else if (pos == 1 && ++pos)
            kb = atol(argv[i]);
        else
            reps = atol(argv[i]);
    }
    if (mb <= 0 || kb <= 0 || kb > 64 * 1024 || reps <= 0 || reps > MAX_REPS) {
        fprintf(stderr, "usage: fileread [SIZE_MB [CHUNK_KB [REPS<=%d]]] "
                        "[--cold] [--pool]\n", MAX_REPS);
        return 2;
    }
    size = (uint64_t)mb << 20;
    chunk = (size_t)kb << 10;
    snprintf(path, sizeof path, "%s/fut-fileread.XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    fd = mkstemp(path);
    buf = malloc(chunk);
    if (fd < 0 || buf == NULL) {
        perror("fileread: temporary file");
        return 1;
    }
    unlink(path);   /* gone at exit, whatever happens */
    memset(buf, 0x5a, chunk);
    for (total = 0; total < size; total += chunk)
        if (write(fd, buf, chunk) != (ssize_t)chunk) {
            perror("fileread: write");
            return 1;
        }

    if (pool)
        fut__sys.preadv2 = no_nowait;
    if (fut_runtime_init_default(&rt) != 0 ||
        fut_file_from_fd(&file, fd, FUT_FD_BORROW) != 0) {
        fprintf(stderr, "fileread: runtime or file setup failed\n");
        return 1;
    }
    for (i = 0; i < reps; i++) {
        if (cold)
            drop_cache(fd);
        t0 = now_s();
        total = plain_read(fd, buf, chunk, &sum1);
        t_plain[i] = now_s() - t0;
        if (total != size) {
            fprintf(stderr, "fileread: read(2) got %llu bytes\n",
                    (unsigned long long)total);
            return 1;
        }
        if (cold)
            drop_cache(fd);
        memset(&r, 0, sizeof r);
        r.base.vtable = &reader_vtable;
        r.file = &file;
        r.buf = buf;
        r.chunk = chunk;
        (void)fut_file_seek(&file, 0, SEEK_SET);
        t0 = now_s();
        if (fut_block_on(&rt, &r.base) != 0 || r.err != 0 || r.total != size) {
            fprintf(stderr, "fileread: fut_file read failed (%d, %llu)\n",
                    r.err, (unsigned long long)r.total);
            return 1;
        }
        t_fut[i] = now_s() - t0;
        fut_future_drop(&r.base);
    }
    qsort(t_plain, (size_t)reps, sizeof t_plain[0], cmp_double);
    qsort(t_fut, (size_t)reps, sizeof t_fut[0], cmp_double);
    mp = (double)size / t_plain[reps / 2] / 1e6;
    mf = (double)size / t_fut[reps / 2] / 1e6;
    printf("# %llu MB file, %zu KB reads, %ld reps, page cache %s%s\n",
           (unsigned long long)(size >> 20), chunk >> 10, reps,
           cold ? "dropped before each read (--cold)" : "warm",
           pool ? ", fut_file through the pool only (--pool)" : "");
    printf("| reader                    | median MB/s | best MB/s |\n");
    printf("| read(2) loop              | %11.0f | %9.0f |\n", mp,
           (double)size / t_plain[0] / 1e6);
    printf("| fut_file                  | %11.0f | %9.0f |\n", mf,
           (double)size / t_fut[0] / 1e6);
    printf("ratio fut_file / read(2): %.2fx (target >= 0.90x)\n", mf / mp);
    (void)fut_file_close(&file);
    (void)fut_runtime_close(&rt);
    close(fd);
    free(buf);
    return 0;
}
