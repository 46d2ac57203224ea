/* SPDX-License-Identifier: MIT */
/* tests/eventapi: evbuffer (libevent 2.1's documented behaviour). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/buffer_compat.h>

#include "evtest-buffers.h"

/* A buffer whose bytes are split into the given pieces (reference chains,
 * so each piece is a chain of its own). */
static struct evbuffer *
split_buffer(const char *const *pieces)
{
  struct evbuffer *b = evbuffer_new();

  ck_assert_ptr_nonnull(b);
  for (; *pieces; pieces++)
    ck_assert_int_eq(evbuffer_add_reference(b, *pieces, strlen(*pieces), NULL, NULL), 0);
  return b;
}

static char *
readln(struct evbuffer *b, enum evbuffer_eol_style st, size_t *n)
{
  return evbuffer_readln(b, n, st);
}

static void
expect_line(struct evbuffer *b, enum evbuffer_eol_style st, const char *want, size_t left)
{
  size_t n = 12345;
  char *l = readln(b, st, &n);

  ck_assert_ptr_nonnull(l);
  ck_assert_str_eq(l, want);
  ck_assert_uint_eq(n, strlen(want));
  ck_assert_uint_eq(evbuffer_get_length(b), left);
  free(l);
}

static void
expect_none(struct evbuffer *b, enum evbuffer_eol_style st, size_t left)
{
  size_t n = 12345;

  ck_assert_ptr_null(readln(b, st, &n));
  ck_assert_uint_eq(n, 0);
  ck_assert_uint_eq(evbuffer_get_length(b), left);
}

START_TEST(test_add_remove_basic)
{
  struct evbuffer *b = evbuffer_new(), *c = evbuffer_new();
  char out[64];

  ck_assert_uint_eq(evbuffer_get_length(b), 0);
  ck_assert_int_eq(evbuffer_add(b, "hello ", 6), 0);
  ck_assert_int_eq(evbuffer_add(b, "world", 5), 0);
  ck_assert_uint_eq(evbuffer_get_length(b), 11);
  ck_assert_int_eq(evbuffer_prepend(b, ">>", 2), 0);
  ck_assert_int_eq(evbuffer_copyout(b, out, sizeof out), 13);
  ck_assert_int_eq(memcmp(out, ">>hello world", 13), 0);
  ck_assert_int_eq(evbuffer_remove(b, out, 2), 2);
  ck_assert_int_eq(memcmp(out, ">>", 2), 0);
  ck_assert_int_eq(evbuffer_remove_buffer(b, c, 6), 6);
  ck_assert_uint_eq(evbuffer_get_length(c), 6);
  ck_assert_int_eq(evbuffer_add_buffer(c, b), 0);
  ck_assert_uint_eq(evbuffer_get_length(b), 0);
  ck_assert_int_eq(evbuffer_remove(c, out, sizeof out), 11);
  ck_assert_int_eq(memcmp(out, "hello world", 11), 0);
  ck_assert_int_eq(evbuffer_add(b, "tail", 4), 0);
  ck_assert_int_eq(evbuffer_add(c, "head", 4), 0);
  ck_assert_int_eq(evbuffer_prepend_buffer(b, c), 0);
  ck_assert_uint_eq(evbuffer_get_length(c), 0);
  ck_assert_int_eq(evbuffer_copyout(b, out, sizeof out), 8);
  ck_assert_int_eq(memcmp(out, "headtail", 8), 0);
  ck_assert_int_eq(evbuffer_drain(b, 100), 0);
  ck_assert_uint_eq(evbuffer_get_length(b), 0);
  ck_assert_int_eq(evbuffer_remove(b, out, sizeof out), 0);
  evbuffer_free(b);
  evbuffer_free(c);
}
END_TEST

