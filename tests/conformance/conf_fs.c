/* SPDX-License-Identifier: MIT */
/* Conformance: file-system futures, directory streams and fut_file on the blocking pool. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conformance.h"
#include "internal.h"

/* ---- fixture and helpers ------------------------------------------------- */

static struct fut__syscalls real_sys;
static char tmpdir[256];

/* Remove @path and everything under it (plain libc: test cleanup). */
static void
remove_tree(const char *path)
{
    char sub[PATH_MAX];
    struct dirent *e;
    struct stat st;
    DIR *d;

    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
        d = opendir(path);
        if (d != NULL) {
            while ((e = readdir(d)) != NULL) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) <
                    (int)sizeof sub)
                    remove_tree(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void
fs_setup(void)
{
    const char *t = getenv("TMPDIR");

    conf_setup();
    fut__sys_reset();
    real_sys = fut__sys;
    snprintf(tmpdir, sizeof tmpdir, "%s/fut-fs.XXXXXX",
             t != NULL && t[0] != '\0' ? t : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

/* The table is put back only once the runtime is closed: closing joins
 * its pool, and a worker may still be finishing a job (a read-ahead that
 * a file's close dropped, a release) that reads the table. */
static void
fs_teardown(void)
{
    conf_teardown();
    fut__sys_reset();
    remove_tree(tmpdir);
}

/* A path under the test's directory (one of two rotating buffers). */
static const char *
tp(const char *name)
{
    static char bufs[2][PATH_MAX];
    static int which;
    char *b = bufs[which++ & 1];

    snprintf(b, PATH_MAX, "%s/%s", tmpdir, name);
    return b;
}

static ssize_t
run_on(struct fut_runtime *rt, struct fut_fs *f)
{
    ck_assert_int_eq(fut_block_on(rt, &f->base), 0);
    return f->res;
}

static ssize_t
run(struct fut_fs *f)
{
    return run_on(&conf_rt, f);
}

static unsigned char
pattern(size_t off, int k)
{
    return (unsigned char)(off * 7 + (size_t)k * 13 + (off >> 8));
}

/* A file of @len pattern bytes (plain libc). */
static void
make_file(const char *path, size_t len, int k)
{
    unsigned char buf[8192];
    size_t done = 0, n, i;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    ck_assert_int_ge(fd, 0);
    while (done < len) {
        n = len - done < sizeof buf ? len - done : sizeof buf;
        for (i = 0; i < n; i++)
            buf[i] = pattern(done + i, k);
        ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
        done += n;
    }
    close(fd);
}

static int
check_pattern(const unsigned char *buf, size_t len, size_t off, int k)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (buf[i] != pattern(off + i, k))
            return 0;
    return 1;
}

/* ---- a gate: a syscall that blocks on a pool thread until released ------- */

static int gate_in[2] = { -1, -1 }, gate_out[2] = { -1, -1 };

static void
gate_open(void)
{
    ck_assert_int_eq(pipe2(gate_in, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(gate_out, O_CLOEXEC), 0);
}

/* Pool side: say "entered", wait for "go". */
static void
gate_pass(void)
{
    char c = 'e';

    (void)!write(gate_in[1], &c, 1);
    (void)!read(gate_out[0], &c, 1);
}

/* Test side: wait until a call is held in the gate. */
static void
gate_wait_entered(void)
{
    char c;

    ck_assert_int_eq(read(gate_in[0], &c, 1), 1);
}

static void
gate_release(void)
{
    char c = 'g';

    ck_assert_int_eq(write(gate_out[1], &c, 1), 1);
}

static void
gate_close(void)
{
    int i;

    for (i = 0; i < 2; i++) {
        close(gate_in[i]);
        close(gate_out[i]);
        gate_in[i] = gate_out[i] = -1;
    }
}

static ssize_t
gated_pread(int fd, void *buf, size_t len, off_t off)
{
    gate_pass();
    return real_sys.pread(fd, buf, len, off);
}

static int
gated_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    gate_pass();
    return real_sys.openat(dirfd, path, flags, mode);
}

static struct dirent *
gated_readdir(DIR *d)
{
    gate_pass();
    return real_sys.readdir(d);
}

/* The page cache path (RWF_NOWAIT) says "would block", "cannot tell", or
 * lies with a 0: each read must then go to the pool. */
static int nowait_calls;

static ssize_t
nowait_eagain(int fd, const struct iovec *iov, int iovcnt, off_t off,
              int flags)
{
    (void)fd;
    (void)iov;
    (void)iovcnt;
    (void)off;
    (void)flags;
    nowait_calls++;
    errno = EAGAIN;
    return -1;
}

static ssize_t
nowait_unsupported(int fd, const struct iovec *iov, int iovcnt, off_t off,
                   int flags)
{
    nowait_eagain(fd, iov, iovcnt, off, flags);
    errno = EOPNOTSUPP;
    return -1;
}

static ssize_t
nowait_zero(int fd, const struct iovec *iov, int iovcnt, off_t off, int flags)
{
    nowait_eagain(fd, iov, iovcnt, off, flags);
    return 0;
}

static int
eacces_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    (void)dirfd;
    (void)path;
    (void)flags;
    (void)mode;
    errno = EACCES;
    return -1;
}

/* Wait (no clock) until the pool thread has woken @tw: the job is done. */
static void
wait_woken(struct test_waker *tw)
{
    while (__atomic_load_n(&tw->wakes, __ATOMIC_ACQUIRE) == 0)
        sched_yield();
}

/* A second runtime whose pool has one thread, to hold jobs queued. */
static void
one_thread_rt(struct fut_runtime *rt)
{
    struct fut_runtime_config cfg;

    memset(&cfg, 0, sizeof cfg);
    cfg.version = 2;
    cfg.blocking_threads = 1;
    ck_assert_int_eq(fut_runtime_init(rt, fut_backend_default(), &cfg), 0);
}

/* ---- calls -------------------------------------------------------------- */

START_TEST(test_fs_calls)
{
    struct fut_fs f;
    struct stat st;
    char buf[64];
    int fd;

    ck_assert_int_eq(fut_fs_open_init(&f, tp("a"), O_RDWR | O_CREAT, 0600), 0);
    fd = (int)run(&f);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fut_future_result(&f.base), 0);
    fut_future_drop(&f.base);
    ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);

    ck_assert_int_eq(fut_fs_write_init(&f, fd, "hello", 5), 0);
    ck_assert_int_eq(run(&f), 5);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_pwrite_init(&f, fd, " world", 6, 5), 0);
    ck_assert_int_eq(run(&f), 6);
    fut_future_drop(&f.base);
    memset(buf, 0, sizeof buf);
    ck_assert_int_eq(fut_fs_pread_init(&f, fd, buf, sizeof buf, 0), 0);
    ck_assert_int_eq(run(&f), 11);
    fut_future_drop(&f.base);
    ck_assert_str_eq(buf, "hello world");
    /* read(2) goes on from the descriptor's offset (5, after "hello"). */
    memset(buf, 0, sizeof buf);
    ck_assert_int_eq(fut_fs_read_init(&f, fd, buf, sizeof buf), 0);
    ck_assert_int_eq(run(&f), 6);
    fut_future_drop(&f.base);
    ck_assert_str_eq(buf, " world");
    /* End of file. */
    ck_assert_int_eq(fut_fs_read_init(&f, fd, buf, sizeof buf), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_pread_init(&f, fd, buf, sizeof buf, 100), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);

    ck_assert_int_eq(fut_fs_fstat_init(&f, fd, &st), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(st.st_size, 11);
    ck_assert_int_eq(fut_fs_ftruncate_init(&f, fd, 5), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_fsync_init(&f, fd), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_fdatasync_init(&f, fd), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_stat_init(&f, tp("a"), &st), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(st.st_size, 5);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(fut_fs_close_init(&f, fd), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);
    /* Closed: the number is no longer ours. */
    ck_assert_int_eq(fut_fs_fstat_init(&f, fd, &st), 0);
    ck_assert_int_eq(run(&f), -EBADF);
    ck_assert_int_eq(fut_future_result(&f.base), -EBADF);
    fut_future_drop(&f.base);
}
END_TEST

START_TEST(test_fs_paths)
{
    struct fut_fs f;
    struct stat st;
    char out[PATH_MAX], want[PATH_MAX];

    ck_assert_int_eq(fut_fs_mkdir_init(&f, tp("d"), 0755), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_mkdir_init(&f, tp("d"), 0755), 0);
    ck_assert_int_eq(run(&f), -EEXIST);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_stat_init(&f, tp("d"), &st), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);
    ck_assert(S_ISDIR(st.st_mode));

    make_file(tp("d/x"), 10, 0);
    ck_assert_int_eq(symlink("d/x", tp("link")), 0);
    ck_assert_int_eq(fut_fs_lstat_init(&f, tp("link"), &st), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);
    ck_assert(S_ISLNK(st.st_mode));
    ck_assert_int_eq(fut_fs_stat_init(&f, tp("link"), &st), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(st.st_size, 10);

    /* realpath resolves the link; its answer matches libc's. */
    ck_assert_ptr_nonnull(realpath(tp("d/x"), want));
    ck_assert_int_eq(fut_fs_realpath_init(&f, tp("link"), out, sizeof out), 0);
    ck_assert_int_eq(run(&f), (ssize_t)strlen(want));
    fut_future_drop(&f.base);
    ck_assert_str_eq(out, want);
    /* Too small: -ERANGE, nothing written (never a truncated path). */
    memset(out, 'z', sizeof out);
    ck_assert_int_eq(fut_fs_realpath_init(&f, tp("link"), out, strlen(want)),
                     0);
    ck_assert_int_eq(run(&f), -ERANGE);
    fut_future_drop(&f.base);
    ck_assert_int_eq(out[0], 'z');
    ck_assert_int_eq(fut_fs_realpath_init(&f, tp("nope"), out, sizeof out), 0);
    ck_assert_int_eq(run(&f), -ENOENT);
    fut_future_drop(&f.base);

    ck_assert_int_eq(fut_fs_rename_init(&f, tp("d/x"), tp("d/y")), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(access(tp("d/y"), F_OK), 0);
    ck_assert_int_eq(fut_fs_rename_init(&f, tp("d/x"), tp("d/z")), 0);
    ck_assert_int_eq(run(&f), -ENOENT);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_rmdir_init(&f, tp("d")), 0);
    ck_assert_int_eq(run(&f), -ENOTEMPTY);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_rmdir_init(&f, tp("link")), 0);
    ck_assert_int_eq(run(&f), -ENOTDIR);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_unlink_init(&f, tp("d/y")), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_unlink_init(&f, tp("d/y")), 0);
    ck_assert_int_eq(run(&f), -ENOENT);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_unlink_init(&f, tp("link")), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_rmdir_init(&f, tp("d")), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);
}
END_TEST

