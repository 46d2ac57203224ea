/* SPDX-License-Identifier: MIT */
/*
 * event2/listener.h - libevent 2.1's connection listeners on the
 * libfutures core (libfutures-eventapi): a listening socket watched with a
 * persistent read event; each readiness accepts every pending connection
 * and hands each to the callback.
 *
 * Threads: with LEV_OPT_THREADSAFE after evthread_use_pthreads(), the
 * listener's functions and its accept loop take a recursive lock (released
 * while the callback runs); otherwise it belongs to one thread at a time.
 */
#ifndef EVENT2_LISTENER_H_INCLUDED_
#define EVENT2_LISTENER_H_INCLUDED_

#include <sys/socket.h>

#include "event2/util.h"
#include "event2/event.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sockaddr;
struct evconnlistener;

/* A new connection @fd (the program owns it) from @addr (@socklen bytes). */
typedef void (*evconnlistener_cb)(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *addr, int socklen, void *ptr);
/* accept(2) failed with something else than a retriable error
 * (EVUTIL_SOCKET_ERROR() says what: EMFILE, ENFILE, ENOBUFS...). */
typedef void (*evconnlistener_errorcb)(struct evconnlistener *lev, void *ptr);

/* Accepted sockets are left blocking (default: nonblocking). */
#define LEV_OPT_LEAVE_SOCKETS_BLOCKING (1u << 0)
/* evconnlistener_free() closes the listening socket. */
#define LEV_OPT_CLOSE_ON_FREE (1u << 1)
/* The listening socket (new_bind) and accepted ones are close-on-exec. */
#define LEV_OPT_CLOSE_ON_EXEC (1u << 2)
/* SO_REUSEADDR on the socket evconnlistener_new_bind() makes. */
#define LEV_OPT_REUSEABLE (1u << 3)
/* A lock once evthread_use_pthreads() was called; accepted (no lock) before. */
#define LEV_OPT_THREADSAFE (1u << 4)
/* Start disabled (evconnlistener_enable() starts accepting). */
#define LEV_OPT_DISABLED (1u << 5)
/* TCP_DEFER_ACCEPT: a connection is reported when its first data came. */
#define LEV_OPT_DEFERRED_ACCEPT (1u << 6)
/* SO_REUSEPORT on the socket evconnlistener_new_bind() makes. */
#define LEV_OPT_REUSEABLE_PORT (1u << 7)
/* IPV6_V6ONLY on the socket evconnlistener_new_bind() makes. */
#define LEV_OPT_BIND_IPV6ONLY (1u << 8)

/**
 * evconnlistener_new - accept on the bound socket @fd (made nonblocking).
 * @backlog > 0: listen(2) with it; < 0: listen(2) with 128; 0: @fd
 * already listens. Accepting starts now unless LEV_OPT_DISABLED (and
 * only once a callback is set). Returns NULL (NULL base, bad @fd, listen
 * failed, out of memory; @fd is then left open).
 */
EVENT2_EXPORT_SYMBOL struct evconnlistener *evconnlistener_new(struct event_base *base, evconnlistener_cb cb, void *ptr, unsigned flags, int backlog, evutil_socket_t fd);

/**
 * evconnlistener_new_bind - a TCP socket of @sa's family (nonblocking,
 * SO_KEEPALIVE, the LEV_OPT_ socket options of @flags), bound to @sa
 * (@socklen bytes; NULL: not bound), then evconnlistener_new(). Returns
 * NULL (errno set; the socket is closed).
 */
EVENT2_EXPORT_SYMBOL struct evconnlistener *evconnlistener_new_bind(struct event_base *base, evconnlistener_cb cb, void *ptr, unsigned flags, int backlog, const struct sockaddr *sa, int socklen);

/**
 * evconnlistener_free - stop and free @lev (closing its socket with
 * LEV_OPT_CLOSE_ON_FREE); safe from its own callbacks. NULL is ignored.
 */
EVENT2_EXPORT_SYMBOL void evconnlistener_free(struct evconnlistener *lev);

/** evconnlistener_enable - accept again. Returns 0 or -1. */
EVENT2_EXPORT_SYMBOL int evconnlistener_enable(struct evconnlistener *lev);

/**
 * evconnlistener_disable - stop accepting (connections wait in the
 * backlog). From the callback: no further connection of this readiness
 * is accepted. Returns 0 or -1.
 */
EVENT2_EXPORT_SYMBOL int evconnlistener_disable(struct evconnlistener *lev);

/** evconnlistener_get_base - the base of @lev. */
EVENT2_EXPORT_SYMBOL struct event_base *evconnlistener_get_base(struct evconnlistener *lev);

/** evconnlistener_get_fd - the listening socket of @lev. */
EVENT2_EXPORT_SYMBOL evutil_socket_t evconnlistener_get_fd(struct evconnlistener *lev);

/**
 * evconnlistener_set_cb - change the callback and its argument (NULL:
 * connections accepted meanwhile are closed, as libevent does; setting a
 * callback on an enabled listener that had none starts watching).
 */
EVENT2_EXPORT_SYMBOL void evconnlistener_set_cb(struct evconnlistener *lev, evconnlistener_cb cb, void *arg);

/** evconnlistener_set_error_cb - the callback for accept(2) errors (NULL: none). */
EVENT2_EXPORT_SYMBOL void evconnlistener_set_error_cb(struct evconnlistener *lev, evconnlistener_errorcb errorcb);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_LISTENER_H_INCLUDED_ */
