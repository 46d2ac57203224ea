/* SPDX-License-Identifier: MIT */
/* tests/eventapi: filtering bufferevents (libevent 2.1's documented
 * behaviour of bufferevent_filter_new). */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>

#include "evtest-buffers.h"

Suite *evtest_filter_suite(void);

/* Upper-cases everything it moves (within the limit). */
static enum bufferevent_filter_result
upper_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t lim, enum bufferevent_flush_mode mode, void *ctx)
{
  char tmp[256];
  int n, i;

  (void)mode;
  (void)ctx;
  while (evbuffer_get_length(src) && lim != 0) {
    size_t want = sizeof tmp;

    if (lim > 0 && (size_t)lim < want)
      want = (size_t)lim;
    n = evbuffer_remove(src, tmp, want);
    if (n <= 0)
      return BEV_ERROR;
    for (i = 0; i < n; i++)
      tmp[i] = (char)toupper((unsigned char)tmp[i]);
    if (evbuffer_add(dst, tmp, (size_t)n) < 0)
      return BEV_ERROR;
    if (lim > 0)
      lim -= n;
  }
  return BEV_OK;
}

struct fstate {
  struct event_base *base;
  struct bufferevent *filt, *under, *peer;
  char got[4096];
  size_t ngot;
  int reads, writes, events;
  short last_event;
  int in_write; /* inside bufferevent_write() */
  int done;
  size_t want;
  size_t max_seen;
  int frees;
  int free_in; /* 1: free the filter in its read cb, 2: write cb, 3: event cb */
};

static void
collect_readcb(struct bufferevent *b, void *arg)
{
  struct fstate *st = arg;
  size_t len = evbuffer_get_length(bufferevent_get_input(b));

  ck_assert_int_eq(st->in_write, 0);
  st->reads++;
  if (len > st->max_seen)
    st->max_seen = len;
  ck_assert_uint_le(st->ngot + len, sizeof st->got);
  st->ngot += bufferevent_read(b, st->got + st->ngot, len);
  if (st->ngot >= st->want)
    st->done = 1;
  if (st->free_in == 1) {
    bufferevent_free(b);
    st->done = 1;
  }
}

static void
count_writecb(struct bufferevent *b, void *arg)
{
  struct fstate *st = arg;

  st->writes++;
  if (st->free_in == 2) {
    bufferevent_free(b);
    st->done = 1;
  }
}

static void
note_eventcb(struct bufferevent *b, short what, void *arg)
{
  struct fstate *st = arg;

  st->events++;
  st->last_event = what;
  st->done = 1;
  if (st->free_in == 3)
    bufferevent_free(b);
}

/* The peer: echoes what it reads. */
static void
echo_readcb(struct bufferevent *b, void *arg)
{
  (void)arg;
  bufferevent_write_buffer(b, bufferevent_get_input(b));
}

static void
count_free(void *ctx)
{
  (*(int *)ctx)++;
}

/* A filter over one end of a socketpair; @peer_echo: a bufferevent echoes
 * on the other end, else st->peer is NULL and sv[1] stays raw. */
static void
setup(struct fstate *st, int sv[2], bufferevent_filter_cb in, bufferevent_filter_cb out, int peer_echo, int options)
{
  memset(st, 0, sizeof *st);
  st->base = event_base_new();
  ck_assert_ptr_nonnull(st->base);
  evtb_socketpair(sv);
  st->under = bufferevent_socket_new(st->base, sv[0], BEV_OPT_CLOSE_ON_FREE);
  ck_assert_ptr_nonnull(st->under);
  st->filt = bufferevent_filter_new(st->under, in, out, options, count_free, &st->frees);
  ck_assert_ptr_nonnull(st->filt);
  ck_assert_ptr_eq(bufferevent_get_underlying(st->filt), st->under);
  bufferevent_setcb(st->filt, collect_readcb, count_writecb, note_eventcb, st);
  if (peer_echo) {
    st->peer = bufferevent_socket_new(st->base, sv[1], BEV_OPT_CLOSE_ON_FREE);
    ck_assert_ptr_nonnull(st->peer);
    bufferevent_setcb(st->peer, echo_readcb, NULL, NULL, NULL);
    ck_assert_int_eq(bufferevent_enable(st->peer, EV_READ | EV_WRITE), 0);
  }
}

static void
teardown(struct fstate *st, int sv[2])
{
  if (st->filt)
    bufferevent_free(st->filt);
  if (st->peer)
    bufferevent_free(st->peer);
  else
    close(sv[1]);
  evtb_spin(st->base, 2);
  event_base_free(st->base);
}