/* Each init's bad input: a clear errno at init, and a future that reports
 * it again when polled (and drops cleanly). */
static void
expect_bad(int got, struct fut_fs *f, int want)
{
    ck_assert_int_eq(got, want);
    ck_assert_int_eq(run(f), want);
    ck_assert_int_eq(fut_future_result(&f->base), want);
    fut_future_drop(&f->base);
}

START_TEST(test_fs_bad_input)
{
    static char longpath[PATH_MAX + 8];
    struct fut_fs f;
    struct stat st;
    char buf[16], out[8];
    int fd;

    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';

    ck_assert_int_eq(fut_fs_open_init(NULL, "x", O_RDONLY, 0), -EINVAL);
    ck_assert_int_eq(fut_fs_close_init(NULL, 0), -EINVAL);
    ck_assert_int_eq(fut_fs_read_init(NULL, 0, buf, 1), -EINVAL);
    ck_assert_int_eq(fut_fs_write_init(NULL, 0, buf, 1), -EINVAL);
    ck_assert_int_eq(fut_fs_pread_init(NULL, 0, buf, 1, 0), -EINVAL);
    ck_assert_int_eq(fut_fs_pwrite_init(NULL, 0, buf, 1, 0), -EINVAL);
    ck_assert_int_eq(fut_fs_fsync_init(NULL, 0), -EINVAL);
    ck_assert_int_eq(fut_fs_fdatasync_init(NULL, 0), -EINVAL);
    ck_assert_int_eq(fut_fs_ftruncate_init(NULL, 0, 0), -EINVAL);
    ck_assert_int_eq(fut_fs_stat_init(NULL, "x", &st), -EINVAL);
    ck_assert_int_eq(fut_fs_lstat_init(NULL, "x", &st), -EINVAL);
    ck_assert_int_eq(fut_fs_fstat_init(NULL, 0, &st), -EINVAL);
    ck_assert_int_eq(fut_fs_unlink_init(NULL, "x"), -EINVAL);
    ck_assert_int_eq(fut_fs_rename_init(NULL, "x", "y"), -EINVAL);
    ck_assert_int_eq(fut_fs_mkdir_init(NULL, "x", 0700), -EINVAL);
    ck_assert_int_eq(fut_fs_rmdir_init(NULL, "x"), -EINVAL);
    ck_assert_int_eq(fut_fs_realpath_init(NULL, "x", out, 8), -EINVAL);
    ck_assert_int_eq(fut_fs_read_file_init(NULL, "x", 10), -EINVAL);
    ck_assert_int_eq(fut_fs_write_file_init(NULL, "x", "a", 1, 0600), -EINVAL);

    /* NULL, empty and too long paths. */
    expect_bad(fut_fs_open_init(&f, NULL, O_RDONLY, 0), &f, -EINVAL);
    expect_bad(fut_fs_open_init(&f, "", O_RDONLY, 0), &f, -EINVAL);
    expect_bad(fut_fs_open_init(&f, longpath, O_RDONLY, 0), &f,
               -ENAMETOOLONG);
    expect_bad(fut_fs_open_init(&f, "x", O_ACCMODE, 0), &f, -EINVAL);
    expect_bad(fut_fs_stat_init(&f, NULL, &st), &f, -EINVAL);
    expect_bad(fut_fs_stat_init(&f, "x", NULL), &f, -EINVAL);
    expect_bad(fut_fs_lstat_init(&f, "", &st), &f, -EINVAL);
    expect_bad(fut_fs_fstat_init(&f, 0, NULL), &f, -EINVAL);
    expect_bad(fut_fs_unlink_init(&f, longpath), &f, -ENAMETOOLONG);
    expect_bad(fut_fs_rename_init(&f, "x", NULL), &f, -EINVAL);
    expect_bad(fut_fs_rename_init(&f, longpath, "y"), &f, -ENAMETOOLONG);
    expect_bad(fut_fs_mkdir_init(&f, NULL, 0700), &f, -EINVAL);
    expect_bad(fut_fs_rmdir_init(&f, ""), &f, -EINVAL);
    expect_bad(fut_fs_realpath_init(&f, "x", NULL, 8), &f, -EINVAL);
    expect_bad(fut_fs_realpath_init(&f, "x", out, 0), &f, -EINVAL);
    expect_bad(fut_fs_read_file_init(&f, NULL, 10), &f, -EINVAL);
    expect_bad(fut_fs_read_file_init(&f, "x", 0), &f, -EINVAL);
    expect_bad(fut_fs_read_file_init(&f, "x", FUT__MAX_SIZE + 1), &f,
               -EINVAL);
    expect_bad(fut_fs_write_file_init(&f, "x", NULL, 1, 0600), &f, -EINVAL);
    expect_bad(fut_fs_write_file_init(&f, "x", buf, FUT__MAX_SIZE + 1, 0600),
               &f, -EINVAL);

    /* Descriptors, buffers, lengths, offsets. */
    expect_bad(fut_fs_close_init(&f, -1), &f, -EBADF);
    expect_bad(fut_fs_read_init(&f, -1, buf, 1), &f, -EBADF);
    expect_bad(fut_fs_read_init(&f, 0, NULL, 1), &f, -EINVAL);
    expect_bad(fut_fs_read_init(&f, 0, buf, FUT__MAX_SIZE + 1), &f, -EINVAL);
    expect_bad(fut_fs_write_init(&f, 0, NULL, 1), &f, -EINVAL);
    expect_bad(fut_fs_write_init(&f, -1, buf, 1), &f, -EBADF);
    expect_bad(fut_fs_pread_init(&f, 0, buf, 1, -1), &f, -EINVAL);
    expect_bad(fut_fs_pwrite_init(&f, 0, buf, 1, -1), &f, -EINVAL);
    expect_bad(fut_fs_pwrite_init(&f, 0, buf, FUT__MAX_SIZE + 1, 0), &f,
               -EINVAL);
    expect_bad(fut_fs_fsync_init(&f, -1), &f, -EBADF);
    expect_bad(fut_fs_fdatasync_init(&f, -1), &f, -EBADF);
    expect_bad(fut_fs_ftruncate_init(&f, -1, 0), &f, -EBADF);
    expect_bad(fut_fs_ftruncate_init(&f, 0, -1), &f, -EINVAL);
    expect_bad(fut_fs_fstat_init(&f, -1, &st), &f, -EBADF);
    /* Zero lengths: READY with 0, no call made (even on fd 12345). */
    expect_bad(fut_fs_read_init(&f, 12345, NULL, 0), &f, 0);
    expect_bad(fut_fs_write_init(&f, 12345, NULL, 0), &f, 0);
    expect_bad(fut_fs_pread_init(&f, 12345, buf, 0, 0), &f, 0);

    /* What the kernel says: ENOENT, EISDIR, EBADF. */
    ck_assert_int_eq(fut_fs_open_init(&f, tp("nope"), O_RDONLY, 0), 0);
    ck_assert_int_eq(run(&f), -ENOENT);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_open_init(&f, tmpdir, O_WRONLY, 0), 0);
    ck_assert_int_eq(run(&f), -EISDIR);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_read_file_init(&f, tmpdir, 100), 0);
    ck_assert_int_eq(run(&f), -EISDIR);
    ck_assert_ptr_null(f.data);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_read_file_init(&f, tp("nope"), 100), 0);
    ck_assert_int_eq(run(&f), -ENOENT);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_write_file_init(&f, tp("no/such"), "a", 1, 0600),
                     0);
    ck_assert_int_eq(run(&f), -ENOENT);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_stat_init(&f, tp("nope"), &st), 0);
    ck_assert_int_eq(run(&f), -ENOENT);
    fut_future_drop(&f.base);
    /* A descriptor open for reading only: write is EBADF. */
    make_file(tp("ro"), 4, 0);
    fd = open(tp("ro"), O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fut_fs_write_init(&f, fd, "x", 1), 0);
    ck_assert_int_eq(run(&f), -EBADF);
    fut_future_drop(&f.base);
    /* A directory descriptor: read is EISDIR. */
    close(fd);
    fd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fut_fs_read_init(&f, fd, buf, sizeof buf), 0);
    ck_assert_int_eq(run(&f), -EISDIR);
    fut_future_drop(&f.base);
    close(fd);

    /* EACCES. As root permissions never refuse, so there the error is
     * made by the syscall table (it still proves the path from the pool
     * thread's errno to @res); as anyone else, by a mode-0 file. */
    if (geteuid() == 0) {
        fut__sys.openat = eacces_openat;
    } else {
        make_file(tp("secret"), 4, 0);
        ck_assert_int_eq(chmod(tp("secret"), 0), 0);
    }
    ck_assert_int_eq(fut_fs_open_init(&f, tp("secret"), O_RDONLY, 0), 0);
    ck_assert_int_eq(run(&f), -EACCES);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_read_file_init(&f, tp("secret"), 100), 0);
    ck_assert_int_eq(run(&f), -EACCES);
    fut_future_drop(&f.base);
    fut__sys = real_sys;

    /* Polled with no runtime in the context: -EINVAL, nothing leaks. */
    {
        struct test_waker tw;
        struct fut_context cx;

        test_waker_init(&tw);
        cx = test_cx(&tw, NULL);
        ck_assert_int_eq(fut_fs_stat_init(&f, tmpdir, &st), 0);
        ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_READY);
        ck_assert_int_eq(f.res, -EINVAL);
        fut_future_drop(&f.base);
        ck_assert_int_eq(tw.live, 0);
    }
}
END_TEST

