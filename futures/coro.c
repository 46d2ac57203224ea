/* SPDX-License-Identifier: MIT */
/* Stackful coroutines: stacks, the pool, the guard-page handler, resume and suspend. */
#include "coro_switch.h"
#include "internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#define CORO_VALGRIND 1
#endif

/* The sanitizers must be told about every stack switch: ASan so that it
 * knows which stack is current (its fake stacks and stack-use checks),
 * TSan because each coroutine is a fiber with its own shadow state. */
#if defined(__SANITIZE_ADDRESS__)
#define CORO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORO_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define CORO_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CORO_TSAN 1
#endif
#endif
#ifdef CORO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef CORO_TSAN
#include <sanitizer/tsan_interface.h>
#endif

/*
 * Layout of one stack mapping, from low to high addresses:
 *
 *   map                      one PROT_NONE guard page
 *   map + page               the stack proper, growing down towards it
 *   top = the struct coro    the coroutine's bookkeeping (CORO_BLOCK bytes)
 *   map + map_size
 *
 * Keeping the bookkeeping in the mapping keeps struct fut_coro small (one
 * pointer to it) and lets a pooled stack come back with it.
 */
struct coro {
#ifdef FUT__CORO_UCONTEXT
    ucontext_t self_uc;      /* the coroutine's registers while suspended */
    ucontext_t caller_uc;    /* the poller's while the coroutine runs */
#else
    void *self_sp;
    void *caller_sp;
#endif
    struct fut_context *cx;  /* the poll that resumed us; NULL when cancelled */
    fut_coro_fn fn;
    void *arg;
    int err;                 /* 0, or what every await fails with at once */
    int result;
    int finished;            /* fn returned */
    int running;             /* between resume and the next suspension */
    const void *thread;      /* the thread that runs it (debug check) */
    char *map;               /* the mapping, guard page included; NULL inline */
    size_t map_size;
    struct coro *pool_next;
#ifdef CORO_VALGRIND
    unsigned int vg_id;
#endif
#ifdef CORO_ASAN
    void *asan_fake;
    const void *asan_caller_bottom;
    size_t asan_caller_size;
#endif
#ifdef CORO_TSAN
    void *tsan_fiber;
    void *tsan_caller;
#endif
};

/* The bookkeeping's share of the mapping, a multiple of 64 so that the
 * stack top below it is aligned as every ABI wants it. */
#define CORO_BLOCK ((sizeof(struct coro) + 63u) & ~(size_t)63u)

/* At most this many default-size stacks wait in a thread's pool. */
#define POOL_MAX 64u

/* The alternate signal stack, for the SIGSEGV handler to run on when the
 * coroutine's own stack is what overflowed. */
#define ALTSTACK_SIZE ((size_t)64 * 1024)

enum { CORO_NEW = 0, CORO_STARTED = 1, CORO_DONE = 2 };

/*
 * Everything per thread in one variable. The initial-exec model makes
 * each access one %fs-relative load (no __tls_get_addr call from the
 * shared library), which the switch path needs, and which the SIGSEGV
 * handler needs too: it reads `cur`, and a dynamic TLS access is not
 * async-signal-safe.
 */
struct coro_thread {
    struct coro *cur;        /* the coroutine executing on this thread */
    struct coro *pool;       /* free default-size stacks */
    unsigned int pool_len;
    int ready;               /* altstack and exit hook in place */
    void *altstack;          /* ours, or NULL if the thread had one */
};
static _Thread_local struct coro_thread tls
    __attribute__((tls_model("initial-exec")));

static pthread_once_t process_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;
static size_t page_size;
static struct sigaction old_segv;

static size_t
default_stack_size(void)
{
#ifdef CORO_ASAN
    /* ASan's redzones make frames several times larger. */
    return 4 * FUT_CORO_STACK_DEFAULT;
#else
    return FUT_CORO_STACK_DEFAULT;
#endif
}

/* ---- the context switch ------------------------------------------------------ */

#ifdef FUT__CORO_UCONTEXT

static void coro_main(void *p);