START_TEST(test_filter_upper_echo)
{
  struct fstate st;
  int sv[2];

  setup(&st, sv, NULL, upper_filter, 1, BEV_OPT_CLOSE_ON_FREE);
  ck_assert_int_eq(bufferevent_enable(st.filt, EV_READ | EV_WRITE), 0);
  st.want = 11;
  st.in_write = 1;
  ck_assert_int_eq(bufferevent_write(st.filt, "hello world", 11), 0);
  st.in_write = 0;
  /* Filtered into the underlying output at once. */
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_output(st.filt)), 0);
  ck_assert_int_eq(st.reads, 0);
  evtb_run_until(st.base, &st.done);
  ck_assert_uint_eq(st.ngot, 11);
  ck_assert_int_eq(memcmp(st.got, "HELLO WORLD", 11), 0);
  ck_assert_int_ge(st.writes, 1);
  /* The filter has no descriptor and is not a socket. */
  ck_assert_int_eq(bufferevent_getfd(st.filt), -1);
  ck_assert_int_eq(bufferevent_setfd(st.filt, sv[0]), -1);
  ck_assert_int_eq(bufferevent_base_set(st.base, st.filt), -1);
  ck_assert_ptr_null(bufferevent_get_underlying(st.under));
  ck_assert_int_eq(st.frees, 0);
  teardown(&st, sv);
  ck_assert_int_eq(st.frees, 1);
  ck_assert(evtb_fd_closed(sv[0]));
}
END_TEST

/* Passes whole lines only. */
static int need_more_calls;
static enum bufferevent_filter_result
line_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t lim, enum bufferevent_flush_mode mode, void *ctx)
{
  struct evbuffer_ptr p = evbuffer_search(src, "\n", 1, NULL);
  int *flag = ctx;

  (void)lim;
  (void)mode;
  if (p.pos < 0) {
    need_more_calls++;
    if (flag)
      *flag = 1;
    return BEV_NEED_MORE;
  }
  evbuffer_remove_buffer(src, dst, (size_t)p.pos + 1);
  return BEV_OK;
}

START_TEST(test_filter_need_more)
{
  struct fstate st;
  int sv[2];
  int asked = 0;

  memset(&st, 0, sizeof st);
  st.base = event_base_new();
  evtb_socketpair(sv);
  st.under = bufferevent_socket_new(st.base, sv[0], BEV_OPT_CLOSE_ON_FREE);
  st.filt = bufferevent_filter_new(st.under, line_filter, NULL, 0, NULL, &asked);
  ck_assert_ptr_nonnull(st.filt);
  bufferevent_setcb(st.filt, collect_readcb, NULL, note_eventcb, &st);
  ck_assert_int_eq(bufferevent_enable(st.filt, EV_READ), 0);
  need_more_calls = 0;
  ck_assert_int_eq(write(sv[1], "ab", 2), 2);
  evtb_run_until(st.base, &asked);
  ck_assert_int_eq(st.reads, 0);
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_input(st.under)), 2);
  ck_assert_int_eq(write(sv[1], "cd\nef", 5), 5);
  st.want = 5;
  evtb_run_until(st.base, &st.done);
  ck_assert_int_eq(st.reads, 1);
  ck_assert_uint_eq(st.ngot, 5);
  ck_assert_int_eq(memcmp(st.got, "abcd\n", 5), 0);
  /* "ef" waits for its end of line. */
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_input(st.under)), 2);
  ck_assert_int_ge(need_more_calls, 2);
  /* Without BEV_OPT_CLOSE_ON_FREE the underlying one is handed back. */
  bufferevent_free(st.filt);
  st.filt = NULL;
  {
    bufferevent_data_cb r = collect_readcb;
    bufferevent_event_cb e = note_eventcb;

    bufferevent_getcb(st.under, &r, NULL, &e, NULL);
    ck_assert_ptr_null(r);
    ck_assert_ptr_null(e);
  }
  ck_assert(!evtb_fd_closed(sv[0]));
  st.done = 0;
  st.ngot = 0;
  st.want = 4;
  bufferevent_setcb(st.under, collect_readcb, NULL, NULL, &st);
  ck_assert_int_eq(write(sv[1], "gh", 2), 2);
  evtb_run_until(st.base, &st.done);
  ck_assert_int_eq(memcmp(st.got, "efgh", 4), 0);
  bufferevent_free(st.under);
  close(sv[1]);
  evtb_spin(st.base, 2);
  event_base_free(st.base);
}
END_TEST