START_TEST(test_fs_whole_file)
{
    struct fut_fs f;
    unsigned char *data;
    size_t len = 300 * 1024 + 17, i;

    data = malloc(len);
    ck_assert_ptr_nonnull(data);
    for (i = 0; i < len; i++)
        data[i] = pattern(i, 3);
    ck_assert_int_eq(fut_fs_write_file_init(&f, tp("w"), data, len, 0600), 0);
    /* The bytes were copied at init: the caller may reuse its buffer. */
    memset(data, 0, len);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);

    ck_assert_int_eq(fut_fs_read_file_init(&f, tp("w"), len), 0);
    ck_assert_int_eq(run(&f), (ssize_t)len);
    ck_assert_ptr_nonnull(f.data);
    ck_assert(check_pattern(f.data, len, 0, 3));
    ck_assert_int_eq(((unsigned char *)f.data)[len], 0);
    fut_mem_free(f.data);
    fut_future_drop(&f.base);
    /* One byte short of the maximum: -EFBIG, never a truncated read. */
    ck_assert_int_eq(fut_fs_read_file_init(&f, tp("w"), len - 1), 0);
    ck_assert_int_eq(run(&f), -EFBIG);
    ck_assert_ptr_null(f.data);
    fut_future_drop(&f.base);

    /* Empty: a buffer with just the NUL. */
    ck_assert_int_eq(fut_fs_write_file_init(&f, tp("w"), NULL, 0, 0600), 0);
    ck_assert_int_eq(run(&f), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_read_file_init(&f, tp("w"), 1), 0);
    ck_assert_int_eq(run(&f), 0);
    ck_assert_ptr_nonnull(f.data);
    ck_assert_int_eq(((char *)f.data)[0], '\0');
    fut_mem_free(f.data);
    fut_future_drop(&f.base);

    /* A file whose size stat does not know (proc): grown as read. */
    ck_assert_int_eq(fut_fs_read_file_init(&f, "/proc/self/status", 1 << 20),
                     0);
    ck_assert_int_gt(run(&f), 0);
    ck_assert_ptr_nonnull(strstr(f.data, "Name:"));
    fut_mem_free(f.data);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_read_file_init(&f, "/proc/self/status", 8), 0);
    ck_assert_int_eq(run(&f), -EFBIG);
    fut_future_drop(&f.base);
    free(data);
}
END_TEST

