/* SPDX-License-Identifier: MIT */
/* Conformance: lifetimes across threads and teardown: wakes racing close, child wakers, handles, join sets, scopes, notifiers. */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conformance.h"
#include "internal.h"

/* Rounds for the race loops: enough to catch a window under ASan/TSan,
 * fewer under valgrind, which runs one thread at a time. */
static int
rounds(int n)
{
    return getenv("FUT_TEST_SLOW") != NULL ? n / 20 + 1 : n;
}

/* ---- a future that hands a clone of its waker to another thread -------------- */

struct parked {
    struct fut_future base;
    struct fut_waker *out; /* receives a clone at the first poll */
    int *flag;             /* READY once *flag (atomic) is set */
};

static enum fut_poll
parked_poll(struct fut_future *f, struct fut_context *cx)
{
    struct parked *p = (struct parked *)f;

    if (p->flag != NULL && __atomic_load_n(p->flag, __ATOMIC_ACQUIRE))
        return FUT_READY;
    if (p->out != NULL && p->out->vtable == NULL) {
        struct fut_waker w = fut_waker_clone(cx->waker);

        __atomic_store_n(&p->out->data, w.data, __ATOMIC_RELAXED);
        __atomic_store_n(&p->out->vtable, w.vtable, __ATOMIC_RELEASE);
    }
    return FUT_PENDING;
}

static void
parked_drop(struct fut_future *f)
{
    FUT__UNUSED(f);
}

static const struct fut_future_vtable parked_vtable = {
    .poll = parked_poll,
    .drop = parked_drop,
    .result = NULL,
};

struct waker_box {
    struct fut_waker w;
    int go;       /* 0: wait before the first wake */
    int stop;
    long wakes;
};

/* Wake the boxed waker as fast as possible from `go` until told to stop,
 * then drop it: the thread owns the clone, as the waker contract allows. */
static void *
hammer_thread(void *arg)
{
    struct waker_box *b = arg;

    while (__atomic_load_n(&b->w.vtable, __ATOMIC_ACQUIRE) == NULL ||
           !__atomic_load_n(&b->go, __ATOMIC_ACQUIRE))
        sched_yield();
    while (!__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE)) {
        fut_waker_wake_by_ref(&b->w);
        b->wakes++;
        if ((b->wakes & 63) == 0)
            sched_yield();
    }
    /* A few more after close returned: they must be harmless. */
    fut_waker_wake_by_ref(&b->w);
    fut_waker_drop(&b->w);
    return NULL;
}

/* The default backend with a slow doorbell: the notify dawdles before it
 * rings, which widens the window in which a remote wake is inside the
 * backend while the runtime's thread closes it. */
static struct fut_backend_vtable slow_vt;

static int
slow_notify(struct fut_backend *be)
{
    unsigned int i, sink = 0;

    for (i = 0; i < 20000; i++)
        __atomic_fetch_add(&sink, 1, __ATOMIC_RELAXED);
    return fut_backend_default()->notify(be);
}

static const struct fut_backend_vtable *
slow_backend(void)
{
    slow_vt = *fut_backend_default();
    slow_vt.notify = slow_notify;
    return &slow_vt;
}

/* Defect 1: a thread that owns a task waker wakes it while the runtime's
 * thread closes the runtime. Before: use-after-free of the backend and
 * the remote lock, or the task leaked when the wake landed after close
 * drained the remote queue. */
START_TEST(test_threads_wake_races_close)
{
    int r, spin, sink = 0, n = rounds(300);

    for (r = 0; r < n; r++) {
        struct fut_runtime rt;
        struct waker_box box;
        struct parked p;
        pthread_t th;

        memset(&box, 0, sizeof box);
        ck_assert_int_eq(fut_runtime_init(&rt, slow_backend(), NULL), 0);
        p.base.vtable = &parked_vtable;
        p.out = &box.w;
        p.flag = NULL;
        ck_assert_int_eq(FUT_SPAWN(&rt, &p, NULL), 0);
        ck_assert_int_eq(pthread_create(&th, NULL, hammer_thread, &box), 0);
        ck_assert_int_ge(fut_runtime_run_until_stalled(&rt), 1);
        /* Only the first wake reaches the runtime (the others find the
         * task queued): start it at a different point of close each
         * round. */
        __atomic_store_n(&box.go, 1, __ATOMIC_RELEASE);
        for (spin = 0; spin < (r % 64) * 16; spin++)
            __atomic_fetch_add(&sink, 1, __ATOMIC_RELAXED);
        ck_assert_int_eq(fut_runtime_close(&rt), 0);
        __atomic_store_n(&box.stop, 1, __ATOMIC_RELEASE);
        pthread_join(th, NULL);
    }
}
END_TEST

/* The block_on waker, cloned and kept by another thread past the end of
 * block_on and of the runtime. */
struct main_leaf {
    struct fut_future base;
    struct waker_box *box;
    int polls;
};

static enum fut_poll
main_leaf_poll(struct fut_future *f, struct fut_context *cx)
{
    struct main_leaf *m = (struct main_leaf *)f;

    if (m->polls++ == 0) {
        struct fut_waker w = fut_waker_clone(cx->waker);

        __atomic_store_n(&m->box->w.data, w.data, __ATOMIC_RELAXED);
        __atomic_store_n(&m->box->w.vtable, w.vtable, __ATOMIC_RELEASE);
        return FUT_PENDING;
    }
    return FUT_READY; /* any wake will do */
}

static const struct fut_future_vtable main_leaf_vtable = {
    .poll = main_leaf_poll,
    .drop = parked_drop,
    .result = NULL,
};

