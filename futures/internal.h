/* SPDX-License-Identifier: MIT */
/* Declarations shared between libfutures sources; never installed. */
#ifndef FUTURES_INTERNAL_H
#define FUTURES_INTERNAL_H

#ifdef __linux__
#include <sys/epoll.h>  /* the epoll backend's calls, in the syscall table */
#endif
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "futures.h"
#include "futures/backend.h"

/* Internal functions with external linkage are fut__*; they are not
 * exported from the shared libraries (-export-symbols-regex '^fut_[^_]'). */
#define FUT__HIDDEN __attribute__((visibility("hidden")))

#define FUT__UNUSED(x) ((void)(x))
#define FUT__LIKELY(x) __builtin_expect(!!(x), 1)
#define FUT__UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Largest size accepted for buffers, capacities and element sizes. */
#define FUT__MAX_SIZE ((size_t)1 << 30)

/* ---- allocation (alloc.c) ---------------------------------------------- */

FUT__HIDDEN void *fut__malloc(size_t size);
FUT__HIDDEN void *fut__calloc(size_t n, size_t size);
FUT__HIDDEN void fut__free(void *ptr);

/* ---- system calls (sys.c) -----------------------------------------------
 * Every syscall the core and the backends make for I/O goes through this
 * table (SQLite's aSyscall), so tests can inject EINTR, EAGAIN, ENOMEM...
 * The functions follow the libc convention (-1 and errno). There is one
 * table, in libfutures: backends reach it through the exported fut_sys_*
 * wrappers of futures/backend.h (backend_api.c), never through this
 * hidden symbol, which would not cross a shared-library boundary. */
struct fut__syscalls {
    ssize_t (*read)(int fd, void *buf, size_t len);
    ssize_t (*write)(int fd, const void *buf, size_t len);
    ssize_t (*readv)(int fd, const struct iovec *iov, int iovcnt);
    ssize_t (*writev)(int fd, const struct iovec *iov, int iovcnt);
    int (*socket)(int domain, int type, int protocol);
    int (*accept4)(int fd, struct sockaddr *addr, socklen_t *len, int flags);
    int (*connect)(int fd, const struct sockaddr *addr, socklen_t len);
    int (*close)(int fd);
    int (*epoll_ctl)(int epfd, int op, int fd, struct epoll_event *ev);
    int (*epoll_wait)(int epfd, struct epoll_event *ev, int max, int ms);
    /* sockets (tcp.c, udp.c, unix.c) */
    int (*socketpair)(int domain, int type, int protocol, int sv[2]);
    int (*bind)(int fd, const struct sockaddr *addr, socklen_t len);
    int (*listen)(int fd, int backlog);
    int (*setsockopt)(int fd, int level, int name, const void *val,
                      socklen_t len);
    int (*getsockopt)(int fd, int level, int name, void *val,
                      socklen_t *len);
    ssize_t (*send)(int fd, const void *buf, size_t len, int flags);
    ssize_t (*sendmsg)(int fd, const struct msghdr *msg, int flags);
    ssize_t (*recvmsg)(int fd, struct msghdr *msg, int flags);
    /* descriptors (fd.c, process.c, signal.c) */
    int (*pipe2)(int fds[2], int flags);
    int (*fcntl)(int fd, int cmd, long arg);
    /* files (fs.c; they run on pool threads) */
    int (*openat)(int dirfd, const char *path, int flags, mode_t mode);
    ssize_t (*pread)(int fd, void *buf, size_t len, off_t off);
    ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off);
    off_t (*lseek)(int fd, off_t off, int whence);
    int (*fsync)(int fd);
    int (*fdatasync)(int fd);
    int (*fstat)(int fd, struct stat *st);
    int (*stat)(const char *path, struct stat *st);
    int (*lstat)(const char *path, struct stat *st);
    int (*ftruncate)(int fd, off_t len);
    int (*unlink)(const char *path);
    int (*rename)(const char *from, const char *to);
    int (*mkdir)(const char *path, mode_t mode);
    int (*rmdir)(const char *path);
    DIR *(*opendir)(const char *path);
    struct dirent *(*readdir)(DIR *dir);
    int (*closedir)(DIR *dir);
    char *(*realpath)(const char *path, char *resolved);
    /* names (dns.c; pool threads). They return EAI_* codes, as libc's. */
    int (*getaddrinfo)(const char *node, const char *service,
                       const struct addrinfo *hints, struct addrinfo **res);
    int (*getnameinfo)(const struct sockaddr *addr, socklen_t len,
                       char *host, socklen_t hostlen, char *serv,
                       socklen_t servlen, int flags);
    /* processes and signals (process.c, signal.c) */
    int (*kill)(pid_t pid, int sig);
    pid_t (*waitpid)(pid_t pid, int *status, int options);
    int (*sigaction)(int sig, const struct sigaction *act,
                     struct sigaction *old);
    /* names (dns.c): frees what getaddrinfo above returned, so a test
     * that replaces one replaces both. */
    void (*freeaddrinfo)(struct addrinfo *ai);
    /* files (fs.c), issue 10: a read that must not block (RWF_NOWAIT);
     * through fut__os_pread_nowait() only. */
    ssize_t (*preadv2)(int fd, const struct iovec *iov, int iovcnt,
                       off_t off, int flags);
    /* processes, signals (process.c, signal.c; issue 10) */
    int (*pidfd_open)(pid_t pid, unsigned int flags);
    pid_t (*fork)(void);
    /* datagrams (udp.c, unix.c): cheaper in the kernel than the msghdr
     * forms, which they replace on the hot path */
    ssize_t (*sendto)(int fd, const void *buf, size_t len, int flags,
                      const struct sockaddr *addr, socklen_t alen);
    ssize_t (*recvfrom)(int fd, void *buf, size_t len, int flags,
                        struct sockaddr *addr, socklen_t *alen);
};
extern FUT__HIDDEN struct fut__syscalls fut__sys;
/* Restore the real functions (tests call it in teardown). */
FUT__HIDDEN void fut__sys_reset(void);