/* ---- drop at every state ----------------------------------------------------- */

/* Dropped before its first poll: nothing was submitted. */
START_TEST(test_fs_drop_unpolled)
{
    struct fut_fs f;
    char buf[8];
    struct stat st;

    ck_assert_int_eq(fut_fs_open_init(&f, tp("x"), O_RDONLY, 0), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_pread_init(&f, 0, buf, sizeof buf, 0), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(fut_fs_write_file_init(&f, tp("x"), "ab", 2, 0600), 0);
    fut_future_drop(&f.base);
    ck_assert_int_eq(access(tp("x"), F_OK), -1);
    ck_assert_int_eq(fut_fs_stat_init(&f, tmpdir, &st), 0);
    fut_future_drop(&f.base);
    ck_assert_uint_eq(fut_runtime_blocking_threads(&conf_rt), 0);
}
END_TEST

/* Dropped while queued behind a job that holds the only pool thread: the
 * queued call never runs (its file is never created). */
START_TEST(test_fs_drop_queued)
{
    struct fut_runtime rt;
    struct test_waker tw;
    struct fut_context cx;
    struct fut_fs hold, q;
    char buf[8];
    int fd;

    make_file(tp("h"), 8, 0);
    fd = open(tp("h"), O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    gate_open();
    one_thread_rt(&rt);
    test_waker_init(&tw);
    cx = test_cx(&tw, &rt);
    fut__sys.pread = gated_pread;
    ck_assert_int_eq(fut_fs_pread_init(&hold, fd, buf, sizeof buf, 0), 0);
    ck_assert_int_eq(fut_future_poll(&hold.base, &cx), FUT_PENDING);
    gate_wait_entered();
    ck_assert_int_eq(fut_fs_write_file_init(&q, tp("q"), "ab", 2, 0600), 0);
    ck_assert_int_eq(fut_future_poll(&q.base, &cx), FUT_PENDING);
    fut_future_drop(&q.base);
    gate_release();
    fut__sys = real_sys;
    ck_assert_int_eq(run_on(&rt, &hold), 8);
    fut_future_drop(&hold.base);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(access(tp("q"), F_OK), -1);
    ck_assert_int_eq(tw.live, 0);
    gate_close();
    close(fd);
}
END_TEST

/* Dropped while its call runs: the call finishes on the pool thread, the
 * caller's buffer is never written, and an open()ed descriptor is closed
 * (the fixture's descriptor count proves it). Loop index: 0 pread,
 * 1 open. */
START_TEST(test_fs_drop_running)
{
    struct fut_runtime rt;
    struct test_waker tw;
    struct fut_context cx;
    struct fut_fs f;
    char buf[8];
    int fd;

    make_file(tp("r"), 8, 0);
    fd = open(tp("r"), O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    gate_open();
    one_thread_rt(&rt);
    test_waker_init(&tw);
    cx = test_cx(&tw, &rt);
    memset(buf, 'x', sizeof buf);
    if (_i == 0) {
        fut__sys.pread = gated_pread;
        ck_assert_int_eq(fut_fs_pread_init(&f, fd, buf, sizeof buf, 0), 0);
    } else {
        fut__sys.openat = gated_openat;
        ck_assert_int_eq(fut_fs_open_init(&f, tp("r"), O_RDONLY, 0), 0);
    }
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_PENDING);
    gate_wait_entered();
    fut_future_drop(&f.base);
    gate_release();
    /* Closing the runtime joins its pool: the call is over. */
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    fut__sys = real_sys;
    ck_assert_int_eq(memcmp(buf, "xxxxxxxx", 8), 0);
    ck_assert_int_eq(tw.live, 0);
    gate_close();
    close(fd);
}
END_TEST

/* Finished but never polled READY: its outputs are released (the open
 * descriptor closed, the read_file buffer freed). The gate holds the call
 * until the first poll has seen PENDING, whatever the scheduling. Loop:
 * 0 open, 1 read_file, 2 pread. */
START_TEST(test_fs_drop_done)
{
    struct test_waker tw;
    struct fut_context cx;
    struct fut_fs f;
    char buf[8];
    int fd = -1;

    make_file(tp("d"), 8, 0);
    gate_open();
    test_waker_init(&tw);
    cx = test_cx(&tw, &conf_rt);
    memset(buf, 'x', sizeof buf);
    fut__sys.openat = gated_openat;
    fut__sys.pread = gated_pread;
    if (_i == 0) {
        ck_assert_int_eq(fut_fs_open_init(&f, tp("d"), O_RDONLY, 0), 0);
    } else if (_i == 1) {
        ck_assert_int_eq(fut_fs_read_file_init(&f, tp("d"), 100), 0);
    } else {
        fd = open(tp("d"), O_RDONLY | O_CLOEXEC);
        ck_assert_int_eq(fut_fs_pread_init(&f, fd, buf, sizeof buf, 0), 0);
    }
    ck_assert_int_eq(fut_future_poll(&f.base, &cx), FUT_PENDING);
    gate_wait_entered();
    /* read_file passes the gate twice (open, then its reads). */
    gate_release();
    if (_i == 1) {
        gate_wait_entered();
        gate_release();
        gate_wait_entered();    /* the read that finds the end */
        gate_release();
    }
    wait_woken(&tw);
    fut_future_drop(&f.base);
    fut__sys = real_sys;
    ck_assert_int_eq(memcmp(buf, "xxxxxxxx", 8), 0);
    ck_assert_int_eq(tw.live, 0);
    gate_close();
    if (fd >= 0)
        close(fd);
}
END_TEST

/* ---- 1,000 concurrent reads ------------------------------------------------ */

#define MANY 1000
#define MANY_FILES 8
#define MANY_SIZE (64 * 1024)
#define MANY_CHUNK 4096

struct reader_task {
    struct fut_future base;
    struct fut_fs op;
    int started;
    int fd, k;
    size_t off;
    int ok;
    int *okp;
    unsigned char buf[MANY_CHUNK];
};

static enum fut_poll
reader_poll(struct fut_future *base, struct fut_context *cx)
{
    struct reader_task *t = (struct reader_task *)base;

    if (!t->started) {
        t->started = 1;
        ck_assert_int_eq(fut_fs_pread_init(&t->op, t->fd, t->buf, MANY_CHUNK,
                                           (int64_t)t->off),
                         0);
    }
    if (fut_future_poll(&t->op.base, cx) == FUT_PENDING)
        return FUT_PENDING;
    *t->okp = t->op.res == MANY_CHUNK &&
              check_pattern(t->buf, MANY_CHUNK, t->off, t->k);
    return FUT_READY;
}

static void
reader_drop(struct fut_future *base)
{
    struct reader_task *t = (struct reader_task *)base;

    if (t->started)
        fut_future_drop(&t->op.base);
}

static const struct fut_future_vtable reader_vtable = {
    .poll = reader_poll,
    .drop = reader_drop,
    .result = NULL,
};

START_TEST(test_fs_many_reads)
{
    static struct fut_task *tasks[MANY];
    static int ok[MANY];
    int many = conf_scaled(MANY);
    struct reader_task t;
    struct fut_task_join j;
    int fds[MANY_FILES], i;
    char name[32];

    for (i = 0; i < MANY_FILES; i++) {
        snprintf(name, sizeof name, "m%d", i);
        make_file(tp(name), MANY_SIZE, i);
        fds[i] = open(tp(name), O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(fds[i], 0);
    }
    for (i = 0; i < many; i++) {
        memset(&t, 0, sizeof t);
        t.base.vtable = &reader_vtable;
        t.k = i % MANY_FILES;
        t.fd = fds[t.k];
        t.off = (size_t)(i * 7 % (MANY_SIZE / MANY_CHUNK)) * MANY_CHUNK;
        ok[i] = 0;
        t.okp = &ok[i];
        ck_assert_int_eq(FUT_SPAWN(&conf_rt, &t, &tasks[i]), 0);
    }
    for (i = 0; i < many; i++) {
        ck_assert_int_eq(fut_task_join_init(&j, tasks[i]), 0);
        ck_assert_int_eq(fut_block_on(&conf_rt, &j.base), 0);
        fut_future_drop(&j.base);
        fut_task_detach(tasks[i]);
        ck_assert_msg(ok[i], "reader %d", i);
    }
    ck_assert_uint_le(fut_runtime_blocking_threads(&conf_rt), 64);
    for (i = 0; i < MANY_FILES; i++)
        close(fds[i]);
}
END_TEST

/* ---- directories --------------------------------------------------------------- */

static int
next_ent(struct fut_fs_readdir *d, struct fut_dirent *e)
{
    struct fut_stream_next n;

    ck_assert_int_eq(fut_stream_next_init(&n, &d->stream, e), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &n.base), 0);
    fut_future_drop(&n.base);
    return n.res;
}

START_TEST(test_fs_readdir)
{
    static char seen[150];
    struct fut_fs_readdir d;
    struct fut_dirent e;
    char name[32];
    int i, n = 0, dirs = 0, r;

    for (i = 0; i < 150; i++) {
        snprintf(name, sizeof name, "f%03d", i);
        make_file(tp(name), 1, 0);
    }
    ck_assert_int_eq(mkdir(tp("sub"), 0700), 0);
    memset(seen, 0, sizeof seen);
    ck_assert_int_eq(fut_fs_readdir_init(&d, tmpdir), 0);
    while ((r = next_ent(&d, &e)) == 1) {
        ck_assert_str_ne(e.name, ".");
        ck_assert_str_ne(e.name, "..");
        if (strcmp(e.name, "sub") == 0) {
            ck_assert(e.type == DT_DIR || e.type == DT_UNKNOWN);
            dirs++;
        } else {
            ck_assert_int_eq(e.name[0], 'f');
            i = atoi(e.name + 1);
            ck_assert(i >= 0 && i < 150 && !seen[i]);
            seen[i] = 1;
            ck_assert(e.type == DT_REG || e.type == DT_UNKNOWN);
        }
        n++;
    }
    ck_assert_int_eq(r, 0);
    ck_assert_int_eq(n, 151);
    ck_assert_int_eq(dirs, 1);
    ck_assert_int_eq(next_ent(&d, &e), 0);   /* and after the end */
    fut_fs_readdir_close(&d);
    ck_assert_int_eq(next_ent(&d, &e), -EBADF);
    fut_fs_readdir_close(&d);                /* twice: nothing */

    /* Empty directory. */
    ck_assert_int_eq(fut_fs_readdir_init(&d, tp("sub")), 0);
    ck_assert_int_eq(next_ent(&d, &e), 0);
    fut_fs_readdir_close(&d);
    /* Errors: once, then the end. */
    ck_assert_int_eq(fut_fs_readdir_init(&d, tp("nope")), 0);
    ck_assert_int_eq(next_ent(&d, &e), -ENOENT);
    ck_assert_int_eq(next_ent(&d, &e), 0);
    fut_fs_readdir_close(&d);
    ck_assert_int_eq(fut_fs_readdir_init(&d, tp("f000")), 0);
    ck_assert_int_eq(next_ent(&d, &e), -ENOTDIR);
    fut_fs_readdir_close(&d);
    ck_assert_int_eq(fut_fs_readdir_init(NULL, "x"), -EINVAL);
    ck_assert_int_eq(fut_fs_readdir_init(&d, NULL), -EINVAL);
    ck_assert_int_eq(next_ent(&d, &e), -EINVAL);
    fut_fs_readdir_close(&d);
    ck_assert_int_eq(fut_fs_readdir_init(&d, ""), -EINVAL);
    fut_fs_readdir_close(&d);
    fut_fs_readdir_close(NULL);
    if (geteuid() != 0) {
        ck_assert_int_eq(chmod(tp("sub"), 0), 0);
        ck_assert_int_eq(fut_fs_readdir_init(&d, tp("sub")), 0);
        ck_assert_int_eq(next_ent(&d, &e), -EACCES);
        fut_fs_readdir_close(&d);
    }
}
END_TEST

/* Closing the stream at each state: never polled (0), reading its first
 * batch on the pool (1, held by the gate), holding a batch (2), between
 * batches with the next one queued (3, on a one-thread pool). */
START_TEST(test_fs_readdir_drop)
{
    struct fut_runtime rt;
    struct test_waker tw;
    struct fut_context cx;
    struct fut_fs_readdir d;
    struct fut_dirent e;
    struct fut_fs hold;
    char name[32], buf[8];
    int i, res, fd = -1;

    for (i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "e%03d", i);
        make_file(tp(name), 8, 0);
    }
    gate_open();
    one_thread_rt(&rt);
    test_waker_init(&tw);
    cx = test_cx(&tw, &rt);
    ck_assert_int_eq(fut_fs_readdir_init(&d, tmpdir), 0);
    switch (_i) {
    case 0:
        break;
    case 1:
        fut__sys.readdir = gated_readdir;
        ck_assert_int_eq(fut_stream_poll_next(&d.stream, &cx, &e, &res),
                         FUT_PENDING);
        gate_wait_entered();
        fut_fs_readdir_close(&d);
        gate_release();
        /* The rest of the batch still goes through the gate. */
        for (i = 0; i < 200; i++)
            gate_release();
        break;
    case 2:
        while (fut_stream_poll_next(&d.stream, &cx, &e, &res) == FUT_PENDING)
            wait_woken(&tw);
        ck_assert_int_eq(res, 1);
        break;
    default:
        /* Take the whole first batch (64), then queue the next one behind
         * a job holding the only pool thread. */
        for (i = 0; i < 64; i++) {
            while (fut_stream_poll_next(&d.stream, &cx, &e, &res) ==
                   FUT_PENDING)
                sched_yield();
            ck_assert_int_eq(res, 1);
        }
        fd = open(tp("e000"), O_RDONLY | O_CLOEXEC);
        fut__sys.pread = gated_pread;
        ck_assert_int_eq(fut_fs_pread_init(&hold, fd, buf, 8, 0), 0);
        ck_assert_int_eq(fut_future_poll(&hold.base, &cx), FUT_PENDING);
        gate_wait_entered();
        ck_assert_int_eq(fut_stream_poll_next(&d.stream, &cx, &e, &res),
                         FUT_PENDING);
        fut_fs_readdir_close(&d);
        gate_release();
        fut__sys = real_sys;
        ck_assert_int_eq(run_on(&rt, &hold), 8);
        fut_future_drop(&hold.base);
        break;
    }
    fut_fs_readdir_close(&d);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    fut__sys = real_sys;
    ck_assert_int_eq(tw.live, 0);
    gate_close();
    if (fd >= 0)
        close(fd);
}
END_TEST

/* ---- fut_file -------------------------------------------------------------------- */

static int
file_open(struct fut_file *file, const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC, 0644);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(fut_file_from_fd(file, fd, FUT_FD_OWN), 0);
    return fd;
}

