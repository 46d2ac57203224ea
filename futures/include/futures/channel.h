/* SPDX-License-Identifier: MIT */
/* Channels: oneshot and bounded multi-producer single-consumer. */
#ifndef FUTURES_CHANNEL_H
#define FUTURES_CHANNEL_H

#include "future.h"
#include "stream.h"

FUT__BEGIN_DECLS

/*
 * Values are copied in and out bytewise (elem_size bytes each). Each handle
 * (sender, receiver) is a small struct the caller embeds; the channel's
 * shared state is one allocation made at creation and freed when the last
 * handle is closed. A handle is used by one thread at a time, but the two
 * sides may live on different threads and runtimes: the shared state is
 * locked, and wakes cross threads through the wakers. (The mpsc lock is a
 * spin lock held for a few dozen instructions plus the waker calls made
 * under it; a thread that finds it taken spins briefly, then yields the
 * CPU; it never sleeps in the kernel on it.) Every handle must be
 * closed exactly once (a closed handle's chan is NULL; using it gives
 * -EINVAL). Closing either side wakes the other.
 */

/* ------------------------------------------------------------------------ */
/* Oneshot                                                                  */
/* ------------------------------------------------------------------------ */

/** struct fut_oneshot_sender - the sending half of a oneshot. Private. */
struct fut_oneshot_sender {
    void *chan;
};

/** struct fut_oneshot_receiver - the receiving half of a oneshot. Private. */
struct fut_oneshot_receiver {
    void *chan;
};

/**
 * fut_oneshot_new - a channel for one value of @elem_size bytes.
 * Returns 0, -EINVAL (NULL, @elem_size 0 or over 1 GiB) or -ENOMEM.
 */
FUT_API int fut_oneshot_new(struct fut_oneshot_sender *tx,
                            struct fut_oneshot_receiver *rx,
                            size_t elem_size);

/**
 * fut_oneshot_send - send @value (copied) and close the sender.
 * Never waits. Returns 0, -EPIPE if the receiver was closed (the value is
 * not delivered; the sender is closed all the same), or -EINVAL.
 */
FUT_API int fut_oneshot_send(struct fut_oneshot_sender *tx,
                             const void *value);

/** fut_oneshot_sender_is_closed - 1 once the receiver is gone. */
FUT_API int fut_oneshot_sender_is_closed(const struct fut_oneshot_sender *tx);

/**
 * fut_oneshot_sender_close - close without sending: the receiver gets
 * -EPIPE. NULL or an already-closed handle is ignored.
 */
FUT_API void fut_oneshot_sender_close(struct fut_oneshot_sender *tx);

/**
 * fut_oneshot_try_recv - take the value if it is there.
 * Returns 0 (value copied to @out), -EAGAIN (not yet), -EPIPE (the sender
 * closed without sending, or the value was already taken), -EINVAL.
 */
FUT_API int fut_oneshot_try_recv(struct fut_oneshot_receiver *rx, void *out);

/**
 * struct fut_oneshot_recv - a future for the value.
 * @res: after READY, 0 (value in @out) or -EPIPE (no value will come).
 * Cancel-safe: a value not yet taken stays in the channel.
 */
struct fut_oneshot_recv {
    struct fut_future base;
    struct fut_oneshot_receiver *rx;
    void *out;
    int res;
};

/** fut_oneshot_recv_init - returns 0 or -EINVAL. */
FUT_API int fut_oneshot_recv_init(struct fut_oneshot_recv *f,
                                  struct fut_oneshot_receiver *rx, void *out);

/** fut_oneshot_receiver_close - close the receiver; a later send fails. */
FUT_API void fut_oneshot_receiver_close(struct fut_oneshot_receiver *rx);

/* ------------------------------------------------------------------------ */
/* Bounded mpsc                                                             */
/* ------------------------------------------------------------------------ */

/** struct fut_mpsc_sender - one sender; clone for more. Private. */
struct fut_mpsc_sender {
    void *chan;
};