/* ---- the OS layer (os.c) -------------------------------------------------
 * Every call that is Linux-specific (accept4, SOCK_NONBLOCK, pipe2,
 * signalfd, pidfd_open, MSG_NOSIGNAL...) is made here, with a portable
 * fallback beside it, so a port to another kernel is new code in one file.
 * All of them go through the syscall table. They return a descriptor, 0 or
 * a value, or -errno; never -1. */

/* A socket that is nonblocking and close-on-exec. */
FUT__HIDDEN int fut__os_socket(int domain, int type, int protocol);
/* accept(2) of a connection, nonblocking and close-on-exec. */
FUT__HIDDEN int fut__os_accept(int fd, struct sockaddr *addr,
                               socklen_t *len);
/* socketpair(2), both ends nonblocking (if @nonblock) and close-on-exec. */
FUT__HIDDEN int fut__os_socketpair(int domain, int type, int protocol,
                                   int sv[2], int nonblock);
/* pipe(2), both ends close-on-exec, nonblocking if @nonblock. */
FUT__HIDDEN int fut__os_pipe(int fds[2], int nonblock);
/* Set or clear O_NONBLOCK; *@was (may be NULL) receives 1 if it was set. */
FUT__HIDDEN int fut__os_set_nonblock(int fd, int on, int *was);
/* Set FD_CLOEXEC. */
FUT__HIDDEN int fut__os_set_cloexec(int fd);
/* The OS layer's Linux-only paths (os.c, sys.c). A build with
 * -DFUT_OS_PORTABLE leaves them out, and the feature tests beside them
 * fail, so that the fallbacks a port to another system runs are compiled
 * and run by the test suite on Linux (dev.sh's portable build). */
#if defined(__linux__) && !defined(FUT_OS_PORTABLE)
#define FUT__OS_LINUX 1
#else
#define FUT__OS_LINUX 0
#endif
#ifdef FUT_OS_PORTABLE
#define FUT__OS_FEATURES 0
#else
#define FUT__OS_FEATURES 1
#endif

/* Flags for send(2)/sendmsg(2) that keep a closed peer from raising
 * SIGPIPE (MSG_NOSIGNAL; 0 where the socket carries SO_NOSIGPIPE). */
#ifdef MSG_NOSIGNAL
#define FUT__OS_SEND_FLAGS MSG_NOSIGNAL
#else
#define FUT__OS_SEND_FLAGS 0
#endif
/* pidfd_open(2) (Linux 5.3): a close-on-exec descriptor that is readable
 * once @pid has exited; -ENOSYS where the kernel or libc has none. */
