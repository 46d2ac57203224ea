/* SPDX-License-Identifier: MIT */
/*
 * event2/visibility.h - how the libfutures libevent API shim (compat/eventapi)
 * marks the functions it exports. Every other event2 header includes it.
 */
#ifndef EVENT2_VISIBILITY_H_INCLUDED_
#define EVENT2_VISIBILITY_H_INCLUDED_

/* The renamed copy of the library (tests that share a process with the
 * real libevent or libev): every public name maps to futev_NAME. */
#if defined(FUT_EVENTAPI_RENAME)
#include "event2/fut-rename.h"
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define EVENT2_EXPORT_SYMBOL __attribute__((visibility("default")))
#else
#define EVENT2_EXPORT_SYMBOL
#endif
#define EVENT2_CORE_EXPORT_SYMBOL EVENT2_EXPORT_SYMBOL

#endif /* EVENT2_VISIBILITY_H_INCLUDED_ */
