/* SPDX-License-Identifier: MIT */
/* One program, several backends chosen at run time, each runtime on its own thread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <futures.h>
#include <futures/backend-epoll.h>
#ifdef FUT_HAVE_UV
#include <futures/backend-uv.h>
#endif
#ifdef FUT_HAVE_EVENT
#include <futures/backend-event.h>
#endif
#ifdef FUT_HAVE_EV
#include <futures/backend-ev.h>
#endif

#include "support.h"

/*
 * Each thread runs a runtime on a different backend. A task on it sleeps,
 * then forwards every value it receives on its own channel to the next
 * thread's channel: a token goes round the ring of runtimes ROUNDS times,
 * crossing threads and backends at every hop.
 */
enum { ROUNDS = 50 };

struct node {
    const char *name;
    const struct fut_backend_vtable *backend;
    struct fut_mpsc_sender to_next;
    struct fut_mpsc_receiver inbox;
    int hops;
    int err;
};

struct relay {
    struct fut_future base;
    int state;
    struct node *node;
    int last;
    struct fut_sleep nap;
    struct fut_mpsc_recv recv;
    struct fut_mpsc_send send;
    int token;
};

static enum fut_poll
relay_poll(struct fut_future *f, struct fut_context *cx)
{
    struct relay *r = (struct relay *)f;

    FUT_ASYNC_BEGIN(&r->state);
    fut_sleep_init(&r->nap, FUT_NSEC_PER_MSEC);
    FUT_AWAIT_FUTURE(&r->state, &r->nap.base, cx);
    for (;;) {
        fut_mpsc_recv_init(&r->recv, &r->node->inbox, &r->token);
        FUT_AWAIT_FUTURE(&r->state, &r->recv.base, cx);
        if (r->recv.res != 1)
            break; /* the ring is shutting down */
        r->node->hops++;
        if (r->last && r->token >= ROUNDS)
            break; /* done: close our sender below, which ends the ring */
        if (r->last)
            r->token++;
        fut_mpsc_send_init(&r->send, &r->node->to_next, &r->token);
        FUT_AWAIT_FUTURE(&r->state, &r->send.base, cx);
        if (r->send.res != 0) {
            r->node->err = r->send.res;
            break;
        }
    }
    fut_mpsc_sender_close(&r->node->to_next);
    FUT_ASYNC_END(&r->state);
}

static void
relay_drop(struct fut_future *f)
{
    struct relay *r = (struct relay *)f;

    fut_future_drop(&r->nap.base);
    fut_future_drop(&r->recv.base);
    fut_future_drop(&r->send.base);
}

static const struct fut_future_vtable relay_vtable = {
    .poll = relay_poll, .drop = relay_drop, .result = NULL,
};

struct thread_arg {
    struct node *node;
    int last;
    int err;
    char name[16];
};

static void *
run_node(void *p)
{
    struct thread_arg *a = p;
    struct fut_runtime rt;
    struct relay r;

    a->err = fut_runtime_init(&rt, a->node->backend, NULL);
    if (a->err != 0)
        return NULL;
    snprintf(a->name, sizeof a->name, "%s",
             fut_runtime_backend_name(&rt));
    memset(&r, 0, sizeof r);
    r.base.vtable = &relay_vtable;
    r.node = a->node;
    r.last = a->last;
    a->err = fut_block_on(&rt, &r.base);
    fut_future_drop(&r.base);
    fut_mpsc_receiver_close(&a->node->inbox);
    if (a->err == 0)
        a->err = fut_runtime_close(&rt);
    else
        (void)fut_runtime_close(&rt);
    return NULL;
}

START_TEST(test_multi_backend_ring)
{
    struct node nodes[4];
    struct thread_arg args[4];
    pthread_t th[4];
    int n = 0, i, first = 0;

    memset(nodes, 0, sizeof nodes);
    nodes[n++].backend = fut_backend_epoll();
#ifdef FUT_HAVE_UV
    nodes[n++].backend = fut_backend_uv();
#endif
#ifdef FUT_HAVE_EVENT
    nodes[n++].backend = fut_backend_event();
#endif
#ifdef FUT_HAVE_EV
    nodes[n++].backend = fut_backend_ev();
#endif
    ck_assert_int_ge(n, 1);
    /* Node i's inbox is fed by node i-1 (the ring closes at node 0). */
    for (i = 0; i < n; i++)
        ck_assert_int_eq(fut_mpsc_new(&nodes[(i + n - 1) % n].to_next,
                                      &nodes[i].inbox, sizeof(int), 1), 0);
    /* The first token enters node 0's inbox through a clone of the last
     * node's sender. */
    {
        struct fut_mpsc_sender extra;

        ck_assert_int_eq(fut_mpsc_sender_clone(&nodes[n - 1].to_next, &extra),
                         0);
        ck_assert_int_eq(fut_mpsc_try_send(&extra, &first), 0);
        fut_mpsc_sender_close(&extra);
    }
    for (i = 0; i < n; i++) {
        args[i].node = &nodes[i];
        args[i].last = i == n - 1;
        args[i].err = 0;
        ck_assert_int_eq(pthread_create(&th[i], NULL, run_node, &args[i]),
                         0);
    }
    for (i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    for (i = 0; i < n; i++) {
        printf("# node %d on %s: %d hops, err %d\n", i, args[i].name,
               nodes[i].hops, args[i].err);
        ck_assert_int_eq(args[i].err, 0);
        ck_assert_int_eq(nodes[i].err, 0);
        ck_assert_int_ge(nodes[i].hops, ROUNDS);
    }
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("multi_backend");
    TCase *tc = tcase_create("ring");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_multi_backend_ring);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    if (getenv("CK_TAP_LOG_FILE_NAME") == NULL)
        srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
