/* SPDX-License-Identifier: MIT */
/* File-system calls as futures, directory streams and async regular files. */
#ifndef FUTURES_FS_H
#define FUTURES_FS_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fd.h"
#include "future.h"
#include "io.h"
#include "stream.h"

FUT__BEGIN_DECLS

/*
 * Regular files are always "ready" to poll(2) and epoll refuses them, so a
 * read of a cold file would stall the whole runtime. Every call here runs
 * on the runtime's blocking pool (futures/blocking.h) instead, and its
 * future completes on the runtime's thread.
 *
 * Each operation is one allocation made at init, holding copies of the
 * inputs (paths, the bytes to write) and a buffer of its own for the bytes
 * read. Outputs (bytes read, a struct stat, a resolved path) are copied to
 * the caller's memory only by the READY poll, on the runtime's thread. So
 * a future may be dropped in any state, even while its call runs on a pool
 * thread: the call finishes there and its allocation goes with it, and
 * nothing is ever written into the caller's memory after the drop. A
 * descriptor that open() produced for a future dropped before READY is
 * closed by the pool.
 *
 * Every future here is polled and dropped on the runtime's thread, and may
 * be moved until its first poll (it is pinned from then on). Lengths over
 * 1 GiB are -EINVAL.
 */

/* ---- one call as a future ----------------------------------------------- */

/* Private. */
struct fut__fs_job;

/**
 * struct fut_fs - one file-system call on the blocking pool.
 * @res:  after READY: the call's value (a descriptor for open, a byte
 *        count for read/write/pread/pwrite/realpath/read_file, else 0), or
 *        a negative errno: the call's own (-ENOENT, -EACCES, -EISDIR...),
 *        or -EINVAL (polled without a runtime in the context), -ENOMEM,
 *        -EAGAIN (no pool thread could start), -ESHUTDOWN (runtime
 *        closing).
 * @data: after a READY fut_fs_read_file_init() future with @res >= 0, the
 *        file's bytes (@res of them, plus a terminating NUL byte not
 *        counted), moved to the caller: release with fut_mem_free().
 *        NULL otherwise.
 *
 * Result (fut_future_result()): @res when negative, else 0.
 *
 * Each init function below returns 0, or a negative errno for bad
 * arguments; on error @f (when not NULL) is still a future, one that is
 * READY with that error in @res at its first poll, so it may be polled or
 * dropped as any other. Nothing is submitted before the first poll.
 */
struct fut_fs {
    struct fut_future base;
    ssize_t res;
    void *data;
    /* private */
    struct fut__fs_job *job_;
    void *out_;
    size_t out_len_;
    int state_;
};

/**
 * fut_fs_open_init - open(2) @path (copied) with @flags and @mode; the
 * descriptor is always close-on-exec (O_CLOEXEC is added). READY with @res
 * the new descriptor, owned by the caller. Init errors: -EINVAL for NULL,
 * an empty path or an access mode other than O_RDONLY, O_WRONLY, O_RDWR;
 * -ENAMETOOLONG for a path of PATH_MAX bytes or more.
 */
FUT_API int fut_fs_open_init(struct fut_fs *f, const char *path, int flags,
                             mode_t mode);

/**
 * fut_fs_close_init - close(2) @fd on the pool (a close may block, on NFS
 * for instance). The descriptor is gone when the future is READY, or when
 * the call has run after a drop; a future dropped before it was submitted
 * or while queued leaves @fd open. Init errors: -EINVAL (NULL), -EBADF
 * (@fd < 0).
 */
FUT_API int fut_fs_close_init(struct fut_fs *f, int fd);

/**
 * fut_fs_read_init - read(2) up to @len bytes from @fd at its file offset
 * into @buf. @buf is borrowed until READY or drop and written only by the
 * READY poll. READY with @res bytes (0 at end of file). A read dropped
 * while it runs still moves the descriptor's offset. @len == 0 is READY
 * with 0 without a call. Init errors: -EINVAL (NULL @f, NULL @buf with
 * @len > 0, @len over 1 GiB), -EBADF (@fd < 0), -ENOMEM.
 */