START_TEST(test_bad_input)
{
  struct evbuffer *b = evbuffer_new();
  struct evbuffer_ptr p;
  struct evbuffer_iovec v[2];
  char out[4];

  ck_assert_int_eq(evbuffer_add(NULL, "x", 1), -1);
  ck_assert_int_eq(evbuffer_add(b, NULL, 1), -1);
  ck_assert_int_eq(evbuffer_add(b, NULL, 0), 0);
  ck_assert_int_eq(evbuffer_add(b, "x", 0), 0);
  ck_assert_int_eq(evbuffer_add(b, "x", EV_SIZE_MAX), -1);
  ck_assert_int_eq(evbuffer_expand(b, EV_SIZE_MAX), -1);
  ck_assert_int_eq(evbuffer_reserve_space(b, 16, v, 0), -1);
  ck_assert_int_eq(evbuffer_reserve_space(b, -1, v, 1), -1);
  ck_assert_int_eq(evbuffer_add_reference(b, NULL, 5, NULL, NULL), -1);
  ck_assert_uint_eq(evbuffer_get_length(b), 0);
  ck_assert_uint_eq(evbuffer_get_length(NULL), 0);
  ck_assert_int_eq(evbuffer_drain(NULL, 1), -1);
  ck_assert_int_eq(evbuffer_remove(NULL, out, 1), -1);
  ck_assert_int_eq(evbuffer_copyout(NULL, out, 1), -1);
  ck_assert_ptr_null(evbuffer_pullup(b, -1));
  ck_assert_ptr_null(evbuffer_pullup(b, 0));
  ck_assert_ptr_null(evbuffer_readln(b, NULL, EVBUFFER_EOL_ANY));
  ck_assert_ptr_null(evbuffer_readln(NULL, NULL, EVBUFFER_EOL_ANY));
  ck_assert_int_eq(evbuffer_add(b, "abc", 3), 0);
  ck_assert_ptr_null(evbuffer_pullup(b, 4));
  ck_assert_int_eq(evbuffer_ptr_set(b, &p, 4, EVBUFFER_PTR_SET), -1);
  ck_assert_int_eq((int)p.pos, -1);
  ck_assert_int_eq(evbuffer_ptr_set(b, &p, 3, EVBUFFER_PTR_SET), 0);
  ck_assert_int_eq((int)p.pos, 3);
  ck_assert_int_eq(evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD), -1);
  p.pos = 10;
  ck_assert_int_eq((int)evbuffer_copyout_from(b, &p, out, 1), -1);
  ck_assert_int_eq(evbuffer_peek(b, -1, &p, v, 2), -1);
  ck_assert_int_eq((int)evbuffer_search(b, "abc", 3, &p).pos, -1);
  ck_assert_int_eq(evbuffer_add_buffer(b, b), -1);
  ck_assert_int_eq(evbuffer_remove_buffer(b, b, 1), -1);
  ck_assert_int_eq(evbuffer_add_printf(NULL, "x"), -1);
  ck_assert_uint_eq(evbuffer_add_iovec(NULL, v, 1), 0);
  ck_assert_uint_eq(evbuffer_add_iovec(b, NULL, 1), 0);
  ck_assert_int_eq(evbuffer_add_file(b, -1, 0, 1), -1);
  ck_assert_int_eq(evbuffer_write(b, -1), -1);
  ck_assert_int_eq(errno, EBADF);
  ck_assert_int_eq(evbuffer_read(b, -1, 10), -1);
  ck_assert_int_eq(evbuffer_remove_cb(b, NULL, NULL), -1);
  ck_assert_uint_eq(evbuffer_get_length(b), 3);
  evbuffer_free(b);
  evbuffer_free(NULL);
}
END_TEST

