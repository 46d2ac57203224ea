/* SPDX-License-Identifier: MIT */
/* Names on the blocking pool, and connect by host name (dns.h). */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

_Static_assert(FUT_DNS_HOST_MAX + 1 == NI_MAXHOST, "NI_MAXHOST");
_Static_assert(FUT_DNS_SERV_MAX + 1 == NI_MAXSERV, "NI_MAXSERV");

/*
 * Every lookup is a job of the blocking pool (internal.h). The job is one
 * allocation that holds copies of the inputs and the outputs, so the
 * future can be dropped while a pool thread works on it: the thread
 * finishes, and the last of the two references frees the job and, if
 * nobody took it, the list the resolver returned. Every call goes through
 * fut__sys, so tests can replace the resolver (a failing one, or one that
 * blocks until the test lets it go).
 */

int
fut_eai_to_errno(int eai)
{
    int e;

    switch (eai) {
    case 0:
        return 0;
    case EAI_NONAME:
#if defined(EAI_NODATA) && EAI_NODATA != EAI_NONAME
    case EAI_NODATA:
#endif
        return -ENOENT;
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
        return -EADDRNOTAVAIL;
#endif
    case EAI_AGAIN:
        return -EAGAIN;
    case EAI_FAIL:
        return -EIO;
    case EAI_BADFLAGS:
        return -EINVAL;
    case EAI_FAMILY:
        return -EAFNOSUPPORT;
    case EAI_SOCKTYPE:
        return -ENOTSUP;
    case EAI_SERVICE:
        return -EPROTONOSUPPORT;
    case EAI_MEMORY:
        return -ENOMEM;
    case EAI_OVERFLOW:
        return -ENOBUFS;
    case EAI_SYSTEM:
        e = errno;
        return e > 0 ? -e : -EIO;
#ifdef EAI_CANCELED
    case EAI_CANCELED:
        return -ECANCELED;
#endif
    default:
        return -EIO;
    }
}

void
fut_freeaddrinfo(struct addrinfo *ai)
{
    if (ai != NULL)
        fut__sys.freeaddrinfo(ai);
}

/* States shared by both lookups. */
enum { LOOKUP_INIT, LOOKUP_QUEUED, LOOKUP_DONE };

/* ---- getaddrinfo --------------------------------------------------------- */

#ifndef AI_IDN
#define AI_IDN 0
#endif
#ifndef AI_CANONIDN
#define AI_CANONIDN 0
#endif
#define GAI_FLAGS                                                            \
    (AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_V4MAPPED | AI_ALL |     \
     AI_ADDRCONFIG | AI_NUMERICSERV | AI_IDN | AI_CANONIDN)

struct gai_job {
    struct fut__job job;
    struct addrinfo hints;
    int has_hints;
    const char *node;       /* into buf, or NULL */
    const char *service;    /* into buf, or NULL */
    struct addrinfo *list;
    int eai;
    int err;
    int taken;              /* the owner took the list */
    char buf[];
};

static void
gai_run(struct fut__job *job)
{
    struct gai_job *g = (struct gai_job *)job;

    g->list = NULL;
    g->eai = fut__sys.getaddrinfo(g->node, g->service,
                                  g->has_hints ? &g->hints : NULL, &g->list);
    /* EAI_SYSTEM's errno is read here, on the thread that made the call. */
    g->err = fut_eai_to_errno(g->eai);
    if (g->eai == 0 && g->list == NULL) {
        /* A resolver that says yes with nothing is treated as "no name". */
        g->eai = EAI_NONAME;
        g->err = -ENOENT;
    }
}

static void
gai_release(struct fut__job *job)
{
    struct gai_job *g = (struct gai_job *)job;

    if (!g->taken && g->list != NULL)
        fut__sys.freeaddrinfo(g->list);
    fut__free(g);
}

static enum fut_poll
gai_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_getaddrinfo *f = (struct fut_getaddrinfo *)base;
    struct gai_job *g = (struct gai_job *)f->job_;
    int err;

    if (f->state_ == LOOKUP_DONE)
        return FUT_READY;
    if (f->state_ == LOOKUP_INIT) {
        err = cx->rt != NULL ? fut__job_submit(cx->rt, &g->job) : -EINVAL;
        if (err != 0) {
            /* Not queued: ours alone; the unref frees it. */
            f->job_ = NULL;
            fut__job_unref(&g->job);
            f->res = err;
            f->state_ = LOOKUP_DONE;
            return FUT_READY;
        }
        f->state_ = LOOKUP_QUEUED;
    }
    fut_atomic_waker_register(&g->job.aw, cx->waker);
    if (!fut_atomic_waker_take_woken(&g->job.aw))
        return FUT_PENDING;
    f->eai = g->eai;
    f->res = g->err;
    if (g->err == 0) {
        f->ai = g->list;
        g->taken = 1;
    }
    fut_atomic_waker_drop(&g->job.aw);
    f->job_ = NULL;
    f->state_ = LOOKUP_DONE;
    fut__job_unref(&g->job);
    return FUT_READY;
}

