/* SPDX-License-Identifier: MIT */
/*
 * compat/uvapi: uv_getaddrinfo(), uv_getnameinfo() and uv_random(), on
 * the loop's pool (work.c) or, without a callback, on the caller's thread.
 */
#include "internal.h"

#include <stdlib.h>
#include <sys/random.h>

/* ---- getaddrinfo ------------------------------------------------------------ */

static int
eai_to_uv(int r)
{
  switch (r) {
  case 0: return 0;
#ifdef EAI_ADDRFAMILY
  case EAI_ADDRFAMILY: return UV_EAI_ADDRFAMILY;
#endif
  case EAI_AGAIN: return UV_EAI_AGAIN;
  case EAI_BADFLAGS: return UV_EAI_BADFLAGS;
#ifdef EAI_CANCELED
  case EAI_CANCELED: return UV_EAI_CANCELED;
#endif
  case EAI_FAIL: return UV_EAI_FAIL;
  case EAI_FAMILY: return UV_EAI_FAMILY;
  case EAI_MEMORY: return UV_EAI_MEMORY;
#ifdef EAI_NODATA
  case EAI_NODATA: return UV_EAI_NODATA;
#endif
  case EAI_NONAME: return UV_EAI_NONAME;
  case EAI_OVERFLOW: return UV_EAI_OVERFLOW;
  case EAI_SERVICE: return UV_EAI_SERVICE;
  case EAI_SOCKTYPE: return UV_EAI_SOCKTYPE;
  case EAI_SYSTEM: return errno != 0 ? UV__ERR(errno) : UV_EAI_FAIL;
  default: return UV_EAI_FAIL;
  }
}

static void
getaddrinfo_work(struct uv__work *w)
{
  uv_getaddrinfo_t *req = uv__work_container(w, uv_getaddrinfo_t);
  int r;

  errno = 0;
  r = getaddrinfo(req->hostname_, req->service_, req->hints_, &req->addrinfo);
  if (r != 0)
    req->addrinfo = NULL;
  req->retcode_ = eai_to_uv(r);
}

/* The copies of the arguments (one allocation, as libuv). */
static void
getaddrinfo_release(uv_getaddrinfo_t *req)
{
  uv__free(req->hints_);
  req->hints_ = NULL;
  req->hostname_ = NULL;
  req->service_ = NULL;
}

static void
getaddrinfo_done(struct uv__work *w, int status)
{
  uv_getaddrinfo_t *req = uv__work_container(w, uv_getaddrinfo_t);

  getaddrinfo_release(req);
  if (status == UV_ECANCELED)
    req->retcode_ = UV_EAI_CANCELED;
  else if (status != 0)
    req->retcode_ = status;
  req->cb_(req, req->retcode_, req->addrinfo);
}

int
uv_getaddrinfo(uv_loop_t *loop, uv_getaddrinfo_t *req,
               uv_getaddrinfo_cb getaddrinfo_cb, const char *node,
               const char *service, const struct addrinfo *hints)
{
  size_t hl, nl, sl;
  char *m;

  if (req == NULL || (node == NULL && service == NULL))
    return UV_EINVAL;
  if (getaddrinfo_cb != NULL && loop == NULL)
    return UV_EINVAL;
  hl = hints != NULL ? sizeof *hints : 0;
  nl = node != NULL ? strlen(node) + 1 : 0;
  sl = service != NULL ? strlen(service) + 1 : 0;
  m = uv__malloc(sizeof(struct addrinfo) + nl + sl);
  if (m == NULL)
    return UV_ENOMEM;
  req->type = UV_GETADDRINFO;
  req->loop = loop;
  req->cb_ = getaddrinfo_cb;
  req->addrinfo = NULL;
  req->retcode_ = 0;
  req->hints_ = (struct addrinfo *)(void *)m;
  req->hostname_ = NULL;
  req->service_ = NULL;
  if (hl != 0) {
    memcpy(req->hints_, hints, sizeof *hints);
  } else {
    /* getaddrinfo(3)'s meaning of NULL hints. */
    memset(req->hints_, 0, sizeof *req->hints_);
    req->hints_->ai_family = AF_UNSPEC;
    req->hints_->ai_flags = AI_V4MAPPED | AI_ADDRCONFIG;
  }
  /* Only the fields getaddrinfo(3) reads from hints. */
  req->hints_->ai_addrlen = 0;
  req->hints_->ai_addr = NULL;
  req->hints_->ai_canonname = NULL;
  req->hints_->ai_next = NULL;
  if (nl != 0) {
    req->hostname_ = m + sizeof(struct addrinfo);
    memcpy(req->hostname_, node, nl);
  }
  if (sl != 0) {
    req->service_ = m + sizeof(struct addrinfo) + nl;
    memcpy(req->service_, service, sl);
  }
  if (getaddrinfo_cb != NULL) {
    uv__work_submit(loop, (uv_req_t *)req, UV_GETADDRINFO, getaddrinfo_work,
                    getaddrinfo_done);
    return 0;
  }
  getaddrinfo_work(&req->work_);
  getaddrinfo_release(req);
  return req->retcode_;
}