START_TEST(test_readln_styles)
{
  static const char *const any[] = { "a\r", "\nb", "\n\n\r", "c", NULL };
  static const char *const crlf[] = { "x\ry\r", "\nz\n", "\r", "w", NULL };
  static const char *const strict[] = { "one\ntwo\r", "\nthree\r", NULL };
  static const char *const lf[] = { "p\r\nq", "\n", NULL };
  struct evbuffer *b;

  /* EOL_ANY: any run of \r and \n ends the line; the whole run goes. */
  b = split_buffer(any);
  expect_line(b, EVBUFFER_EOL_ANY, "a", 5);
  expect_line(b, EVBUFFER_EOL_ANY, "b", 1);
  expect_none(b, EVBUFFER_EOL_ANY, 1);
  evbuffer_free(b);

  /* EOL_CRLF: "\r\n" or "\n"; a lone \r is data; \r\n split across chunks. */
  b = split_buffer(crlf);
  expect_line(b, EVBUFFER_EOL_CRLF, "x\ry", 4);
  expect_line(b, EVBUFFER_EOL_CRLF, "z", 2);
  expect_none(b, EVBUFFER_EOL_CRLF, 2);
  evbuffer_free(b);

  /* EOL_CRLF_STRICT: only "\r\n". */
  b = split_buffer(strict);
  expect_line(b, EVBUFFER_EOL_CRLF_STRICT, "one\ntwo", 6);
  expect_none(b, EVBUFFER_EOL_CRLF_STRICT, 6);
  evbuffer_free(b);

  /* EOL_LF: only "\n"; the \r stays in the line. */
  b = split_buffer(lf);
  expect_line(b, EVBUFFER_EOL_LF, "p\r", 2);
  expect_line(b, EVBUFFER_EOL_LF, "q", 0);
  expect_none(b, EVBUFFER_EOL_LF, 0);
  evbuffer_free(b);

  /* EOL_NUL. */
  b = evbuffer_new();
  ck_assert_int_eq(evbuffer_add(b, "ab\0\0cd", 6), 0);
  expect_line(b, EVBUFFER_EOL_NUL, "ab", 3);
  expect_line(b, EVBUFFER_EOL_NUL, "", 2);
  expect_none(b, EVBUFFER_EOL_NUL, 2);
  /* An unknown style finds nothing. */
  ck_assert_ptr_null(evbuffer_readln(b, NULL, (enum evbuffer_eol_style)42));
  evbuffer_free(b);

  /* Empty lines. */
  b = evbuffer_new();
  ck_assert_int_eq(evbuffer_add(b, "\n\r\n\n", 4), 0);
  expect_line(b, EVBUFFER_EOL_CRLF, "", 3);
  expect_line(b, EVBUFFER_EOL_CRLF, "", 1);
  expect_line(b, EVBUFFER_EOL_LF, "", 0);
  ck_assert_int_eq(evbuffer_add(b, "\r\n\r\n", 4), 0);
  expect_line(b, EVBUFFER_EOL_ANY, "", 0);
  ck_assert_int_eq(evbuffer_add(b, "\r", 1), 0);
  expect_none(b, EVBUFFER_EOL_CRLF, 1);
  expect_none(b, EVBUFFER_EOL_CRLF_STRICT, 1);
  expect_none(b, EVBUFFER_EOL_LF, 1);
  expect_line(b, EVBUFFER_EOL_ANY, "", 0);
  evbuffer_free(b);
}
END_TEST

START_TEST(test_readln_frozen)
{
  struct evbuffer *b = evbuffer_new();

  ck_assert_int_eq(evbuffer_add(b, "x\n", 2), 0);
  ck_assert_int_eq(evbuffer_freeze(b, 1), 0);
  expect_none(b, EVBUFFER_EOL_LF, 2);
  ck_assert_int_eq(evbuffer_drain(b, 1), -1);
  ck_assert_int_eq(evbuffer_prepend(b, "y", 1), -1);
  ck_assert_int_eq(evbuffer_add(b, "z", 1), 0);
  ck_assert_int_eq(evbuffer_unfreeze(b, 1), 0);
  ck_assert_int_eq(evbuffer_freeze(b, 0), 0);
  ck_assert_int_eq(evbuffer_add(b, "z", 1), -1);
  ck_assert_int_eq(evbuffer_add_printf(b, "%d", 1), -1);
  expect_line(b, EVBUFFER_EOL_LF, "x", 1);
  ck_assert_int_eq(evbuffer_unfreeze(b, 0), 0);
  ck_assert_int_eq(evbuffer_add(b, "z", 1), 0);
  evbuffer_free(b);
}
END_TEST

START_TEST(test_search)
{
  static const char *const pieces[] = { "abcab", "cabX", "Y", "abcabc", NULL };
  struct evbuffer *b = split_buffer(pieces);
  struct evbuffer_ptr p, e;
  size_t eol = 99;

  p = evbuffer_search(b, "abc", 3, NULL);
  ck_assert_int_eq((int)p.pos, 0);
  ck_assert_int_eq(evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD), 0);
  p = evbuffer_search(b, "abc", 3, &p);
  ck_assert_int_eq((int)p.pos, 3); /* across the first chunk boundary */
  ck_assert_int_eq(evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD), 0);
  p = evbuffer_search(b, "XYa", 3, &p);
  ck_assert_int_eq((int)p.pos, 8); /* across two boundaries */
  p = evbuffer_search(b, "bcabc", 5, &p);
  ck_assert_int_eq((int)p.pos, 11);
  p = evbuffer_search(b, "abcd", 4, NULL);
  ck_assert_int_eq((int)p.pos, -1);
  /* A range: the match must end by @end. */
  ck_assert_int_eq(evbuffer_ptr_set(b, &e, 10, EVBUFFER_PTR_SET), 0);
  p = evbuffer_search_range(b, "Yab", 3, NULL, &e);
  ck_assert_int_eq((int)p.pos, -1);
  ck_assert_int_eq(evbuffer_ptr_set(b, &e, 12, EVBUFFER_PTR_SET), 0);
  p = evbuffer_search_range(b, "Yab", 3, NULL, &e);
  ck_assert_int_eq((int)p.pos, 9);
  /* search_eol from a position. */
  ck_assert_int_eq(evbuffer_add(b, "\r\nmore\n", 7), 0);
  p = evbuffer_search_eol(b, NULL, &eol, EVBUFFER_EOL_CRLF);
  ck_assert_int_eq((int)p.pos, 16);
  ck_assert_uint_eq(eol, 2);
  ck_assert_int_eq(evbuffer_ptr_set(b, &p, 2, EVBUFFER_PTR_ADD), 0);
  p = evbuffer_search_eol(b, &p, &eol, EVBUFFER_EOL_LF);
  ck_assert_int_eq((int)p.pos, 22);
  ck_assert_uint_eq(eol, 1);
  ck_assert_int_eq(evbuffer_ptr_set(b, &p, 1, EVBUFFER_PTR_ADD), 0);
  p = evbuffer_search_eol(b, &p, &eol, EVBUFFER_EOL_LF);
  ck_assert_int_eq((int)p.pos, -1);
  ck_assert_uint_eq(eol, 0);
  evbuffer_free(b);
}
END_TEST