/* makecontext() passes int arguments only: the pointer goes in two. */
static void
uc_entry(unsigned int lo, unsigned int hi)
{
    uintptr_t p = (uintptr_t)(((uint64_t)hi << 32) | lo);

    coro_main((void *)p);
}

static void
ctx_make(struct coro *s, char *lo, size_t size)
{
    uint64_t p = (uint64_t)(uintptr_t)s;

    (void)getcontext(&s->self_uc);
    s->self_uc.uc_stack.ss_sp = lo;
    s->self_uc.uc_stack.ss_size = size;
    s->self_uc.uc_link = NULL;
    makecontext(&s->self_uc, (void (*)(void))uc_entry, 2,
                (unsigned int)(p & 0xffffffffu), (unsigned int)(p >> 32));
}

static inline void
ctx_enter(struct coro *s)
{
    (void)swapcontext(&s->caller_uc, &s->self_uc);
}

static inline void
ctx_leave(struct coro *s)
{
    (void)swapcontext(&s->self_uc, &s->caller_uc);
}

#else /* the assembly switch */

/* futures/coro_switch_<arch>.S */
FUT__HIDDEN void fut__coro_switch(void **save_sp, void *new_sp);
FUT__HIDDEN void fut__coro_start(void);

static void coro_main(void *p);

/*
 * Writes, below @s, a frame that looks like one fut__coro_switch() saved,
 * whose return address is fut__coro_start with the argument and function
 * in the registers the trampoline reads. See the layouts in the .S files.
 */
static void
ctx_make(struct coro *s, char *lo, size_t size)
{
    uintptr_t *top = (uintptr_t *)(void *)s;

    (void)lo;
    (void)size;
#ifdef FUT__CORO_X86_64
    {
        uint32_t mxcsr;
        uint16_t fpucw;

        /* The new coroutine starts with the poller's floating-point
         * control settings (rounding mode, exception masks). */
        __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
        __asm__ volatile("fnstcw %0" : "=m"(fpucw));
        top[-1] = 0;
        top[-2] = 0;
        top[-3] = (uintptr_t)fut__coro_start; /* ret lands here, rsp % 16 == 0 */
        top[-4] = 0;                          /* rbp */
        top[-5] = 0;                          /* rbx */
        top[-6] = (uintptr_t)s;               /* r12: the argument */
        top[-7] = (uintptr_t)coro_main;       /* r13: the function */
        top[-8] = 0;                          /* r14 */
        top[-9] = 0;                          /* r15 */
        top[-10] = (uintptr_t)mxcsr | ((uintptr_t)fpucw << 32);
        s->self_sp = &top[-10];
    }
#else /* FUT__CORO_AARCH64 */
    {
        uintptr_t *frame = top - 22; /* 176 bytes */
        uint64_t fpcr;

        __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
        memset(frame, 0, 22 * sizeof *frame);
        frame[0] = (uintptr_t)s;               /* x19: the argument */
        frame[1] = (uintptr_t)coro_main;       /* x20: the function */
        frame[11] = (uintptr_t)fut__coro_start; /* x30: where ret goes */
        frame[20] = (uintptr_t)fpcr;
        s->self_sp = frame;
    }
#endif
}

static inline void
ctx_enter(struct coro *s)
{
    fut__coro_switch(&s->caller_sp, s->self_sp);
}

static inline void
ctx_leave(struct coro *s)
{
    fut__coro_switch(&s->self_sp, s->caller_sp);
}

#endif /* FUT__CORO_UCONTEXT */

static inline char *
stack_lo(const struct coro *s)
{
    return s->map + page_size;
}

static inline size_t
stack_len(const struct coro *s)
{
    return (size_t)((const char *)s - stack_lo(s));
}

/*
 * The two halves of a switch, each with what the sanitizers need. Into
 * the coroutine (the poller's side): */
static inline void
switch_in(struct coro *s)
{
#ifdef CORO_ASAN
    void *fake = NULL;

    __sanitizer_start_switch_fiber(&fake, stack_lo(s), stack_len(s));
#endif
#ifdef CORO_TSAN
    s->tsan_caller = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(s->tsan_fiber, 0);
#endif
    ctx_enter(s);
#ifdef CORO_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
}

