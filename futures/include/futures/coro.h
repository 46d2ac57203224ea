/* SPDX-License-Identifier: MIT */
/* Stackful coroutines: run a C function on its own stack as a future that awaits other futures. */
#ifndef FUTURES_CORO_H
#define FUTURES_CORO_H

#include "future.h"
#include "combinators.h"
#include "io.h"
#include "tcp.h"
#include "timer.h"

FUT__BEGIN_DECLS

/*
 * A coroutine is an ordinary future (struct fut_coro) that runs a C
 * function on a stack of its own. Inside the function, fut_await() polls
 * any other future with the coroutine's own context until it is READY,
 * and in between hands PENDING back to whoever polls the coroutine: C
 * locals survive awaits, loops and recursion work as usual. Because it is
 * a future, a coroutine can be spawned (FUT_SPAWN(), fut_scope_spawn(),
 * fut_join_set_spawn(), or fut_coro_spawn()), wrapped in fut_timeout or
 * fut_select, or driven by fut_block_on(), on any runtime and backend.
 *
 *     static int
 *     worker(void *arg)
 *     {
 *         struct fut_sleep s;
 *         int i, err = 0;
 *
 *         for (i = 0; i < 3 && err == 0; i++) {
 *             fut_sleep_init(&s, FUT_NSEC_PER_MSEC);
 *             err = fut_await(&s.base);     // PENDING to the runtime here
 *         }
 *         return err;                       // the future's result
 *     }
 *     ...
 *     fut_coro_spawn(&rt, worker, NULL, NULL, &task);
 *
 * Cancellation is drop, as for every future: dropping a coroutine that
 * is suspended (its task aborted or dropped by fut_runtime_close(), a
 * scope closing, a fut_timeout that expired) resumes it once more, in
 * cancelled mode: the pending fut_await() drops the future it was polling
 * (so nothing stays registered) and returns -ECANCELED, and so does every
 * later fut_await(), fut_coro_yield() and fut_coro_suspend(), at once,
 * until the function returns. The function's own cleanup therefore always
 * runs, and the drop returns only after it ran. See docs/coroutines.md.
 *
 * Threads: a coroutine runs on the thread that polls it. It must be
 * polled and dropped by one thread for its whole life (the thread of the
 * runtime it was spawned on): a runtime that is run from another thread
 * later must not have suspended coroutines. (The compiler may keep the
 * address of a thread-local variable, errno included, in a register
 * across the call to fut_await(), so resuming on another thread would be
 * unsafe for the function even if it were for the library.)
 *
 * Stacks are mmap'd with a PROT_NONE guard page below them and pooled per
 * thread; an overflow into the guard page ends the process with
 * "libfutures: coroutine stack overflow" on stderr and SIGABRT rather
 * than corrupting memory (see fut_coro_opts).
 */

/**
 * fut_coro_fn - the body of a coroutine.
 * @arg: the pointer given to fut_coro_init() or fut_coro_spawn().
 *
 * Returns 0 or a negative errno value: the coroutine future's result
 * (fut_future_result(), and so fut_task_result() of its task). It runs
 * exactly once for every initialised coroutine (see fut_coro_init()), so
 * it is the place to release what @arg owns.
 */
typedef int (*fut_coro_fn)(void *arg);

struct fut_runtime;
struct fut_task;

/**
 * Stack size a coroutine gets when none is asked for: 64 KiB (four times
 * that in a build with AddressSanitizer, whose redzones make frames
 * larger).
 */
#define FUT_CORO_STACK_DEFAULT ((size_t)64 * 1024)
/** Smallest stack size fut_coro_init() accepts: 16 KiB. */
#define FUT_CORO_STACK_MIN ((size_t)16 * 1024)
/** Largest stack size fut_coro_init() accepts: 1 GiB. */
#define FUT_CORO_STACK_MAX ((size_t)1 << 30)