FUT__HIDDEN int fut__os_pidfd_open(pid_t pid);
/* close(2) that is never retried (the descriptor is gone either way). */
FUT__HIDDEN void fut__os_close(int fd);
/* -errno of the last failed call (-EIO if a test double left errno 0). */
FUT__HIDDEN int fut__os_err(void);
/* Files (fs.c): pread(2) of bytes that are in the page cache, without
 * blocking: the byte count (possibly short; 0 at end of file), -EAGAIN
 * when some must come from the device, -EOPNOTSUPP where the kernel or
 * the file system cannot say (no RWF_NOWAIT), or another -errno. */
FUT__HIDDEN ssize_t fut__os_pread_nowait(int fd, void *buf, size_t len,
                                         int64_t off);

/* ---- the OS layer: datagrams and Unix sockets (os.c; udp.c, unix.c) ---- */
/* Receive one datagram into @buf, its sender into @addr/@alen (both may
 * be NULL). Returns the bytes stored (<= @len) or -errno; *@full receives
 * the datagram's length (Linux: recvfrom(2) with MSG_TRUNC; elsewhere
 * recvmsg(2), and @len when MSG_TRUNC says it was cut) and *@trunc 1 when
 * it did not fit. EINTR is not retried here. */
FUT__HIDDEN ssize_t fut__os_recv_dgram(int fd, void *buf, size_t len,
                                       struct sockaddr *addr, socklen_t *alen,
                                       size_t *full, int *trunc);
/* Join (@join 1) or leave an IPv4 multicast group on interface @ifindex
 * (0: any). 0 or -errno; -ENOTSUP for an @ifindex where only ip_mreq
 * exists. */
struct in_addr;
FUT__HIDDEN int fut__os_mcast4(int fd, int join, const struct in_addr *group,
                               unsigned int ifindex);
/* IP_MULTICAST_IF: multicast datagrams sent leave by interface @ifindex
 * (0: the kernel's choice). 0 or -errno (-ENODEV: no such interface). */
FUT__HIDDEN int fut__os_mcast4_if(int fd, unsigned int ifindex);
/* The peer's credentials of a connected Unix stream socket (SO_PEERCRED);
 * -ENOTSUP where the OS has no such call. */
FUT__HIDDEN int fut__os_peer_cred(int fd, long *pid, long *uid, long *gid);

/* ---- datagrams (udp.c; unix.c uses them for Unix datagram sockets) ------
 * Readiness wait + one sendmsg/recvmsg over @io, as udp.h describes them;
 * no argument checks (the public wrappers make them). */
FUT__HIDDEN enum fut_poll fut__dgram_poll_send(struct fut_io *io,
                                               struct fut_context *cx,
                                               const void *buf, size_t len,
                                               const struct sockaddr *addr,
                                               socklen_t alen, ssize_t *res);
FUT__HIDDEN enum fut_poll fut__dgram_poll_recv(struct fut_io *io,
                                               struct fut_context *cx,
                                               void *buf, size_t len,
                                               struct fut_dgram_info *info,
                                               ssize_t *res);
FUT__HIDDEN ssize_t fut__dgram_try_send(struct fut_io *io, const void *buf,
                                        size_t len,
                                        const struct sockaddr *addr,
                                        socklen_t alen);
FUT__HIDDEN ssize_t fut__dgram_try_recv(struct fut_io *io, void *buf,
                                        size_t len,
                                        struct fut_dgram_info *info);
FUT__HIDDEN void fut__dgram_send_setup(struct fut_dgram_send *f,
                                       struct fut_io *io, const void *buf,
                                       size_t len,
                                       const struct sockaddr *addr,
                                       socklen_t alen);
FUT__HIDDEN void fut__dgram_recv_setup(struct fut_dgram_recv *f,
                                       struct fut_io *io, void *buf,
                                       size_t len,
                                       struct fut_dgram_info *info);

