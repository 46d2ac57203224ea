/* SPDX-License-Identifier: MIT */
/*
 * loadgen HOST PORT CONNECTIONS MSG_SIZE SECONDS
 *
 * Echo load generator on plain epoll (no libfutures, no loop library).
 * Every connection keeps exactly one message in flight (ping-pong); every
 * echoed byte is checked against a pattern that depends on the connection
 * and the message number. The first 10% of the run is warmup and is not
 * counted. Prints one line:
 *   OK rps=... p50_us=... p99_us=... p999_us=... roundtrips=... errors=0
 * or FAILED ... (exit 1) on any mismatch, EOF or socket error.
 * If SERVER_PID is set in the environment, the server's CPU time over the
 * measured window (sum of /proc/PID/task/STAR/schedstat field 1) is added
 * as srv_cpu=PCT% srv_ns_per_rt=NS.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Log-linear histogram of nanoseconds: 64 linear sub-buckets per power of two. */
#define SUB_BITS 6
#define SUB (1u << SUB_BITS)
#define NBUCKETS (SUB * 40)
static uint64_t hist[NBUCKETS];

static unsigned
bucket_of(uint64_t v)
{
    if (v < SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v) - (SUB_BITS - 1);
    unsigned idx = e * SUB + (unsigned)((v >> e) & (SUB - 1));
    return idx < NBUCKETS ? idx : NBUCKETS - 1;
}

/* Upper bound (ns) of a bucket. */
static uint64_t
bucket_hi(unsigned idx)
{
    if (idx < SUB)
        return idx;
    unsigned e = idx / SUB;
    uint64_t m = (idx % SUB) | SUB;
    return ((m + 1) << e) - 1;
}

static double
percentile(uint64_t total, double p)
{
    uint64_t want = (uint64_t)((double)total * p);
    uint64_t acc = 0;
    if (want >= total)
        want = total - 1;
    for (unsigned i = 0; i < NBUCKETS; i++) {
        acc += hist[i];
        if (acc > want)
            return (double)bucket_hi(i) / 1000.0;
    }
    return 0;
}

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline unsigned char
pat(uint32_t conn, uint32_t seq, size_t i)
{
    return (unsigned char)((conn * 131u) ^ (seq * 29u) ^ (uint32_t)(i * 7u) ^ (uint32_t)(i >> 8));
}

struct conn {
    int fd;
    uint32_t id;
    uint32_t seq;
    size_t sent;       /* bytes of the current message written */
    size_t got;        /* bytes of the current message read back and checked */
    uint64_t t0;
    int want_out;
    unsigned char *tx;
};

static size_t msg_size;
static int epfd;

static void
fill(struct conn *c)
{
    for (size_t i = 0; i < msg_size; i++)
        c->tx[i] = pat(c->id, c->seq, i);
    c->sent = 0;
    c->got = 0;
}

static int
set_out(struct conn *c, int on)
{
    if (c->want_out == on)
        return 0;
    struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c };
    c->want_out = on;
    return epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Returns 0, or -1 on a socket error. */