/**
 * struct fut_coro_opts - options; zero-initialise, set what you need.
 * @version: 1 (0 is taken as 1).
 * @flags: reserved, 0.
 * @stack_size: bytes of address space for the stack, 0 for
 *     FUT_CORO_STACK_DEFAULT; otherwise between FUT_CORO_STACK_MIN and
 *     FUT_CORO_STACK_MAX, rounded up to whole pages. Only the pages the
 *     coroutine touches take memory. A PROT_NONE guard page is mapped
 *     below it (not counted), and the top few hundred bytes hold the
 *     coroutine's bookkeeping. Stacks of the default size are reused
 *     from a per-thread pool; others are mapped and unmapped each time.
 *     A function whose frame is larger than a page may step over the
 *     guard page: compile such code with -fstack-clash-protection.
 */
struct fut_coro_opts {
    unsigned int version;
    unsigned int flags;
    size_t stack_size;
};

/**
 * struct fut_coro - a future that runs fn(arg) on a stack of its own.
 * @fn, @arg: what fut_coro_init() was given.
 * @result: after READY, what @fn returned (0 or -errno), also given by
 *     fut_future_result().
 * @priv: private, not part of the API.
 *
 * READY: @fn has returned; its stack is already back in the pool.
 * PENDING: @fn is suspended in fut_await() (or fut_coro_yield(),
 * fut_coro_suspend()) on a future that has arranged for the waker of the
 * context the coroutine was polled with to be woken.
 *
 * The stack is acquired at the first poll. Should that fail (mmap
 * refused), @fn still runs, at once and on the poller's stack, in
 * cancelled mode with every await failing -ENOMEM, and the result is
 * -ENOMEM: @fn's cleanup runs whatever happens.
 *
 * Movable until its first poll (fut_coro_init() only records its
 * arguments; the stack is taken at the first poll), pinned afterwards.
 * Drop it with fut_future_drop(), in any state: see the cancellation
 * contract above. Not cancel-safe in general: what the function was doing
 * when dropped is cut short (its cleanup runs). Poll and drop it on one
 * thread only.
 */
struct fut_coro {
    struct fut_future base;
    fut_coro_fn fn;
    void *arg;
    int result;
    struct {
        int state;
        int self_arg;
        size_t stack_size;
        void *stack;
    } priv;
};

/**
 * fut_coro_init - make @c a coroutine that will run @fn(@arg).
 * @opts: NULL for the defaults.
 *
 * Allocates nothing and points at nothing inside @c, so @c may be moved
 * (spawned) afterwards; the stack is acquired at the first poll. From a
 * successful init on, @fn runs exactly once, whatever happens to @c:
 * to the end when @c is polled to READY; in cancelled mode (every await
 * fails at once with -ECANCELED) when @c is dropped, whether it was
 * suspended or never polled. So ownership of what @arg holds passes to
 * the coroutine here; a coroutine that is initialised but never dropped
 * leaks what @fn would have released. (Rust drops the captured variables
 * of an unpolled async block; in C the function itself is the only thing
 * that knows how to release @arg, hence the cancelled run.)
 *
 * Returns 0, or -EINVAL: NULL @c or @fn, @opts of an unknown version or
 * with flags set, or a stack size outside [FUT_CORO_STACK_MIN,
 * FUT_CORO_STACK_MAX] (0 aside). Any thread.
 */
FUT_API int fut_coro_init(struct fut_coro *c, fut_coro_fn fn, void *arg,
                          const struct fut_coro_opts *opts);

/**
 * fut_coro_init_self - fut_coro_init() whose @fn receives the coroutine
 * future itself (where it lies once pinned) as its argument. For state
 * the coroutine owns: make struct fut_coro the first member of a struct
 * of your own, put the state after it, and spawn the whole struct (its
 * size given to fut_spawn(), fut_scope_spawn() or fut_join_set_spawn());
 * @fn finds its state through the pointer it gets, which stays valid
 * until @fn returns. The state moves with the future, so nothing is
 * allocated for it and nothing dangles (a move closure, in Rust's terms):
 *
 *     struct conn { struct fut_coro co; struct fut_tcp_stream s; };
 *     static int serve(void *arg) { struct conn *c = arg; ... }
 *     struct conn c = { .s = accepted };
 *     fut_coro_init_self(&c.co, serve, NULL);
 *     fut_spawn(rt, &c.co.base, sizeof c, NULL);
 *
 * Returns as fut_coro_init() does.
 */
FUT_API int fut_coro_init_self(struct fut_coro *c, fut_coro_fn fn,
                               const struct fut_coro_opts *opts);