/* ---- byte streams over a struct fut_io (sockstream.c; tcp.c, unix.c, fd.c)
 * struct fut_tcp_stream, struct fut_unix_stream and struct fut_fd begin
 * with the same three members, reader, writer and io, at the same offsets
 * (sockstream.c asserts it). The core finds one member from another by
 * those offsets, so one set of trait functions serves the three types and
 * none of them is cast to another. The socket streams (TCP, Unix) share
 * the trait tables whole; fut_fd shares all but its reads (no short-read
 * drain: a terminal returns a line at a time) and its writes (write(2) with
 * SIGPIPE held off, for what is not a socket).
 *
 * Hot paths (the trait functions, try_read/try_write, poll_*_ready) are the
 * always-inline helpers below, so each caller compiles to one loop with its
 * syscall fixed, as a hand-written one; the rest are functions. */
#define FUT__ALWAYS_INLINE inline __attribute__((always_inline))

#define FUT__STREAM_READER_OFF offsetof(struct fut_tcp_stream, reader)
#define FUT__STREAM_WRITER_OFF offsetof(struct fut_tcp_stream, writer)
#define FUT__STREAM_IO_OFF offsetof(struct fut_tcp_stream, io)

static FUT__ALWAYS_INLINE struct fut_io *
fut__stream_reader_io(struct fut_async_read *r)
{
    return (struct fut_io *)(void *)((char *)r - FUT__STREAM_READER_OFF +
                                     FUT__STREAM_IO_OFF);
}

static FUT__ALWAYS_INLINE struct fut_io *
fut__stream_writer_io(struct fut_async_write *w)
{
    return (struct fut_io *)(void *)((char *)w - FUT__STREAM_WRITER_OFF +
                                     FUT__STREAM_IO_OFF);
}

/*
 * The readiness half of every read and write (of streams, and of udp.c's
 * datagrams): wait until @dir is ready and spend one unit of coop budget.
 * Returns FUT_READY with *err == 0 when the caller should make its
 * syscall, FUT_READY with *err < 0 on failure (-EBADF once closed), or
 * FUT_PENDING.
 */
static FUT__ALWAYS_INLINE enum fut_poll
fut__stream_ready(struct fut_io *io, struct fut_context *cx, unsigned int dir,
                  int *err)
{
    if (io->fd < 0) {
        *err = -EBADF;
        return FUT_READY;
    }
    if (fut_io_poll_ready(io, cx, dir, err) == FUT_PENDING)
        return FUT_PENDING;
    if (*err != 0)
        return FUT_READY;
    /* Spent before the syscall: bytes already moved (a datagram taken)
     * must not be lost to a budget that ran out after it. */
    if (!fut_coop_proceed(cx))
        return FUT_PENDING;
    return FUT_READY;
}

/*
 * What a read or write syscall's result @n (errno set when < 0) means.
 * Returns FUT_READY with *res set, or FUT_PENDING-as-"try again": the
 * caller loops (EAGAIN after clearing the readiness, so the next round
 * waits for the backend; EINTR).
 */
static FUT__ALWAYS_INLINE enum fut_poll
fut__stream_result(struct fut_io *io, unsigned int dir, ssize_t n,
                   ssize_t *res)
{
    if (n >= 0) {
        *res = n;
        return FUT_READY;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        fut_io_clear_ready(io, dir);
        return FUT_PENDING;
    }
    if (errno == EINTR)
        return FUT_PENDING;
    *res = errno > 0 ? -errno : -EIO;
    return FUT_READY;
}

/* The syscall of one stream operation. */
enum fut__stream_call {
    FUT__STREAM_READ,    /* read(2) into iov[0] */
    FUT__STREAM_READV,   /* readv(2) */
    FUT__STREAM_SEND,    /* send(2) of iov[0], FUT__OS_SEND_FLAGS */
    FUT__STREAM_SENDMSG, /* sendmsg(2), FUT__OS_SEND_FLAGS */
    FUT__STREAM_WRITE    /* fut__fd_write_nosigpipe() (not a socket) */
};

/* fd.c: write(2) (@iovcnt 1) or writev(2) on a descriptor that is not a
 * socket, with SIGPIPE held off; returns as the syscall does, errno kept. */
FUT__HIDDEN ssize_t fut__fd_write_nosigpipe(int fd, const struct iovec *iov,
                                            int iovcnt);

/* Bytes a readv of @iov could take; saturates rather than wraps. */
static FUT__ALWAYS_INLINE size_t
fut__iov_total(const struct iovec *iov, int iovcnt)
{
    size_t total = 0;
    int i;

    for (i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > SIZE_MAX - total)
            return SIZE_MAX;
        total += iov[i].iov_len;
    }
    return total;
}

