/* SPDX-License-Identifier: MIT */
/*
 * futures/compat-kit.h - the layout of the loop machinery the API shims of
 * compat/ share (libuv's uv.h, libevent's event2 headers, libev's ev.h
 * embed these structures in their handles, events and watchers, by value,
 * as the real libraries' headers do with their private fields).
 *
 * Types only, and all of them private: a program never touches these
 * fields, and no function here is part of the library's API. Installed
 * because the shims' public headers need the sizes.
 */
#ifndef FUTURES_COMPAT_KIT_H
#define FUTURES_COMPAT_KIT_H

#include <stdint.h>

#include <futures/executor.h>
#include <futures/reactor.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- intrusive doubly linked queues ------------------------------------ */

struct fut_kit_queue {
  struct fut_kit_queue *next;
  struct fut_kit_queue *prev;
};

/* ---- timers: a pairing heap keyed by (due, start order) ---------------- */

/* A timer of a loop. Embed it; the shim keeps its own fields (callback,
 * repeat) around it. @due is in the shim's unit (nanoseconds or
 * milliseconds: only the order matters here); among equal @due, the one
 * added first comes first. */
struct fut_kit_timer {
  struct fut_kit_timer *child_;
  struct fut_kit_timer *next_;
  struct fut_kit_timer *prev_; /* the parent, for a first child */
  uint64_t due;
  uint64_t seq_;
  int in_heap_;
};

/* ---- the loop ---------------------------------------------------------- */

struct fut_kit_fd;

struct fut_kit_loop {
  struct fut_runtime rt;
  struct fut_kit_queue ready;     /* struct fut_kit_ev woken, run by fut_kit_loop_poll() */
  struct fut_kit_timer *timers_;  /* the heap's root */
  uint64_t timer_seq_;
  int rt_more;                 /* the last turn left tasks ready */
  int initialized;
  struct fut_kit_fd **fds_;    /* descriptor watches, indexed by descriptor */
  int nfds_;
  struct fut_kit_queue recheck_; /* struct fut_kit_fd to ask again (level) */
  void *recheck_buf_;          /* struct pollfd[recheck_cap_] */
  unsigned int recheck_cap_;
};

/* ---- events -------------------------------------------------------------- */

struct fut_kit_ev {
  struct fut_kit_queue node;
  void (*cb)(struct fut_kit_ev *ev);
  struct fut_kit_loop *loop;
  unsigned int queued; /* 0, or the value fut_kit_ev_feed_to() was given */
};

/* ---- descriptor watches ---------------------------------------------------- */

/* One per watched descriptor per loop (see kit.h: fut_kit_fd_*). */
struct fut_kit_fd {
  struct fut_io io;
  struct fut_kit_ev ev;          /* woken by io's readiness */
  struct fut_kit_queue recheck_; /* on loop->recheck_ */
  void (*cb)(struct fut_kit_fd *f, unsigned int events);
  void *data;                    /* the shim's (its watchers on this descriptor) */
  unsigned int interest;         /* FUT_IO_READABLE | FUT_IO_WRITABLE */
  unsigned int edge;             /* of those: report once per edge, no recheck */
  unsigned int reported_;        /* level directions reported, to ask again */
  int fd;
  int armed_;
};

#ifdef __cplusplus
}
#endif

#endif /* FUTURES_COMPAT_KIT_H */
