/* SPDX-License-Identifier: MIT */
/*
 * event2/util.h - libevent 2.1's portability layer (evutil) in the
 * libfutures libevent API shim: the integer and socket types, time
 * arithmetic, socket set-up helpers, address parsing and getaddrinfo.
 *
 * Linux only: the types are the platform's and the EVUTIL_EAI_* and
 * EVUTIL_AI_* values are glibc's. Functions here may be called from any
 * thread unless their comment says otherwise.
 */
#ifndef EVENT2_UTIL_H_INCLUDED_
#define EVENT2_UTIL_H_INCLUDED_

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <netdb.h>

#include "event2/visibility.h"
#include "event2/event-config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- integer types ------------------------------------------------------ */

typedef uint64_t ev_uint64_t;
typedef int64_t ev_int64_t;
typedef uint32_t ev_uint32_t;
typedef int32_t ev_int32_t;
typedef uint16_t ev_uint16_t;
typedef int16_t ev_int16_t;
typedef uint8_t ev_uint8_t;
typedef int8_t ev_int8_t;
typedef uintptr_t ev_uintptr_t;
typedef intptr_t ev_intptr_t;
typedef ssize_t ev_ssize_t;
typedef off_t ev_off_t;
typedef socklen_t ev_socklen_t;

#define EV_UINT64_MAX UINT64_MAX
#define EV_INT64_MAX INT64_MAX
#define EV_INT64_MIN INT64_MIN
#define EV_UINT32_MAX UINT32_MAX
#define EV_INT32_MAX INT32_MAX
#define EV_INT32_MIN INT32_MIN
#define EV_UINT16_MAX UINT16_MAX
#define EV_INT16_MAX INT16_MAX
#define EV_INT16_MIN INT16_MIN
#define EV_UINT8_MAX UINT8_MAX
#define EV_INT8_MAX INT8_MAX
#define EV_INT8_MIN INT8_MIN
#define EV_SIZE_MAX SIZE_MAX
#define EV_SSIZE_MAX ((ev_ssize_t)(SIZE_MAX >> 1))
#define EV_SSIZE_MIN ((-EV_SSIZE_MAX) - 1)

/* printf formats for ev_uint64_t and ev_ssize_t / size_t. */
#define EV_U64_FMT "%llu"
#define EV_I64_FMT "%lld"
#define EV_I64_ARG(x) ((long long)(x))
#define EV_U64_ARG(x) ((unsigned long long)(x))
#define EV_SIZE_FMT "%lu"
#define EV_SSIZE_FMT "%ld"
#define EV_SIZE_ARG(x) ((unsigned long)(x))
#define EV_SSIZE_ARG(x) ((long)(x))

/* ---- sockets ------------------------------------------------------------- */

/* A socket: a file descriptor on Linux. */
typedef int evutil_socket_t;
#define EVUTIL_INVALID_SOCKET -1

/* The last socket error of this thread (errno), and setting it. */
#define EVUTIL_SOCKET_ERROR() (errno)
#define EVUTIL_SET_SOCKET_ERROR(errcode) do { errno = (errcode); } while (0)
/* The pending error of a socket's last call: errno on Unix. */
#define evutil_socket_geterror(sock) (errno)
/* A message for a socket error code: strerror(). */
#define evutil_socket_error_to_string(errcode) (strerror(errcode))

/**
 * evutil_socketpair - socketpair(2): two connected sockets in @sv.
 * Returns 0, or -1 with errno set (EINVAL for a NULL @sv).
 */
EVENT2_EXPORT_SYMBOL int evutil_socketpair(int d, int type, int protocol, evutil_socket_t sv[2]);

/**
 * evutil_make_socket_nonblocking - set O_NONBLOCK on @sock.
 * Returns 0, or -1 (bad descriptor) with errno set.
 */
EVENT2_EXPORT_SYMBOL int evutil_make_socket_nonblocking(evutil_socket_t sock);

/**
 * evutil_make_socket_closeonexec - set FD_CLOEXEC on @sock.
 * Returns 0, or -1 with errno set.
 */
EVENT2_EXPORT_SYMBOL int evutil_make_socket_closeonexec(evutil_socket_t sock);

/**
 * evutil_make_listen_socket_reuseable - SO_REUSEADDR on @sock, so a
 * listener can rebind its address at once after a restart.
 * Returns 0, or -1 with errno set.
 */
EVENT2_EXPORT_SYMBOL int evutil_make_listen_socket_reuseable(evutil_socket_t sock);

/**
 * evutil_make_listen_socket_reuseable_port - SO_REUSEPORT on @sock
 * (several sockets may listen on one port). Returns 0, or -1 with errno.
 */
