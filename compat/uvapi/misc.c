/* SPDX-License-Identifier: MIT */
/* compat/uvapi: buffers, addresses, time, version, uv_guess_handle,
 * the handle dumps, dynamic libraries. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "internal.h"

#include <dlfcn.h>
#include <net/if.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define NANOSEC ((uint64_t)1000000000)

/* ---- buffers and addresses ------------------------------------------- */

uv_buf_t
uv_buf_init(char *base, unsigned int len)
{
  uv_buf_t buf;

  buf.base = base;
  buf.len = len;
  return buf;
}

/* The longest IPv6 text with an IPv4 tail, NUL included (46). */
#define INET6_TEXT_MAX 46

/*
 * The text of the IPv6 address @a into @out (INET6_TEXT_MAX bytes), in
 * libuv's form (RFC 4291 text as the ISC code libuv uses writes it): hex
 * words in lower case, the first longest run of two or more zero words as
 * "::", and a dotted IPv4 tail for an IPv4-mapped address (::ffff:a.b.c.d)
 * and for one whose first 96 bits are zero and whose seventh word is not
 * (::a.b.c.d). Written here rather than taken from inet_ntop(3) so the
 * text does not depend on the C library.
 */
static void
ntop6(const unsigned char *a, char *out)
{
  unsigned int w[8];
  int best = -1, bestlen = 0, cur = -1, i;
  char *p = out;

  for (i = 0; i < 8; i++)
    w[i] = (unsigned int)a[2 * i] << 8 | a[2 * i + 1];
  for (i = 0; i <= 8; i++) {
    if (i < 8 && w[i] == 0) {
      if (cur < 0)
        cur = i;
    } else if (cur >= 0) {
      if (i - cur > bestlen) {
        best = cur;
        bestlen = i - cur;
      }
      cur = -1;
    }
  }
  if (bestlen < 2)
    best = -1;
  for (i = 0; i < 8; i++) {
    if (best >= 0 && i >= best && i < best + bestlen) {
      if (i == best)
        *p++ = ':';
      continue;
    }
    if (i != 0)
      *p++ = ':';
    if (i == 6 && best == 0 && (bestlen == 6 || (bestlen == 5 && w[5] == 0xffff))) {
      p += sprintf(p, "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
      break;
    }
    p += sprintf(p, "%x", w[i]);
  }
  if (best >= 0 && best + bestlen == 8)
    *p++ = ':';
  *p = '\0';
}

int
uv_inet_ntop(int af, const void *src, char *dst, size_t size)
{
  char tmp[INET6_TEXT_MAX];
  const unsigned char *a = src;
  size_t n;

  if (src == NULL || dst == NULL)
    return UV_EINVAL;
  switch (af) {
  case AF_INET:
    snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    break;
  case AF_INET6:
    ntop6(a, tmp);
    break;
  default:
    return UV_EAFNOSUPPORT;
  }
  n = strlen(tmp);
  if (n >= size)
    return UV_ENOSPC;
  memcpy(dst, tmp, n + 1);
  return 0;
}

int
uv_inet_pton(int af, const char *src, void *dst)
{
  char tmp[INET6_TEXT_MAX];
  const char *zone;

  if (src == NULL || dst == NULL)
    return UV_EINVAL;
  switch (af) {
  case AF_INET:
    return inet_pton(AF_INET, src, dst) == 1 ? 0 : UV_EINVAL;
  case AF_INET6:
    zone = strchr(src, '%');
    if (zone != NULL) {
      size_t n = (size_t)(zone - src);

      if (n > sizeof tmp - 1)
        return UV_EINVAL;
      memcpy(tmp, src, n);
      tmp[n] = '\0';
      src = tmp;
    }
    return inet_pton(AF_INET6, src, dst) == 1 ? 0 : UV_EINVAL;
  default:
    return UV_EAFNOSUPPORT;
  }
}

int
uv_ip4_addr(const char *ip, int port, struct sockaddr_in *addr)
{
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_port = htons((uint16_t)port);
  return uv_inet_pton(AF_INET, ip, &addr->sin_addr.s_addr);
}

int
uv_ip6_addr(const char *ip, int port, struct sockaddr_in6 *addr)
{
  char part[INET6_TEXT_MAX];
  const char *zone;

  memset(addr, 0, sizeof *addr);
  addr->sin6_family = AF_INET6;
  addr->sin6_port = htons((uint16_t)port);
  if (ip == NULL)
    return UV_EINVAL;
  zone = strchr(ip, '%');
  if (zone != NULL) {
    size_t n = (size_t)(zone - ip);

    if (n >= sizeof part)
      n = sizeof part - 1;
    memcpy(part, ip, n);
    part[n] = '\0';
    ip = part;
    /* an unknown interface gives 0, silently, as in libuv */
    addr->sin6_scope_id = if_nametoindex(zone + 1);
  }
  return uv_inet_pton(AF_INET6, ip, &addr->sin6_addr);
}

int
uv_ip4_name(const struct sockaddr_in *src, char *dst, size_t size)
{
  return uv_inet_ntop(AF_INET, &src->sin_addr, dst, size);
}

int
uv_ip6_name(const struct sockaddr_in6 *src, char *dst, size_t size)
{
  return uv_inet_ntop(AF_INET6, &src->sin6_addr, dst, size);
}

int
uv_ip_name(const struct sockaddr *src, char *dst, size_t size)
{
  switch (src->sa_family) {
  case AF_INET:
    return uv_ip4_name((const struct sockaddr_in *)(const void *)src, dst, size);
  case AF_INET6:
    return uv_ip6_name((const struct sockaddr_in6 *)(const void *)src, dst, size);
  default:
    return UV_EAFNOSUPPORT;
  }
}

/* ---- time --------------------------------------------------------------- */

uint64_t
uv_hrtime(void)
{
  struct timespec ts;

  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    abort();
  return (uint64_t)ts.tv_sec * NANOSEC + (uint64_t)ts.tv_nsec;
}

void
uv_sleep(unsigned int msec)
{
  struct timespec ts;

  ts.tv_sec = msec / 1000;
  ts.tv_nsec = (long)(msec % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

int
uv_gettimeofday(uv_timeval64_t *tv)
{
  struct timeval t;

  if (tv == NULL)
    return UV_EINVAL;
  if (gettimeofday(&t, NULL) != 0)
    return UV__ERR(errno);
  tv->tv_sec = (int64_t)t.tv_sec;
  tv->tv_usec = (int32_t)t.tv_usec;
  return 0;
}

int
uv_uptime(double *uptime)
{
  struct timespec ts;
  FILE *f;
  double v;

  if (uptime == NULL)
    return UV_EINVAL;
  f = fopen("/proc/uptime", "re");
  if (f != NULL) {
    int ok = fscanf(f, "%lf", &v) == 1;

    fclose(f);
    if (ok) {
      *uptime = v;
      return 0;
    }
  }
  if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
    return UV__ERR(errno);
  *uptime = (double)ts.tv_sec;
  return 0;
}

void
uv_loadavg(double avg[3])
{
  struct sysinfo info;
  double v[3];
  FILE *f;

  /* /proc/loadavg first (what top(1) shows), else sysinfo(2) */
  f = fopen("/proc/loadavg", "re");
  if (f != NULL) {
    int ok = fscanf(f, "%lf %lf %lf", &v[0], &v[1], &v[2]) == 3;

    fclose(f);
    if (ok) {
      avg[0] = v[0];
      avg[1] = v[1];
      avg[2] = v[2];
      return;
    }
  }
  if (sysinfo(&info) < 0) {
    avg[0] = avg[1] = avg[2] = 0;
    return;
  }
  avg[0] = (double)info.loads[0] / 65536.0;
  avg[1] = (double)info.loads[1] / 65536.0;
  avg[2] = (double)info.loads[2] / 65536.0;
}

int
uv_getrusage(uv_rusage_t *rusage)
{
  struct rusage u;

  if (rusage == NULL)
    return UV_EINVAL;
  if (getrusage(RUSAGE_SELF, &u) != 0)
    return UV__ERR(errno);
  rusage->ru_utime.tv_sec = (long)u.ru_utime.tv_sec;
  rusage->ru_utime.tv_usec = (long)u.ru_utime.tv_usec;
  rusage->ru_stime.tv_sec = (long)u.ru_stime.tv_sec;
  rusage->ru_stime.tv_usec = (long)u.ru_stime.tv_usec;
  rusage->ru_maxrss = (uint64_t)u.ru_maxrss;
  rusage->ru_ixrss = (uint64_t)u.ru_ixrss;
  rusage->ru_idrss = (uint64_t)u.ru_idrss;
  rusage->ru_isrss = (uint64_t)u.ru_isrss;
  rusage->ru_minflt = (uint64_t)u.ru_minflt;
  rusage->ru_majflt = (uint64_t)u.ru_majflt;
  rusage->ru_nswap = (uint64_t)u.ru_nswap;
  rusage->ru_inblock = (uint64_t)u.ru_inblock;
  rusage->ru_oublock = (uint64_t)u.ru_oublock;
  rusage->ru_msgsnd = (uint64_t)u.ru_msgsnd;
  rusage->ru_msgrcv = (uint64_t)u.ru_msgrcv;
  rusage->ru_nsignals = (uint64_t)u.ru_nsignals;
  rusage->ru_nvcsw = (uint64_t)u.ru_nvcsw;
  rusage->ru_nivcsw = (uint64_t)u.ru_nivcsw;
  return 0;
}

/* ---- version ------------------------------------------------------------ */

#define UV__STR(x) #x
#define UV__XSTR(x) UV__STR(x)

unsigned int uv_version(void) { return UV_VERSION_HEX; }

const char *
uv_version_string(void)
{
  return UV__XSTR(UV_VERSION_MAJOR) "." UV__XSTR(UV_VERSION_MINOR) "."
    UV__XSTR(UV_VERSION_PATCH) "-" UV_VERSION_SUFFIX;
}

/* ---- descriptors and handles ------------------------------------------- */

uv_handle_type
uv_guess_handle(uv_file file)
{
  struct sockaddr_storage ss;
  struct stat s;
  socklen_t len;
  int type;

  if (file < 0)
    return UV_UNKNOWN_HANDLE;
  if (isatty(file))
    return UV_TTY;
  if (fstat(file, &s) != 0)
    return UV_UNKNOWN_HANDLE;
  if (S_ISREG(s.st_mode) || S_ISCHR(s.st_mode))
    return UV_FILE;
  if (S_ISFIFO(s.st_mode))
    return UV_NAMED_PIPE;
  if (!S_ISSOCK(s.st_mode))
    return UV_UNKNOWN_HANDLE;
  len = sizeof type;
  if (getsockopt(file, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
    return UV_UNKNOWN_HANDLE;
  len = sizeof ss;
  if (getsockname(file, (struct sockaddr *)&ss, &len) != 0)
    return UV_UNKNOWN_HANDLE;
  if (type == SOCK_DGRAM && (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
    return UV_UDP;
  if (type == SOCK_STREAM) {
    if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)
      return UV_TCP;
    if (ss.ss_family == AF_UNIX)
      return UV_NAMED_PIPE;
  }
  return UV_UNKNOWN_HANDLE;
}

uv_os_fd_t uv_get_osfhandle(int fd) { return fd; }
int uv_open_osfhandle(uv_os_fd_t os_fd) { return os_fd; }

static void
print_handles(uv_loop_t *loop, int only_active, FILE *stream)
{
  struct fut_kit_queue *q;

  if (loop == NULL)
    loop = uv_default_loop();
  if (loop == NULL)
    return;
  for (q = loop->handle_queue.next; q != &loop->handle_queue; q = q->next) {
    uv_handle_t *h = fut_kit_queue_data(q, uv_handle_t, handle_queue);
    const char *type;

    if (only_active && !uv__is_active(h))
      continue;
    switch (h->type) {
#define XX(uc, lc) case UV_##uc: type = #lc; break;
      UV_HANDLE_TYPE_MAP(XX)
#undef XX
    default:
      type = "<unknown>";
    }
    fprintf(stream, "[%c%c%c] %-8s %p\n",
            "R-"[!(h->flags & UV_HANDLE_REF)],
            "A-"[!(h->flags & UV_HANDLE_ACTIVE)],
            "I-"[!(h->flags & UV_HANDLE_INTERNAL)],
            type, (void *)h);
  }
}

void uv_print_all_handles(uv_loop_t *loop, FILE *stream) { print_handles(loop, 0, stream); }
void uv_print_active_handles(uv_loop_t *loop, FILE *stream) { print_handles(loop, 1, stream); }

/* ---- dynamic libraries --------------------------------------------------- */

/* Take dlerror()'s message into @lib: -1 if there was one, else 0. */
static int
lib_error(uv_lib_t *lib)
{
  const char *msg;

  uv__free(lib->errmsg);
  lib->errmsg = NULL;
  msg = dlerror();
  if (msg == NULL)
    return 0;
  lib->errmsg = uv__strdup(msg);
  return -1;
}

int
uv_dlopen(const char *filename, uv_lib_t *lib)
{
  dlerror(); /* clear a stale message */
  lib->errmsg = NULL;
  lib->handle = dlopen(filename, RTLD_LAZY);
  if (lib->handle != NULL)
    return 0;
  lib_error(lib);
  return -1;
}

void
uv_dlclose(uv_lib_t *lib)
{
  uv__free(lib->errmsg);
  lib->errmsg = NULL;
  if (lib->handle != NULL) {
    dlclose(lib->handle);
    lib->handle = NULL;
  }
}

int
uv_dlsym(uv_lib_t *lib, const char *name, void **ptr)
{
  dlerror();
  *ptr = dlsym(lib->handle, name);
  return lib_error(lib);
}

const char *
uv_dlerror(const uv_lib_t *lib)
{
  return lib->errmsg != NULL ? lib->errmsg : "no error";
}