static int
do_write(struct conn *c)
{
    while (c->sent < msg_size) {
        ssize_t n = write(c->fd, c->tx + c->sent, msg_size - c->sent);
        if (n > 0) {
            c->sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return set_out(c, 1);
        return -1;
    }
    return set_out(c, 0);
}

static long long
server_cpu_ns(const char *pid)
{
    char path[256];
    long long sum = 0;
    snprintf(path, sizeof path, "/proc/%s/task", pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char p2[600];
        snprintf(p2, sizeof p2, "%s/%s/schedstat", path, de->d_name);
        FILE *f = fopen(p2, "r");
        if (!f)
            continue;
        long long v;
        if (fscanf(f, "%lld", &v) == 1)
            sum += v;
        fclose(f);
    }
    closedir(d);
    return sum;
}

int
main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s HOST PORT CONNECTIONS MSG_SIZE SECONDS\n", argv[0]);
        return 2;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]);
    int nconn = atoi(argv[3]);
    msg_size = (size_t)atol(argv[4]);
    double secs = atof(argv[5]);
    const char *spid = getenv("SERVER_PID");
    if (nconn <= 0 || msg_size == 0 || secs <= 0 || port <= 0 || port > 65535) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "bad host %s (numeric IPv4 only)\n", host);
        return 2;
    }
    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct conn *conns = calloc((size_t)nconn, sizeof *conns);
    unsigned char *txbuf = malloc((size_t)nconn * msg_size);
    size_t rxcap = msg_size < 65536 ? msg_size : 65536;
    unsigned char *rx = malloc(rxcap);
    if (epfd < 0 || !conns || !txbuf || !rx) {
        printf("FAILED setup: %s\n", strerror(errno));
        return 1;
    }
    for (int i = 0; i < nconn; i++) {
        struct conn *c = &conns[i];
        c->id = (uint32_t)i;
        c->tx = txbuf + (size_t)i * msg_size;
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
            printf("FAILED connect #%d: %s errors=1\n", i, strerror(errno));
            return 1;
        }
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
            printf("FAILED epoll_ctl: %s errors=1\n", strerror(errno));
            return 1;
        }
    }

    uint64_t start = now_ns();
    uint64_t warm_end = start + (uint64_t)(secs * 0.1e9);
    uint64_t end = start + (uint64_t)(secs * 1e9);
    int warm = 1;
    uint64_t roundtrips = 0, errors = 0;
    long long cpu0 = 0, cpu1 = 0;
    uint64_t t_meas0 = warm_end, t_meas1 = end;

    for (int i = 0; i < nconn; i++) {
        fill(&conns[i]);
        conns[i].t0 = start;
        if (do_write(&conns[i]) < 0) {
            printf("FAILED write: %s errors=1\n", strerror(errno));
            return 1;
        }
    }

    struct epoll_event evs[256];
    const char *fail = NULL;
    struct conn *failc = NULL;
    for (;;) {
        uint64_t now = now_ns();
        if (warm && now >= warm_end) {
            warm = 0;
            t_meas0 = now;
            if (spid)
                cpu0 = server_cpu_ns(spid);
        }
        if (now >= end)
            break;
        int n = epoll_wait(epfd, evs, 256, 50);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail = "epoll_wait";
            break;
        }
        for (int k = 0; k < n && !fail; k++) {
            struct conn *c = evs[k].data.ptr;
            if ((evs[k].events & EPOLLOUT) && c->sent < msg_size && do_write(c) < 0) {
                fail = "write error";
                failc = c;
                break;
            }
            if (!(evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                continue;
            for (;;) {
                size_t want = msg_size - c->got;
                if (want > rxcap)
                    want = rxcap;
                ssize_t r = read(c->fd, rx, want);
                if (r < 0 && errno == EINTR)
                    continue;
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    break;
                if (r <= 0) {
                    fail = r == 0 ? "unexpected EOF" : "read error";
                    failc = c;
                    break;
                }
                if (c->got + (size_t)r > c->sent) {
                    fail = "more bytes than sent";
                    failc = c;
                    break;
                }
                if (memcmp(rx, c->tx + c->got, (size_t)r) != 0) {
                    fail = "echoed byte mismatch";
                    failc = c;
                    break;
                }
                c->got += (size_t)r;
                if (c->got == msg_size) {
                    uint64_t t = now_ns();
                    if (!warm && c->t0 >= t_meas0) {
                        hist[bucket_of(t - c->t0)]++;
                        roundtrips++;
                    }
                    c->seq++;
                    fill(c);
                    c->t0 = t;
                    if (do_write(c) < 0) {
                        fail = "write error";
                        failc = c;
                        break;
                    }
                }
                if ((size_t)r < want)
                    break;      /* drained */
            }
        }
        if (fail)
            break;
    }
    t_meas1 = now_ns();
    if (spid)
        cpu1 = server_cpu_ns(spid);
    if (fail) {
        errors++;
        int io = strstr(fail, "error") != NULL;
        printf("FAILED %s%s%s conn=%d seq=%u roundtrips=%llu errors=%llu\n", fail,
               io ? ": " : "", io ? strerror(errno) : "",
               failc ? (int)failc->id : -1, failc ? failc->seq : 0,
               (unsigned long long)roundtrips, (unsigned long long)errors);
        return 1;
    }
    if (roundtrips == 0) {
        printf("FAILED no round trips completed roundtrips=0 errors=1\n");
        return 1;
    }
    double win = (double)(t_meas1 - t_meas0) / 1e9;
    printf("OK rps=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f roundtrips=%llu errors=0",
           (double)roundtrips / win, percentile(roundtrips, 0.50),
           percentile(roundtrips, 0.99), percentile(roundtrips, 0.999),
           (unsigned long long)roundtrips);
    if (spid && cpu0 >= 0 && cpu1 >= 0)
        printf(" srv_cpu=%.0f%% srv_ns_per_rt=%.0f", 100.0 * (double)(cpu1 - cpu0) / (win * 1e9),
               (double)(cpu1 - cpu0) / (double)roundtrips);
    printf("\n");
    for (int i = 0; i < nconn; i++)
        close(conns[i].fd);
    return 0;
}
