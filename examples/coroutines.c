/* SPDX-License-Identifier: MIT */
/* An echo server and its clients written as coroutines: plain C locals across every await. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <futures.h>

#define CLIENTS 8
#define ROUNDS 20

struct server {
    struct fut_tcp_listener listener;
    struct fut_scope conns; /* one coroutine per connection */
    int accepted;
};

/* One connection: echo until the client shuts its side down. */
static int
serve_conn(void *arg)
{
    struct fut_tcp_stream *conn = arg;
    char buf[256];
    struct fut_read rd;
    struct fut_write_all wr;
    int err;

    for (;;) {
        fut_read_init(&rd, &conn->reader, buf, sizeof buf);
        err = fut_await(&rd.base);
        if (err != 0 || rd.res == 0)
            break;
        fut_write_all_init(&wr, &conn->writer, buf, (size_t)rd.res);
        err = fut_await(&wr.base);
        if (err != 0)
            break;
    }
    /* Runs however the coroutine ends: finished, or cancelled (every
     * await then fails with -ECANCELED), so the stream is never leaked. */
    fut_tcp_stream_close(conn);
    fut_mem_free(conn);
    return err;
}

/* Accept CLIENTS connections, each served by a coroutine of its own. */
static int
accept_loop(void *arg)
{
    struct server *srv = arg;
    struct fut_tcp_accept acc;
    struct fut_coro conn_coro;
    struct fut_tcp_stream *conn;
    int err = 0;

    while (srv->accepted < CLIENTS) {
        conn = fut_mem_alloc(sizeof *conn);
        if (conn == NULL)
            return -ENOMEM;
        fut_tcp_accept_init(&acc, &srv->listener, conn);
        err = fut_await(&acc.base);
        if (err != 0) {
            fut_mem_free(conn);
            break;
        }
        srv->accepted++;
        fut_coro_init(&conn_coro, serve_conn, conn, NULL);
        err = fut_scope_spawn(&srv->conns, &conn_coro.base, sizeof conn_coro,
                              NULL);
        if (err != 0) { /* not spawned: it was never polled, so drop it */
            fut_future_drop(&conn_coro.base); /* serve_conn cleans up */
            break;
        }
    }
    return err;
}

struct client {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int id;
};

/* Connect, then ROUNDS request/reply round trips with a short pause. */
static int
client(void *arg)
{
    struct client *c = arg;
    struct fut_tcp_stream s;
    struct fut_tcp_connect conn;
    struct fut_write_all wr;
    struct fut_read_exact rd;
    struct fut_sleep pause;
    char msg[64], reply[64];
    int i, len, err;

    fut_tcp_stream_init(&s);
    fut_tcp_connect_init(&conn, &s, (struct sockaddr *)&c->addr, c->addrlen,
                         5 * FUT_NSEC_PER_SEC);
    err = fut_await(&conn.base);
    if (err != 0)
        return err;
    for (i = 0; i < ROUNDS && err == 0; i++) {
        len = snprintf(msg, sizeof msg, "client %d, round %d\n", c->id, i);
        fut_write_all_init(&wr, &s.writer, msg, (size_t)len);
        err = fut_await(&wr.base);
        if (err == 0) {
            fut_read_exact_init(&rd, &s.reader, reply, (size_t)len);
            err = fut_await(&rd.base);
        }
        if (err == 0 && memcmp(msg, reply, (size_t)len) != 0)
            err = -EPROTO;
        if (err == 0) {
            fut_sleep_init(&pause, FUT_NSEC_PER_MSEC / 10);
            err = fut_await(&pause.base);
        }
    }
    fut_tcp_stream_shutdown(&s, SHUT_WR);
    fut_tcp_stream_close(&s);
    return err;
}

int
main(void)
{
    struct fut_runtime rt;
    struct server srv;
    struct client clients[CLIENTS];
    struct fut_task *acceptor, *tasks[CLIENTS];
    struct fut_scope_wait wait;
    int i, err, failed = 0;

    err = fut_runtime_init_default(&rt);
    if (err != 0) {
        fprintf(stderr, "runtime: %s\n", fut_strerror(err));
        return 1;
    }
    memset(&srv, 0, sizeof srv);
    fut_sockaddr_parse("127.0.0.1", 0, &clients[0].addr, &clients[0].addrlen);
    err = fut_tcp_listener_bind(&srv.listener,
                                (struct sockaddr *)&clients[0].addr,
                                clients[0].addrlen, 0);
    if (err == 0)
        err = fut_tcp_listener_local_addr(&srv.listener, &clients[0].addr,
                                          &clients[0].addrlen);
    if (err != 0) {
        fprintf(stderr, "listen: %s\n", fut_strerror(err));
        fut_runtime_close(&rt);
        return 1;
    }
    fut_scope_init(&srv.conns, &rt, 0);
    err = fut_coro_spawn(&rt, accept_loop, &srv, NULL, &acceptor);
    for (i = 0; i < CLIENTS && err == 0; i++) {
        clients[i].addr = clients[0].addr;
        clients[i].addrlen = clients[0].addrlen;
        clients[i].id = i;
        err = fut_coro_spawn(&rt, client, &clients[i], NULL, &tasks[i]);
    }
    if (err != 0) {
        fprintf(stderr, "spawn: %s\n", fut_strerror(err));
        return 1;
    }
    /* Run everything; the connection coroutines end when their clients
     * shut down, and the scope's join waits for them. */
    fut_scope_join_init(&wait, &srv.conns);
    err = fut_runtime_run(&rt);
    if (err == 0)
        err = fut_block_on(&rt, &wait.base);
    if (err == 0 && wait.result != 0)
        err = wait.result;
    fut_future_drop(&wait.base);
    if (fut_task_result(acceptor) != 0)
        failed++;
    fut_task_detach(acceptor);
    for (i = 0; i < CLIENTS; i++) {
        if (fut_task_result(tasks[i]) != 0) {
            fprintf(stderr, "client %d: %s\n", i,
                    fut_strerror(fut_task_result(tasks[i])));
            failed++;
        }
        fut_task_detach(tasks[i]);
    }
    fut_tcp_listener_close(&srv.listener);
    fut_runtime_close(&rt);
    fut_coro_pool_trim();
    if (err != 0 || failed != 0) {
        fprintf(stderr, "coroutines: %s, %d failed\n", fut_strerror(err),
                failed);
        return 1;
    }
    printf("coroutines: %d clients x %d round trips echoed, %d connections "
           "served\n", CLIENTS, ROUNDS, srv.accepted);
    return 0;
}