START_TEST(test_threads_block_on_waker_outlives_runtime)
{
    int r, n = rounds(200);

    for (r = 0; r < n; r++) {
        struct fut_runtime rt;
        struct waker_box box;
        struct main_leaf m = { { &main_leaf_vtable }, NULL, 0 };
        pthread_t th;

        memset(&box, 0, sizeof box);
        m.box = &box;
        box.go = 1;
        ck_assert_int_eq(fut_runtime_init_default(&rt), 0);
        ck_assert_int_eq(pthread_create(&th, NULL, hammer_thread, &box), 0);
        ck_assert_int_eq(fut_block_on(&rt, &m.base), 0);
        fut_future_drop(&m.base);
        ck_assert_int_eq(fut_runtime_close(&rt), 0);
        __atomic_store_n(&box.stop, 1, __ATOMIC_RELEASE);
        pthread_join(th, NULL);
    }
}
END_TEST

/* ---- defect 2: child wakers of select/join woken from another thread ------- */

/* A leaf that another thread completes, the way a channel does: the
 * shared cell is locked, the other side takes the stored waker out under
 * the lock and wakes it after unlocking. The cell outlives the select; the
 * select (inside a task) is freed as soon as it is READY. */
struct cell {
    pthread_mutex_t lock;
    int done;
    struct fut_waker w;
};

struct cell_leaf {
    struct fut_future base;
    struct cell *cell;
};

static enum fut_poll
cell_leaf_poll(struct fut_future *f, struct fut_context *cx)
{
    struct cell_leaf *l = (struct cell_leaf *)f;
    enum fut_poll res = FUT_PENDING;

    pthread_mutex_lock(&l->cell->lock);
    if (l->cell->done)
        res = FUT_READY;
    else
        fut_waker_set(&l->cell->w, cx->waker);
    pthread_mutex_unlock(&l->cell->lock);
    return res;
}

static void
cell_leaf_drop(struct fut_future *f)
{
    struct cell_leaf *l = (struct cell_leaf *)f;

    pthread_mutex_lock(&l->cell->lock);
    fut_waker_drop(&l->cell->w);
    pthread_mutex_unlock(&l->cell->lock);
}

static const struct fut_future_vtable cell_leaf_vtable = {
    .poll = cell_leaf_poll,
    .drop = cell_leaf_drop,
    .result = NULL,
};

static void *
cell_complete_thread(void *arg)
{
    struct cell *c = arg;
    struct fut_waker w;

    pthread_mutex_lock(&c->lock);
    c->done = 1;
    w = c->w;
    c->w.vtable = NULL;
    pthread_mutex_unlock(&c->lock);
    if (w.vtable != NULL)
        fut_waker_wake(w); /* may run after the select is gone */
    return NULL;
}

/* Complete the cell once its leaf has stored a waker. */
static void *
cell_complete_when_registered(void *arg)
{
    struct cell *c = arg;

    for (;;) {
        int ready;

        pthread_mutex_lock(&c->lock);
        ready = c->w.vtable != NULL;
        pthread_mutex_unlock(&c->lock);
        if (ready)
            break;
        sched_yield();
    }
    return cell_complete_thread(c);
}

/* A child that never finishes and wakes itself at every poll, so that
 * its parent is polled again and again while another thread completes
 * the sibling: the owner may see the sibling READY while that thread is
 * still inside the child wake. It yields the CPU at each poll: on a
 * loaded machine (or one core) the spinning runtime thread would
 * otherwise keep the other thread waiting for the end of its time slice,
 * round after round (25 s for 2,000 rounds under ASan with two CPU hogs). */
static enum fut_poll
spinner_poll(struct fut_future *f, struct fut_context *cx)
{
    FUT__UNUSED(f);
    fut_waker_wake_by_ref(cx->waker);
    sched_yield();
    return FUT_PENDING;
}

static const struct fut_future_vtable spinner_vtable = {
    .poll = spinner_poll,
    .drop = parked_drop,
    .result = NULL,
};

/* A select of the cell and a spinner, in a task. */
struct sel_task {
    struct fut_future base;
    struct fut_select2 sel;
    struct cell_leaf leaf;
    struct parked never;
    int started;
};

static enum fut_poll
sel_task_poll(struct fut_future *f, struct fut_context *cx)
{
    struct sel_task *t = (struct sel_task *)f;

    if (!t->started) {
        t->started = 1;
        ck_assert_int_eq(fut_select2_init(&t->sel, &t->leaf.base,
                                          &t->never.base), 0);
    }
    return fut_future_poll(&t->sel.all.base, cx);
}

static void
sel_task_drop(struct fut_future *f)
{
    struct sel_task *t = (struct sel_task *)f;

    if (t->started)
        fut_future_drop(&t->sel.all.base);
}

static const struct fut_future_vtable sel_task_vtable = {
    .poll = sel_task_poll,
    .drop = sel_task_drop,
    .result = NULL,
};

/* Before: heap-use-after-free in the child wake (it touched the set after
 * the wakee could see the child complete). */
START_TEST(test_threads_select_child_woken_from_thread)
{
    int r, n = rounds(2000);

    for (r = 0; r < n; r++) {
        struct cell c;
        struct sel_task st;
        struct fut_task *h;
        pthread_t th;

        pthread_mutex_init(&c.lock, NULL);
        c.done = 0;
        c.w.vtable = NULL;
        memset(&st, 0, sizeof st);
        st.base.vtable = &sel_task_vtable;
        st.leaf.base.vtable = &cell_leaf_vtable;
        st.leaf.cell = &c;
        st.never.base.vtable = &spinner_vtable;
        ck_assert_int_eq(FUT_SPAWN(&conf_rt, &st, &h), 0);
        ck_assert_int_eq(pthread_create(&th, NULL,
                                        cell_complete_when_registered, &c),
                         0);
        ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
        ck_assert(fut_task_is_finished(h));
        ck_assert_int_eq(fut_task_result(h), 0);
        fut_task_detach(h); /* frees the task, and the select in it */
        pthread_join(th, NULL);
        ck_assert_ptr_null(c.w.vtable);
        pthread_mutex_destroy(&c.lock);
    }
}
END_TEST