static void
file_write_all(struct fut_file *file, const void *buf, size_t len)
{
    struct fut_write_all w;
    struct fut_flush fl;

    ck_assert_int_eq(fut_write_all_init(&w, &file->writer, buf, len), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &w.base), 0);
    ck_assert_int_eq(w.res, 0);
    fut_future_drop(&w.base);
    ck_assert_int_eq(fut_flush_init(&fl, &file->writer), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &fl.base), 0);
    ck_assert_int_eq(fl.res, 0);
    fut_future_drop(&fl.base);
}

static ssize_t
file_read(struct fut_file *file, void *buf, size_t len)
{
    struct fut_read r;

    ck_assert_int_eq(fut_read_init(&r, &file->reader, buf, len), 0);
    (void)fut_block_on(&conf_rt, &r.base);
    fut_future_drop(&r.base);
    return r.res;
}

static void
file_read_exact(struct fut_file *file, void *buf, size_t len)
{
    struct fut_read_exact r;

    ck_assert_int_eq(fut_read_exact_init(&r, &file->reader, buf, len), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &r.base), 0);
    ck_assert_int_eq(r.res, 0);
    fut_future_drop(&r.base);
}

/* Loop: 0 as the kernel is; 1 without RWF_NOWAIT, so that every read
 * goes through the pool and the file's own read-ahead (made stale by the
 * seeks and the write below). */
