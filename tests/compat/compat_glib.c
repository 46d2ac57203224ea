/* SPDX-License-Identifier: MIT */
/* compat/glib: a runtime inside a GLib main loop, against Debian's GLib, on each backend. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>
#include <glib.h>

#include <futures.h>
#include <futures/backend.h>
#include <futures/compat-glib.h>

/*
 * Each test owns a runtime on the backend this program was linked with
 * (FUT_TEST_BACKEND), a private GMainContext and a GMainLoop over it. The
 * runtime runs as one GSource of that context. Tests wait for the thing
 * itself (a task quits the loop when it saw what it waited for); a GLib
 * timeout of 60 s that fails the test is the only clock, a safety net.
 * On libevent and libev a runtime in the default mode has no descriptor
 * (the source is -ENOTSUP: checked in glib_bad_input), so there the tests
 * make the runtime in one-descriptor mode (FUT_BACKEND_ONE_FD).
 */

static struct fut_runtime rt;
static GMainContext *ctx;
static GMainLoop *loop;
static GSource *src;
static int has_fd;

/* libevent and libev: no descriptor unless made in one-descriptor mode. */
static int
needs_one_fd(void)
{
    return strcmp(FUT_TEST_BACKEND, "event") == 0 ||
           strcmp(FUT_TEST_BACKEND, "ev") == 0;
}

static int
runtime_init(struct fut_runtime *r, unsigned int flags)
{
    struct fut_backend_config bc;
    struct fut_runtime_config cfg;

    memset(&bc, 0, sizeof bc);
    memset(&cfg, 0, sizeof cfg);
    bc.version = 1;
    bc.flags = flags;
    cfg.version = 1;
    cfg.backend = &bc;
    return fut_runtime_init(r, fut_backend_default(), &cfg);
}

static gboolean
safety_net(gpointer data)
{
    (void)data;
    ck_abort_msg("the main loop did not get there within 60 s");
    return G_SOURCE_REMOVE;
}

static void
setup(void)
{
    int err;

    ck_assert_int_eq(
        runtime_init(&rt, needs_one_fd() ? FUT_BACKEND_ONE_FD : 0), 0);
    ck_assert_str_eq(fut_runtime_backend_name(&rt), FUT_TEST_BACKEND);
    ctx = g_main_context_new();
    loop = g_main_loop_new(ctx, FALSE);
    err = fut_glib_source_new(&rt, &src);
    ck_assert_int_eq(err, 0);
    has_fd = 1;
    g_source_attach(src, ctx);
}

static void
teardown(void)
{
    if (src != NULL) {
        g_source_destroy(src);
        g_source_unref(src);
        src = NULL;
    }
    /* Close with tasks left (the teardown test): they are cancelled. */
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    g_main_loop_unref(loop);
    g_main_context_unref(ctx);
}

/* Run the loop until a task or callback quits it; 60 s safety net. */
static void
run_loop(void)
{
    GSource *net = g_timeout_source_new_seconds(60);

    g_source_set_callback(net, safety_net, NULL, NULL);
    g_source_attach(net, ctx);
    g_main_loop_run(loop);
    g_source_destroy(net);
    g_source_unref(net);
}

#define NEED_FD()                                                          \
    do {                                                                   \
        if (!has_fd)                                                       \
            return; /* libevent, libev: checked -ENOTSUP in setup */       \
    } while (0)

/* ---- task futures ------------------------------------------------------------ */

/* Read bytes from a descriptor until end of file (or @want bytes), then
 * quit the loop. Posts @polled (if set) on its first poll. */
struct reader {
    struct fut_future base;
    struct fut_fd *in;
    struct fut_read rd;
    int reading, first_done;
    char buf[64];
    size_t got, want;
    ssize_t last;
    sem_t *polled;
    int quit;
};

static enum fut_poll
reader_poll(struct fut_future *f, struct fut_context *cx)
{
    struct reader *r = (struct reader *)f;

    if (!r->first_done) {
        r->first_done = 1;
        if (r->polled != NULL)
            sem_post(r->polled);
    }
    for (;;) {
        if (!r->reading) {
            ck_assert_int_eq(fut_read_init(&r->rd, &r->in->reader, r->buf,
                                           sizeof r->buf),
                             0);
            r->reading = 1;
        }
        if (fut_future_poll(&r->rd.base, cx) == FUT_PENDING)
            return FUT_PENDING;
        r->reading = 0;
        fut_future_drop(&r->rd.base);
        r->last = r->rd.res;
        if (r->rd.res <= 0)
            break;
        r->got += (size_t)r->rd.res;
        if (r->want != 0 && r->got >= r->want)
            break;
    }
    if (r->quit)
        g_main_loop_quit(loop);
    return FUT_READY;
}

static void
reader_drop(struct fut_future *f)
{
    struct reader *r = (struct reader *)f;

    if (r->reading)
        fut_future_drop(&r->rd.base);
}

