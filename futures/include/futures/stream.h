/* SPDX-License-Identifier: MIT */
/* The Stream trait: a source of items over time. */
#ifndef FUTURES_STREAM_H
#define FUTURES_STREAM_H

#include <errno.h>

#include "future.h"

FUT__BEGIN_DECLS

struct fut_stream;

/**
 * struct fut_stream_vtable - what a stream implements.
 *
 * Implementation (version 2; fields only appended, and read only when
 * @version has them, so tables written for version 1 keep working):
 * - @poll_next: READY with *@res = 1 when an item was written to @item
 *   (whose size the stream documents), *@res = 0 at the end of the stream
 *   (and at every later poll), or *@res < 0 (a negative errno) on error.
 *   PENDING: no item yet; cx->waker is registered. A stream is cancel-safe
 *   per poll: returning PENDING loses nothing.
 * - @forget_next (version 2; may be NULL): remove a waker that an earlier
 *   PENDING poll_next stored, if it will_wake(@w); leave any other waker
 *   alone. Called by futures from their drop function (through
 *   fut_stream_forget()), because the waker may point into storage that
 *   is freed right after the drop (a join's or select's child waker). NULL
 *   is right only for streams that store no waker, or only wakers they own
 *   a reference to. Cannot fail. Knowing only the waker, it cannot tell
 *   a stale future from a newer one of the same task; see version 3.
 * - @note_next, @forget_next_reg (version 3; both NULL or neither): as
 *   @note_read and @forget_read_reg of struct fut_async_read_vtable: the
 *   first sets @reg->id to the number of the registration the PENDING
 *   poll_next just stored (0 if it stored none and left the slot empty);
 *   the second withdraws the waker only if it is still that registration.
 *   The wrappers prefer them to @forget_next.
 */
struct fut_stream_vtable {
    unsigned int version;
    enum fut_poll (*poll_next)(struct fut_stream *self,
                               struct fut_context *cx, void *item, int *res);
    void (*forget_next)(struct fut_stream *self, const struct fut_waker *w);
    void (*note_next)(struct fut_stream *self, struct fut_reg *reg);
    void (*forget_next_reg)(struct fut_stream *self,
                            const struct fut_reg *reg);
};

/** struct fut_stream - embed it in any object that produces items. */
struct fut_stream {
    const struct fut_stream_vtable *vtable;
};

/**
 * fut_stream_poll_next - the one wrapper around the vtable.
 * NULL @s, @cx or @res, or an @item of NULL: READY with *@res = -EINVAL
 * (when @res itself is NULL there is nowhere to report, and READY is all).
 */
static inline enum fut_poll
fut_stream_poll_next(struct fut_stream *s, struct fut_context *cx,
                     void *item, int *res)
{
    if (res == NULL)
        return FUT_READY;
    if (s == NULL || s->vtable == NULL || cx == NULL || item == NULL) {
        *res = -EINVAL;
        return FUT_READY;
    }
    return s->vtable->poll_next(s, cx, item, res);
}

/**
 * fut_stream_forget - withdraw from @s the waker @w (borrowed, only
 * compared) that a PENDING poll_next left there; see @forget_next.
 *
 * Code that polls a stream directly and may be dropped while pending calls
 * this from its drop function with a copy of the cx->waker of its last
 * PENDING poll. Does nothing for NULL arguments, an empty @w, or a stream
 * whose vtable is older than version 2 or has no slot.
 */
static inline void
fut_stream_forget(struct fut_stream *s, const struct fut_waker *w)
{
    if (s == NULL || s->vtable == NULL || w == NULL || w->vtable == NULL)
        return;
    if (s->vtable->version < 2 || s->vtable->forget_next == NULL)
        return;
    s->vtable->forget_next(s, w);
}

/**
 * fut_stream_note - record in @reg (written) which registration the
 * PENDING poll_next on @s just made: a plain copy of *cx->waker and the
 * number @note_next gives it (0 for a table older than version 3, or when
 * that poll stored no waker). Call it right after the PENDING poll and
 * keep @reg for fut_stream_forget_reg(). NULL @s, @cx or cx->waker: @reg
 * (if not NULL) is cleared. Called by the thread that polls @s.
 */
static inline void
fut_stream_note(struct fut_stream *s, const struct fut_context *cx,
                struct fut_reg *reg)
{
    if (reg == NULL)
        return;
    fut_reg_clear(reg);
    if (s == NULL || s->vtable == NULL || cx == NULL || cx->waker == NULL)
        return;
    reg->waker = *cx->waker;
    if (s->vtable->version >= 3 && s->vtable->note_next != NULL)
        s->vtable->note_next(s, reg);
}

/**
 * fut_stream_forget_reg - withdraw from @s the registration @reg
 * (borrowed) recorded, if it is still the one @s holds.
 *
 * Code that polls a stream directly and may be dropped while pending calls
 * this from its drop function (and when it finishes) with the @reg of its
 * last PENDING poll. A version 3 stream withdraws only that registration,
 * so the drop of a stale future leaves alone the waker a newer future of
 * the same task stored; an older one is asked through @forget_next with
 * @reg->waker. Does nothing for NULL arguments, an empty @reg->waker or a
 * stream without the slot. Cannot fail.
 */
static inline void
fut_stream_forget_reg(struct fut_stream *s, const struct fut_reg *reg)
{
    if (s == NULL || s->vtable == NULL || reg == NULL ||
        reg->waker.vtable == NULL)
        return;
    if (s->vtable->version >= 3 && s->vtable->forget_next_reg != NULL) {
        if (reg->id != 0)
            s->vtable->forget_next_reg(s, reg);
        return;
    }
    fut_stream_forget(s, &reg->waker);
}

/**
 * struct fut_stream_next - a future for the next item of a stream.
 * @res: after READY: 1 (item written), 0 (end) or -errno.
 * Borrows the stream and @item. Cancel-safe. Result: @res if negative,
 * else 0. Dropped while pending, it withdraws its waker from the stream.
 * @reg is private: the registration its last PENDING poll left in the
 * stream (fut_stream_note()), for fut_stream_forget_reg().
 */
struct fut_stream_next {
    struct fut_future base;
    struct fut_stream *stream;
    void *item;
    int res;
    struct fut_reg reg; /* private */
};

/** fut_stream_next_init - returns 0, or -EINVAL for a NULL argument. */
FUT_API int fut_stream_next_init(struct fut_stream_next *n,
                                 struct fut_stream *s, void *item);

FUT__END_DECLS

#endif /* FUTURES_STREAM_H */
