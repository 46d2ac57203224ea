/* SPDX-License-Identifier: MIT */
/* The syscall table: one seam through which tests inject failures. */
#include "internal.h"

#include <errno.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static ssize_t
sys_read(int fd, void *buf, size_t len)
{
    return read(fd, buf, len);
}

static ssize_t
sys_write(int fd, const void *buf, size_t len)
{
    return write(fd, buf, len);
}

static ssize_t
sys_readv(int fd, const struct iovec *iov, int iovcnt)
{
    return readv(fd, iov, iovcnt);
}

static ssize_t
sys_writev(int fd, const struct iovec *iov, int iovcnt)
{
    return writev(fd, iov, iovcnt);
}

static int
sys_socket(int domain, int type, int protocol)
{
    return socket(domain, type, protocol);
}

static int
sys_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
#if FUT__OS_LINUX
    return accept4(fd, addr, len, flags);
#else
    /* accept4(2) is not everywhere (macOS): os.c sets the flags itself. */
    if (flags != 0) {
        errno = ENOSYS;
        return -1;
    }
    return accept(fd, addr, len);
#endif
}

static int
sys_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    return connect(fd, addr, len);
}

static int
sys_close(int fd)
{
    return close(fd);
}

/* epoll is Linux's: elsewhere the entries stay, for the same table and
 * exports, and fail with ENOSYS (no epoll backend is built there). */
static int
sys_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
#ifdef __linux__
    return epoll_ctl(epfd, op, fd, ev);
#else
    (void)epfd, (void)op, (void)fd, (void)ev;
    errno = ENOSYS;
    return -1;
#endif
}

static int
sys_epoll_wait(int epfd, struct epoll_event *ev, int max, int ms)
{
#ifdef __linux__
    return epoll_wait(epfd, ev, max, ms);
#else
    (void)epfd, (void)ev, (void)max, (void)ms;
    errno = ENOSYS;
    return -1;
#endif
}

static int
sys_socketpair(int domain, int type, int protocol, int sv[2])
{
    return socketpair(domain, type, protocol, sv);
}

static int
sys_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    return bind(fd, addr, len);
}

static int
sys_listen(int fd, int backlog)
{
    return listen(fd, backlog);
}

static int
sys_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    return setsockopt(fd, level, name, val, len);
}

static int
sys_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    return getsockopt(fd, level, name, val, len);
}

static ssize_t
sys_send(int fd, const void *buf, size_t len, int flags)
{
    return send(fd, buf, len, flags);
}

static ssize_t
sys_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    return sendmsg(fd, msg, flags);
}

static ssize_t
sys_recvmsg(int fd, struct msghdr *msg, int flags)
{
    return recvmsg(fd, msg, flags);
}

static int
sys_pipe2(int fds[2], int flags)
{
#if FUT__OS_LINUX
    return pipe2(fds, flags);
#else
    if (flags != 0) {
        errno = ENOSYS;
        return -1;
    }
    return pipe(fds);
#endif
}

static int
sys_fcntl(int fd, int cmd, long arg)
{
    return fcntl(fd, cmd, arg);
}

static int
sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    return openat(dirfd, path, flags, mode);
}

static ssize_t
sys_pread(int fd, void *buf, size_t len, off_t off)
{
    return pread(fd, buf, len, off);
}

static ssize_t
sys_pwrite(int fd, const void *buf, size_t len, off_t off)
{
    return pwrite(fd, buf, len, off);
}

static off_t
sys_lseek(int fd, off_t off, int whence)
{
    return lseek(fd, off, whence);
}

static int
sys_fsync(int fd)
{
    return fsync(fd);
}

static int
sys_fdatasync(int fd)
{
    return fdatasync(fd);
}

static int
sys_fstat(int fd, struct stat *st)
{
    return fstat(fd, st);
}

static int
sys_stat(const char *path, struct stat *st)
{
    return stat(path, st);
}

static int
sys_lstat(const char *path, struct stat *st)
{
    return lstat(path, st);
}

static int
sys_ftruncate(int fd, off_t len)
{
    return ftruncate(fd, len);
}

static int
sys_unlink(const char *path)
{
    return unlink(path);
}

static int
sys_rename(const char *from, const char *to)
{
    return rename(from, to);
}

static int
sys_mkdir(const char *path, mode_t mode)
{
    return mkdir(path, mode);
}

static int
sys_rmdir(const char *path)
{
    return rmdir(path);
}

static DIR *
sys_opendir(const char *path)
{
    return opendir(path);
}

static struct dirent *
sys_readdir(DIR *dir)
{
    return readdir(dir);
}