static int error_calls;
static enum bufferevent_filter_result
error_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t lim, enum bufferevent_flush_mode mode, void *ctx)
{
  (void)src;
  (void)dst;
  (void)lim;
  (void)mode;
  error_calls++;
  *(int *)ctx = 1;
  return BEV_ERROR;
}

START_TEST(test_filter_error_and_events)
{
  struct fstate st;
  int sv[2], called = 0;

  memset(&st, 0, sizeof st);
  st.base = event_base_new();
  evtb_socketpair(sv);
  st.under = bufferevent_socket_new(st.base, sv[0], BEV_OPT_CLOSE_ON_FREE);
  st.filt = bufferevent_filter_new(st.under, error_filter, NULL, BEV_OPT_CLOSE_ON_FREE, NULL, &called);
  ck_assert_ptr_nonnull(st.filt);
  bufferevent_setcb(st.filt, collect_readcb, NULL, note_eventcb, &st);
  ck_assert_int_eq(bufferevent_enable(st.filt, EV_READ), 0);
  error_calls = 0;
  ck_assert_int_eq(write(sv[1], "xyz", 3), 3);
  evtb_run_until(st.base, &called);
  /* As libevent 2.1: the pass stops, the bytes stay, no event. */
  ck_assert_int_eq(error_calls, 1);
  ck_assert_int_eq(st.reads, 0);
  ck_assert_int_eq(st.events, 0);
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_input(st.under)), 3);
  /* The underlying one's events are the filter's. */
  close(sv[1]);
  evtb_run_until(st.base, &st.done);
  ck_assert_int_eq(st.events, 1);
  ck_assert_int_eq(st.last_event, BEV_EVENT_EOF | BEV_EVENT_READING);
  bufferevent_free(st.filt);
  ck_assert(evtb_fd_closed(sv[0]));
  evtb_spin(st.base, 2);
  event_base_free(st.base);
}
END_TEST

/* Holds bytes back until 8 are there, or a flush; BEV_FINISHED adds a
 * trailer. Records the modes seen. */
static int modes_seen;
static enum bufferevent_filter_result
hold_filter(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t lim, enum bufferevent_flush_mode mode, void *ctx)
{
  (void)lim;
  (void)ctx;
  modes_seen |= 1 << mode;
  if (mode == BEV_NORMAL && evbuffer_get_length(src) < 8)
    return BEV_NEED_MORE;
  evbuffer_add_buffer(dst, src);
  if (mode == BEV_FINISHED)
    evbuffer_add(dst, "END", 3);
  return BEV_OK;
}

START_TEST(test_filter_flush)
{
  struct fstate st;
  int sv[2];
  char buf[64];
  struct evbuffer *uout;

  setup(&st, sv, NULL, hold_filter, 0, BEV_OPT_CLOSE_ON_FREE);
  uout = bufferevent_get_output(st.under);
  bufferevent_disable(st.under, EV_WRITE); /* keep the bytes in its output */
  modes_seen = 0;
  ck_assert_int_eq(bufferevent_write(st.filt, "abc", 3), 0);
  ck_assert_uint_eq(evbuffer_get_length(uout), 0);
  ck_assert_int_eq(modes_seen, 1 << BEV_NORMAL);
  ck_assert_int_eq(bufferevent_flush(st.filt, EV_WRITE, BEV_NORMAL), 0);
  ck_assert_int_eq(bufferevent_flush(st.filt, EV_WRITE, BEV_FLUSH), 1);
  ck_assert(modes_seen & (1 << BEV_FLUSH));
  ck_assert_int_eq(evbuffer_copyout(uout, buf, sizeof buf), 3);
  ck_assert_int_eq(bufferevent_write(st.filt, "de", 2), 0);
  ck_assert_int_eq(bufferevent_flush(st.filt, EV_WRITE, BEV_FINISHED), 1);
  ck_assert(modes_seen & (1 << BEV_FINISHED));
  ck_assert_int_eq(evbuffer_copyout(uout, buf, sizeof buf), 8);
  ck_assert_int_eq(memcmp(buf, "abcdeEND", 8), 0);
  /* Even with nothing pending the filter is called with the mode. */
  modes_seen = 0;
  ck_assert_int_eq(bufferevent_flush(st.filt, EV_WRITE, BEV_FINISHED), 1);
  ck_assert_int_eq(modes_seen, 1 << BEV_FINISHED);
  ck_assert_int_eq(bufferevent_flush(st.filt, EV_WRITE, (enum bufferevent_flush_mode)7), -1);
  /* Writing on again: the bytes go out. */
  ck_assert_int_eq(bufferevent_enable(st.under, EV_WRITE), 0);
  {
    size_t got = 0;

    while (got < 11) {
      ssize_t r;

      evtb_spin(st.base, 1);
      r = read(sv[1], buf + got, sizeof buf - got);
      if (r > 0)
        got += (size_t)r;
    }
    ck_assert_int_eq(memcmp(buf, "abcdeENDEND", 11), 0);
  }
  teardown(&st, sv);
}
END_TEST