static const struct fut_future_vtable reader_vt = { reader_poll, reader_drop,
                                                    NULL };

/* Sleep, count, maybe quit. */
struct sleeper {
    struct fut_future base;
    struct fut_sleep sleep;
    int *count;
    int quit;
};

static enum fut_poll
sleeper_poll(struct fut_future *f, struct fut_context *cx)
{
    struct sleeper *s = (struct sleeper *)f;

    if (fut_future_poll(&s->sleep.base, cx) == FUT_PENDING)
        return FUT_PENDING;
    __atomic_add_fetch(s->count, 1, __ATOMIC_RELEASE);
    if (s->quit)
        g_main_loop_quit(loop);
    return FUT_READY;
}

static void
sleeper_drop(struct fut_future *f)
{
    fut_future_drop(&((struct sleeper *)f)->sleep.base);
}

static const struct fut_future_vtable sleeper_vt = { sleeper_poll,
                                                     sleeper_drop, NULL };

static struct sleeper
make_sleeper(int64_t ns, int *count, int quit)
{
    struct sleeper s;

    s.base.vtable = &sleeper_vt;
    ck_assert_int_eq(fut_sleep_init(&s.sleep, ns), 0);
    s.count = count;
    s.quit = quit;
    return s;
}

/* Yields until *stop, counting polls. */
struct spinner {
    struct fut_future base;
    int *stop;
    long *polls;
};

static enum fut_poll
spinner_poll(struct fut_future *f, struct fut_context *cx)
{
    struct spinner *s = (struct spinner *)f;

    (*s->polls)++;
    if (*s->stop)
        return FUT_READY;
    fut_waker_wake_by_ref(cx->waker);
    return FUT_PENDING;
}

static void
spinner_drop(struct fut_future *f)
{
    (void)f;
}

static const struct fut_future_vtable spinner_vt = { spinner_poll,
                                                     spinner_drop, NULL };

/* ---- tests --------------------------------------------------------------------- */

START_TEST(glib_bad_input)
{
    GSource *s = (GSource *)&s;
    struct fut_runtime plain;

    ck_assert_int_eq(fut_glib_source_new(NULL, &s), -EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(fut_glib_source_new(&rt, NULL), -EINVAL);
    /* A runtime in the default mode: a descriptor on epoll and libuv,
     * none on libevent and libev. */
    ck_assert_int_eq(runtime_init(&plain, 0), 0);
    s = (GSource *)&s;
    if (needs_one_fd()) {
        ck_assert_int_eq(fut_glib_source_new(&plain, &s), -ENOTSUP);
        ck_assert_ptr_null(s);
    } else {
        ck_assert_int_eq(fut_glib_source_new(&plain, &s), 0);
        g_source_unref(s);
    }
    ck_assert_int_eq(fut_runtime_close(&plain), 0);
    /* A closed runtime. */
    s = (GSource *)&s;
    ck_assert_int_eq(fut_glib_source_new(&plain, &s), -EINVAL);
    ck_assert_ptr_null(s);
}
END_TEST

/* A futures timer fires inside g_main_loop_run(), not early. */
START_TEST(glib_timer)
{
    int count = 0;
    struct sleeper s;
    gint64 t0 = g_get_monotonic_time();

    NEED_FD();
    s = make_sleeper(20 * FUT_NSEC_PER_MSEC, &count, 1);
    ck_assert_int_eq(FUT_SPAWN(&rt, &s, NULL), 0);
    run_loop();
    ck_assert_int_eq(count, 1);
    ck_assert_int_ge(g_get_monotonic_time() - t0, 20000);
}
END_TEST

/* I/O: GLib timeouts write, a task reads to end of file. */
struct ticker {
    int fd, left;
};

static gboolean
tick_write(gpointer data)
{
    struct ticker *t = data;

    ck_assert_int_eq(write(t->fd, "0123456789", 10), 10);
    if (--t->left > 0)
        return G_SOURCE_CONTINUE;
    close(t->fd);
    t->fd = -1;
    return G_SOURCE_REMOVE;
}

START_TEST(glib_io_from_glib_callbacks)
{
    int sv[2];
    struct fut_fd in;
    struct reader r;
    struct ticker tk;
    struct fut_task *task;
    GSource *t;

    NEED_FD();
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(fut_fd_init(&in, sv[0], FUT_FD_OWN), 0);
    memset(&r, 0, sizeof r);
    r.base.vtable = &reader_vt;
    r.in = &in;
    r.quit = 1;
    ck_assert_int_eq(FUT_SPAWN(&rt, &r, &task), 0);
    tk.fd = sv[1];
    tk.left = 5;
    t = g_timeout_source_new(2);
    g_source_set_callback(t, tick_write, &tk, NULL);
    g_source_attach(t, ctx);
    run_loop();
    g_source_destroy(t);
    g_source_unref(t);
    ck_assert(fut_task_is_finished(task));
    fut_task_detach(task);
    ck_assert_int_eq(tk.fd, -1);
    ck_assert_int_eq(fut_fd_close(&in), 0);
}
END_TEST

/* The trap: a task spawned from a GLib callback registers interest in a
 * descriptor after the source handed the runtime's descriptor to the
 * context; the byte then comes from another thread while the context
 * blocks with no timeout. prepare applied the change, so it wakes. */
struct late {
    struct fut_fd *in;
    sem_t polled;
    int fd;
};

static gboolean
spawn_late_reader(gpointer data)
{
    struct late *l = data;
    struct reader r;

    memset(&r, 0, sizeof r);
    r.base.vtable = &reader_vt;
    r.in = l->in;
    r.want = 1;
    r.polled = &l->polled;
    r.quit = 1;
    ck_assert_int_eq(FUT_SPAWN(&rt, &r, NULL), 0);
    return G_SOURCE_REMOVE;
}

static void *
late_writer(void *arg)
{
    struct late *l = arg;

    while (sem_wait(&l->polled) != 0)
        ck_assert_int_eq(errno, EINTR);
    ck_assert_int_eq(write(l->fd, "x", 1), 1);
    return NULL;
}

START_TEST(glib_interest_registered_after_the_fd_was_handed_out)
{
    int sv[2];
    struct fut_fd in;
    struct late l;
    pthread_t th;
    GSource *idle;

    NEED_FD();
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(fut_fd_init(&in, sv[0], FUT_FD_OWN), 0);
    l.in = &in;
    l.fd = sv[1];
    ck_assert_int_eq(sem_init(&l.polled, 0, 0), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, late_writer, &l), 0);
    /* Let the context iterate once with nothing to do first. */
    g_main_context_iteration(ctx, FALSE);
    idle = g_idle_source_new();
    g_source_set_callback(idle, spawn_late_reader, &l, NULL);
    g_source_attach(idle, ctx);
    g_source_unref(idle);
    run_loop();
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    sem_destroy(&l.polled);
    ck_assert_int_eq(fut_fd_close(&in), 0);
    close(sv[1]);
}
END_TEST