static int cleanups;
static void
count_cleanup(const void *data, size_t len, void *arg)
{
  ck_assert_ptr_eq(arg, &cleanups);
  ck_assert_uint_eq(len, strlen(data));
  cleanups++;
}

START_TEST(test_reference_cleanup)
{
  static const char m1[] = "first-chunk";
  static const char m2[] = "second";
  struct evbuffer *b = evbuffer_new(), *o = evbuffer_new();
  char out[32];

  cleanups = 0;
  ck_assert_int_eq(evbuffer_add_reference(b, m1, strlen(m1), count_cleanup, &cleanups), 0);
  ck_assert_int_eq(evbuffer_add_reference(b, m2, strlen(m2), count_cleanup, &cleanups), 0);
  ck_assert_int_eq(evbuffer_drain(b, 5), 0);
  ck_assert_int_eq(cleanups, 0);
  ck_assert_int_eq(evbuffer_remove(b, out, 6), 6); /* the rest of m1 */
  ck_assert_int_eq(cleanups, 1);
  /* Moved to another buffer whole: the cleanup travels with it. */
  ck_assert_int_eq(evbuffer_add_buffer(o, b), 0);
  ck_assert_int_eq(cleanups, 1);
  evbuffer_free(b);
  ck_assert_int_eq(cleanups, 1);
  ck_assert_int_eq(evbuffer_add_reference(o, m1, strlen(m1), count_cleanup, &cleanups), 0);
  evbuffer_free(o);
  /* m2 and the second m1, once each. */
  ck_assert_int_eq(cleanups, 3);
}
END_TEST

static int zero_cleanups;
static void
zero_cleanup(const void *data, size_t len, void *arg)
{
  (void)data;
  (void)arg;
  ck_assert_uint_eq(len, 0);
  zero_cleanups++;
}

START_TEST(test_reference_zero_and_pullup)
{
  static const char a[] = "AAAA", bb[] = "BBBB";
  struct evbuffer *b = evbuffer_new();
  unsigned char *p;

  zero_cleanups = 0;
  ck_assert_int_eq(evbuffer_add_reference(b, a, 0, zero_cleanup, NULL), 0);
  ck_assert_int_eq(zero_cleanups, 1);
  cleanups = 0;
  ck_assert_int_eq(evbuffer_add_reference(b, a, 4, count_cleanup, &cleanups), 0);
  ck_assert_int_eq(evbuffer_add_reference(b, bb, 4, count_cleanup, &cleanups), 0);
  ck_assert_uint_eq(evbuffer_get_contiguous_space(b), 4);
  p = evbuffer_pullup(b, 2);
  ck_assert_ptr_eq(p, (const unsigned char *)a); /* no copy */
  p = evbuffer_pullup(b, 6);
  ck_assert_int_eq(memcmp(p, "AAAABB", 6), 0);
  ck_assert_int_eq(cleanups, 1); /* chunk a was copied out and released */
  ck_assert_uint_eq(evbuffer_get_length(b), 8);
  p = evbuffer_pullup(b, -1);
  ck_assert_int_eq(memcmp(p, "AAAABBBB", 8), 0);
  ck_assert_int_eq(cleanups, 2);
  ck_assert_uint_eq(evbuffer_get_contiguous_space(b), 8);
  evbuffer_free(b);
  ck_assert_int_eq(cleanups, 2);
}
END_TEST