/* The same with a leaf built on struct fut_atomic_waker, the pattern
 * waker.h documents: the other thread publishes, then wakes, and learns
 * nothing else; the owner learns of it through take_woken. The leaf's
 * storage is inside the select, freed right after READY. */
struct aw_leaf {
    struct fut_future base;
    struct fut_atomic_waker aw;
    int value;
};

static enum fut_poll
aw_leaf_poll(struct fut_future *f, struct fut_context *cx)
{
    struct aw_leaf *l = (struct aw_leaf *)f;

    fut_atomic_waker_register(&l->aw, cx->waker);
    if (!fut_atomic_waker_take_woken(&l->aw))
        return FUT_PENDING;
    ck_assert_int_eq(l->value, 42); /* published before the wake */
    return FUT_READY;
}

static void
aw_leaf_drop(struct fut_future *f)
{
    fut_atomic_waker_drop(&((struct aw_leaf *)f)->aw);
}

static const struct fut_future_vtable aw_leaf_vtable = {
    .poll = aw_leaf_poll,
    .drop = aw_leaf_drop,
    .result = NULL,
};

struct aw_task {
    struct fut_future base;
    struct fut_select2 sel;
    struct aw_leaf leaf;
    struct parked never;
    struct aw_leaf **where; /* tells the thread where the leaf lives */
    int started;
};

static enum fut_poll
aw_task_poll(struct fut_future *f, struct fut_context *cx)
{
    struct aw_task *t = (struct aw_task *)f;

    if (!t->started) {
        t->started = 1;
        fut_atomic_waker_init(&t->leaf.aw);
        ck_assert_int_eq(fut_select2_init(&t->sel, &t->leaf.base,
                                          &t->never.base), 0);
    }
    if (fut_future_poll(&t->sel.all.base, cx) == FUT_READY)
        return FUT_READY;
    if (__atomic_load_n(t->where, __ATOMIC_ACQUIRE) == NULL)
        __atomic_store_n(t->where, &t->leaf, __ATOMIC_RELEASE);
    return FUT_PENDING;
}

static void
aw_task_drop(struct fut_future *f)
{
    struct aw_task *t = (struct aw_task *)f;

    if (t->started)
        fut_future_drop(&t->sel.all.base);
}

static const struct fut_future_vtable aw_task_vtable = {
    .poll = aw_task_poll,
    .drop = aw_task_drop,
    .result = NULL,
};

static void *
aw_wake_thread(void *arg)
{
    struct aw_leaf **where = arg;
    struct aw_leaf *l;

    while ((l = __atomic_load_n(where, __ATOMIC_ACQUIRE)) == NULL)
        sched_yield();
    l->value = 42;
    fut_atomic_waker_wake(&l->aw); /* the last touch */
    return NULL;
}

START_TEST(test_threads_select_atomic_waker_leaf)
{
    int r, n = rounds(2000);

    for (r = 0; r < n; r++) {
        struct aw_task at;
        struct aw_leaf *where = NULL;
        pthread_t th;

        memset(&at, 0, sizeof at);
        at.base.vtable = &aw_task_vtable;
        at.leaf.base.vtable = &aw_leaf_vtable;
        at.never.base.vtable = &spinner_vtable;
        at.where = &where;
        ck_assert_int_eq(pthread_create(&th, NULL, aw_wake_thread, &where),
                         0);
        ck_assert_int_eq(FUT_SPAWN(&conf_rt, &at, NULL), 0);
        ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
        pthread_join(th, NULL);
    }
}
END_TEST

/* join_all: every child completed from its own thread at once. */
struct join_task {
    struct fut_future base;
    struct fut_join_all join;
    struct fut_child slots[4];
    struct cell_leaf leaves[4];
    int started;
};

static enum fut_poll
join_task_poll(struct fut_future *f, struct fut_context *cx)
{
    struct join_task *t = (struct join_task *)f;

    if (!t->started) {
        struct fut_future *kids[4];
        int i;

        for (i = 0; i < 4; i++)
            kids[i] = &t->leaves[i].base;
        t->started = 1;
        ck_assert_int_eq(fut_join_all_init(&t->join, kids, t->slots, 4), 0);
    }
    return fut_future_poll(&t->join.base, cx);
}

static void
join_task_drop(struct fut_future *f)
{
    struct join_task *t = (struct join_task *)f;

    if (t->started)
        fut_future_drop(&t->join.base);
}

static const struct fut_future_vtable join_task_vtable = {
    .poll = join_task_poll,
    .drop = join_task_drop,
    .result = NULL,
};

