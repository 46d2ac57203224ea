/* SPDX-License-Identifier: MIT */
/* Task scopes (nurseries) and join sets: groups of tasks that cannot outlive their owner. */
#include "rt.h"

FUT__HIDDEN int fut__spawn(struct rt *rt, void *scope, int in_set,
                           void *storage, size_t storage_size,
                           struct fut_future *f, size_t size,
                           struct fut_task **handle);

/* ---- the list both kinds share ----------------------------------------------- */

static void
list_link(void **headp, struct fut_task *t)
{
    struct fut_task *head = *headp;

    t->scope_prev = NULL;
    t->scope_next = head;
    if (head != NULL)
        head->scope_prev = t;
    *headp = t;
}

static void
list_unlink(void **headp, struct fut_task *t)
{
    if (t->scope_prev != NULL)
        t->scope_prev->scope_next = t->scope_next;
    else
        *headp = t->scope_next;
    if (t->scope_next != NULL)
        t->scope_next->scope_prev = t->scope_prev;
    t->scope_prev = t->scope_next = NULL;
}

void
fut__scope_link(struct fut_scope *s, struct fut_task *t)
{
    /* A join set and a scope both start with the runtime pointer; the
     * caller tells which one it is through TASK_IN_SET, set after. */
    t->scope = s;
}

/* ---- scopes ------------------------------------------------------------------- */

static void
scope_add(struct fut_scope *s, struct fut_task *t)
{
    list_link(&s->tasks, t);
    s->count++;
}

static void
scope_unlink(struct fut_task *t)
{
    struct fut_scope *s = t->scope;

    list_unlink(&s->tasks, t);
    t->scope = NULL;
    s->count--;
}

static void
scope_abort_all(struct fut_scope *s)
{
    struct fut_task *t;

    for (t = s->tasks; t != NULL; t = t->scope_next)
        fut_task_abort(t);
}

static void
set_task_done(struct fut_task *t);

void
fut__scope_task_done(struct fut_task *t)
{
    struct fut_scope *s = t->scope;

    if (t->flags & TASK_IN_SET) {
        set_task_done(t);
        return;
    }
    scope_unlink(t);
    if (t->result < 0 && !(t->flags & TASK_CANCELLED) &&
        s->first_error == 0) {
        s->first_error = t->result;
        if (s->flags & FUT_SCOPE_CANCEL_ON_ERROR)
            scope_abort_all(s);
    }
    if (s->count == 0)
        fut_waker_take_wake(&s->waiter);
}

int
fut_scope_init(struct fut_scope *s, struct fut_runtime *r, unsigned int flags)
{
    if (s == NULL || r == NULL || rt_of(r) == NULL ||
        (flags & ~(unsigned int)FUT_SCOPE_CANCEL_ON_ERROR) != 0)
        return -EINVAL;
    s->rt = r;
    s->flags = flags;
    s->closed = 0;
    s->first_error = 0;
    s->count = 0;
    s->tasks = NULL;
    s->waiter.vtable = NULL;
    s->waiter.data = NULL;
    return 0;
}

int
fut_scope_spawn(struct fut_scope *s, struct fut_future *f, size_t size,
                struct fut_task **handle)
{
    struct fut_task *t = NULL;
    int err;

    if (handle != NULL)
        *handle = NULL;
    if (s == NULL || s->rt == NULL)
        return -EINVAL;
    if (s->closed)
        return -ESHUTDOWN;
    err = fut__spawn(rt_of(s->rt), s, 0, NULL, 0, f, size, &t);
    if (err != 0)
        return err;
    scope_add(s, t);
    if (handle != NULL)
        *handle = t;
    else
        fut_task_detach(t);
    return 0;
}

size_t
fut_scope_count(const struct fut_scope *s)
{
    return s != NULL ? s->count : 0;
}

int
fut_scope_first_error(const struct fut_scope *s)
{
    return s != NULL ? s->first_error : -EINVAL;
}

void
fut_scope_drop(struct fut_scope *s)
{
    if (s == NULL || s->rt == NULL)
        return;
    fut_waker_drop(&s->waiter);
    if (!s->closed) {
        s->closed = 1;
        scope_abort_all(s);
    }
    /* The aborted tasks finish on their own; cut them loose, since the
     * scope's storage may go as soon as we return. */
    while (s->tasks != NULL)
        scope_unlink(s->tasks);
}

static enum fut_poll
scope_wait_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_scope_wait *w = (struct fut_scope_wait *)f;
    struct fut_scope *s = w->scope;

    if (w->close && !s->closed) {
        s->closed = 1;
        scope_abort_all(s);
    }
    if (s->count == 0) {
        fut_waker_drop(&s->waiter);
        w->result = s->first_error;
        w->scope = NULL;
        return FUT_READY;
    }
    fut_waker_set(&s->waiter, cx->waker);
    return FUT_PENDING;
}

/* Dropping a wait that has not finished means "close" (join or close
 * alike): the owner is going away, typically with the scope's storage
 * (a parent future cancelled by a timeout), and tasks that still pointed
 * at the scope would write into freed memory when they finish. */
static void
scope_wait_drop(struct fut_future *f)
{
    struct fut_scope_wait *w = (struct fut_scope_wait *)f;

    if (w->scope == NULL)
        return; /* finished */
    fut_scope_drop(w->scope);
    w->scope = NULL;
}

