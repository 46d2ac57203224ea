/* SPDX-License-Identifier: MIT */
/* A plain libevent 2.1 program: an evconnlistener + bufferevent echo
 * server on 127.0.0.1 that runs its own clients in the same event loop.
 * NCONN client bufferevents connect, each sends a fixed script (lines of
 * several sizes, one large block that needs many reads and writes, then a
 * last line), checks every reply, and closes; the server echoes with
 * evbuffer_add_buffer and frees each connection at its EOF. When every
 * client is done and every server connection closed, the loop exits and
 * the program prints a summary that does not depend on timing (no ports,
 * no addresses, no counts of reads).
 *
 * Built against the real libevent (examples/eventapi/bufferevent-echo-libevent)
 * and against the libevent API shim of libfutures on each backend;
 * tests/eventapi/check-programs.sh compares what they print. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#define NCONN 8
#define NLINES 40
#define BLOCK (256 * 1024)

struct client {
    int id;
    struct bufferevent *bev;
    int step;           /* script position: NLINES lines, the block, the last line */
    size_t want;        /* bytes of the block still expected */
    unsigned long sum;  /* checksum of the block received */
    int lines_ok, lines_bad;
    int connected_events, other_events;
    int done;
};

static struct event_base *base;
static struct evconnlistener *listener;
static struct client clients[NCONN];
static struct sockaddr_in server_addr;
static int accepted, server_open, server_eof, server_other;
static size_t server_bytes;
static int clients_done;
static int accept_errors;
static unsigned char block[BLOCK];

static void
maybe_finish(void)
{
    if (clients_done == NCONN && accepted == NCONN && server_open == 0) {
        evconnlistener_free(listener);
        listener = NULL;
        event_base_loopexit(base, NULL);
    }
}

/* ---- server side ---- */

static void
server_read(struct bufferevent *bev, void *arg)
{
    (void)arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    server_bytes += evbuffer_get_length(in);
    evbuffer_add_buffer(bufferevent_get_output(bev), in);
}

static void
server_event(struct bufferevent *bev, short what, void *arg)
{
    (void)arg;
    if (what == (BEV_EVENT_EOF | BEV_EVENT_READING))
        server_eof++;
    else
        server_other++;
    bufferevent_free(bev);
    server_open--;
    maybe_finish();
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
          int socklen, void *arg)
{
    (void)l; (void)sa; (void)socklen; (void)arg;
    struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL) {
        evutil_closesocket(fd);
        accept_errors++;
        return;
    }
    accepted++;
    server_open++;
    bufferevent_setcb(bev, server_read, NULL, server_event, NULL);
    if (bufferevent_enable(bev, EV_READ | EV_WRITE) != 0)
        accept_errors++;
}

static void
on_accept_error(struct evconnlistener *l, void *arg)
{
    (void)l; (void)arg;
    accept_errors++;
}

/* ---- client side ---- */

static size_t
line_len(int id, int i)
{
    return 1 + (size_t)((id * 131 + i * 977) % 3000);
}

/* The line a client sends at step i: "c<id> l<i> " then filler, then '\n'. */
static void
send_line(struct client *c, int i)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    size_t n = line_len(c->id, i);
    evbuffer_add_printf(out, "c%d l%d ", c->id, i);
    for (size_t k = 0; k < n; k++) {
        char ch = (char)('a' + (int)((k + (size_t)i) % 26));
        evbuffer_add(out, &ch, 1);
    }
    evbuffer_add(out, "\n", 1);
}

static int
check_line(const struct client *c, int i, const char *line, size_t len)
{
    char head[32];
    int h = snprintf(head, sizeof head, "c%d l%d ", c->id, i);
    size_t n = line_len(c->id, i);
    if (len != (size_t)h + n || memcmp(line, head, (size_t)h) != 0)
        return 0;
    for (size_t k = 0; k < n; k++)
        if (line[(size_t)h + k] != (char)('a' + (int)((k + (size_t)i) % 26)))
            return 0;
    return 1;
}

static void
client_next(struct client *c)
{
    if (c->step < NLINES) {
        send_line(c, c->step);
    } else if (c->step == NLINES) {
        c->want = BLOCK;
        bufferevent_write(c->bev, block, BLOCK);
    } else if (c->step == NLINES + 1) {
        bufferevent_write(c->bev, "bye\n", 4);
    }
}