START_TEST(test_threads_join_children_woken_from_threads)
{
    int r, i, n = rounds(500);

    for (r = 0; r < n; r++) {
        struct cell cells[4];
        struct join_task *jt = calloc(1, sizeof *jt);
        pthread_t th[4];

        ck_assert_ptr_nonnull(jt);
        jt->base.vtable = &join_task_vtable;
        for (i = 0; i < 4; i++) {
            pthread_mutex_init(&cells[i].lock, NULL);
            cells[i].done = 0;
            cells[i].w.vtable = NULL;
            jt->leaves[i].base.vtable = &cell_leaf_vtable;
            jt->leaves[i].cell = &cells[i];
        }
        ck_assert_int_eq(fut_spawn(&conf_rt, &jt->base, sizeof *jt, NULL),
                         0);
        free(jt); /* moved into the task */
        ck_assert_int_ge(fut_runtime_run_until_stalled(&conf_rt), 1);
        for (i = 0; i < 4; i++)
            ck_assert_int_eq(pthread_create(&th[i], NULL,
                                            cell_complete_thread, &cells[i]),
                             0);
        ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
        for (i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            pthread_mutex_destroy(&cells[i].lock);
        }
    }
}
END_TEST

/* ---- defect 3: a scope join dropped by a timeout ------------------------------ */

struct scope_parent {
    struct fut_future base;
    struct fut_scope scope;
    struct fut_scope_wait join;
    struct fut_timeout to;
    uint64_t timeout_ns;    /* 0: 1 ms */
    int state;
    int result;
};

static enum fut_poll
scope_parent_poll(struct fut_future *f, struct fut_context *cx)
{
    struct scope_parent *p = (struct scope_parent *)f;

    if (p->state == 0) {
        struct parked never = { { &parked_vtable }, NULL, NULL };
        int i;

        ck_assert_int_eq(fut_scope_init(&p->scope, cx->rt, 0), 0);
        for (i = 0; i < 3; i++)
            ck_assert_int_eq(fut_scope_spawn(&p->scope, &never.base,
                                             sizeof never, NULL), 0);
        ck_assert_int_eq(fut_scope_join_init(&p->join, &p->scope), 0);
        ck_assert_int_eq(fut_timeout_init(&p->to, &p->join.base,
                                          p->timeout_ns != 0
                                              ? p->timeout_ns
                                              : FUT_NSEC_PER_MSEC),
                         0);
        p->state = 1;
    }
    if (fut_future_poll(&p->to.base, cx) == FUT_PENDING)
        return FUT_PENDING;
    p->result = fut_future_result(&p->to.base);
    fut_future_drop(&p->to.base); /* drops the pending join */
    p->state = 2;
    return FUT_READY;
}

static void
scope_parent_drop(struct fut_future *f)
{
    struct scope_parent *p = (struct scope_parent *)f;

    if (p->state == 1)
        fut_future_drop(&p->to.base);
}

static int
scope_parent_result(const struct fut_future *f)
{
    return ((const struct scope_parent *)f)->result;
}

static const struct fut_future_vtable scope_parent_vtable = {
    .poll = scope_parent_poll,
    .drop = scope_parent_drop,
    .result = scope_parent_result,
};

/* Before: the children stayed in the freed scope, and finishing them (here
 * at close) wrote into it; with children that never finish, the runtime
 * never stopped either. Now dropping the join closes the scope. */
START_TEST(test_threads_scope_join_dropped_by_timeout)
{
    struct scope_parent p;
    struct fut_task *h;

    memset(&p, 0, sizeof p);
    p.base.vtable = &scope_parent_vtable;

    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &p, &h), 0);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(fut_task_result(h), -ETIMEDOUT);
    ck_assert_uint_eq(fut_runtime_task_count(&conf_rt), 0);
    fut_task_detach(h);
}
END_TEST

/* fut_scope_drop from a parent's drop function, children still running. */
START_TEST(test_threads_scope_drop_parent_cancelled)
{
    struct scope_parent p;
    struct fut_task *h;

    memset(&p, 0, sizeof p);
    p.base.vtable = &scope_parent_vtable;
    /* The parent must still wait when it is aborted: a deadline far
     * beyond the test (1 ms expired during a slow first run under
     * valgrind on a loaded machine). */
    p.timeout_ns = 3600 * FUT_NSEC_PER_SEC;

    ck_assert_int_eq(FUT_SPAWN(&conf_rt, &p, &h), 0);
    ck_assert_int_ge(fut_runtime_run_until_stalled(&conf_rt), 1);
    ck_assert_uint_eq(fut_runtime_task_count(&conf_rt), 4);
    ck_assert_int_eq(fut_task_abort(h), 0);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(fut_task_result(h), -ECANCELED);
    ck_assert_uint_eq(fut_runtime_task_count(&conf_rt), 0);
    fut_task_detach(h);
    fut_scope_drop(NULL);
}
END_TEST

/* ---- handles -------------------------------------------------------------------- */

struct counted {
    struct fut_future base;
    int *count;
    struct fut_notify *n;
    int value;
};

static enum fut_poll
counted_poll(struct fut_future *f, struct fut_context *cx)
{
    struct counted *c = (struct counted *)f;

    FUT__UNUSED(cx);
    __atomic_fetch_add(c->count, 1, __ATOMIC_SEQ_CST);
    if (c->n != NULL)
        ck_assert_int_eq(fut_notify_signal(c->n), 0);
    return FUT_READY;
}

static int
counted_result(const struct fut_future *f)
{
    return ((const struct counted *)f)->value;
}

static const struct fut_future_vtable counted_vtable = {
    .poll = counted_poll,
    .drop = parked_drop,
    .result = counted_result,
};

/* Waits on a notifier until *count reaches want. */
struct until_count {
    struct fut_future base;
    struct fut_notify *n;
    struct fut_notify_wait w;
    int *count;
    int want;
    int waiting;
};

