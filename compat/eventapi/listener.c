/* SPDX-License-Identifier: MIT */
/* compat/eventapi/listener.c: filled in by the evbuffer/bufferevent/listener part. */
typedef int fut_eventapi_listener_placeholder_;