/* Drop for both lookups: their jobs follow the same protocol. */
static void
lookup_drop(struct fut__job **jobp, int *state)
{
    struct fut__job *job = *jobp;

    if (job != NULL) {
        if (*state == LOOKUP_QUEUED) {
            (void)fut__job_cancel(job);
            fut_atomic_waker_drop(&job->aw);
        }
        fut__job_unref(job); /* the last reference frees it */
    }
    *jobp = NULL;
    *state = LOOKUP_DONE;
}

static void
gai_drop(struct fut_future *base)
{
    struct fut_getaddrinfo *f = (struct fut_getaddrinfo *)base;

    lookup_drop(&f->job_, &f->state_);
}

static int
gai_result(const struct fut_future *base)
{
    const struct fut_getaddrinfo *f = (const struct fut_getaddrinfo *)base;

    return f->state_ == LOOKUP_DONE ? f->res : 0;
}

static const struct fut_future_vtable gai_vtable = {
    .poll = gai_poll,
    .drop = gai_drop,
    .result = gai_result,
};

/* Length of @s if it is a nonempty string of at most @max bytes; else
 * -EINVAL (empty) or -ENAMETOOLONG. */
static long
name_len(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);

    if (n == 0)
        return -EINVAL;
    if (n > max)
        return -ENAMETOOLONG;
    return (long)n;
}

int
fut_getaddrinfo_init(struct fut_getaddrinfo *f, const char *node,
                     const char *service, const struct addrinfo *hints)
{
    struct gai_job *g;
    long nlen = 0, slen = 0;
    char *p;

    if (f == NULL)
        return -EINVAL;
    memset(f, 0, sizeof *f);
    f->state_ = LOOKUP_DONE;
    if (node == NULL && service == NULL)
        return -EINVAL;
    if (node != NULL && (nlen = name_len(node, FUT_DNS_HOST_MAX)) < 0)
        return (int)nlen;
    if (service != NULL &&
        (slen = name_len(service, FUT_DNS_SERV_MAX)) < 0)
        return (int)slen;
    if (hints != NULL &&
        ((hints->ai_flags & ~GAI_FLAGS) != 0 || hints->ai_addrlen != 0 ||
         hints->ai_addr != NULL || hints->ai_canonname != NULL ||
         hints->ai_next != NULL))
        return -EINVAL;
    g = fut__malloc(sizeof *g + (size_t)nlen + 1 + (size_t)slen + 1);
    if (g == NULL)
        return -ENOMEM;
    fut__job_init(&g->job, gai_run, gai_release);
    g->has_hints = hints != NULL;
    if (hints != NULL)
        g->hints = *hints;
    else
        memset(&g->hints, 0, sizeof g->hints);
    p = g->buf;
    g->node = NULL;
    if (node != NULL) {
        memcpy(p, node, (size_t)nlen + 1);
        g->node = p;
        p += nlen + 1;
    }
    g->service = NULL;
    if (service != NULL) {
        memcpy(p, service, (size_t)slen + 1);
        g->service = p;
    }
    g->list = NULL;
    g->eai = 0;
    g->err = 0;
    g->taken = 0;
    f->base.vtable = &gai_vtable;
    f->job_ = &g->job;
    f->state_ = LOOKUP_INIT;
    return 0;
}

/* ---- getnameinfo --------------------------------------------------------- */

#ifndef NI_IDN
#define NI_IDN 0
#endif
#define GNI_FLAGS                                                            \
    (NI_NUMERICHOST | NI_NUMERICSERV | NI_NOFQDN | NI_NAMEREQD | NI_DGRAM |  \
     NI_IDN)

struct gni_job {
    struct fut__job job;
    struct sockaddr_storage addr;
    socklen_t len;
    int flags;
    int eai;
    int err;
    char host[NI_MAXHOST];
    char service[NI_MAXSERV];
};

