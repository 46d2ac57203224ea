/* SPDX-License-Identifier: MIT */
/* File-system calls, directory streams and regular files, on the blocking pool. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Everything here is a job of the runtime's blocking pool (pool.c): one
 * allocation embeds a struct fut__job, the inputs (copied) and a buffer
 * for the outputs. The owner (a future, a stream, a file) and the pool
 * each hold a reference; the last one frees the allocation and whatever
 * the owner never took (a descriptor open() made, a DIR, a read_file
 * buffer). So a drop never waits for a call that runs.
 *
 * Completion is published by a `done` flag (release store, after the
 * outputs) as well as by the job's atomic waker: the pool's reference
 * keeps the allocation alive across its wake, so the flag is safe to read,
 * and it stays true when the forget slots of the file and the directory
 * stream have withdrawn the waker (the job runs on, and the next poll
 * must still learn that it finished).
 *
 * A finished job is reused (fut__job_init again) only once the pool has
 * let go of it, that is when its count is back to the owner's 1: between
 * its wake and its unref the pool thread still touches it.
 */

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

static int
job_done(struct fut__job *job, unsigned int *done, struct fut_context *cx)
{
    if (__atomic_load_n(done, __ATOMIC_ACQUIRE))
        return 1;
    fut_atomic_waker_register(&job->aw, cx->waker);
    /* A job that finished between the load and the register left WOKEN
     * set (and maybe woke nobody): look at the flag again. */
    return __atomic_load_n(done, __ATOMIC_ACQUIRE) != 0;
}

static int
job_idle(struct fut__job *job)
{
    return __atomic_load_n(&job->refs, __ATOMIC_ACQUIRE) == 1;
}

/* Withdraw the owner's waker from a job that may still run: registering
 * the no-op waker is safe against a concurrent wake, where
 * fut_atomic_waker_drop() is only for a job nobody else touches. */
static void
job_unregister(struct fut__job *job)
{
    fut_atomic_waker_register(&job->aw, fut_waker_noop());
}

/* Copy a path for a job: -EINVAL (NULL or empty), -ENAMETOOLONG. */
static int
path_check(const char *path, size_t *len)
{
    size_t n;

    if (path == NULL || path[0] == '\0')
        return -EINVAL;
    n = strnlen(path, PATH_MAX);
    if (n >= PATH_MAX)
        return -ENAMETOOLONG;
    *len = n;
    return 0;
}

/* ========================================================================= */
/* One call as a future                                                      */
/* ========================================================================= */

enum fs_op {
    OP_OPEN, OP_CLOSE, OP_READ, OP_WRITE, OP_PREAD, OP_PWRITE, OP_FSYNC,
    OP_FDATASYNC, OP_FTRUNCATE, OP_STAT, OP_LSTAT, OP_FSTAT, OP_UNLINK,
    OP_RENAME, OP_MKDIR, OP_RMDIR, OP_REALPATH, OP_READ_FILE, OP_WRITE_FILE
};

struct fut__fs_job {
    struct fut__job job;
    enum fs_op op;
    unsigned int done;      /* atomic: run() finished */
    int taken;              /* the owner took the outputs */
    int fd;
    int flags;
    mode_t mode;
    int64_t off;            /* offset, length (ftruncate) */
    size_t len;             /* buffer length; max for read_file */
    ssize_t res;
    char *path, *path2;     /* into tail */
    unsigned char *buf;     /* into tail; read_file: its own allocation */
    struct stat st;
    unsigned char tail[];
};

enum { FS_INIT, FS_QUEUED, FS_DONE };

static int
err_of(void)
{
    return fut__os_err();
}

static int
open_retry(const char *path, int flags, mode_t mode)
{
    int fd;

    do
        fd = fut__sys.openat(AT_FDCWD, path, flags | O_CLOEXEC, mode);
    while (fd < 0 && errno == EINTR);
    return fd < 0 ? err_of() : fd;
}

