/* SPDX-License-Identifier: MIT */
/* compat/uvapi: error names and messages (uv_strerror, uv_err_name...). */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* Copy @src into @buf, truncated to fit, NUL-terminated when @len > 0. */
static void
copy_trunc(char *buf, size_t len, const char *src)
{
  size_t n;

  if (len == 0)
    return;
  n = strlen(src);
  if (n >= len)
    n = len - 1;
  memcpy(buf, src, n);
  buf[n] = '\0';
}

/*
 * The text for an unknown code, kept for the life of the process (libuv
 * hands out a fresh copy each time and leaks it; this keeps one per code
 * on a list, so repeated calls do not grow the heap). Plain malloc: the
 * strings are never freed, so uv_replace_allocator() has nothing to see.
 */
struct unknown_err {
  struct unknown_err *next;
  int err;
  char text[40];
};

static struct unknown_err *unknown_list;
static pthread_mutex_t unknown_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *
unknown_err_text(int err)
{
  struct unknown_err *u;

  pthread_mutex_lock(&unknown_lock);
  for (u = unknown_list; u != NULL; u = u->next)
    if (u->err == err)
      break;
  if (u == NULL) {
    u = malloc(sizeof *u);
    if (u != NULL) {
      u->err = err;
      snprintf(u->text, sizeof u->text, "Unknown system error %d", err);
      u->next = unknown_list;
      unknown_list = u;
    }
  }
  pthread_mutex_unlock(&unknown_lock);
  return u != NULL ? u->text : "Unknown system error";
}

const char *
uv_err_name(int err)
{
  switch (err) {
#define XX(code, _) case UV_##code: return #code;
    UV_ERRNO_MAP(XX)
#undef XX
  default:
    return unknown_err_text(err);
  }
}

char *
uv_err_name_r(int err, char *buf, size_t buflen)
{
  switch (err) {
#define XX(code, _) case UV_##code: copy_trunc(buf, buflen, #code); break;
    UV_ERRNO_MAP(XX)
#undef XX
  default:
    if (buflen > 0)
      snprintf(buf, buflen, "Unknown system error %d", err);
  }
  return buf;
}

const char *
uv_strerror(int err)
{
  switch (err) {
#define XX(code, msg) case UV_##code: return msg;
    UV_ERRNO_MAP(XX)
#undef XX
  default:
    return unknown_err_text(err);
  }
}

char *
uv_strerror_r(int err, char *buf, size_t buflen)
{
  switch (err) {
#define XX(code, msg) case UV_##code: copy_trunc(buf, buflen, msg); break;
    UV_ERRNO_MAP(XX)
#undef XX
  default:
    if (buflen > 0)
      snprintf(buf, buflen, "Unknown system error %d", err);
  }
  return buf;
}

int
uv_translate_sys_error(int sys_errno)
{
  return sys_errno <= 0 ? sys_errno : -sys_errno;
}
