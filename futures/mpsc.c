/* SPDX-License-Identifier: MIT */
/* The bounded multi-producer single-consumer channel (fut_mpsc_*). */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <string.h>

/*
 * The shared state is one allocation: this header followed by a ring of
 * capacity * elem_size bytes. Senders and the receiver may run on different
 * threads, so everything in it, and the prev/next/waker/queued/notified
 * fields of every queued send future, is guarded by `lock` (a spin lock,
 * see chan_lock()).
 *
 * Wakers are woken and dropped while the lock is held. The owner of a
 * waiting future may drop it (and free the storage its waker points into)
 * as soon as it has taken the lock and unlinked itself, so a waker taken out
 * under the lock and woken after unlocking could point into freed memory.
 * Waking under the lock is safe because a waker never calls back into the
 * channel (struct fut_waker_vtable forbids calling back into the future).
 *
 * Fairness: senders that found the buffer full wait in a FIFO queue. A slot
 * freed by the receiver is promised ("reserved") to the oldest waiter that
 * has not been notified yet, and only a notified waiter may fill a reserved
 * slot, so a late sender can never overtake a waiting one. Notified waiters
 * always form a prefix of the queue; `first_unnotified` marks its end. The
 * invariant is: while some waiter is not notified, len + reserved ==
 * capacity (there is no unpromised free slot).
 */
struct mpsc_chan {
    unsigned int lock;         /* 1 while held; chan_lock() */
    size_t elem_size;
    size_t capacity;
    size_t head;               /* slot of the oldest buffered value */
    size_t len;                /* values buffered */
    size_t reserved;           /* free slots promised to notified waiters */
    size_t senders;            /* open sender handles */
    int rx_open;               /* the receiver handle is open */
    struct fut_waker rx_waker; /* the receiver's poller, while it waits */
    uint32_t rx_id;            /* number of the last rx_waker registration */
    struct fut_mpsc_send *wait_head;
    struct fut_mpsc_send *wait_tail;
    struct fut_mpsc_send *first_unnotified;
    unsigned char buf[];
};

/* f->res of a send future that has not finished (READY gives 0 or -errno). */
#define SEND_UNFINISHED 1
/* f->res of a receive future that has not finished (READY gives 1, 0 or
 * -errno). */
#define RECV_UNFINISHED INT_MIN

/*
 * The lock is a test-and-test-and-set spin lock: one atomic exchange takes
 * it and a plain release store gives it back. A pthread mutex must use an
 * atomic read-modify-write to unlock as well (to learn whether a thread
 * sleeps on it), and with the calls its uncontended lock/unlock pair cost
 * three times as much (6.5 ns against 2.2 ns, x86-64 VM), which told in a
 * ping-pong that takes the lock three times per message. Spinning suits
 * these critical sections: a few dozen instructions, no allocation, and
 * the waker calls they make, which must not block for long (struct
 * fut_waker_vtable). A contended taker spins on plain loads with a pause,
 * then yields the CPU, as crossbeam-utils' Backoff does, so that a holder
 * that was preempted gets to run. (Yielding does not help a holder of
 * lower real-time priority than the taker: threads at different
 * SCHED_FIFO priorities should not share a channel.)
 */
#define SPIN_LIMIT 64

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

static void
lock_contended(unsigned int *lock)
{
    unsigned int spins = 0;

    do {
        while (__atomic_load_n(lock, __ATOMIC_RELAXED) != 0) {
            if (spins < SPIN_LIMIT) {
                spins++;
                cpu_relax();
            } else {
                sched_yield();
            }
        }
    } while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE) != 0);
}

static inline void
chan_lock(struct mpsc_chan *c)
{
    if (FUT__UNLIKELY(__atomic_exchange_n(&c->lock, 1, __ATOMIC_ACQUIRE) != 0))
        lock_contended(&c->lock);
}

static inline void
chan_unlock(struct mpsc_chan *c)
{
    __atomic_store_n(&c->lock, 0, __ATOMIC_RELEASE);
}

static size_t
free_slots(const struct mpsc_chan *c)
{
    return c->capacity - c->len - c->reserved;
}

static void
chan_free(struct mpsc_chan *c)
{
    fut__free(c);
}

/* Append @f to the wait queue. Lock held. */
static void
waiter_push(struct mpsc_chan *c, struct fut_mpsc_send *f)
{
    f->prev = c->wait_tail;
    f->next = NULL;
    if (c->wait_tail != NULL)
        c->wait_tail->next = f;
    else
        c->wait_head = f;
    c->wait_tail = f;
    f->queued = 1;
    f->notified = 0;
    if (c->first_unnotified == NULL)
        c->first_unnotified = f;
}

