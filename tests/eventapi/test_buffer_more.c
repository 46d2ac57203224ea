/* SPDX-License-Identifier: MIT */
/* tests/eventapi: evbuffer buffer references, file segments, flags and
 * deferred callbacks (libevent 2.1's documented behaviour). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "evtest-buffers.h"

Suite *evtest_buffer_more_suite(void);

static int ref_cleanups;
static void
ref_cleanup(const void *data, size_t len, void *arg)
{
  (void)data;
  (void)len;
  (void)arg;
  ref_cleanups++;
}

static void
expect_contents(struct evbuffer *b, const char *want)
{
  size_t n = strlen(want);
  char tmp[128];

  /* copyout, not pullup: pullup would copy the referenced bytes out. */
  ck_assert_uint_le(n, sizeof tmp);
  ck_assert_uint_eq(evbuffer_get_length(b), n);
  ck_assert_int_eq(evbuffer_copyout(b, tmp, sizeof tmp), (int)n);
  ck_assert_int_eq(memcmp(tmp, want, n), 0);
}

START_TEST(test_buffer_reference)
{
  static const char user[] = "user-memory";
  struct evbuffer *in = evbuffer_new(), *out = evbuffer_new(), *third = evbuffer_new();
  char tmp[64];

  ref_cleanups = 0;
  ck_assert_int_eq(evbuffer_add(in, "hello ", 6), 0);
  ck_assert_int_eq(evbuffer_add_reference(in, user, strlen(user), ref_cleanup, NULL), 0);
  ck_assert_int_eq(evbuffer_add_buffer_reference(out, in), 0);
  /* Non-destructive: both hold the bytes. */
  ck_assert_uint_eq(evbuffer_get_length(in), 17);
  ck_assert_uint_eq(evbuffer_get_length(out), 17);
  ck_assert_int_eq(evbuffer_copyout(out, tmp, sizeof tmp), 17);
  ck_assert_int_eq(memcmp(tmp, "hello user-memory", 17), 0);
  /* Changing inbuf afterwards does not change outbuf's bytes. */
  ck_assert_int_eq(evbuffer_add(in, "+tail", 5), 0);
  ck_assert_int_eq(evbuffer_prepend(in, "head+", 5), 0);
  ck_assert_int_eq(evbuffer_drain(in, 8), 0); /* "head+" and "hel" */
  ck_assert_int_eq(evbuffer_prepend(in, "XYZ", 3), 0);
  expect_contents(in, "XYZlo user-memory+tail");
  ck_assert_int_eq(evbuffer_copyout(out, tmp, sizeof tmp), 17);
  ck_assert_int_eq(memcmp(tmp, "hello user-memory", 17), 0);
  /* inbuf freed: outbuf still holds the bytes; the user memory's cleanup
   * waits for the last holder. */
  evbuffer_free(in);
  ck_assert_int_eq(ref_cleanups, 0);
  ck_assert_int_eq(evbuffer_copyout(out, tmp, sizeof tmp), 17);
  ck_assert_int_eq(memcmp(tmp, "hello user-memory", 17), 0);
  /* References of references are refused, as libevent does. */
  ck_assert_int_eq(evbuffer_add_buffer_reference(third, out), -1);
  ck_assert_uint_eq(evbuffer_get_length(third), 0);
  /* But moving them is fine. */
  ck_assert_int_eq(evbuffer_add_buffer(third, out), 0);
  ck_assert_int_eq(evbuffer_remove(third, tmp, 6), 6);
  ck_assert_int_eq(ref_cleanups, 0);
  ck_assert_int_eq(evbuffer_remove(third, tmp, sizeof tmp), 11);
  ck_assert_int_eq(memcmp(tmp, "user-memory", 11), 0);
  ck_assert_int_eq(ref_cleanups, 1); /* once, when the last holder drained it */
  evbuffer_free(out);
  evbuffer_free(third);
  ck_assert_int_eq(ref_cleanups, 1);
}
END_TEST

