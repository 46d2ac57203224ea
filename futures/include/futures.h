/* SPDX-License-Identifier: MIT */
/* libfutures: write asynchronous C once, run it on any event loop. */
#ifndef FUTURES_H
#define FUTURES_H

#include "futures/common.h"
#include "futures/error.h"
#include "futures/waker.h"
#include "futures/future.h"
#include "futures/async.h"
#include "futures/stream.h"
#include "futures/reactor.h"
#include "futures/executor.h"
#include "futures/notify.h"
#include "futures/timer.h"
#include "futures/io.h"
#include "futures/combinators.h"
#include "futures/channel.h"
#include "futures/tcp.h"
#include "futures/udp.h"
#include "futures/unix.h"
#include "futures/alloc.h"
#include "futures/coro.h"
#include "futures/blocking.h"
#include "futures/dns.h"
#include "futures/fs.h"
#include "futures/fd.h"
#include "futures/signal.h"
#include "futures/process.h"

#endif /* FUTURES_H */