static void
gni_run(struct fut__job *job)
{
    struct gni_job *g = (struct gni_job *)job;

    g->host[0] = '\0';
    g->service[0] = '\0';
    g->eai = fut__sys.getnameinfo((const struct sockaddr *)&g->addr, g->len,
                                  g->host, sizeof g->host, g->service,
                                  sizeof g->service, g->flags);
    g->err = fut_eai_to_errno(g->eai);
    /* Whatever the resolver did, the strings end inside their buffers. */
    g->host[sizeof g->host - 1] = '\0';
    g->service[sizeof g->service - 1] = '\0';
}

static void
gni_release(struct fut__job *job)
{
    fut__free(job);
}

static enum fut_poll
gni_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_getnameinfo *f = (struct fut_getnameinfo *)base;
    struct gni_job *g = (struct gni_job *)f->job_;
    int err;

    if (f->state_ == LOOKUP_DONE)
        return FUT_READY;
    if (f->state_ == LOOKUP_INIT) {
        err = cx->rt != NULL ? fut__job_submit(cx->rt, &g->job) : -EINVAL;
        if (err != 0) {
            f->job_ = NULL;
            fut__job_unref(&g->job);
            f->res = err;
            f->state_ = LOOKUP_DONE;
            return FUT_READY;
        }
        f->state_ = LOOKUP_QUEUED;
    }
    fut_atomic_waker_register(&g->job.aw, cx->waker);
    if (!fut_atomic_waker_take_woken(&g->job.aw))
        return FUT_PENDING;
    f->eai = g->eai;
    f->res = g->err;
    if (g->err == 0) {
        memcpy(f->host, g->host, sizeof f->host);
        memcpy(f->service, g->service, sizeof f->service);
    }
    fut_atomic_waker_drop(&g->job.aw);
    f->job_ = NULL;
    f->state_ = LOOKUP_DONE;
    fut__job_unref(&g->job);
    return FUT_READY;
}

static void
gni_drop(struct fut_future *base)
{
    struct fut_getnameinfo *f = (struct fut_getnameinfo *)base;

    lookup_drop(&f->job_, &f->state_);
}

static int
gni_result(const struct fut_future *base)
{
    const struct fut_getnameinfo *f = (const struct fut_getnameinfo *)base;

    return f->state_ == LOOKUP_DONE ? f->res : 0;
}

static const struct fut_future_vtable gni_vtable = {
    .poll = gni_poll,
    .drop = gni_drop,
    .result = gni_result,
};

int
fut_getnameinfo_init(struct fut_getnameinfo *f, const struct sockaddr *addr,
                     socklen_t len, int flags)
{
    struct gni_job *g;

    if (f == NULL)
        return -EINVAL;
    memset(f, 0, sizeof *f);
    f->state_ = LOOKUP_DONE;
    if (addr == NULL || (flags & ~GNI_FLAGS) != 0 ||
        len < (socklen_t)sizeof(sa_family_t))
        return -EINVAL;
    if (addr->sa_family == AF_INET) {
        if (len != (socklen_t)sizeof(struct sockaddr_in))
            return -EINVAL;
    } else if (addr->sa_family == AF_INET6) {
        if (len != (socklen_t)sizeof(struct sockaddr_in6))
            return -EINVAL;
    } else {
        return -EAFNOSUPPORT;
    }
    g = fut__malloc(sizeof *g);
    if (g == NULL)
        return -ENOMEM;
    fut__job_init(&g->job, gni_run, gni_release);
    memset(&g->addr, 0, sizeof g->addr);
    memcpy(&g->addr, addr, len);
    g->len = len;
    g->flags = flags;
    g->eai = 0;
    g->err = 0;
    f->base.vtable = &gni_vtable;
    f->job_ = &g->job;
    f->state_ = LOOKUP_INIT;
    return 0;
}

/* ---- connect by host name ----------------------------------------------- */

/*
 * The lookup answers a list; the addresses are copied into an array of
 * attempts in RFC 8305's order and the list is freed at once. Each
 * attempt is a fut_tcp_connect on a stream of its own. The attempts in
 * flight are few (one per stagger delay until one connects or the
 * per-attempt timeout ends them), so each poll polls all of them rather
 * than tracking which one was woken. The winner's descriptor moves into
 * the caller's stream: its registration is withdrawn first (the
 * descriptor stays open), then the caller's stream adopts it.
 */

#define DEFAULT_STAGGER_NS (250 * FUT_NSEC_PER_MSEC)
#define DEFAULT_ATTEMPT_NS (10 * FUT_NSEC_PER_SEC)

enum { CH_RESOLVE, CH_CONNECT, CH_DONE };
enum { AT_IDLE, AT_RUNNING, AT_OVER };

