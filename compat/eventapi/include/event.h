/* SPDX-License-Identifier: MIT */
/*
 * event.h - the libevent compatibility header of the libfutures libevent
 * API shim: everything of event2/ a libevent 1.4-style program expects
 * from one include.
 */
#ifndef EVENT1_EVENT_H_INCLUDED_
#define EVENT1_EVENT_H_INCLUDED_

#include "event2/event-config.h"
#include "event2/util.h"
#include "event2/event_struct.h"
#include "event2/event.h"
#include "event2/event_compat.h"
#include "event2/buffer.h"
#include "event2/buffer_compat.h"
#include "event2/bufferevent.h"
#include "event2/bufferevent_struct.h"
#include "event2/bufferevent_compat.h"

#endif /* EVENT1_EVENT_H_INCLUDED_ */