/* Write all of @buf at @off (-1: the descriptor's offset). */
static ssize_t
write_all(int fd, const unsigned char *buf, size_t len, int64_t off)
{
    size_t done = 0;
    ssize_t n;

    while (done < len) {
        if (off >= 0)
            n = fut__sys.pwrite(fd, buf + done, len - done,
                                (off_t)(off + (int64_t)done));
        else
            n = fut__sys.write(fd, buf + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return err_of();
        }
        if (n == 0)
            return -EIO;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

static ssize_t
read_file(struct fut__fs_job *j)
{
    struct stat st;
    size_t cap, got = 0;
    unsigned char *buf, *bigger;
    ssize_t n;
    int fd;

    fd = open_retry(j->path, O_RDONLY, 0);
    if (fd < 0)
        return fd;
    if (fut__sys.fstat(fd, &st) != 0) {
        n = err_of();
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        n = -EISDIR;
        goto out;
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > j->len) {
        n = -EFBIG;
        goto out;
    }
    /* One byte more than the size, so that the read that finds the end
     * fits too (and the NUL). Files whose size is not known (proc files)
     * grow the buffer as they go. */
    if (S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (size_t)st.st_size + 1;
    else
        cap = 4096;
    if (cap > j->len + 1)
        cap = j->len + 1;
    buf = fut__malloc(cap);
    if (buf == NULL) {
        n = -ENOMEM;
        goto out;
    }
    for (;;) {
        if (got == cap) {
            if (cap == j->len + 1) {
                fut__free(buf);
                n = -EFBIG;
                goto out;
            }
            cap = cap * 2 > j->len + 1 ? j->len + 1 : cap * 2;
            bigger = fut__malloc(cap);
            if (bigger == NULL) {
                fut__free(buf);
                n = -ENOMEM;
                goto out;
            }
            memcpy(bigger, buf, got);
            fut__free(buf);
            buf = bigger;
        }
        n = fut__sys.pread(fd, buf + got, cap - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            n = err_of();
            fut__free(buf);
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    if (got > j->len) {
        fut__free(buf);
        n = -EFBIG;
        goto out;
    }
    if (got == cap) {
        /* Room for the NUL (only when cap is j->len + 1 may it lack). */
        bigger = fut__malloc(got + 1);
        if (bigger == NULL) {
            fut__free(buf);
            n = -ENOMEM;
            goto out;
        }
        memcpy(bigger, buf, got);
        fut__free(buf);
        buf = bigger;
    }
    buf[got] = '\0';
    j->buf = buf;
    n = (ssize_t)got;
out:
    fut__os_close(fd);
    return n;
}

static ssize_t
write_file(struct fut__fs_job *j)
{
    ssize_t n;
    int fd;

    fd = open_retry(j->path, O_WRONLY | O_CREAT | O_TRUNC, j->mode);
    if (fd < 0)
        return fd;
    n = write_all(fd, j->buf, j->len, 0);
    fut__os_close(fd);
    return n < 0 ? n : 0;
}

static ssize_t
zero_or_err(int r)
{
    return r == 0 ? 0 : err_of();
}

static void
fs_run(struct fut__job *job)
{
    struct fut__fs_job *j = (struct fut__fs_job *)job;
    ssize_t r;
    char *p;

    switch (j->op) {
    case OP_OPEN:
        r = open_retry(j->path, j->flags, j->mode);
        break;
    case OP_CLOSE:
        /* Never retried: the descriptor is gone either way (Linux). */
        r = zero_or_err(fut__sys.close(j->fd));
        if (r == -EINTR)
            r = 0;
        break;
    case OP_READ:
    case OP_PREAD:
        do
            r = j->op == OP_READ
                    ? fut__sys.read(j->fd, j->buf, j->len)
                    : fut__sys.pread(j->fd, j->buf, j->len, (off_t)j->off);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            r = err_of();
        break;
    case OP_WRITE:
    case OP_PWRITE:
        do
            r = j->op == OP_WRITE
                    ? fut__sys.write(j->fd, j->buf, j->len)
                    : fut__sys.pwrite(j->fd, j->buf, j->len, (off_t)j->off);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            r = err_of();
        break;
    case OP_FSYNC:
        r = zero_or_err(fut__sys.fsync(j->fd));
        break;
    case OP_FDATASYNC:
        r = zero_or_err(fut__sys.fdatasync(j->fd));
        break;
    case OP_FTRUNCATE:
        r = zero_or_err(fut__sys.ftruncate(j->fd, (off_t)j->off));
        break;
    case OP_STAT:
        r = zero_or_err(fut__sys.stat(j->path, &j->st));
        break;
    case OP_LSTAT:
        r = zero_or_err(fut__sys.lstat(j->path, &j->st));
        break;
    case OP_FSTAT:
        r = zero_or_err(fut__sys.fstat(j->fd, &j->st));
        break;
    case OP_UNLINK:
        r = zero_or_err(fut__sys.unlink(j->path));
        break;
    case OP_RENAME:
        r = zero_or_err(fut__sys.rename(j->path, j->path2));
        break;
    case OP_MKDIR:
        r = zero_or_err(fut__sys.mkdir(j->path, j->mode));
        break;
    case OP_RMDIR:
        r = zero_or_err(fut__sys.rmdir(j->path));
        break;
    case OP_REALPATH:
        /* buf holds PATH_MAX bytes, what realpath(3) may write. */
        p = fut__sys.realpath(j->path, (char *)j->buf);
        r = p != NULL ? (ssize_t)strlen((char *)j->buf) : err_of();
        break;
    case OP_READ_FILE:
        j->buf = NULL;
        r = read_file(j);
        break;
    case OP_WRITE_FILE:
        r = write_file(j);
        break;
    default:
        r = -EINVAL;
        break;
    }
    j->res = r;
    __atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
}

static void
fs_release(struct fut__job *job)
{
    struct fut__fs_job *j = (struct fut__fs_job *)job;

    /* Outputs nobody took: close what open() made, free what read_file
     * read. */
    if (!j->taken && __atomic_load_n(&j->done, __ATOMIC_ACQUIRE)) {
        if (j->op == OP_OPEN && j->res >= 0)
            fut__os_close((int)j->res);
        else if (j->op == OP_READ_FILE && j->buf != NULL)
            fut__free(j->buf);
    }
    fut_atomic_waker_drop(&j->job.aw);
    fut__free(j);
}

static void
fs_finish(struct fut_fs *f, ssize_t res)
{
    f->res = res;
    f->state_ = FS_DONE;
}

static enum fut_poll
fs_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_fs *f = (struct fut_fs *)base;
    struct fut__fs_job *j = f->job_;
    int err;

    if (f->state_ == FS_DONE)
        return FUT_READY;
    if (f->state_ == FS_INIT) {
        if (cx == NULL || cx->rt == NULL || cx->waker == NULL) {
            err = -EINVAL;
            goto fail;
        }
        err = fut__job_submit(cx->rt, &j->job);
        if (err != 0)
            goto fail;
        f->state_ = FS_QUEUED;
    }
    if (!job_done(&j->job, &j->done, cx))
        return FUT_PENDING;
    /* Outputs to the caller, on this thread. */
    if (j->res >= 0) {
        switch (j->op) {
        case OP_READ:
        case OP_PREAD:
            if (j->res > 0)
                memcpy(f->out_, j->buf, (size_t)j->res);
            break;
        case OP_STAT:
        case OP_LSTAT:
        case OP_FSTAT:
            memcpy(f->out_, &j->st, sizeof j->st);
            break;
        case OP_REALPATH:
            if ((size_t)j->res >= f->out_len_)
                j->res = -ERANGE;
            else
                memcpy(f->out_, j->buf, (size_t)j->res + 1);
            break;
        case OP_READ_FILE:
            f->data = j->buf;
            break;
        default:
            break;
        }
    }
    j->taken = 1;
    f->job_ = NULL;
    fs_finish(f, j->res);
    fut__job_unref(&j->job);
    return FUT_READY;

fail:
    /* Never queued: only our reference. */
    f->job_ = NULL;
    fut__job_unref(&j->job);
    fs_finish(f, err);
    return FUT_READY;
}

static void
fs_drop(struct fut_future *base)
{
    struct fut_fs *f = (struct fut_fs *)base;
    struct fut__fs_job *j = f->job_;

    if (j != NULL) {
        if (f->state_ == FS_QUEUED) {
            (void)fut__job_cancel(&j->job);
            job_unregister(&j->job);
        }
        fut__job_unref(&j->job);   /* the last one frees it */
    }
    f->job_ = NULL;
    f->state_ = FS_DONE;
}

static int
fs_result(const struct fut_future *base)
{
    const struct fut_fs *f = (const struct fut_fs *)base;

    return f->res < 0 ? (int)f->res : 0;
}

static const struct fut_future_vtable fs_vtable = {
    .poll = fs_poll,
    .drop = fs_drop,
    .result = fs_result,
};

/* A future that is READY with @err at its first poll; returns @err. */
static int
fs_fail(struct fut_fs *f, int err)
{
    if (f != NULL) {
        memset(f, 0, sizeof *f);
        f->base.vtable = &fs_vtable;
        f->res = err;
        f->state_ = FS_DONE;
    }
    return err;
}

/*
 * The allocation for @op: @extra bytes of tail for @path (len1 + 1),
 * @path2 (len2 + 1) and a buffer of @buflen bytes. Sets up @f as pending.
 */
static struct fut__fs_job *
fs_new(struct fut_fs *f, enum fs_op op, const char *path, size_t len1,
       const char *path2, size_t len2, size_t buflen)
{
    struct fut__fs_job *j;
    size_t size = sizeof *j + buflen;
    unsigned char *p;

    if (path != NULL)
        size += len1 + 1;
    if (path2 != NULL)
        size += len2 + 1;
    j = fut__malloc(size);
    if (j == NULL)
        return NULL;
    memset(j, 0, sizeof *j);
    fut__job_init(&j->job, fs_run, fs_release);
    j->op = op;
    j->fd = -1;
    p = j->tail;
    /* The buffer first: it stays aligned as malloc's result is. */
    if (buflen > 0) {
        j->buf = p;
        p += buflen;
    }
    if (path != NULL) {
        j->path = (char *)p;
        memcpy(p, path, len1 + 1);
        p += len1 + 1;
    }
    if (path2 != NULL) {
        j->path2 = (char *)p;
        memcpy(p, path2, len2 + 1);
    }
    memset(f, 0, sizeof *f);
    f->base.vtable = &fs_vtable;
    f->job_ = j;
    f->state_ = FS_INIT;
    return j;
}

/* Common checks and allocation of the calls on a path. */
static int
fs_path_init(struct fut_fs *f, enum fs_op op, const char *path,
             size_t buflen, struct fut__fs_job **out)
{
    size_t len = 0;
    int err;

    if (f == NULL)
        return -EINVAL;
    err = path_check(path, &len);
    if (err != 0)
        return fs_fail(f, err);
    *out = fs_new(f, op, path, len, NULL, 0, buflen);
    return *out != NULL ? 0 : fs_fail(f, -ENOMEM);
}

static int
fs_fd_init(struct fut_fs *f, enum fs_op op, int fd, size_t buflen,
           struct fut__fs_job **out)
{
    if (f == NULL)
        return -EINVAL;
    if (fd < 0)
        return fs_fail(f, -EBADF);
    *out = fs_new(f, op, NULL, 0, NULL, 0, buflen);
    if (*out == NULL)
        return fs_fail(f, -ENOMEM);
    (*out)->fd = fd;
    return 0;
}

int
fut_fs_open_init(struct fut_fs *f, const char *path, int flags, mode_t mode)
{
    struct fut__fs_job *j;
    int err;

    if (f == NULL)
        return -EINVAL;
    if ((flags & O_ACCMODE) == O_ACCMODE)
        return fs_fail(f, -EINVAL);
    err = fs_path_init(f, OP_OPEN, path, 0, &j);
    if (err != 0)
        return err;
    j->flags = flags;
    j->mode = mode;
    return 0;
}

int
fut_fs_close_init(struct fut_fs *f, int fd)
{
    struct fut__fs_job *j;

    return fs_fd_init(f, OP_CLOSE, fd, 0, &j);
}

/* read, pread, write, pwrite. */
static int
fs_rw_init(struct fut_fs *f, enum fs_op op, int fd, void *buf,
           const void *src, size_t len, int64_t off)
{
    struct fut__fs_job *j;
    int err;

    if (f == NULL)
        return -EINVAL;
    if ((len > 0 && buf == NULL && src == NULL) || len > FUT__MAX_SIZE ||
        off < 0)
        return fs_fail(f, -EINVAL);
    if (fd < 0)
        return fs_fail(f, -EBADF);
    if (len == 0)
    {
        (void)fs_fail(f, 0);                 /* READY with 0, no call */
        return 0;
    }
    err = fs_fd_init(f, op, fd, len, &j);
    if (err != 0)
        return err;
    j->len = len;
    j->off = off;
    if (src != NULL)
        memcpy(j->buf, src, len);
    f->out_ = buf;
    return 0;
}

int
fut_fs_read_init(struct fut_fs *f, int fd, void *buf, size_t len)
{
    if (buf == NULL && len > 0)
        return f != NULL ? fs_fail(f, -EINVAL) : -EINVAL;
    return fs_rw_init(f, OP_READ, fd, buf, NULL, len, 0);
}

int
fut_fs_write_init(struct fut_fs *f, int fd, const void *buf, size_t len)
{
    if (buf == NULL && len > 0)
        return f != NULL ? fs_fail(f, -EINVAL) : -EINVAL;
    return fs_rw_init(f, OP_WRITE, fd, NULL, buf, len, 0);
}

int
fut_fs_pread_init(struct fut_fs *f, int fd, void *buf, size_t len, int64_t off)
{
    if (buf == NULL && len > 0)
        return f != NULL ? fs_fail(f, -EINVAL) : -EINVAL;
    return fs_rw_init(f, OP_PREAD, fd, buf, NULL, len, off);
}

int
fut_fs_pwrite_init(struct fut_fs *f, int fd, const void *buf, size_t len,
                   int64_t off)
{
    if (buf == NULL && len > 0)
        return f != NULL ? fs_fail(f, -EINVAL) : -EINVAL;
    return fs_rw_init(f, OP_PWRITE, fd, NULL, buf, len, off);
}

int
fut_fs_fsync_init(struct fut_fs *f, int fd)
{
    struct fut__fs_job *j;

    return fs_fd_init(f, OP_FSYNC, fd, 0, &j);
}

int
fut_fs_fdatasync_init(struct fut_fs *f, int fd)
{
    struct fut__fs_job *j;

    return fs_fd_init(f, OP_FDATASYNC, fd, 0, &j);
}

int
fut_fs_ftruncate_init(struct fut_fs *f, int fd, int64_t len)
{
    struct fut__fs_job *j;
    int err;

    if (f == NULL)
        return -EINVAL;
    if (len < 0)
        return fs_fail(f, -EINVAL);
    err = fs_fd_init(f, OP_FTRUNCATE, fd, 0, &j);
    if (err == 0)
        j->off = len;
    return err;
}

static int
fs_stat_init(struct fut_fs *f, enum fs_op op, const char *path,
             struct stat *st)
{
    struct fut__fs_job *j;
    int err;

    if (f == NULL)
        return -EINVAL;
    if (st == NULL)
        return fs_fail(f, -EINVAL);
    err = fs_path_init(f, op, path, 0, &j);
    if (err == 0)
        f->out_ = st;
    return err;
}

int
fut_fs_stat_init(struct fut_fs *f, const char *path, struct stat *st)
{
    return fs_stat_init(f, OP_STAT, path, st);
}

int
fut_fs_lstat_init(struct fut_fs *f, const char *path, struct stat *st)
{
    return fs_stat_init(f, OP_LSTAT, path, st);
}

int
fut_fs_fstat_init(struct fut_fs *f, int fd, struct stat *st)
{
    struct fut__fs_job *j;
    int err;

    if (f == NULL)
        return -EINVAL;
    if (st == NULL)
        return fs_fail(f, -EINVAL);
    err = fs_fd_init(f, OP_FSTAT, fd, 0, &j);
    if (err == 0)
        f->out_ = st;
    return err;
}

int
fut_fs_unlink_init(struct fut_fs *f, const char *path)
{
    struct fut__fs_job *j;

    return fs_path_init(f, OP_UNLINK, path, 0, &j);
}

int
fut_fs_rename_init(struct fut_fs *f, const char *from, const char *to)
{
    size_t l1 = 0, l2 = 0;
    int err;

    if (f == NULL)
        return -EINVAL;
    err = path_check(from, &l1);
    if (err == 0)
        err = path_check(to, &l2);
    if (err != 0)
        return fs_fail(f, err);
    if (fs_new(f, OP_RENAME, from, l1, to, l2, 0) == NULL)
        return fs_fail(f, -ENOMEM);
    return 0;
}

int
fut_fs_mkdir_init(struct fut_fs *f, const char *path, mode_t mode)
{
    struct fut__fs_job *j;
    int err;

    err = fs_path_init(f, OP_MKDIR, path, 0, &j);
    if (err == 0)
        j->mode = mode;
    return err;
}

int
fut_fs_rmdir_init(struct fut_fs *f, const char *path)
{
    struct fut__fs_job *j;

    return fs_path_init(f, OP_RMDIR, path, 0, &j);
}

int
fut_fs_realpath_init(struct fut_fs *f, const char *path, char *out,
                     size_t size)
{
    struct fut__fs_job *j;
    int err;

    if (f == NULL)
        return -EINVAL;
    if (out == NULL || size == 0)
        return fs_fail(f, -EINVAL);
    err = fs_path_init(f, OP_REALPATH, path, PATH_MAX, &j);
    if (err == 0) {
        f->out_ = out;
        f->out_len_ = size;
    }
    return err;
}

int
fut_fs_read_file_init(struct fut_fs *f, const char *path, size_t max)
{
    struct fut__fs_job *j;
    int err;

    if (f == NULL)
        return -EINVAL;
    if (max == 0 || max > FUT__MAX_SIZE)
        return fs_fail(f, -EINVAL);
    err = fs_path_init(f, OP_READ_FILE, path, 0, &j);
    if (err == 0)
        j->len = max;
    return err;
}

int
fut_fs_write_file_init(struct fut_fs *f, const char *path, const void *buf,
                       size_t len, mode_t mode)
{
    struct fut__fs_job *j;
    int err;

    if (f == NULL)
        return -EINVAL;
    if ((buf == NULL && len > 0) || len > FUT__MAX_SIZE)
        return fs_fail(f, -EINVAL);
    err = fs_path_init(f, OP_WRITE_FILE, path, len, &j);
    if (err != 0)
        return err;
    if (len > 0)
        memcpy(j->buf, buf, len);
    j->len = len;
    j->mode = mode;
    return 0;
}

/* ========================================================================= */
/* Directory streams                                                         */
/* ========================================================================= */

/* Entries per job: enough to make the pool's round trip cheap per entry,
 * few enough to keep a batch small (64 x 257 bytes). */
#define DIR_BATCH 64

struct fut__dir_job {
    struct fut__job job;
    unsigned int done;          /* atomic */
    DIR *dir;                   /* NULL until opened; closed by release */
    int err;                    /* 0, or -errno of this batch */
    int eof;                    /* the directory has no more entries */
    unsigned int count;
    struct fut_dirent ents[DIR_BATCH];
    char path[];                /* first batch only (opendir) */
};

enum { DIR_INIT, DIR_BUSY, DIR_HAVE, DIR_END, DIR_CLOSED };

static void
dir_run(struct fut__job *job)
{
    struct fut__dir_job *j = (struct fut__dir_job *)job;
    struct dirent *e;
    size_t n;

    j->count = 0;
    j->err = 0;
    if (j->dir == NULL) {
        j->dir = fut__sys.opendir(j->path);
        if (j->dir == NULL) {
            j->err = err_of();
            goto out;
        }
    }
    while (j->count < DIR_BATCH) {
        errno = 0;
        e = fut__sys.readdir(j->dir);
        if (e == NULL) {
            if (errno != 0)
                j->err = -errno;
            else
                j->eof = 1;
            break;
        }
        if (e->d_name[0] == '.' &&
            (e->d_name[1] == '\0' ||
             (e->d_name[1] == '.' && e->d_name[2] == '\0')))
            continue;
        n = strlen(e->d_name);
        if (n > FUT_FS_NAME_MAX) {
            j->err = -ENAMETOOLONG;
            break;
        }
        memcpy(j->ents[j->count].name, e->d_name, n + 1);
        j->ents[j->count].type = e->d_type;
        j->count++;
    }
out:
    __atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
}

static void
dir_release(struct fut__job *job)
{
    struct fut__dir_job *j = (struct fut__dir_job *)job;

    if (j->dir != NULL)
        (void)fut__sys.closedir(j->dir);
    fut_atomic_waker_drop(&j->job.aw);
    fut__free(j);
}

static struct fut_fs_readdir *
dir_of(struct fut_stream *s)
{
    return (struct fut_fs_readdir *)(void *)s;
}

/* The job for the next batch: the same allocation once the pool let go of
 * it, else a new one that takes the DIR over. NULL: -ENOMEM. */
static struct fut__dir_job *
dir_next_job(struct fut_fs_readdir *d)
{
    struct fut__dir_job *old = d->job_, *j;

    if (fut__job_reuse(&old->job, dir_run, dir_release) == 0) {
        j = old;
    } else {
        j = fut__malloc(sizeof *j + 1);
        if (j == NULL)
            return NULL;
        memset(j, 0, sizeof *j);
        j->path[0] = '\0';
        j->dir = old->dir;
        old->dir = NULL;
        fut__job_unref(&old->job);
        fut__job_init(&j->job, dir_run, dir_release);
    }
    j->done = 0;
    j->count = 0;
    d->job_ = j;
    return j;
}

static enum fut_poll
dir_poll_next(struct fut_stream *s, struct fut_context *cx, void *item,
              int *res)
{
    struct fut_fs_readdir *d = dir_of(s);
    struct fut__dir_job *j;
    int err;

    for (;;) {
        j = d->job_;
        switch (d->state_) {
        case DIR_INIT:
            if (cx->rt == NULL || cx->waker == NULL) {
                *res = -EINVAL;
                return FUT_READY;
            }
            err = fut__job_submit(cx->rt, &j->job);
            if (err != 0) {
                d->state_ = DIR_END;
                *res = err;
                return FUT_READY;
            }
            d->state_ = DIR_BUSY;
            break;
        case DIR_BUSY:
            if (!job_done(&j->job, &j->done, cx)) {
                d->reg_id_ = fut_reg_next(d->reg_id_);
                return FUT_PENDING;
            }
            d->pos_ = 0;
            d->state_ = DIR_HAVE;
            break;
        case DIR_HAVE:
            if (d->pos_ < j->count) {
                if (!fut_coop_proceed(cx))
                    return FUT_PENDING; /* woken already; nothing stored */
                memcpy(item, &j->ents[d->pos_], sizeof j->ents[0]);
                d->pos_++;
                *res = 1;
                return FUT_READY;
            }
            if (j->err != 0 || j->eof) {
                *res = j->err;
                d->state_ = DIR_END;
                return FUT_READY;
            }
            if (dir_next_job(d) == NULL) {
                *res = -ENOMEM;
                d->state_ = DIR_END;
                return FUT_READY;
            }
            d->state_ = DIR_INIT;
            break;
        default:
            *res = d->state_ == DIR_END ? 0 : -EBADF;
            return FUT_READY;
        }
    }
}

static void
dir_note_next(struct fut_stream *s, struct fut_reg *reg)
{
    struct fut_fs_readdir *d = dir_of(s);

    reg->id = d->state_ == DIR_BUSY ? d->reg_id_ : 0;
}

static void
dir_forget_next_reg(struct fut_stream *s, const struct fut_reg *reg)
{
    struct fut_fs_readdir *d = dir_of(s);

    /* The waker sits in the job's slot; the job's `done` flag still tells
     * the next poll that the batch is there. */
    if (d->state_ == DIR_BUSY && reg->id == d->reg_id_)
        job_unregister(&d->job_->job);
}

static void
dir_forget_next(struct fut_stream *s, const struct fut_waker *w)
{
    struct fut_fs_readdir *d = dir_of(s);

    FUT__UNUSED(w);
    if (d->state_ == DIR_BUSY)
        job_unregister(&d->job_->job);
}

static const struct fut_stream_vtable dir_vtable = {
    .version = 3,
    .poll_next = dir_poll_next,
    .forget_next = dir_forget_next,
    .note_next = dir_note_next,
    .forget_next_reg = dir_forget_next_reg,
};

int
fut_fs_readdir_init(struct fut_fs_readdir *d, const char *path)
{
    struct fut__dir_job *j;
    size_t len = 0;
    int err;

    if (d == NULL)
        return -EINVAL;
    memset(d, 0, sizeof *d);
    d->stream.vtable = &dir_vtable;
    d->state_ = DIR_END;
    err = path_check(path, &len);
    if (err != 0) {
        /* The stream reports it once, at its first poll, through an
         * empty batch that carries the error. */
        j = fut__calloc(1, sizeof *j + 1);
        if (j == NULL) {
            d->state_ = DIR_CLOSED;
            return err;
        }
        fut__job_init(&j->job, dir_run, dir_release);
        j->err = err;
        d->job_ = j;
        d->state_ = DIR_HAVE;
        return err;
    }
    j = fut__malloc(sizeof *j + len + 1);
    if (j == NULL) {
        d->state_ = DIR_CLOSED;
        return -ENOMEM;
    }
    memset(j, 0, sizeof *j);
    memcpy(j->path, path, len + 1);
    fut__job_init(&j->job, dir_run, dir_release);
    d->job_ = j;
    d->state_ = DIR_INIT;
    return 0;
}

void
fut_fs_readdir_close(struct fut_fs_readdir *d)
{
    struct fut__dir_job *j;

    if (d == NULL || d->job_ == NULL)
        return;
    j = d->job_;
    if (d->state_ == DIR_BUSY) {
        (void)fut__job_cancel(&j->job);
        job_unregister(&j->job);
    }
    fut__job_unref(&j->job);   /* the last reference closes the DIR */
    d->job_ = NULL;
    d->state_ = DIR_CLOSED;
}

/* ========================================================================= */
/* Files                                                                     */
/* ========================================================================= */

/* A chunk of file I/O: reads ask for at least FILE_MIN (small reads are
 * served from the rest) and at most FILE_MAX, and a write takes at most
 * FILE_MAX of the caller's bytes. */
#define FILE_MIN ((size_t)64 * 1024)
#define FILE_MAX ((size_t)4 * 1024 * 1024)

enum { FOP_READ, FOP_WRITE };

struct fut__file_op {
    struct fut__job job;
    unsigned int done;      /* atomic */
    int kind;
    int fd;
    int close_fd;           /* >= 0: close it at release (file closed) */
    uint32_t gen;           /* the file's gen_ at submit */
    int64_t off;
    size_t len;             /* asked for (read) or to write */
    ssize_t res;
    size_t pos;             /* bytes of a read already consumed */
    size_t cap;
    unsigned char buf[];
};

static void
op_run(struct fut__job *job)
{
    struct fut__file_op *op = (struct fut__file_op *)job;
    ssize_t n;

    if (op->kind == FOP_WRITE) {
        n = write_all(op->fd, op->buf, op->len, op->off);
    } else {
        do
            n = fut__sys.pread(op->fd, op->buf, op->len, (off_t)op->off);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            n = err_of();
    }
    op->res = n;
    __atomic_store_n(&op->done, 1, __ATOMIC_RELEASE);
}

static void
op_release(struct fut__job *job)
{
    struct fut__file_op *op = (struct fut__file_op *)job;

    if (op->close_fd >= 0)
        fut__os_close(op->close_fd);
    fut_atomic_waker_drop(&op->job.aw);
    fut__free(op);
}

static struct fut_file *
file_of_reader(struct fut_async_read *r)
{
    return (struct fut_file *)(void *)r;
}

static struct fut_file *
file_of_writer(struct fut_async_write *w)
{
    return (struct fut_file *)(void *)((char *)w -
                                       offsetof(struct fut_file, writer));
}

/* Let go of @op (finished or never submitted): keep it as the spare if it
 * is reusable and bigger than the spare, else release our reference. */
static void
file_recycle(struct fut_file *file, struct fut__file_op *op)
{
    if (op == NULL)
        return;
    if (job_idle(&op->job) &&
        (file->spare_ == NULL || file->spare_->cap < op->cap)) {
        if (file->spare_ != NULL)
            fut__job_unref(&file->spare_->job);
        file->spare_ = op;
        return;
    }
    fut__job_unref(&op->job);
}

/* An op with room for @need bytes, ready to submit; NULL: -ENOMEM. */
static struct fut__file_op *
file_op(struct fut_file *file, size_t need)
{
    struct fut__file_op *op = file->spare_;
    size_t cap;

    if (op != NULL && op->cap >= need &&
        fut__job_reuse(&op->job, op_run, op_release) == 0) {
        file->spare_ = NULL;
    } else {
        cap = need < FILE_MIN ? FILE_MIN : need;
        op = fut__malloc(sizeof *op + cap);
        if (op == NULL)
            return NULL;
        op->cap = cap;
        fut__job_init(&op->job, op_run, op_release);
    }
    op->done = 0;
    op->fd = file->fd_;
    op->close_fd = -1;
    op->gen = file->gen_;
    op->res = 0;
    op->pos = 0;
    return op;
}

static int
file_submit(struct fut_file *file, struct fut_context *cx,
            struct fut__file_op *op)
{
    int err = fut__job_submit(cx->rt, &op->job);

    if (err != 0) {
        file_recycle(file, op);
        return err;
    }
    file->busy_ = op;
    return 0;
}

/* Start reading @len bytes at @off (read-ahead or a read asked for). */
static int
file_start_read(struct fut_file *file, struct fut_context *cx, int64_t off,
                size_t len)
{
    struct fut__file_op *op;

    if (len < FILE_MIN)
        len = FILE_MIN;
    if (len > FILE_MAX)
        len = FILE_MAX;
    op = file_op(file, len);
    if (op == NULL)
        return -ENOMEM;
    op->kind = FOP_READ;
    op->off = off;
    op->len = len;
    return file_submit(file, cx, op);
}

/*
 * Wait for the op in flight, if any: 1 when none is left (its outcome
 * taken: a write's error into werr_, a read's bytes into data_), 0 when
 * PENDING (the waker is registered).
 */
static int
file_settle(struct fut_file *file, struct fut_context *cx)
{
    struct fut__file_op *op = file->busy_;

    if (op == NULL)
        return 1;
    if (!job_done(&op->job, &op->done, cx)) {
        file->reg_id_ = fut_reg_next(file->reg_id_);
        file->last_id_ = file->reg_id_;
        return 0;
    }
    file->busy_ = NULL;
    if (op->kind == FOP_WRITE) {
        if (op->res < 0 && file->werr_ == 0)
            file->werr_ = op->res;
        file_recycle(file, op);
    } else if (op->gen == file->gen_ && file->data_ == NULL &&
               op->off == file->pos_) {
        file->data_ = op;
    } else {
        file_recycle(file, op);     /* stale: a seek or write came since */
    }
    return 1;
}

static int
file_bad(const struct fut_file *file, const struct fut_context *cx)
{
    if (file->fd_ < 0)
        return -EBADF;
    if (cx->rt == NULL || cx->waker == NULL)
        return -EINVAL;
    return 0;
}

static enum fut_poll
file_poll_read(struct fut_async_read *self, struct fut_context *cx,
               void *buf, size_t len, ssize_t *res)
{
    struct fut_file *file = file_of_reader(self);
    struct fut__file_op *d;
    size_t n, avail;
    ssize_t n2;
    int err;

    err = file_bad(file, cx);
    if (err != 0) {
        *res = err;
        return FUT_READY;
    }
    if (len > FUT__MAX_SIZE)
        len = FUT__MAX_SIZE;
    file->last_id_ = 0;
    for (;;) {
        d = file->data_;
        if (d != NULL && d->res > 0 && d->pos < (size_t)d->res) {
            if (!fut_coop_proceed(cx))
                return FUT_PENDING;     /* woken already; nothing stored */
            avail = (size_t)d->res - d->pos;
            n = len < avail ? len : avail;
            /* Serving from a chunk that came full: read the next one
             * while this one is copied out and used. Only where the page
             * cache cannot be asked (no RWF_NOWAIT): elsewhere the
             * kernel's own read-ahead fills the cache, and the next read
             * takes it straight into the caller's buffer, which measured
             * as fast or faster (bench/fileread.c --cold) with one buffer
             * instead of two. */
            if (file->no_nowait_ && file->busy_ == NULL &&
                d->res == (ssize_t)d->len)
                (void)file_start_read(file, cx, d->off + d->res, d->len);
            memcpy(buf, d->buf + d->pos, n);
            d->pos += n;
            file->pos_ += (int64_t)n;
            if (d->pos == (size_t)d->res) {
                file->data_ = NULL;
                file_recycle(file, d);
            }
            *res = (ssize_t)n;
            return FUT_READY;
        }
        if (d != NULL) {
            /* End of file (0) or the read's error, at this position. */
            *res = d->res;
            file->data_ = NULL;
            file_recycle(file, d);
            return FUT_READY;
        }
        if (file->busy_ != NULL) {
            if (!file_settle(file, cx))
                return FUT_PENDING;
            continue;
        }
        if (file->werr_ != 0) {
            *res = file->werr_;
            file->werr_ = 0;
            return FUT_READY;
        }
        /* Nothing buffered, nothing in flight: the page cache may have
         * it. A count of 0 is left to the pool to confirm, so that end of
         * file never rests on the nonblocking path alone. */
        if (!file->no_nowait_) {
            if (!fut_coop_proceed(cx))
                return FUT_PENDING;
            /* At most FILE_MAX at a time on this thread (a few ms). */
            n2 = fut__os_pread_nowait(file->fd_, buf,
                                      len < FILE_MAX ? len : FILE_MAX,
                                      file->pos_);
            if (n2 > 0) {
                file->pos_ += (int64_t)n2;
                *res = n2;
                return FUT_READY;
            }
            if (n2 == -EOPNOTSUPP)
                file->no_nowait_ = 1;
        }
        err = file_start_read(file, cx, file->pos_, len);
        if (err != 0) {
            *res = err;
            return FUT_READY;
        }
    }
}

static enum fut_poll
file_poll_write(struct fut_async_write *self, struct fut_context *cx,
                const void *buf, size_t len, ssize_t *res)
{
    struct fut_file *file = file_of_writer(self);
    struct fut__file_op *op;
    int err;

    err = file_bad(file, cx);
    if (err == 0 && file->pos_ > INT64_MAX - (int64_t)FILE_MAX)
        err = -EFBIG;
    if (err != 0) {
        *res = err;
        return FUT_READY;
    }
    file->last_id_ = 0;
    if (!file_settle(file, cx))
        return FUT_PENDING;
    if (file->werr_ != 0) {
        *res = file->werr_;
        file->werr_ = 0;
        return FUT_READY;
    }
    if (!fut_coop_proceed(cx))
        return FUT_PENDING;
    /* Bytes read ahead are beyond the position: writing makes them stale. */
    if (file->data_ != NULL) {
        file_recycle(file, file->data_);
        file->data_ = NULL;
    }
    if (len > FILE_MAX)
        len = FILE_MAX;
    op = file_op(file, len);
    if (op == NULL) {
        *res = -ENOMEM;
        return FUT_READY;
    }
    op->kind = FOP_WRITE;
    op->off = file->pos_;
    op->len = len;
    memcpy(op->buf, buf, len);
    err = file_submit(file, cx, op);
    if (err != 0) {
        *res = err;
        return FUT_READY;
    }
    file->pos_ += (int64_t)len;
    *res = (ssize_t)len;
    return FUT_READY;
}

static enum fut_poll
file_poll_flush(struct fut_async_write *self, struct fut_context *cx,
                ssize_t *res)
{
    struct fut_file *file = file_of_writer(self);
    int err = file_bad(file, cx);

    if (err != 0) {
        *res = err;
        return FUT_READY;
    }
    file->last_id_ = 0;
    if (file->busy_ != NULL && file->busy_->kind == FOP_WRITE &&
        !file_settle(file, cx))
        return FUT_PENDING;
    *res = file->werr_;
    file->werr_ = 0;
    return FUT_READY;
}

static void
file_note(struct fut_file *file, struct fut_reg *reg)
{
    reg->id = file->busy_ != NULL ? file->last_id_ : 0;
}

static void
file_forget_reg(struct fut_file *file, const struct fut_reg *reg)
{
    /* The op runs on; its `done` flag tells the next poll. */
    if (file->busy_ != NULL && reg->id != 0 && reg->id == file->reg_id_)
        job_unregister(&file->busy_->job);
}

static void
file_forget(struct fut_file *file, const struct fut_waker *w)
{
    FUT__UNUSED(w);
    if (file->busy_ != NULL)
        job_unregister(&file->busy_->job);
}

static void
file_note_read(struct fut_async_read *self, struct fut_reg *reg)
{
    file_note(file_of_reader(self), reg);
}

static void
file_forget_read_reg(struct fut_async_read *self, const struct fut_reg *reg)
{
    file_forget_reg(file_of_reader(self), reg);
}

static void
file_forget_read(struct fut_async_read *self, const struct fut_waker *w)
{
    file_forget(file_of_reader(self), w);
}

static void
file_note_write(struct fut_async_write *self, struct fut_reg *reg)
{
    file_note(file_of_writer(self), reg);
}

static void
file_forget_write_reg(struct fut_async_write *self, const struct fut_reg *reg)
{
    file_forget_reg(file_of_writer(self), reg);
}

static void
file_forget_write(struct fut_async_write *self, const struct fut_waker *w)
{
    file_forget(file_of_writer(self), w);
}

static const struct fut_async_read_vtable file_read_vtable = {
    .version = 3,
    .poll_read = file_poll_read,
    .forget_read = file_forget_read,
    .note_read = file_note_read,
    .forget_read_reg = file_forget_read_reg,
};

static const struct fut_async_write_vtable file_write_vtable = {
    .version = 3,
    .poll_write = file_poll_write,
    .poll_flush = file_poll_flush,
    .poll_close = file_poll_flush,
    .forget_write = file_forget_write,
    .note_write = file_note_write,
    .forget_write_reg = file_forget_write_reg,
};

int
fut_file_from_fd(struct fut_file *file, int fd,
                 enum fut_fd_flags ownership)
{
    struct stat st;
    int own;

    if (file == NULL)
        return -EINVAL;
    memset(file, 0, sizeof *file);
    file->reader.vtable = &file_read_vtable;
    file->writer.vtable = &file_write_vtable;
    file->fd_ = -1;
    if (ownership != FUT_FD_OWN && ownership != FUT_FD_BORROW)
        return -EINVAL;
    if (fd < 0)
        return -EBADF;
    if (fut__sys.fstat(fd, &st) != 0)
        return fut__os_err();
    if (S_ISDIR(st.st_mode))
        return -EISDIR;
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        return -EINVAL;
    own = fd;
    if (ownership == FUT_FD_BORROW) {
        /* A duplicate of our own: a read or write that still runs after
         * fut_file_close() must never meet a number the caller closed
         * and the process reused. */
        own = fut__sys.fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (own < 0)
            return fut__os_err();
    }
    file->fd_ = own;
    file->own_ = 1;
    return 0;
}

int64_t
fut_file_seek(struct fut_file *file, int64_t off, int whence)
{
    struct stat st;
    int64_t base;

    if (file == NULL)
        return -EINVAL;
    if (file->fd_ < 0)
        return -EBADF;
    switch (whence) {
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = file->pos_;
        break;
    case SEEK_END:
        if (fut__sys.fstat(file->fd_, &st) != 0)
            return fut__os_err();
        base = (int64_t)st.st_size;
        break;
    default:
        return -EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -EINVAL;
    file->pos_ = base + off;
    /* Read-ahead (buffered or in flight) was for the old position. */
    file->gen_++;
    if (file->data_ != NULL) {
        file_recycle(file, file->data_);
        file->data_ = NULL;
    }
    return file->pos_;
}

int64_t
fut_file_tell(const struct fut_file *file)
{
    if (file == NULL)
        return -EINVAL;
    return file->fd_ < 0 ? -EBADF : file->pos_;
}

int
fut_file_fd(const struct fut_file *file)
{
    return file != NULL ? file->fd_ : -1;
}

int
fut_file_close(struct fut_file *file)
{
    struct fut__file_op *op;
    int fd;

    if (file == NULL)
        return -EINVAL;
    if (file->fd_ < 0)
        return -EBADF;
    fd = file->fd_;
    file->fd_ = -1;
    op = file->busy_;
    file->busy_ = NULL;
    if (op != NULL) {
        /* A queued read is simply dropped; a read that runs, or any write
         * (accepted bytes must still land), keeps the descriptor until it
         * is over: the job closes it. */
        job_unregister(&op->job);
        if (op->kind == FOP_READ && fut__job_cancel(&op->job)) {
            fut__job_unref(&op->job);
        } else {
            if (file->own_) {
                op->close_fd = fd;
                fd = -1;
            }
            /* The job still holds the pool's reference here, unless it
             * has finished: then ours is the last and closes at once. */
            fut__job_unref(&op->job);
        }
    }
    if (file->data_ != NULL)
        fut__job_unref(&file->data_->job);
    if (file->spare_ != NULL)
        fut__job_unref(&file->spare_->job);
    file->data_ = file->spare_ = NULL;
    if (fd >= 0 && file->own_)
        fut__os_close(fd);
    return 0;
}
