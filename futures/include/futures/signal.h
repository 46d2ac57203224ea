/* SPDX-License-Identifier: MIT */
/* Signals as a Stream of signal numbers, and a ctrl_c future. */
#ifndef FUTURES_SIGNAL_H
#define FUTURES_SIGNAL_H

#include <signal.h>
/* sigset_t: <signal.h> declares it only in POSIX modes, <sys/select.h>
 * always (POSIX requires it there), so a strict C11 build sees it too. */
#include <sys/select.h>

#include "future.h"
#include "reactor.h"
#include "stream.h"

FUT__BEGIN_DECLS

/*
 * How delivery works. The first listener of a signal installs one
 * process-wide handler for it (sigaction(2)); the disposition it replaced
 * is saved and put back when the last listener of that signal closes.
 * Every listener (struct fut_signal) owns a nonblocking self-pipe and a
 * slot in a process-wide table; the handler marks the signal pending in
 * the slot of each listener that asked for it and writes one byte to its
 * pipe (async-signal-safe operations only). So any number of runtimes,
 * and any number of listeners in one runtime, see every signal they asked
 * for; the listener reads its pipe through the reactor, on any backend.
 *
 * Coalescing: standard signals are not queued by the kernel, and a
 * listener keeps one pending bit per signal, so several deliveries of a
 * signal between two reads of a listener are seen as one. Every listener
 * still sees at least one delivery after each signal sent once it was
 * opened.
 *
 * While a signal has listeners, the handler that was installed before is
 * not called. The signal must not be blocked in every thread of the
 * process (the blocking pool's threads block all signals; the handler
 * runs on any thread that does not). signalfd(2) is not used: a signal it
 * reads is consumed by that one reader, where every listener must see it,
 * and it needs the signal blocked in every thread of the program.
 *
 * SIGKILL and SIGSTOP cannot be caught, and SIGSEGV, SIGBUS, SIGFPE and
 * SIGILL, when raised by a fault, cannot be returned from: none of them
 * can be listened to (-EINVAL). Signals run from 1 to 64.
 *
 * A child spawned through process.h starts with every signal at its
 * default disposition and none blocked.
 */

/** The most listeners the process may have open at once. */
#define FUT_SIGNAL_MAX_LISTENERS 256

/**
 * struct fut_signal - a Stream (@stream) of the signals of a set, as int
 * signal numbers (the item of poll_next is an int). Never ends: poll_next
 * is READY with *res = 1 and a signal number, or with a negative errno
 * (-EBADF once closed, registration errors). Fields other than @stream
 * are private. Pinned from the first poll on; bound to the runtime of its
 * first poll (see struct fut_io). Cancel-safe per poll.
 */
struct fut_signal {
    struct fut_stream stream;
    struct fut_io io;     /* the self-pipe's read end */
    int slot;             /* in the process-wide table; -1 when closed */
    uint64_t set;         /* bit (n - 1): signal n was asked for */
    uint64_t taken;       /* pending signals read from the slot, not yet
                           * returned by poll_next */
};

/**
 * fut_signal_init - listen to the signals of @set with @s.
 *
 * @s is written whatever it held, so it must not be an open listener.
 * From the moment it returns, every signal of @set sent to the process
 * reaches @s (coalesced as above), until fut_signal_close(). The first
 * listener of a signal installs the handler (SA_RESTART).
 * Returns 0, or -EINVAL (NULL, an empty @set, or a signal that cannot be
 * listened to), -ENOSPC (FUT_SIGNAL_MAX_LISTENERS are open), -EMFILE /
 * -ENFILE (no descriptor for the pipe), or the -errno of sigaction(2). On
 * failure nothing is installed and @s is closed (closing it is -EBADF).
 * Any thread.
 */
FUT_API int fut_signal_init(struct fut_signal *s, const sigset_t *set);

/** fut_signal_init_one - fut_signal_init() for the single signal @signo. */
FUT_API int fut_signal_init_one(struct fut_signal *s, int signo);

/**
 * fut_signal_poll_recv - the next signal number into *@signo.
 * READY with *@res = 0 and *@signo set (the lowest pending number first),
 * or *@res < 0: -EINVAL (NULL arguments, no runtime in @cx), -EBADF
 * (closed), -EXDEV (bound to another runtime). PENDING: none pending; a
 * clone of cx->waker is stored in @s. Cancel-safe. Runtime thread only.
 */
FUT_API enum fut_poll fut_signal_poll_recv(struct fut_signal *s,
                                           struct fut_context *cx,
                                           int *signo, int *res);

/**
 * fut_signal_close - stop listening: the slot and the pipe are released,
 * signals not yet received are discarded, and a signal none listens to
 * any longer gets back the disposition it had before its first listener.
 * Futures that borrow @s must be dropped first. Safe while signals are
 * arriving (on this or another thread): it waits for a handler that may
 * be writing to the pipe before closing it. Returns 0, -EINVAL (NULL) or
 * -EBADF (closed). The thread that polls @s (or any, before a poll).
 */
FUT_API int fut_signal_close(struct fut_signal *s);

/**
 * struct fut_signal_recv - the next signal as a future.
 * @signo: after READY with @res 0, the signal number. @res: 0 or -errno.
 * Result: @res. Cancel-safe: dropped while pending, it withdraws its
 * waker and no signal is lost (it stays pending in the listener). @reg is
 * private.
 */
struct fut_signal_recv {
    struct fut_future base;
    struct fut_signal *sig;
    int signo;
    int res;
    struct fut_reg reg; /* private */
};

/** fut_signal_recv_init - returns 0, or -EINVAL for NULL arguments. */
FUT_API int fut_signal_recv_init(struct fut_signal_recv *f,
                                 struct fut_signal *s);

/**
 * struct fut_ctrl_c - a future that is READY once SIGINT arrives.
 * @res: 0, or the -errno that stopped it. It owns a listener for SIGINT,
 * opened by fut_ctrl_c_init() (so a ^C between init and the first poll is
 * not lost) and closed by drop, which restores SIGINT's disposition if it
 * was the last listener. Fields are private but @res.
 */
struct fut_ctrl_c {
    struct fut_future base;
    int res;
    struct fut_signal_recv recv; /* private */
    struct fut_signal sig;       /* private */
};

/**
 * fut_ctrl_c_init - start listening to SIGINT. Returns 0 or the errors of
 * fut_signal_init(); on failure the future is in a dropped state
 * (dropping it does nothing) and nothing is installed.
 */
FUT_API int fut_ctrl_c_init(struct fut_ctrl_c *f);

FUT__END_DECLS

#endif /* FUTURES_SIGNAL_H */
