/* SPDX-License-Identifier: MIT */
/*
 * event2/bufferevent_compat.h - the libevent 1.4 bufferevent names that
 * libevent 2.1 still provides (libfutures libevent API shim).
 */
#ifndef EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_

#include "event2/visibility.h"
#include "event2/util.h"
#include "event2/bufferevent.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The old names of the event callback's flags. */
#define EVBUFFER_READ BEV_EVENT_READING
#define EVBUFFER_WRITE BEV_EVENT_WRITING
#define EVBUFFER_EOF BEV_EVENT_EOF
#define EVBUFFER_ERROR BEV_EVENT_ERROR
#define EVBUFFER_TIMEOUT BEV_EVENT_TIMEOUT

/* The old names of the callback types. */
typedef bufferevent_data_cb evbuffercb;
typedef bufferevent_event_cb everrorcb;

/**
 * bufferevent_new - bufferevent_socket_new() on the base event_init()
 * made (none: NULL; move it with bufferevent_base_set()), with no
 * options, then bufferevent_setcb(). Returns NULL on failure.
 */
EVENT2_EXPORT_SYMBOL struct bufferevent *bufferevent_new(evutil_socket_t fd, evbuffercb readcb, evbuffercb writecb, everrorcb errorcb, void *cbarg);

/**
 * bufferevent_settimeout - bufferevent_set_timeouts() in whole seconds
 * (0 or less: none).
 */
EVENT2_EXPORT_SYMBOL void bufferevent_settimeout(struct bufferevent *bufev, int timeout_read, int timeout_write);

/* A bufferevent's buffers. */
#define EVBUFFER_INPUT(x) bufferevent_get_input(x)
#define EVBUFFER_OUTPUT(x) bufferevent_get_output(x)

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_COMPAT_H_INCLUDED_ */