/**
 * struct fut_mpsc_receiver - the receiver. It is a Stream (@stream) whose
 * items are elem_size bytes; the stream ends once every sender is closed
 * and the buffer is drained. Private otherwise.
 */
struct fut_mpsc_receiver {
    struct fut_stream stream;
    void *chan;
};

/**
 * fut_mpsc_new - a channel buffering up to @capacity values of @elem_size.
 * Returns 0, -EINVAL (NULL, zero sizes, or capacity * elem_size over
 * 1 GiB) or -ENOMEM.
 */
FUT_API int fut_mpsc_new(struct fut_mpsc_sender *tx,
                         struct fut_mpsc_receiver *rx, size_t elem_size,
                         size_t capacity);

/** fut_mpsc_sender_clone - another sender into @out. 0 or -EINVAL. */
FUT_API int fut_mpsc_sender_clone(const struct fut_mpsc_sender *tx,
                                  struct fut_mpsc_sender *out);

/**
 * fut_mpsc_sender_close - close this sender. When the last one closes, the
 * receiver sees the end of the stream after draining. NULL or closed: ignored.
 */
FUT_API void fut_mpsc_sender_close(struct fut_mpsc_sender *tx);

/**
 * fut_mpsc_try_send - send without waiting.
 * Returns 0, -EAGAIN (full), -EPIPE (receiver closed) or -EINVAL.
 */
FUT_API int fut_mpsc_try_send(struct fut_mpsc_sender *tx, const void *elem);

/**
 * struct fut_mpsc_send - a future that sends one value, waiting for room.
 * @res: after READY, 0 (sent) or -EPIPE (receiver closed; not sent).
 * The value is copied from @elem when it is sent, so @elem is borrowed
 * until READY or drop. Cancel-safe: if dropped while waiting, nothing was
 * sent. Waiting senders are served in order. Fields after @res are private.
 */
struct fut_mpsc_send {
    struct fut_future base;
    struct fut_mpsc_sender *tx;
    const void *elem;
    int res;
    struct fut_mpsc_send *prev, *next;
    struct fut_waker waker;
    int queued;
    int notified;
};

/** fut_mpsc_send_init - returns 0 or -EINVAL. */
FUT_API int fut_mpsc_send_init(struct fut_mpsc_send *f,
                               struct fut_mpsc_sender *tx, const void *elem);

/**
 * fut_mpsc_try_recv - take a value if one is buffered.
 * Returns 0 (copied to @out), -EAGAIN (empty), -EPIPE (empty and every
 * sender closed) or -EINVAL.
 */
FUT_API int fut_mpsc_try_recv(struct fut_mpsc_receiver *rx, void *out);

/**
 * fut_mpsc_poll_recv - receive one value.
 * READY with *@res = 1 (value in @out), 0 (end: every sender closed and
 * the buffer empty) or -EINVAL. PENDING: empty; cx->waker is registered.
 * Cancel-safe. Spends coop budget on the ready path.
 */
FUT_API enum fut_poll fut_mpsc_poll_recv(struct fut_mpsc_receiver *rx,
                                         struct fut_context *cx, void *out,
                                         int *res);

/**
 * struct fut_mpsc_recv - fut_mpsc_poll_recv() as a future.
 * @res: after READY, 1 (value in @out), 0 (end) or -errno. Result: 0 for a
 * value, -EPIPE at the end, or the error.
 */
struct fut_mpsc_recv {
    struct fut_future base;
    struct fut_mpsc_receiver *rx;
    void *out;
    int res;
    struct fut_reg reg; /* private: its registration (struct fut_reg) */
};

/** fut_mpsc_recv_init - returns 0 or -EINVAL. */
FUT_API int fut_mpsc_recv_init(struct fut_mpsc_recv *f,
                               struct fut_mpsc_receiver *rx, void *out);

/**
 * fut_mpsc_receiver_close - close the receiver: buffered values are
 * discarded, waiting and later sends fail with -EPIPE. NULL or closed:
 * ignored.
 */
FUT_API void fut_mpsc_receiver_close(struct fut_mpsc_receiver *rx);

FUT__END_DECLS

#endif /* FUTURES_CHANNEL_H */
