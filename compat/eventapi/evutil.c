/* SPDX-License-Identifier: MIT */
/* compat/eventapi: libevent 2.1's evutil helpers (event2/util.h). */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

int
evutil_socketpair(int d, int type, int protocol, evutil_socket_t sv[2])
{
  if (sv == NULL) {
    errno = EINVAL;
    return -1;
  }
  return socketpair(d, type, protocol, sv);
}

int
evutil_make_socket_nonblocking(evutil_socket_t sock)
{
  int fl = fcntl(sock, F_GETFL, 0);

  if (fl < 0)
    return -1;
  if (!(fl & O_NONBLOCK) && fcntl(sock, F_SETFL, fl | O_NONBLOCK) < 0)
    return -1;
  return 0;
}

int
evutil_make_socket_closeonexec(evutil_socket_t sock)
{
  int fl = fcntl(sock, F_GETFD, 0);

  if (fl < 0)
    return -1;
  if (!(fl & FD_CLOEXEC) && fcntl(sock, F_SETFD, fl | FD_CLOEXEC) < 0)
    return -1;
  return 0;
}

static int
setopt_one(evutil_socket_t sock, int level, int name)
{
  int one = 1;

  return setsockopt(sock, level, name, &one, (socklen_t)sizeof one) < 0 ? -1 : 0;
}

int
evutil_make_listen_socket_reuseable(evutil_socket_t sock)
{
  return setopt_one(sock, SOL_SOCKET, SO_REUSEADDR);
}

int
evutil_make_listen_socket_reuseable_port(evutil_socket_t sock)
{
  return setopt_one(sock, SOL_SOCKET, SO_REUSEPORT);
}

int
evutil_make_listen_socket_ipv6only(evutil_socket_t sock)
{
  return setopt_one(sock, IPPROTO_IPV6, IPV6_V6ONLY);
}

int
evutil_make_tcp_listen_socket_deferred(evutil_socket_t sock)
{
  return setopt_one(sock, IPPROTO_TCP, TCP_DEFER_ACCEPT);
}

int
evutil_closesocket(evutil_socket_t sock)
{
  return close(sock);
}

ev_int64_t
evutil_strtoll(const char *s, char **endptr, int base)
{
  if (s == NULL) {
    if (endptr != NULL)
      *endptr = NULL;
    return 0;
  }
  return (ev_int64_t)strtoll(s, endptr, base);
}

int
evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap)
{
  int r;

  if (buflen == 0)
    return vsnprintf(NULL, 0, format, ap);
  if (buf == NULL || format == NULL)
    return -1;
  r = vsnprintf(buf, buflen, format, ap);
  buf[buflen - 1] = '\0';
  return r;
}

int
evutil_snprintf(char *buf, size_t buflen, const char *format, ...)
{
  va_list ap;
  int r;

  va_start(ap, format);
  r = evutil_vsnprintf(buf, buflen, format, ap);
  va_end(ap);
  return r;
}

static int
ascii_lower(int c)
{
  return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int
evutil_ascii_strncasecmp(const char *str1, const char *str2, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++) {
    int a = ascii_lower((unsigned char)str1[i]), b = ascii_lower((unsigned char)str2[i]);

    if (a != b)
      return a < b ? -1 : 1;
    if (a == 0)
      return 0;
  }
  return 0;
}

int
evutil_ascii_strcasecmp(const char *str1, const char *str2)
{
  return evutil_ascii_strncasecmp(str1, str2, SIZE_MAX);
}

const char *
evutil_inet_ntop(int af, const void *src, char *dst, size_t len)
{
  if (src == NULL || dst == NULL)
    return NULL;
  return inet_ntop(af, src, dst, (socklen_t)(len > 0x7fffffff ? 0x7fffffff : len));
}

int
evutil_inet_pton(int af, const char *src, void *dst)
{
  if (src == NULL || dst == NULL)
    return 0;
  return inet_pton(af, src, dst);
}

/* "1234" as a port: 0..65535; -1 otherwise. */
static int
parse_port(const char *s)
{
  long v = 0;

  if (*s == '\0')
    return -1;
  for (; *s != '\0'; s++) {
    if (*s < '0' || *s > '9')
      return -1;
    v = v * 10 + (*s - '0');
    if (v > 65535)
      return -1;
  }
  return (int)v;
}

