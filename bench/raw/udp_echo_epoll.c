/* SPDX-License-Identifier: MIT */
/* Raw epoll UDP echo server baseline: udp_echo_epoll PORT (0 = any free port). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * What a careful hand-written server does: one nonblocking socket in an
 * edge-triggered epoll set; on readiness, receive and echo until EAGAIN.
 * (A send that would block drops the datagram, as UDP may.)
 */
int
main(int argc, char **argv)
{
    static unsigned char buf[65536];
    struct sockaddr_in sin;
    struct sockaddr_storage from;
    struct epoll_event ev;
    socklen_t len;
    ssize_t n;
    int fd, epfd;

    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short)atoi(argv[1]));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
        perror("udp_echo_epoll: bind");
        return 1;
    }
    len = sizeof sin;
    getsockname(fd, (struct sockaddr *)&sin, &len);
    printf("listening on 127.0.0.1:%d\n", ntohs(sin.sin_port));
    fflush(stdout);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    ev.events = EPOLLIN | EPOLLET;
    ev.data.fd = fd;
    if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        perror("udp_echo_epoll: epoll");
        return 1;
    }
    for (;;) {
        if (epoll_wait(epfd, &ev, 1, -1) < 0 && errno != EINTR) {
            perror("udp_echo_epoll: epoll_wait");
            return 1;
        }
        for (;;) {
            len = sizeof from;
            n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from,
                         &len);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                break; /* EAGAIN: wait for the next edge */
            }
            (void)sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from,
                         len);
        }
    }
}