/* Out of the coroutine, back to its poller; @last when it will never be
 * resumed again (ASan may then free its fake stack). */
static inline void
switch_out(struct coro *s, int last)
{
#ifdef CORO_ASAN
    __sanitizer_start_switch_fiber(last ? NULL : &s->asan_fake,
                                   s->asan_caller_bottom,
                                   s->asan_caller_size);
#else
    (void)last;
#endif
#ifdef CORO_TSAN
    __tsan_switch_to_fiber(s->tsan_caller, 0);
#endif
    ctx_leave(s);
#ifdef CORO_ASAN
    __sanitizer_finish_switch_fiber(s->asan_fake, &s->asan_caller_bottom,
                                    &s->asan_caller_size);
#endif
}

/* The bottom of every coroutine's stack: run the function, then go back
 * to the poller for good. */
static void
coro_main(void *p)
{
    struct coro *s = p;

#ifdef CORO_ASAN
    __sanitizer_finish_switch_fiber(NULL, &s->asan_caller_bottom,
                                    &s->asan_caller_size);
#endif
    s->result = s->fn(s->arg);
    s->finished = 1;
    switch_out(s, 1);
    /* A finished coroutine is never resumed. */
    abort();
}

/* ---- the guard page: a clean message instead of a crash elsewhere ------------- */

static const char overflow_msg[] = "libfutures: coroutine stack overflow\n";

/* How far below its stack a stack pointer may be and still be taken as
 * that stack's overflow: a frame larger than the guard page moves the
 * pointer past it before anything touches memory. */
#define OVERFLOW_SPAN ((uintptr_t)16 * 1024 * 1024)

static uintptr_t
fault_sp(void *uctx)
{
#if defined(__x86_64__) && defined(REG_RSP)
    return (uintptr_t)((ucontext_t *)uctx)->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__) && defined(__linux__)
    return (uintptr_t)((ucontext_t *)uctx)->uc_mcontext.sp;
#else
    (void)uctx;
    return 0;
#endif
}

/*
 * The process's SIGSEGV handler once a coroutine has started. A fault in
 * the guard page of the coroutine running on this thread, or with the
 * stack pointer below that coroutine's stack, is an overflow: say so and
 * abort (what is left of the stack cannot be trusted, and there is no
 * caller to return an error to). Anything else goes to the handler that
 * was installed before ours, or to the default action.
 */
static void
segv_handler(int sig, siginfo_t *si, void *uctx)
{
    struct coro *s = tls.cur;

    if (s != NULL && s->map != NULL) {
        uintptr_t lo = (uintptr_t)s->map;
        uintptr_t guard_end = lo + page_size;
        uintptr_t addr = (uintptr_t)si->si_addr;
        uintptr_t sp = fault_sp(uctx);

        if ((addr >= lo && addr < guard_end) ||
            (sp != 0 && sp < guard_end && sp + OVERFLOW_SPAN > lo)) {
            ssize_t n = write(STDERR_FILENO, overflow_msg,
                              sizeof overflow_msg - 1);

            (void)n;
            abort();
        }
    }
    if (old_segv.sa_flags & SA_SIGINFO) {
        if (old_segv.sa_sigaction != NULL)
            old_segv.sa_sigaction(sig, si, uctx);
    } else if (old_segv.sa_handler != SIG_DFL &&
               old_segv.sa_handler != SIG_IGN) {
        old_segv.sa_handler(sig);
    } else {
        /* Default action: restore it and raise the signal again, which
         * stays pending until this handler returns (a fault would also
         * recur when the instruction is retried). */
        struct sigaction dfl;

        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        (void)sigaction(sig, &dfl, NULL);
        (void)raise(sig);
    }
}

/* ---- per-thread set-up and the stack pool ------------------------------------ */

