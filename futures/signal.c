/* SPDX-License-Identifier: MIT */
/* Signals (signal.h): one process-wide handler, a self-pipe per listener. */
#include "rt.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

/*
 * Design. Every listener takes a slot in a fixed process-wide table: the
 * write end of its own nonblocking self-pipe, the set of signals it wants
 * and the set pending for it. The handler (the same function for every
 * signal we catch) walks the slots in use, and for each that wants the
 * signal sets its pending bit and writes a byte to its pipe. Only
 * lock-free atomics and write(2) run in the handler, all
 * async-signal-safe; errno is saved and restored around them. The table
 * is fixed so that the handler never sees memory being reallocated.
 *
 * Opening and closing take a mutex (never touched by the handler). Closing
 * clears the slot's wants and descriptor, then waits until every handler
 * that may have read the slot before the clear has returned, before it
 * closes the pipe: a handler never writes to a descriptor number that was
 * closed and reused meanwhile. Waiting until no handler at all runs would
 * not end during a storm on a machine that preempts the storming thread
 * inside its handler (valgrind's scheduler always does: it switches
 * threads at the handler's write(2)). So handlers count themselves in one
 * of two counters, chosen by a generation number that each close
 * advances (as SRCU does): the close waits only for the counter of the
 * generation it ended, which no handler that starts later joins.
 *
 * The handler reads the generation g, counts itself in in_handler[g & 1],
 * and reads the generation again: if it moved, it counts itself out and
 * tries again. Once it saw g twice, any close that ends g advances the
 * generation after the handler counted itself in, and reads the count
 * after that, so it waits for this handler. A handler that started under
 * an older generation and read the slot after the clear sees it cleared.
 * Every access is sequentially consistent, which these arguments need.
 *
 * We chose this over signalfd(2), which Linux has: a signalfd read
 * consumes the signal, so two runtimes listening to SIGTERM could not
 * both see it, and it needs the signal blocked in every thread of the
 * program, which a library cannot promise for the program's threads.
 */

#define SIG_MAX 64

struct sig_slot {
    atomic_int wfd;           /* -1: not listening */
    atomic_uint_least64_t want;
    atomic_uint_least64_t pending;
    int used;                 /* under table_lock */
    int rfd;                  /* under table_lock: the pipe's read end */
};

static struct sig_slot slots[FUT_SIGNAL_MAX_LISTENERS];
/* The handler scans [0, slots_hw): slots are taken lowest first. */
static atomic_int slots_hw;
/* Handlers running, by the parity of the generation they counted in under
 * (see Design); the generation moves only under table_lock. */
static atomic_uint handler_gen;
static atomic_int in_handler[2];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
/* Listeners per signal, and the disposition each first one replaced. */
static unsigned int listeners[SIG_MAX + 1];
static struct sigaction saved[SIG_MAX + 1];
static int slots_ready;

static void
sig_handler(int signo)
{
    int saved_errno = errno;
    uint_least64_t bit;
    unsigned int gen;
    int i, hw, fd;

    for (;;) {
        gen = atomic_load(&handler_gen);
        atomic_fetch_add(&in_handler[gen & 1], 1);
        if (atomic_load(&handler_gen) == gen)
            break;
        atomic_fetch_sub(&in_handler[gen & 1], 1);
    }
    if (signo >= 1 && signo <= SIG_MAX) {
        bit = (uint_least64_t)1 << (signo - 1);
        hw = atomic_load(&slots_hw);
        for (i = 0; i < hw; i++) {
            if (!(atomic_load(&slots[i].want) & bit))
                continue;
            fd = atomic_load(&slots[i].wfd);
            if (fd < 0)
                continue;
            /* Pending first, then the byte: a reader that drained the
             * pipe and then took the pending set cannot miss it. A full
             * pipe (EAGAIN) is fine: the reader is woken already. */
            atomic_fetch_or(&slots[i].pending, bit);
            (void)write(fd, "s", 1);
        }
    }
    atomic_fetch_sub(&in_handler[gen & 1], 1);
    errno = saved_errno;
}

/* Signals nobody may listen to: uncatchable, or faults a handler cannot
 * return from. */
static int
signo_ok(int signo)
{
    if (signo < 1 || signo > SIG_MAX || signo >= NSIG)
        return 0;
    switch (signo) {
    case SIGKILL:
    case SIGSTOP:
    case SIGSEGV:
    case SIGBUS:
    case SIGFPE:
    case SIGILL:
        return 0;
    default:
        return 1;
    }
}