START_TEST(test_file_rw)
{
    size_t len = 3 * 1024 * 1024 + 123, i, got;
    unsigned char *src, *dst;
    struct fut_file file;
    ssize_t n;

    if (_i == 1)
        fut__sys.preadv2 = nowait_unsupported;
    src = malloc(len);
    dst = malloc(len);
    ck_assert(src != NULL && dst != NULL);
    for (i = 0; i < len; i++)
        src[i] = pattern(i, 5);
    (void)file_open(&file, tp("f"), O_RDWR | O_CREAT | O_TRUNC);
    file_write_all(&file, src, len);
    ck_assert_int_eq(fut_file_tell(&file), (int64_t)len);
    ck_assert_int_eq(fut_file_seek(&file, 0, SEEK_SET), 0);
    file_read_exact(&file, dst, len);
    ck_assert_int_eq(memcmp(src, dst, len), 0);
    /* End of file, twice. */
    ck_assert_int_eq(file_read(&file, dst, 10), 0);
    ck_assert_int_eq(file_read(&file, dst, 10), 0);
    /* Small reads through the file's buffer, then seeks that make the
     * read-ahead stale. */
    ck_assert_int_eq(fut_file_seek(&file, 0, SEEK_SET), 0);
    for (got = 0; got < 200000; got += (size_t)n) {
        /* Short at the ends of the file's chunks, as any reader may be. */
        n = file_read(&file, dst, 1000);
        ck_assert(n > 0 && n <= 1000);
        ck_assert(check_pattern(dst, (size_t)n, got, 5));
    }
    ck_assert_int_eq(fut_file_seek(&file, 200000, SEEK_SET), 200000);
    ck_assert_int_eq(fut_file_seek(&file, -100, SEEK_CUR), 199900);
    ck_assert_int_eq(file_read(&file, dst, 50), 50);
    ck_assert(check_pattern(dst, 50, 199900, 5));
    ck_assert_int_eq(fut_file_seek(&file, -10, SEEK_END), (int64_t)len - 10);
    ck_assert_int_eq(file_read(&file, dst, 100), 10);
    ck_assert(check_pattern(dst, 10, len - 10, 5));
    /* A write in the middle, read back; the read-ahead before it is
     * stale. */
    ck_assert_int_eq(fut_file_seek(&file, 1000, SEEK_SET), 1000);
    ck_assert_int_eq(file_read(&file, dst, 10), 10);
    ck_assert_int_eq(fut_file_seek(&file, 1000, SEEK_SET), 1000);
    file_write_all(&file, "XYZ", 3);
    ck_assert_int_eq(fut_file_seek(&file, 999, SEEK_SET), 999);
    ck_assert_int_eq(file_read(&file, dst, 5), 5);
    ck_assert_int_eq(dst[0], pattern(999, 5));
    ck_assert_int_eq(memcmp(dst + 1, "XYZ", 3), 0);
    ck_assert_int_eq(dst[4], pattern(1003, 5));
    /* Bad seeks. */
    ck_assert_int_eq(fut_file_seek(&file, -1, SEEK_SET), -EINVAL);
    ck_assert_int_eq(fut_file_seek(&file, 0, 42), -EINVAL);
    ck_assert_int_eq(fut_file_seek(&file, INT64_MAX, SEEK_END), -EINVAL);
    ck_assert_int_eq(fut_file_seek(NULL, 0, SEEK_SET), -EINVAL);
    ck_assert_int_eq(fut_file_tell(&file), 1004);
    ck_assert_int_eq(fut_file_close(&file), 0);
    /* The table goes back in the teardown, after the pool is joined. */
    free(src);
    free(dst);
}
END_TEST

