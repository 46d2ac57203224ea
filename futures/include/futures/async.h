/* SPDX-License-Identifier: MIT */
/* Straight-line futures: write a poll function as a sequence of awaits. */
#ifndef FUTURES_ASYNC_H
#define FUTURES_ASYNC_H

#include "future.h"

FUT__BEGIN_DECLS

/*
 * A poll function written with these macros reads top to bottom like an
 * async fn. The future's struct holds an `int` resume point (0 before the
 * first poll) and every variable that must live across an await; each
 * FUT_AWAIT is a point where the poll may return PENDING and resume later.
 * See docs/writing-futures.md.
 *
 *     struct greet {
 *         struct fut_future base;
 *         int state;                     // resume point, starts at 0
 *         struct fut_sleep sleep;        // locals that cross an await
 *         int i;
 *     };
 *
 *     static enum fut_poll
 *     greet_poll(struct fut_future *f, struct fut_context *cx)
 *     {
 *         struct greet *g = (struct greet *)f;
 *         FUT_ASYNC_BEGIN(&g->state);
 *         for (g->i = 0; g->i < 3; g->i++) {
 *             fut_sleep_init(&g->sleep, 1000000);
 *             FUT_AWAIT_FUTURE(&g->state, &g->sleep.base, cx);
 *             printf("tick %d\n", g->i);
 *         }
 *         FUT_ASYNC_END(&g->state);
 *     }
 *
 * Rules: C locals do not survive an await (keep them in the struct); two
 * awaits may not share a source line; a `switch` statement of your own may
 * not contain an await; the drop function must drop whichever child future
 * is live at the current resume point (children that are always dropped
 * with fut_future_drop() are safe to drop in any state, since dropping a
 * dropped or never-initialised-but-zeroed future does nothing).
 */

/* The resume point of a finished future. */
#define FUT_ASYNC_DONE (-1)

#if defined(__cplusplus) && __cplusplus >= 201703L
#define FUT__FALLTHROUGH [[fallthrough]]
#elif defined(__GNUC__) && __GNUC__ >= 7 || defined(__clang__)
#define FUT__FALLTHROUGH __attribute__((fallthrough))
#else
#define FUT__FALLTHROUGH ((void)0)
#endif

/** FUT_ASYNC_BEGIN - open the body; a finished future returns READY again. */
#define FUT_ASYNC_BEGIN(st)                                                 \
    switch (*(st)) {                                                        \
    default:                                                                \
        return FUT_READY;                                                   \
    case 0:

/**
 * FUT_AWAIT - evaluate @poll_expr (an expression of type enum fut_poll,
 * such as a child's fut_future_poll() or a trait's poll_read) until it is
 * READY, returning PENDING from the enclosing poll function meanwhile.
 */
#define FUT_AWAIT(st, poll_expr)                                            \
    do {                                                                    \
        *(st) = __LINE__;                                                   \
        FUT__FALLTHROUGH;                                                   \
    case __LINE__:                                                          \
        if ((poll_expr) == FUT_PENDING)                                     \
            return FUT_PENDING;                                             \
    } while (0)

/** FUT_AWAIT_FUTURE - poll the child future @fut until it is READY. */
#define FUT_AWAIT_FUTURE(st, fut, cx) FUT_AWAIT(st, fut_future_poll((fut), (cx)))

/**
 * FUT_YIELD - give other tasks a turn: wake our own waker, return PENDING
 * once, and go on from here when polled again.
 */
#define FUT_YIELD(st, cx)                                                   \
    do {                                                                    \
        *(st) = __LINE__;                                                   \
        fut_waker_wake_by_ref((cx)->waker);                                 \
        return FUT_PENDING;                                                 \
    case __LINE__:;                                                         \
    } while (0)

/** FUT_ASYNC_RETURN - finish now: READY, and READY again on later polls. */
#define FUT_ASYNC_RETURN(st)                                                \
    do {                                                                    \
        *(st) = FUT_ASYNC_DONE;                                             \
        return FUT_READY;                                                   \
    } while (0)

/** FUT_ASYNC_END - close the body: falling off the end finishes. */
#define FUT_ASYNC_END(st)                                                   \
    }                                                                       \
    *(st) = FUT_ASYNC_DONE;                                                 \
    return FUT_READY