START_TEST(test_buffer_reference_bad)
{
  struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();

  ck_assert_int_eq(evbuffer_add_buffer_reference(NULL, a), -1);
  ck_assert_int_eq(evbuffer_add_buffer_reference(a, NULL), -1);
  ck_assert_int_eq(evbuffer_add_buffer_reference(a, b), 0); /* empty: nothing */
  ck_assert_int_eq(evbuffer_add(a, "x", 1), 0);
  ck_assert_int_eq(evbuffer_add_buffer_reference(a, a), -1);
  ck_assert_int_eq(evbuffer_freeze(b, 0), 0);
  ck_assert_int_eq(evbuffer_add_buffer_reference(b, a), -1);
  ck_assert_int_eq(evbuffer_unfreeze(b, 0), 0);
  ck_assert_int_eq(evbuffer_add_buffer_reference(b, a), 0);
  /* The referencing buffer freed first, then the source. */
  evbuffer_free(b);
  expect_contents(a, "x");
  evbuffer_free(a);
}
END_TEST

/* A temporary file holding "0123456789" repeated @reps times. */
static int
temp_file(int reps)
{
  char name[] = "/tmp/evtest-segXXXXXX";
  int fd = mkstemp(name);
  int i;

  ck_assert_int_ge(fd, 0);
  unlink(name);
  for (i = 0; i < reps; i++)
    ck_assert_int_eq(write(fd, "0123456789", 10), 10);
  return fd;
}

static int seg_cleanups;
static int seg_cleanup_flags;
static void
seg_cleanup(struct evbuffer_file_segment const *seg, int flags, void *arg)
{
  ck_assert_ptr_nonnull(seg);
  ck_assert_ptr_eq(arg, &seg_cleanups);
  seg_cleanup_flags = flags;
  seg_cleanups++;
}

static void
segment_case(unsigned flags)
{
  int fd = temp_file(3);
  struct evbuffer_file_segment *seg;
  struct evbuffer *a = evbuffer_new(), *b = evbuffer_new();
  char tmp[64];

  seg_cleanups = 0;
  /* Bytes 5..24 of the file. */
  seg = evbuffer_file_segment_new(fd, 5, 20, flags);
  ck_assert_ptr_nonnull(seg);
  evbuffer_file_segment_add_cleanup_cb(seg, seg_cleanup, &seg_cleanups);
  /* Offset and length within the segment: bytes 5+3 .. 5+3+4 of the file. */
  ck_assert_int_eq(evbuffer_add_file_segment(a, seg, 3, 4), 0);
  ck_assert_int_eq(evbuffer_add_file_segment(a, seg, 18, -1), 0);
  ck_assert_int_eq(evbuffer_add_file_segment(b, seg, 0, -1), 0);
  ck_assert_int_eq(evbuffer_add_file_segment(b, seg, 0, 0), 0);
  /* Past the segment: refused. */
  ck_assert_int_eq(evbuffer_add_file_segment(b, seg, 21, -1), -1);
  ck_assert_int_eq(evbuffer_add_file_segment(b, seg, 10, 11), -1);
  ck_assert_int_eq(evbuffer_add_file_segment(b, seg, -1, 2), -1);
  ck_assert_int_eq(evbuffer_add_file_segment(b, seg, 0, -2), -1);
  ck_assert_int_eq(evbuffer_add_file_segment(NULL, seg, 0, 1), -1);
  ck_assert_int_eq(evbuffer_add_file_segment(b, NULL, 0, 1), -1);
  expect_contents(a, "890134");
  expect_contents(b, "56789012345678901234");
  /* Segment bytes cannot be referenced by another buffer (libevent). */
  {
    struct evbuffer *c = evbuffer_new();

    ck_assert_int_eq(evbuffer_add_buffer_reference(c, a), -1);
    ck_assert_uint_eq(evbuffer_get_length(c), 0);
    evbuffer_free(c);
  }
  /* The program's reference dropped: the buffers still hold it. */
  evbuffer_file_segment_free(seg);
  ck_assert_int_eq(seg_cleanups, 0);
  ck_assert_int_eq(evbuffer_remove(b, tmp, sizeof tmp), 20);
  ck_assert_int_eq(memcmp(tmp, "56789012345678901234", 20), 0);
  ck_assert_int_eq(seg_cleanups, 0);
  /* pullup copies the segment's bytes out and releases them. */
  ck_assert_int_eq(memcmp(evbuffer_pullup(a, -1), "890134", 6), 0);
  ck_assert_int_eq(seg_cleanups, 1);
  evbuffer_free(a);
  ck_assert_int_eq(seg_cleanups, 1);
  ck_assert_int_eq(seg_cleanup_flags, (int)flags);
  evbuffer_free(b);
  ck_assert_int_eq(seg_cleanups, 1);
  /* Without EVBUF_FS_CLOSE_ON_FREE the descriptor stays open. */
  if (flags & EVBUF_FS_CLOSE_ON_FREE) {
    ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
  } else {
    ck_assert_int_ge(fcntl(fd, F_GETFD), 0);
    close(fd);
  }
}