static enum fut_poll
until_count_poll(struct fut_future *f, struct fut_context *cx)
{
    struct until_count *u = (struct until_count *)f;

    for (;;) {
        if (__atomic_load_n(u->count, __ATOMIC_SEQ_CST) >= u->want)
            return FUT_READY;
        if (!u->waiting) {
            ck_assert_int_eq(fut_notify_wait_init(&u->w, u->n), 0);
            u->waiting = 1;
        }
        if (fut_future_poll(&u->w.base, cx) == FUT_PENDING)
            return FUT_PENDING;
        ck_assert_int_eq(u->w.result, 0);
        fut_future_drop(&u->w.base);
        u->waiting = 0;
    }
}

static void
until_count_drop(struct fut_future *f)
{
    struct until_count *u = (struct until_count *)f;

    if (u->waiting)
        fut_future_drop(&u->w.base);
}

static const struct fut_future_vtable until_count_vtable = {
    .poll = until_count_poll,
    .drop = until_count_drop,
    .result = NULL,
};

#define SPAWN_THREADS 4
#define SPAWN_EACH 200

struct spawner_arg {
    struct fut_handle *h;
    struct fut_notify *n;
    int *count;
};

static void *
spawner_thread(void *arg)
{
    struct spawner_arg *a = arg;
    struct fut_handle *h = fut_handle_clone(a->h);
    int i;

    for (i = 0; i < SPAWN_EACH; i++) {
        struct counted c = { { &counted_vtable }, a->count, a->n, 0 };
        struct fut_task *t = NULL;

        ck_assert_int_eq(fut_handle_spawn(h, &c.base, sizeof c,
                                          (i & 1) ? &t : NULL), 0);
        if (t != NULL) {
            /* Handles may be aborted and detached from any thread. */
            if (i % 4 == 1)
                ck_assert_int_eq(fut_task_abort(t), 0);
            fut_task_detach(t);
        }
    }
    fut_handle_drop(h);
    return NULL;
}

START_TEST(test_threads_handle_spawn_from_threads)
{
    struct fut_handle *h;
    struct fut_notify n;
    struct spawner_arg a;
    pthread_t th[SPAWN_THREADS];
    int count = 0, i;
    /* A quarter of the odd ones are aborted, maybe before they ran: wait
     * for the others only. */
    struct until_count u;

    memset(&u, 0, sizeof u);
    u.base.vtable = &until_count_vtable;
    u.n = &n;
    u.count = &count;
    u.want = SPAWN_THREADS * (SPAWN_EACH - SPAWN_EACH / 4);
    ck_assert_int_eq(fut_runtime_handle(&conf_rt, &h), 0);
    ck_assert_int_eq(fut_handle_is_closed(h), 0);
    ck_assert_int_eq(fut_notify_init(&n, &conf_rt), 0);
    a.h = h;
    a.n = &n;
    a.count = &count;
    for (i = 0; i < SPAWN_THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, spawner_thread, &a),
                         0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &u.base), 0);
    fut_future_drop(&u.base);
    for (i = 0; i < SPAWN_THREADS; i++)
        pthread_join(th[i], NULL);
    /* Tasks queued after the wait ended still run. */
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_le(count, SPAWN_THREADS * SPAWN_EACH);
    fut_notify_close(&n);
    fut_handle_drop(h);
}
END_TEST

START_TEST(test_threads_handle_after_close)
{
    struct fut_runtime rt;
    struct fut_handle *h, *h2;
    struct fut_task *t = (struct fut_task *)&rt;
    int count = 0;
    struct counted c = { { &counted_vtable }, &count, NULL, 0 };

    ck_assert_int_eq(fut_runtime_init_default(&rt), 0);
    ck_assert_int_eq(fut_runtime_handle(&rt, &h), 0);
    /* Spawned from "another thread" before close, never run: cancelled by
     * close without leaking. */
    ck_assert_int_eq(fut_handle_spawn(h, &c.base, sizeof c, &t), 0);
    h2 = fut_handle_clone(h);
    ck_assert_ptr_eq(h2, h);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(fut_handle_is_closed(h), 1);
    ck_assert(fut_task_is_finished(t));
    ck_assert_int_eq(fut_task_result(t), -ECANCELED);
    fut_task_detach(t);
    ck_assert_int_eq(count, 0);
    t = (struct fut_task *)&rt;
    ck_assert_int_eq(fut_handle_spawn(h, &c.base, sizeof c, &t), -ESHUTDOWN);
    ck_assert_ptr_null(t);
    fut_handle_drop(h);
    fut_handle_drop(h2);
    /* The runtime's storage is reusable at once. */
    ck_assert_int_eq(fut_runtime_init_default(&rt), 0);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
}
END_TEST

START_TEST(test_threads_handle_bad_input)
{
    struct fut_handle *h = (struct fut_handle *)&h;
    struct fut_runtime rt;
    int count = 0;
    struct counted c = { { &counted_vtable }, &count, NULL, 0 };

    ck_assert_int_eq(fut_runtime_handle(NULL, &h), -EINVAL);
    ck_assert_ptr_null(h);
    ck_assert_int_eq(fut_runtime_handle(&conf_rt, NULL), -EINVAL);
    memset(&rt, 0, sizeof rt);
    ck_assert_int_eq(fut_runtime_handle(&rt, &h), -EINVAL);
    ck_assert_ptr_null(fut_handle_clone(NULL));
    fut_handle_drop(NULL);
    ck_assert_int_eq(fut_handle_is_closed(NULL), 0);
    ck_assert_int_eq(fut_handle_spawn(NULL, &c.base, sizeof c, NULL),
                     -EINVAL);
    ck_assert_int_eq(fut_runtime_handle(&conf_rt, &h), 0);
    ck_assert_int_eq(fut_handle_spawn(h, NULL, sizeof c, NULL), -EINVAL);
    ck_assert_int_eq(fut_handle_spawn(h, &c.base, 1, NULL), -EINVAL);
    ck_assert_int_eq(fut_handle_spawn(h, &c.base, (size_t)1 << 31, NULL),
                     -EINVAL);
    fut_handle_drop(h);
}
END_TEST

