/* SPDX-License-Identifier: MIT */
/* An echo client: N concurrent verified ping-pong connections as tasks. */

/*
 * Usage: echo-client PORT [CONNECTIONS=1] [MESSAGES=1000] [SIZE=64]
 *
 * Each connection sends MESSAGES messages of SIZE bytes to 127.0.0.1:PORT,
 * one at a time, and checks that every byte comes back. Prints a summary
 * and exits 0 only if every connection finished and every byte matched.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <futures.h>

/* Round-trip latency histogram: 1 µs buckets up to 100 ms (the last bucket
 * collects everything slower). */
#define LAT_BUCKETS 100000

struct stats {
    unsigned long long round_trips;
    unsigned long finished;     /* connections that did all their messages */
    unsigned long failed;
    unsigned long *latency_us;  /* LAT_BUCKETS counters */
};

/* The latency (µs) below which a fraction @q of the round trips fell. */
static unsigned long
percentile(const struct stats *st, double q)
{
    unsigned long long want = (unsigned long long)(q * (double)st->round_trips);
    unsigned long long seen = 0;
    unsigned long us;

    for (us = 0; us < LAT_BUCKETS; us++) {
        seen += st->latency_us[us];
        if (seen > want)
            return us;
    }
    return LAT_BUCKETS;
}

struct client {
    FUT_FRAME;
    unsigned long id;
    struct stats *stats;
    const struct sockaddr_storage *addr;
    socklen_t addrlen;
    struct fut_tcp_stream stream;
    unsigned char *tx, *rx;     /* one allocation of 2 * size, ours */
    size_t size;
    unsigned long messages, i;
    int64_t sent_ns;
    union {                     /* the child awaited now: one at a time */
        struct fut_tcp_connect connect;
        struct fut_write_all write;
        struct fut_read_exact read;
    } op;
};

static int
client_fail(struct client *c, const char *what, int err)
{
    /* Only the first few failures are printed; the summary counts all. */
    if (c->stats->failed < 5)
        fprintf(stderr, "echo-client: connection %lu: %s: %s\n", c->id, what,
                fut_strerror(err));
    c->stats->failed++;
    return err;
}

static void
fill(struct client *c)
{
    size_t k;

    for (k = 0; k < c->size; k++)
        c->tx[k] = (unsigned char)(c->id * 131u + c->i * 7u + k);
}

FUT_ASYNC_FN(client, struct client, c, cx)
{
    int err;
    int64_t us;

    FUT_BEGIN(c, cx);
    FUT_AWAIT_CHILD(err, &c->op.connect,
                    fut_tcp_connect_init(&c->op.connect, &c->stream,
                                         (const struct sockaddr *)c->addr,
                                         c->addrlen, 10 * FUT_NSEC_PER_SEC));
    if (err != 0)
        FUT_RETURN(client_fail(c, "connect", err));
    (void)fut_tcp_stream_set_nodelay(&c->stream, 1);

    for (c->i = 0; c->i < c->messages; c->i++) {
        fill(c);
        c->sent_ns = fut_now_ns();
        FUT_AWAIT_CHILD(err, &c->op.write,
                        fut_write_all_init(&c->op.write, &c->stream.writer,
                                           c->tx, c->size));
        if (err != 0)
            FUT_RETURN(client_fail(c, "write", err));
        FUT_AWAIT_CHILD(err, &c->op.read,
                        fut_read_exact_init(&c->op.read, &c->stream.reader,
                                            c->rx, c->size));
        if (err != 0)
            FUT_RETURN(client_fail(c, "read", err));
        if (memcmp(c->tx, c->rx, c->size) != 0)
            FUT_RETURN(client_fail(c, "verify", -EBADMSG));
        c->stats->round_trips++;
        us = (fut_now_ns() - c->sent_ns) / 1000;
        c->stats->latency_us[us < LAT_BUCKETS - 1 ? us : LAT_BUCKETS - 1]++;
    }
    c->stats->finished++;
    FUT_FINALLY;
    /* Every exit, a drop included: -EBADF, harmlessly, for a stream that
     * never opened (a failed connect leaves it closed). */
    (void)fut_tcp_stream_close(&c->stream);
    free(c->tx);
    c->tx = NULL;
    FUT_END;
}