static int
sys_closedir(DIR *dir)
{
    return closedir(dir);
}

static char *
sys_realpath(const char *path, char *resolved)
{
    return realpath(path, resolved);
}

static int
sys_getaddrinfo(const char *node, const char *service,
                const struct addrinfo *hints, struct addrinfo **res)
{
    return getaddrinfo(node, service, hints, res);
}

static int
sys_getnameinfo(const struct sockaddr *addr, socklen_t len, char *host,
                socklen_t hostlen, char *serv, socklen_t servlen, int flags)
{
    return getnameinfo(addr, len, host, hostlen, serv, servlen, flags);
}

static int
sys_kill(pid_t pid, int sig)
{
    return kill(pid, sig);
}

static pid_t
sys_waitpid(pid_t pid, int *status, int options)
{
    return waitpid(pid, status, options);
}

static void
sys_freeaddrinfo(struct addrinfo *ai)
{
    freeaddrinfo(ai);
}

static int
sys_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    return sigaction(sig, act, old);
}

/* files (fs.c), issue 10 */
static ssize_t
sys_preadv2(int fd, const struct iovec *iov, int iovcnt, off_t off, int flags)
{
#if FUT__OS_LINUX && defined(RWF_NOWAIT)
    return preadv2(fd, iov, iovcnt, off, flags);
#else
    /* A libc without preadv2 (glibc before 2.26): the caller uses the pool. */
    (void)fd;
    (void)iov;
    (void)iovcnt;
    (void)off;
    (void)flags;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

/* ---- processes, signals (issue 10) ---- */

static int
sys_pidfd_open(pid_t pid, unsigned int flags)
{
#if FUT__OS_LINUX && defined(SYS_pidfd_open)
    return (int)syscall(SYS_pidfd_open, pid, flags);
#else
    (void)pid;
    (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}

static pid_t
sys_fork(void)
{
    return fork();
}

static ssize_t
sys_sendto(int fd, const void *buf, size_t len, int flags,
           const struct sockaddr *addr, socklen_t alen)
{
    return sendto(fd, buf, len, flags, addr, alen);
}

static ssize_t
sys_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
             socklen_t *alen)
{
    return recvfrom(fd, buf, len, flags, addr, alen);
}

/* The real functions, as an initialiser for the live table and the reset. */
#define SYS_REAL                                                            \
    {                                                                       \
        .read = sys_read, .write = sys_write, .readv = sys_readv,           \
        .writev = sys_writev, .socket = sys_socket, .accept4 = sys_accept4, \
        .connect = sys_connect, .close = sys_close,                         \
        .epoll_ctl = sys_epoll_ctl, .epoll_wait = sys_epoll_wait,           \
        .socketpair = sys_socketpair, .bind = sys_bind,                     \
        .listen = sys_listen, .setsockopt = sys_setsockopt,                 \
        .getsockopt = sys_getsockopt, .send = sys_send,                     \
        .sendmsg = sys_sendmsg,                                             \
        .recvmsg = sys_recvmsg, .pipe2 = sys_pipe2, .fcntl = sys_fcntl,     \
        .openat = sys_openat, .pread = sys_pread, .pwrite = sys_pwrite,     \
        .lseek = sys_lseek, .fsync = sys_fsync,                             \
        .fdatasync = sys_fdatasync, .fstat = sys_fstat, .stat = sys_stat,   \
        .lstat = sys_lstat, .ftruncate = sys_ftruncate,                     \
        .unlink = sys_unlink, .rename = sys_rename, .mkdir = sys_mkdir,     \
        .rmdir = sys_rmdir, .opendir = sys_opendir,                         \
        .readdir = sys_readdir, .closedir = sys_closedir,                   \
        .realpath = sys_realpath, .getaddrinfo = sys_getaddrinfo,           \
        .getnameinfo = sys_getnameinfo, .kill = sys_kill,                   \
        .waitpid = sys_waitpid, .sigaction = sys_sigaction,                 \
        /* names (dns.c) */                                                 \
        .freeaddrinfo = sys_freeaddrinfo,                                   \
        .preadv2 = sys_preadv2,                                             \
        .pidfd_open = sys_pidfd_open, .fork = sys_fork,                     \
        /* datagrams (udp.c, unix.c) */                                     \
        .sendto = sys_sendto, .recvfrom = sys_recvfrom,                     \
    }

struct fut__syscalls fut__sys = SYS_REAL;

void
fut__sys_reset(void)
{
    static const struct fut__syscalls real = SYS_REAL;

    fut__sys = real;
}
