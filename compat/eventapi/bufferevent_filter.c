/* SPDX-License-Identifier: MIT */
/*
 * compat/eventapi: filtering bufferevents (bufferevent_filter_new), as
 * libevent 2.1 builds them: the filter takes over the underlying
 * bufferevent's callbacks; bytes the underlying one reads go through the
 * input filter into the filter's input, bytes written to the filter's
 * output go through the output filter into the underlying one's output.
 * The filter has no descriptor; its timeouts are plain timers (as a
 * pair's). One internal event ("kick") runs the filters from the loop when
 * enabling a direction or draining the input finds bytes waiting, so no
 * callback runs inside bufferevent_enable() or evbuffer_drain().
 */
#include "config.h"

#include <stdlib.h>

#include "event2/buffer.h"
#include "event2/bufferevent.h"
#include "event2/bufferevent_struct.h"
#include "event2/event.h"

#include "buffer-internal.h"
#include "bufferevent-internal.h"

struct fut_bev_filter {
  struct bufferevent *bev;        /* the filter */
  struct bufferevent *underlying;
  bufferevent_filter_cb in, out;
  void (*free_context)(void *);
  void *ctx;
  int options;
  struct event kick;
  struct event release;           /* drops references held by output_hook */
  int releases;                   /* how many */
  int u_reading;                  /* the underlying one's reading is on */
  int in_output;                  /* inside process_output() */
  int unlinked;                   /* bufferevent_free() was called */
};

/* Used for a NULL filter: moves the bytes as they are. */
static enum bufferevent_filter_result
null_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t lim, enum bufferevent_flush_mode mode, void *ctx)
{
  size_t n = evbuffer_get_length(src);

  (void)mode;
  (void)ctx;
  if (lim >= 0 && (size_t)lim < n)
    n = (size_t)lim;
  if (n && evbuffer_remove_buffer(src, dst, n) != (int)n)
    return BEV_ERROR;
  return BEV_OK;
}

/* The filter's input is at its high watermark (BEV_NORMAL only). */
static int
input_full(struct fut_bev_filter *f, enum bufferevent_flush_mode mode)
{
  struct bufferevent *b = f->bev;

  return mode == BEV_NORMAL && b->wm_read.high && evbuffer_get_length(b->input) >= b->wm_read.high;
}

/* The underlying output is at its high watermark (BEV_NORMAL only). */
static int
under_full(struct fut_bev_filter *f, enum bufferevent_flush_mode mode)
{
  struct bufferevent *u = f->underlying;

  return mode == BEV_NORMAL && u->wm_write.high && evbuffer_get_length(u->output) >= u->wm_write.high;
}

/* Re-apply the generic timeouts (pending only while enabled, and the write
 * one while there is output). */
static void
adj_timeouts(struct fut_bev_filter *f)
{
  struct bufferevent *b = f->bev;

  if (!f->unlinked)
    bufferevent_set_timeouts(b, &b->timeout_read, &b->timeout_write);
}

/* The underlying one reads while the filter reads and its input has room. */
static void
sync_read(struct fut_bev_filter *f)
{
  int want = !f->unlinked && (f->bev->enabled & EV_READ) && !input_full(f, BEV_NORMAL);

  if (want == f->u_reading || fut_bev_is_freed(f->underlying))
    return;
  f->u_reading = want;
  if (want)
    bufferevent_enable(f->underlying, EV_READ);
  else
    bufferevent_disable(f->underlying, EV_READ);
}

static enum bufferevent_filter_result
process_input(struct fut_bev_filter *f, enum bufferevent_flush_mode mode, int *processed)
{
  struct bufferevent *b = f->bev;
  struct evbuffer *src = f->underlying->input;
  enum bufferevent_filter_result res;

  if (mode == BEV_NORMAL && (!(b->enabled & EV_READ) || input_full(f, mode)))
    return BEV_OK;
  do {
    size_t before_src = evbuffer_get_length(src), before_dst = evbuffer_get_length(b->input);
    ev_ssize_t limit = -1;

    if (mode == BEV_NORMAL && b->wm_read.high)
      limit = (ev_ssize_t)(b->wm_read.high - before_dst);
    evbuffer_unfreeze(b->input, 0);
    res = f->in(src, b->input, limit, mode, f->ctx);
    evbuffer_freeze(b->input, 0);
    if (res != BEV_OK)
      break;
    *processed = 1;
    /* A filter that said OK but moved nothing would loop forever. */
    if (evbuffer_get_length(src) == before_src && evbuffer_get_length(b->input) == before_dst)
      break;
  } while ((b->enabled & EV_READ) && evbuffer_get_length(src) && !input_full(f, mode));
  return res;
}