START_TEST(test_copyout_peek)
{
  static const char *const pieces[] = { "0123", "45", "6789", NULL };
  struct evbuffer *b = split_buffer(pieces);
  struct evbuffer_iovec v[4];
  struct evbuffer_ptr p;
  char out[16];

  ck_assert_int_eq(evbuffer_ptr_set(b, &p, 3, EVBUFFER_PTR_SET), 0);
  ck_assert_int_eq((int)evbuffer_copyout_from(b, &p, out, 5), 5);
  ck_assert_int_eq(memcmp(out, "34567", 5), 0);
  ck_assert_int_eq((int)evbuffer_copyout_from(b, &p, out, 100), 7);
  ck_assert_int_eq(evbuffer_ptr_set(b, &p, 10, EVBUFFER_PTR_SET), 0);
  ck_assert_int_eq((int)evbuffer_copyout_from(b, &p, out, 5), 0);
  ck_assert_int_eq(evbuffer_peek(b, -1, NULL, NULL, 0), 3);
  ck_assert_int_eq(evbuffer_peek(b, 5, NULL, v, 4), 2);
  ck_assert_uint_eq(v[0].iov_len, 4);
  ck_assert_uint_eq(v[1].iov_len, 1);
  ck_assert_int_eq(memcmp(v[1].iov_base, "4", 1), 0);
  ck_assert_int_eq(evbuffer_ptr_set(b, &p, 5, EVBUFFER_PTR_SET), 0);
  ck_assert_int_eq(evbuffer_peek(b, -1, &p, v, 1), 2);
  ck_assert_uint_eq(v[0].iov_len, 1);
  ck_assert_int_eq(memcmp(v[0].iov_base, "5", 1), 0);
  ck_assert_int_eq(evbuffer_peek(b, 0, NULL, v, 4), 0);
  ck_assert_uint_eq(evbuffer_get_length(b), 10);
  evbuffer_free(b);
}
END_TEST

START_TEST(test_printf_reserve)
{
  struct evbuffer *b = evbuffer_new();
  struct evbuffer_iovec v[2];
  char *big = malloc(100000), *line;
  size_t n;

  memset(big, 'q', 99999);
  big[99999] = '\0';
  ck_assert_int_eq(evbuffer_add_printf(b, "%d-%s", 42, "x"), 4);
  ck_assert_int_eq(evbuffer_add_printf(b, "%s\n", big), 100000);
  ck_assert_uint_eq(evbuffer_get_length(b), 100004);
  line = evbuffer_readln(b, &n, EVBUFFER_EOL_LF);
  ck_assert_uint_eq(n, 100003);
  ck_assert_int_eq(memcmp(line, "42-x", 4), 0);
  ck_assert_int_eq(memcmp(line + 4, big, 99999), 0);
  free(line);
  ck_assert_int_eq(evbuffer_reserve_space(b, 5000, v, 2), 1);
  ck_assert_uint_ge(v[0].iov_len, 5000);
  memcpy(v[0].iov_base, "reserved", 8);
  v[0].iov_len = 8;
  ck_assert_int_eq(evbuffer_commit_space(b, v, 1), 0);
  ck_assert_uint_eq(evbuffer_get_length(b), 8);
  /* Committing again (no reservation) fails. */
  ck_assert_int_eq(evbuffer_commit_space(b, v, 1), -1);
  ck_assert_int_eq(evbuffer_commit_space(b, v, 0), 0);
  /* A reservation cancelled by an add. */
  ck_assert_int_eq(evbuffer_reserve_space(b, 10, v, 1), 1);
  ck_assert_int_eq(evbuffer_add(b, "!", 1), 0);
  ck_assert_int_eq(evbuffer_commit_space(b, v, 1), -1);
  ck_assert_int_eq(evbuffer_expand(b, 300000), 0);
  ck_assert_int_eq(evbuffer_remove(b, big, 100), 9);
  ck_assert_int_eq(memcmp(big, "reserved!", 9), 0);
  free(big);
  evbuffer_free(b);
}
END_TEST

struct cbrec {
  int calls;
  size_t orig, added, deleted;
};

static void
rec_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
  struct cbrec *r = arg;

  (void)buf;
  r->calls++;
  r->orig = info->orig_size;
  r->added = info->n_added;
  r->deleted = info->n_deleted;
}