/* A connection's task; @tx (2 * @size bytes) is moved in. */
static void
client_start(struct client *c, unsigned long id, struct stats *stats,
             const struct sockaddr_storage *addr, socklen_t addrlen,
             unsigned char *tx, size_t size, unsigned long messages)
{
    memset(c, 0, sizeof *c);
    FUT_FRAME_INIT(c, client);
    (void)fut_tcp_stream_init(&c->stream);
    c->id = id;
    c->stats = stats;
    c->addr = addr;
    c->addrlen = addrlen;
    c->tx = tx;
    c->rx = tx + size;
    c->size = size;
    c->messages = messages;
}

static int
parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && *out <= max;
}

int
main(int argc, char **argv)
{
    unsigned long port, conns = 1, messages = 1000, size = 64, i;
    struct sockaddr_storage ss;
    socklen_t len;
    struct fut_runtime rt;
    struct stats stats = { 0, 0, 0, NULL };
    struct rlimit rl;
    int64_t t0, t1;
    double secs;
    int err;

    if (argc < 2 || argc > 5 || !parse_ulong(argv[1], 65535, &port) ||
        (argc > 2 && (!parse_ulong(argv[2], 1000000, &conns) || conns == 0)) ||
        (argc > 3 && !parse_ulong(argv[3], 1000000000, &messages)) ||
        (argc > 4 && (!parse_ulong(argv[4], 1 << 24, &size) || size == 0))) {
        fprintf(stderr,
                "usage: %s PORT [CONNECTIONS=1] [MESSAGES=1000] [SIZE=64]\n",
                argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    /* Many connections need many descriptors: take what the hard limit
     * allows. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }

    stats.latency_us = calloc(LAT_BUCKETS, sizeof *stats.latency_us);
    if (stats.latency_us == NULL) {
        fprintf(stderr, "echo-client: %s\n", fut_strerror(-ENOMEM));
        return 1;
    }
    err = fut_sockaddr_parse("127.0.0.1", (unsigned int)port, &ss, &len);
    if (err == 0)
        err = fut_runtime_init_default(&rt);
    if (err != 0) {
        fprintf(stderr, "echo-client: %s\n", fut_strerror(err));
        return 1;
    }

    for (i = 0; i < conns; i++) {
        unsigned char *tx = malloc(2 * size);

        if (tx == NULL) {
            err = -ENOMEM;
            break;
        }
        /* A failed spawn drops the task's future, which frees tx. */
        FUT_SPAWN_WITH(err, &rt, NULL, struct client, client_start, i, &stats,
                       &ss, len, tx, size, messages);
        if (err != 0)
            break;
    }
    if (err != 0) {
        fprintf(stderr, "echo-client: spawn: %s\n", fut_strerror(err));
        (void)fut_runtime_close(&rt);
        return 1;
    }

    t0 = fut_now_ns();
    err = fut_runtime_run(&rt);
    t1 = fut_now_ns();
    (void)fut_runtime_close(&rt);
    if (err != 0) {
        fprintf(stderr, "echo-client: runtime: %s\n", fut_strerror(err));
        return 1;
    }

    secs = (double)(t1 - t0) / 1e9;
    if (stats.failed != 0 || stats.finished != conns ||
        stats.round_trips != (unsigned long long)conns * messages) {
        printf("echo-client: %lu connections x %lu messages FAILED "
               "(%lu failed, %llu round trips)\n",
               conns, messages, stats.failed, stats.round_trips);
        return 1;
    }
    printf("echo-client: %lu connections x %lu messages OK "
           "(%llu round trips, %.0f rt/s, p50 %lu us, p99 %lu us)\n",
           conns, messages, stats.round_trips,
           secs > 0 ? (double)stats.round_trips / secs : 0.0,
           percentile(&stats, 0.50), percentile(&stats, 0.99));
    free(stats.latency_us);
    return 0;
}