/*
 * Remove @f from the wait queue, giving back its reservation if it had one.
 * The caller runs dispatch() afterwards if a reservation was given back.
 * Lock held.
 */
static void
waiter_unlink(struct mpsc_chan *c, struct fut_mpsc_send *f)
{
    if (f->prev != NULL)
        f->prev->next = f->next;
    else
        c->wait_head = f->next;
    if (f->next != NULL)
        f->next->prev = f->prev;
    else
        c->wait_tail = f->prev;
    if (c->first_unnotified == f)
        c->first_unnotified = f->next;
    if (f->notified) {
        assert(c->reserved > 0);
        c->reserved--;
    }
    f->prev = NULL;
    f->next = NULL;
    f->queued = 0;
    f->notified = 0;
}

/*
 * Promise every unpromised free slot to the oldest waiters not yet
 * notified, and wake them. Called whenever free slots appear: the receiver
 * took a value, or a notified waiter went away without sending (passing its
 * notification on, so no wake-up is lost). Lock held.
 */
static void
dispatch(struct mpsc_chan *c)
{
    while (c->first_unnotified != NULL && free_slots(c) > 0) {
        struct fut_mpsc_send *w = c->first_unnotified;

        c->first_unnotified = w->next;
        w->notified = 1;
        c->reserved++;
        fut_waker_take_wake(&w->waker);
    }
}

/*
 * Copy one value. The sizes of scalars and pointers get an inline copy:
 * a call to memcpy() costs several times such a copy.
 */
static inline void
copy_elem(void *dst, const void *src, size_t size)
{
    switch (size) {
    case 4:
        memcpy(dst, src, 4);
        break;
    case 8:
        memcpy(dst, src, 8);
        break;
    case 16:
        memcpy(dst, src, 16);
        break;
    default:
        memcpy(dst, src, size);
        break;
    }
}

/* Copy @elem into the ring and wake the receiver. Room checked. Lock held. */
static void
push_value(struct mpsc_chan *c, const void *elem)
{
    size_t slot = c->head + c->len; /* both < capacity: no division */

    if (slot >= c->capacity)
        slot -= c->capacity;

    assert(c->len < c->capacity);
    copy_elem(c->buf + slot * c->elem_size, elem, c->elem_size);
    c->len++;
    fut_waker_take_wake(&c->rx_waker);
}

/* Copy the oldest value to @out and offer the freed slot. Lock held. */
static void
take_value(struct mpsc_chan *c, void *out)
{
    assert(c->len > 0);
    copy_elem(out, c->buf + c->head * c->elem_size, c->elem_size);
    if (++c->head == c->capacity)
        c->head = 0;
    c->len--;
    dispatch(c);
}

/* ---- creation and handles ------------------------------------------------ */

static enum fut_poll stream_poll_next(struct fut_stream *self,
                                      struct fut_context *cx, void *item,
                                      int *res);
static void stream_forget_next(struct fut_stream *self,
                               const struct fut_waker *w);
static void stream_note_next(struct fut_stream *self, struct fut_reg *reg);
static void stream_forget_next_reg(struct fut_stream *self,
                                   const struct fut_reg *reg);

static const struct fut_stream_vtable mpsc_stream_vtable = {
    .version = 3,
    .poll_next = stream_poll_next,
    .forget_next = stream_forget_next,
    .note_next = stream_note_next,
    .forget_next_reg = stream_forget_next_reg,
};

int
fut_mpsc_new(struct fut_mpsc_sender *tx, struct fut_mpsc_receiver *rx,
             size_t elem_size, size_t capacity)
{
    struct mpsc_chan *c;

    if (tx != NULL)
        tx->chan = NULL;
    if (rx != NULL) {
        rx->stream.vtable = NULL;
        rx->chan = NULL;
    }
    if (tx == NULL || rx == NULL || elem_size == 0 || capacity == 0 ||
        capacity > FUT__MAX_SIZE / elem_size)
        return -EINVAL;
    c = fut__malloc(sizeof *c + capacity * elem_size);
    if (c == NULL)
        return -ENOMEM;
    /* The header only: slots are written before they are read. */
    memset(c, 0, sizeof *c);
    c->elem_size = elem_size;
    c->capacity = capacity;
    c->senders = 1;
    c->rx_open = 1;
    tx->chan = c;
    rx->stream.vtable = &mpsc_stream_vtable;
    rx->chan = c;
    return 0;
}