EVENT2_EXPORT_SYMBOL int evutil_make_listen_socket_reuseable_port(evutil_socket_t sock);

/**
 * evutil_make_listen_socket_ipv6only - IPV6_V6ONLY on @sock.
 * Returns 0, or -1 with errno set.
 */
EVENT2_EXPORT_SYMBOL int evutil_make_listen_socket_ipv6only(evutil_socket_t sock);

/**
 * evutil_make_tcp_listen_socket_deferred - TCP_DEFER_ACCEPT on a TCP
 * listener: accept only once the client has sent data.
 * Returns 0, or -1 with errno set.
 */
EVENT2_EXPORT_SYMBOL int evutil_make_tcp_listen_socket_deferred(evutil_socket_t sock);

/**
 * evutil_closesocket - close(2) @sock. Returns 0, or -1 with errno set.
 */
EVENT2_EXPORT_SYMBOL int evutil_closesocket(evutil_socket_t sock);
#define EVUTIL_CLOSESOCKET(s) evutil_closesocket(s)

/* ---- time ---------------------------------------------------------------- */

/* gettimeofday(2). */
#define evutil_gettimeofday(tv, tz) gettimeofday((tv), (tz))

/* Arithmetic on struct timeval: @vvp = @tvp + @uvp, and - (usec kept in
 * [0, 1000000)). */
#define evutil_timeradd(tvp, uvp, vvp)                                  \
  do {                                                                  \
    (vvp)->tv_sec = (tvp)->tv_sec + (uvp)->tv_sec;                      \
    (vvp)->tv_usec = (tvp)->tv_usec + (uvp)->tv_usec;                   \
    if ((vvp)->tv_usec >= 1000000) {                                    \
      (vvp)->tv_sec++;                                                  \
      (vvp)->tv_usec -= 1000000;                                        \
    }                                                                   \
  } while (0)
#define evutil_timersub(tvp, uvp, vvp)                                  \
  do {                                                                  \
    (vvp)->tv_sec = (tvp)->tv_sec - (uvp)->tv_sec;                      \
    (vvp)->tv_usec = (tvp)->tv_usec - (uvp)->tv_usec;                   \
    if ((vvp)->tv_usec < 0) {                                           \
      (vvp)->tv_sec--;                                                  \
      (vvp)->tv_usec += 1000000;                                        \
    }                                                                   \
  } while (0)
#define evutil_timerclear(tvp) do { (tvp)->tv_sec = (tvp)->tv_usec = 0; } while (0)
/* Compare with the operator @cmp (<, <=, ==, >, >=, !=). */
#define evutil_timercmp(tvp, uvp, cmp)                                  \
  (((tvp)->tv_sec == (uvp)->tv_sec) ?                                   \
   ((tvp)->tv_usec cmp (uvp)->tv_usec) :                                \
   ((tvp)->tv_sec cmp (uvp)->tv_sec))
#define evutil_timerisset(tvp) ((tvp)->tv_sec || (tvp)->tv_usec)

/* offsetof, and the number of elements of an array. */
#define evutil_offsetof(type, field) offsetof(type, field)

/* ---- strings ------------------------------------------------------------- */

/**
 * evutil_strtoll - strtoll(3) as ev_int64_t.
 */
EVENT2_EXPORT_SYMBOL ev_int64_t evutil_strtoll(const char *s, char **endptr, int base);

/**
 * evutil_snprintf - snprintf(3) that always NUL-terminates @buf (when
 * @buflen > 0). Returns the length the whole output would have (as C99's
 * snprintf), or -1 on an output error.
 */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
EVENT2_EXPORT_SYMBOL int evutil_snprintf(char *buf, size_t buflen, const char *format, ...);
/** evutil_vsnprintf - evutil_snprintf() with a va_list. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 0)))
#endif
EVENT2_EXPORT_SYMBOL int evutil_vsnprintf(char *buf, size_t buflen, const char *format, va_list ap);

/**
 * evutil_ascii_strcasecmp - strcasecmp() that folds only ASCII letters
 * (no locale). Returns <0, 0 or >0.
 */
EVENT2_EXPORT_SYMBOL int evutil_ascii_strcasecmp(const char *str1, const char *str2);
/** evutil_ascii_strncasecmp - the first @n bytes at most. */
EVENT2_EXPORT_SYMBOL int evutil_ascii_strncasecmp(const char *str1, const char *str2, size_t n);

/* ---- addresses ------------------------------------------------------------- */

