/* SPDX-License-Identifier: MIT */
/* tests/eventapi: evutil (event2/util.h) and evdns_getaddrinfo. */
#include "evtest.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>

START_TEST(parse_sockaddr_port)
{
  struct sockaddr_storage ss;
  struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
  int len;
  static const char *bad[] = { "", "garbage", "1.2.3", "1.2.3.4:", "1.2.3.4:99999",
                               "1.2.3.4:12x", "[::1", "[::1]x", "[::1]:", "[nope]:80",
                               "300.1.1.1", ":80" };
  size_t i;

  len = (int)sizeof ss;
  ck_assert_int_eq(evutil_parse_sockaddr_port("127.0.0.1:8080", (struct sockaddr *)&ss, &len), 0);
  ck_assert_int_eq(len, (int)sizeof(struct sockaddr_in));
  ck_assert_int_eq(sin->sin_family, AF_INET);
  ck_assert_int_eq(ntohs(sin->sin_port), 8080);
  ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0x7f000001u);
  len = (int)sizeof ss;
  ck_assert_int_eq(evutil_parse_sockaddr_port("10.0.0.1", (struct sockaddr *)&ss, &len), 0);
  ck_assert_int_eq(ntohs(sin->sin_port), 0);
  len = (int)sizeof ss;
  ck_assert_int_eq(evutil_parse_sockaddr_port("[::1]:443", (struct sockaddr *)&ss, &len), 0);
  ck_assert_int_eq(len, (int)sizeof(struct sockaddr_in6));
  ck_assert_int_eq(sin6->sin6_family, AF_INET6);
  ck_assert_int_eq(ntohs(sin6->sin6_port), 443);
  len = (int)sizeof ss;
  ck_assert_int_eq(evutil_parse_sockaddr_port("fe80::1", (struct sockaddr *)&ss, &len), 0);
  ck_assert_int_eq(sin6->sin6_family, AF_INET6);
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    len = (int)sizeof ss;
    ck_assert_msg(evutil_parse_sockaddr_port(bad[i], (struct sockaddr *)&ss, &len) == -1,
                  "accepted \"%s\"", bad[i]);
  }
  /* Too small an output, NULL arguments. */
  len = (int)sizeof(struct sockaddr_in);
  ck_assert_int_eq(evutil_parse_sockaddr_port("[::1]:1", (struct sockaddr *)&ss, &len), -1);
  len = 3;
  ck_assert_int_eq(evutil_parse_sockaddr_port("1.2.3.4:5", (struct sockaddr *)&ss, &len), -1);
  ck_assert_int_eq(evutil_parse_sockaddr_port(NULL, (struct sockaddr *)&ss, &len), -1);
  ck_assert_int_eq(evutil_parse_sockaddr_port("1.2.3.4", NULL, &len), -1);
  ck_assert_int_eq(evutil_parse_sockaddr_port("1.2.3.4", (struct sockaddr *)&ss, NULL), -1);
}
END_TEST

START_TEST(sockaddr_cmp)
{
  struct sockaddr_storage a, b;
  int la = (int)sizeof a, lb = (int)sizeof b;

  ck_assert_int_eq(evutil_parse_sockaddr_port("1.2.3.4:80", (struct sockaddr *)&a, &la), 0);
  ck_assert_int_eq(evutil_parse_sockaddr_port("1.2.3.4:81", (struct sockaddr *)&b, &lb), 0);
  ck_assert_int_eq(evutil_sockaddr_cmp((struct sockaddr *)&a, (struct sockaddr *)&b, 0), 0);
  ck_assert_int_lt(evutil_sockaddr_cmp((struct sockaddr *)&a, (struct sockaddr *)&b, 1), 0);
  ck_assert_int_gt(evutil_sockaddr_cmp((struct sockaddr *)&b, (struct sockaddr *)&a, 1), 0);
  lb = (int)sizeof b;
  ck_assert_int_eq(evutil_parse_sockaddr_port("[::1]:80", (struct sockaddr *)&b, &lb), 0);
  ck_assert_int_lt(evutil_sockaddr_cmp((struct sockaddr *)&a, (struct sockaddr *)&b, 1), 0);
  ck_assert_int_eq(evutil_sockaddr_cmp((struct sockaddr *)&b, (struct sockaddr *)&b, 1), 0);
}
END_TEST

