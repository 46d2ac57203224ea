/* SPDX-License-Identifier: MIT */
/* UDP ping-pong load: one datagram in flight; reports the server's CPU time per round trip. */

/*
 * Usage: udp_pingpong PORT SERVER_PID ROUND_TRIPS [SIZE=64]
 *
 * Sends a datagram to 127.0.0.1:PORT and waits for its echo, ROUND_TRIPS
 * times (a lost datagram is resent after 200 ms). Reads the server's CPU
 * time (user + system) from /proc/SERVER_PID/schedstat (nanoseconds; or
 * /proc/SERVER_PID/stat in clock ticks where schedstat is missing) before
 * and after, and prints one line:
 *   OK rt=N wall_us_per_rt=X server_cpu_ns_per_rt=Y
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* CPU time of @pid in nanoseconds, or -1. */
static long long
cpu_ns(long pid)
{
    char path[64];
    FILE *f;
    long long ns = -1;
    unsigned long ut, st;

    snprintf(path, sizeof path, "/proc/%ld/schedstat", pid);
    f = fopen(path, "r");
    if (f != NULL) {
        if (fscanf(f, "%lld", &ns) != 1)
            ns = -1;
        fclose(f);
        if (ns >= 0)
            return ns;
    }
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    /* Fields 14 and 15 (utime, stime), after the ")" that ends comm. */
    if (fscanf(f, "%*d (%*[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                  "%lu %lu",
               &ut, &st) == 2)
        ns = (long long)(ut + st) * (1000000000LL / sysconf(_SC_CLK_TCK));
    fclose(f);
    return ns;
}

static long long
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
    static unsigned char out[65536], in[65536];
    struct sockaddr_in sin;
    struct timeval tv = {0, 200000};
    long pid, rts, i, size = 64;
    long long c0, c1, t0, t1;
    ssize_t n;
    int fd;

    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: %s PORT SERVER_PID ROUND_TRIPS [SIZE]\n",
                argv[0]);
        return 2;
    }
    pid = atol(argv[2]);
    rts = atol(argv[3]);
    if (argc == 5)
        size = atol(argv[4]);
    if (size < (long)sizeof i || size > 65507 || rts <= 0) {
        fprintf(stderr, "udp_pingpong: bad arguments\n");
        return 2;
    }
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short)atoi(argv[1]));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
        perror("udp_pingpong");
        return 1;
    }
    memset(out, 'x', sizeof out);
    /* Warm up (the server's first wake-ups, page faults). */
    for (i = 0; i < 1000; i++) {
        memcpy(out, &i, sizeof i);
        if (send(fd, out, (size_t)size, 0) < 0 || recv(fd, in, sizeof in, 0) < 0)
            i--;
    }
    c0 = cpu_ns(pid);
    t0 = now_ns();
    for (i = 0; i < rts; i++) {
        memcpy(out, &i, sizeof i);
        if (send(fd, out, (size_t)size, 0) != size) {
            perror("udp_pingpong: send");
            return 1;
        }
        for (;;) {
            n = recv(fd, in, sizeof in, 0);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                (void)send(fd, out, (size_t)size, 0); /* lost: again */
                continue;
            }
            if (n < 0) {
                perror("udp_pingpong: recv");
                return 1;
            }
            if (n == size && memcmp(in, &i, sizeof i) == 0)
                break; /* (a late duplicate of an earlier one is skipped) */
        }
    }
    t1 = now_ns();
    c1 = cpu_ns(pid);
    if (c0 < 0 || c1 < 0) {
        fprintf(stderr, "udp_pingpong: cannot read the server's CPU time\n");
        return 1;
    }
    printf("OK rt=%ld wall_us_per_rt=%.2f server_cpu_ns_per_rt=%.0f\n", rts,
           (double)(t1 - t0) / 1000.0 / (double)rts,
           (double)(c1 - c0) / (double)rts);
    return 0;
}