/* ---- join sets ---------------------------------------------------------------- */

struct ylder {
    struct fut_future base;
    int yields;
    int value;
    int *drops;
};

static enum fut_poll
ylder_poll(struct fut_future *f, struct fut_context *cx)
{
    struct ylder *y = (struct ylder *)f;

    if (y->yields-- > 0) {
        fut_waker_wake_by_ref(cx->waker);
        return FUT_PENDING;
    }
    return FUT_READY;
}

static void
ylder_drop(struct fut_future *f)
{
    struct ylder *y = (struct ylder *)f;

    if (y->drops != NULL)
        (*y->drops)++;
}

static int
ylder_result(const struct fut_future *f)
{
    return ((const struct ylder *)f)->value;
}

static const struct fut_future_vtable ylder_vtable = {
    .poll = ylder_poll,
    .drop = ylder_drop,
    .result = ylder_result,
};

/* Spawns n tasks into a set (task i yields (n - i) times, so they finish
 * in reverse order, and returns -(i + 1)), then takes them one by one. */
struct set_user {
    struct fut_future base;
    struct fut_join_set set;
    struct fut_join_set_next next;
    int n, taken, state;
    int order[16];
    int *drops;
};

static enum fut_poll
set_user_poll(struct fut_future *f, struct fut_context *cx)
{
    struct set_user *u = (struct set_user *)f;

    if (u->state == 0) {
        int i;

        ck_assert_int_eq(fut_join_set_init(&u->set, cx->rt), 0);
        for (i = 0; i < u->n; i++) {
            struct ylder y = { { &ylder_vtable }, u->n - i, -(i + 1),
                               u->drops };

            ck_assert_int_eq(fut_join_set_spawn(&u->set, &y.base, sizeof y),
                             0);
        }
        ck_assert_uint_eq(fut_join_set_len(&u->set), (size_t)u->n);
        u->state = 1;
    }
    for (;;) {
        if (u->state == 1) {
            ck_assert_int_eq(fut_join_set_next_init(&u->next, &u->set), 0);
            u->state = 2;
        }
        if (fut_future_poll(&u->next.base, cx) == FUT_PENDING)
            return FUT_PENDING;
        fut_future_drop(&u->next.base);
        u->state = 1;
        if (u->next.task == NULL) {
            ck_assert_int_eq(u->next.result, 0);
            ck_assert_uint_eq(fut_join_set_len(&u->set), 0);
            fut_join_set_drop(&u->set);
            u->state = 3;
            return FUT_READY;
        }
        ck_assert_int_eq(u->next.result, fut_task_result(u->next.task));
        u->order[u->taken++] = -u->next.result;
        fut_task_detach(u->next.task);
    }
}

static void
set_user_drop(struct fut_future *f)
{
    struct set_user *u = (struct set_user *)f;

    if (u->state == 2)
        fut_future_drop(&u->next.base);
    if (u->state == 1 || u->state == 2)
        fut_join_set_drop(&u->set);
}

static const struct fut_future_vtable set_user_vtable = {
    .poll = set_user_poll,
    .drop = set_user_drop,
    .result = NULL,
};

START_TEST(test_threads_join_set_order_of_finish)
{
    struct set_user u;
    int i;

    memset(&u, 0, sizeof u);
    u.base.vtable = &set_user_vtable;
    u.n = 8;
    ck_assert_int_eq(fut_block_on(&conf_rt, &u.base), 0);
    fut_future_drop(&u.base);
    ck_assert_int_eq(u.taken, 8);
    for (i = 0; i < 8; i++)
        ck_assert_int_eq(u.order[i], 8 - i); /* last spawned finished first */
}
END_TEST

struct set_dropper {
    struct fut_future base;
    struct set_user inner;
    int polls, limit;
};

static enum fut_poll
set_dropper_poll(struct fut_future *f, struct fut_context *cx)
{
    struct set_dropper *d = (struct set_dropper *)f;

    if (d->polls++ >= d->limit) {
        fut_future_drop(&d->inner.base);
        return FUT_READY;
    }
    if (fut_future_poll(&d->inner.base, cx) == FUT_READY) {
        fut_future_drop(&d->inner.base);
        return FUT_READY;
    }
    return FUT_PENDING;
}

static const struct fut_future_vtable set_dropper_vtable = {
    .poll = set_dropper_poll,
    .drop = parked_drop,
    .result = NULL,
};

START_TEST(test_threads_join_set_dropped_while_pending)
{
    struct set_dropper d;
    int drops = 0;

    memset(&d, 0, sizeof d);
    d.base.vtable = &set_dropper_vtable;
    d.inner.base.vtable = &set_user_vtable;
    d.inner.n = 4;
    d.inner.drops = &drops;
    d.limit = _i;
    ck_assert_int_eq(fut_block_on(&conf_rt, &d.base), 0);
    /* Aborted tasks finish on their own. Dropped before its first poll,
     * the user had spawned nothing. */
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(drops, _i == 0 ? 0 : 4);
}
END_TEST

