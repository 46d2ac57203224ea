/* SPDX-License-Identifier: MIT */
/* A libevent program whose task talks through a wrapped bufferevent (compat/event). */

/*
 * Build:
 *     cc -std=c11 event-compat-ping.c \
 *         $(pkg-config --cflags --libs futures-eventcompat futures-event)
 */
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <futures.h>
#include <futures/backend-event.h>
#include <futures/compat-event.h>

static char answer[64];

/* The task: "ping" through the wrapped end, close it, read until EOF. */
struct ask {
    FUT_FRAME;
    struct fut_bufferevent_stream *s;
    size_t len;
    union {
        struct fut_write_all wa;
        struct fut_shutdown sh;
        struct fut_read rd;
    } u;
};

FUT_ASYNC_FN(ask, struct ask, a, cx)
{
    FUT_BEGIN(a, cx);
    FUT_AWAIT_TRY(&a->u.wa,
                  fut_write_all_init(&a->u.wa, &a->s->writer, "ping", 4));
    FUT_AWAIT_TRY(&a->u.sh, fut_shutdown_init(&a->u.sh, &a->s->writer));
    do {
        FUT_AWAIT_TRY(&a->u.rd,
                      fut_read_init(&a->u.rd, &a->s->reader, answer + a->len,
                                    sizeof answer - 1 - a->len));
        a->len += (size_t)a->u.rd.res;
    } while (a->u.rd.res > 0);
    FUT_END;
}

/* The program's own end, plain libevent: at EOF, answer and shut down. */
static void
peer_written(struct bufferevent *bev, void *arg)
{
    (void)arg;
    shutdown(bufferevent_getfd(bev), SHUT_WR);
}

static void
peer_read(struct bufferevent *bev, void *arg)
{
    struct evbuffer *in = bufferevent_get_input(bev);

    (void)arg;
    evbuffer_drain(in, evbuffer_get_length(in));
}

static void
peer_event(struct bufferevent *bev, short what, void *arg)
{
    (void)arg;
    if (what & BEV_EVENT_EOF) {
        bufferevent_setcb(bev, NULL, peer_written, NULL, NULL);
        bufferevent_write(bev, "pong", 4);
    }
}

static void
on_done(void *base, int result)
{
    printf("task: %s, answer: %s\n", fut_strerror(result), answer);
    event_base_loopbreak(base);
}

int
main(void)
{
    struct event_base *base = event_base_new();
    struct bufferevent *mine, *peer;
    struct fut_bufferevent_stream s;
    struct fut_runtime rt;
    struct ask a;
    int sv[2];

    signal(SIGPIPE, SIG_IGN);
    if (base == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return 1;
    evutil_make_socket_nonblocking(sv[0]);
    evutil_make_socket_nonblocking(sv[1]);
    mine = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
    peer = bufferevent_socket_new(base, sv[1], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(peer, peer_read, NULL, peer_event, NULL);
    bufferevent_enable(peer, EV_READ);
    fut_event_attach(&rt, base);
    fut_bufferevent_stream_init(&s, mine, 0, 0); /* mine's callbacks now */
    a = FUT_FRAME_VALUE(ask, .s = &s);
    FUT_SPAWN_CALLBACK(&rt, &a, on_done, base);
    event_base_dispatch(base); /* until on_done breaks it */
    fut_runtime_close(&rt);
    fut_bufferevent_stream_release(&s); /* before the free */
    bufferevent_free(mine);
    bufferevent_free(peer);
    event_base_free(base);
    return 0;
}