/* ==== Async frames ========================================================
 *
 * The macros above leave the bookkeeping to you: which child is live at
 * which resume point, dropping it, and a drop function that mirrors the
 * body. An async frame does that bookkeeping. A framed future declares
 * FUT_FRAME as its first member and writes its poll function once, with
 * FUT_ASYNC_FN; the frame remembers the child future awaited last, drops
 * it at the next await, at the end and when the parent is dropped, and
 * runs the cleanup block (FUT_FINALLY) on every exit: the end of the body,
 * FUT_RETURN, FUT_AWAIT_TRY's early return, and a drop in any state, even
 * before the first poll. The drop function and the vtable are generated.
 *
 *     struct greet {
 *         FUT_FRAME;                      // base + frame, first
 *         int i;                          // state that crosses an await
 *         struct fut_sleep sleep;         // the child's storage
 *     };
 *
 *     FUT_ASYNC_FN(greet, struct greet, g, cx)
 *     {
 *         FUT_BEGIN(g, cx);
 *         for (g->i = 0; g->i < 3; g->i++) {
 *             FUT_AWAIT_TRY(&g->sleep, fut_sleep_init(&g->sleep, 1000000));
 *             printf("tick %d\n", g->i);
 *         }
 *         FUT_FINALLY;
 *         printf("done\n");               // on every exit, drop included
 *         FUT_END;
 *     }
 *
 *     static void greet_init(struct greet *g) { FUT_FRAME_INIT(g, greet); }
 *
 * Children awaited at different points may share storage (a union): only
 * one is live at a time, and the frame drops it before the next init.
 * A child stays live after its await completes, so its typed output
 * fields may be read until the next await or the end.
 *
 * The rules of the macros above still hold (C locals do not survive an
 * await, one await per source line, no await inside a switch of your
 * own), and: a cleanup block contains no await; it runs once, in any
 * state of the body (before the first await too), so it releases only
 * what is safe to release at any point (close a stream, free a pointer
 * that starts NULL); FUT_RETURN and the early return of FUT_AWAIT_TRY
 * may not be used inside it. The generated drop polls the body one last
 * time with a context whose waker does nothing and whose runtime is NULL:
 * the cleanup block needs no context.
 */

/** struct fut_frame - an async frame's bookkeeping; fields are private. */
struct fut_frame {
    int state;                /* resume point; 0 before the first poll */
    int result;               /* the future's result (FUT_RETURN) */
    struct fut_future *child; /* the live child, or NULL */
};

/** FUT_FRAME - the first members of a framed future: `base` and `frame`. */
#define FUT_FRAME                                                           \
    struct fut_future base;                                                 \
    struct fut_frame frame

/* The head every framed future starts with. */
struct fut_framed {
    FUT_FRAME;
};

/* Resume points of the frame itself (line numbers are positive). */
#define FUT__FRAME_CLEANUP (-2)

/**
 * fut_frame_drop_child - drop the frame's live child, if any. For the
 * macros; a body may call it to release a child early.
 */
static inline void
fut_frame_drop_child(struct fut_frame *fr)
{
    struct fut_future *c = fr->child;

    if (c != NULL) {
        fr->child = NULL;
        fut_future_drop(c);
    }
}

/**
 * fut_frame_result - the result slot of every framed future's vtable:
 * what FUT_RETURN gave, 0 when the body ran to its end.
 */
FUT_API int fut_frame_result(const struct fut_future *f);

/**
 * fut_frame_drop - the drop of a framed future (FUT_ASYNC_FN generates a
 * drop that calls it with the type's @poll): unless the body finished,
 * poll it one last time in its cleanup state, which drops the live child
 * and runs the cleanup block. Owner's thread; cannot fail.
 */
FUT_API void fut_frame_drop(struct fut_future *f,
                            enum fut_poll (*poll)(struct fut_future *,
                                                  struct fut_context *));