START_TEST(test_callbacks)
{
  struct evbuffer *b = evbuffer_new();
  struct cbrec r = { 0, 0, 0, 0 }, r2 = { 0, 0, 0, 0 };
  struct evbuffer_cb_entry *e;

  e = evbuffer_add_cb(b, rec_cb, &r);
  ck_assert_ptr_nonnull(e);
  ck_assert_int_eq(evbuffer_add(b, "abcd", 4), 0);
  ck_assert_int_eq(r.calls, 1);
  ck_assert_uint_eq(r.orig, 0);
  ck_assert_uint_eq(r.added, 4);
  ck_assert_int_eq(evbuffer_drain(b, 1), 0);
  ck_assert_int_eq(r.calls, 2);
  ck_assert_uint_eq(r.orig, 4);
  ck_assert_uint_eq(r.deleted, 1);
  /* No change, no call. */
  ck_assert_int_eq(evbuffer_add(b, "", 0), 0);
  ck_assert_int_eq(r.calls, 2);
  ck_assert_int_eq(evbuffer_cb_clear_flags(b, e, EVBUFFER_CB_ENABLED), 0);
  ck_assert_int_eq(evbuffer_add(b, "e", 1), 0);
  ck_assert_int_eq(r.calls, 2);
  ck_assert_int_eq(evbuffer_cb_set_flags(b, e, EVBUFFER_CB_ENABLED), 0);
  ck_assert_int_eq(evbuffer_add(b, "f", 1), 0);
  ck_assert_int_eq(r.calls, 3);
  ck_assert_uint_eq(r.added, 1);
  ck_assert_ptr_nonnull(evbuffer_add_cb(b, rec_cb, &r2));
  ck_assert_int_eq(evbuffer_add_printf(b, "%s", "gh"), 2);
  ck_assert_int_eq(r.calls, 4);
  {
    struct evbuffer_iovec iv[3] = { { (void *)"ab", 2 }, { NULL, 0 }, { (void *)"cde", 3 } };
    char out[16];
    size_t len = evbuffer_get_length(b);

    /* One change, one call. */
    ck_assert_uint_eq(evbuffer_add_iovec(b, iv, 3), 5);
    ck_assert_int_eq(r.calls, 5);
    ck_assert_uint_eq(r.added, 5);
    ck_assert_int_eq((int)evbuffer_copyout_from(b, NULL, out, sizeof out), (int)len + 5);
    ck_assert_int_eq(memcmp(out + len, "abcde", 5), 0);
    ck_assert_int_eq(evbuffer_drain(b, 5), 0);
    r.calls = 4;
    r2.calls = 1;
  }
  ck_assert_int_eq(r2.calls, 1);
  ck_assert_int_eq(evbuffer_remove_cb(b, rec_cb, &r2), 0);
  ck_assert_int_eq(evbuffer_remove_cb(b, rec_cb, &r2), -1);
  ck_assert_int_eq(evbuffer_remove_cb_entry(b, e), 0);
  ck_assert_int_eq(evbuffer_add(b, "i", 1), 0);
  ck_assert_int_eq(r.calls, 4);
  ck_assert_ptr_nonnull(evbuffer_add_cb(b, rec_cb, &r2)); /* freed with b */
  evbuffer_free(b);
}
END_TEST

START_TEST(test_fd_io)
{
  struct evbuffer *b = evbuffer_new(), *in = evbuffer_new();
  int sv[2], i, fd;
  char tmpl[] = "/tmp/evbufXXXXXX", out[8];
  size_t total;

  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ck_assert_int_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
  for (i = 0; i < 1000; i++)
    ck_assert_int_ge(evbuffer_add_printf(b, "line %d\n", i), 7);
  total = evbuffer_get_length(b);
  ck_assert_int_eq(evbuffer_write_atmost(b, sv[0], 10), 10);
  ck_assert_uint_eq(evbuffer_get_length(b), total - 10);
  while (evbuffer_get_length(b))
    ck_assert_int_gt(evbuffer_write(b, sv[0]), 0);
  while (evbuffer_get_length(in) < total)
    ck_assert_int_gt(evbuffer_read(in, sv[1], -1), 0);
  ck_assert_int_eq(evbuffer_read(in, sv[1], -1), -1);
  ck_assert_int_eq(errno, EAGAIN);
  for (i = 0; i < 1000; i++) {
    char want[32], *l;

    snprintf(want, sizeof want, "line %d", i);
    l = evbuffer_readln(in, NULL, EVBUFFER_EOL_LF);
    ck_assert_ptr_nonnull(l);
    ck_assert_str_eq(l, want);
    free(l);
  }
  close(sv[0]);
  ck_assert_int_eq(evbuffer_read(in, sv[1], 100), 0);
  close(sv[1]);

  fd = mkstemp(tmpl);
  ck_assert_int_ge(fd, 0);
  unlink(tmpl);
  ck_assert_int_eq((int)write(fd, "0123456789", 10), 10);
  ck_assert_int_eq(evbuffer_add_file(in, fd, 2, 5), 0);
  ck_assert_int_eq(fcntl(fd, F_GETFD), -1); /* closed */
  ck_assert_int_eq(errno, EBADF);
  ck_assert_int_eq(evbuffer_remove(in, out, sizeof out), 5);
  ck_assert_int_eq(memcmp(out, "23456", 5), 0);
  fd = open("/dev/null", O_RDONLY);
  ck_assert_int_eq(evbuffer_add_file(in, fd, 0, 5), -1); /* short */
  ck_assert_int_ne(fcntl(fd, F_GETFD), -1);
  close(fd);
  evbuffer_free(b);
  evbuffer_free(in);
}
END_TEST