FUT_API int fut_fs_read_init(struct fut_fs *f, int fd, void *buf, size_t len);

/**
 * fut_fs_write_init - write(2) @len bytes of @buf (copied at init) to @fd at
 * its file offset. READY with @res bytes written (possibly short, as
 * write(2)). Errors as fut_fs_read_init().
 */
FUT_API int fut_fs_write_init(struct fut_fs *f, int fd, const void *buf,
                              size_t len);

/**
 * fut_fs_pread_init - pread(2) up to @len bytes at offset @off; as
 * fut_fs_read_init(), and -EINVAL for @off < 0.
 */
FUT_API int fut_fs_pread_init(struct fut_fs *f, int fd, void *buf, size_t len,
                              int64_t off);

/**
 * fut_fs_pwrite_init - pwrite(2) @len bytes (copied) at offset @off; as
 * fut_fs_write_init(), and -EINVAL for @off < 0.
 */
FUT_API int fut_fs_pwrite_init(struct fut_fs *f, int fd, const void *buf,
                               size_t len, int64_t off);

/** fut_fs_fsync_init - fsync(2) @fd. Init errors: -EINVAL, -EBADF. */
FUT_API int fut_fs_fsync_init(struct fut_fs *f, int fd);

/** fut_fs_fdatasync_init - fdatasync(2) @fd. Init errors: -EINVAL, -EBADF. */
FUT_API int fut_fs_fdatasync_init(struct fut_fs *f, int fd);

/**
 * fut_fs_ftruncate_init - ftruncate(2) @fd to @len bytes. Init errors:
 * -EINVAL (NULL, @len < 0), -EBADF.
 */
FUT_API int fut_fs_ftruncate_init(struct fut_fs *f, int fd, int64_t len);

/**
 * fut_fs_stat_init - stat(2) @path (copied); the READY poll fills @st
 * (borrowed until READY or drop) when @res is 0. Init errors: -EINVAL
 * (NULL @f, @path or @st, empty path), -ENAMETOOLONG, -ENOMEM.
 */
FUT_API int fut_fs_stat_init(struct fut_fs *f, const char *path,
                             struct stat *st);

/** fut_fs_lstat_init - lstat(2): as fut_fs_stat_init(), links not followed. */
FUT_API int fut_fs_lstat_init(struct fut_fs *f, const char *path,
                              struct stat *st);

/**
 * fut_fs_fstat_init - fstat(2) @fd into @st; init errors -EINVAL (NULL),
 * -EBADF (@fd < 0).
 */
FUT_API int fut_fs_fstat_init(struct fut_fs *f, int fd, struct stat *st);

/** fut_fs_unlink_init - unlink(2) @path (copied). Init errors as stat. */
FUT_API int fut_fs_unlink_init(struct fut_fs *f, const char *path);

/** fut_fs_rename_init - rename(2) @from to @to (both copied). */
FUT_API int fut_fs_rename_init(struct fut_fs *f, const char *from,
                               const char *to);

/** fut_fs_mkdir_init - mkdir(2) @path (copied) with @mode. */
FUT_API int fut_fs_mkdir_init(struct fut_fs *f, const char *path, mode_t mode);

/** fut_fs_rmdir_init - rmdir(2) @path (copied). */
FUT_API int fut_fs_rmdir_init(struct fut_fs *f, const char *path);

/**
 * fut_fs_realpath_init - realpath(3) of @path (copied): the READY poll
 * copies the canonical path, NUL-terminated, to @out (borrowed until READY
 * or drop) and @res is its length. -ERANGE when it does not fit in @size
 * bytes (nothing is truncated: @out is then left unchanged); -ENOENT,
 * -ENAMETOOLONG, -ELOOP... as realpath(3). Init errors: -EINVAL (NULL, an
 * empty path, @size == 0), -ENAMETOOLONG, -ENOMEM.
 */
FUT_API int fut_fs_realpath_init(struct fut_fs *f, const char *path,
                                 char *out, size_t size);