/*
 * One read or write of a stream as its trait function does it: readiness,
 * then @call until it gives an answer. @drains (reads): a short read
 * emptied the descriptor, so skip the read that would only say EAGAIN
 * (where the backend makes that safe: fut_io_drained()); true of sockets,
 * not of every descriptor (a terminal returns a line at a time).
 * A caller passes @call and @drains as constants: the switch and the tests
 * of them compile away.
 */
static FUT__ALWAYS_INLINE enum fut_poll
fut__stream_poll_io(struct fut_io *io, struct fut_context *cx,
                    enum fut__stream_call call, const struct iovec *iov,
                    int iovcnt, int drains, ssize_t *res)
{
    unsigned int dir = call <= FUT__STREAM_READV ? FUT_IO_READABLE
                                                 : FUT_IO_WRITABLE;
    struct msghdr msg;
    ssize_t n;
    int err;

    for (;;) {
        if (fut__stream_ready(io, cx, dir, &err) == FUT_PENDING)
            return FUT_PENDING;
        if (err != 0) {
            *res = err;
            return FUT_READY;
        }
        switch (call) {
        case FUT__STREAM_READ:
            n = fut__sys.read(io->fd, iov[0].iov_base, iov[0].iov_len);
            break;
        case FUT__STREAM_READV:
            n = fut__sys.readv(io->fd, iov, iovcnt);
            break;
        case FUT__STREAM_SEND:
            n = fut__sys.send(io->fd, iov[0].iov_base, iov[0].iov_len,
                              FUT__OS_SEND_FLAGS);
            break;
        case FUT__STREAM_SENDMSG:
            memset(&msg, 0, sizeof msg);
            msg.msg_iov = (struct iovec *)iov;
            msg.msg_iovlen = (size_t)iovcnt;
            n = fut__sys.sendmsg(io->fd, &msg, FUT__OS_SEND_FLAGS);
            break;
        default:
            n = fut__fd_write_nosigpipe(io->fd, iov, iovcnt);
            break;
        }
        if (fut__stream_result(io, dir, n, res) == FUT_READY) {
            if (drains && *res > 0 &&
                (size_t)*res < (call == FUT__STREAM_READ
                                    ? iov[0].iov_len
                                    : fut__iov_total(iov, iovcnt)))
                fut_io_drained(io, FUT_IO_READABLE);
            return FUT_READY;
        }
    }
}

/*
 * Readiness, then a syscall that never waits (the socket streams'
 * poll_read_ready/poll_write_ready and try_read/try_write, as tcp.h states
 * them). They share fut__stream_ready() with the trait functions, so the
 * waker slot, the coop budget and the error rules are the same. A NULL
 * @io is the caller's NULL object: -EINVAL.
 */
static FUT__ALWAYS_INLINE enum fut_poll
fut__stream_poll_ready(struct fut_io *io, struct fut_context *cx,
                       unsigned int dir, int *res)
{
    if (res == NULL)
        return FUT_READY;
    if (io == NULL || cx == NULL) {
        *res = -EINVAL;
        return FUT_READY;
    }
    return fut__stream_ready(io, cx, dir, res);
}

/* One read(2) (@call FUT__STREAM_READ) or send(2) (FUT__STREAM_SEND). */
static FUT__ALWAYS_INLINE ssize_t
fut__stream_try_io(struct fut_io *io, enum fut__stream_call call, void *buf,
                   size_t len)
{
    unsigned int dir = call == FUT__STREAM_READ ? FUT_IO_READABLE
                                                : FUT_IO_WRITABLE;
    ssize_t n;

    if (io == NULL || (buf == NULL && len > 0))
        return -EINVAL;
    if (io->fd < 0)
        return -EBADF;
    if (len == 0)
        return 0;
    do
        n = call == FUT__STREAM_READ
                ? fut__sys.read(io->fd, buf, len)
                : fut__sys.send(io->fd, buf, len, FUT__OS_SEND_FLAGS);
    while (n < 0 && errno == EINTR);
    if (n >= 0) {
        /* As in fut__stream_poll_io(): a short read emptied the socket. */
        if (call == FUT__STREAM_READ && n > 0 && (size_t)n < len)
            fut_io_drained(io, FUT_IO_READABLE);
        return n;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        /* The kernel said so: the next poll_*_ready waits for the
         * backend. */
        fut_io_clear_ready(io, dir);
        return -EAGAIN;
    }
    return errno > 0 ? -errno : -EIO;
}