/**
 * fut_coro_spawn - fut_coro_init() and fut_spawn() in one call.
 * @handle: receives the join handle (fut_task_result() is @fn's return
 *     value, or -ECANCELED; fut_task_output() a struct fut_coro *), or
 *     NULL to detach at once.
 *
 * One task allocation; the stack comes at the first poll. Returns 0, or
 * what fut_coro_init() or fut_spawn() returned (-EINVAL, -ENOMEM, -EXDEV,
 * -ESHUTDOWN); on failure nothing was started, @fn will not run and what
 * @arg holds is still the caller's. Call it on the runtime's thread (a
 * coroutine may spawn others).
 */
FUT_API int fut_coro_spawn(struct fut_runtime *rt, fut_coro_fn fn, void *arg,
                           const struct fut_coro_opts *opts,
                           struct fut_task **handle);

/**
 * fut_await - inside a coroutine, wait for @f to finish.
 *
 * Polls @f with the coroutine's current context; while @f is PENDING the
 * coroutine returns PENDING to its poller and is resumed when polled
 * again (after @f's wake). A future that is READY at the first poll
 * costs no switch at all.
 *
 * @f is consumed: whatever this returns, @f has been dropped (its output
 * fields stay readable, as after any drop). This differs from the
 * combinators, which leave a finished child to its owner, because the
 * cancelled path must drop @f anyway (nothing may stay registered), and
 * one rule for every outcome means no await leaks a future.
 *
 * Returns fut_future_result(@f) (0 or -errno) once @f is READY;
 * -ECANCELED when the coroutine is cancelled while waiting, or was
 * already (@f dropped unpolled); -EPERM when called outside a coroutine
 * (@f dropped unpolled); -EINVAL for a NULL @f. The coroutine's thread.
 */
FUT_API int fut_await(struct fut_future *f);

/**
 * fut_coro_yield - give the other tasks a turn: wake the coroutine's own
 * waker and return PENDING to the poller once.
 * Returns 0 when polled again, -ECANCELED if the coroutine is (or gets)
 * cancelled, -EPERM outside a coroutine.
 */
FUT_API int fut_coro_yield(void);

/**
 * fut_coro_suspend - return PENDING to the poller once, without waking
 * anything: for a coroutine that polled something by hand (a Stream's
 * poll_next, an AsyncRead's poll_read) with fut_coro_context() and got
 * PENDING, which arranged the wake. Suspending without such an
 * arrangement sleeps until the coroutine is dropped.
 * Returns 0 when polled again, -ECANCELED if the coroutine is (or gets)
 * cancelled, -EPERM outside a coroutine.
 */
FUT_API int fut_coro_suspend(void);

/**
 * fut_coro_context - the context of the poll that is running the calling
 * coroutine, for poll-style functions called by hand (see
 * fut_coro_suspend()). Valid until the next suspension point. NULL
 * outside a coroutine and while the coroutine runs cancelled (its drop
 * has no context).
 */
FUT_API struct fut_context *fut_coro_context(void);

/**
 * fut_coro_is_cancelled - 1 while the calling coroutine runs cancelled
 * (every await fails at once), 0 otherwise and outside a coroutine.
 */
FUT_API int fut_coro_is_cancelled(void);

/*
 * One-call awaits of the common futures, for coroutines: each builds the
 * future on the coroutine's stack, awaits it (fut_await()) and gives its
 * result. Outside a coroutine they return -EPERM; cancelled, -ECANCELED;
 * bad arguments, the init's -EINVAL. The coroutine's thread.
 */

/** fut_co_sleep - sleep @duration_ns. Returns 0 or -errno. */
static inline int
fut_co_sleep(int64_t duration_ns)
{
    struct fut_sleep s;
    int err = fut_sleep_init(&s, duration_ns);

    return err != 0 ? err : fut_await(&s.base);
}

/** fut_co_read - one read into @buf: bytes read, 0 at EOF, or -errno. */
static inline ssize_t
fut_co_read(struct fut_async_read *r, void *buf, size_t len)
{
    struct fut_read f;
    int err = fut_read_init(&f, r, buf, len);

    if (err == 0)
        err = fut_await(&f.base);
    return err != 0 ? (ssize_t)err : f.res;
}