static enum bufferevent_filter_result
process_output(struct fut_bev_filter *f, enum bufferevent_flush_mode mode, int *processed)
{
  struct bufferevent *b = f->bev;
  struct evbuffer *dst = f->underlying->output;
  enum bufferevent_filter_result res = BEV_OK;
  int again;

  if (f->in_output)
    return BEV_OK;
  if (mode == BEV_NORMAL &&
      (!(b->enabled & EV_WRITE) || under_full(f, mode) || !evbuffer_get_length(b->output)))
    return BEV_OK;
  f->in_output = 1;
  do {
    int done = 0;

    again = 0;
    do {
      size_t before_src = evbuffer_get_length(b->output), before_dst = evbuffer_get_length(dst);
      ev_ssize_t limit = -1;

      if (mode == BEV_NORMAL && f->underlying->wm_write.high)
        limit = (ev_ssize_t)(f->underlying->wm_write.high - before_dst);
      evbuffer_unfreeze(b->output, 1);
      res = f->out(b->output, dst, limit, mode, f->ctx);
      evbuffer_freeze(b->output, 1);
      if (res != BEV_OK)
        break;
      done = *processed = 1;
      if (evbuffer_get_length(b->output) == before_src && evbuffer_get_length(dst) == before_dst)
        break;
    } while ((b->enabled & EV_WRITE) && evbuffer_get_length(b->output) && !under_full(f, mode));
    if (done && evbuffer_get_length(b->output) <= b->wm_write.low) {
      size_t len = evbuffer_get_length(b->output);

      fut_bev_run_writecb(b);
      /* The write callback added more: filter that too. */
      if (res == BEV_OK && !f->unlinked && (b->enabled & EV_WRITE) &&
          evbuffer_get_length(b->output) > len && !under_full(f, mode))
        again = 1;
    }
  } while (again);
  f->in_output = 0;
  return res;
}

/* Underlying bytes arrived (or are waiting): filter them in. */
static void
run_input(struct fut_bev_filter *f)
{
  struct bufferevent *b = f->bev;
  int processed = 0;

  if (f->unlinked)
    return;
  bufferevent_incref(b);
  process_input(f, BEV_NORMAL, &processed);
  if (processed && !f->unlinked && evbuffer_get_length(b->input) >= b->wm_read.low)
    fut_bev_run_readcb(b);
  sync_read(f);
  if (processed)
    adj_timeouts(f);
  bufferevent_decref(b);
}

static void
run_output(struct fut_bev_filter *f)
{
  int processed = 0;

  if (f->unlinked)
    return;
  bufferevent_incref(f->bev);
  process_output(f, BEV_NORMAL, &processed);
  if (processed)
    adj_timeouts(f);
  bufferevent_decref(f->bev);
}

static void
under_readcb(struct bufferevent *u, void *arg)
{
  (void)u;
  run_input(arg);
}

static void
under_writecb(struct bufferevent *u, void *arg)
{
  (void)u;
  run_output(arg);
}

static void
under_eventcb(struct bufferevent *u, short what, void *arg)
{
  struct fut_bev_filter *f = arg;

  (void)u;
  if (f->unlinked)
    return;
  bufferevent_incref(f->bev);
  fut_bev_run_eventcb(f->bev, what);
  bufferevent_decref(f->bev);
}

static void
kick_cb(evutil_socket_t fd, short what, void *arg)
{
  struct fut_bev_filter *f = arg;

  (void)fd;
  (void)what;
  bufferevent_incref(f->bev);
  run_input(f);
  run_output(f);
  bufferevent_decref(f->bev);
}

static void
kick(struct fut_bev_filter *f)
{
  if (!f->unlinked)
    event_active(&f->kick, EV_READ, 1);
}

/* The program drained the filter's input: room again under the high
 * watermark resumes reading, and bytes already waiting are filtered. */
static void
input_hook(struct evbuffer *buf, size_t added, size_t deleted, void *arg)
{
  struct fut_bev_filter *f = arg;

  (void)buf;
  (void)added;
  if (!deleted || f->unlinked || !(f->bev->enabled & EV_READ) || input_full(f, BEV_NORMAL))
    return;
  sync_read(f);
  if (evbuffer_get_length(f->underlying->input))
    kick(f);
}

static void
release_cb(evutil_socket_t fd, short what, void *arg)
{
  struct fut_bev_filter *f = arg;
  struct bufferevent *b = f->bev;
  int n = f->releases;

  (void)fd;
  (void)what;
  f->releases = 0;
  /* The last of these may free @f. */
  while (n-- > 0)
    bufferevent_decref(b);
}