/* The trait tables of the socket streams (TCP and Unix). */
extern FUT__HIDDEN const struct fut_async_read_vtable
    fut__sockstream_read_vtable;
extern FUT__HIDDEN const struct fut_async_write_vtable
    fut__sockstream_write_vtable;
/* Trait functions fut_fd shares (its tables are its own). */
FUT__HIDDEN enum fut_poll fut__stream_poll_flush(struct fut_async_write *self,
                                                 struct fut_context *cx,
                                                 ssize_t *res);
FUT__HIDDEN void fut__stream_forget_read(struct fut_async_read *self,
                                         const struct fut_waker *w);
FUT__HIDDEN void fut__stream_note_read(struct fut_async_read *self,
                                       struct fut_reg *reg);
FUT__HIDDEN void fut__stream_forget_read_reg(struct fut_async_read *self,
                                             const struct fut_reg *reg);
FUT__HIDDEN void fut__stream_forget_write(struct fut_async_write *self,
                                          const struct fut_waker *w);
FUT__HIDDEN void fut__stream_note_write(struct fut_async_write *self,
                                        struct fut_reg *reg);
FUT__HIDDEN void fut__stream_forget_write_reg(struct fut_async_write *self,
                                              const struct fut_reg *reg);

/* Make the socket stream whose io is @io a closed one (its traits answer
 * -EBADF), or open it on @fd (nonblocking already; 0 or -errno). */
FUT__HIDDEN void fut__sockstream_reset(struct fut_io *io);
FUT__HIDDEN int fut__sockstream_open(struct fut_io *io, int fd);
/* 1 if the socket stream of @io was initialised and holds a descriptor. */
FUT__HIDDEN int fut__sockstream_is_open(struct fut_io *io);

/* Socket calls over @io for the public wrappers, which pass NULL for a
 * NULL object: -EINVAL (also for a NULL @ss/@len or a bad @how), -EBADF
 * when closed, or the -errno of the syscall. */
FUT__HIDDEN int fut__sock_shutdown(struct fut_io *io, int how);
/* getsockname(2), or getpeername(2) when @peer. */
FUT__HIDDEN int fut__sock_addr(const struct fut_io *io,
                               struct sockaddr_storage *ss, socklen_t *len,
                               int peer);
/* Deregister and close the descriptor (stream, listener, datagram). */
FUT__HIDDEN int fut__sock_close(struct fut_io *io);

/* ---- stream listeners (sockstream.c; tcp.c, unix.c) ---------------------
 * A listener is its io and a spare descriptor (-1: none) for running out
 * of descriptors (see sockstream.c). */
/* Open a spare: a descriptor, or -1 (none). */
FUT__HIDDEN int fut__listener_spare(void);
/* Accept one connection into the socket stream of @out, as
 * fut_tcp_listener_poll_accept() states it. NULL @io/@out: -EINVAL. */
FUT__HIDDEN enum fut_poll fut__listener_poll_accept(struct fut_io *io,
                                                    int *spare,
                                                    struct fut_context *cx,
                                                    struct fut_io *out,
                                                    int *res);
/* Close the socket and the spare: 0, -EINVAL (NULL @io) or -EBADF. */
FUT__HIDDEN int fut__listener_close(struct fut_io *io, int *spare);

/* The accept futures (struct fut_tcp_accept, struct fut_unix_accept): *@res
 * stays FUT__ACCEPT_PENDING until READY, so polling again after READY
 * returns the same output (futures are fused). poll: the future's poll
 * over its listener's @io and @spare; forget: its drop (and what a READY
 * poll does), withdrawing only the registration @reg it noted. */
#define FUT__ACCEPT_PENDING 1
FUT__HIDDEN enum fut_poll fut__accept_poll(struct fut_io *io, int *spare,
                                           struct fut_context *cx,
                                           struct fut_io *out, int *res,
                                           struct fut_reg *reg);
FUT__HIDDEN void fut__accept_forget(struct fut_io *io, struct fut_reg *reg);

/* ---- deadlines (timer.c) ------------------------------------------------
 * The deadline @timeout_ns from now (saturating at INT64_MAX), or -1 (no
 * limit) for a negative @timeout_ns. */