int
evutil_parse_sockaddr_port(const char *str, struct sockaddr *out, int *outlen)
{
  char buf[128];
  const char *addr, *cp;
  int port = 0;
  size_t n;

  if (str == NULL || out == NULL || outlen == NULL || *outlen < 0)
    return -1;
  if (*str == '[') {
    /* [ipv6] or [ipv6]:port */
    cp = strchr(str, ']');
    if (cp == NULL)
      return -1;
    n = (size_t)(cp - (str + 1));
    if (n >= sizeof buf)
      return -1;
    memcpy(buf, str + 1, n);
    buf[n] = '\0';
    if (cp[1] == ':') {
      if ((port = parse_port(cp + 2)) < 0)
        return -1;
    } else if (cp[1] != '\0') {
      return -1;
    }
    addr = buf;
  } else {
    cp = strchr(str, ':');
    if (cp != NULL && strchr(cp + 1, ':') != NULL) {
      /* Bare IPv6 address, no port. */
      addr = str;
    } else if (cp != NULL) {
      n = (size_t)(cp - str);
      if (n >= sizeof buf)
        return -1;
      memcpy(buf, str, n);
      buf[n] = '\0';
      if ((port = parse_port(cp + 1)) < 0)
        return -1;
      addr = buf;
    } else {
      addr = str;
    }
  }
  if (strchr(addr, ':') != NULL) {
    struct sockaddr_in6 sin6;

    memset(&sin6, 0, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) != 1)
      return -1;
    if ((size_t)*outlen < sizeof sin6)
      return -1;
    memset(out, 0, (size_t)*outlen);
    memcpy(out, &sin6, sizeof sin6);
    *outlen = (int)sizeof sin6;
  } else {
    struct sockaddr_in sin;

    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
      return -1;
    if ((size_t)*outlen < sizeof sin)
      return -1;
    memset(out, 0, (size_t)*outlen);
    memcpy(out, &sin, sizeof sin);
    *outlen = (int)sizeof sin;
  }
  return 0;
}

int
evutil_sockaddr_cmp(const struct sockaddr *sa1, const struct sockaddr *sa2, int include_port)
{
  int r;

  if (sa1 == NULL || sa2 == NULL)
    return sa1 == sa2 ? 0 : (sa1 == NULL ? -1 : 1);
  if (sa1->sa_family != sa2->sa_family)
    return sa1->sa_family < sa2->sa_family ? -1 : 1;
  if (sa1->sa_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)sa1;
    const struct sockaddr_in *b = (const struct sockaddr_in *)(const void *)sa2;
    uint32_t x = ntohl(a->sin_addr.s_addr), y = ntohl(b->sin_addr.s_addr);

    if (x != y)
      return x < y ? -1 : 1;
    if (include_port && a->sin_port != b->sin_port)
      return ntohs(a->sin_port) < ntohs(b->sin_port) ? -1 : 1;
    return 0;
  }
  if (sa1->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)sa1;
    const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)(const void *)sa2;

    r = memcmp(a->sin6_addr.s6_addr, b->sin6_addr.s6_addr, 16);
    if (r != 0)
      return r < 0 ? -1 : 1;
    if (include_port && a->sin6_port != b->sin6_port)
      return ntohs(a->sin6_port) < ntohs(b->sin6_port) ? -1 : 1;
    return 0;
  }
  return 1;
}

int
evutil_getaddrinfo(const char *nodename, const char *servname, const struct evutil_addrinfo *hints_in,
                   struct evutil_addrinfo **res)
{
  if (res == NULL)
    return EVUTIL_EAI_FAIL;
  *res = NULL;
  if (nodename == NULL && servname == NULL)
    return EVUTIL_EAI_NONAME;
  return getaddrinfo(nodename, servname, hints_in, res);
}

void
evutil_freeaddrinfo(struct evutil_addrinfo *ai)
{
  if (ai != NULL)
    freeaddrinfo(ai);
}

const char *
evutil_gai_strerror(int err)
{
  if (err == EVUTIL_EAI_CANCEL)
    return "Request canceled";
  if (err == 0)
    return "No error";
  return gai_strerror(err);
}

int
evutil_secure_rng_init(void)
{
  unsigned char b;

  return getrandom(&b, 1, 0) == 1 ? 0 : -1;
}

void
evutil_secure_rng_get_bytes(void *buf, size_t n)
{
  unsigned char *p = buf;

  while (n > 0) {
    ssize_t r = getrandom(p, n, 0);

    if (r < 0) {
      if (errno == EINTR)
        continue;
      /* No kernel generator: /dev/urandom, then give up loudly. */
      {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

        while (fd >= 0 && n > 0) {
          r = read(fd, p, n);
          if (r <= 0)
            break;
          p += r;
          n -= (size_t)r;
        }
        if (fd >= 0)
          close(fd);
        if (n > 0) {
          eva_warn("evutil_secure_rng_get_bytes: no random source");
          abort();
        }
        return;
      }
    }
    p += r;
    n -= (size_t)r;
  }
}