struct attempt {
    struct sockaddr_storage addr;
    socklen_t len;
    int state;
    struct fut_tcp_connect c;
    struct fut_tcp_stream s;
};

/* Put @ai's stream addresses in RFC 8305's order into a new array. */
static struct attempt *
order_addresses(const struct addrinfo *ai, unsigned int *np)
{
    const struct addrinfo *p, *q[2];
    struct attempt *a;
    unsigned int n = 0, i;
    int fam[2], k;

    for (p = ai; p != NULL; p = p->ai_next)
        if ((p->ai_family == AF_INET || p->ai_family == AF_INET6) &&
            p->ai_addr != NULL && p->ai_addrlen <= sizeof a->addr)
            n++;
    if (n > FUT_CONNECT_MAX_ADDRS)
        n = FUT_CONNECT_MAX_ADDRS;
    *np = n;
    if (n == 0)
        return NULL;
    a = fut__calloc(n, sizeof *a);
    if (a == NULL)
        return NULL;
    /* Two cursors, one per family; the first answer's family leads. */
    fam[0] = AF_INET6;
    for (p = ai; p != NULL; p = p->ai_next)
        if (p->ai_family == AF_INET || p->ai_family == AF_INET6) {
            fam[0] = p->ai_family;
            break;
        }
    fam[1] = fam[0] == AF_INET6 ? AF_INET : AF_INET6;
    q[0] = q[1] = ai;
    k = 0;
    for (i = 0; i < n; i++) {
        int t;

        for (t = 0; t < 2; t++, k ^= 1) {
            while (q[k] != NULL &&
                   !(q[k]->ai_family == fam[k] && q[k]->ai_addr != NULL &&
                     q[k]->ai_addrlen <= sizeof a->addr))
                q[k] = q[k]->ai_next;
            if (q[k] != NULL)
                break;
        }
        /* n counted only such entries, so one cursor has one left. */
        assert(q[k] != NULL);
        memcpy(&a[i].addr, q[k]->ai_addr, q[k]->ai_addrlen);
        a[i].len = q[k]->ai_addrlen;
        a[i].state = AT_IDLE;
        q[k] = q[k]->ai_next;
        k ^= 1;
    }
    return a;
}

/* Cancel every attempt still running (closing its socket) and free them. */
static void
attempts_free(struct fut_tcp_connect_host *f)
{
    struct attempt *a = f->attempts_;
    unsigned int i;

    if (a == NULL)
        return;
    for (i = 0; i < f->next_; i++) {
        if (a[i].state == AT_RUNNING) {
            fut_future_drop(&a[i].c.base);
            (void)fut_tcp_stream_close(&a[i].s);
        }
    }
    fut__free(a);
    f->attempts_ = NULL;
    f->running_ = 0;
}

static enum fut_poll
ch_finish(struct fut_tcp_connect_host *f, int res)
{
    attempts_free(f);
    fut_future_drop(&f->stagger_.base);
    fut_future_drop(&f->gai_.base);
    f->res = res;
    f->state_ = CH_DONE;
    return FUT_READY;
}

/* Attempt @i connected: move its descriptor into the caller's stream. */
static enum fut_poll
ch_win(struct fut_tcp_connect_host *f, struct attempt *w)
{
    int fd = w->s.io.fd, err;

    /* Withdraw the registration, keep the descriptor, and leave the
     * attempt's stream closed without a descriptor. */
    (void)fut_io_close(&w->s.io);
    w->s.io.fd = -1;
    w->state = AT_OVER;
    err = fut_tcp_stream_from_fd(f->stream, fd);
    if (err != 0) {
        fut__os_close(fd);
        (void)fut_tcp_stream_init(f->stream);
    }
    return ch_finish(f, err);
}

/* Start the next attempt; it is polled by the caller's loop. */
static void
ch_start_next(struct fut_tcp_connect_host *f)
{
    struct attempt *a = (struct attempt *)f->attempts_ + f->next_;
    int err;

    f->next_++;
    (void)fut_tcp_stream_init(&a->s);
    err = fut_tcp_connect_init(&a->c, &a->s, (const struct sockaddr *)&a->addr,
                               a->len, f->opts_.attempt_timeout_ns);
    if (err != 0) {
        /* Only an address the resolver made up fails here. */
        a->state = AT_OVER;
        f->res = err;
        f->fail_now_ = 1;
        return;
    }
    a->state = AT_RUNNING;
    f->running_++;
    fut_future_drop(&f->stagger_.base);
    (void)fut_sleep_init(&f->stagger_, f->opts_.stagger_ns);
}