START_TEST(test_filter_watermarks)
{
  struct fstate st;
  int sv[2], i;
  char big[1000];

  setup(&st, sv, NULL, NULL, 0, BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setwatermark(st.filt, EV_READ, 0, 16);
  ck_assert_int_eq(bufferevent_enable(st.filt, EV_READ), 0);
  for (i = 0; i < (int)sizeof big; i++)
    big[i] = (char)('a' + i % 26);
  ck_assert_int_eq(write(sv[1], big, sizeof big), (int)sizeof big);
  st.want = sizeof big;
  evtb_run_until(st.base, &st.done);
  ck_assert_uint_eq(st.ngot, sizeof big);
  ck_assert_int_eq(memcmp(st.got, big, sizeof big), 0);
  /* Never more than the high watermark in the filter's input. */
  ck_assert_uint_le(st.max_seen, 16);
  ck_assert_int_ge(st.reads, (int)(sizeof big / 16));
  teardown(&st, sv);
}
END_TEST

START_TEST(test_filter_bad_input)
{
  struct event_base *base = event_base_new();
  struct bufferevent *u, *f, *f2;
  int sv[2], frees = 0;
  struct sockaddr_in sin = evtb_loopback(htons(9));

  evtb_socketpair(sv);
  ck_assert_ptr_null(bufferevent_filter_new(NULL, NULL, NULL, 0, NULL, NULL));
  ck_assert_ptr_null(bufferevent_get_underlying(NULL));
  u = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
  ck_assert_ptr_null(bufferevent_filter_new(u, NULL, NULL, BEV_OPT_THREADSAFE, NULL, NULL));
  f = bufferevent_filter_new(u, NULL, NULL, BEV_OPT_CLOSE_ON_FREE, count_free, &frees);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(bufferevent_socket_connect(f, (struct sockaddr *)&sin, sizeof sin), -1);
  /* A filter on a filter. */
  f2 = bufferevent_filter_new(f, upper_filter, upper_filter, BEV_OPT_CLOSE_ON_FREE, count_free, &frees);
  ck_assert_ptr_nonnull(f2);
  ck_assert_ptr_eq(bufferevent_get_underlying(f2), f);
  ck_assert_int_eq(bufferevent_write(f2, "x", 1), 0);
  bufferevent_free(f2);
  ck_assert_int_eq(frees, 2);
  ck_assert(evtb_fd_closed(sv[0]));
  close(sv[1]);
  event_base_free(base);
}
END_TEST

/* Freed at each pending state: with the kick pending, with deferred
 * callbacks pending, and inside each callback. */
START_TEST(test_filter_free_pending)
{
  struct fstate st;
  int sv[2], k;

  /* Kick pending: bytes wait in the underlying input when reading is
   * enabled, then the filter is freed before the loop runs. */
  setup(&st, sv, NULL, NULL, 0, BEV_OPT_CLOSE_ON_FREE);
  ck_assert_int_eq(bufferevent_enable(st.filt, EV_READ), 0);
  ck_assert_int_eq(write(sv[1], "abc", 3), 3);
  st.want = 3;
  evtb_run_until(st.base, &st.done);
  ck_assert_int_eq(bufferevent_disable(st.filt, EV_READ), 0);
  ck_assert_int_eq(evbuffer_add(bufferevent_get_input(st.under), "zz", 2), -1); /* frozen: */
  ck_assert_int_eq(write(sv[1], "def", 3), 3);
  /* The underlying one does not read while the filter does not. */
  evtb_spin(st.base, 3);
  ck_assert_uint_eq(evbuffer_get_length(bufferevent_get_input(st.under)), 0);
  ck_assert_int_eq(bufferevent_enable(st.filt, EV_READ), 0);
  bufferevent_free(st.filt);
  st.filt = NULL;
  teardown(&st, sv);
  ck_assert_int_eq(st.frees, 1);

  /* Deferred callbacks pending. */
  setup(&st, sv, NULL, NULL, 0, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
  ck_assert_int_eq(bufferevent_enable(st.filt, EV_READ | EV_WRITE), 0);
  ck_assert_int_eq(bufferevent_write(st.filt, "abc", 3), 0);
  bufferevent_free(st.filt);
  st.filt = NULL;
  teardown(&st, sv);
  ck_assert_int_eq(st.frees, 1);
  ck_assert_int_eq(st.writes, 0);

  /* Inside the read, write and event callbacks. */
  for (k = 1; k <= 3; k++) {
    setup(&st, sv, NULL, NULL, 1, BEV_OPT_CLOSE_ON_FREE);
    st.free_in = k;
    st.want = 1000;
    ck_assert_int_eq(bufferevent_enable(st.filt, EV_READ | EV_WRITE), 0);
    if (k == 3) {
      bufferevent_free(st.peer);
      st.peer = NULL;
    } else {
      ck_assert_int_eq(bufferevent_write(st.filt, "ping", 4), 0);
    }
    evtb_run_until(st.base, &st.done);
    st.filt = NULL;
    /* Freed inside the write callback that bufferevent_write() ran: it
     * goes from the loop (libevent finalizes every free from the loop). */
    evtb_spin(st.base, 2);
    ck_assert_int_eq(st.frees, 1);
    ck_assert(evtb_fd_closed(sv[0]));
    if (k == 3)
      st.peer = NULL, sv[1] = -1;
    teardown(&st, sv);
  }
}
END_TEST

START_TEST(test_filter_timeout)
{
  struct fstate st;
  int sv[2];
  struct timeval tv = { 0, 50000 };

  setup(&st, sv, NULL, NULL, 0, BEV_OPT_CLOSE_ON_FREE);
  ck_assert_int_eq(bufferevent_set_timeouts(st.filt, &tv, NULL), 0);
  ck_assert_int_eq(bufferevent_enable(st.filt, EV_READ), 0);
  evtb_run_until(st.base, &st.done);
  ck_assert_int_eq(st.events, 1);
  ck_assert_int_eq(st.last_event, BEV_EVENT_TIMEOUT | BEV_EVENT_READING);
  /* The direction is disabled, as libevent does. */
  ck_assert_int_eq(bufferevent_get_enabled(st.filt) & EV_READ, 0);
  teardown(&st, sv);
}
END_TEST

/* Over one end of a bufferevent pair: the filter works on any
 * bufferevent, and its BEV_FINISHED flush reaches the pair's partner. */
START_TEST(test_filter_over_pair)
{
  struct event_base *base = event_base_new();
  struct bufferevent *pair[2], *f;
  struct fstate st;
  int frees = 0;

  memset(&st, 0, sizeof st);
  ck_assert_int_eq(bufferevent_pair_new(base, 0, pair), 0);
  f = bufferevent_filter_new(pair[0], NULL, upper_filter, BEV_OPT_CLOSE_ON_FREE, count_free, &frees);
  ck_assert_ptr_nonnull(f);
  bufferevent_setcb(pair[1], collect_readcb, NULL, note_eventcb, &st);
  ck_assert_int_eq(bufferevent_enable(pair[1], EV_READ), 0);
  ck_assert_int_eq(bufferevent_enable(f, EV_READ | EV_WRITE), 0);
  st.want = 5;
  ck_assert_int_eq(bufferevent_write(f, "mixed", 5), 0);
  evtb_run_until(base, &st.done);
  ck_assert_uint_eq(st.ngot, 5);
  ck_assert_int_eq(memcmp(st.got, "MIXED", 5), 0);
  st.done = 0;
  st.want = 100;
  ck_assert_int_eq(bufferevent_flush(f, EV_WRITE, BEV_FINISHED), 1);
  evtb_run_until(base, &st.done);
  ck_assert_int_eq(st.events, 1);
  ck_assert(st.last_event & BEV_EVENT_EOF);
  bufferevent_free(f);
  ck_assert_int_eq(frees, 1);
  ck_assert_ptr_null(bufferevent_pair_get_partner(pair[1]));
  bufferevent_free(pair[1]);
  evtb_spin(base, 2);
  event_base_free(base);
}
END_TEST

Suite *
evtest_filter_suite(void)
{
  Suite *s = suite_create("event-filter");
  TCase *tc = tcase_create("bufferevent-filter");

  tcase_add_test(tc, test_filter_upper_echo);
  tcase_add_test(tc, test_filter_need_more);
  tcase_add_test(tc, test_filter_error_and_events);
  tcase_add_test(tc, test_filter_flush);
  tcase_add_test(tc, test_filter_watermarks);
  tcase_add_test(tc, test_filter_bad_input);
  tcase_add_test(tc, test_filter_free_pending);
  tcase_add_test(tc, test_filter_timeout);
  tcase_add_test(tc, test_filter_over_pair);
  suite_add_tcase(s, tc);
  return s;
}