/* Under table_lock: the first listener of @signo installs the handler. */
static int
sig_retain(int signo)
{
    struct sigaction act;

    if (listeners[signo] == 0) {
        memset(&act, 0, sizeof act);
        act.sa_handler = sig_handler;
        sigfillset(&act.sa_mask);
        act.sa_flags = SA_RESTART;
        if (fut__sys.sigaction(signo, &act, &saved[signo]) < 0)
            return fut__os_err();
    }
    listeners[signo]++;
    return 0;
}

/* Under table_lock: the last listener of @signo puts back what was there. */
static void
sig_release(int signo)
{
    if (listeners[signo] == 0)
        return;
    if (--listeners[signo] == 0)
        (void)fut__sys.sigaction(signo, &saved[signo], NULL);
}

/* Under table_lock, after a slot was cleared: end the current generation
 * and wait for the handlers counted in it, which are the only ones that may
 * hold the slot's old descriptor (see Design). At most one per thread, each
 * short; handlers that start meanwhile count in the other generation, so
 * this ends even during a storm. */
static void
handlers_quiesce(void)
{
    unsigned int gen = atomic_load(&handler_gen);

    atomic_store(&handler_gen, gen + 1);
    while (atomic_load(&in_handler[gen & 1]) != 0)
        sched_yield();
}

static void
slot_clear(int slot)
{
    atomic_store(&slots[slot].want, 0);
    atomic_store(&slots[slot].wfd, -1);
}

static void
table_init_locked(void)
{
    int i;

    if (slots_ready)
        return;
    for (i = 0; i < FUT_SIGNAL_MAX_LISTENERS; i++) {
        atomic_init(&slots[i].wfd, -1);
        atomic_init(&slots[i].want, 0);
        atomic_init(&slots[i].pending, 0);
    }
    slots_ready = 1;
}

/* ---- the stream ---------------------------------------------------------- */

static enum fut_poll
signal_poll(struct fut_signal *s, struct fut_context *cx, int *signo,
            int *res)
{
    char buf[64];
    uint_least64_t got;
    ssize_t n;
    int err;

    if (s->slot < 0) {
        *res = -EBADF;
        return FUT_READY;
    }
    for (;;) {
        if (s->taken != 0) {
            *signo = __builtin_ctzll(s->taken) + 1;
            s->taken &= s->taken - 1;
            *res = 0;
            return FUT_READY;
        }
        if (fut_io_poll_ready(&s->io, cx, FUT_IO_READABLE, &err) ==
            FUT_PENDING)
            return FUT_PENDING;
        if (err != 0) {
            *res = err;
            return FUT_READY;
        }
        /* Drain, then take: a signal after the take writes again. */
        do
            n = fut__sys.read(s->io.fd, buf, sizeof buf);
        while (n > 0 || (n < 0 && errno == EINTR));
        got = atomic_exchange(&slots[s->slot].pending, 0);
        s->taken |= got & s->set;
        if (s->taken == 0)
            fut_io_clear_ready(&s->io, FUT_IO_READABLE);
    }
}

static enum fut_poll
signal_poll_next(struct fut_stream *self, struct fut_context *cx, void *item,
                 int *res)
{
    struct fut_signal *s = FUT_CONTAINER_OF(self, struct fut_signal, stream);
    int signo = 0;
    enum fut_poll p = signal_poll(s, cx, &signo, res);

    if (p == FUT_READY && *res == 0) {
        *(int *)item = signo;
        *res = 1;
    }
    return p;
}

static void
signal_forget_next(struct fut_stream *self, const struct fut_waker *w)
{
    fut_io_forget(&FUT_CONTAINER_OF(self, struct fut_signal, stream)->io,
                  FUT_IO_READABLE, w);
}

static void
signal_note_next(struct fut_stream *self, struct fut_reg *reg)
{
    struct fut_io *io = &FUT_CONTAINER_OF(self, struct fut_signal, stream)->io;

    reg->id = io->read_waker.vtable != NULL ? io->read_id : 0;
}

static void
signal_forget_next_reg(struct fut_stream *self, const struct fut_reg *reg)
{
    fut_io_forget_reg(&FUT_CONTAINER_OF(self, struct fut_signal, stream)->io,
                      FUT_IO_READABLE, reg);
}

static const struct fut_stream_vtable signal_stream_vtable = {
    .version = 3,
    .poll_next = signal_poll_next,
    .forget_next = signal_forget_next,
    .note_next = signal_note_next,
    .forget_next_reg = signal_forget_next_reg,
};

static void
signal_reset(struct fut_signal *s)
{
    memset(s, 0, sizeof *s);
    s->stream.vtable = &signal_stream_vtable;
    (void)fut_io_init(&s->io, 0);
    s->io.fd = -1;
    s->slot = -1;
}

