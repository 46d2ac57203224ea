/* SPDX-License-Identifier: MIT */
/* compat/uv: libuv requests (connect, shutdown, getaddrinfo, fs, work) as futures. */
#ifndef FUTURES_COMPAT_UV_REQ_H
#define FUTURES_COMPAT_UV_REQ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <uv.h>

#include <futures/future.h>

FUT__BEGIN_DECLS

/*
 * Common to every future in this header (see docs/compat.md):
 *
 * - init stores its arguments and allocates nothing; the libuv request is
 *   issued by the first poll, in ONE allocation per operation (libuv
 *   programs allocate a request per operation too). Strings (paths, pipe
 *   names, host and service) and the hints are borrowed until the first
 *   poll (libuv copies them when the request is issued); a socket address
 *   is copied by init. A future may be moved until its first poll.
 * - init returns 0 or -EINVAL (bad arguments, listed per function); on
 *   failure the future is left dropped (polling it is READY at once and
 *   changes nothing, dropping it does nothing).
 * - Poll and drop on the thread that runs the loop (a task of a runtime
 *   attached to it with fut_uv_attach(), or fut_block_on() of that
 *   runtime). PENDING: the request is in flight; libuv's callback, on the
 *   loop's thread, wakes the waker. READY results are 0, a count or an fd,
 *   or a negative errno (libuv's UV_E* codes are negative errnos on Unix;
 *   its own codes with no errno, -3000 and below, become -EIO, and
 *   getaddrinfo's UV_EAI_* are mapped as fut_eai_to_errno() maps EAI_*).
 * - Drop in any state is safe. Before the first poll or after READY it
 *   frees what the future holds. While the request is in flight, the
 *   request is cancelled where libuv can (uv_cancel(): fs, getaddrinfo and
 *   work requests that no pool thread took yet) and in every case the
 *   record is orphaned: libuv's callback comes later (UV_ECANCELED when
 *   the cancel succeeded), touches nothing of the future or the caller's
 *   memory, and frees the record (and a getaddrinfo result). So the loop
 *   must be run (or closed after uv_walk()-closing its handles and running
 *   it) for that memory to be freed; uv_loop_close() answers UV_EBUSY
 *   while such a request is pending, as for any libuv request.
 */

struct fut__uvr;

/** Private: the arguments init stores for the first poll. */
struct fut__uvop {
    int kind;
    int state; /* 0 not issued, 1 in flight, 2 READY */
    struct fut__uvr *rec;
    uv_loop_t *loop;
    void *h;
    const char *s1, *s2;
    const struct addrinfo *hints;
    void *rbuf;
    const void *wbuf;
    size_t len;
    int64_t off;
    int flags, mode;
    uv_file file;
    int (*work)(void *arg);
    void (*release)(void *arg);
    void *arg;
    struct sockaddr_storage addr;
};

/** Largest @len an fs read or write accepts (libuv counts in unsigned). */
#define FUT_UV_FS_MAX_LEN ((size_t)1 << 30)

/* ---- connect and shutdown -------------------------------------------------- */

/**
 * struct fut_uv_connect - uv_tcp_connect() or uv_pipe_connect() on a
 * handle the program initialised (uv_tcp_init(), uv_pipe_init()).
 * @res: after READY, 0 (connected: the handle is readable and writable)
 *       or a negative errno: -ECONNREFUSED, -ENOENT (no such socket path),
 *       -ETIMEDOUT, -EBADF (the handle was closing or closed when the
 *       first poll came, or the program closed it while connecting: libuv
 *       then completes the request with UV_ECANCELED), -EALREADY,
 *       -EISCONN, ...
 * @op:  private.
 *
 * A connect cannot be cancelled. Dropping it in flight absorbs its
 * completion; the handle is left connecting, then connected or failed,
 * and the program cannot tell which without asking the socket: close it
 * (uv_close()), which also ends the request at once.
 */
struct fut_uv_connect {
    struct fut_future base;
    int res;
    struct fut__uvop op;
};

/**
 * fut_uv_tcp_connect_init - connect the TCP handle @h (borrowed; it must
 * stay open until READY or drop) to @addr (AF_INET or AF_INET6, copied).
 * Returns 0 or -EINVAL (NULL @f, @h or @addr, @h not a TCP handle, another
 * address family).
 */