START_TEST(test_many_chunks)
{
  struct evbuffer *b = evbuffer_new(), *c = evbuffer_new();
  char chunk[1000], out[1000];
  int i;

  for (i = 0; i < 1000; i++) {
    memset(chunk, 'a' + i % 26, sizeof chunk);
    ck_assert_int_eq(evbuffer_add(b, chunk, sizeof chunk), 0);
  }
  ck_assert_uint_eq(evbuffer_get_length(b), 1000000);
  ck_assert_int_eq(evbuffer_remove_buffer(b, c, 500500), 500500);
  ck_assert_uint_eq(evbuffer_get_length(c), 500500);
  ck_assert_int_eq(evbuffer_add_buffer(c, b), 0);
  for (i = 0; i < 1000; i++) {
    ck_assert_int_eq(evbuffer_remove(c, out, sizeof out), 1000);
    memset(chunk, 'a' + i % 26, sizeof chunk);
    ck_assert_int_eq(memcmp(out, chunk, sizeof out), 0);
  }
  ck_assert_uint_eq(evbuffer_get_length(c), 0);
  evbuffer_free(b);
  evbuffer_free(c);
}
END_TEST

struct oldrec {
  int calls;
  size_t old_len, new_len;
};

static void
old_cb(struct evbuffer *buf, size_t old_len, size_t new_len, void *arg)
{
  struct oldrec *r = arg;

  (void)buf;
  r->calls++;
  r->old_len = old_len;
  r->new_len = new_len;
}

START_TEST(test_compat_names)
{
  static const char *const pieces[] = { "GET / HT", "TP/1.0\r", "\nHost: x\n\n", NULL };
  struct evbuffer *b = split_buffer(pieces);
  struct oldrec r = { 0, 0, 0 };
  struct cbrec n = { 0, 0, 0, 0 };
  unsigned char *p;
  char *l;

  ck_assert_uint_eq(EVBUFFER_LENGTH(b), 25);
  p = evbuffer_find(b, (const unsigned char *)"1.0\r\nHo", 7);
  ck_assert_ptr_nonnull(p);
  ck_assert_int_eq(memcmp(p, "1.0\r\nHo", 7), 0);
  ck_assert_int_eq(memcmp(EVBUFFER_DATA(b) + 11, "1.0\r\nHo", 7), 0);
  ck_assert_ptr_null(evbuffer_find(b, (const unsigned char *)"nope", 4));
  ck_assert_ptr_nonnull(evbuffer_add_cb(b, rec_cb, &n));
  evbuffer_setcb(b, old_cb, &r); /* replaces the new-style one too */
  l = evbuffer_readline(b);
  ck_assert_str_eq(l, "GET / HTTP/1.0");
  free(l);
  ck_assert_int_eq(r.calls, 1);
  ck_assert_uint_eq(r.old_len, 25);
  ck_assert_uint_eq(r.new_len, 9);
  ck_assert_int_eq(n.calls, 0);
  l = evbuffer_readline(b);
  ck_assert_str_eq(l, "Host: x");
  free(l);
  ck_assert_uint_eq(EVBUFFER_LENGTH(b), 0);
  ck_assert_ptr_null(evbuffer_readline(b));
  evbuffer_setcb(b, NULL, NULL);
  ck_assert_int_eq(evbuffer_add(b, "x", 1), 0);
  ck_assert_int_eq(r.calls, 2);
  evbuffer_free(b);
}
END_TEST

/* The end of line by the rules, on flat memory: the line length, or -1;
 * *@eol its length. */
