/* SPDX-License-Identifier: MIT */
/* The OS layer: each Linux-specific call in one place, a portable fallback beside it. */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

/*
 * The core calls these instead of accept4(2), SOCK_NONBLOCK, pipe2(2) or
 * MSG_NOSIGNAL directly, so that a port to a kernel without them (the
 * BSDs and macOS lack some) means editing this file only. Each Linux path
 * is tried first; the fallback runs where the flag or call does not exist
 * at build time, or the kernel refuses it at run time (EINVAL, ENOSYS).
 * The fallbacks are not atomic with respect to fork+exec in another thread
 * (a descriptor can leak into a child between the call and FD_CLOEXEC),
 * which is the usual price and why the Linux path comes first.
 *
 * Everything goes through the syscall table (sys.c), so tests inject
 * faults into these paths as into the rest of the core.
 */

int
fut__os_err(void)
{
    return errno > 0 ? -errno : -EIO;
}

void
fut__os_close(int fd)
{
    /* Linux releases the descriptor even when close(2) says EINTR, so it is
     * never retried (a retry could close a descriptor reused meanwhile). */
    if (fd >= 0)
        (void)fut__sys.close(fd);
}

int
fut__os_set_nonblock(int fd, int on, int *was)
{
    int flags = fut__sys.fcntl(fd, F_GETFL, 0);

    if (flags < 0)
        return fut__os_err();
    if (was != NULL)
        *was = (flags & O_NONBLOCK) != 0;
    if (((flags & O_NONBLOCK) != 0) == (on != 0))
        return 0;
    flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    if (fut__sys.fcntl(fd, F_SETFL, flags) < 0)
        return fut__os_err();
    return 0;
}

int
fut__os_set_cloexec(int fd)
{
    int flags = fut__sys.fcntl(fd, F_GETFD, 0);

    if (flags < 0)
        return fut__os_err();
    if ((flags & FD_CLOEXEC) == 0 &&
        fut__sys.fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
        return fut__os_err();
    return 0;
}

/* The fallback's second half: flags after the fact; closes @fd on failure. */
static int
fd_finish(int fd, int nonblock)
{
    int err = fut__os_set_cloexec(fd);

    if (err == 0 && nonblock)
        err = fut__os_set_nonblock(fd, 1, NULL);
    if (err != 0) {
        fut__os_close(fd);
        return err;
    }
    return fd;
}

int
fut__os_socket(int domain, int type, int protocol)
{
    int fd;

#if FUT__OS_FEATURES && defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    fd = fut__sys.socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
                         protocol);
    if (fd >= 0)
        return fd;
    if (errno != EINVAL)
        return fut__os_err();
#endif
    fd = fut__sys.socket(domain, type, protocol);
    if (fd < 0)
        return fut__os_err();
    return fd_finish(fd, 1);
}

int
fut__os_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    int c;

#if FUT__OS_LINUX && defined(SOCK_NONBLOCK)
    c = fut__sys.accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c >= 0)
        return c;
    if (errno != ENOSYS)
        return fut__os_err();
#endif
    c = fut__sys.accept4(fd, addr, len, 0);
    if (c < 0)
        return fut__os_err();
    return fd_finish(c, 1);
}

int
fut__os_socketpair(int domain, int type, int protocol, int sv[2], int nonblock)
{
    int err, i;

#if FUT__OS_FEATURES && defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
    if (fut__sys.socketpair(domain,
                            type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0),
                            protocol, sv) == 0)
        return 0;
    if (errno != EINVAL)
        return fut__os_err();
#endif
    if (fut__sys.socketpair(domain, type, protocol, sv) < 0)
        return fut__os_err();
    for (i = 0; i < 2; i++) {
        err = fd_finish(sv[i], nonblock);
        if (err < 0) {
            if (i == 0)
                fut__os_close(sv[1]);
            else
                fut__os_close(sv[0]);
            return err;
        }
    }
    return 0;
}

int
fut__os_pipe(int fds[2], int nonblock)
{
    int err, i;

    if (fut__sys.pipe2(fds, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0)) == 0)
        return 0;
    if (errno != ENOSYS && errno != EINVAL)
        return fut__os_err();
    if (fut__sys.pipe2(fds, 0) < 0)
        return fut__os_err();
    for (i = 0; i < 2; i++) {
        err = fd_finish(fds[i], nonblock);
        if (err < 0) {
            fut__os_close(fds[1 - i]);
            return err;
        }
    }
    return 0;
}

/* ---- files (fs.c), issue 10 ------------------------------------------------- */

ssize_t
fut__os_pread_nowait(int fd, void *buf, size_t len, int64_t off)
{
#if FUT__OS_LINUX && defined(RWF_NOWAIT)
    /* RWF_NOWAIT for reads: Linux 4.14. It answers EAGAIN when a page is
     * not cached (so the read would wait for the device), and may return
     * a short count when only the first pages are. File systems that do
     * not support it answer EOPNOTSUPP; kernels before 4.14, EINVAL or
     * ENOSYS (no preadv2 at all before 4.6). */
    struct iovec iov;
    ssize_t n;

    iov.iov_base = buf;
    iov.iov_len = len;
    do
        n = fut__sys.preadv2(fd, &iov, 1, (off_t)off, RWF_NOWAIT);
    while (n < 0 && errno == EINTR);
    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return -EAGAIN;
    if (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS)
        return -EOPNOTSUPP;
    return fut__os_err();
#else
    /* Elsewhere: no way to ask, every read goes to the blocking pool. */
    (void)fd;
    (void)buf;
    (void)len;
    (void)off;
    return -EOPNOTSUPP;
#endif
}

