/* SPDX-License-Identifier: MIT */
/* compat/eventapi/bufferevent.c: filled in by the evbuffer/bufferevent/listener part. */
typedef int fut_eventapi_bufferevent_placeholder_;