/* A task spawned from another thread while the context blocks. */
struct remote {
    struct fut_handle *h;
    int count;
};

static void *
remote_spawn(void *arg)
{
    struct remote *rm = arg;
    struct sleeper s = make_sleeper(0, &rm->count, 1);

    ck_assert_int_eq(fut_handle_spawn(rm->h, &s.base, sizeof s, NULL), 0);
    return NULL;
}

START_TEST(glib_spawn_from_another_thread)
{
    struct remote rm;
    pthread_t th;

    NEED_FD();
    rm.count = 0;
    ck_assert_int_eq(fut_runtime_handle(&rt, &rm.h), 0);
    ck_assert_int_eq(pthread_create(&th, NULL, remote_spawn, &rm), 0);
    run_loop();
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_int_eq(__atomic_load_n(&rm.count, __ATOMIC_ACQUIRE), 1);
    fut_handle_drop(rm.h);
}
END_TEST

/* Busy tasks do not starve the program's own sources: a GLib timeout
 * still fires while 100 tasks yield to each other without end. */
struct stopper {
    int stop;
    int fired;
};

static gboolean
stop_spinners(gpointer data)
{
    struct stopper *s = data;

    s->stop = 1;
    s->fired = 1;
    return G_SOURCE_REMOVE;
}