FUT__HIDDEN int64_t fut__deadline_after(int64_t timeout_ns);

/* ---- the blocking pool (pool.c) ---------------------------------------------
 * A job is the unit the pool runs: embed one in an allocation of your own
 * (the public fut_spawn_blocking does; files and names do the same) and
 * set @run and @release. Two references exist from submit on: the
 * owner's (the future) and the pool's (dropped after the pool thread's
 * wake). The last one calls @release, on whichever thread that is: it
 * frees the allocation (and the job's inputs, if the owner never took the
 * outputs).
 *
 * Owner, on the runtime's thread:
 *   submit:  fut__job_submit(rt, job)        (0, or -errno: nothing queued,
 *                                             the owner's ref is still 1)
 *   poll:    fut_atomic_waker_register(&job->aw, cx->waker);
 *            if (!fut_atomic_waker_take_woken(&job->aw)) return PENDING;
 *            read the outputs; fut__job_unref(job)
 *   drop:    fut__job_cancel(job);           (1: removed, never ran)
 *            fut_atomic_waker_drop(&job->aw); fut__job_unref(job)
 * Pool thread: run(job); fut_atomic_waker_wake(&job->aw); unref. */
struct fut__pool;
enum { FUT__NODE_JOB = 0, FUT__NODE_BLOCKING = 1 };
struct fut__job {
    struct fut__pool_node node;             /* the queue, under its lock */
    struct fut__pool *pool;
    void (*run)(struct fut__job *job);      /* on a pool thread */
    void (*release)(struct fut__job *job);  /* the last reference went */
    struct fut_atomic_waker aw;
    unsigned int refs;                      /* atomic */
};

/* Prepare @job (its owner's reference, 1). Cannot fail. */
FUT__HIDDEN void fut__job_init(struct fut__job *job,
                               void (*run)(struct fut__job *),
                               void (*release)(struct fut__job *));
/* Queue @job on @rt's pool (started on first use). Runtime thread. Returns
 * 0, -EINVAL (no runtime), -ENOMEM, -EAGAIN (no thread could start and
 * none runs) or -ESHUTDOWN (closing). */
FUT__HIDDEN int fut__job_submit(struct fut_runtime *rt, struct fut__job *job);
/* Take @job out of the queue if it has not started: 1 if removed (it will
 * never run), else 0. Owner's thread. */
FUT__HIDDEN int fut__job_cancel(struct fut__job *job);
/* Release one reference (any thread). */
FUT__HIDDEN void fut__job_unref(struct fut__job *job);

/* Files (fs.c): make a finished @job, whose pool reference is gone (only
 * the owner's is left), ready for another submit, as fut__job_init() does
 * (the stored waker is dropped). 0, or -EBUSY while the pool thread still
 * holds it (between its wake and its unref): then allocate another. */
FUT__HIDDEN int fut__job_reuse(struct fut__job *job,
                               void (*run)(struct fut__job *),
                               void (*release)(struct fut__job *));

/* Runtime internals: the pool's settings, and its shutdown at close
 * (runs what is queued, joins every thread). */
FUT__HIDDEN void fut__pool_shutdown(struct fut__pool *pool);
FUT__HIDDEN size_t fut__pool_threads(const struct fut__pool *pool);
/* Runtime's thread: whether blocking jobs finished and wait to be
 * delivered (any thread may ask; a pool thread that adds the first one
 * rings the doorbell), and their delivery: each future is marked finished
 * and its waker woken, on this thread. */
FUT__HIDDEN int fut__pool_has_done(const struct fut__pool *pool);
/* Jobs queued or running in the pool (any thread; a snapshot). */
FUT__HIDDEN size_t fut__pool_active(const struct fut__pool *pool);
FUT__HIDDEN void fut__pool_deliver(struct fut__pool *pool);
/* Runtime's thread: whether its tasks submitted blocking jobs that are
 * not handed to the pool yet, and the handing over (one round of the
 * pool's lock for the whole batch). */
FUT__HIDDEN int fut__pool_has_batch(const struct fut__pool *pool);
FUT__HIDDEN void fut__pool_flush(struct fut__pool *pool);

/* ---- signals and processes (signal.c, process.c; issue 10) ------------
 * Listeners open in the process, and reaper threads still waiting for a
 * dropped child (tests check both come back to 0). */