static void
stack_unmap(struct coro *s)
{
    char *map = s->map;
    size_t map_size = s->map_size;

#ifdef CORO_VALGRIND
    VALGRIND_STACK_DEREGISTER(s->vg_id);
#endif
#ifdef CORO_ASAN
    /* Leave no poisoned shadow behind for whatever is mapped here next. */
    __asan_unpoison_memory_region(map + page_size, map_size - page_size);
#endif
    (void)munmap(map, map_size);
}

static void
pool_trim(void)
{
    struct coro *s;

    while ((s = tls.pool) != NULL) {
        tls.pool = s->pool_next;
        stack_unmap(s);
    }
    tls.pool_len = 0;
}

/* Thread exit (the key's destructor): the pool and our altstack go. */
static void
thread_exit(void *unused)
{
    (void)unused;
    pool_trim();
    if (tls.altstack != NULL) {
        stack_t cur;

        if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == tls.altstack &&
            !(cur.ss_flags & SS_ONSTACK)) {
            stack_t off;

            memset(&off, 0, sizeof off);
            off.ss_flags = SS_DISABLE;
            (void)sigaltstack(&off, NULL);
            (void)munmap(tls.altstack, ALTSTACK_SIZE);
        }
        tls.altstack = NULL;
    }
    tls.ready = 0;
}

static void
process_init(void)
{
    struct sigaction sa;
    long ps = sysconf(_SC_PAGESIZE);

    page_size = ps > 0 ? (size_t)ps : 4096;
    (void)pthread_key_create(&exit_key, thread_exit);
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = segv_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGSEGV, &sa, &old_segv);
}

/*
 * Once per thread, before its first coroutine starts: the exit hook, and
 * an alternate signal stack unless the thread has one already (the
 * handler cannot run on the stack that overflowed). Failures here only
 * cost the clean message: the guard page still stops the overflow.
 */
static void
thread_init(void)
{
    stack_t old;

    (void)pthread_once(&process_once, process_init);
    (void)pthread_setspecific(exit_key, &tls);
    if (sigaltstack(NULL, &old) == 0 && (old.ss_flags & SS_DISABLE)) {
        void *p = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (p != MAP_FAILED) {
            stack_t st;

            memset(&st, 0, sizeof st);
            st.ss_sp = p;
            st.ss_size = ALTSTACK_SIZE;
            if (sigaltstack(&st, NULL) == 0)
                tls.altstack = p;
            else
                (void)munmap(p, ALTSTACK_SIZE);
        }
    }
    tls.ready = 1;
}

static size_t
round_stack(size_t size)
{
    if (size == 0)
        size = default_stack_size();
    return (size + page_size - 1) & ~(page_size - 1);
}

/* A stack of @size bytes (rounded) with its guard page: from the pool for
 * the default size, else freshly mapped. NULL when mmap refuses. */
static struct coro *
stack_get(size_t size)
{
    size_t map_size = size + page_size;
    struct coro *s;
    char *map;

    if (tls.pool != NULL && tls.pool->map_size == map_size) {
        s = tls.pool;
        tls.pool = s->pool_next;
        tls.pool_len--;
#ifdef CORO_ASAN
        /* The frames of the last coroutine left their redzones. */
        __asan_unpoison_memory_region(stack_lo(s), stack_len(s));
#endif
        return s;
    }
    map = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE
#ifdef MAP_STACK
                   | MAP_STACK
#endif
               ,
               -1, 0);
    if (map == MAP_FAILED)
        return NULL;
    if (mprotect(map, page_size, PROT_NONE) != 0) {
        (void)munmap(map, map_size);
        return NULL;
    }
    s = (struct coro *)(void *)(map + map_size - CORO_BLOCK);
    s->map = map;
    s->map_size = map_size;
#ifdef CORO_VALGRIND
    s->vg_id = VALGRIND_STACK_REGISTER(map + page_size, (char *)s);
#endif
    return s;
}

static void
stack_put(struct coro *s)
{
    if (s->map_size == round_stack(0) + page_size &&
        tls.pool_len < POOL_MAX) {
        s->pool_next = tls.pool;
        tls.pool = s;
        tls.pool_len++;
    } else {
        stack_unmap(s);
    }
}

/* ---- the future ------------------------------------------------------------------ */