static gboolean
quit_when_idle(gpointer data)
{
    (void)data;
    if (fut_runtime_task_count(&rt) != 0)
        return G_SOURCE_CONTINUE;
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

START_TEST(glib_busy_runtime_leaves_glib_its_turn)
{
    struct stopper st = { 0, 0 };
    long polls = 0;
    GSource *t, *q;
    int i;

    NEED_FD();
    for (i = 0; i < 100; i++) {
        struct spinner s = { { &spinner_vt }, &st.stop, &polls };

        ck_assert_int_eq(FUT_SPAWN(&rt, &s, NULL), 0);
    }
    t = g_timeout_source_new(5);
    g_source_set_callback(t, stop_spinners, &st, NULL);
    g_source_attach(t, ctx);
    g_source_unref(t);
    q = g_idle_source_new();
    g_source_set_priority(q, G_PRIORITY_LOW);
    g_source_set_callback(q, quit_when_idle, NULL, NULL);
    g_source_attach(q, ctx);
    g_source_unref(q);
    run_loop();
    ck_assert(st.fired);
    ck_assert_uint_eq(fut_runtime_task_count(&rt), 0);
    ck_assert_int_ge(polls, 200);
}
END_TEST

/* fut_block_on() from a GLib callback while the source is attached: it
 * drives the runtime itself; the source stays quiet meanwhile. */
static gboolean
block_on_from_callback(gpointer data)
{
    int *count = data;
    struct sleeper s = make_sleeper(FUT_NSEC_PER_MSEC, count, 0);

    ck_assert_int_eq(fut_block_on(&rt, &s.base), 0);
    fut_future_drop(&s.base);
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

START_TEST(glib_block_on_from_a_callback)
{
    int count = 0;
    GSource *idle;
    struct sleeper bg;

    NEED_FD();
    /* A task that the block_on runs too, as any other task. */
    bg = make_sleeper(0, &count, 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &bg, NULL), 0);
    idle = g_idle_source_new();
    g_source_set_callback(idle, block_on_from_callback, &count, NULL);
    g_source_attach(idle, ctx);
    g_source_unref(idle);
    run_loop();
    /* The block_on's sleeper, and the task (run by the block_on or by the
     * source before it). */
    while (count < 2)
        g_main_context_iteration(ctx, TRUE);
    ck_assert_int_eq(count, 2);
}
END_TEST

/* A task that iterates the context itself (a nested main loop, as a modal
 * dialog does): the source is not re-entered, and the nested iteration
 * runs the program's sources. */
struct nester {
    struct fut_future base;
    int *fired;
};

static gboolean
set_flag(gpointer data)
{
    *(int *)data = 1;
    return G_SOURCE_REMOVE;
}

static enum fut_poll
nester_poll(struct fut_future *f, struct fut_context *cx)
{
    struct nester *n = (struct nester *)f;
    GSource *idle = g_idle_source_new();

    (void)cx;
    g_source_set_callback(idle, set_flag, n->fired, NULL);
    g_source_attach(idle, ctx);
    g_source_unref(idle);
    while (!*n->fired)
        g_main_context_iteration(ctx, TRUE);
    g_main_loop_quit(loop);
    return FUT_READY;
}

static void
nester_drop(struct fut_future *f)
{
    (void)f;
}

static const struct fut_future_vtable nester_vt = { nester_poll, nester_drop,
                                                    NULL };

START_TEST(glib_nested_iteration_from_a_task)
{
    int fired = 0;
    struct nester n = { { &nester_vt }, &fired };

    NEED_FD();
    ck_assert_int_eq(FUT_SPAWN(&rt, &n, NULL), 0);
    run_loop();
    ck_assert(fired);
    ck_assert_uint_eq(fut_runtime_task_count(&rt), 0);
}
END_TEST

/* Teardown with work pending: tasks waiting on I/O and timers when the
 * source is destroyed and the runtime closed. No leak, nothing touched
 * afterwards (ASan, valgrind). */
START_TEST(glib_teardown_with_pending_tasks)
{
    int sv[2], count = 0;
    struct fut_fd in;
    struct reader r;
    struct sleeper s = make_sleeper(3600 * FUT_NSEC_PER_SEC, &count, 0);
    struct sleeper quick = make_sleeper(FUT_NSEC_PER_MSEC, &count, 1);

    NEED_FD();
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(fut_fd_init(&in, sv[0], FUT_FD_OWN), 0);
    memset(&r, 0, sizeof r);
    r.base.vtable = &reader_vt;
    r.in = &in;
    ck_assert_int_eq(FUT_SPAWN(&rt, &r, NULL), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &s, NULL), 0);
    ck_assert_int_eq(FUT_SPAWN(&rt, &quick, NULL), 0);
    run_loop();
    ck_assert_int_eq(count, 1);
    ck_assert_uint_eq(fut_runtime_task_count(&rt), 2);
    /* teardown() destroys the source and closes the runtime now; the
     * reader's registration goes with the close; the descriptor is
     * closed after (fut_fd_close on a runtime-less fd is fine). */
    g_source_destroy(src);
    g_source_unref(src);
    src = NULL;
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(fut_fd_close(&in), 0);
    close(sv[1]);
    /* teardown closes again: make that a fresh runtime. */
    ck_assert_int_eq(
        runtime_init(&rt, needs_one_fd() ? FUT_BACKEND_ONE_FD : 0), 0);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("compat-glib-" FUT_TEST_BACKEND);
    TCase *tc = tcase_create("source");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, glib_bad_input);
    tcase_add_test(tc, glib_timer);
    tcase_add_test(tc, glib_io_from_glib_callbacks);
    tcase_add_test(tc, glib_interest_registered_after_the_fd_was_handed_out);
    tcase_add_test(tc, glib_spawn_from_another_thread);
    tcase_add_test(tc, glib_busy_runtime_leaves_glib_its_turn);
    tcase_add_test(tc, glib_block_on_from_a_callback);
    tcase_add_test(tc, glib_nested_iteration_from_a_task);
    tcase_add_test(tc, glib_teardown_with_pending_tasks);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