START_TEST(test_threads_join_set_abort_all_and_bad_input)
{
    struct fut_join_set s;
    struct fut_join_set_next next;
    struct parked never = { { &parked_vtable }, NULL, NULL };
    int i, cancelled = 0;

    ck_assert_int_eq(fut_join_set_init(NULL, &conf_rt), -EINVAL);
    ck_assert_int_eq(fut_join_set_init(&s, NULL), -EINVAL);
    ck_assert_int_eq(fut_join_set_next_init(NULL, &s), -EINVAL);
    ck_assert_int_eq(fut_join_set_next_init(&next, NULL), -EINVAL);
    ck_assert_int_eq(fut_join_set_spawn(NULL, &never.base, sizeof never),
                     -EINVAL);
    ck_assert_uint_eq(fut_join_set_len(NULL), 0);
    fut_join_set_abort_all(NULL);
    fut_join_set_drop(NULL);

    ck_assert_int_eq(fut_join_set_init(&s, &conf_rt), 0);
    ck_assert_int_eq(fut_join_set_spawn(&s, NULL, sizeof never), -EINVAL);
    for (i = 0; i < 3; i++)
        ck_assert_int_eq(fut_join_set_spawn(&s, &never.base, sizeof never),
                         0);
    ck_assert_int_ge(fut_runtime_run_until_stalled(&conf_rt), 3);
    fut_join_set_abort_all(&s);
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(fut_join_set_next_init(&next, &s), 0);
        ck_assert_int_eq(fut_block_on(&conf_rt, &next.base), 0);
        fut_future_drop(&next.base);
        ck_assert_ptr_nonnull(next.task);
        if (next.result == -ECANCELED)
            cancelled++;
        ck_assert_ptr_null(fut_task_output(next.task));
        fut_task_detach(next.task);
    }
    ck_assert_int_eq(cancelled, 3);
    ck_assert_int_eq(fut_join_set_next_init(&next, &s), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &next.base), 0);
    fut_future_drop(&next.base);
    ck_assert_ptr_null(next.task);
    fut_join_set_drop(&s);
    ck_assert_int_eq(fut_join_set_spawn(&s, &never.base, sizeof never),
                     -EINVAL);
}
END_TEST

/* ---- notifiers and signals ---------------------------------------------------- */

static struct fut_notify *sig_notify;
static int sig_count;

static void
on_signal(int sig)
{
    FUT__UNUSED(sig);
    (void)fut_notify_signal(sig_notify);
    __atomic_fetch_add(&sig_count, 1, __ATOMIC_SEQ_CST);
}

struct storm {
    pthread_t target;
    int stop;
    int sent;
};

static void *
storm_thread(void *arg)
{
    struct storm *s = arg;

    while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
        if (pthread_kill(s->target, SIGUSR1) == 0)
            s->sent++;
        if ((s->sent & 15) == 0)
            sched_yield();
    }
    return NULL;
}

/* Remote spawns keep the runtime's thread taking the shared lock while
 * the handler interrupts it: a handler that took that lock would
 * deadlock. */
static void *
busy_spawner(void *arg)
{
    struct spawner_arg *a = arg;
    int i, n = rounds(2000);

    for (i = 0; i < n; i++) {
        struct counted c = { { &counted_vtable }, a->count, NULL, 0 };

        if (fut_handle_spawn(a->h, &c.base, sizeof c, NULL) != 0)
            break;
    }
    return NULL;
}

struct sig_waiter {
    struct fut_future base;
    struct fut_notify_wait w;
    int wakes, want, waiting;
};

static enum fut_poll
sig_waiter_poll(struct fut_future *f, struct fut_context *cx)
{
    struct sig_waiter *s = (struct sig_waiter *)f;

    while (s->wakes < s->want) {
        if (!s->waiting) {
            ck_assert_int_eq(fut_notify_wait_init(&s->w, sig_notify), 0);
            s->waiting = 1;
        }
        if (fut_future_poll(&s->w.base, cx) == FUT_PENDING)
            return FUT_PENDING;
        fut_future_drop(&s->w.base);
        s->waiting = 0;
        s->wakes++;
    }
    return FUT_READY;
}

static void
sig_waiter_drop(struct fut_future *f)
{
    struct sig_waiter *s = (struct sig_waiter *)f;

    if (s->waiting)
        fut_future_drop(&s->w.base);
}

static const struct fut_future_vtable sig_waiter_vtable = {
    .poll = sig_waiter_poll,
    .drop = sig_waiter_drop,
    .result = NULL,
};

START_TEST(test_threads_notify_signal_storm)
{
    struct fut_notify n;
    struct sigaction sa, old;
    struct storm st;
    struct spawner_arg a;
    struct fut_handle *h;
    struct sig_waiter w;
    pthread_t th, sp;
    int count = 0;

    memset(&w, 0, sizeof w);
    w.base.vtable = &sig_waiter_vtable;
    w.want = rounds(200);
    ck_assert_int_eq(fut_notify_init(&n, &conf_rt), 0);
    sig_notify = &n;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGUSR1, &sa, &old), 0);
    ck_assert_int_eq(fut_runtime_handle(&conf_rt, &h), 0);
    a.h = h;
    a.n = NULL;
    a.count = &count;
    memset(&st, 0, sizeof st);
    st.target = pthread_self();
    ck_assert_int_eq(pthread_create(&sp, NULL, busy_spawner, &a), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, storm_thread, &st), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &w.base), 0);
    fut_future_drop(&w.base);
    __atomic_store_n(&st.stop, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    pthread_join(sp, NULL);
    ck_assert_int_eq(fut_runtime_run(&conf_rt), 0);
    ck_assert_int_eq(sigaction(SIGUSR1, &old, NULL), 0);
    ck_assert_int_ge(__atomic_load_n(&sig_count, __ATOMIC_SEQ_CST), w.want);
    fut_notify_close(&n);
    fut_notify_close(&n); /* twice: nothing */
    ck_assert_int_eq(fut_notify_signal(&n), -ESHUTDOWN);
    fut_handle_drop(h);
}
END_TEST

