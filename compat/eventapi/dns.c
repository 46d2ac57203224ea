/* SPDX-License-Identifier: MIT */
/*
 * compat/eventapi: evdns_getaddrinfo as getaddrinfo(3) on the core's
 * blocking pool (fut_spawn_blocking: its completion reaches the loop's
 * thread, where the kit event runs; futures/dns.h's fut_getaddrinfo wakes
 * from the pool thread, which a kit event must not see). Numeric answers
 * come at once, as libevent gives them; other lookups end in a callback on
 * the loop thread.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

#include <stdlib.h>

#include <futures/blocking.h>

#include "event2/dns.h"

struct evdns_base {
  struct event_base *base;
  struct fut_kit_queue reqs;   /* struct evdns_getaddrinfo_request in flight */
};

/* What the pool thread works on (one allocation, with the names). */
struct eva_gai_job {
  struct evutil_addrinfo hints;
  struct evutil_addrinfo *res;
  const char *node, *serv;
  int err;
};

struct evdns_getaddrinfo_request {
  struct fut_spawn_blocking job;
  struct fut_kit_ev ev;
  struct fut_kit_queue link;
  struct evdns_base *dns;
  evdns_getaddrinfo_cb cb;
  void *arg;
};

struct evdns_base *
evdns_base_new(struct event_base *event_base, int flags)
{
  struct evdns_base *d;

  if (event_base == NULL ||
      (flags & ~(EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE |
                 EVDNS_BASE_NAMESERVERS_NO_DEFAULT)) != 0)
    return NULL;
  d = eva_calloc(1, sizeof *d);
  if (d == NULL)
    return NULL;
  d->base = event_base;
  fut_kit_queue_init(&d->reqs);
  return d;
}

/* The request is over: out of the base, its lookup dropped, freed. */
static void
req_free(struct evdns_getaddrinfo_request *r)
{
  fut_kit_queue_remove(&r->link);
  r->dns->base->n_virtual--;
  fut_future_drop(&r->job.base);
  fut_kit_ev_cancel(&r->ev);
  eva_free(r);
}

static int
gai_job(void *arg)
{
  struct eva_gai_job *j = arg;

  j->err = getaddrinfo(j->node, j->serv, &j->hints, &j->res);
  if (j->err != 0)
    j->res = NULL;
  return 0;
}

/* A lookup nobody will hear of: free what it found. */
static void
gai_cleanup(void *arg)
{
  struct eva_gai_job *j = arg;

  if (j->res != NULL)
    freeaddrinfo(j->res);
  free(j);
}

static void
req_ev(struct fut_kit_ev *kev)
{
  struct evdns_getaddrinfo_request *r = fut_kit_queue_data(kev, struct evdns_getaddrinfo_request, ev);
  struct fut_waker w;
  struct fut_context cx;
  evdns_getaddrinfo_cb cb;
  void *arg;
  struct evutil_addrinfo *ai = NULL;
  int err;

  fut_kit_ev_context(&r->ev, &w, &cx);
  if (fut_future_poll(&r->job.base, &cx) == FUT_PENDING)
    return;
  if (r->job.result < 0) {
    err = r->job.result == -ENOMEM ? EVUTIL_EAI_MEMORY
          : r->job.result == -EAGAIN ? EVUTIL_EAI_AGAIN : EVUTIL_EAI_FAIL;
  } else {
    struct eva_gai_job *j = r->job.arg;

    err = j->err;
    ai = j->res;
    free(j);
  }
  cb = r->cb;
  arg = r->arg;
  req_free(r);
  cb(err, ai, arg);
}

void
evdns_base_free(struct evdns_base *base, int fail_requests)
{
  if (base == NULL)
    return;
  while (!fut_kit_queue_empty(&base->reqs)) {
    struct evdns_getaddrinfo_request *r =
        fut_kit_queue_data(base->reqs.next, struct evdns_getaddrinfo_request, link);
    evdns_getaddrinfo_cb cb = r->cb;
    void *arg = r->arg;

    req_free(r);
    if (fail_requests)
      cb(EVUTIL_EAI_FAIL, NULL, arg);
  }
  eva_free(base);
}

struct evdns_getaddrinfo_request *
evdns_getaddrinfo(struct evdns_base *dns_base, const char *nodename, const char *servname,
                  const struct evutil_addrinfo *hints_in, evdns_getaddrinfo_cb cb, void *arg)
{
  struct evdns_getaddrinfo_request *r;
  struct evutil_addrinfo hints, *ai = NULL;
  struct eva_gai_job *j;
  size_t ln, ls;
  char *p;
  int err;

  if (dns_base == NULL || cb == NULL)
    return NULL;
  memset(&hints, 0, sizeof hints);
  if (hints_in != NULL) {
    hints.ai_flags = hints_in->ai_flags;
    hints.ai_family = hints_in->ai_family;
    hints.ai_socktype = hints_in->ai_socktype;
    hints.ai_protocol = hints_in->ai_protocol;
  } else {
    hints.ai_family = AF_UNSPEC;
  }
  if (nodename == NULL && servname == NULL) {
    cb(EVUTIL_EAI_NONAME, NULL, arg);
    return NULL;
  }
  /* Numeric hosts, no host, and every error in the arguments: answered
   * now, as libevent does. */
  {
    struct evutil_addrinfo h = hints;

    h.ai_flags |= EVUTIL_AI_NUMERICHOST;
    err = getaddrinfo(nodename, servname, &h, &ai);
    if (err == 0 || nodename == NULL || err != EVUTIL_EAI_NONAME ||
        (hints.ai_flags & EVUTIL_AI_NUMERICHOST)) {
      cb(err, err == 0 ? ai : NULL, arg);
      return NULL;
    }
  }
  r = eva_calloc(1, sizeof *r);
  ln = strlen(nodename) + 1;
  ls = servname != NULL ? strlen(servname) + 1 : 0;
  /* The job's memory is plain malloc: a pool thread may free it. */
  j = r != NULL ? calloc(1, sizeof *j + ln + ls) : NULL;
  if (j == NULL) {
    eva_free(r);
    cb(EVUTIL_EAI_MEMORY, NULL, arg);
    return NULL;
  }
  j->hints = hints;
  p = (char *)(j + 1);
  memcpy(p, nodename, ln);
  j->node = p;
  if (servname != NULL) {
    memcpy(p + ln, servname, ls);
    j->serv = p + ln;
  }
  (void)fut_spawn_blocking_init(&r->job, gai_job, j, gai_cleanup);
  r->dns = dns_base;
  r->cb = cb;
  r->arg = arg;
  fut_kit_ev_init(&dns_base->base->kit, &r->ev, req_ev);
  fut_kit_queue_insert_tail(&dns_base->reqs, &r->link);
  dns_base->base->n_virtual++;
  /* The first poll submits the lookup; it runs in the loop, not here. */
  fut_kit_ev_feed(&r->ev);
  return r;
}

void
evdns_getaddrinfo_cancel(struct evdns_getaddrinfo_request *req)
{
  evdns_getaddrinfo_cb cb;
  void *arg;

  if (req == NULL)
    return;
  cb = req->cb;
  arg = req->arg;
  req_free(req);
  cb(EVUTIL_EAI_CANCEL, NULL, arg);
}
