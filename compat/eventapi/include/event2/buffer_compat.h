/* SPDX-License-Identifier: MIT */
/*
 * event2/buffer_compat.h - the libevent 1.4 evbuffer names that libevent
 * 2.1 still provides (libfutures libevent API shim).
 */
#ifndef EVENT2_BUFFER_COMPAT_H_INCLUDED_
#define EVENT2_BUFFER_COMPAT_H_INCLUDED_

#include "event2/visibility.h"
#include "event2/util.h"
#include "event2/buffer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The old callback: the buffer's length before and after a change. */
typedef void (*evbuffer_cb)(struct evbuffer *buffer, size_t old_len, size_t new_len, void *arg);

/**
 * evbuffer_setcb - replace every callback of @buffer (evbuffer_add_cb()
 * ones too) by @cb(@buffer, old length, new length, @cbarg), run after
 * each change; NULL @cb: no callback left.
 */
EVENT2_EXPORT_SYMBOL void evbuffer_setcb(struct evbuffer *buffer, evbuffer_cb cb, void *cbarg);

/**
 * evbuffer_readline - evbuffer_readln(@buffer, NULL, EVBUFFER_EOL_ANY).
 */
EVENT2_EXPORT_SYMBOL char *evbuffer_readline(struct evbuffer *buffer);

/**
 * evbuffer_find - the first occurrence of @what (@len bytes), made
 * contiguous with what precedes it (evbuffer_pullup), or NULL.
 */
EVENT2_EXPORT_SYMBOL unsigned char *evbuffer_find(struct evbuffer *buffer, const unsigned char *what, size_t len);

/* The length, and all the data made contiguous. */
#define EVBUFFER_LENGTH(x) evbuffer_get_length(x)
#define EVBUFFER_DATA(x) evbuffer_pullup((x), -1)

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFER_COMPAT_H_INCLUDED_ */