/* The program wrote to the filter: filter it out now, as libevent (the
 * write callback may run here). This runs inside the evbuffer call that
 * changed the output, which still uses the buffer after the hook returns:
 * when the program freed the filter meanwhile, the reference that keeps
 * it is dropped from the loop instead of here. */
static void
output_hook(struct evbuffer *buf, size_t added, size_t deleted, void *arg)
{
  struct fut_bev_filter *f = arg;
  int processed = 0;

  (void)buf;
  (void)deleted;
  if (!added || f->unlinked)
    return;
  bufferevent_incref(f->bev);
  process_output(f, BEV_NORMAL, &processed);
  if (processed)
    adj_timeouts(f);
  if (f->unlinked) {
    f->releases++;
    event_active(&f->release, EV_READ, 1);
  } else {
    bufferevent_decref(f->bev);
  }
}

struct bufferevent *
bufferevent_filter_new(struct bufferevent *underlying, bufferevent_filter_cb input_filter, bufferevent_filter_cb output_filter, int options, void (*free_context)(void *), void *ctx)
{
  struct fut_bev_filter *f;
  struct bufferevent *b;

  if (!underlying || fut_bev_is_freed(underlying))
    return NULL;
  f = calloc(1, sizeof(*f));
  if (!f)
    return NULL;
  if (event_assign(&f->kick, underlying->ev_base, -1, 0, kick_cb, f) < 0 ||
      event_assign(&f->release, underlying->ev_base, -1, 0, release_cb, f) < 0) {
    free(f);
    return NULL;
  }
  b = fut_bev_new_filter(underlying->ev_base, options, f, underlying);
  if (!b) {
    free(f);
    return NULL;
  }
  f->bev = b;
  f->underlying = underlying;
  f->in = input_filter ? input_filter : null_filter;
  f->out = output_filter ? output_filter : null_filter;
  f->free_context = free_context;
  f->ctx = ctx;
  f->options = options;
  fut_evbuffer_set_hook(b->input, input_hook, f);
  fut_evbuffer_set_hook(b->output, output_hook, f);
  bufferevent_incref(underlying);
  bufferevent_setcb(underlying, under_readcb, under_writecb, under_eventcb, f);
  /* Writing on; reading follows the filter's EV_READ (off until enabled). */
  bufferevent_enable(underlying, EV_WRITE);
  bufferevent_disable(underlying, EV_READ);
  return b;
}

int
fut_bev_filter_enable(struct fut_bev_filter *f, short events)
{
  if (events & EV_READ) {
    sync_read(f);
    if (evbuffer_get_length(f->underlying->input))
      kick(f);
  }
  if ((events & EV_WRITE) && evbuffer_get_length(f->bev->output))
    kick(f);
  adj_timeouts(f);
  return 0;
}

int
fut_bev_filter_disable(struct fut_bev_filter *f, short events)
{
  if (events & EV_READ)
    sync_read(f);
  adj_timeouts(f);
  return 0;
}

int
fut_bev_filter_flush(struct fut_bev_filter *f, short iotype, enum bufferevent_flush_mode mode)
{
  int processed = 0;

  if (mode != BEV_NORMAL && mode != BEV_FLUSH && mode != BEV_FINISHED)
    return -1;
  if (f->unlinked)
    return -1;
  bufferevent_incref(f->bev);
  if (iotype & EV_READ)
    process_input(f, mode, &processed);
  if ((iotype & EV_WRITE) && !f->unlinked)
    process_output(f, mode, &processed);
  if (!f->unlinked && !fut_bev_is_freed(f->underlying))
    bufferevent_flush(f->underlying, iotype, mode);
  if (processed)
    adj_timeouts(f);
  bufferevent_decref(f->bev);
  return processed;
}

void
fut_bev_filter_unlink(struct fut_bev_filter *f)
{
  struct bufferevent *u = f->underlying;

  f->unlinked = 1;
  event_del(&f->kick);
  if (fut_bev_is_freed(u))
    return;
  if (f->options & BEV_OPT_CLOSE_ON_FREE) {
    bufferevent_free(u);
    return;
  }
  /* The underlying one goes back to the program, reading again. */
  if (u->errorcb == under_eventcb)
    bufferevent_setcb(u, NULL, NULL, NULL, NULL);
  if (!f->u_reading)
    bufferevent_enable(u, EV_READ);
}

void
fut_bev_filter_destruct(struct fut_bev_filter *f)
{
  event_del(&f->kick);
  event_del(&f->release);
  if (f->free_context)
    f->free_context(f->ctx);
  bufferevent_decref(f->underlying);
  free(f);
}

struct bufferevent *
fut_bev_filter_underlying(struct fut_bev_filter *f)
{
  return f->underlying;
}