START_TEST(time_macros)
{
  struct timeval a = { 1, 900000 }, b = { 0, 200000 }, c;

  evutil_timeradd(&a, &b, &c);
  ck_assert_int_eq(c.tv_sec, 2);
  ck_assert_int_eq(c.tv_usec, 100000);
  evutil_timersub(&c, &a, &c);
  ck_assert_int_eq(c.tv_sec, 0);
  ck_assert_int_eq(c.tv_usec, 200000);
  ck_assert(evutil_timercmp(&b, &a, <));
  ck_assert(evutil_timercmp(&b, &c, ==));
  ck_assert(evutil_timerisset(&c));
  evutil_timerclear(&c);
  ck_assert(!evutil_timerisset(&c));
  ck_assert_int_eq(evutil_gettimeofday(&c, NULL), 0);
  ck_assert_int_gt(c.tv_sec, 0);
}
END_TEST

START_TEST(strings)
{
  char buf[8], *end;

  ck_assert_int_eq(evutil_snprintf(buf, sizeof buf, "%s", "0123456789"), 10);
  ck_assert_str_eq(buf, "0123456");
  ck_assert_int_eq(evutil_snprintf(buf, sizeof buf, "%d", 42), 2);
  ck_assert_str_eq(buf, "42");
  ck_assert_int_eq(evutil_snprintf(NULL, 0, "%d", 12345), 5);
  ck_assert(evutil_strtoll("9223372036854775807", &end, 10) == INT64_MAX);
  ck_assert_int_eq(*end, '\0');
  ck_assert(evutil_strtoll("-0x10zz", &end, 16) == -16);
  ck_assert_str_eq(end, "zz");
  ck_assert_int_eq(evutil_ascii_strcasecmp("HeLLo", "hello"), 0);
  ck_assert_int_lt(evutil_ascii_strcasecmp("abc", "ABD"), 0);
  ck_assert_int_gt(evutil_ascii_strcasecmp("abcd", "ABC"), 0);
  ck_assert_int_eq(evutil_ascii_strncasecmp("HeLLo world", "hello there", 5), 0);
  ck_assert_int_ne(evutil_ascii_strncasecmp("HeLLo world", "hello there", 7), 0);
  /* Only ASCII folds. */
  ck_assert_int_ne(evutil_ascii_strcasecmp("\xc9", "\xe9"), 0);
  ck_assert_str_eq(evutil_socket_error_to_string(EBADF), strerror(EBADF));
}
END_TEST

START_TEST(inet)
{
  unsigned char a4[4], a6[16];
  char buf[64];

  ck_assert_int_eq(evutil_inet_pton(AF_INET, "192.168.1.2", a4), 1);
  ck_assert_str_eq(evutil_inet_ntop(AF_INET, a4, buf, sizeof buf), "192.168.1.2");
  ck_assert_int_eq(evutil_inet_pton(AF_INET6, "::ffff:1.2.3.4", a6), 1);
  ck_assert_str_eq(evutil_inet_ntop(AF_INET6, a6, buf, sizeof buf), "::ffff:1.2.3.4");
  ck_assert_int_eq(evutil_inet_pton(AF_INET, "nope", a4), 0);
  ck_assert_int_eq(evutil_inet_pton(12345, "1.2.3.4", a4), -1);
  ck_assert_ptr_null(evutil_inet_ntop(AF_INET, a4, buf, 4)); /* no room */
  ck_assert_ptr_null(evutil_inet_ntop(12345, a4, buf, sizeof buf));
}
END_TEST

