/* SPDX-License-Identifier: MIT */
/* Raw libevent echo server baseline (event_new callbacks, no bufferevents):
 * echo_event PORT (0 = any free port). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>

#define BUF 16384

struct conn {
    int fd;
    struct event *rev, *wev;
    size_t len, off;
    unsigned char buf[BUF];
};

static struct event_base *base;

static void
conn_close(struct conn *c)
{
    event_free(c->rev);
    event_free(c->wev);
    close(c->fd);
    free(c);
}

/* 1: all written, 0: blocked, -1: error */
static int
flush_out(struct conn *c)
{
    while (c->off < c->len) {
        ssize_t n = write(c->fd, c->buf + c->off, c->len - c->off);
        if (n >= 0)
            c->off += (size_t)n;
        else if (errno == EINTR)
            continue;
        else if (errno == EAGAIN)
            return 0;
        else
            return -1;
    }
    c->off = c->len = 0;
    return 1;
}

static void
on_writable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct conn *c = arg;
    int r = flush_out(c);
    if (r < 0)
        conn_close(c);
    else if (r > 0)
        event_add(c->rev, NULL);    /* resume reading; wev is not persistent */
    else
        event_add(c->wev, NULL);
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct conn *c = arg;
    ssize_t n = read(fd, c->buf, BUF);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        conn_close(c);
        return;
    }
    c->len = (size_t)n;
    c->off = 0;
    int r = flush_out(c);
    if (r < 0) {
        conn_close(c);
    } else if (r == 0) {
        event_del(c->rev);
        event_add(c->wev, NULL);
    }
}

static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
    (void)what; (void)arg;
    int one = 1;
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = malloc(sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->len = c->off = 0;
        c->rev = event_new(base, fd, EV_READ | EV_PERSIST, on_readable, c);
        c->wev = event_new(base, fd, EV_WRITE, on_writable, c);
        event_add(c->rev, NULL);
    }
}

int
main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 0;
    signal(SIGPIPE, SIG_IGN);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof sa;
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 4096) < 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0) {
        perror("bind/listen");
        return 1;
    }
    base = event_base_new();
    struct event *lev = event_new(base, lfd, EV_READ | EV_PERSIST, on_accept, NULL);
    event_add(lev, NULL);
    printf("listening on 127.0.0.1:%d\n", ntohs(sa.sin_port));
    fflush(stdout);
    return event_base_dispatch(base);
}