/**
 * evutil_inet_ntop - inet_ntop(3): @src (AF_INET / AF_INET6) as text in
 * @dst of @len bytes. Returns @dst, or NULL (bad family, no room).
 */
EVENT2_EXPORT_SYMBOL const char *evutil_inet_ntop(int af, const void *src, char *dst, size_t len);
/**
 * evutil_inet_pton - inet_pton(3). Returns 1, 0 for text that is no
 * address, or -1 for a bad family (errno EAFNOSUPPORT).
 */
EVENT2_EXPORT_SYMBOL int evutil_inet_pton(int af, const char *src, void *dst);

/**
 * evutil_parse_sockaddr_port - parse "ip", "ip:port", "[ipv6]",
 * "[ipv6]:port" or a bare IPv6 address into @out, whose size is *@outlen;
 * *@outlen becomes the address's length. Port 0 when none is given.
 * Returns 0, or -1: unparsable text, a bad port, or @out too small.
 */
EVENT2_EXPORT_SYMBOL int evutil_parse_sockaddr_port(const char *str, struct sockaddr *out, int *outlen);

/**
 * evutil_sockaddr_cmp - order two addresses: by family, then address,
 * then (when @include_port) port, for AF_INET and AF_INET6. Two addresses
 * of another (equal) family compare as 1 (unordered), as in libevent.
 * Returns <0, 0 or >0.
 */
EVENT2_EXPORT_SYMBOL int evutil_sockaddr_cmp(const struct sockaddr *sa1, const struct sockaddr *sa2, int include_port);

/* getaddrinfo: the platform's struct addrinfo (complete with POSIX
 * feature macros, as libevent needs too) and codes. */
struct addrinfo;
#define evutil_addrinfo addrinfo

#define EVUTIL_EAI_ADDRFAMILY -9
#define EVUTIL_EAI_AGAIN -3
#define EVUTIL_EAI_BADFLAGS -1
#define EVUTIL_EAI_FAIL -4
#define EVUTIL_EAI_FAMILY -6
#define EVUTIL_EAI_MEMORY -10
#define EVUTIL_EAI_NODATA -5
#define EVUTIL_EAI_NONAME -2
#define EVUTIL_EAI_SERVICE -8
#define EVUTIL_EAI_SOCKTYPE -7
#define EVUTIL_EAI_SYSTEM -11
/* A lookup cancelled by evdns_getaddrinfo_cancel() (libevent's value). */
#define EVUTIL_EAI_CANCEL -90001

#define EVUTIL_AI_PASSIVE 0x0001
#define EVUTIL_AI_CANONNAME 0x0002
#define EVUTIL_AI_NUMERICHOST 0x0004
#define EVUTIL_AI_V4MAPPED 0x0008
#define EVUTIL_AI_ALL 0x0010
#define EVUTIL_AI_ADDRCONFIG 0x0020
#define EVUTIL_AI_NUMERICSERV 0x0400

/**
 * evutil_getaddrinfo - getaddrinfo(3), blocking. @hints_in may be NULL.
 * Returns 0 with *@res to free with evutil_freeaddrinfo(), or an
 * EVUTIL_EAI_* code (EVUTIL_EAI_NONAME when both names are NULL).
 */
EVENT2_EXPORT_SYMBOL int evutil_getaddrinfo(const char *nodename, const char *servname, const struct evutil_addrinfo *hints_in, struct evutil_addrinfo **res);
/** evutil_freeaddrinfo - free a list from evutil_getaddrinfo() or an
 * evdns_getaddrinfo() callback. NULL is ignored. */
EVENT2_EXPORT_SYMBOL void evutil_freeaddrinfo(struct evutil_addrinfo *ai);
/** evutil_gai_strerror - the message of an EVUTIL_EAI_* code (also
 * EVUTIL_EAI_CANCEL). Never NULL. */
EVENT2_EXPORT_SYMBOL const char *evutil_gai_strerror(int err);

/* ---- random bytes -------------------------------------------------------------- */

/**
 * evutil_secure_rng_init - make sure the random source works. The kernel's
 * getrandom(2) needs no seeding. Returns 0, or -1 when it fails.
 */
EVENT2_EXPORT_SYMBOL int evutil_secure_rng_init(void);
/**
 * evutil_secure_rng_get_bytes - fill @buf with @n random bytes from
 * getrandom(2) (blocking only until the kernel's pool is initialised).
 */
EVENT2_EXPORT_SYMBOL void evutil_secure_rng_get_bytes(void *buf, size_t n);
#ifdef __cplusplus
}
#endif

#endif /* EVENT2_UTIL_H_INCLUDED_ */