START_TEST(sockets)
{
  evutil_socket_t sv[2];
  char c = 0;

  ck_assert_int_eq(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ck_assert_int_eq(evutil_make_socket_nonblocking(sv[0]), 0);
  ck_assert(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
  ck_assert_int_eq(read(sv[0], &c, 1), -1);
  ck_assert_int_eq(EVUTIL_SOCKET_ERROR(), EAGAIN);
  ck_assert_int_eq(evutil_make_socket_closeonexec(sv[0]), 0);
  ck_assert(fcntl(sv[0], F_GETFD) & FD_CLOEXEC);
  ck_assert_int_eq(evutil_closesocket(sv[0]), 0);
  ck_assert_int_eq(evutil_closesocket(sv[1]), 0);
  /* Closed descriptors: -1. */
  ck_assert_int_eq(evutil_make_socket_nonblocking(sv[0]), -1);
  ck_assert_int_eq(evutil_make_socket_closeonexec(sv[0]), -1);
  ck_assert_int_eq(evutil_make_listen_socket_reuseable(sv[0]), -1);
  ck_assert_int_eq(evutil_closesocket(sv[0]), -1);
  ck_assert_int_eq(evutil_socketpair(AF_UNIX, SOCK_STREAM, 0, NULL), -1);
  sv[0] = socket(AF_INET6, SOCK_STREAM, 0);
  if (sv[0] >= 0) {
    ck_assert_int_eq(evutil_make_listen_socket_reuseable(sv[0]), 0);
    ck_assert_int_eq(evutil_make_listen_socket_reuseable_port(sv[0]), 0);
    ck_assert_int_eq(evutil_make_listen_socket_ipv6only(sv[0]), 0);
    ck_assert_int_eq(evutil_make_tcp_listen_socket_deferred(sv[0]), 0);
    evutil_closesocket(sv[0]);
  }
}
END_TEST

START_TEST(getaddrinfo_sync)
{
  struct evutil_addrinfo hints, *res = NULL;

  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = EVUTIL_AI_NUMERICHOST;
  ck_assert_int_eq(evutil_getaddrinfo("127.0.0.1", "80", &hints, &res), 0);
  ck_assert_ptr_nonnull(res);
  ck_assert_int_eq(res->ai_family, AF_INET);
  evutil_freeaddrinfo(res);
  ck_assert_int_eq(evutil_getaddrinfo(NULL, NULL, &hints, &res), EVUTIL_EAI_NONAME);
  ck_assert_int_eq(evutil_getaddrinfo("not an address", NULL, &hints, &res), EVUTIL_EAI_NONAME);
  evutil_freeaddrinfo(NULL);
  ck_assert_ptr_nonnull(evutil_gai_strerror(EVUTIL_EAI_CANCEL));
  ck_assert_ptr_nonnull(evutil_gai_strerror(EVUTIL_EAI_NONAME));
  ck_assert_ptr_nonnull(evutil_gai_strerror(12345));
}
END_TEST

START_TEST(secure_rng)
{
  unsigned char a[32], b[32];

  ck_assert_int_eq(evutil_secure_rng_init(), 0);
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  evutil_secure_rng_get_bytes(a, sizeof a);
  evutil_secure_rng_get_bytes(b, sizeof b);
  ck_assert(memcmp(a, b, sizeof a) != 0);
  evutil_secure_rng_get_bytes(a, 0);
}
END_TEST

/* ---- evdns_getaddrinfo ------------------------------------------------------------ */

struct lookup {
  int calls;
  int result;
  int family;
  int port;
};

static void
lookup_cb(int result, struct evutil_addrinfo *res, void *arg)
{
  struct lookup *l = arg;

  l->calls++;
  l->result = result;
  if (result == 0) {
    ck_assert_ptr_nonnull(res);
    l->family = res->ai_family;
    if (res->ai_family == AF_INET)
      l->port = ntohs(((struct sockaddr_in *)(void *)res->ai_addr)->sin_port);
    evutil_freeaddrinfo(res);
  } else {
    ck_assert_ptr_null(res);
  }
}

START_TEST(evdns_numeric_now)
{
  struct event_base *b = event_base_new();
  struct evdns_base *d = evdns_base_new(b, EVDNS_BASE_INITIALIZE_NAMESERVERS);
  struct evutil_addrinfo hints;
  struct lookup l;

  ck_assert_ptr_nonnull(d);
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  memset(&l, 0, sizeof l);
  /* Numeric: answered before the call returns, which gives NULL. */
  ck_assert_ptr_null(evdns_getaddrinfo(d, "127.0.0.1", "8080", &hints, lookup_cb, &l));
  ck_assert_int_eq(l.calls, 1);
  ck_assert_int_eq(l.result, 0);
  ck_assert_int_eq(l.family, AF_INET);
  ck_assert_int_eq(l.port, 8080);
  /* Bad arguments: the error, at once. */
  memset(&l, 0, sizeof l);
  ck_assert_ptr_null(evdns_getaddrinfo(d, NULL, NULL, &hints, lookup_cb, &l));
  ck_assert_int_eq(l.calls, 1);
  ck_assert_int_eq(l.result, EVUTIL_EAI_NONAME);
  memset(&l, 0, sizeof l);
  hints.ai_family = 12345;
  ck_assert_ptr_null(evdns_getaddrinfo(d, "127.0.0.1", "80", &hints, lookup_cb, &l));
  ck_assert_int_eq(l.calls, 1);
  ck_assert_int_ne(l.result, 0);
  ck_assert_ptr_null(evdns_getaddrinfo(NULL, "127.0.0.1", NULL, NULL, lookup_cb, &l));
  ck_assert_ptr_null(evdns_getaddrinfo(d, "127.0.0.1", NULL, NULL, NULL, NULL));
  ck_assert_ptr_null(evdns_base_new(NULL, 0));
  /* Nothing in flight: the loop has nothing to do. */
  ck_assert_int_eq(event_base_dispatch(b), 1);
  evdns_base_free(d, 0);
  evdns_base_free(NULL, 0);
  event_base_free(b);
}
END_TEST

START_TEST(evdns_localhost_async)
{
  struct event_base *b = event_base_new();
  struct evdns_base *d = evdns_base_new(b, 0);
  struct evutil_addrinfo hints;
  struct lookup l;
  struct evdns_getaddrinfo_request *r;

  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  memset(&l, 0, sizeof l);
  r = evdns_getaddrinfo(d, "localhost", "80", &hints, lookup_cb, &l);
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(l.calls, 0); /* not from inside the call */
  /* The lookup keeps the loop running until its callback. */
  ck_assert_int_eq(evtest_run(b, 10000), 1);
  ck_assert_int_eq(l.calls, 1);
  ck_assert_int_eq(l.result, 0);
  ck_assert_int_eq(l.family, AF_INET);
  ck_assert_int_eq(l.port, 80);
  evdns_base_free(d, 0);
  event_base_free(b);
}
END_TEST

START_TEST(evdns_cancel)
{
  struct event_base *b = event_base_new();
  struct evdns_base *d = evdns_base_new(b, 0);
  struct lookup l, m;
  struct evdns_getaddrinfo_request *r;

  memset(&l, 0, sizeof l);
  memset(&m, 0, sizeof m);
  r = evdns_getaddrinfo(d, "localhost", NULL, NULL, lookup_cb, &l);
  ck_assert_ptr_nonnull(r);
  evdns_getaddrinfo_cancel(r);
  ck_assert_int_eq(l.calls, 1);
  ck_assert_int_eq(l.result, EVUTIL_EAI_CANCEL);
  ck_assert_int_eq(event_base_dispatch(b), 1);
  ck_assert_int_eq(l.calls, 1);
  /* In flight when the resolver is freed: failed, or dropped. */
  r = evdns_getaddrinfo(d, "localhost", NULL, NULL, lookup_cb, &m);
  ck_assert_ptr_nonnull(r);
  evdns_getaddrinfo_cancel(NULL);
  evdns_base_free(d, 1);
  ck_assert_int_eq(m.calls, 1);
  ck_assert_int_eq(m.result, EVUTIL_EAI_FAIL);
  d = evdns_base_new(b, 0);
  memset(&m, 0, sizeof m);
  ck_assert_ptr_nonnull(evdns_getaddrinfo(d, "localhost", NULL, NULL, lookup_cb, &m));
  evdns_base_free(d, 0);
  ck_assert_int_eq(event_base_dispatch(b), 1);
  ck_assert_int_eq(m.calls, 0);
  event_base_free(b);
}
END_TEST

Suite *
evtest_util_suite(void)
{
  Suite *s = suite_create("util");
  TCase *tc = tcase_create("evutil");
  TCase *dns = tcase_create("evdns");

  tcase_add_test(tc, parse_sockaddr_port);
  tcase_add_test(tc, sockaddr_cmp);
  tcase_add_test(tc, time_macros);
  tcase_add_test(tc, strings);
  tcase_add_test(tc, inet);
  tcase_add_test(tc, sockets);
  tcase_add_test(tc, getaddrinfo_sync);
  tcase_add_test(tc, secure_rng);
  suite_add_tcase(s, tc);
  tcase_set_timeout(dns, 30);
  tcase_add_test(dns, evdns_numeric_now);
  tcase_add_test(dns, evdns_localhost_async);
  tcase_add_test(dns, evdns_cancel);
  suite_add_tcase(s, dns);
  return s;
}
