/* SPDX-License-Identifier: MIT */
/* Names: getaddrinfo(3) and getnameinfo(3) as futures, and connect by host name. */
#ifndef FUTURES_DNS_H
#define FUTURES_DNS_H

#include <sys/socket.h>

#include "future.h"
#include "tcp.h"
#include "timer.h"

FUT__BEGIN_DECLS

/*
 * The C library's resolver blocks, so these futures run it on the
 * runtime's blocking pool (futures/blocking.h) and complete on the
 * runtime's thread. Each future copies what it was given at init (host,
 * service, address): the caller's strings are borrowed for the init call
 * only. Dropping a future while its lookup runs does not wait for the
 * lookup: the pool thread finishes it and frees what it found.
 *
 * Errors are negative errno values. The resolver's own EAI_* code is
 * kept beside them (the futures' @eai fields), because the difference
 * between "no such name" (EAI_NONAME) and "try again" (EAI_AGAIN) matters
 * to callers and one errno cannot say everything an EAI code says. The
 * mapping (fut_eai_to_errno()):
 *
 *   EAI_NONAME, EAI_NODATA   -ENOENT           the name is not known
 *   EAI_ADDRFAMILY           -EADDRNOTAVAIL    no address in that family
 *   EAI_AGAIN                -EAGAIN           temporary failure
 *   EAI_FAIL                 -EIO              permanent resolver failure
 *   EAI_BADFLAGS             -EINVAL
 *   EAI_FAMILY               -EAFNOSUPPORT
 *   EAI_SOCKTYPE             -ENOTSUP
 *   EAI_SERVICE              -EPROTONOSUPPORT  service unknown for the type
 *   EAI_MEMORY               -ENOMEM
 *   EAI_OVERFLOW             -ENOBUFS
 *   EAI_SYSTEM               -errno of the call (-EIO if errno was 0)
 *   EAI_CANCELED             -ECANCELED
 *   anything else            -EIO
 */

struct addrinfo;
struct fut__job;

/** FUT_DNS_HOST_MAX - longest host name accepted, in bytes (NI_MAXHOST - 1). */
#define FUT_DNS_HOST_MAX 1024
/** FUT_DNS_SERV_MAX - longest service name accepted (NI_MAXSERV - 1). */
#define FUT_DNS_SERV_MAX 31

/**
 * fut_eai_to_errno - the negative errno for an EAI_* code of
 * getaddrinfo(3) or getnameinfo(3), as in the table above; 0 for 0.
 * For EAI_SYSTEM it reads errno, so call it right after the failed call,
 * on the thread that made it. Any thread.
 */
FUT_API int fut_eai_to_errno(int eai);

/**
 * struct fut_getaddrinfo - getaddrinfo(3) on the blocking pool.
 * @res: after READY, 0 or a negative errno: the resolver's error mapped
 *       (see above), or -EINVAL (polled without a runtime), -ENOMEM,
 *       -EAGAIN (no pool thread could start) or -ESHUTDOWN (the runtime
 *       is closing), which have @eai 0.
 * @eai: after READY, the resolver's EAI_* code (0 when it succeeded or
 *       was never called).
 * @ai:  after READY with @res 0, the list the resolver returned (never
 *       NULL). It is the caller's: free it with fut_freeaddrinfo(). The
 *       future's drop does not free it.
 *
 * The first poll submits the lookup (the allocation made by init is the
 * only one). PENDING: the lookup is queued or running; the waker is
 * woken when it ends. Dropping it (any state) frees everything the
 * future holds: a queued lookup is taken out of the queue and never runs,
 * a running one runs to its end on its pool thread, which then frees the
 * list it got. Not cancel-safe in the sense that a dropped lookup's
 * answer is lost (a lookup has no side effects to lose). It may be moved
 * until its first poll. Poll and drop on the runtime's thread.
 */
struct fut_getaddrinfo {
    struct fut_future base;
    int res;
    int eai;
    struct addrinfo *ai;
    /* private */
    struct fut__job *job_;
    int state_;
};

/**
 * fut_getaddrinfo_init - prepare a lookup of @node and @service.
 * @node:    a host name or numeric address, or NULL (then @service is
 *           required; the addresses are the wildcard or loopback ones, as
 *           getaddrinfo(3) with AI_PASSIVE or without says). Copied.
 * @service: a port number or service name, or NULL. Copied.
 * @hints:   as getaddrinfo(3)'s, or NULL (any family, any socket type,
 *           AI_V4MAPPED | AI_ADDRCONFIG as glibc's default). Copied. Its
 *           ai_addrlen, ai_addr, ai_canonname and ai_next must be 0/NULL.
 *
 * Allocates the job (one allocation, with the copies); the future must be
 * dropped (fut_future_drop()) to free it, READY or not.
 * Returns 0, or -EINVAL (NULL @f, @node and @service both NULL, an empty
 * @node or @service, @hints with flags getaddrinfo(3) does not know or
 * with the fields above set), -ENAMETOOLONG (@node longer than
 * FUT_DNS_HOST_MAX bytes, @service longer than FUT_DNS_SERV_MAX), or
 * -ENOMEM. On failure nothing is allocated and dropping @f is harmless.
 * Any thread (the future is then polled on the runtime's thread).
 */
FUT_API int fut_getaddrinfo_init(struct fut_getaddrinfo *f, const char *node,
                                 const char *service,
                                 const struct addrinfo *hints);

/**
 * fut_freeaddrinfo - free a list from a READY struct fut_getaddrinfo.
 * NULL: nothing happens. Any thread.
 */