START_TEST(test_file_bad_input)
{
    struct fut_file file;
    struct fut_flush fl;
    char buf[8];
    int fd, p[2];
    ssize_t n;

    ck_assert_int_eq(fut_file_from_fd(NULL, 0, FUT_FD_OWN), -EINVAL);
    ck_assert_int_eq(fut_file_from_fd(&file, -1, FUT_FD_OWN), -EBADF);
    /* A failed adoption leaves a closed file: polls say -EBADF. */
    ck_assert_int_eq(file_read(&file, buf, 8), -EBADF);
    ck_assert_int_eq(fut_file_close(&file), -EBADF);
    ck_assert_int_eq(fut_file_fd(&file), -1);
    ck_assert_int_eq(fut_file_tell(&file), -EBADF);
    ck_assert_int_eq(fut_file_seek(&file, 0, SEEK_SET), -EBADF);
    ck_assert_int_eq(fut_file_from_fd(&file, 0, (enum fut_fd_flags)7),
                     -EINVAL);
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert_int_eq(fut_file_from_fd(&file, p[0], FUT_FD_OWN), -EINVAL);
    close(p[0]);
    close(p[1]);
    fd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ck_assert_int_eq(fut_file_from_fd(&file, fd, FUT_FD_OWN), -EISDIR);
    close(fd);
    ck_assert_int_eq(fut_file_from_fd(&file, fd, FUT_FD_OWN), -EBADF);

    /* Borrowed: the caller's descriptor outlives the file. */
    make_file(tp("b"), 16, 1);
    fd = open(tp("b"), O_RDONLY | O_CLOEXEC);
    ck_assert_int_eq(fut_file_from_fd(&file, fd, FUT_FD_BORROW), 0);
    ck_assert_int_ne(fut_file_fd(&file), fd);
    ck_assert_int_eq(file_read(&file, buf, 8), 8);
    ck_assert(check_pattern((unsigned char *)buf, 8, 0, 1));
    /* Written through a read-only descriptor: accepted, then the error
     * comes with the flush (a write is taken at once). */
    n = 0;
    {
        struct fut_write w;

        ck_assert_int_eq(fut_write_init(&w, &file.writer, "abc", 3), 0);
        ck_assert_int_eq(fut_block_on(&conf_rt, &w.base), 0);
        n = w.res;
        fut_future_drop(&w.base);
    }
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(fut_flush_init(&fl, &file.writer), 0);
    (void)fut_block_on(&conf_rt, &fl.base);
    ck_assert_int_eq(fl.res, -EBADF);
    fut_future_drop(&fl.base);
    ck_assert_int_eq(fut_file_close(&file), 0);
    ck_assert_int_eq(fut_file_close(&file), -EBADF);
    ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    ck_assert_int_eq(file_read(&file, buf, 8), -EBADF);
    close(fd);
    ck_assert_int_eq(fut_file_close(NULL), -EINVAL);
    ck_assert_int_eq(fut_file_fd(NULL), -1);
    ck_assert_int_eq(fut_file_tell(NULL), -EINVAL);
}
END_TEST

/* A read of the file dropped while its pread runs, then the file closed
 * while it still runs: the pool thread closes the descriptor after it (the
 * fixture counts descriptors), the caller's buffer is never written. Loop:
 * 0 drop the read and close; 1 drop the read, release, and read again
 * (the bytes the dropped read brought are not lost). */
