/* SPDX-License-Identifier: MIT */
/* tests/uvapi: errors, addresses, time, version, uv_guess_handle, the OS
 * utilities, dynamic libraries, threads: libuv's documented results,
 * error codes and buffer-size protocol. */
#include "uvtest.h"

#include <ifaddrs.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <net/if.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* ---- errors ------------------------------------------------------------- */

START_TEST(test_err_names)
{
  char buf[64];

  ck_assert_str_eq(uv_err_name(UV_EOF), "EOF");
  ck_assert_str_eq(uv_strerror(UV_EOF), "end of file");
  ck_assert_str_eq(uv_err_name(UV_EINVAL), "EINVAL");
  ck_assert_str_eq(uv_strerror(UV_EINVAL), "invalid argument");
  ck_assert_str_eq(uv_err_name(UV_ECANCELED), "ECANCELED");
  ck_assert_str_eq(uv_strerror(UV_ECANCELED), "operation canceled");
  ck_assert_str_eq(uv_err_name(UV_EAI_NONAME), "EAI_NONAME");
  ck_assert_str_eq(uv_strerror(UV_EAI_NONAME), "unknown node or service");
  ck_assert_str_eq(uv_err_name(UV_UNKNOWN), "UNKNOWN");
  ck_assert_str_eq(uv_strerror(UV_UNKNOWN), "unknown error");
  ck_assert_str_eq(uv_err_name(UV_ENOBUFS), "ENOBUFS");
  ck_assert_str_eq(uv_strerror(UV_EADDRINUSE), "address already in use");
  /* each code of the map names itself, and the codes are errno's negated */
  ck_assert_int_eq(UV_EINVAL, -EINVAL);
  ck_assert_int_eq(UV_EOF, -4095);
#define XX(code, msg) \
  ck_assert_str_eq(uv_err_name(UV_##code), #code); \
  ck_assert_str_eq(uv_strerror(UV_##code), msg); \
  ck_assert_str_eq(uv_err_name_r(UV_##code, buf, sizeof buf), #code); \
  ck_assert_str_eq(uv_strerror_r(UV_##code, buf, sizeof buf), msg);
  UV_ERRNO_MAP(XX)
#undef XX
  /* an unknown code */
  ck_assert_str_eq(uv_err_name(1234567), "Unknown system error 1234567");
  ck_assert_str_eq(uv_strerror(-9999), "Unknown system error -9999");
  ck_assert_str_eq(uv_strerror(0), "Unknown system error 0");
  /* the same (never freed) text each time */
  ck_assert_ptr_eq(uv_strerror(-9999), uv_strerror(-9999));
  ck_assert_str_eq(uv_err_name_r(-9999, buf, sizeof buf), "Unknown system error -9999");
  ck_assert_str_eq(uv_strerror_r(-9999, buf, sizeof buf), "Unknown system error -9999");
  /* _r: truncated, always terminated, returns buf */
  ck_assert_ptr_eq(uv_err_name_r(UV_EINVAL, buf, 4), buf);
  ck_assert_str_eq(buf, "EIN");
  ck_assert_str_eq(uv_strerror_r(UV_EOF, buf, 4), "end");
  ck_assert_str_eq(uv_strerror_r(-9999, buf, 8), "Unknown");
  buf[0] = 'x';
  uv_strerror_r(UV_EOF, buf, 0); /* nothing written */
  ck_assert_int_eq(buf[0], 'x');
  /* uv_translate_sys_error: errno -> UV code */
  ck_assert_int_eq(uv_translate_sys_error(EINVAL), UV_EINVAL);
  ck_assert_int_eq(uv_translate_sys_error(ENOENT), UV_ENOENT);
  ck_assert_int_eq(uv_translate_sys_error(0), 0);
  ck_assert_int_eq(uv_translate_sys_error(UV_EPIPE), UV_EPIPE);
}
END_TEST

/* ---- addresses ------------------------------------------------------------ */

START_TEST(test_ip4)
{
  struct sockaddr_in a;
  char name[INET_ADDRSTRLEN];
  uv_buf_t b;
  char c[3];

  ck_assert_int_eq(uv_ip4_addr("127.0.0.1", 7000, &a), 0);
  ck_assert_int_eq(a.sin_family, AF_INET);
  ck_assert_uint_eq(ntohs(a.sin_port), 7000);
  ck_assert_uint_eq(ntohl(a.sin_addr.s_addr), 0x7f000001u);
  ck_assert_int_eq(uv_ip4_name(&a, name, sizeof name), 0);
  ck_assert_str_eq(name, "127.0.0.1");
  ck_assert_int_eq(uv_ip_name((struct sockaddr *)&a, name, sizeof name), 0);
  ck_assert_str_eq(name, "127.0.0.1");
  /* exactly fits: 9 characters and the NUL; one less: UV_ENOSPC */
  ck_assert_int_eq(uv_ip4_name(&a, name, 10), 0);
  ck_assert_int_eq(uv_ip4_name(&a, name, 9), UV_ENOSPC);
  ck_assert_int_eq(uv_ip4_addr("0.0.0.0", 0, &a), 0);
  ck_assert_uint_eq(a.sin_addr.s_addr, 0);
  ck_assert_int_eq(uv_ip4_addr("255.255.255.255", 65535, &a), 0);
  ck_assert_uint_eq(ntohs(a.sin_port), 65535);
  /* not addresses */
  ck_assert_int_eq(uv_ip4_addr("256.0.0.1", 1, &a), UV_EINVAL);
  ck_assert_int_eq(uv_ip4_addr("1.2.3", 1, &a), UV_EINVAL);
  ck_assert_int_eq(uv_ip4_addr("", 1, &a), UV_EINVAL);
  ck_assert_int_eq(uv_ip4_addr("localhost", 1, &a), UV_EINVAL);
  ck_assert_int_eq(uv_ip4_addr("::1", 1, &a), UV_EINVAL);
  ck_assert_int_eq(uv_ip4_addr("01.2.3.4", 1, &a), UV_EINVAL); /* no octal */
  ck_assert_int_eq(uv_ip4_addr("1.2.3.4.", 1, &a), UV_EINVAL);
  ck_assert_int_eq(uv_ip4_addr("1.2.3.4 ", 1, &a), UV_EINVAL);
  ck_assert_int_eq(uv_inet_pton(AF_INET, NULL, &a.sin_addr), UV_EINVAL);
  ck_assert_int_eq(uv_inet_pton(AF_UNIX, "1.2.3.4", &a.sin_addr), UV_EAFNOSUPPORT);
  ck_assert_int_eq(uv_inet_ntop(AF_UNIX, &a.sin_addr, name, sizeof name), UV_EAFNOSUPPORT);
  a.sin_family = AF_UNIX;
  ck_assert_int_eq(uv_ip_name((struct sockaddr *)&a, name, sizeof name), UV_EAFNOSUPPORT);

  b = uv_buf_init(c, sizeof c);
  ck_assert_ptr_eq(b.base, c);
  ck_assert_uint_eq(b.len, 3);
}
END_TEST

START_TEST(test_ip6)
{
  struct sockaddr_in6 a;
  struct in6_addr raw;
  char name[64];
  unsigned int lo = if_nametoindex("lo");

  ck_assert_int_eq(uv_ip6_addr("::1", 8080, &a), 0);
  ck_assert_int_eq(a.sin6_family, AF_INET6);
  ck_assert_uint_eq(ntohs(a.sin6_port), 8080);
  ck_assert_int_eq(a.sin6_scope_id, 0);
  ck_assert_int_eq(memcmp(&a.sin6_addr, &in6addr_loopback, sizeof raw), 0);
  ck_assert_int_eq(uv_ip6_name(&a, name, sizeof name), 0);
  ck_assert_str_eq(name, "::1");
  ck_assert_int_eq(uv_ip6_name(&a, name, 4), 0);
  ck_assert_int_eq(uv_ip6_name(&a, name, 3), UV_ENOSPC);
  ck_assert_int_eq(uv_ip_name((struct sockaddr *)&a, name, sizeof name), 0);
  ck_assert_str_eq(name, "::1");
  /* round trips of the usual forms */
  ck_assert_int_eq(uv_ip6_addr("2001:db8::ff00:42:8329", 1, &a), 0);
  ck_assert_int_eq(uv_ip6_name(&a, name, sizeof name), 0);
  ck_assert_str_eq(name, "2001:db8::ff00:42:8329");
  ck_assert_int_eq(uv_ip6_addr("::ffff:1.2.3.4", 1, &a), 0);
  ck_assert_int_eq(uv_ip6_name(&a, name, sizeof name), 0);
  ck_assert_str_eq(name, "::ffff:1.2.3.4");
  ck_assert_int_eq(uv_ip6_addr("::", 1, &a), 0);
  ck_assert_int_eq(uv_ip6_name(&a, name, sizeof name), 0);
  ck_assert_str_eq(name, "::");
  /* libuv's text forms (the ISC code's), not every C library's */
  {
    static const char *const forms[][2] = {
      { "::2", "::2" },
      { "::1:2", "::0.1.0.2" },             /* IPv4-compatible */
      { "::ffff:0:0", "::ffff:0.0.0.0" },   /* IPv4-mapped */
      { "1::", "1::" },
      { "1:0:0:2::3", "1:0:0:2::3" },       /* the longest run */
      { "1:0:0:2:0:0:3:4", "1::2:0:0:3:4" },/* the first of equal runs */
      { "1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7" }, /* one zero: no "::" */
      { "FE80::ABCD", "fe80::abcd" },
      { "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
    };
    size_t k;

    for (k = 0; k < sizeof forms / sizeof forms[0]; k++) {
      ck_assert_int_eq(uv_inet_pton(AF_INET6, forms[k][0], &raw), 0);
      ck_assert_int_eq(uv_inet_ntop(AF_INET6, &raw, name, sizeof name), 0);
      ck_assert_str_eq(name, forms[k][1]);
      /* exactly the length and the NUL, or UV_ENOSPC */
      ck_assert_int_eq(uv_inet_ntop(AF_INET6, &raw, name, strlen(forms[k][1]) + 1), 0);
      ck_assert_int_eq(uv_inet_ntop(AF_INET6, &raw, name, strlen(forms[k][1])), UV_ENOSPC);
    }
  }
  /* a zone: the interface's index; an unknown one: 0, silently */
  ck_assert_uint_ne(lo, 0);
  ck_assert_int_eq(uv_ip6_addr("fe80::1%lo", 1, &a), 0);
  ck_assert_uint_eq(a.sin6_scope_id, lo);
  ck_assert_int_eq(uv_ip6_name(&a, name, sizeof name), 0);
  ck_assert_str_eq(name, "fe80::1");
  ck_assert_int_eq(uv_ip6_addr("fe80::1%no-such-if9", 1, &a), 0);
  ck_assert_uint_eq(a.sin6_scope_id, 0);
  ck_assert_int_eq(uv_inet_pton(AF_INET6, "fe80::2%lo", &raw), 0);
  ck_assert_int_eq(uv_inet_ntop(AF_INET6, &raw, name, sizeof name), 0);
  ck_assert_str_eq(name, "fe80::2");
  /* not addresses */
  ck_assert_int_eq(uv_ip6_addr("1.2.3.4", 1, &a), UV_EINVAL);
  ck_assert_int_eq(uv_ip6_addr(":::1", 1, &a), UV_EINVAL);
  ck_assert_int_eq(uv_ip6_addr("12345::1", 1, &a), UV_EINVAL);
  ck_assert_int_eq(uv_ip6_addr("", 1, &a), UV_EINVAL);
  ck_assert_int_eq(uv_inet_pton(AF_INET6,
                                "0000:0000:0000:0000:0000:0000:0000:0000:0000%lo",
                                &raw), UV_EINVAL);
}
END_TEST

/* ---- time, version --------------------------------------------------------- */

START_TEST(test_time)
{
  uint64_t t0, t1;
  uv_timeval64_t tv;
  uv_rusage_t ru;
  double up, avg[3] = { -1, -1, -1 };

  t0 = uv_hrtime();
  uv_sleep(20);
  t1 = uv_hrtime();
  ck_assert_uint_ge(t1 - t0, (uint64_t)20 * 1000000);
  ck_assert_int_eq(uv_gettimeofday(NULL), UV_EINVAL);
  ck_assert_int_eq(uv_gettimeofday(&tv), 0);
  ck_assert_int_gt(tv.tv_sec, 1577836800); /* after 2020 */
  ck_assert_int_ge(tv.tv_usec, 0);
  ck_assert_int_lt(tv.tv_usec, 1000000);
  ck_assert_int_eq(uv_uptime(&up), 0);
  ck_assert(up > 0);
  uv_loadavg(avg);
  ck_assert(avg[0] >= 0 && avg[1] >= 0 && avg[2] >= 0);
  ck_assert_int_eq(uv_getrusage(NULL), UV_EINVAL);
  ck_assert_int_eq(uv_getrusage(&ru), 0);
  ck_assert_uint_gt(ru.ru_maxrss, 0);
  ck_assert_int_ge(ru.ru_utime.tv_usec, 0);
  ck_assert_int_lt(ru.ru_utime.tv_usec, 1000000);
}
END_TEST

START_TEST(test_version)
{
  ck_assert_uint_eq(uv_version(), 0x012c00);
  ck_assert_uint_eq(uv_version(), UV_VERSION_HEX);
  ck_assert_str_eq(uv_version_string(), "1.44.0-libfutures");
}
END_TEST

/* ---- uv_guess_handle ------------------------------------------------------ */

START_TEST(test_guess_handle)
{
  int sv[2], p[2], fd;
  FILE *f;

  ck_assert_int_eq(uv_guess_handle(-1), UV_UNKNOWN_HANDLE);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ck_assert_int_eq(uv_guess_handle(sv[0]), UV_NAMED_PIPE);
  close(sv[0]);
  close(sv[1]);
  ck_assert_int_eq(uv_guess_handle(sv[0]), UV_UNKNOWN_HANDLE); /* closed */
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
  ck_assert_int_eq(uv_guess_handle(sv[0]), UV_UNKNOWN_HANDLE);
  close(sv[0]);
  close(sv[1]);
  ck_assert_int_eq(pipe(p), 0);
  ck_assert_int_eq(uv_guess_handle(p[0]), UV_NAMED_PIPE);
  ck_assert_int_eq(uv_guess_handle(p[1]), UV_NAMED_PIPE);
  close(p[0]);
  close(p[1]);
  fd = socket(AF_INET, SOCK_STREAM, 0);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(uv_guess_handle(fd), UV_TCP);
  close(fd);
  fd = socket(AF_INET, SOCK_DGRAM, 0);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(uv_guess_handle(fd), UV_UDP);
  close(fd);
  fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd >= 0) {
    ck_assert_int_eq(uv_guess_handle(fd), UV_TCP);
    close(fd);
  }
  f = tmpfile();
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(uv_guess_handle(fileno(f)), UV_FILE);
  fclose(f);
  fd = open("/dev/null", O_RDONLY);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(uv_guess_handle(fd), UV_FILE);
  close(fd);
  fd = open("/", O_RDONLY | O_DIRECTORY);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(uv_guess_handle(fd), UV_UNKNOWN_HANDLE);
  close(fd);
  ck_assert_int_eq(uv_get_osfhandle(5), 5);
  ck_assert_int_eq(uv_open_osfhandle(7), 7);
}
END_TEST

/* ---- the handle dumps ------------------------------------------------------- */

START_TEST(test_print_handles)
{
  uv_loop_t loop;
  uv_timer_t t;
  uv_idle_t idle;
  char expect[256], *out = NULL;
  size_t outlen = 0;
  FILE *f;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_timer_init(&loop, &t), 0);
  ck_assert_int_eq(uv_idle_init(&loop, &idle), 0);
  ck_assert_int_eq(uv_timer_start(&t, (uv_timer_cb)abort, 100000, 0), 0);
  uv_unref((uv_handle_t *)&t);

  f = open_memstream(&out, &outlen);
  ck_assert_ptr_nonnull(f);
  uv_print_all_handles(&loop, f);
  fclose(f);
  snprintf(expect, sizeof expect, "[-A-] timer    %p\n[R--] idle     %p\n",
           (void *)&t, (void *)&idle);
  ck_assert_str_eq(out, expect);
  free(out);

  out = NULL;
  f = open_memstream(&out, &outlen);
  ck_assert_ptr_nonnull(f);
  uv_print_active_handles(&loop, f);
  fclose(f);
  snprintf(expect, sizeof expect, "[-A-] timer    %p\n", (void *)&t);
  ck_assert_str_eq(out, expect);
  free(out);

  uvtest_close_loop(&loop);
}
END_TEST

/* ---- environment and the buffer-size protocol ----------------------------- */

START_TEST(test_env)
{
  char buf[64];
  size_t size;
  uv_env_item_t *items;
  int count, i, found = 0;

  ck_assert_int_eq(uv_os_setenv("UVTEST_MISC_VAR", "hello"), 0);
  size = sizeof buf;
  ck_assert_int_eq(uv_os_getenv("UVTEST_MISC_VAR", buf, &size), 0);
  ck_assert_str_eq(buf, "hello");
  ck_assert_uint_eq(size, 5);
  /* too small: UV_ENOBUFS and the size needed, NUL included */
  size = 5;
  ck_assert_int_eq(uv_os_getenv("UVTEST_MISC_VAR", buf, &size), UV_ENOBUFS);
  ck_assert_uint_eq(size, 6);
  size = 6;
  ck_assert_int_eq(uv_os_getenv("UVTEST_MISC_VAR", buf, &size), 0);
  ck_assert_uint_eq(size, 5);
  /* replaced */
  ck_assert_int_eq(uv_os_setenv("UVTEST_MISC_VAR", "a=b"), 0);
  size = sizeof buf;
  ck_assert_int_eq(uv_os_getenv("UVTEST_MISC_VAR", buf, &size), 0);
  ck_assert_str_eq(buf, "a=b");
  /* listed by uv_os_environ(), split at the first '=' */
  ck_assert_int_eq(uv_os_environ(&items, &count), 0);
  ck_assert_int_gt(count, 0);
  for (i = 0; i < count; i++) {
    if (strcmp(items[i].name, "UVTEST_MISC_VAR") == 0) {
      ck_assert_str_eq(items[i].value, "a=b");
      found++;
    }
  }
  ck_assert_int_eq(found, 1);
  uv_os_free_environ(items, count);
  ck_assert_int_eq(uv_os_environ(NULL, &count), UV_EINVAL);
  /* removed */
  ck_assert_int_eq(uv_os_unsetenv("UVTEST_MISC_VAR"), 0);
  ck_assert_int_eq(uv_os_unsetenv("UVTEST_MISC_VAR"), 0);
  size = sizeof buf;
  ck_assert_int_eq(uv_os_getenv("UVTEST_MISC_VAR", buf, &size), UV_ENOENT);
  /* misuse */
  size = 0;
  ck_assert_int_eq(uv_os_getenv("HOME", buf, &size), UV_EINVAL);
  size = sizeof buf;
  ck_assert_int_eq(uv_os_getenv(NULL, buf, &size), UV_EINVAL);
  ck_assert_int_eq(uv_os_getenv("HOME", NULL, &size), UV_EINVAL);
  ck_assert_int_eq(uv_os_getenv("HOME", buf, NULL), UV_EINVAL);
  ck_assert_int_eq(uv_os_setenv(NULL, "x"), UV_EINVAL);
  ck_assert_int_eq(uv_os_setenv("X", NULL), UV_EINVAL);
  ck_assert_int_eq(uv_os_setenv("", "x"), UV_EINVAL);
  ck_assert_int_eq(uv_os_setenv("A=B", "x"), UV_EINVAL);
  ck_assert_int_eq(uv_os_unsetenv(NULL), UV_EINVAL);
}
END_TEST

/* Restore the variable @name to @saved (NULL: unset). */
static void
restore_env(const char *name, const char *saved)
{
  if (saved != NULL)
    ck_assert_int_eq(uv_os_setenv(name, saved), 0);
  else
    ck_assert_int_eq(uv_os_unsetenv(name), 0);
}

static char *
save_env(const char *name)
{
  const char *v = getenv(name);

  return v != NULL ? strdup(v) : NULL;
}

START_TEST(test_homedir_tmpdir)
{
  static const char *const tmpvars[] = { "TMPDIR", "TMP", "TEMP", "TEMPDIR" };
  char *saved_home = save_env("HOME"), *saved_tmp[4];
  char buf[4096];
  uv_passwd_t pwd;
  size_t size;
  int i;

  for (i = 0; i < 4; i++)
    saved_tmp[i] = save_env(tmpvars[i]);

  /* homedir: $HOME first */
  ck_assert_int_eq(uv_os_setenv("HOME", "/home/uvtest"), 0);
  size = sizeof buf;
  ck_assert_int_eq(uv_os_homedir(buf, &size), 0);
  ck_assert_str_eq(buf, "/home/uvtest");
  ck_assert_uint_eq(size, 12);
  size = 12;
  ck_assert_int_eq(uv_os_homedir(buf, &size), UV_ENOBUFS);
  ck_assert_uint_eq(size, 13);
  size = 0;
  ck_assert_int_eq(uv_os_homedir(buf, &size), UV_EINVAL);
  ck_assert_int_eq(uv_os_homedir(NULL, &size), UV_EINVAL);
  /* without $HOME: the password entry (UV_ENOENT if the user has none) */
  ck_assert_int_eq(uv_os_unsetenv("HOME"), 0);
  size = sizeof buf;
  if (getpwuid(geteuid()) != NULL) {
    ck_assert_int_eq(uv_os_get_passwd(&pwd), 0);
    ck_assert_int_eq(uv_os_homedir(buf, &size), 0);
    ck_assert_str_eq(buf, pwd.homedir);
    ck_assert_uint_eq(size, strlen(pwd.homedir));
    size = strlen(pwd.homedir);
    ck_assert_int_eq(uv_os_homedir(buf, &size), UV_ENOBUFS);
    ck_assert_uint_eq(size, strlen(pwd.homedir) + 1);
    uv_os_free_passwd(&pwd);
  } else {
    ck_assert_int_eq(uv_os_homedir(buf, &size), UV_ENOENT);
  }
  restore_env("HOME", saved_home);

  /* tmpdir: $TMPDIR, $TMP, $TEMP, $TEMPDIR, else /tmp; no trailing slash */
  for (i = 0; i < 4; i++)
    ck_assert_int_eq(uv_os_unsetenv(tmpvars[i]), 0);
  size = sizeof buf;
  ck_assert_int_eq(uv_os_tmpdir(buf, &size), 0);
  ck_assert_str_eq(buf, "/tmp");
  ck_assert_uint_eq(size, 4);
  ck_assert_int_eq(uv_os_setenv("TEMPDIR", "/d"), 0);
  ck_assert_int_eq(uv_os_setenv("TEMP", "/c"), 0);
  size = sizeof buf;
  ck_assert_int_eq(uv_os_tmpdir(buf, &size), 0);
  ck_assert_str_eq(buf, "/c");
  ck_assert_int_eq(uv_os_setenv("TMPDIR", "/var/tmp/"), 0);
  size = sizeof buf;
  ck_assert_int_eq(uv_os_tmpdir(buf, &size), 0);
  ck_assert_str_eq(buf, "/var/tmp");
  ck_assert_uint_eq(size, 8);
  /* the check is on the value before the slash is dropped */
  size = 9;
  ck_assert_int_eq(uv_os_tmpdir(buf, &size), UV_ENOBUFS);
  ck_assert_uint_eq(size, 10);
  ck_assert_int_eq(uv_os_setenv("TMPDIR", "/"), 0);
  size = sizeof buf;
  ck_assert_int_eq(uv_os_tmpdir(buf, &size), 0);
  ck_assert_str_eq(buf, "/");
  size = 0;
  ck_assert_int_eq(uv_os_tmpdir(buf, &size), UV_EINVAL);
  for (i = 0; i < 4; i++) {
    restore_env(tmpvars[i], saved_tmp[i]);
    free(saved_tmp[i]);
  }
  free(saved_home);
}
END_TEST

START_TEST(test_passwd_uname_host)
{
  uv_passwd_t pwd;
  struct passwd *pw;
  uv_utsname_t u;
  char buf[256], host[256];
  size_t size;

  ck_assert_int_eq(uv_os_get_passwd(NULL), UV_EINVAL);
  pw = getpwuid(geteuid());
  if (pw != NULL) {
    /* the effective user's entry, as getpwuid(3) has it */
    char name[256], dir[1024];
    long gid = (long)pw->pw_gid;

    snprintf(name, sizeof name, "%s", pw->pw_name);
    snprintf(dir, sizeof dir, "%s", pw->pw_dir);
    ck_assert_int_eq(uv_os_get_passwd(&pwd), 0);
    ck_assert_int_eq(pwd.uid, (long)geteuid());
    ck_assert_int_eq(pwd.gid, gid);
    ck_assert_str_eq(pwd.username, name);
    ck_assert_str_eq(pwd.homedir, dir);
    ck_assert_ptr_nonnull(pwd.shell);
    uv_os_free_passwd(&pwd);
    ck_assert_ptr_null(pwd.username);
    ck_assert_ptr_null(pwd.homedir);
    ck_assert_ptr_null(pwd.shell);
  } else {
    ck_assert_int_eq(uv_os_get_passwd(&pwd), UV_ENOENT);
  }

  ck_assert_int_eq(uv_os_uname(NULL), UV_EINVAL);
  ck_assert_int_eq(uv_os_uname(&u), 0);
  ck_assert_str_eq(u.sysname, "Linux");
  ck_assert_int_gt(strlen(u.release), 0);
  ck_assert_int_gt(strlen(u.machine), 0);

  ck_assert_int_eq(gethostname(host, sizeof host), 0);
  size = sizeof buf;
  ck_assert_int_eq(uv_os_gethostname(buf, &size), 0);
  ck_assert_str_eq(buf, host);
  ck_assert_uint_eq(size, strlen(host));
  size = strlen(host);
  ck_assert_int_eq(uv_os_gethostname(buf, &size), UV_ENOBUFS);
  ck_assert_uint_eq(size, strlen(host) + 1);
  size = 0;
  ck_assert_int_eq(uv_os_gethostname(buf, &size), UV_EINVAL);

  ck_assert_int_eq(uv_os_getpid(), getpid());
  ck_assert_int_eq(uv_os_getppid(), getppid());
}
END_TEST

START_TEST(test_cwd_exepath)
{
  char buf[4096], saved[4096];
  size_t size, len;

  ck_assert_ptr_nonnull(getcwd(saved, sizeof saved));
  size = sizeof buf;
  ck_assert_int_eq(uv_cwd(buf, &size), 0);
  ck_assert_str_eq(buf, saved);
  len = strlen(saved);
  ck_assert_uint_eq(size, len);
  size = len;
  ck_assert_int_eq(uv_cwd(buf, &size), UV_ENOBUFS);
  ck_assert_uint_eq(size, len + 1);
  size = 0;
  ck_assert_int_eq(uv_cwd(buf, &size), UV_EINVAL);
  ck_assert_int_eq(uv_cwd(NULL, &size), UV_EINVAL);

  ck_assert_int_eq(uv_chdir("/"), 0);
  size = sizeof buf;
  ck_assert_int_eq(uv_cwd(buf, &size), 0);
  ck_assert_str_eq(buf, "/");
  ck_assert_uint_eq(size, 1);
  ck_assert_int_eq(uv_chdir("/no/such/dir/uvtest"), UV_ENOENT);
  ck_assert_int_eq(uv_chdir(saved), 0);

  size = sizeof buf;
  ck_assert_int_eq(uv_exepath(buf, &size), 0);
  ck_assert_uint_eq(size, strlen(buf));
  ck_assert_ptr_nonnull(strstr(buf, "uvapi-"));
  /* too small: truncated, as libuv */
  size = 4;
  ck_assert_int_eq(uv_exepath(buf, &size), 0);
  ck_assert_uint_eq(size, 3);
  ck_assert_uint_eq(strlen(buf), 3);
  size = 0;
  ck_assert_int_eq(uv_exepath(buf, &size), UV_EINVAL);
  ck_assert_int_eq(uv_exepath(buf, NULL), UV_EINVAL);
}
END_TEST

START_TEST(test_priority)
{
  int prio, again;

  ck_assert_int_eq(uv_os_getpriority(0, NULL), UV_EINVAL);
  ck_assert_int_eq(uv_os_getpriority(0, &prio), 0);
  ck_assert_int_ge(prio, UV_PRIORITY_HIGHEST);
  ck_assert_int_le(prio, UV_PRIORITY_LOW);
  ck_assert_int_eq(uv_os_getpriority(uv_os_getpid(), &again), 0);
  ck_assert_int_eq(uv_os_setpriority(0, prio), 0);
  ck_assert_int_eq(uv_os_setpriority(0, UV_PRIORITY_LOW + 1), UV_EINVAL);
  ck_assert_int_eq(uv_os_setpriority(0, UV_PRIORITY_HIGHEST - 1), UV_EINVAL);
  ck_assert_int_eq(uv_os_getpriority(0, &again), 0);
  ck_assert_int_eq(again, prio);
}
END_TEST

/* ---- CPUs, memory, interfaces ----------------------------------------------- */

START_TEST(test_cpu_memory)
{
  uv_cpu_info_t *ci;
  int count, i;
  unsigned int par = uv_available_parallelism();
  uint64_t total, avail;
  uv_rusage_t ru;
  size_t rss;

  ck_assert_int_eq(uv_cpu_info(NULL, &count), UV_EINVAL);
  ck_assert_int_eq(uv_cpu_info(&ci, &count), 0);
  ck_assert_int_ge(count, 1);
  ck_assert_uint_ge(par, 1);
  ck_assert_uint_le(par, (unsigned int)count);
  for (i = 0; i < count; i++) {
    ck_assert_ptr_nonnull(ci[i].model);
    ck_assert_int_ge(ci[i].speed, 0);
  }
  ck_assert_uint_gt(ci[0].cpu_times.user + ci[0].cpu_times.sys + ci[0].cpu_times.idle, 0);
  {
    /* where /proc/cpuinfo names models, the first CPU's is that name */
    char line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");

    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f) != NULL) {
      if (strncmp(line, "model name", 10) == 0) {
        char *v = strchr(line, ':') + 1;

        while (*v == ' ' || *v == '\t')
          v++;
        v[strcspn(v, "\n")] = '\0';
        ck_assert_str_eq(ci[0].model, v);
        break;
      }
    }
    fclose(f);
  }
  uv_free_cpu_info(ci, count);

  total = uv_get_total_memory();
  avail = uv_get_free_memory();
  ck_assert_uint_gt(total, 0);
  ck_assert_uint_gt(avail, 0);
  ck_assert_uint_le(avail, total);
  /* 0 when there is no limit (or it is unknown); the kernel keeps limits in pages */
  ck_assert_uint_eq(uv_get_constrained_memory() % (uint64_t)getpagesize(), 0);
  ck_assert_int_eq(uv_resident_set_memory(NULL), UV_EINVAL);
  ck_assert_int_eq(uv_resident_set_memory(&rss), 0);
  ck_assert_uint_gt(rss, 0);
  ck_assert_uint_lt(rss, total);
  /* the current RSS is at most the peak getrusage() reports (in KiB) */
  ck_assert_int_eq(uv_getrusage(&ru), 0);
  ck_assert_uint_le(rss, ru.ru_maxrss * 1024);
}
END_TEST

/* What getifaddrs(3) lists that is up and running with an IPv4 or IPv6
 * address, and whether 127.0.0.1 is one of them: the oracle. */
static int
count_ifaddrs(int *has_loopback)
{
  struct ifaddrs *all, *e;
  int n = 0;

  *has_loopback = 0;
  ck_assert_int_eq(getifaddrs(&all), 0);
  for (e = all; e != NULL; e = e->ifa_next) {
    if (e->ifa_addr == NULL || !(e->ifa_flags & IFF_UP) || !(e->ifa_flags & IFF_RUNNING))
      continue;
    if (e->ifa_addr->sa_family != AF_INET && e->ifa_addr->sa_family != AF_INET6)
      continue;
    n++;
    if (e->ifa_addr->sa_family == AF_INET &&
        ntohl(((struct sockaddr_in *)(void *)e->ifa_addr)->sin_addr.s_addr) == 0x7f000001u)
      *has_loopback = 1;
  }
  freeifaddrs(all);
  return n;
}

START_TEST(test_interfaces)
{
  uv_interface_address_t *a;
  char name[UV_IF_NAMESIZE], ip[64];
  unsigned int lo = if_nametoindex("lo");
  size_t size;
  int count, i, loopback = 0, expect_loopback, expect_count;

  ck_assert_int_eq(uv_interface_addresses(NULL, &count), UV_EINVAL);
  ck_assert_int_eq(uv_interface_addresses(&a, &count), 0);
  expect_count = count_ifaddrs(&expect_loopback);
  ck_assert_int_eq(count, expect_count);
  for (i = 0; i < count; i++) {
    ck_assert_ptr_nonnull(a[i].name);
    if (a[i].address.address4.sin_family == AF_INET) {
      ck_assert_int_eq(uv_ip4_name(&a[i].address.address4, ip, sizeof ip), 0);
      if (strcmp(ip, "127.0.0.1") == 0) {
        ck_assert_int_ne(a[i].is_internal, 0);
        ck_assert_int_eq(uv_ip4_name(&a[i].netmask.netmask4, ip, sizeof ip), 0);
        ck_assert_str_eq(ip, "255.0.0.0");
        loopback++;
      }
    } else {
      ck_assert_int_eq(a[i].address.address6.sin6_family, AF_INET6);
    }
  }
  /* the loopback interface, where it is up (it is, but in a bare namespace) */
  ck_assert_int_eq(loopback, expect_loopback);
  uv_free_interface_addresses(a, count);

  ck_assert_uint_ne(lo, 0);
  size = sizeof name;
  ck_assert_int_eq(uv_if_indextoname(lo, name, &size), 0);
  ck_assert_str_eq(name, "lo");
  ck_assert_uint_eq(size, 2);
  size = 2;
  ck_assert_int_eq(uv_if_indextoname(lo, name, &size), UV_ENOBUFS);
  ck_assert_uint_eq(size, 3);
  size = sizeof name;
  ck_assert_int_eq(uv_if_indextoiid(lo, name, &size), 0);
  ck_assert_str_eq(name, "lo");
  size = sizeof name;
  ck_assert_int_eq(uv_if_indextoname(0x7fffff, name, &size), UV_ENXIO);
  size = 0;
  ck_assert_int_eq(uv_if_indextoname(lo, name, &size), UV_EINVAL);
}
END_TEST

/* ---- process title ---------------------------------------------------------- */

START_TEST(test_process_title)
{
  static char area[] = "prog\0-a\0bc";
  char *argv[4];
  char **args;
  char buf[64];

  argv[0] = area;
  argv[1] = area + 5;
  argv[2] = area + 8;
  argv[3] = NULL;
  ck_assert_int_eq(uv_get_process_title(NULL, 10), UV_EINVAL);
  ck_assert_int_eq(uv_get_process_title(buf, 0), UV_EINVAL);
  ck_assert_int_eq(uv_set_process_title(NULL), UV_EINVAL);
  args = uv_setup_args(3, argv);
  ck_assert_ptr_nonnull(args);
  ck_assert_ptr_ne(args, argv);
  ck_assert_str_eq(args[0], "prog");
  ck_assert_str_eq(args[1], "-a");
  ck_assert_str_eq(args[2], "bc");
  ck_assert_ptr_null(args[3]);
  ck_assert_int_eq(uv_get_process_title(buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "prog");
  ck_assert_int_eq(uv_get_process_title(buf, 4), UV_ENOBUFS);
  /* written over the 11 bytes of the arguments: 10 characters at most */
  ck_assert_int_eq(uv_set_process_title("a rather long title"), 0);
  ck_assert_int_eq(uv_get_process_title(buf, sizeof buf), 0);
  ck_assert_str_eq(buf, "a rather l");
  ck_assert_int_eq(memcmp(area, "a rather l", 11), 0);
  ck_assert_str_eq(args[1], "-a"); /* the copy is untouched */
  ck_assert_int_eq(uv_set_process_title("x"), 0);
  ck_assert_int_eq(uv_get_process_title(buf, 2), 0);
  ck_assert_str_eq(buf, "x");
}
END_TEST

/* ---- dynamic libraries ------------------------------------------------------ */

START_TEST(test_dl)
{
  uv_lib_t lib;
  void *sym;
  size_t (*len)(const char *);

  ck_assert_int_eq(uv_dlopen("libc.so.6", &lib), 0);
  ck_assert_str_eq(uv_dlerror(&lib), "no error");
  ck_assert_int_eq(uv_dlsym(&lib, "strlen", &sym), 0);
  ck_assert_ptr_nonnull(sym);
  memcpy(&len, &sym, sizeof len);
  ck_assert_uint_eq(len("four"), 4);
  ck_assert_int_eq(uv_dlsym(&lib, "uvtest_no_such_symbol", &sym), -1);
  ck_assert_ptr_null(sym);
  ck_assert_ptr_nonnull(strstr(uv_dlerror(&lib), "uvtest_no_such_symbol"));
  uv_dlclose(&lib);
  ck_assert_ptr_null(lib.handle);
  ck_assert_ptr_null(lib.errmsg);
  uv_dlclose(&lib); /* twice: nothing */

  ck_assert_int_eq(uv_dlopen("/no/such/uvtest-lib.so", &lib), -1);
  ck_assert_ptr_null(lib.handle);
  ck_assert_ptr_nonnull(strstr(uv_dlerror(&lib), "uvtest-lib.so"));
  uv_dlclose(&lib);
  ck_assert_str_eq(uv_dlerror(&lib), "no error");
}
END_TEST

/* ---- threads ------------------------------------------------------------------ */

struct thread_arg {
  int value;
  uv_thread_t self;
  size_t stack_size;
};

static void
thread_set(void *p)
{
  struct thread_arg *a = p;
  pthread_attr_t attr;

  a->value = 42;
  a->self = uv_thread_self();
  a->stack_size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    if (pthread_attr_getstacksize(&attr, &a->stack_size) != 0)
      a->stack_size = 0;
    pthread_attr_destroy(&attr);
  }
}

/* libuv's default: RLIMIT_STACK (page-rounded) if finite and big enough,
 * else 2 MiB. */
static size_t
expected_default_stack(void)
{
  struct rlimit lim;
  size_t page = (size_t)getpagesize();

  if (getrlimit(RLIMIT_STACK, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    size_t s = (size_t)lim.rlim_cur - (size_t)lim.rlim_cur % page;

    if (s >= 8192 && s >= (size_t)PTHREAD_STACK_MIN)
      return s;
  }
  return (size_t)2 << 20;
}

START_TEST(test_thread_create_join)
{
  struct thread_arg a = { 0 }, b = { 0 };
  uv_thread_options_t opts;
  uv_thread_t t, t2, me = uv_thread_self();

  ck_assert_int_eq(uv_thread_create(&t, thread_set, &a), 0);
  ck_assert_int_eq(uv_thread_join(&t), 0);
  ck_assert_int_eq(a.value, 42);
  ck_assert_int_ne(uv_thread_equal(&t, &a.self), 0);
  ck_assert_int_eq(uv_thread_equal(&me, &a.self), 0);
  ck_assert_int_ne(uv_thread_equal(&me, &me), 0);
  ck_assert_uint_ge(a.stack_size, expected_default_stack());
  /* a tiny stack is rounded up to what the system allows */
  opts.flags = UV_THREAD_HAS_STACK_SIZE;
  opts.stack_size = 1;
  ck_assert_int_eq(uv_thread_create_ex(&t2, &opts, thread_set, &b), 0);
  ck_assert_int_eq(uv_thread_join(&t2), 0);
  ck_assert_int_eq(b.value, 42);
  b.value = 0;
  ck_assert_uint_ge(b.stack_size, (size_t)PTHREAD_STACK_MIN);
  /* rounded up to whole pages */
  opts.stack_size = 1024 * 1024 + 1;
  ck_assert_int_eq(uv_thread_create_ex(&t2, &opts, thread_set, &b), 0);
  ck_assert_int_eq(uv_thread_join(&t2), 0);
  ck_assert_int_eq(b.value, 42);
  /* (glibc may hand the thread a cached, bigger stack: at least this much) */
  ck_assert_uint_ge(b.stack_size, 1024 * 1024 + (size_t)getpagesize());
  /* no flag, or a zero size: the default */
  b.value = 0;
  opts.flags = UV_THREAD_NO_FLAGS;
  ck_assert_int_eq(uv_thread_create_ex(&t2, &opts, thread_set, &b), 0);
  ck_assert_int_eq(uv_thread_join(&t2), 0);
  ck_assert_int_eq(b.value, 42);
  ck_assert_uint_ge(b.stack_size, expected_default_stack());
  opts.flags = UV_THREAD_HAS_STACK_SIZE;
  opts.stack_size = 0;
  ck_assert_int_eq(uv_thread_create_ex(&t2, &opts, thread_set, &b), 0);
  ck_assert_int_eq(uv_thread_join(&t2), 0);
  ck_assert_uint_ge(b.stack_size, expected_default_stack());
  b.value = 0;
  ck_assert_int_eq(uv_thread_create_ex(&t2, NULL, thread_set, &b), 0);
  ck_assert_int_eq(uv_thread_join(&t2), 0);
  ck_assert_int_eq(b.value, 42);
}
END_TEST

static uv_mutex_t shared_mutex;
static uv_rwlock_t shared_rwlock;
static int try_result;

static void
thread_trylock(void *p)
{
  (void)p;
  try_result = uv_mutex_trylock(&shared_mutex);
  if (try_result == 0)
    uv_mutex_unlock(&shared_mutex);
}

static void
thread_trywrlock(void *p)
{
  (void)p;
  try_result = uv_rwlock_trywrlock(&shared_rwlock);
  if (try_result == 0)
    uv_rwlock_wrunlock(&shared_rwlock);
}

static void
thread_tryrdlock(void *p)
{
  (void)p;
  try_result = uv_rwlock_tryrdlock(&shared_rwlock);
  if (try_result == 0)
    uv_rwlock_rdunlock(&shared_rwlock);
}

static void
run_thread(uv_thread_cb fn)
{
  uv_thread_t t;

  try_result = 1;
  ck_assert_int_eq(uv_thread_create(&t, fn, NULL), 0);
  ck_assert_int_eq(uv_thread_join(&t), 0);
}

START_TEST(test_mutex_rwlock)
{
  uv_mutex_t rec;

  ck_assert_int_eq(uv_mutex_init(&shared_mutex), 0);
  uv_mutex_lock(&shared_mutex);
  run_thread(thread_trylock);
  ck_assert_int_eq(try_result, UV_EBUSY);
  uv_mutex_unlock(&shared_mutex);
  run_thread(thread_trylock);
  ck_assert_int_eq(try_result, 0);
  ck_assert_int_eq(uv_mutex_trylock(&shared_mutex), 0);
  uv_mutex_unlock(&shared_mutex);
  uv_mutex_destroy(&shared_mutex);

  ck_assert_int_eq(uv_mutex_init_recursive(&rec), 0);
  uv_mutex_lock(&rec);
  uv_mutex_lock(&rec);
  ck_assert_int_eq(uv_mutex_trylock(&rec), 0);
  uv_mutex_unlock(&rec);
  uv_mutex_unlock(&rec);
  uv_mutex_unlock(&rec);
  uv_mutex_destroy(&rec);

  ck_assert_int_eq(uv_rwlock_init(&shared_rwlock), 0);
  uv_rwlock_rdlock(&shared_rwlock);
  run_thread(thread_tryrdlock);
  ck_assert_int_eq(try_result, 0); /* readers share */
  run_thread(thread_trywrlock);
  ck_assert_int_eq(try_result, UV_EBUSY);
  uv_rwlock_rdunlock(&shared_rwlock);
  uv_rwlock_wrlock(&shared_rwlock);
  run_thread(thread_tryrdlock);
  ck_assert_int_eq(try_result, UV_EBUSY);
  run_thread(thread_trywrlock);
  ck_assert_int_eq(try_result, UV_EBUSY);
  uv_rwlock_wrunlock(&shared_rwlock);
  run_thread(thread_trywrlock);
  ck_assert_int_eq(try_result, 0);
  ck_assert_int_eq(uv_rwlock_tryrdlock(&shared_rwlock), 0);
  uv_rwlock_rdunlock(&shared_rwlock);
  ck_assert_int_eq(uv_rwlock_trywrlock(&shared_rwlock), 0);
  uv_rwlock_wrunlock(&shared_rwlock);
  uv_rwlock_destroy(&shared_rwlock);
}
END_TEST

static uv_sem_t sem_a, sem_b;

static void
thread_ping(void *p)
{
  (void)p;
  uv_sem_wait(&sem_a); /* wait for the main thread's post */
  uv_sem_post(&sem_b);
}

START_TEST(test_sem)
{
  uv_thread_t t;

  ck_assert_int_eq(uv_sem_init(&sem_a, 1), 0);
  ck_assert_int_eq(uv_sem_trywait(&sem_a), 0);
  ck_assert_int_eq(uv_sem_trywait(&sem_a), UV_EAGAIN);
  uv_sem_post(&sem_a);
  uv_sem_post(&sem_a);
  uv_sem_wait(&sem_a);
  uv_sem_wait(&sem_a);
  ck_assert_int_eq(uv_sem_trywait(&sem_a), UV_EAGAIN);

  ck_assert_int_eq(uv_sem_init(&sem_b, 0), 0);
  ck_assert_int_eq(uv_thread_create(&t, thread_ping, NULL), 0);
  uv_sem_post(&sem_a);
  uv_sem_wait(&sem_b);
  ck_assert_int_eq(uv_thread_join(&t), 0);
  ck_assert_int_eq(uv_sem_trywait(&sem_a), UV_EAGAIN);
  ck_assert_int_eq(uv_sem_trywait(&sem_b), UV_EAGAIN);
  uv_sem_destroy(&sem_a);
  uv_sem_destroy(&sem_b);
}
END_TEST

static uv_mutex_t cond_mutex;
static uv_cond_t cond_var;
static int cond_flag;

static void
thread_signal(void *p)
{
  (void)p;
  uv_mutex_lock(&cond_mutex);
  cond_flag = 1;
  uv_cond_signal(&cond_var);
  uv_mutex_unlock(&cond_mutex);
}

START_TEST(test_cond)
{
  uv_thread_t t;
  uint64_t t0;
  int r;

  ck_assert_int_eq(uv_mutex_init(&cond_mutex), 0);
  ck_assert_int_eq(uv_cond_init(&cond_var), 0);
  /* nobody signals: UV_ETIMEDOUT (a spurious wakeup returns 0: retry) */
  uv_mutex_lock(&cond_mutex);
  t0 = uv_hrtime();
  do
    r = uv_cond_timedwait(&cond_var, &cond_mutex, 10 * 1000000);
  while (r == 0);
  ck_assert_int_eq(r, UV_ETIMEDOUT);
  ck_assert_uint_ge(uv_hrtime() - t0, (uint64_t)10 * 1000000);
  uv_mutex_unlock(&cond_mutex);

  /* signalled: woken before the (long) timeout */
  cond_flag = 0;
  ck_assert_int_eq(uv_thread_create(&t, thread_signal, NULL), 0);
  uv_mutex_lock(&cond_mutex);
  while (!cond_flag) {
    r = uv_cond_timedwait(&cond_var, &cond_mutex, (uint64_t)60 * 1000000000);
    ck_assert_int_eq(r, 0);
  }
  uv_mutex_unlock(&cond_mutex);
  ck_assert_int_eq(uv_thread_join(&t), 0);

  /* broadcast and plain wait */
  cond_flag = 0;
  ck_assert_int_eq(uv_thread_create(&t, thread_signal, NULL), 0);
  uv_mutex_lock(&cond_mutex);
  while (!cond_flag)
    uv_cond_wait(&cond_var, &cond_mutex);
  uv_cond_broadcast(&cond_var);
  uv_mutex_unlock(&cond_mutex);
  ck_assert_int_eq(uv_thread_join(&t), 0);
  uv_cond_destroy(&cond_var);
  uv_mutex_destroy(&cond_mutex);
}
END_TEST

#define BARRIER_THREADS 4
#define BARRIER_ROUNDS 5

static uv_barrier_t barrier;
static atomic_int barrier_serial[BARRIER_ROUNDS];
static atomic_int barrier_arrived[BARRIER_ROUNDS];
static atomic_int barrier_bad;

static void
thread_barrier(void *p)
{
  int round;

  (void)p;
  for (round = 0; round < BARRIER_ROUNDS; round++) {
    atomic_fetch_add(&barrier_arrived[round], 1);
    if (uv_barrier_wait(&barrier) > 0)
      atomic_fetch_add(&barrier_serial[round], 1);
    /* nobody leaves a round before everyone arrived */
    if (atomic_load(&barrier_arrived[round]) != BARRIER_THREADS)
      atomic_fetch_add(&barrier_bad, 1);
  }
}

START_TEST(test_barrier)
{
  uv_thread_t t[BARRIER_THREADS - 1];
  int i, round;

  ck_assert_int_eq(uv_barrier_init(&barrier, 0), UV_EINVAL);
  ck_assert_int_eq(uv_barrier_init(&barrier, BARRIER_THREADS), 0);
  for (i = 0; i < BARRIER_THREADS - 1; i++)
    ck_assert_int_eq(uv_thread_create(&t[i], thread_barrier, NULL), 0);
  thread_barrier(NULL);
  for (i = 0; i < BARRIER_THREADS - 1; i++)
    ck_assert_int_eq(uv_thread_join(&t[i]), 0);
  for (round = 0; round < BARRIER_ROUNDS; round++)
    ck_assert_int_eq(atomic_load(&barrier_serial[round]), 1);
  ck_assert_int_eq(atomic_load(&barrier_bad), 0);
  uv_barrier_destroy(&barrier);

  /* a barrier of one: the caller is always the one */
  ck_assert_int_eq(uv_barrier_init(&barrier, 1), 0);
  ck_assert_int_gt(uv_barrier_wait(&barrier), 0);
  ck_assert_int_gt(uv_barrier_wait(&barrier), 0);
  uv_barrier_destroy(&barrier);
}
END_TEST

/* libuv's idiom: the thread that gets > 0 destroys (here: and frees) the
 * barrier while the others may still be returning from uv_barrier_wait()
 * (ASan / valgrind catch a thread still touching it). */
static atomic_int serializer_count;

static void
thread_barrier_free(void *p)
{
  uv_barrier_t *b = p;

  if (uv_barrier_wait(b) > 0) {
    atomic_fetch_add(&serializer_count, 1);
    uv_barrier_destroy(b);
    free(b);
  }
}

START_TEST(test_barrier_serializer_destroys)
{
  uv_thread_t t[BARRIER_THREADS];
  uv_barrier_t *b;
  int i, round;

  for (round = 0; round < 20; round++) {
    b = malloc(sizeof *b);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(uv_barrier_init(b, BARRIER_THREADS), 0);
    atomic_store(&serializer_count, 0);
    for (i = 0; i < BARRIER_THREADS; i++)
      ck_assert_int_eq(uv_thread_create(&t[i], thread_barrier_free, b), 0);
    for (i = 0; i < BARRIER_THREADS; i++)
      ck_assert_int_eq(uv_thread_join(&t[i]), 0);
    ck_assert_int_eq(atomic_load(&serializer_count), 1);
  }
}
END_TEST

static uv_once_t once_guard = UV_ONCE_INIT;
static atomic_int once_count;
static atomic_int once_seen_done;

static void
once_cb(void)
{
  uv_sleep(5); /* let the others pile up on the guard */
  atomic_fetch_add(&once_count, 1);
}

static void
thread_once(void *p)
{
  (void)p;
  uv_once(&once_guard, once_cb);
  /* uv_once() returns only after the callback finished */
  if (atomic_load(&once_count) == 1)
    atomic_fetch_add(&once_seen_done, 1);
}

static uv_key_t tls_key;

static void
thread_key(void *p)
{
  int *mine = p;

  if (uv_key_get(&tls_key) != NULL)
    *mine = -1;
  else {
    uv_key_set(&tls_key, mine);
    *mine = uv_key_get(&tls_key) == mine ? 1 : -2;
  }
}

START_TEST(test_once_key)
{
  uv_thread_t t[8];
  int i, main_value = 7, other = 0;

  for (i = 0; i < 8; i++)
    ck_assert_int_eq(uv_thread_create(&t[i], thread_once, NULL), 0);
  for (i = 0; i < 8; i++)
    ck_assert_int_eq(uv_thread_join(&t[i]), 0);
  ck_assert_int_eq(atomic_load(&once_count), 1);
  ck_assert_int_eq(atomic_load(&once_seen_done), 8);
  uv_once(&once_guard, once_cb);
  ck_assert_int_eq(atomic_load(&once_count), 1);

  ck_assert_int_eq(uv_key_create(&tls_key), 0);
  ck_assert_ptr_null(uv_key_get(&tls_key));
  uv_key_set(&tls_key, &main_value);
  ck_assert_int_eq(uv_thread_create(&t[0], thread_key, &other), 0);
  ck_assert_int_eq(uv_thread_join(&t[0]), 0);
  ck_assert_int_eq(other, 1);
  ck_assert_ptr_eq(uv_key_get(&tls_key), &main_value);
  uv_key_set(&tls_key, NULL);
  ck_assert_ptr_null(uv_key_get(&tls_key));
  uv_key_delete(&tls_key);
}
END_TEST

Suite *
uvtest_misc_suite(void)
{
  Suite *s = suite_create("uv-misc");
  TCase *tc = tcase_create("misc");

  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_err_names);
  tcase_add_test(tc, test_ip4);
  tcase_add_test(tc, test_ip6);
  tcase_add_test(tc, test_time);
  tcase_add_test(tc, test_version);
  tcase_add_test(tc, test_guess_handle);
  tcase_add_test(tc, test_print_handles);
  tcase_add_test(tc, test_env);
  tcase_add_test(tc, test_homedir_tmpdir);
  tcase_add_test(tc, test_passwd_uname_host);
  tcase_add_test(tc, test_cwd_exepath);
  tcase_add_test(tc, test_priority);
  tcase_add_test(tc, test_cpu_memory);
  tcase_add_test(tc, test_interfaces);
  tcase_add_test(tc, test_process_title);
  tcase_add_test(tc, test_dl);
  tcase_add_test(tc, test_thread_create_join);
  tcase_add_test(tc, test_mutex_rwlock);
  tcase_add_test(tc, test_sem);
  tcase_add_test(tc, test_cond);
  tcase_add_test(tc, test_barrier);
  tcase_add_test(tc, test_barrier_serializer_destroys);
  tcase_add_test(tc, test_once_key);
  suite_add_tcase(s, tc);
  return s;
}