/**
 * fut_fs_read_file_init - read all of @path (copied) into a new buffer,
 * @f->data after READY (@res bytes, NUL-terminated, release with
 * fut_mem_free()). A file larger than @max bytes is -EFBIG (never
 * truncated); a directory is -EISDIR. @max is 1 byte to 1 GiB: 0, or more
 * than 1 GiB, is -EINVAL at init. A file that grows while it is read is -EFBIG if it
 * passes @max, otherwise read up to where its end was.
 */
FUT_API int fut_fs_read_file_init(struct fut_fs *f, const char *path,
                                  size_t max);

/**
 * fut_fs_write_file_init - write the @len bytes of @buf (copied at init) to
 * @path, created with @mode if missing and truncated. READY with @res 0,
 * or -errno (a partial write leaves a partial file). @len == 0 makes an
 * empty file. Init errors: -EINVAL (NULL @f or @path, NULL @buf with
 * @len > 0, @len over 1 GiB, empty path), -ENAMETOOLONG, -ENOMEM.
 */
FUT_API int fut_fs_write_file_init(struct fut_fs *f, const char *path,
                                   const void *buf, size_t len, mode_t mode);

/* ---- directories ------------------------------------------------------------- */

/** Longest entry name, in bytes, without the NUL (NAME_MAX on Linux). */
#define FUT_FS_NAME_MAX 255

/**
 * struct fut_dirent - one directory entry, the item of a readdir stream.
 * @type: the d_type of readdir(3): DT_REG, DT_DIR, DT_LNK..., or DT_UNKNOWN
 *        where the file system does not say (then use lstat).
 * @name: the entry's name, NUL-terminated ("." and ".." never appear).
 */
struct fut_dirent {
    unsigned char type;
    char name[FUT_FS_NAME_MAX + 1];
};

/* Private. */
struct fut__dir_job;

/**
 * struct fut_fs_readdir - the entries of a directory as a stream (@stream)
 * whose items are struct fut_dirent. Entries are read in batches, each a
 * job on the blocking pool; polls between batches take no syscall. Fields
 * are private.
 */
struct fut_fs_readdir {
    struct fut_stream stream;
    /* private */
    struct fut__dir_job *job_;
    unsigned int pos_;
    int state_;
    uint32_t reg_id_;
};

/**
 * fut_fs_readdir_init - a stream of the entries of directory @path
 * (copied); nothing is opened before the first poll. poll_next: READY with
 * *res = 1 and the entry in the struct fut_dirent @item, 0 at the end (and
 * after), or a negative errno once (-ENOENT, -ENOTDIR, -EACCES, -ENOMEM,
 * -ESHUTDOWN...), after which the stream ends. Order is the file system's.
 * Init errors: -EINVAL (NULL, empty path), -ENAMETOOLONG, -ENOMEM; on error
 * @d (when not NULL) is a stream that reports it at its first poll and
 * must still be closed.
 */
FUT_API int fut_fs_readdir_init(struct fut_fs_readdir *d, const char *path);

/**
 * fut_fs_readdir_close - release @d in any state; the directory is closed
 * (by the pool thread, if a batch is being read now). Runtime thread.
 * NULL or a closed stream: nothing. Cannot fail.
 */
FUT_API void fut_fs_readdir_close(struct fut_fs_readdir *d);

/* ---- files as AsyncRead / AsyncWrite ----------------------------------------- */

/* Private. */
struct fut__file_op;

