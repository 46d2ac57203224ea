/* SPDX-License-Identifier: MIT */
/* event2/buffer.h: filled in by the evbuffer/bufferevent/listener part of compat/eventapi. */
