/* SPDX-License-Identifier: MIT */
/* compat/eventapi: the bufferevent functions without their lock
 * (bufferevent.c); bufferevent-lock.c defines the public names around them. */
#ifndef FUT_EVENTAPI_BUFFEREVENT_LOCK_H
#define FUT_EVENTAPI_BUFFEREVENT_LOCK_H

#include <event2/bufferevent.h>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* Take @bufev's lock and a reference on it (NULL: no lock); drop releases
 * both, even when the bufferevent went meanwhile. */
struct bev_lock;
struct bev_lock *fut_bev_lock_take(struct bufferevent *bufev);
void fut_bev_lock_drop(struct bev_lock *lk);

int bev_nolock_enable(struct bufferevent *bufev, short event);
int bev_nolock_disable(struct bufferevent *bufev, short event);
short bev_nolock_get_enabled(struct bufferevent *bufev);
void bev_nolock_setcb(struct bufferevent *bufev, bufferevent_data_cb readcb, bufferevent_data_cb writecb, bufferevent_event_cb eventcb, void *cbarg);
void bev_nolock_getcb(struct bufferevent *bufev, bufferevent_data_cb *readcb_ptr, bufferevent_data_cb *writecb_ptr, bufferevent_event_cb *eventcb_ptr, void **cbarg_ptr);
int bev_nolock_set_timeouts(struct bufferevent *bufev, const struct timeval *timeout_read, const struct timeval *timeout_write);
void bev_nolock_setwatermark(struct bufferevent *bufev, short events, size_t lowmark, size_t highmark);
int bev_nolock_getwatermark(struct bufferevent *bufev, short events, size_t *lowmark, size_t *highmark);
int bev_nolock_flush(struct bufferevent *bufev, short iotype, enum bufferevent_flush_mode mode);
void bev_nolock_trigger(struct bufferevent *bufev, short iotype, int options);
void bev_nolock_trigger_event(struct bufferevent *bufev, short what, int options);
int bev_nolock_setfd(struct bufferevent *bufev, evutil_socket_t fd);
evutil_socket_t bev_nolock_getfd(struct bufferevent *bufev);
int bev_nolock_priority_set(struct bufferevent *bev, int pri);
int bev_nolock_get_priority(const struct bufferevent *bev);
int bev_nolock_set_max_single_read(struct bufferevent *bev, size_t size);
int bev_nolock_set_max_single_write(struct bufferevent *bev, size_t size);
ev_ssize_t bev_nolock_get_max_single_read(struct bufferevent *bev);
ev_ssize_t bev_nolock_get_max_single_write(struct bufferevent *bev);
int bev_nolock_socket_connect(struct bufferevent *bev, const struct sockaddr *sa, int socklen);
int bev_nolock_socket_get_dns_error(struct bufferevent *bev);
ev_ssize_t bev_nolock_get_max_to_read(struct bufferevent *bev);
ev_ssize_t bev_nolock_get_max_to_write(struct bufferevent *bev);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
