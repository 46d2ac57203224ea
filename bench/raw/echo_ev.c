/* SPDX-License-Identifier: MIT */
/* Raw libev echo server baseline (ev_io watchers): echo_ev PORT (0 = any). */
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
#include <ev.h>

#define BUF 16384

struct conn {
    ev_io rw;                   /* first: the watcher pointer is the conn pointer */
    ev_io ww;
    int fd;
    size_t len, off;
    unsigned char buf[BUF];
};

static struct ev_loop *loop;

static void
conn_close(struct conn *c)
{
    ev_io_stop(loop, &c->rw);
    ev_io_stop(loop, &c->ww);
    close(c->fd);
    free(c);
}

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
on_writable(struct ev_loop *l, ev_io *w, int revents)
{
    (void)revents;
    struct conn *c = w->data;
    int r = flush_out(c);
    if (r < 0) {
        conn_close(c);
    } else if (r > 0) {
        ev_io_stop(l, &c->ww);
        ev_io_start(l, &c->rw);
    }
}

static void
on_readable(struct ev_loop *l, ev_io *w, int revents)
{
    (void)revents;
    struct conn *c = (struct conn *)w;
    ssize_t n = read(c->fd, c->buf, BUF);
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
        ev_io_stop(l, &c->rw);
        ev_io_start(l, &c->ww);
    }
}

static void
on_accept(struct ev_loop *l, ev_io *w, int revents)
{
    (void)revents;
    int one = 1;
    for (;;) {
        int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
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
        ev_io_init(&c->rw, on_readable, fd, EV_READ);
        ev_io_init(&c->ww, on_writable, fd, EV_WRITE);
        c->ww.data = c;
        ev_io_start(l, &c->rw);
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
    loop = ev_default_loop(EVFLAG_AUTO);
    static ev_io lw;
    ev_io_init(&lw, on_accept, lfd, EV_READ);
    ev_io_start(loop, &lw);
    printf("listening on 127.0.0.1:%d\n", ntohs(sa.sin_port));
    fflush(stdout);
    ev_run(loop, 0);
    return 0;
}