/* Signals racing the runtime's close, from a thread: nothing touches the
 * backend once it is gone. */
static void *
signal_loop(void *arg)
{
    struct storm *s = arg;

    while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
        if (fut_notify_signal(sig_notify) == 0)
            s->sent++;
    return NULL;
}

START_TEST(test_threads_notify_races_close)
{
    int r, n = rounds(200);

    for (r = 0; r < n; r++) {
        struct fut_runtime rt;
        struct fut_notify nt;
        struct storm st;
        pthread_t th;

        memset(&st, 0, sizeof st);
        ck_assert_int_eq(fut_runtime_init_default(&rt), 0);
        ck_assert_int_eq(fut_notify_init(&nt, &rt), 0);
        sig_notify = &nt;
        ck_assert_int_eq(pthread_create(&th, NULL, signal_loop, &st), 0);
        if (r & 1)
            sched_yield();
        ck_assert_int_eq(fut_runtime_close(&rt), 0);
        __atomic_store_n(&st.stop, 1, __ATOMIC_RELEASE);
        pthread_join(th, NULL);
        ck_assert_int_eq(fut_notify_signal(&nt), -ESHUTDOWN);
        fut_notify_close(&nt); /* after the runtime: any thread */
    }
}
END_TEST

START_TEST(test_threads_notify_bad_input_and_drop)
{
    struct fut_notify n;
    struct fut_notify_wait w;
    struct fut_runtime rt;

    ck_assert_int_eq(fut_notify_init(NULL, &conf_rt), -EINVAL);
    memset(&rt, 0, sizeof rt);
    ck_assert_int_eq(fut_notify_init(&n, &rt), -EINVAL);
    ck_assert_int_eq(fut_notify_signal(NULL), -EINVAL);
    ck_assert_int_eq(fut_notify_wait_init(NULL, &n), -EINVAL);
    ck_assert_int_eq(fut_notify_wait_init(&w, NULL), -EINVAL);
    fut_notify_close(NULL);

    ck_assert_int_eq(fut_notify_init(&n, &conf_rt), 0);
    /* Pending wait dropped: the signal that follows is not lost. */
    ck_assert_int_eq(fut_notify_wait_init(&w, &n), 0);
    ck_assert_int_eq(fut_future_poll(&w.base, &(struct fut_context){
                                                  fut_waker_noop(),
                                                  &conf_rt }),
                     FUT_PENDING);
    fut_future_drop(&w.base);
    ck_assert_int_eq(fut_notify_signal(&n), 0);
    ck_assert_int_eq(fut_notify_signal(&n), 0); /* merged */
    ck_assert_int_eq(fut_notify_wait_init(&w, &n), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &w.base), 0);
    ck_assert_int_eq(w.result, 0);
    fut_future_drop(&w.base);
    /* Drained by the runtime's turn: nothing pending. */
    ck_assert_int_eq(fut_runtime_run_until_stalled(&conf_rt), 0);
    ck_assert_int_eq(fut_notify_wait_init(&w, &n), 0);
    ck_assert_int_eq(fut_future_poll(&w.base, &(struct fut_context){
                                                  fut_waker_noop(),
                                                  &conf_rt }),
                     FUT_PENDING);
    fut_future_drop(&w.base);
    fut_notify_close(&n);
    ck_assert_int_eq(fut_notify_wait_init(&w, &n), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &w.base), 0);
    ck_assert_int_eq(w.result, -ESHUTDOWN);
    fut_future_drop(&w.base);
}
END_TEST

Suite *
fut_conf_threads_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc;

#define THREADS_CASE(name, fn)                                              \
    tc = tcase_create(name);                                                \
    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);               \
    tcase_set_timeout(tc, 120);                                             \
    tcase_add_test(tc, fn);                                                 \
    suite_add_tcase(s, tc)

    tc = tcase_create("wake_races_close");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_threads_wake_races_close);
    tcase_add_test(tc, test_threads_block_on_waker_outlives_runtime);
    tcase_add_test(tc, test_threads_handle_after_close);
    tcase_add_test(tc, test_threads_notify_races_close);
    suite_add_tcase(s, tc);
    THREADS_CASE("select_child_from_thread",
                 test_threads_select_child_woken_from_thread);
    THREADS_CASE("select_atomic_waker_leaf",
                 test_threads_select_atomic_waker_leaf);
    THREADS_CASE("join_children_from_threads",
                 test_threads_join_children_woken_from_threads);
    THREADS_CASE("scope_join_dropped_by_timeout",
                 test_threads_scope_join_dropped_by_timeout);
    THREADS_CASE("scope_drop_parent_cancelled",
                 test_threads_scope_drop_parent_cancelled);
    THREADS_CASE("handle_spawn_from_threads",
                 test_threads_handle_spawn_from_threads);
    THREADS_CASE("handle_bad_input", test_threads_handle_bad_input);
    THREADS_CASE("join_set_order", test_threads_join_set_order_of_finish);
    THREADS_CASE("join_set_abort_all",
                 test_threads_join_set_abort_all_and_bad_input);
    THREADS_CASE("notify_signal_storm", test_threads_notify_signal_storm);
    THREADS_CASE("notify_bad_input", test_threads_notify_bad_input_and_drop);
    tc = tcase_create("join_set_drop");
    tcase_add_checked_fixture(tc, conf_setup, conf_teardown);
    tcase_add_loop_test(tc, test_threads_join_set_dropped_while_pending, 0,
                        12);
    suite_add_tcase(s, tc);
#undef THREADS_CASE
    return s;
}