/**
 * struct fut_file - a regular file with a position, readable (@reader)
 * and writable (@writer) as any AsyncRead/AsyncWrite, through the
 * blocking pool. Fields are private.
 *
 * A read of bytes the page cache holds is made at once, on the runtime's
 * thread, into the caller's buffer: preadv2(2) with RWF_NOWAIT (Linux
 * 4.14), which never waits for the device; it answers "would block" for
 * anything else, and then the read goes to the pool. (Without RWF_NOWAIT,
 * every read goes to the pool.)
 * Reads on the pool go through a buffer of the file's own: a poll_read
 * that returns PENDING has a pread(2) running on the pool, and the bytes it brings are
 * kept for the next poll_read, so a dropped read loses nothing (reads are
 * cancel-safe), and the caller's buffer is only written during a poll.
 * Without RWF_NOWAIT, while the caller consumes one chunk the next one is
 * already being read on the pool (read-ahead, after a read that filled its
 * chunk); with it, the kernel's read-ahead fills the page cache and the
 * next read takes the bytes from there.
 * Writes are taken at once: poll_write copies up to 4 MiB of the caller's
 * bytes, starts their pwrite(2) and is READY with that count; the next
 * poll of any kind waits for it, and an error it met is reported by that
 * next poll_write, poll_flush, poll_close or poll_read (as tokio's File).
 * poll_flush and poll_close wait for the write in flight: after them every
 * accepted byte has reached the kernel (not the disk: use fut_fs_fsync_init()
 * on fut_file_fd()). poll_close does not close the file.
 *
 * Ready reads and writes spend the task's coop budget (fut_coop_proceed()),
 * so a task reading a cached file in a loop still lets others run.
 * The file keeps one buffer of its last pool read or write (64 KiB to
 * 4 MiB) for reuse until it is closed.
 * One task at a time uses a file (its read and write share one waker slot).
 * Poll, seek and close on the runtime's thread.
 */
struct fut_file {
    struct fut_async_read reader;
    struct fut_async_write writer;
    /* private */
    int fd_;
    int own_;
    int64_t pos_;
    struct fut__file_op *busy_;   /* submitted to the pool */
    struct fut__file_op *data_;   /* read bytes not yet consumed */
    struct fut__file_op *spare_;  /* idle, for reuse */
    ssize_t werr_;                /* error of the last write, unreported */
    uint32_t gen_;                /* bumped by seek: stale reads are dropped */
    uint32_t reg_id_;
    uint32_t last_id_;            /* registration of the last PENDING, or 0 */
    int no_nowait_;               /* RWF_NOWAIT unsupported here */
};

/**
 * fut_file_from_fd - make @file a file object on @fd, a regular file (or a
 * block device) open for reading, writing or both, at position 0.
 * FUT_FD_OWN moves @fd into @file (closed by fut_file_close()); with
 * FUT_FD_BORROW the file works on a duplicate of @fd (close-on-exec), so
 * the caller's descriptor stays open and may be closed at any time.
 * Returns 0; -EINVAL (NULL @file, bad @ownership, a descriptor that is not
 * a regular file or block device: pipes, sockets and terminals are
 * pollable and have their own objects), -EISDIR (a directory), -EBADF
 * (@fd not open), -EMFILE (no descriptor for the duplicate). On error
 * @fd stays the caller's and @file (when not NULL) is a closed file whose
 * polls answer -EBADF. Runtime or any thread before first use.
 */
FUT_API int fut_file_from_fd(struct fut_file *file, int fd,
                             enum fut_fd_flags ownership);

/**
 * fut_file_seek - set the position to @off from the start (SEEK_SET), the
 * position (SEEK_CUR) or the end (SEEK_END, one fstat(2): call flush first
 * so that the size includes writes in flight). Unconsumed read-ahead is
 * dropped. Returns the new position, or -EINVAL (NULL, bad @whence, a
 * position < 0 or overflowing), -EBADF (closed), or fstat's error.
 */
FUT_API int64_t fut_file_seek(struct fut_file *file, int64_t off, int whence);

/** fut_file_tell - the position (-EINVAL for NULL, -EBADF when closed). */
FUT_API int64_t fut_file_tell(const struct fut_file *file);

/** fut_file_fd - the descriptor @file works on, or -1 (NULL or closed). */
FUT_API int fut_file_fd(const struct fut_file *file);

/**
 * fut_file_close - close @file: buffers are released and, when the file
 * owns it, the descriptor is closed (by the pool thread if a read or write
 * is in flight, right after it: an accepted write still reaches the file,
 * but its error is lost, so flush first to learn it). Futures that borrow @file must be dropped first. Returns 0, or
 * -EINVAL (NULL), -EBADF (already closed). Runtime thread.
 */
FUT_API int fut_file_close(struct fut_file *file);

FUT__END_DECLS

#endif /* FUTURES_FS_H */