START_TEST(test_file_segment_mmap)
{
  segment_case(0);
}
END_TEST

START_TEST(test_file_segment_read)
{
  segment_case(EVBUF_FS_DISABLE_MMAP | EVBUF_FS_CLOSE_ON_FREE);
}
END_TEST

START_TEST(test_file_segment_bad)
{
  int fd = temp_file(2), p[2];
  struct evbuffer_file_segment *seg;
  struct evbuffer *b = evbuffer_new();

  ck_assert_ptr_null(evbuffer_file_segment_new(-1, 0, 1, 0));
  ck_assert_ptr_null(evbuffer_file_segment_new(fd, -1, 1, 0));
  ck_assert_ptr_null(evbuffer_file_segment_new(fd, 0, -2, 0));
  /* Length past the end of the file. */
  ck_assert_ptr_null(evbuffer_file_segment_new(fd, 0, 21, 0));
  ck_assert_ptr_null(evbuffer_file_segment_new(fd, 15, 6, EVBUF_FS_DISABLE_MMAP));
  ck_assert_ptr_null(evbuffer_file_segment_new(fd, 21, -1, 0));
  /* A pipe is not a file. */
  ck_assert_int_eq(pipe(p), 0);
  ck_assert_ptr_null(evbuffer_file_segment_new(p[0], 0, 1, 0));
  close(p[0]);
  close(p[1]);
  /* -1: to the end of the file. */
  seg = evbuffer_file_segment_new(fd, 15, -1, 0);
  ck_assert_ptr_nonnull(seg);
  ck_assert_int_eq(evbuffer_add_file_segment(b, seg, 0, -1), 0);
  expect_contents(b, "56789");
  evbuffer_file_segment_free(seg);
  /* An empty segment at the end of the file. */
  seg = evbuffer_file_segment_new(fd, 20, -1, 0);
  ck_assert_ptr_nonnull(seg);
  ck_assert_int_eq(evbuffer_add_file_segment(b, seg, 0, -1), 0);
  ck_assert_int_eq(evbuffer_add_file_segment(b, seg, 1, -1), -1);
  evbuffer_file_segment_free(seg);
  expect_contents(b, "56789");
  evbuffer_file_segment_free(NULL);
  evbuffer_file_segment_add_cleanup_cb(NULL, seg_cleanup, NULL);
  evbuffer_free(b);
  /* A closed descriptor. */
  close(fd);
  ck_assert_ptr_null(evbuffer_file_segment_new(fd, 0, 1, 0));
}
END_TEST

