/* SPDX-License-Identifier: MIT */
/*
 * event2/dns.h - libevent 2.1's asynchronous getaddrinfo (the
 * evdns_getaddrinfo family) in the libfutures libevent API shim.
 *
 * Only the getaddrinfo interface: lookups run getaddrinfo(3) on the
 * libfutures core's blocking pool (the system resolver: /etc/hosts,
 * resolv.conf, nsswitch), not libevent's own DNS client. Name servers,
 * search lists, evdns_base_resolve_* and the DNS server are not provided
 * (see docs/compat-event.md).
 *
 * Threads: the loop's thread, as the base's other functions. Callbacks run
 * on the loop's thread.
 */
#ifndef EVENT2_DNS_H_INCLUDED_
#define EVENT2_DNS_H_INCLUDED_

#include "event2/visibility.h"
#include "event2/util.h"

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct evdns_base;
struct evdns_getaddrinfo_request;

/* evdns_base_new() flags. */
#define EVDNS_BASE_INITIALIZE_NAMESERVERS 1
#define EVDNS_BASE_DISABLE_WHEN_INACTIVE 0x8000
#define EVDNS_BASE_NAMESERVERS_NO_DEFAULT 0x10000

/* The result of an evdns_getaddrinfo() lookup: 0 (with @res, to free with
 * evutil_freeaddrinfo()) or an EVUTIL_EAI_* code (@res NULL). */
typedef void (*evdns_getaddrinfo_cb)(int result, struct evutil_addrinfo *res, void *arg);

/**
 * evdns_base_new - a resolver for @event_base. The system's configuration
 * is used whatever @flags say (INITIALIZE_NAMESERVERS, NO_DEFAULT and
 * DISABLE_WHEN_INACTIVE are accepted: the resolver never keeps the loop
 * running when idle). Returns NULL (NULL base, no memory, unknown flags).
 */
EVENT2_EXPORT_SYMBOL struct evdns_base *evdns_base_new(struct event_base *event_base, int flags);
/**
 * evdns_base_free - free @base. Lookups in flight: with @fail_requests
 * their callbacks run (from this call) with EVUTIL_EAI_FAIL; without, they
 * are dropped and their callbacks never run. NULL is ignored.
 */
EVENT2_EXPORT_SYMBOL void evdns_base_free(struct evdns_base *base, int fail_requests);
/**
 * evdns_getaddrinfo - look @nodename / @servname up as getaddrinfo(3) with
 * @hints_in (NULL: any). Numeric hosts (and a NULL host) are answered
 * before this returns: @cb runs now and NULL is returned, as libevent does.
 * Otherwise returns the request (valid until @cb runs) and @cb runs later
 * on the loop's thread. NULL with @cb called with an EVUTIL_EAI_* error
 * for bad arguments; NULL without a callback for NULL @dns_base or @cb, or
 * out of memory (@cb called with EVUTIL_EAI_MEMORY in that case).
 */
EVENT2_EXPORT_SYMBOL struct evdns_getaddrinfo_request *evdns_getaddrinfo(struct evdns_base *dns_base, const char *nodename, const char *servname, const struct evutil_addrinfo *hints_in, evdns_getaddrinfo_cb cb, void *arg);
/**
 * evdns_getaddrinfo_cancel - cancel @req: its callback runs from this call
 * with EVUTIL_EAI_CANCEL (once: a request whose callback already ran or
 * is running is left alone).
 */
EVENT2_EXPORT_SYMBOL void evdns_getaddrinfo_cancel(struct evdns_getaddrinfo_request *req);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_DNS_H_INCLUDED_ */