void
uv_freeaddrinfo(struct addrinfo *ai)
{
  if (ai != NULL)
    freeaddrinfo(ai);
}

/* ---- getnameinfo ---------------------------------------------------------- */

static void
getnameinfo_work(struct uv__work *w)
{
  uv_getnameinfo_t *req = uv__work_container(w, uv_getnameinfo_t);
  socklen_t len = req->storage_.ss_family == AF_INET
                      ? sizeof(struct sockaddr_in)
                      : sizeof(struct sockaddr_in6);
  int r;

  errno = 0;
  r = getnameinfo((const struct sockaddr *)&req->storage_, len, req->host,
                  sizeof req->host, req->service, sizeof req->service,
                  req->flags_);
  req->retcode_ = eai_to_uv(r);
}

static void
getnameinfo_done(struct uv__work *w, int status)
{
  uv_getnameinfo_t *req = uv__work_container(w, uv_getnameinfo_t);
  const char *host = NULL, *service = NULL;

  if (status == UV_ECANCELED)
    req->retcode_ = UV_EAI_CANCELED;
  else if (status != 0)
    req->retcode_ = status;
  if (req->retcode_ == 0) {
    host = req->host;
    service = req->service;
  }
  req->cb_(req, req->retcode_, host, service);
}

int
uv_getnameinfo(uv_loop_t *loop, uv_getnameinfo_t *req,
               uv_getnameinfo_cb getnameinfo_cb, const struct sockaddr *addr,
               int flags)
{
  if (req == NULL || addr == NULL)
    return UV_EINVAL;
  if (getnameinfo_cb != NULL && loop == NULL)
    return UV_EINVAL;
  if (addr->sa_family == AF_INET)
    memcpy(&req->storage_, addr, sizeof(struct sockaddr_in));
  else if (addr->sa_family == AF_INET6)
    memcpy(&req->storage_, addr, sizeof(struct sockaddr_in6));
  else
    return UV_EINVAL;
  req->type = UV_GETNAMEINFO;
  req->loop = loop;
  req->cb_ = getnameinfo_cb;
  req->flags_ = flags;
  req->retcode_ = 0;
  req->host[0] = '\0';
  req->service[0] = '\0';
  if (getnameinfo_cb != NULL) {
    uv__work_submit(loop, (uv_req_t *)req, UV_GETNAMEINFO, getnameinfo_work,
                    getnameinfo_done);
    return 0;
  }
  getnameinfo_work(&req->work_);
  return req->retcode_;
}

/* ---- random ------------------------------------------------------------------ */

static int
random_fill(void *buf, size_t len)
{
  char *p = buf;

  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);

    if (n < 0) {
      if (errno == EINTR)
        continue;
      return UV__ERR(errno);
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static void
random_work(struct uv__work *w)
{
  uv_random_t *req = uv__work_container(w, uv_random_t);

  req->status_ = random_fill(req->buf_, req->buflen_);
}

static void
random_done(struct uv__work *w, int status)
{
  uv_random_t *req = uv__work_container(w, uv_random_t);

  req->cb_(req, status != 0 ? status : req->status_, req->buf_, req->buflen_);
}

int
uv_random(uv_loop_t *loop, uv_random_t *req, void *buf, size_t buflen,
          unsigned flags, uv_random_cb cb)
{
  if (buflen > 0x7FFFFFFFu)
    return UV_E2BIG;
  if (flags != 0)
    return UV_EINVAL;
  if (cb == NULL)
    return random_fill(buf, buflen);
  if (loop == NULL || req == NULL)
    return UV_EINVAL;
  req->type = UV_RANDOM;
  req->loop = loop;
  req->status_ = 0;
  req->buf_ = buf;
  req->buflen_ = buflen;
  req->cb_ = cb;
  uv__work_submit(loop, (uv_req_t *)req, UV_RANDOM, random_work, random_done);
  return 0;
}