int
fut_mpsc_sender_clone(const struct fut_mpsc_sender *tx,
                      struct fut_mpsc_sender *out)
{
    struct mpsc_chan *c;

    /* Cloning into the source handle would lose track of one reference. */
    if (tx == NULL || tx->chan == NULL || out == NULL || out == tx)
        return -EINVAL;
    c = tx->chan;
    chan_lock(c);
    c->senders++;
    chan_unlock(c);
    out->chan = c;
    return 0;
}

void
fut_mpsc_sender_close(struct fut_mpsc_sender *tx)
{
    struct mpsc_chan *c;
    struct fut_mpsc_send *w;
    struct fut_mpsc_send *next;
    int last;

    if (tx == NULL || tx->chan == NULL)
        return;
    c = tx->chan;
    tx->chan = NULL;
    chan_lock(c);
    /*
     * A send future still waiting on this handle could no longer reach the
     * channel to unlink itself when it is dropped (it finds the channel
     * through the handle), so take it out of the queue now; woken, it
     * finishes with -EINVAL. Its notification, if any, goes to the next
     * waiter.
     */
    for (w = c->wait_head; w != NULL; w = next) {
        next = w->next;
        if (w->tx == tx) {
            waiter_unlink(c, w);
            fut_waker_take_wake(&w->waker);
        }
    }
    dispatch(c);
    assert(c->senders > 0);
    c->senders--;
    if (c->senders == 0)
        fut_waker_take_wake(&c->rx_waker); /* end of stream once drained */
    last = c->senders == 0 && !c->rx_open;
    chan_unlock(c);
    if (last)
        chan_free(c);
}

void
fut_mpsc_receiver_close(struct fut_mpsc_receiver *rx)
{
    struct mpsc_chan *c;
    struct fut_mpsc_send *w;
    int last;

    if (rx == NULL || rx->chan == NULL)
        return;
    c = rx->chan;
    rx->chan = NULL;
    chan_lock(c);
    c->rx_open = 0;
    c->len = 0; /* buffered values are discarded */
    c->head = 0;
    /* Every waiting sender learns at its next poll that it got -EPIPE. */
    while ((w = c->wait_head) != NULL) {
        waiter_unlink(c, w);
        fut_waker_take_wake(&w->waker);
    }
    assert(c->reserved == 0);
    fut_waker_drop(&c->rx_waker);
    last = c->senders == 0;
    chan_unlock(c);
    if (last)
        chan_free(c);
}

/* ---- sending ------------------------------------------------------------- */

int
fut_mpsc_try_send(struct fut_mpsc_sender *tx, const void *elem)
{
    struct mpsc_chan *c;
    int err;

    if (tx == NULL || tx->chan == NULL || elem == NULL)
        return -EINVAL;
    c = tx->chan;
    chan_lock(c);
    if (!c->rx_open) {
        err = -EPIPE;
    } else if (free_slots(c) == 0) {
        /* Full, or every free slot is promised to a waiting sender. */
        err = -EAGAIN;
    } else {
        push_value(c, elem);
        err = 0;
    }
    chan_unlock(c);
    return err;
}

static enum fut_poll
send_poll(struct fut_future *self, struct fut_context *cx)
{
    struct fut_mpsc_send *f = (struct fut_mpsc_send *)self;
    struct mpsc_chan *c;
    int may_send;

    if (f->res != SEND_UNFINISHED)
        return FUT_READY;
    c = f->tx->chan;
    if (c == NULL) {
        /* The sender was closed under us; closing unlinked us already. */
        fut_waker_drop(&f->waker);
        f->res = -EINVAL;
        return FUT_READY;
    }
    chan_lock(c);
    if (!c->rx_open) {
        if (f->queued)
            waiter_unlink(c, f);
        fut_waker_drop(&f->waker);
        chan_unlock(c);
        f->res = -EPIPE;
        return FUT_READY;
    }
    /* A waiter sends only into the slot promised to it; a newcomer only into
     * a free slot nobody waits for. */
    may_send = f->queued ? f->notified : free_slots(c) > 0;
    if (!may_send) {
        if (!f->queued)
            waiter_push(c, f);
        fut_waker_set(&f->waker, cx->waker);
        chan_unlock(c);
        return FUT_PENDING;
    }
    if (!fut_coop_proceed(cx)) {
        /* Out of budget: our waker was woken, and a promised slot stays
         * ours until the next poll. */
        chan_unlock(c);
        return FUT_PENDING;
    }
    if (f->queued)
        waiter_unlink(c, f); /* gives back the slot we fill right now */
    push_value(c, f->elem);
    fut_waker_drop(&f->waker);
    chan_unlock(c);
    f->res = 0;
    return FUT_READY;
}