START_TEST(test_file_drop_running)
{
    struct fut_runtime rt;
    struct test_waker tw;
    struct fut_context cx;
    struct fut_file file;
    struct fut_read r;
    char buf[16];
    ssize_t res;

    make_file(tp("g"), 16, 2);
    gate_open();
    one_thread_rt(&rt);
    test_waker_init(&tw);
    cx = test_cx(&tw, &rt);
    (void)file_open(&file, tp("g"), O_RDONLY);
    memset(buf, 'x', sizeof buf);
    fut__sys.pread = gated_pread;
    fut__sys.preadv2 = nowait_eagain;
    ck_assert_int_eq(fut_read_init(&r, &file.reader, buf, sizeof buf), 0);
    ck_assert_int_eq(fut_future_poll(&r.base, &cx), FUT_PENDING);
    gate_wait_entered();
    fut_future_drop(&r.base);
    if (_i == 0) {
        ck_assert_int_eq(fut_file_close(&file), 0);
        gate_release();
    } else {
        gate_release();
        fut__sys.pread = real_sys.pread;
        while (fut_async_read_poll_read(&file.reader, &cx, buf, sizeof buf,
                                        &res) == FUT_PENDING)
            sched_yield();
        ck_assert_int_eq(res, 16);
        ck_assert(check_pattern((unsigned char *)buf, 16, 0, 2));
        ck_assert_int_eq(fut_file_close(&file), 0);
    }
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    fut__sys = real_sys;
    if (_i == 0)
        ck_assert_int_eq(memcmp(buf, "xxxxxxxxxxxxxxxx", 16), 0);
    ck_assert_int_eq(tw.live, 0);
    gate_close();
}
END_TEST

/* The page-cache path and its fallbacks (loop): 0 the real one (cached or
 * not, whatever the file system says, the bytes are right); 1 "would
 * block" on every read: the pool reads; 2 "not supported": asked once,
 * then never again; 3 a 0 count: the pool confirms, no false end of file. */
START_TEST(test_file_nowait)
{
    struct fut_file file;
    unsigned char buf[5000];
    size_t got = 0;
    ssize_t n;

    make_file(tp("n"), 300000, 4);
    nowait_calls = 0;
    if (_i == 1)
        fut__sys.preadv2 = nowait_eagain;
    else if (_i == 2)
        fut__sys.preadv2 = nowait_unsupported;
    else if (_i == 3)
        fut__sys.preadv2 = nowait_zero;
    (void)file_open(&file, tp("n"), O_RDONLY);
    while ((n = file_read(&file, buf, sizeof buf)) > 0) {
        ck_assert(check_pattern(buf, (size_t)n, got, 4));
        got += (size_t)n;
    }
    ck_assert_int_eq(n, 0);
    ck_assert_uint_eq(got, 300000);
#if FUT__OS_LINUX && defined(RWF_NOWAIT)
    if (_i == 2)
        ck_assert_int_eq(nowait_calls, 1);
    if (_i == 1 || _i == 3)
        ck_assert_int_gt(nowait_calls, 0);
#else
    /* The OS layer has no way to ask (os.c): every read is a pool job. */
    ck_assert_int_eq(nowait_calls, 0);
#endif
    if (_i != 0)
        ck_assert_uint_gt(fut_runtime_blocking_threads(&conf_rt), 0);
    ck_assert_int_eq(fut_file_close(&file), 0);
    /* The table goes back in the teardown, after the pool is joined. */
}
END_TEST

/* Many tasks each reading a file of its own through fut_file at once. */
struct file_task {
    struct fut_future base;
    struct fut_file file;
    struct fut_read_exact rx;
    int started, k;
    int *okp;
    unsigned char buf[20000];
};

static enum fut_poll
file_task_poll(struct fut_future *base, struct fut_context *cx)
{
    struct file_task *t = (struct file_task *)base;

    if (!t->started) {
        t->started = 1;
        ck_assert_int_eq(fut_read_exact_init(&t->rx, &t->file.reader, t->buf,
                                             sizeof t->buf),
                         0);
    }
    if (fut_future_poll(&t->rx.base, cx) == FUT_PENDING)
        return FUT_PENDING;
    *t->okp = t->rx.res == 0 &&
              check_pattern(t->buf, sizeof t->buf, 0, t->k);
    return FUT_READY;
}

static void
file_task_drop(struct fut_future *base)
{
    struct file_task *t = (struct file_task *)base;

    if (t->started)
        fut_future_drop(&t->rx.base);
    (void)fut_file_close(&t->file);
}

static const struct fut_future_vtable file_task_vtable = {
    .poll = file_task_poll,
    .drop = file_task_drop,
    .result = NULL,
};

START_TEST(test_file_many)
{
    static struct file_task t;
    static int ok[100];
    char name[32];
    int i;

    for (i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "t%d", i);
        make_file(tp(name), sizeof t.buf, i);
        memset(&t, 0, offsetof(struct file_task, buf));
        t.base.vtable = &file_task_vtable;
        t.k = i;
        t.okp = &ok[i];
        ok[i] = 0;
        (void)file_open(&t.file, tp(name), O_RDONLY);
        ck_assert_int_eq(FUT_SPAWN(&conf_rt, &t, NULL), 0);
    }
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    for (i = 0; i < 100; i++)
        ck_assert_msg(ok[i], "file task %d", i);
}
END_TEST

Suite *
fut_conf_fs_suite(void)
{
    Suite *s = suite_create("fs");
    TCase *tc = tcase_create("fs");

    tcase_add_checked_fixture(tc, fs_setup, fs_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fs_calls);
    tcase_add_test(tc, test_fs_paths);
    tcase_add_test(tc, test_fs_bad_input);
    tcase_add_test(tc, test_fs_whole_file);
    tcase_add_test(tc, test_fs_drop_unpolled);
    tcase_add_test(tc, test_fs_drop_queued);
    tcase_add_loop_test(tc, test_fs_drop_running, 0, 2);
    tcase_add_loop_test(tc, test_fs_drop_done, 0, 3);
    tcase_add_test(tc, test_fs_many_reads);
    tcase_add_test(tc, test_fs_readdir);
    tcase_add_loop_test(tc, test_fs_readdir_drop, 0, 4);
    tcase_add_loop_test(tc, test_file_rw, 0, 2);
    tcase_add_test(tc, test_file_bad_input);
    tcase_add_loop_test(tc, test_file_drop_running, 0, 2);
    tcase_add_loop_test(tc, test_file_nowait, 0, 4);
    tcase_add_test(tc, test_file_many);
    suite_add_tcase(s, tc);
    return s;
}