/* A stack for @c, ready to run its function from the start; NULL when no
 * stack could be mapped. */
static struct coro *
coro_start(struct fut_coro *c)
{
    struct coro *s;

    if (FUT__UNLIKELY(!tls.ready))
        thread_init();
    s = stack_get(round_stack(c->priv.stack_size));
    if (s == NULL)
        return NULL;
    s->cx = NULL;
    s->fn = c->fn;
    s->arg = c->priv.self_arg ? (void *)c : c->arg;
    s->err = 0;
    s->result = 0;
    s->finished = 0;
    s->running = 0;
    s->thread = &tls;
    s->pool_next = NULL;
#ifdef CORO_ASAN
    s->asan_fake = NULL;
    s->asan_caller_bottom = NULL;
    s->asan_caller_size = 0;
#endif
#ifdef CORO_TSAN
    s->tsan_fiber = __tsan_create_fiber(0);
    s->tsan_caller = NULL;
#endif
    ctx_make(s, stack_lo(s), stack_len(s));
    c->priv.stack = s;
    c->priv.state = CORO_STARTED;
    return s;
}

/* Run the coroutine until it suspends or finishes. */
static void
resume(struct coro *s, struct fut_context *cx)
{
    struct coro *prev = tls.cur;

    /* One thread for the whole life of a coroutine (see coro.h). */
    assert(s->thread == &tls);
    assert(!s->running);
    s->cx = cx;
    s->running = 1;
    tls.cur = s;
    switch_in(s);
    tls.cur = prev;
    s->running = 0;
    s->cx = NULL;
}

/* The function has returned: give the stack back. */
static void
coro_finish(struct fut_coro *c, struct coro *s)
{
    c->result = s->result;
#ifdef CORO_TSAN
    __tsan_destroy_fiber(s->tsan_fiber);
    s->tsan_fiber = NULL;
#endif
    stack_put(s);
    c->priv.stack = NULL;
    c->priv.state = CORO_DONE;
}

/*
 * No stack could be had: run the function here, on the caller's stack,
 * with every await failing at once with @err, so its cleanup still runs
 * exactly once. It cannot suspend, so it runs to the end now.
 */
static int
run_inline(struct fut_coro *c, int err)
{
    struct coro s;
    struct coro *prev = tls.cur;

    memset(&s, 0, sizeof s);
    s.err = err;
    s.running = 1;
    s.thread = &tls;
    tls.cur = &s;
    (void)c->fn(c->priv.self_arg ? (void *)c : c->arg);
    tls.cur = prev;
    c->priv.state = CORO_DONE;
    return err;
}

static enum fut_poll
coro_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_coro *c = (struct fut_coro *)f;
    struct coro *s = c->priv.stack;

    if (FUT__UNLIKELY(s == NULL)) {
        if (c->priv.state == CORO_DONE)
            return FUT_READY;
        s = coro_start(c);
        if (s == NULL) {
            c->result = run_inline(c, -ENOMEM);
            return FUT_READY;
        }
    }
    if (FUT__UNLIKELY(s->running)) {
        /* Polled from inside itself (a coroutine awaiting its own
         * future): it cannot be entered twice. */
        assert(!"a coroutine polled while it runs");
        return FUT_PENDING;
    }
    resume(s, cx);
    if (s->finished) {
        coro_finish(c, s);
        return FUT_READY;
    }
    return FUT_PENDING;
}

/*
 * Cancellation: resume the function once more with `err` set, so that
 * the await it is suspended in drops its future and every later await
 * fails at once; it cannot suspend again, so it runs to its end before
 * this returns. A coroutine never polled runs the same way from its
 * start (coro.h says why).
 */