START_TEST(test_file_segment_write)
{
  int fd = temp_file(400), sv[2];
  struct evbuffer_file_segment *seg = evbuffer_file_segment_new(fd, 0, -1, EVBUF_FS_CLOSE_ON_FREE);
  struct evbuffer *b = evbuffer_new();
  char tmp[4000];
  size_t got = 0;

  ck_assert_ptr_nonnull(seg);
  ck_assert_int_eq(evbuffer_set_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
  ck_assert_int_eq(evbuffer_add_file_segment(b, seg, 1000, 3000), 0);
  evbuffer_file_segment_free(seg);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  while (evbuffer_get_length(b)) {
    int w = evbuffer_write(b, sv[0]);

    ck_assert_int_gt(w, 0);
    while (got < 3000 - evbuffer_get_length(b)) {
      ssize_t r = read(sv[1], tmp + got, sizeof tmp - got);

      ck_assert_int_gt(r, 0);
      got += (size_t)r;
    }
  }
  ck_assert_uint_eq(got, 3000);
  ck_assert_int_eq(memcmp(tmp, "0123456789", 10), 0);
  ck_assert_int_eq(memcmp(tmp + 2990, "0123456789", 10), 0);
  ck_assert_int_eq(evbuffer_clear_flags(b, EVBUFFER_FLAG_DRAINS_TO_FD), 0);
  ck_assert_int_eq(evbuffer_set_flags(NULL, 1), -1);
  ck_assert_int_eq(evbuffer_clear_flags(NULL, 1), -1);
  evbuffer_free(b);
  close(sv[0]);
  close(sv[1]);
}
END_TEST

struct defer_state {
  int calls;
  size_t orig, added, deleted;
  int in_add;
  int done;
};

static void
defer_cb(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
  struct defer_state *st = arg;

  (void)b;
  ck_assert_int_eq(st->in_add, 0);
  st->calls++;
  st->orig = info->orig_size;
  st->added = info->n_added;
  st->deleted = info->n_deleted;
  st->done = 1;
}

START_TEST(test_defer_callbacks)
{
  struct event_base *base = event_base_new();
  struct evbuffer *b = evbuffer_new();
  struct defer_state st = { 0 };

  ck_assert_ptr_nonnull(base);
  ck_assert_int_eq(evbuffer_defer_callbacks(NULL, base), -1);
  ck_assert_int_eq(evbuffer_defer_callbacks(b, NULL), -1);
  ck_assert_int_eq(evbuffer_add(b, "abc", 3), 0); /* before any callback */
  ck_assert_ptr_nonnull(evbuffer_add_cb(b, defer_cb, &st));
  ck_assert_int_eq(evbuffer_defer_callbacks(b, base), 0);
  st.in_add = 1;
  ck_assert_int_eq(evbuffer_add(b, "defgh", 5), 0);
  ck_assert_int_eq(evbuffer_drain(b, 2), 0);
  ck_assert_int_eq(evbuffer_add(b, "ij", 2), 0);
  st.in_add = 0;
  ck_assert_int_eq(st.calls, 0); /* not inside the calls */
  evtb_run_until(base, &st.done);
  /* Once, with all the changes. */
  ck_assert_int_eq(st.calls, 1);
  ck_assert_uint_eq(st.orig, 3);
  ck_assert_uint_eq(st.added, 7);
  ck_assert_uint_eq(st.deleted, 2);
  /* Again after the loop ran: a fresh accumulation. */
  st.done = 0;
  st.in_add = 1;
  ck_assert_int_eq(evbuffer_drain(b, 1), 0);
  st.in_add = 0;
  evtb_run_until(base, &st.done);
  ck_assert_int_eq(st.calls, 2);
  ck_assert_uint_eq(st.orig, 8);
  ck_assert_uint_eq(st.added, 0);
  ck_assert_uint_eq(st.deleted, 1);
  /* Freed with a deferred run pending: nothing runs later. */
  ck_assert_int_eq(evbuffer_add(b, "z", 1), 0);
  evbuffer_free(b);
  ck_assert_int_eq(event_base_loop(base, EVLOOP_NONBLOCK), 1);
  ck_assert_int_eq(st.calls, 2);
  event_base_free(base);
}
END_TEST

Suite *
evtest_buffer_more_suite(void)
{
  Suite *s = suite_create("event-buffer-more");
  TCase *tc = tcase_create("evbuffer-more");

  tcase_add_test(tc, test_buffer_reference);
  tcase_add_test(tc, test_buffer_reference_bad);
  tcase_add_test(tc, test_file_segment_mmap);
  tcase_add_test(tc, test_file_segment_read);
  tcase_add_test(tc, test_file_segment_bad);
  tcase_add_test(tc, test_file_segment_write);
  tcase_add_test(tc, test_defer_callbacks);
  suite_add_tcase(s, tc);
  return s;
}
