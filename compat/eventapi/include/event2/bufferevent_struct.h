/* SPDX-License-Identifier: MIT */
/* event2/bufferevent_struct.h: filled in by the evbuffer/bufferevent/listener part of compat/eventapi. */