static void
coro_drop(struct fut_future *f)
{
    struct fut_coro *c = (struct fut_coro *)f;
    struct coro *s = c->priv.stack;

    if (c->priv.state == CORO_NEW) {
        s = coro_start(c);
        if (s == NULL) {
            (void)run_inline(c, -ECANCELED);
            c->result = -ECANCELED;
            return;
        }
    } else if (s == NULL) {
        return; /* finished: the stack went at READY */
    }
    if (FUT__UNLIKELY(s->running)) {
        /* Dropped from inside itself (its own task cannot be dropped
         * while it runs, so this is a misuse): nothing can be unwound
         * from here, the stack is in use. */
        assert(!"a coroutine dropped while it runs");
        return;
    }
    s->err = -ECANCELED;
    resume(s, NULL);
    assert(s->finished);
    coro_finish(c, s);
    c->result = -ECANCELED;
}

static int
coro_result(const struct fut_future *f)
{
    return ((const struct fut_coro *)f)->result;
}

static const struct fut_future_vtable coro_vtable = {
    .poll = coro_poll,
    .drop = coro_drop,
    .result = coro_result,
};

int
fut_coro_init(struct fut_coro *c, fut_coro_fn fn, void *arg,
              const struct fut_coro_opts *opts)
{
    size_t size = 0;

    if (c == NULL || fn == NULL)
        return -EINVAL;
    if (opts != NULL) {
        if (opts->version > 1 || opts->flags != 0)
            return -EINVAL;
        size = opts->stack_size;
        if (size != 0 &&
            (size < FUT_CORO_STACK_MIN || size > FUT_CORO_STACK_MAX))
            return -EINVAL;
    }
    c->base.vtable = &coro_vtable;
    c->fn = fn;
    c->arg = arg;
    c->result = -EAGAIN;
    c->priv.state = CORO_NEW;
    c->priv.self_arg = 0;
    c->priv.stack_size = size;
    c->priv.stack = NULL;
    return 0;
}

int
fut_coro_init_self(struct fut_coro *c, fut_coro_fn fn,
                   const struct fut_coro_opts *opts)
{
    int err = fut_coro_init(c, fn, NULL, opts);

    if (err == 0)
        c->priv.self_arg = 1;
    return err;
}

int
fut_coro_spawn(struct fut_runtime *rt, fut_coro_fn fn, void *arg,
               const struct fut_coro_opts *opts, struct fut_task **handle)
{
    struct fut_coro c;
    int err;

    if (handle != NULL)
        *handle = NULL;
    err = fut_coro_init(&c, fn, arg, opts);
    if (err != 0)
        return err;
    /* On failure the copy in `c` is simply forgotten: it holds nothing
     * before its first poll, and not dropping it means fn does not run,
     * so what arg holds stays the caller's. */
    return fut_spawn(rt, &c.base, sizeof c, handle);
}

/* ---- inside a coroutine ------------------------------------------------------------ */

/* Hand PENDING to the poller; back when polled again or cancelled. */
static inline void
suspend(struct coro *s)
{
    switch_out(s, 0);
}

int
fut_await(struct fut_future *f)
{
    struct coro *s = tls.cur;
    int res;

    if (f == NULL)
        return -EINVAL;
    if (FUT__UNLIKELY(s == NULL)) {
        fut_future_drop(f);
        return -EPERM;
    }
    while (FUT__LIKELY(s->err == 0)) {
        if (fut_future_poll(f, s->cx) == FUT_READY) {
            res = fut_future_result(f);
            fut_future_drop(f);
            return res;
        }
        suspend(s);
    }
    fut_future_drop(f);
    return s->err;
}

int
fut_coro_yield(void)
{
    struct coro *s = tls.cur;

    if (s == NULL)
        return -EPERM;
    if (s->err != 0)
        return s->err;
    fut_waker_wake_by_ref(s->cx->waker);
    suspend(s);
    return s->err;
}

int
fut_coro_suspend(void)
{
    struct coro *s = tls.cur;

    if (s == NULL)
        return -EPERM;
    if (s->err != 0)
        return s->err;
    suspend(s);
    return s->err;
}

struct fut_context *
fut_coro_context(void)
{
    struct coro *s = tls.cur;

    return s != NULL && s->err == 0 ? s->cx : NULL;
}

int
fut_coro_is_cancelled(void)
{
    struct coro *s = tls.cur;

    return s != NULL && s->err != 0;
}

void
fut_coro_pool_trim(void)
{
    pool_trim();
}