int
fut_signal_init(struct fut_signal *s, const sigset_t *set)
{
    uint_least64_t want = 0;
    int fds[2], slot, signo, err, i;

    if (s == NULL)
        return -EINVAL;
    signal_reset(s);
    if (set == NULL)
        return -EINVAL;
    for (signo = 1; signo < NSIG; signo++) {
        if (sigismember(set, signo) != 1)
            continue;
        if (!signo_ok(signo))
            return -EINVAL;
        want |= (uint_least64_t)1 << (signo - 1);
    }
    if (want == 0)
        return -EINVAL;
    err = fut__os_pipe(fds, 1);
    if (err != 0)
        return err;

    pthread_mutex_lock(&table_lock);
    table_init_locked();
    for (slot = 0; slot < FUT_SIGNAL_MAX_LISTENERS; slot++)
        if (!slots[slot].used)
            break;
    if (slot == FUT_SIGNAL_MAX_LISTENERS) {
        pthread_mutex_unlock(&table_lock);
        fut__os_close(fds[0]);
        fut__os_close(fds[1]);
        return -ENOSPC;
    }
    slots[slot].used = 1;
    atomic_store(&slots[slot].pending, 0);
    atomic_store(&slots[slot].wfd, fds[1]);
    slots[slot].rfd = fds[0];
    atomic_store(&slots[slot].want, want);
    if (slot >= atomic_load(&slots_hw))
        atomic_store(&slots_hw, slot + 1);
    /* The slot is live before the handler is installed: no signal that
     * arrives once it is installed can miss this listener. */
    for (signo = 1; signo <= SIG_MAX; signo++) {
        if (!(want & ((uint_least64_t)1 << (signo - 1))))
            continue;
        err = sig_retain(signo);
        if (err != 0) {
            for (i = 1; i < signo; i++)
                if (want & ((uint_least64_t)1 << (i - 1)))
                    sig_release(i);
            slot_clear(slot);
            handlers_quiesce();
            slots[slot].used = 0;
            pthread_mutex_unlock(&table_lock);
            fut__os_close(fds[0]);
            fut__os_close(fds[1]);
            return err;
        }
    }
    pthread_mutex_unlock(&table_lock);

    (void)fut_io_init(&s->io, fds[0]);
    s->slot = slot;
    s->set = want;
    return 0;
}

int
fut_signal_init_one(struct fut_signal *s, int signo)
{
    sigset_t set;

    if (s == NULL)
        return -EINVAL;
    if (!signo_ok(signo)) {
        signal_reset(s);
        return -EINVAL;
    }
    sigemptyset(&set);
    sigaddset(&set, signo);
    return fut_signal_init(s, &set);
}

int
fut_signal_close(struct fut_signal *s)
{
    int slot, wfd, signo;

    if (s == NULL)
        return -EINVAL;
    if (s->slot < 0)
        return -EBADF;
    slot = s->slot;
    (void)fut_io_close(&s->io);
    pthread_mutex_lock(&table_lock);
    wfd = atomic_load(&slots[slot].wfd);
    slot_clear(slot);
    for (signo = 1; signo <= SIG_MAX; signo++)
        if (s->set & ((uint_least64_t)1 << (signo - 1)))
            sig_release(signo);
    handlers_quiesce();
    atomic_store(&slots[slot].pending, 0);
    slots[slot].used = 0;
    slots[slot].rfd = -1;
    pthread_mutex_unlock(&table_lock);
    fut__os_close(wfd);
    fut__os_close(s->io.fd);
    signal_reset(s);
    return 0;
}

enum fut_poll
fut_signal_poll_recv(struct fut_signal *s, struct fut_context *cx,
                     int *signo, int *res)
{
    if (res == NULL)
        return FUT_READY;
    if (s == NULL || cx == NULL || signo == NULL) {
        *res = -EINVAL;
        return FUT_READY;
    }
    return signal_poll(s, cx, signo, res);
}

/*
 * After fork(2), in the child (fut_runtime_fork()): each listener's pipe
 * is shared with the parent, whose handler writes to it and whose
 * listener reads it, so either process could take the other's byte. Each
 * listener gets a new pipe: the read end replaces the old one under the
 * same number (dup2(2)), so that its registration, watched again by the
 * backend's fork afterwards, and the listener's struct fut_io stay as
 * they are; the write end replaces the slot's. A signal pending in the
 * listener's set gets a byte in the new pipe, since the one that told of
 * it stays in the parent's. Once per process: a second runtime's fork
 * finds the pipes done. table_lock may have been held by a thread of the
 * parent: it is initialised anew, and no handler is running (the forking
 * thread is in this call).
 */