FUT_API int fut_uv_tcp_connect_init(struct fut_uv_connect *f, uv_tcp_t *h,
                                    const struct sockaddr *addr);

/**
 * fut_uv_pipe_connect_init - connect the pipe handle @h (borrowed) to the
 * Unix socket path @name (borrowed until the first poll). Returns 0 or
 * -EINVAL (NULL @f, @h or @name, an empty @name, @h not a pipe handle) or
 * -ENAMETOOLONG (@name does not fit a sockaddr_un: never truncated).
 */
FUT_API int fut_uv_pipe_connect_init(struct fut_uv_connect *f, uv_pipe_t *h,
                                     const char *name);

/**
 * struct fut_uv_shutdown - uv_shutdown(): the write side is shut down once
 * the writes queued before it went out.
 * @res: after READY, 0 or a negative errno: -ENOTCONN (not writable,
 *       already shut down or shutting down), -EBADF (closing or closed
 *       handle; closed under the request), -EPIPE, ...
 * @op:  private.
 * Not cancellable: a drop in flight absorbs the completion; the shutdown
 * still happens.
 */
struct fut_uv_shutdown {
    struct fut_future base;
    int res;
    struct fut__uvop op;
};

/**
 * fut_uv_shutdown_init - shut down the write side of @h (a TCP, pipe or
 * TTY stream, borrowed). Returns 0 or -EINVAL (NULL @f or @h, @h not a
 * stream handle).
 */
FUT_API int fut_uv_shutdown_init(struct fut_uv_shutdown *f, uv_stream_t *h);

/* ---- getaddrinfo ----------------------------------------------------------- */

/**
 * struct fut_uv_getaddrinfo - uv_getaddrinfo() on libuv's thread pool.
 * @res:   after READY, 0 or a negative errno (UV_EAI_NONAME -> -ENOENT,
 *         UV_EAI_AGAIN -> -EAGAIN, UV_EAI_SERVICE -> -EPROTONOSUPPORT,
 *         ... as fut_eai_to_errno(); -ENOMEM).
 * @uverr: after READY, libuv's own status (UV_EAI_NONAME, ...), or 0.
 * @ai:    after READY with @res 0, the list (never NULL). It is the
 *         caller's: free it with uv_freeaddrinfo(). Drop does not free it.
 * @op:    private.
 * A drop in flight cancels the lookup if it is still queued; a lookup
 * already running ends on its pool thread and its list is freed by the
 * callback.
 */
struct fut_uv_getaddrinfo {
    struct fut_future base;
    int res;
    int uverr;
    struct addrinfo *ai;
    struct fut__uvop op;
};

/**
 * fut_uv_getaddrinfo_init - look up @node and/or @service with @hints
 * (may be NULL) on @loop. All three are borrowed until the first poll.
 * Returns 0 or -EINVAL (NULL @f or @loop, both @node and @service NULL).
 */
FUT_API int fut_uv_getaddrinfo_init(struct fut_uv_getaddrinfo *f,
                                    uv_loop_t *loop, const char *node,
                                    const char *service,
                                    const struct addrinfo *hints);

/* ---- the file system ------------------------------------------------------- */

/**
 * struct fut_uv_fs - one uv_fs_* request on libuv's thread pool.
 * @res:     after READY, what the call returns: a descriptor (open), a
 *           byte count (read: 0 at end of file; write), 0 (the rest), or
 *           a negative errno (-ENOENT, -EEXIST, -EISDIR, -ENOTDIR,
 *           -EACCES, -EBADF, -ENOTEMPTY, -ECANCELED, ...).
 * @statbuf: after READY with @res 0 for stat, fstat and lstat: the result.
 * @op:      private.
 *
 * Reads go into a buffer of the record's own (at most @len bytes) that the
 * poll returning READY copies into the caller's buffer; writes copy the
 * caller's bytes into the record at the first poll. So the caller's buffer
 * is only touched by polls: a read dropped in flight never writes into it
 * (the memory may be freed right after the drop). A write dropped in
 * flight may still happen (if a pool thread took it); a read or write that
 * uv_cancel() caught does not happen at all.
 */
