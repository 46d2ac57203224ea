/* SPDX-License-Identifier: MIT */
/* compat/eventapi/buffer.c: filled in by the evbuffer/bufferevent/listener part. */
typedef int fut_eventapi_buffer_placeholder_;