/** fut_co_read_exact - @len bytes: 0, -ENODATA (EOF first) or -errno. */
static inline int
fut_co_read_exact(struct fut_async_read *r, void *buf, size_t len)
{
    struct fut_read_exact f;
    int err = fut_read_exact_init(&f, r, buf, len);

    return err != 0 ? err : fut_await(&f.base);
}

/** fut_co_write_all - write all of @buf: 0 or -errno. */
static inline int
fut_co_write_all(struct fut_async_write *w, const void *buf, size_t len)
{
    struct fut_write_all f;
    int err = fut_write_all_init(&f, w, buf, len);

    return err != 0 ? err : fut_await(&f.base);
}

/**
 * fut_co_read_line - one line of at most @max bytes into @out (the
 * newline included when found): its length, 0 at EOF, -EMSGSIZE for a
 * longer line (see struct fut_read_line), or -errno. With @timeout_ns
 * above 0 the read is given that long, and -ETIMEDOUT ends it.
 */
static inline ssize_t
fut_co_read_line(struct fut_bufreader *br, void *out, size_t max,
                 int64_t timeout_ns)
{
    struct fut_read_line f;
    struct fut_timeout t;
    int err = fut_read_line_init(&f, br, out, max);

    if (err == 0 && timeout_ns > 0) {
        err = fut_timeout_init(&t, &f.base, timeout_ns);
        if (err == 0)
            err = fut_await(&t.base);
        else
            fut_future_drop(&f.base);
    } else if (err == 0) {
        err = fut_await(&f.base);
    }
    return err != 0 ? (ssize_t)err : f.res;
}

/** fut_co_accept - the next connection into @out: 0 or -errno. */
static inline int
fut_co_accept(struct fut_tcp_listener *l, struct fut_tcp_stream *out)
{
    struct fut_tcp_accept f;
    int err = fut_tcp_accept_init(&f, l, out);

    return err != 0 ? err : fut_await(&f.base);
}

/**
 * fut_co_connect - connect @s (initialised with fut_tcp_stream_init(),
 * or closed) to @addr within @timeout_ns: 0 or -errno.
 */
static inline int
fut_co_connect(struct fut_tcp_stream *s, const struct sockaddr *addr,
               socklen_t addrlen, int64_t timeout_ns)
{
    struct fut_tcp_connect f;
    int err = fut_tcp_connect_init(&f, s, addr, addrlen, timeout_ns);

    return err != 0 ? err : fut_await(&f.base);
}

/*
 * fut_co_readable / fut_co_writable - wait until @s is readable (or
 * writable), as tokio's readable() / writable(), for code that then reads
 * or writes with fut_tcp_stream_try_read() / try_write() and needs no
 * buffer while it waits. Returns 0 or -errno (-ECANCELED when cancelled).
 * The readiness may be stale: a try_* that answers -EAGAIN clears it, and
 * the next wait blocks. A waker may stay in the stream after a cancelled
 * wait, until the stream's next event or close.
 */
static inline int
fut_co__ready(struct fut_tcp_stream *s, int write)
{
    int err = 0;

    for (;;) {
        struct fut_context *cx = fut_coro_context();
        enum fut_poll p;

        if (cx == NULL)
            return fut_coro_is_cancelled() ? -ECANCELED : -EPERM;
        p = write ? fut_tcp_stream_poll_write_ready(s, cx, &err)
                  : fut_tcp_stream_poll_read_ready(s, cx, &err);
        if (p == FUT_READY)
            return err;
        err = fut_coro_suspend();
        if (err != 0)
            return err;
    }
}

/** fut_co_readable - see above. */
static inline int
fut_co_readable(struct fut_tcp_stream *s)
{
    return fut_co__ready(s, 0);
}

/** fut_co_writable - see above. */
static inline int
fut_co_writable(struct fut_tcp_stream *s)
{
    return fut_co__ready(s, 1);
}

/**
 * fut_coro_pool_trim - unmap the calling thread's pooled coroutine
 * stacks. A thread's pool (at most 64 stacks of the default size) is also
 * released when the thread exits; call this on the main thread, or after
 * a burst of coroutines, to give the memory back sooner. Any thread;
 * affects only its own pool.
 */
FUT_API void fut_coro_pool_trim(void);

FUT__END_DECLS

#endif /* FUTURES_CORO_H */