static void
send_drop(struct fut_future *self)
{
    struct fut_mpsc_send *f = (struct fut_mpsc_send *)self;
    struct mpsc_chan *c = f->tx->chan;

    if (c == NULL) {
        /* Closing the sender unlinked us; no other thread can see us. */
        fut_waker_drop(&f->waker);
        return;
    }
    chan_lock(c);
    if (f->queued) {
        int was_notified = f->notified;

        waiter_unlink(c, f);
        /* Cancelled after being notified: pass the wake-up on. */
        if (was_notified)
            dispatch(c);
    }
    fut_waker_drop(&f->waker);
    chan_unlock(c);
}

static int
send_result(const struct fut_future *self)
{
    const struct fut_mpsc_send *f = (const struct fut_mpsc_send *)self;

    return f->res == SEND_UNFINISHED ? -EAGAIN : f->res;
}

static const struct fut_future_vtable send_vtable = {
    .poll = send_poll,
    .drop = send_drop,
    .result = send_result,
};

int
fut_mpsc_send_init(struct fut_mpsc_send *f, struct fut_mpsc_sender *tx,
                   const void *elem)
{
    if (f == NULL)
        return -EINVAL;
    /* A future whose init failed is inert: polling and dropping it is
     * harmless. */
    f->base.vtable = NULL;
    if (tx == NULL || tx->chan == NULL || elem == NULL)
        return -EINVAL;
    f->tx = tx;
    f->elem = elem;
    f->res = SEND_UNFINISHED;
    f->prev = NULL;
    f->next = NULL;
    f->waker.vtable = NULL;
    f->waker.data = NULL;
    f->queued = 0;
    f->notified = 0;
    f->base.vtable = &send_vtable;
    return 0;
}

/* ---- receiving ----------------------------------------------------------- */

int
fut_mpsc_try_recv(struct fut_mpsc_receiver *rx, void *out)
{
    struct mpsc_chan *c;
    int err;

    if (rx == NULL || rx->chan == NULL || out == NULL)
        return -EINVAL;
    c = rx->chan;
    chan_lock(c);
    if (c->len > 0) {
        take_value(c, out);
        err = 0;
    } else {
        err = c->senders == 0 ? -EPIPE : -EAGAIN;
    }
    chan_unlock(c);
    return err;
}

/*
 * The receive poll. When it stores cx's waker and @reg is not NULL, it
 * records that registration in @reg under the same lock (the recv
 * future's note, without taking the lock a second time); otherwise @reg
 * is left as the caller cleared it.
 */
static enum fut_poll
poll_recv(struct fut_mpsc_receiver *rx, struct fut_context *cx, void *out,
          int *res, struct fut_reg *reg)
{
    struct mpsc_chan *c;

    if (res == NULL)
        return FUT_READY;
    if (rx == NULL || rx->chan == NULL || cx == NULL || out == NULL) {
        *res = -EINVAL;
        return FUT_READY;
    }
    c = rx->chan;
    chan_lock(c);
    if (c->len > 0) {
        if (!fut_coop_proceed(cx)) {
            chan_unlock(c);
            return FUT_PENDING;
        }
        take_value(c, out);
        *res = 1;
    } else if (c->senders == 0) {
        *res = 0;
    } else {
        fut_waker_set(&c->rx_waker, cx->waker);
        c->rx_id = fut_reg_next(c->rx_id);
        if (reg != NULL) {
            reg->waker = *cx->waker;
            reg->id = c->rx_id;
        }
        chan_unlock(c);
        return FUT_PENDING;
    }
    /*
     * A poller that got its answer needs no wake-up; keeping its waker
     * would leave it pointing into storage its owner may free once the
     * receiving future is done.
     */
    fut_waker_drop(&c->rx_waker);
    chan_unlock(c);
    return FUT_READY;
}

enum fut_poll
fut_mpsc_poll_recv(struct fut_mpsc_receiver *rx, struct fut_context *cx,
                   void *out, int *res)
{
    return poll_recv(rx, cx, out, res, NULL);
}

static enum fut_poll
stream_poll_next(struct fut_stream *self, struct fut_context *cx, void *item,
                 int *res)
{
    struct fut_mpsc_receiver *rx =
        FUT_CONTAINER_OF(self, struct fut_mpsc_receiver, stream);

    return fut_mpsc_poll_recv(rx, cx, item, res);
}

