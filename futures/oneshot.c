/* SPDX-License-Identifier: MIT */
/* The oneshot channel: one value, sent once, received once (fut_oneshot_*). */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

/*
 * The shared state is one allocation: this header followed by the value
 * slot. The two handles may live on different threads, so every field is
 * guarded by `lock`. As in mpsc.c, the receiver's waker is woken and dropped
 * with the lock held: the receiving future may drop it and free the storage
 * it points into as soon as it holds the lock itself, and a waker never calls
 * back into the channel.
 */
enum oneshot_state {
    ONESHOT_EMPTY, /* nothing sent yet */
    ONESHOT_FULL,  /* a value waits in the slot */
    ONESHOT_TAKEN  /* the value was received */
};

struct oneshot_chan {
    pthread_mutex_t lock;
    size_t elem_size;
    enum oneshot_state state;
    int tx_open;
    int rx_open;
    struct fut_waker rx_waker; /* the receiver's poller, while it waits */
    unsigned char value[];
};

/* f->res of a receive future that has not finished (READY gives 0 or
 * -errno). */
#define RECV_UNFINISHED 1

static void
chan_free(struct oneshot_chan *c)
{
    pthread_mutex_destroy(&c->lock);
    fut__free(c);
}

/* Take the value into @out: 0, -EAGAIN or -EPIPE. Lock held. */
static int
take_value(struct oneshot_chan *c, void *out)
{
    switch (c->state) {
    case ONESHOT_FULL:
        memcpy(out, c->value, c->elem_size);
        c->state = ONESHOT_TAKEN;
        return 0;
    case ONESHOT_EMPTY:
        return c->tx_open ? -EAGAIN : -EPIPE;
    case ONESHOT_TAKEN:
        break;
    }
    return -EPIPE;
}

int
fut_oneshot_new(struct fut_oneshot_sender *tx, struct fut_oneshot_receiver *rx,
                size_t elem_size)
{
    struct oneshot_chan *c;
    int err;

    if (tx != NULL)
        tx->chan = NULL;
    if (rx != NULL)
        rx->chan = NULL;
    if (tx == NULL || rx == NULL || elem_size == 0 ||
        elem_size > FUT__MAX_SIZE)
        return -EINVAL;
    c = fut__malloc(sizeof *c + elem_size);
    if (c == NULL)
        return -ENOMEM;
    err = pthread_mutex_init(&c->lock, NULL);
    if (err != 0) {
        fut__free(c);
        return -err;
    }
    c->elem_size = elem_size;
    c->state = ONESHOT_EMPTY;
    c->tx_open = 1;
    c->rx_open = 1;
    c->rx_waker.vtable = NULL;
    c->rx_waker.data = NULL;
    tx->chan = c;
    rx->chan = c;
    return 0;
}

/* ---- sender -------------------------------------------------------------- */

/*
 * Close the sender, delivering @value first if it is not NULL and the
 * receiver is still there. Returns 0, or -EPIPE if @value was not delivered.
 */
static int
sender_finish(struct fut_oneshot_sender *tx, const void *value)
{
    struct oneshot_chan *c = tx->chan;
    int err = 0;
    int last;

    tx->chan = NULL;
    pthread_mutex_lock(&c->lock);
    c->tx_open = 0;
    if (value != NULL) {
        if (c->rx_open) {
            memcpy(c->value, value, c->elem_size);
            c->state = ONESHOT_FULL;
        } else {
            err = -EPIPE;
        }
    }
    /* Either a value or the news that none will come. */
    fut_waker_take_wake(&c->rx_waker);
    last = !c->rx_open;
    pthread_mutex_unlock(&c->lock);
    if (last)
        chan_free(c);
    return err;
}

int
fut_oneshot_send(struct fut_oneshot_sender *tx, const void *value)
{
    if (tx == NULL || tx->chan == NULL || value == NULL)
        return -EINVAL;
    return sender_finish(tx, value);
}

int
fut_oneshot_sender_is_closed(const struct fut_oneshot_sender *tx)
{
    struct oneshot_chan *c;
    int closed;

    if (tx == NULL || tx->chan == NULL)
        return -EINVAL;
    c = tx->chan;
    pthread_mutex_lock(&c->lock);
    closed = !c->rx_open;
    pthread_mutex_unlock(&c->lock);
    return closed;
}

void
fut_oneshot_sender_close(struct fut_oneshot_sender *tx)
{
    if (tx == NULL || tx->chan == NULL)
        return;
    (void)sender_finish(tx, NULL);
}

/* ---- receiver ------------------------------------------------------------ */

int
fut_oneshot_try_recv(struct fut_oneshot_receiver *rx, void *out)
{
    struct oneshot_chan *c;
    int err;

    if (rx == NULL || rx->chan == NULL || out == NULL)
        return -EINVAL;
    c = rx->chan;
    pthread_mutex_lock(&c->lock);
    err = take_value(c, out);
    pthread_mutex_unlock(&c->lock);
    return err;
}

void
fut_oneshot_receiver_close(struct fut_oneshot_receiver *rx)
{
    struct oneshot_chan *c;
    int last;

    if (rx == NULL || rx->chan == NULL)
        return;
    c = rx->chan;
    rx->chan = NULL;
    pthread_mutex_lock(&c->lock);
    c->rx_open = 0;
    fut_waker_drop(&c->rx_waker);
    last = !c->tx_open;
    pthread_mutex_unlock(&c->lock);
    if (last)
        chan_free(c);
}

static enum fut_poll
recv_poll(struct fut_future *self, struct fut_context *cx)
{
    struct fut_oneshot_recv *f = (struct fut_oneshot_recv *)self;
    struct oneshot_chan *c;
    int err;

    if (f->res != RECV_UNFINISHED)
        return FUT_READY;
    c = f->rx->chan;
    if (c == NULL) {
        f->res = -EINVAL;
        return FUT_READY;
    }
    pthread_mutex_lock(&c->lock);
    err = take_value(c, f->out);
    if (err == -EAGAIN) {
        fut_waker_set(&c->rx_waker, cx->waker);
        pthread_mutex_unlock(&c->lock);
        return FUT_PENDING;
    }
    fut_waker_drop(&c->rx_waker);
    pthread_mutex_unlock(&c->lock);
    f->res = err;
    return FUT_READY;
}

static void
recv_drop(struct fut_future *self)
{
    struct fut_oneshot_recv *f = (struct fut_oneshot_recv *)self;
    struct oneshot_chan *c = f->rx->chan;

    /* Only a pending receive can have left its waker in the channel. */
    if (f->res != RECV_UNFINISHED || c == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    fut_waker_drop(&c->rx_waker);
    pthread_mutex_unlock(&c->lock);
}

static int
recv_result(const struct fut_future *self)
{
    const struct fut_oneshot_recv *f = (const struct fut_oneshot_recv *)self;

    return f->res == RECV_UNFINISHED ? -EAGAIN : f->res;
}

static const struct fut_future_vtable recv_vtable = {
    .poll = recv_poll,
    .drop = recv_drop,
    .result = recv_result,
};

int
fut_oneshot_recv_init(struct fut_oneshot_recv *f,
                      struct fut_oneshot_receiver *rx, void *out)
{
    if (f == NULL)
        return -EINVAL;
    /* A future whose init failed is inert: polling and dropping it is
     * harmless. */
    f->base.vtable = NULL;
    if (rx == NULL || rx->chan == NULL || out == NULL)
        return -EINVAL;
    f->rx = rx;
    f->out = out;
    f->res = RECV_UNFINISHED;
    f->base.vtable = &recv_vtable;
    return 0;
}