/*
 * A pidfd (Linux 5.3) turns "this child exited" into readiness of a
 * descriptor, which every backend can wait for. Without one (an older
 * kernel, or another system) the caller falls back to SIGCHLD; ENOSYS
 * tells it so, and so do EPERM and EINVAL (seccomp filters and old
 * kernels that reject unknown calls or flags).
 */
int
fut__os_pidfd_open(pid_t pid)
{
    int fd = fut__sys.pidfd_open(pid, 0);

    if (fd >= 0)
        return fd;
    if (errno == ENOSYS || errno == EPERM || errno == EINVAL)
        return -ENOSYS;
    return fut__os_err();
}

/* ---- datagrams and Unix sockets (udp.c, unix.c) ---------------------------- */

#if !FUT__OS_LINUX
/* The first IPv4 address of interface @ifindex (0: INADDR_ANY), for the
 * IPv4 multicast options that name an interface by address. 0, -ENODEV
 * (no such interface, or one without an IPv4 address) or -errno. */
static int
if_addr4(unsigned int ifindex, struct in_addr *out)
{
    struct ifaddrs *all, *ifa;
    int err = -ENODEV;

    out->s_addr = htonl(INADDR_ANY);
    if (ifindex == 0)
        return 0;
    if (getifaddrs(&all) < 0)
        return fut__os_err();
    for (ifa = all; ifa != NULL; ifa = ifa->ifa_next) {
        if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET ||
            if_nametoindex(ifa->ifa_name) != ifindex)
            continue;
        memcpy(out, &((const struct sockaddr_in *)(const void *)ifa->ifa_addr)
                         ->sin_addr,
               sizeof *out);
        err = 0;
        break;
    }
    freeifaddrs(all);
    return err;
}
#endif

int
fut__os_mcast4(int fd, int join, const struct in_addr *group,
               unsigned int ifindex)
{
    int opt = join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP;
#if FUT__OS_LINUX
    /* Linux's ip_mreqn names the interface by index, as IPv6 does. */
    struct ip_mreqn m;

    memset(&m, 0, sizeof m);
    m.imr_multiaddr = *group;
    m.imr_address.s_addr = htonl(INADDR_ANY);
    m.imr_ifindex = (int)ifindex;
#else
    /* Elsewhere ip_mreq names it by address: the interface's first. */
    struct ip_mreq m;
    int err;

    memset(&m, 0, sizeof m);
    m.imr_multiaddr = *group;
    err = if_addr4(ifindex, &m.imr_interface);
    if (err != 0)
        return err;
#endif
    if (fut__sys.setsockopt(fd, IPPROTO_IP, opt, &m, sizeof m) < 0)
        return fut__os_err();
    return 0;
}

int
fut__os_mcast4_if(int fd, unsigned int ifindex)
{
#if FUT__OS_LINUX
    struct ip_mreqn m;

    memset(&m, 0, sizeof m);
    m.imr_address.s_addr = htonl(INADDR_ANY);
    m.imr_ifindex = (int)ifindex;
    if (fut__sys.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m) <
        0)
        return fut__os_err();
#else
    struct in_addr a;
    int err = if_addr4(ifindex, &a);

    if (err != 0)
        return err;
    if (fut__sys.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &a, sizeof a) <
        0)
        return fut__os_err();
#endif
    return 0;
}

int
fut__os_peer_cred(int fd, long *pid, long *uid, long *gid)
{
#if FUT__OS_LINUX && defined(SO_PEERCRED)
    struct ucred cr;
    socklen_t len = sizeof cr;

    if (fut__sys.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
        return fut__os_err();
    *pid = (long)cr.pid;
    *uid = (long)cr.uid;
    *gid = (long)cr.gid;
    return 0;
#else
    /* getpeereid(3) (the BSDs, macOS) gives no pid: a port would add it
     * here and report the pid as -1. */
    (void)fd;
    *pid = -1;
    *uid = -1;
    *gid = -1;
    return -ENOTSUP;
#endif
}

ssize_t
fut__os_recv_dgram(int fd, void *buf, size_t len, struct sockaddr *addr,
                   socklen_t *alen, size_t *full, int *trunc)
{
    ssize_t n;
#if FUT__OS_LINUX
    /* With MSG_TRUNC, Linux returns the datagram's real length even when
     * the buffer was shorter (UDP since 2.2, Unix datagrams since 3.4), so
     * the plain recvfrom(2) says everything and skips recvmsg(2)'s msghdr
     * copying. */
    n = fut__sys.recvfrom(fd, buf, len, MSG_TRUNC, addr, alen);
    if (n < 0)
        return fut__os_err();
    *full = (size_t)n;
    *trunc = (size_t)n > len;
    return *trunc ? (ssize_t)len : n;
#else
    struct msghdr msg;
    struct iovec iov;

    memset(&msg, 0, sizeof msg);
    iov.iov_base = buf;
    iov.iov_len = len;
    msg.msg_name = addr;
    msg.msg_namelen = alen != NULL ? *alen : 0;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    n = fut__sys.recvmsg(fd, &msg, 0);
    if (n < 0)
        return fut__os_err();
    if (alen != NULL)
        *alen = msg.msg_namelen;
    *trunc = (msg.msg_flags & MSG_TRUNC) != 0;
    *full = *trunc ? len : (size_t)n;
    return n;
#endif
}
