/* SPDX-License-Identifier: MIT */
/* Raw epoll echo server baseline: echo_epoll [--spin US] PORT (0 = any
 * free port). With --spin, before it blocks the loop polls the epoll set
 * without a timeout (yielding the CPU between looks) for up to US
 * microseconds: the plainest form of spinning before sleep, the baseline
 * for a runtime that spins (docs/performance.md). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF 16384

struct conn {
    int fd;
    size_t len, off;            /* pending bytes buf[off..len) not yet written */
    unsigned char buf[BUF];
};

static int epfd;

static void
conn_close(struct conn *c)
{
    close(c->fd);               /* also removes it from the epoll set */
    free(c);
}

/* Writes buf[off..len); returns 1 when all written, 0 when blocked, -1 on error. */
static int
flush_out(struct conn *c)
{
    while (c->off < c->len) {
        ssize_t n = write(c->fd, c->buf + c->off, c->len - c->off);
        if (n >= 0) {
            c->off += (size_t)n;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN) {
            return 0;
        } else {
            return -1;
        }
    }
    return 1;
}

static void
on_event(struct conn *c, uint32_t events)
{
    if (c->off < c->len) {      /* waiting for writability */
        int r = flush_out(c);
        if (r < 0)
            goto close;
        if (r == 0)
            return;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
            goto close;
        c->off = c->len = 0;
    }
    if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
        return;
    ssize_t n = read(c->fd, c->buf, BUF);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0)
        goto close;
    c->len = (size_t)n;
    c->off = 0;
    int r = flush_out(c);
    if (r < 0)
        goto close;
    if (r == 0) {
        struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
        if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
            goto close;
        return;
    }
    c->off = c->len = 0;
    return;
close:
    conn_close(c);
}

int
main(int argc, char **argv)
{
    static char lmark;          /* data.ptr of the listener */
    long spin_ns = 0;
    if (argc > 2 && strcmp(argv[1], "--spin") == 0) {
        spin_ns = atol(argv[2]) * 1000;
        argc -= 2;
        argv += 2;
    }
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
    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = { .events = EPOLLIN, .data.ptr = &lmark };
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev);
    printf("listening on 127.0.0.1:%d\n", ntohs(sa.sin_port));
    fflush(stdout);

    struct epoll_event evs[256];
    for (;;) {
        int n = 0;
        if (spin_ns > 0) {
            struct timespec t0, t;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            for (;;) {
                n = epoll_wait(epfd, evs, 256, 0);
                if (n != 0)
                    break;
                clock_gettime(CLOCK_MONOTONIC, &t);
                if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) >= spin_ns)
                    break;
                sched_yield();
            }
        }
        if (n == 0)
            n = epoll_wait(epfd, evs, 256, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr != &lmark) {
                on_event(evs[i].data.ptr, evs[i].events);
                continue;
            }
            for (;;) {
                int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                    break;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                struct conn *c = malloc(sizeof *c);
                if (!c) {
                    close(fd);
                    continue;
                }
                c->fd = fd;
                c->len = c->off = 0;
                struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
                if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
                    conn_close(c);
            }
        }
    }
}