FUT_API void fut_freeaddrinfo(struct addrinfo *ai);

/**
 * struct fut_getnameinfo - getnameinfo(3) on the blocking pool.
 * @res:     after READY, 0 or a negative errno (as struct fut_getaddrinfo's).
 * @eai:     after READY, the resolver's EAI_* code, or 0.
 * @host:    after READY with @res 0, the host name (or numeric address),
 *           NUL-terminated; empty when NI_ flags asked for no host.
 * @service: after READY with @res 0, the service name or port number.
 *
 * The output buffers are in the future itself: no allocation holds the
 * answer. Polling, dropping and threads as for struct fut_getaddrinfo.
 */
struct fut_getnameinfo {
    struct fut_future base;
    int res;
    int eai;
    char host[FUT_DNS_HOST_MAX + 1];
    char service[FUT_DNS_SERV_MAX + 1];
    /* private */
    struct fut__job *job_;
    int state_;
};

/**
 * fut_getnameinfo_init - prepare a reverse lookup of @addr.
 * @addr:  an AF_INET or AF_INET6 address of @len bytes. Copied.
 * @flags: NI_NUMERICHOST, NI_NUMERICSERV, NI_NOFQDN, NI_NAMEREQD,
 *         NI_DGRAM, or'ed (and NI_IDN where the C library has it).
 *
 * Returns 0, or -EINVAL (NULL @f or @addr, @len too short or too long
 * for the family, unknown @flags), -EAFNOSUPPORT (a family other than
 * AF_INET or AF_INET6), or -ENOMEM. Drop as for fut_getaddrinfo_init().
 */
FUT_API int fut_getnameinfo_init(struct fut_getnameinfo *f,
                                 const struct sockaddr *addr, socklen_t len,
                                 int flags);

/**
 * struct fut_connect_options - how fut_tcp_connect_host_init() connects.
 * Zero-initialise it and set what you need; zero fields take the
 * defaults.
 * @stagger_ns:   how long an attempt may be pending before the next
 *                address is tried beside it (RFC 8305's Connection
 *                Attempt Delay). 0: 250 ms. Must not be negative.
 * @attempt_timeout_ns: how long one attempt may take before it fails
 *                with -ETIMEDOUT. 0: 10 s; negative: no limit.
 * @family:       AF_UNSPEC (0: both), AF_INET or AF_INET6.
 */
struct fut_connect_options {
    int64_t stagger_ns;
    int64_t attempt_timeout_ns;
    int family;
};

/** FUT_CONNECT_MAX_ADDRS - addresses tried at most; the rest are ignored. */
#define FUT_CONNECT_MAX_ADDRS 64

/**
 * struct fut_tcp_connect_host - resolve a host name, then connect to its
 * addresses the Happy Eyeballs way (RFC 8305).
 * @res:    after READY, 0 (@stream is open and connected: close it) or a
 *          negative errno: the resolver's (then @eai is set), or the error
 *          of the last attempt that failed (-ECONNREFUSED, -ETIMEDOUT,
 *          -ENETUNREACH...), or -EINVAL (polled without a runtime).
 *          @stream is then not open.
 * @eai:    after READY, the resolver's EAI_* code if the lookup failed.
 * @stream: the stream given at init, connected on success.
 *
 * The addresses are ordered as RFC 8305 (section 4) says: the family of
 * the resolver's first answer first, then the other, alternating (v6, v4,
 * v6, v4... when the first answer is IPv6), each family in the resolver's
 * order. The first attempt starts at once; each following one starts when
 * the previous attempt has been pending for the stagger delay, or at once
 * when an attempt fails. Attempts overlap: the first to connect wins, the
 * others are cancelled and their sockets closed.
 *
 * PENDING: the lookup or some attempts are pending. Dropping the future
 * in any state cancels the lookup (see struct fut_getaddrinfo) and every
 * attempt, and closes every socket it opened; @stream is left not open.
 * Pinned from the first poll. Poll and drop on the runtime's thread.
 * The private part holds the lookup, a timer and a pointer to the
 * attempts (one allocation, made when the lookup answers).
 */
struct fut_tcp_connect_host {
    struct fut_future base;
    int res;
    int eai;
    struct fut_tcp_stream *stream;
    /* private */
    struct fut_getaddrinfo gai_;
    struct fut_sleep stagger_;
    struct fut_connect_options opts_;
    void *attempts_;
    unsigned int n_, next_, running_;
    int state_;
    int fail_now_;
};

/**
 * fut_tcp_connect_host_init - prepare a connect to @host port @port.
 * @stream: a stream that is not open (set up by fut_tcp_stream_init(), or
 *          closed); it is opened on success. Borrowed until the future
 *          is dropped.
 * @host:   a host name or numeric address; copied.
 * @opts:   NULL for the defaults; copied.
 *
 * Returns 0, or -EINVAL (NULL @f, @stream or @host, an empty @host, a
 * @port over 65535, a negative @stagger_ns, a family other than
 * AF_UNSPEC, AF_INET or AF_INET6), -ENAMETOOLONG (@host longer than
 * FUT_DNS_HOST_MAX), -EISCONN (@stream is open), or -ENOMEM. On failure
 * nothing is allocated and dropping @f is harmless. Drop the future (any
 * state) to free what it holds.
 */
FUT_API int fut_tcp_connect_host_init(struct fut_tcp_connect_host *f,
                                      struct fut_tcp_stream *stream,
                                      const char *host, unsigned int port,
                                      const struct fut_connect_options *opts);

FUT__END_DECLS

#endif /* FUTURES_DNS_H */
