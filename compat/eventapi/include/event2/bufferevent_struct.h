/* SPDX-License-Identifier: MIT */
/*
 * event2/bufferevent_struct.h - the fields of struct bufferevent that
 * libevent 2.1 programs read directly (libfutures libevent API shim).
 * Read them only: change them through the bufferevent_*() functions.
 */
#ifndef EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_
#define EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_

#include <sys/time.h>

#include "event2/util.h"
#include "event2/event_struct.h"
#include "event2/buffer.h"
#include "event2/bufferevent.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A low and a high watermark (0: none). */
struct event_watermark {
  size_t low;
  size_t high;
};

/* The kind of a bufferevent (private). */
struct bufferevent_ops;

struct bufferevent {
  struct event_base *ev_base;
  const struct bufferevent_ops *be_ops;
  struct event ev_read;   /* the read readiness event */
  struct event ev_write;  /* the write readiness event */
  struct evbuffer *input;
  struct evbuffer *output;
  struct event_watermark wm_read;
  struct event_watermark wm_write;
  bufferevent_data_cb readcb;
  bufferevent_data_cb writecb;
  bufferevent_event_cb errorcb;
  void *cbarg;
  struct timeval timeout_read;
  struct timeval timeout_write;
  short enabled; /* EV_READ | EV_WRITE */
};

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFEREVENT_STRUCT_H_INCLUDED_ */