int
fut__signal_fork(void)
{
    static pid_t done_pid;
    pid_t self = getpid();
    int i, fds[2], err, wfd;

    if (done_pid == self)
        return 0;
    pthread_mutex_init(&table_lock, NULL);
    atomic_store(&in_handler[0], 0);
    atomic_store(&in_handler[1], 0);
    if (!slots_ready) {
        done_pid = self;
        return 0;
    }
    for (i = 0; i < FUT_SIGNAL_MAX_LISTENERS; i++) {
        if (!slots[i].used || slots[i].rfd < 0)
            continue;
        err = fut__os_pipe(fds, 1);
        if (err != 0)
            return err;
        if (dup2(fds[0], slots[i].rfd) < 0 ||
            fcntl(slots[i].rfd, F_SETFD, FD_CLOEXEC) < 0) {
            err = -errno;
            fut__os_close(fds[0]);
            fut__os_close(fds[1]);
            return err;
        }
        fut__os_close(fds[0]);
        wfd = atomic_exchange(&slots[i].wfd, fds[1]);
        if (wfd >= 0)
            fut__os_close(wfd);
        if (atomic_load(&slots[i].pending) != 0)
            (void)write(fds[1], "s", 1);
    }
    done_pid = self;
    return 0;
}

size_t
fut__signal_listener_count(void)
{
    size_t n = 0;
    int i;

    pthread_mutex_lock(&table_lock);
    for (i = 0; i < FUT_SIGNAL_MAX_LISTENERS; i++)
        n += slots_ready && slots[i].used;
    pthread_mutex_unlock(&table_lock);
    return n;
}

/* ---- the recv future ----------------------------------------------------- */

#define RECV_PENDING 1

static void
recv_forget(struct fut_signal_recv *r)
{
    if (r->reg.waker.vtable != NULL) {
        fut_io_forget_reg(&r->sig->io, FUT_IO_READABLE, &r->reg);
        fut_reg_clear(&r->reg);
    }
}

static enum fut_poll
recv_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_signal_recv *r = (struct fut_signal_recv *)f;
    int res, signo = 0;

    if (r->res != RECV_PENDING)
        return FUT_READY;
    if (fut_signal_poll_recv(r->sig, cx, &signo, &res) == FUT_PENDING) {
        fut_io_note(&r->sig->io, FUT_IO_READABLE, cx, &r->reg);
        return FUT_PENDING;
    }
    recv_forget(r);
    r->signo = signo;
    r->res = res;
    return FUT_READY;
}

static void
recv_drop(struct fut_future *f)
{
    recv_forget((struct fut_signal_recv *)f);
}

static int
recv_result(const struct fut_future *f)
{
    const struct fut_signal_recv *r = (const struct fut_signal_recv *)f;

    return r->res == RECV_PENDING ? 0 : r->res;
}

static const struct fut_future_vtable recv_vtable = {
    .poll = recv_poll,
    .drop = recv_drop,
    .result = recv_result,
};

int
fut_signal_recv_init(struct fut_signal_recv *f, struct fut_signal *s)
{
    if (f == NULL || s == NULL)
        return -EINVAL;
    f->base.vtable = &recv_vtable;
    f->sig = s;
    f->signo = 0;
    f->res = RECV_PENDING;
    fut_reg_clear(&f->reg);
    return 0;
}

/* ---- ctrl_c -------------------------------------------------------------- */

static enum fut_poll
ctrl_c_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_ctrl_c *c = (struct fut_ctrl_c *)f;

    if (fut_future_poll(&c->recv.base, cx) == FUT_PENDING)
        return FUT_PENDING;
    c->res = c->recv.res;
    return FUT_READY;
}

static void
ctrl_c_drop(struct fut_future *f)
{
    struct fut_ctrl_c *c = (struct fut_ctrl_c *)f;

    fut_future_drop(&c->recv.base);
    (void)fut_signal_close(&c->sig);
}

static int
ctrl_c_result(const struct fut_future *f)
{
    return ((const struct fut_ctrl_c *)f)->res;
}

static const struct fut_future_vtable ctrl_c_vtable = {
    .poll = ctrl_c_poll,
    .drop = ctrl_c_drop,
    .result = ctrl_c_result,
};

int
fut_ctrl_c_init(struct fut_ctrl_c *f)
{
    int err;

    if (f == NULL)
        return -EINVAL;
    f->base.vtable = NULL;
    err = fut_signal_init_one(&f->sig, SIGINT);
    if (err != 0)
        return err;
    (void)fut_signal_recv_init(&f->recv, &f->sig);
    f->res = 0;
    f->base.vtable = &ctrl_c_vtable;
    return 0;
}