static void
client_read(struct bufferevent *bev, void *arg)
{
    struct client *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        if (c->step == NLINES) {
            unsigned char tmp[4096];
            size_t avail = evbuffer_get_length(in);
            if (avail == 0)
                return;
            while (avail > 0 && c->want > 0) {
                size_t n = avail < sizeof tmp ? avail : sizeof tmp;
                if (n > c->want)
                    n = c->want;
                int got = evbuffer_remove(in, tmp, n);
                if (got <= 0)
                    return;
                size_t off = BLOCK - c->want;
                for (int k = 0; k < got; k++)
                    c->sum += (unsigned long)(tmp[k] ^ block[off + (size_t)k]) + tmp[k];
                c->want -= (size_t)got;
                avail -= (size_t)got;
            }
            if (c->want > 0)
                return;
            c->step++;
            client_next(c);
            continue;
        }
        size_t len;
        char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
        if (line == NULL)
            return;
        if (c->step < NLINES) {
            if (check_line(c, c->step, line, len))
                c->lines_ok++;
            else
                c->lines_bad++;
            c->step++;
            free(line);
            client_next(c);
            continue;
        }
        /* the last line */
        if (len == 3 && memcmp(line, "bye", 3) == 0)
            c->lines_ok++;
        else
            c->lines_bad++;
        free(line);
        c->done = 1;
        bufferevent_free(c->bev);
        c->bev = NULL;
        clients_done++;
        maybe_finish();
        return;
    }
}

static void
client_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct client *c = arg;
    if (what == BEV_EVENT_CONNECTED) {
        c->connected_events++;
        client_next(c);
        return;
    }
    c->other_events++;
    bufferevent_free(c->bev);
    c->bev = NULL;
    clients_done++;
    maybe_finish();
}

static int
start_client(struct client *c, int id)
{
    c->id = id;
    c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (c->bev == NULL)
        return -1;
    bufferevent_setcb(c->bev, client_read, NULL, client_event, c);
    if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) != 0)
        return -1;
    return bufferevent_socket_connect(c->bev, (struct sockaddr *)&server_addr,
                                      (int)sizeof server_addr);
}

int
main(void)
{
    for (size_t i = 0; i < BLOCK; i++)
        block[i] = (unsigned char)((i * 2654435761u) >> 13);
    unsigned long expect_sum = 0;
    for (size_t i = 0; i < BLOCK; i++)
        expect_sum += block[i];

    base = event_base_new();
    if (base == NULL) {
        fprintf(stderr, "event_base_new failed\n");
        return 1;
    }
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = 0;
    listener = evconnlistener_new_bind(base, on_accept, NULL,
                                       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
                                       (struct sockaddr *)&sin, (int)sizeof sin);
    if (listener == NULL) {
        fprintf(stderr, "evconnlistener_new_bind failed\n");
        return 1;
    }
    evconnlistener_set_error_cb(listener, on_accept_error);
    socklen_t sl = sizeof server_addr;
    if (getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&server_addr, &sl) != 0) {
        perror("getsockname");
        return 1;
    }
    printf("listener bound to 127.0.0.1: %s\n",
           server_addr.sin_addr.s_addr == htonl(INADDR_LOOPBACK) ? "yes" : "no");
    for (int i = 0; i < NCONN; i++)
        if (start_client(&clients[i], i) != 0) {
            fprintf(stderr, "client %d: could not start\n", i);
            return 1;
        }

    int rc = event_base_dispatch(base);
    printf("event_base_dispatch returned %d, got_exit %d\n", rc, event_base_got_exit(base));
    printf("server: accepted %d, closed at EOF %d, other events %d, accept errors %d, echoed %zu bytes\n",
           accepted, server_eof, server_other, accept_errors, server_bytes);
    int all_ok = 1;
    for (int i = 0; i < NCONN; i++) {
        struct client *c = &clients[i];
        int block_ok = c->step > NLINES && c->want == 0 && c->sum == expect_sum;
        printf("client %d: connected events %d, lines ok %d bad %d, block %s, other events %d, done %d\n",
               c->id, c->connected_events, c->lines_ok, c->lines_bad,
               block_ok ? "ok" : "BAD", c->other_events, c->done);
        if (!c->done || c->lines_bad || !block_ok || c->lines_ok != NLINES + 1)
            all_ok = 0;
    }
    if (listener != NULL)
        evconnlistener_free(listener);
    event_base_free(base);
    printf("%s\n", all_ok ? "all clients ok" : "SOME CLIENTS FAILED");
    return all_ok ? 0 : 1;
}
