/* SPDX-License-Identifier: MIT */
/*
 * compat/eventapi: what bufferevent.c and bufferevent_filter.c share
 * (hidden).
 */
#ifndef FUT_EVENTAPI_BUFFEREVENT_INTERNAL_H
#define FUT_EVENTAPI_BUFFEREVENT_INTERNAL_H

#include <event2/bufferevent.h>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* A filter's state (bufferevent_filter.c). */
struct fut_bev_filter;

/* bufferevent.c: a bufferevent of the "filter" kind on @base, without a
 * descriptor, whose directions, flushing and teardown go to @filter. */
struct bufferevent *fut_bev_new_filter(struct event_base *base, int options, struct fut_bev_filter *filter,
                                      struct bufferevent *underlying);
/* bufferevent.c: run a callback of @bev now, or from the loop when @bev
 * defers its callbacks (BEV_OPT_DEFER_CALLBACKS). */
void fut_bev_run_readcb(struct bufferevent *bev);
void fut_bev_run_writecb(struct bufferevent *bev);
void fut_bev_run_eventcb(struct bufferevent *bev, short what);
/* bufferevent.c: bufferevent_free() was called on @bev. */
int fut_bev_is_freed(struct bufferevent *bev);

/* bufferevent_filter.c, called by bufferevent.c: */
/* bufferevent_enable/disable() on the filter (its enabled bits updated). */
int fut_bev_filter_enable(struct fut_bev_filter *f, short events);
int fut_bev_filter_disable(struct fut_bev_filter *f, short events);
/* bufferevent_flush() on the filter. */
int fut_bev_filter_flush(struct fut_bev_filter *f, short iotype, enum bufferevent_flush_mode mode);
/* bufferevent_free() on the filter: let go of the underlying one. */
void fut_bev_filter_unlink(struct fut_bev_filter *f);
/* The filter's last reference dropped: free the state. */
void fut_bev_filter_destruct(struct fut_bev_filter *f);
struct bufferevent *fut_bev_filter_underlying(struct fut_bev_filter *f);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