FUT__HIDDEN size_t fut__signal_listener_count(void);
FUT__HIDDEN size_t fut__process_orphan_count(void);

/* ---- trait wrappers (io.c) ---------------------------------------------
 * Set reg->id through @r's version 3 note_read slot (0 without one); the
 * caller has set reg->waker. For wrappers such as the bufreader, whose
 * registrations are their inner reader's. */
FUT__HIDDEN void fut__async_read_note_id(struct fut_async_read *r,
                                         struct fut_reg *reg);

/* ---- runtime internals (runtime.c) ------------------------------------- */

/* The backend of a runtime. */
FUT__HIDDEN struct fut_backend *fut__runtime_backend(struct fut_runtime *rt);
/* Make wakes on this thread local to @rt for a while (a backend's event
 * callback, run by a foreign loop): returns what to pass to leave. */
FUT__HIDDEN void *fut__runtime_enter(struct fut_runtime *rt);
FUT__HIDDEN void fut__runtime_leave(void *prev);
/* 1 if the calling thread is running @rt now. */
FUT__HIDDEN int fut__runtime_is_current(const struct fut_runtime *rt);
/* Live I/O registrations (for leak checks in tests). */
FUT__HIDDEN size_t fut__runtime_io_count(const struct fut_runtime *rt);
/* Add a registration to, or remove it from, the runtime's list, so that
 * closing the runtime can deregister what is left (reactor.c). */
FUT__HIDDEN void fut__runtime_io_link(struct fut_runtime *rt, struct fut_io *io);
FUT__HIDDEN void fut__runtime_io_unlink(struct fut_runtime *rt,
                                        struct fut_io *io);
/* Armed timers of @rt (tests). */
FUT__HIDDEN size_t fut__runtime_timer_count(const struct fut_runtime *rt);

/* ---- timers (timer.c) --------------------------------------------------
 * A hierarchical timing wheel: FUT__WHEEL_LEVELS levels of 64 slots; level
 * k slots are 64^k microseconds wide. A timer sits at the level of the
 * highest 6-bit digit in which its tick differs from `elapsed`, so insert
 * and cancel are O(1) list operations plus a bit in `occupied`; as time
 * reaches a higher-level slot its timers cascade to lower levels, which is
 * what keeps firing exact to the microsecond. */
#define FUT__WHEEL_LEVELS 7
#define FUT__WHEEL_SLOTS 64

struct fut__wheel {
    uint64_t elapsed;   /* the tick (µs since start_ns) time has reached */
    int64_t start_ns;
    size_t count;       /* armed timers */
    uint64_t occupied[FUT__WHEEL_LEVELS];
    struct fut_timer *slots[FUT__WHEEL_LEVELS][FUT__WHEEL_SLOTS];
};

FUT__HIDDEN void fut__wheel_init(struct fut__wheel *w, int64_t now_ns);
/* The time by which the runtime must look at the wheel again (a lower
 * bound of the earliest deadline), or -1 when no timer is armed. */
FUT__HIDDEN int64_t fut__wheel_next_deadline(const struct fut__wheel *w);
/* Move time to @now_ns, firing (waking) every timer that is due. */
FUT__HIDDEN void fut__wheel_advance(struct fut__wheel *w, int64_t now_ns);
/* Disarm every timer (runtime close): drop their wakers, forget them. */
FUT__HIDDEN void fut__wheel_fini(struct fut__wheel *w);

/* The wheel of a runtime (runtime.c). */
FUT__HIDDEN struct fut__wheel *fut__runtime_wheel(struct fut_runtime *rt);

/* Arm @t on @rt's wheel for @deadline_ns, waking a clone of @w (borrowed).
 * Re-arms if already armed. Returns 1 if the deadline has already passed
 * (nothing armed), 0 when armed. */
FUT__HIDDEN int fut__timer_arm(struct fut_runtime *rt, struct fut_timer *t,
                               int64_t deadline_ns, const struct fut_waker *w);
/* Cancel @t if armed; drops its waker. O(1). */
FUT__HIDDEN void fut__timer_cancel(struct fut_timer *t);

/* ---- calls into the backend (backend_call.h) ---------------------------
 * The only code that dereferences a backend's vtable. */
#include "backend_call.h"

#endif /* FUTURES_INTERNAL_H */
