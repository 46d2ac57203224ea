/* SPDX-License-Identifier: MIT */
/*
 * event2/event_struct.h - the complete struct event, for programs that
 * embed events in their own structures and set them up with
 * event_assign() (libfutures libevent API shim).
 *
 * Fields starting with ev_ and not ending in an underscore carry the
 * names libevent 2.1 gives them (ev_fd, ev_base, ev_events, ev_res,
 * ev_flags, ev_pri, ev_callback, ev_arg) so programs that read
 * them compile; read them only, and prefer the event_get_*() accessors.
 * Fields ending in an underscore are private.
 */
#ifndef EVENT2_EVENT_STRUCT_H_INCLUDED_
#define EVENT2_EVENT_STRUCT_H_INCLUDED_

#include <sys/time.h>

#include <futures/compat-kit.h>

#include "event2/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The states in ev_flags. */
#define EVLIST_TIMEOUT 0x01      /* a timeout is pending */
#define EVLIST_INSERTED 0x02     /* added: waits for its descriptor / signal */
#define EVLIST_SIGNAL 0x04       /* (libevent's; unused here) */
#define EVLIST_ACTIVE 0x08       /* on an active queue: its callback will run */
#define EVLIST_INTERNAL 0x10     /* the base's own event */
#define EVLIST_ACTIVE_LATER 0x20 /* (libevent's; unused here) */
#define EVLIST_FINALIZING 0x40   /* finalized: only its finalizer will run */
#define EVLIST_INIT 0x80         /* assigned */
#define EVLIST_ALL 0xff

struct event_base;

struct event {
  struct fut_kit_queue ev_active_;  /* on the base's active queue of ev_pri */
  struct fut_kit_queue ev_watch_;   /* with the other events of ev_fd / the signal */
  struct fut_kit_queue ev_inserted_; /* on the base's list of added events */
  struct fut_kit_queue ev_change_;  /* on the base's queue of watches to start (threads) */
  struct fut_kit_timer ev_timer_;   /* due: CLOCK_MONOTONIC nanoseconds */
  evutil_socket_t ev_fd;            /* descriptor, or signal number */
  struct event_base *ev_base;
  short ev_events;                  /* EV_READ | EV_WRITE | EV_SIGNAL | ... */
  short ev_res;                     /* what the pending callback gets */
  unsigned short ev_flags;          /* EVLIST_* */
  ev_uint8_t ev_pri;                /* priority (0: the most urgent) */
  ev_uint8_t ev_closure_;           /* which callback kind (private) */
  void (*ev_callback)(evutil_socket_t fd, short what, void *arg);
  void *ev_arg;
  struct timeval ev_interval_;      /* a persistent event's timeout */
  short ev_ncalls_;                 /* signal arrivals for the pending call */
  void (*ev_finalize_)(struct event *ev, void *arg);
};

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_EVENT_STRUCT_H_INCLUDED_ */