static int
scope_wait_result(const struct fut_future *f)
{
    return ((const struct fut_scope_wait *)f)->result;
}

static const struct fut_future_vtable scope_wait_vtable = {
    .poll = scope_wait_poll,
    .drop = scope_wait_drop,
    .result = scope_wait_result,
};

static int
scope_wait_init(struct fut_scope_wait *w, struct fut_scope *s, int close)
{
    if (w == NULL || s == NULL || s->rt == NULL)
        return -EINVAL;
    w->base.vtable = &scope_wait_vtable;
    w->scope = s;
    w->close = close;
    w->result = 0;
    return 0;
}

int
fut_scope_join_init(struct fut_scope_wait *w, struct fut_scope *s)
{
    return scope_wait_init(w, s, 0);
}

int
fut_scope_close_init(struct fut_scope_wait *w, struct fut_scope *s)
{
    return scope_wait_init(w, s, 1);
}

/* ---- join sets -----------------------------------------------------------------
 * The set holds a handle reference to each of its tasks. A finished task
 * moves from `tasks` to the `done` queue (linked through scope_next, in
 * the order tasks finished); a next future hands it, with that reference,
 * to the caller. */

static void
set_task_done(struct fut_task *t)
{
    struct fut_join_set *s = t->scope;
    struct fut_task *tail = s->done_tail;

    list_unlink(&s->tasks, t);
    s->running--;
    t->scope_next = NULL;
    t->scope_prev = tail;
    if (tail != NULL)
        tail->scope_next = t;
    else
        s->done_head = t;
    s->done_tail = t;
    s->finished++;
    fut_waker_take_wake(&s->waiter);
}

static struct fut_task *
set_take_done(struct fut_join_set *s)
{
    struct fut_task *t = s->done_head;

    if (t == NULL)
        return NULL;
    s->done_head = t->scope_next;
    if (s->done_head != NULL)
        ((struct fut_task *)s->done_head)->scope_prev = NULL;
    else
        s->done_tail = NULL;
    t->scope_next = t->scope_prev = NULL;
    t->scope = NULL;
    t->flags &= (unsigned short)~TASK_IN_SET;
    s->finished--;
    return t;
}

int
fut_join_set_init(struct fut_join_set *s, struct fut_runtime *r)
{
    if (s == NULL || r == NULL || rt_of(r) == NULL)
        return -EINVAL;
    s->rt = r;
    s->running = 0;
    s->finished = 0;
    s->tasks = NULL;
    s->done_head = s->done_tail = NULL;
    s->waiter.vtable = NULL;
    s->waiter.data = NULL;
    return 0;
}

int
fut_join_set_spawn(struct fut_join_set *s, struct fut_future *f, size_t size)
{
    struct fut_task *t = NULL;
    int err;

    if (s == NULL || s->rt == NULL)
        return -EINVAL;
    err = fut__spawn(rt_of(s->rt), s, 1, NULL, 0, f, size, &t);
    if (err != 0)
        return err;
    /* The handle reference fut__spawn() returned is the set's own. */
    list_link(&s->tasks, t);
    s->running++;
    return 0;
}

size_t
fut_join_set_len(const struct fut_join_set *s)
{
    return s != NULL ? s->running + s->finished : 0;
}

void
fut_join_set_abort_all(struct fut_join_set *s)
{
    struct fut_task *t;

    if (s == NULL || s->rt == NULL)
        return;
    for (t = s->tasks; t != NULL; t = t->scope_next)
        fut_task_abort(t);
}

void
fut_join_set_drop(struct fut_join_set *s)
{
    struct fut_task *t;

    if (s == NULL || s->rt == NULL)
        return;
    fut_waker_drop(&s->waiter);
    while ((t = s->tasks) != NULL) {
        list_unlink(&s->tasks, t);
        t->scope = NULL;
        t->flags &= (unsigned short)~TASK_IN_SET;
        s->running--;
        fut_task_abort(t);
        fut_task_detach(t);
    }
    while ((t = set_take_done(s)) != NULL)
        fut_task_detach(t);
    s->rt = NULL;
}

static enum fut_poll
set_next_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_join_set_next *n = (struct fut_join_set_next *)f;
    struct fut_join_set *s = n->set;
    struct fut_task *t;

    if (s == NULL)
        return FUT_READY;
    t = set_take_done(s);
    if (t != NULL || s->running == 0) {
        fut_waker_drop(&s->waiter);
        n->task = t;
        n->result = t != NULL ? t->result : 0;
        n->set = NULL;
        return FUT_READY;
    }
    fut_waker_set(&s->waiter, cx->waker);
    return FUT_PENDING;
}

static void
set_next_drop(struct fut_future *f)
{
    struct fut_join_set_next *n = (struct fut_join_set_next *)f;

    if (n->set != NULL)
        fut_waker_drop(&n->set->waiter);
    n->set = NULL;
}

static int
set_next_result(const struct fut_future *f)
{
    return ((const struct fut_join_set_next *)f)->result;
}

static const struct fut_future_vtable set_next_vtable = {
    .poll = set_next_poll,
    .drop = set_next_drop,
    .result = set_next_result,
};

int
fut_join_set_next_init(struct fut_join_set_next *n, struct fut_join_set *s)
{
    if (n == NULL || s == NULL || s->rt == NULL)
        return -EINVAL;
    n->base.vtable = &set_next_vtable;
    n->set = s;
    n->task = NULL;
    n->result = 0;
    return 0;
}