/*
 * A future that polled the stream is being dropped: withdraw its waker, as
 * recv_drop() does for the receive future, but only if it is that one (the
 * receiver may have been polled by someone else since). Dropped under the
 * lock, like every waker here, since a sender may be taking it.
 */
static void
stream_forget_next(struct fut_stream *self, const struct fut_waker *w)
{
    struct fut_mpsc_receiver *rx =
        FUT_CONTAINER_OF(self, struct fut_mpsc_receiver, stream);
    struct mpsc_chan *c = rx->chan;

    if (c == NULL)
        return;
    chan_lock(c);
    if (c->rx_waker.vtable != NULL && fut_waker_will_wake(&c->rx_waker, w))
        fut_waker_drop(&c->rx_waker);
    chan_unlock(c);
}

/*
 * The numbered forms (struct fut_reg). A sender may take the waker between
 * the PENDING poll and the note; the note then finds the slot empty and
 * gives 0, which withdraws nothing later: right, since that registration
 * is gone. A coop yield happens only with values buffered, when the slot
 * is empty (the sender that buffered one took it).
 */
static void
chan_note(struct mpsc_chan *c, struct fut_reg *reg)
{
    if (c == NULL)
        return;
    chan_lock(c);
    reg->id = c->rx_waker.vtable != NULL ? c->rx_id : 0;
    chan_unlock(c);
}

static void
chan_forget_reg(struct mpsc_chan *c, const struct fut_reg *reg)
{
    if (c == NULL || reg->id == 0)
        return;
    chan_lock(c);
    if (c->rx_waker.vtable != NULL && c->rx_id == reg->id &&
        fut_waker_will_wake(&c->rx_waker, &reg->waker))
        fut_waker_drop(&c->rx_waker);
    chan_unlock(c);
}

static void
stream_note_next(struct fut_stream *self, struct fut_reg *reg)
{
    chan_note(FUT_CONTAINER_OF(self, struct fut_mpsc_receiver, stream)->chan,
              reg);
}

static void
stream_forget_next_reg(struct fut_stream *self, const struct fut_reg *reg)
{
    chan_forget_reg(
        FUT_CONTAINER_OF(self, struct fut_mpsc_receiver, stream)->chan, reg);
}

static enum fut_poll
recv_poll(struct fut_future *self, struct fut_context *cx)
{
    struct fut_mpsc_recv *f = (struct fut_mpsc_recv *)self;
    int res;

    if (f->res != RECV_UNFINISHED)
        return FUT_READY;
    /* f->reg names the last registration this future made (cleared at
     * init); a PENDING poll that stored nothing (a coop yield) leaves the
     * older number, whose forget finds a newer number or an empty slot. */
    if (poll_recv(f->rx, cx, f->out, &res, &f->reg) == FUT_PENDING)
        return FUT_PENDING;
    f->res = res;
    return FUT_READY;
}

static void
recv_drop(struct fut_future *self)
{
    struct fut_mpsc_recv *f = (struct fut_mpsc_recv *)self;
    struct mpsc_chan *c = f->rx->chan;

    /* Only a pending receive can have left its waker in the channel, and
     * only its own registration goes: another receive future of the same
     * task (or another poller) may have stored a newer one since. */
    if (f->res != RECV_UNFINISHED || c == NULL)
        return;
    chan_forget_reg(c, &f->reg);
}

static int
recv_result(const struct fut_future *self)
{
    const struct fut_mpsc_recv *f = (const struct fut_mpsc_recv *)self;

    if (f->res == RECV_UNFINISHED)
        return -EAGAIN;
    if (f->res == 1)
        return 0;
    if (f->res == 0)
        return -EPIPE;
    return f->res;
}

static const struct fut_future_vtable recv_vtable = {
    .poll = recv_poll,
    .drop = recv_drop,
    .result = recv_result,
};

int
fut_mpsc_recv_init(struct fut_mpsc_recv *f, struct fut_mpsc_receiver *rx,
                   void *out)
{
    if (f == NULL)
        return -EINVAL;
    f->base.vtable = NULL;
    if (rx == NULL || rx->chan == NULL || out == NULL)
        return -EINVAL;
    f->rx = rx;
    f->out = out;
    f->res = RECV_UNFINISHED;
    fut_reg_clear(&f->reg);
    f->base.vtable = &recv_vtable;
    return 0;
}