/**
 * FUT_ASYNC_FN - define the framed future @name of struct type @type: its
 * poll function (the braced body that follows, with `@type *@self` and
 * `struct fut_context *@cx` in scope), its drop, `name_vtable` (static,
 * const), which FUT_FRAME_INIT() installs, and the typedef `name__type`
 * that FUT_FRAME_VALUE() and FUT_SPAWN_NEW() use.
 */
#define FUT_ASYNC_FN(name, type, self, cx)                                  \
    typedef type name##__type;                                              \
    static enum fut_poll name##__body(type *self, struct fut_context *cx);  \
    static enum fut_poll name##__poll(struct fut_future *fut__f,            \
                                      struct fut_context *fut__c)           \
    {                                                                       \
        return name##__body((type *)(void *)fut__f, fut__c);                \
    }                                                                       \
    static void name##__drop(struct fut_future *fut__f)                     \
    {                                                                       \
        fut_frame_drop(fut__f, name##__poll);                               \
    }                                                                       \
    static const struct fut_future_vtable name##_vtable = {                 \
        name##__poll, name##__drop, fut_frame_result};                      \
    static enum fut_poll name##__body(type *self, struct fut_context *cx)

/**
 * FUT_FRAME_INIT - make *@self a fresh, unpolled future @name (as defined
 * with FUT_ASYNC_FN): installs the vtable and clears the frame. The other
 * fields are the caller's to set. The future may be moved (spawned) until
 * its first poll, as any future.
 */
#define FUT_FRAME_INIT(self, name)                                          \
    do {                                                                    \
        (self)->base.vtable = &name##_vtable;                               \
        (self)->frame.state = 0;                                            \
        (self)->frame.result = 0;                                           \
        (self)->frame.child = NULL;                                         \
    } while (0)

/**
 * FUT_FRAME_VALUE - a fresh, unpolled @name future as a value, its other
 * fields given as designated initializers (the rest are zero):
 *     struct server srv = FUT_FRAME_VALUE(server, .listener = &l);
 */
#define FUT_FRAME_VALUE(name, ...)                                          \
    ((name##__type){.base = {&name##_vtable}, __VA_ARGS__})

/** FUT_BEGIN - open the body of a framed future. */
#define FUT_BEGIN(self, cx)                                                 \
    struct fut_frame *const fut__fr = &(self)->frame;                       \
    struct fut_context *const fut__cx = (cx);                               \
    int fut__aw = 0; /* an await's result, within one poll */              \
    (void)fut__cx;                                                          \
    (void)fut__aw;                                                          \
    goto fut__resume;                                                       \
fut__resume:                                                                \
    switch (fut__fr->state) {                                               \
    case FUT_ASYNC_DONE:                                                    \
        return FUT_READY;                                                   \
    default: /* cleanup, in a body without FUT_FINALLY */                   \
        goto fut__end;                                                      \
    case 0:

/**
 * FUT_AWAIT_CHILD - drop the previous child, evaluate @init_expr (an int:
 * 0, or -errno from the child's init; initialise the child there, not
 * before the await, since the previous child may share its storage and is
 * dropped first), then poll the child *@childp (a
 * struct whose first member is `base`) until READY, returning PENDING from
 * the body meanwhile. @res (an lvalue, a C local is fine: it is assigned
 * after the wait) receives the child's fut_future_result(), or the init's
 * error without a poll. The child stays live until the next await.
 */
#define FUT_AWAIT_CHILD(res, childp, init_expr)                             \
    do {                                                                    \
        fut_frame_drop_child(fut__fr);                                      \
        fut__aw = (init_expr);                                              \
        if (fut__aw == 0)                                                   \
            fut__fr->child = &(childp)->base;                               \
        fut__fr->state = __LINE__;                                          \
        FUT__FALLTHROUGH;                                                   \
    case __LINE__:                                                          \
        if (fut__fr->child != NULL) {                                       \
            if (fut_future_poll(fut__fr->child, fut__cx) == FUT_PENDING)    \
                return FUT_PENDING;                                         \
            fut__aw = fut_future_result(fut__fr->child);                    \
        }                                                                   \
        (res) = fut__aw;                                                    \
    } while (0)

/**
 * FUT_AWAIT_TRY - FUT_AWAIT_CHILD, and on a negative result finish the
 * future with it (FUT_RETURN): the `?` of an async fn.
 */
#define FUT_AWAIT_TRY(childp, init_expr)                                    \
    do {                                                                    \
        int fut__r;                                                         \
        FUT_AWAIT_CHILD(fut__r, childp, init_expr);                         \
        if (fut__r < 0)                                                     \
            FUT_RETURN(fut__r);                                             \
    } while (0)

/**
 * FUT_AWAIT_POLL - evaluate @poll_expr (an enum fut_poll expression, such
 * as a trait's poll_read with its out arguments in the future's struct)
 * until READY. The frame's child is left as it is.
 */
#define FUT_AWAIT_POLL(poll_expr)                                           \
    do {                                                                    \
        fut__fr->state = __LINE__;                                          \
        FUT__FALLTHROUGH;                                                   \
    case __LINE__:                                                          \
        if ((poll_expr) == FUT_PENDING)                                     \
            return FUT_PENDING;                                             \
    } while (0)

/** FUT_YIELD_NOW - give other tasks a turn, then go on from here. */
#define FUT_YIELD_NOW()                                                     \
    do {                                                                    \
        fut__fr->state = __LINE__;                                          \
        fut_waker_wake_by_ref(fut__cx->waker);                              \
        return FUT_PENDING;                                                 \
    case __LINE__:;                                                         \
    } while (0)

/**
 * FUT_RETURN - finish with result @res (0 or -errno, what
 * fut_future_result() gives): the cleanup block runs, the child is
 * dropped, and the poll returns READY.
 */
#define FUT_RETURN(res)                                                     \
    do {                                                                    \
        fut__fr->result = (res);                                            \
        fut__fr->state = FUT__FRAME_CLEANUP;                                \
        goto fut__resume;                                                   \
    } while (0)

/**
 * FUT_FINALLY - end the body and open its cleanup block, which runs on
 * every exit (see above), after the live child was dropped.
 */
#define FUT_FINALLY                                                         \
        FUT__FALLTHROUGH;                                                   \
    case FUT__FRAME_CLEANUP:                                                \
        fut_frame_drop_child(fut__fr)

/** FUT_END - close the body (and the cleanup block, if any): READY. */
#define FUT_END                                                             \
    }                                                                       \
fut__end:                                                                   \
    fut_frame_drop_child(fut__fr);                                          \
    fut__fr->state = FUT_ASYNC_DONE;                                        \
    return FUT_READY

/**
 * FUT_SPAWN_WITH - make a @type future with @init(&future, ...) and spawn
 * it on @rt (FUT_SPAWN: @handle may be NULL); @err receives fut_spawn()'s
 * return value. When the spawn fails, the future is dropped, so what @init
 * moved into it (a stream, say) is released by its cleanup.
 */
#define FUT_SPAWN_WITH(err, rt, handle, type, init, ...)                    \
    do {                                                                    \
        type fut__tmp;                                                      \
        init(&fut__tmp, __VA_ARGS__);                                       \
        (err) = FUT_SPAWN((rt), &fut__tmp, (handle));                       \
        if ((err) != 0)                                                     \
            fut_future_drop(&fut__tmp.base);                                \
    } while (0)

/**
 * FUT_SPAWN_NEW - spawn a fresh @name future (FUT_ASYNC_FN) whose fields
 * are the designated initializers that follow (the rest are zero):
 *     FUT_SPAWN_NEW(err, cx->rt, NULL, conn, .stream = s->accepted);
 * @err receives fut_spawn()'s return value; when the spawn fails, the
 * future is dropped, so its cleanup block releases what was moved in.
 */
#define FUT_SPAWN_NEW(err, rt, handle, name, ...)                           \
    do {                                                                    \
        name##__type fut__tmp = {.base = {&name##_vtable}, __VA_ARGS__};    \
        (err) = FUT_SPAWN((rt), &fut__tmp, (handle));                       \
        if ((err) != 0)                                                     \
            fut_future_drop(&fut__tmp.base);                                \
    } while (0)

FUT__END_DECLS

#endif /* FUTURES_ASYNC_H */