static enum fut_poll
ch_connect(struct fut_tcp_connect_host *f, struct fut_context *cx)
{
    struct attempt *a = f->attempts_;
    unsigned int i;
    int res;

    for (;;) {
        for (i = 0; i < f->next_; i++) {
            if (a[i].state != AT_RUNNING)
                continue;
            if (fut_future_poll(&a[i].c.base, cx) == FUT_PENDING)
                continue;
            res = a[i].c.res;
            fut_future_drop(&a[i].c.base);
            if (res == 0)
                return ch_win(f, &a[i]);
            a[i].state = AT_OVER;
            f->running_--;
            f->res = res;
            /* RFC 8305 section 5: a failure starts the next at once. */
            f->fail_now_ = 1;
        }
        if (f->next_ == f->n_) {
            if (f->running_ == 0)
                return ch_finish(f, f->res);
            fut_future_drop(&f->stagger_.base); /* nothing left to start */
            return FUT_PENDING;
        }
        if (f->fail_now_ || f->running_ == 0 ||
            fut_future_poll(&f->stagger_.base, cx) == FUT_READY) {
            f->fail_now_ = 0;
            ch_start_next(f);
            continue;       /* poll the new attempt (registers the waker) */
        }
        return FUT_PENDING;
    }
}

static enum fut_poll
ch_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_tcp_connect_host *f = (struct fut_tcp_connect_host *)base;
    struct addrinfo *list;

    if (f->state_ == CH_DONE)
        return FUT_READY;
    if (f->state_ == CH_RESOLVE) {
        if (fut_future_poll(&f->gai_.base, cx) == FUT_PENDING)
            return FUT_PENDING;
        f->eai = f->gai_.eai;
        if (f->gai_.res != 0)
            return ch_finish(f, f->gai_.res);
        list = f->gai_.ai;
        f->gai_.ai = NULL;
        f->attempts_ = order_addresses(list, &f->n_);
        fut_freeaddrinfo(list);
        if (f->attempts_ == NULL)
            return ch_finish(f, f->n_ == 0 ? -EADDRNOTAVAIL : -ENOMEM);
        fut_future_drop(&f->gai_.base);
        f->res = -ECONNREFUSED; /* replaced by the first failure */
        f->state_ = CH_CONNECT;
    }
    return ch_connect(f, cx);
}

static void
ch_drop(struct fut_future *base)
{
    struct fut_tcp_connect_host *f = (struct fut_tcp_connect_host *)base;

    attempts_free(f);
    fut_future_drop(&f->stagger_.base);
    fut_future_drop(&f->gai_.base);
    f->state_ = CH_DONE;
}

static int
ch_result(const struct fut_future *base)
{
    const struct fut_tcp_connect_host *f =
        (const struct fut_tcp_connect_host *)base;

    return f->state_ == CH_DONE ? f->res : 0;
}

static const struct fut_future_vtable ch_vtable = {
    .poll = ch_poll,
    .drop = ch_drop,
    .result = ch_result,
};

int
fut_tcp_connect_host_init(struct fut_tcp_connect_host *f,
                          struct fut_tcp_stream *stream, const char *host,
                          unsigned int port,
                          const struct fut_connect_options *opts)
{
    struct addrinfo hints;
    char service[16];
    int err;

    if (f == NULL)
        return -EINVAL;
    memset(f, 0, sizeof *f);
    f->state_ = CH_DONE;
    if (stream == NULL || host == NULL || port > 65535)
        return -EINVAL;
    if (opts != NULL) {
        f->opts_ = *opts;
        if (opts->stagger_ns < 0 ||
            (opts->family != AF_UNSPEC && opts->family != AF_INET &&
             opts->family != AF_INET6))
            return -EINVAL;
    }
    if (f->opts_.stagger_ns == 0)
        f->opts_.stagger_ns = DEFAULT_STAGGER_NS;
    if (f->opts_.attempt_timeout_ns == 0)
        f->opts_.attempt_timeout_ns = DEFAULT_ATTEMPT_NS;
    /* An open stream would lose its descriptor (see fut_tcp_connect_init;
     * the contract asks for an initialised or closed stream). */
    if (stream->io.fd >= 0)
        return -EISCONN;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = f->opts_.family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(service, sizeof service, "%u", port);
    err = fut_getaddrinfo_init(&f->gai_, host, service, &hints);
    if (err != 0)
        return err;
    f->stream = stream;
    f->base.vtable = &ch_vtable;
    f->state_ = CH_RESOLVE;
    return 0;
}