static long
naive_eol(const char *d, size_t n, enum evbuffer_eol_style st, size_t *eol)
{
  size_t i, k;

  for (i = 0; i < n; i++) {
    switch (st) {
    case EVBUFFER_EOL_ANY:
      if (d[i] == '\r' || d[i] == '\n') {
        for (k = i; k < n && (d[k] == '\r' || d[k] == '\n'); k++)
          ;
        *eol = k - i;
        return (long)i;
      }
      break;
    case EVBUFFER_EOL_CRLF:
      if (d[i] == '\n') {
        *eol = 1;
        return (long)i;
      }
      if (d[i] == '\r' && i + 1 < n && d[i + 1] == '\n') {
        *eol = 2;
        return (long)i;
      }
      break;
    case EVBUFFER_EOL_CRLF_STRICT:
      if (d[i] == '\r' && i + 1 < n && d[i + 1] == '\n') {
        *eol = 2;
        return (long)i;
      }
      break;
    case EVBUFFER_EOL_LF:
      if (d[i] == '\n') {
        *eol = 1;
        return (long)i;
      }
      break;
    case EVBUFFER_EOL_NUL:
      if (d[i] == '\0') {
        *eol = 1;
        return (long)i;
      }
      break;
    }
  }
  *eol = 0;
  return -1;
}

/* Random bytes over "ab\r\n\0" in random chunks: every style, from every
 * start, agrees with the flat rules. */
START_TEST(test_eol_random)
{
  static const char alphabet[] = { 'a', 'b', '\r', '\n', '\0' };
  unsigned int seed = 12345;
  int round;

  for (round = 0; round < 300; round++) {
    char data[64];
    size_t n, i, at = 0;
    struct evbuffer *b = evbuffer_new();
    int st;

    seed = seed * 1103515245u + 12345u;
    n = (seed >> 16) % sizeof data;
    for (i = 0; i < n; i++) {
      seed = seed * 1103515245u + 12345u;
      data[i] = alphabet[(seed >> 16) % sizeof alphabet];
    }
    while (at < n) {
      size_t len;

      seed = seed * 1103515245u + 12345u;
      len = 1 + (seed >> 16) % 5;
      if (len > n - at)
        len = n - at;
      if ((seed >> 20) & 1)
        ck_assert_int_eq(evbuffer_add_reference(b, data + at, len, NULL, NULL), 0);
      else
        ck_assert_int_eq(evbuffer_add(b, data + at, len), 0);
      at += len;
    }
    for (st = EVBUFFER_EOL_ANY; st <= EVBUFFER_EOL_NUL; st++) {
      for (i = 0; i <= n; i++) {
        struct evbuffer_ptr start, hit;
        size_t eol = 99, want_eol;
        long want = naive_eol(data + i, n - i, (enum evbuffer_eol_style)st, &want_eol);

        ck_assert_int_eq(evbuffer_ptr_set(b, &start, i, EVBUFFER_PTR_SET), 0);
        hit = evbuffer_search_eol(b, &start, &eol, (enum evbuffer_eol_style)st);
        if (want < 0) {
          ck_assert_int_eq((int)hit.pos, -1);
        } else {
          ck_assert_int_eq((int)hit.pos, (int)(i + (size_t)want));
          ck_assert_uint_eq(eol, want_eol);
        }
      }
    }
    /* evbuffer_search against memmem, across the same chunks. */
    for (i = 0; i + 1 < n; i++) {
      size_t len = 1 + (i * 7 + (size_t)round) % 3, j;
      struct evbuffer_ptr start, hit;
      const char *needle = data + i, *m;

      if (i + len > n)
        len = n - i;
      for (j = 0; j <= n; j += 3) {
        ck_assert_int_eq(evbuffer_ptr_set(b, &start, j, EVBUFFER_PTR_SET), 0);
        hit = evbuffer_search(b, needle, len, &start);
        m = memmem(data + j, n - j, needle, len);
        ck_assert_int_eq((int)hit.pos, m ? (int)(m - data) : -1);
      }
    }
    evbuffer_free(b);
  }
}
END_TEST

Suite *
evtest_buffer_suite(void)
{
  Suite *s = suite_create("event-buffer");
  TCase *tc = tcase_create("evbuffer");

  tcase_add_test(tc, test_add_remove_basic);
  tcase_add_test(tc, test_bad_input);
  tcase_add_test(tc, test_readln_styles);
  tcase_add_test(tc, test_readln_frozen);
  tcase_add_test(tc, test_search);
  tcase_add_test(tc, test_reference_cleanup);
  tcase_add_test(tc, test_reference_zero_and_pullup);
  tcase_add_test(tc, test_copyout_peek);
  tcase_add_test(tc, test_printf_reserve);
  tcase_add_test(tc, test_callbacks);
  tcase_add_test(tc, test_fd_io);
  tcase_add_test(tc, test_many_chunks);
  tcase_add_test(tc, test_compat_names);
  tcase_add_test(tc, test_eol_random);
  suite_add_tcase(s, tc);
  return s;
}