struct fut_uv_fs {
    struct fut_future base;
    ssize_t res;
    uv_stat_t statbuf;
    struct fut__uvop op;
};

/**
 * fut_uv_fs_*_init - one future per call, named after libuv's. @loop runs
 * the request; paths are borrowed until the first poll.
 * Each returns 0 or -EINVAL: NULL @f, @loop or path, an empty path, a
 * negative @file, a NULL buffer with a nonzero @len, @len over
 * FUT_UV_FS_MAX_LEN, an @off below -1 (-1 reads or writes at the file's
 * position). A read or write of 0 bytes is READY with 0 at its first poll
 * without a request (nothing is allocated).
 */
FUT_API int fut_uv_fs_open_init(struct fut_uv_fs *f, uv_loop_t *loop,
                                const char *path, int flags, int mode);
FUT_API int fut_uv_fs_close_init(struct fut_uv_fs *f, uv_loop_t *loop,
                                 uv_file file);
FUT_API int fut_uv_fs_read_init(struct fut_uv_fs *f, uv_loop_t *loop,
                                uv_file file, void *buf, size_t len,
                                int64_t off);
FUT_API int fut_uv_fs_write_init(struct fut_uv_fs *f, uv_loop_t *loop,
                                 uv_file file, const void *buf, size_t len,
                                 int64_t off);
FUT_API int fut_uv_fs_stat_init(struct fut_uv_fs *f, uv_loop_t *loop,
                                const char *path);
FUT_API int fut_uv_fs_lstat_init(struct fut_uv_fs *f, uv_loop_t *loop,
                                 const char *path);
FUT_API int fut_uv_fs_fstat_init(struct fut_uv_fs *f, uv_loop_t *loop,
                                 uv_file file);
FUT_API int fut_uv_fs_unlink_init(struct fut_uv_fs *f, uv_loop_t *loop,
                                  const char *path);
FUT_API int fut_uv_fs_mkdir_init(struct fut_uv_fs *f, uv_loop_t *loop,
                                 const char *path, int mode);
FUT_API int fut_uv_fs_rmdir_init(struct fut_uv_fs *f, uv_loop_t *loop,
                                 const char *path);
FUT_API int fut_uv_fs_rename_init(struct fut_uv_fs *f, uv_loop_t *loop,
                                  const char *path, const char *new_path);
FUT_API int fut_uv_fs_fsync_init(struct fut_uv_fs *f, uv_loop_t *loop,
                                 uv_file file);
/** @off: the new length (>= 0, else -EINVAL). */
FUT_API int fut_uv_fs_ftruncate_init(struct fut_uv_fs *f, uv_loop_t *loop,
                                     uv_file file, int64_t off);

/* ---- work ------------------------------------------------------------------ */

/**
 * struct fut_uv_work - uv_queue_work(): @work(arg) runs on libuv's thread
 * pool; the future is READY on the loop's thread.
 * @res: after READY, what @work returned (any int; fut_future_result()
 *       gives it when negative, else 0), or -ECANCELED (never: only a
 *       drop cancels), or a negative errno from uv_queue_work().
 * @op:  private.
 * A drop while queued cancels the work (it never runs); a drop while it
 * runs lets it run to its end. Either way @release(arg), if given, is the
 * moment the program may free @arg.
 */
struct fut_uv_work {
    struct fut_future base;
    int res;
    struct fut__uvop op;
};

/**
 * fut_uv_queue_work_init - run @work(@arg) on @loop's thread pool.
 * @release: NULL, or called once on the loop's thread when @work will
 *   never run (again): from libuv's after-work callback (the work ended or
 *   was cancelled; before the READY poll, or after a drop), from a drop
 *   before the first poll, or from the first poll if uv_queue_work()
 *   failed. Never called when init fails.
 * @arg is borrowed until then.
 * Returns 0 or -EINVAL (NULL @f, @loop or @work).
 */
FUT_API int fut_uv_queue_work_init(struct fut_uv_work *f, uv_loop_t *loop,
                                   int (*work)(void *arg), void *arg,
                                   void (*release)(void *arg));

FUT__END_DECLS

#endif /* FUTURES_COMPAT_UV_REQ_H */
