/* SPDX-License-Identifier: MIT */
/* Helpers shared by the compat stream tests (compat-event, compat-ev): a
 * byte pattern, a counting waker for futures polled by hand, socket
 * pairs, and pump / drain / echo tasks. Each test program includes this
 * once; everything is static to it. */
#ifndef FUT_TESTS_COMPAT_STREAM_COMMON_H
#define FUT_TESTS_COMPAT_STREAM_COMMON_H

static uint8_t
pat(uint64_t i)
{
    return (uint8_t)(i % 251 + (i / 251) % 3);
}

/* ---- a counting waker, for futures polled by hand ------------------------ */

struct cw {
    int wakes;
    int refs; /* clones the object still holds */
};

static const struct fut_waker_vtable cw_vt;

static struct cw *
cw_of(const void *d)
{
    return (struct cw *)(uintptr_t)d;
}

static struct fut_waker
cw_clone(const void *d)
{
    struct fut_waker w = { &cw_vt, d };

    cw_of(d)->refs++;
    return w;
}

static void
cw_wake(const void *d)
{
    cw_of(d)->wakes++;
    cw_of(d)->refs--;
}

static void
cw_wake_by_ref(const void *d)
{
    cw_of(d)->wakes++;
}

static void
cw_drop(const void *d)
{
    cw_of(d)->refs--;
}

static const struct fut_waker_vtable cw_vt = {
    cw_clone, cw_wake, cw_wake_by_ref, cw_drop,
};

/* The runtime whose reactor hand-polled futures bind to (the test's;
 * NULL where they need none). */
static struct fut_runtime *hand_rt;

static enum fut_poll
poll_by_hand(struct fut_future *fut, struct cw *w)
{
    struct fut_waker wk = { &cw_vt, w };
    struct fut_context cx;

    fut_context_init(&cx, &wk, hand_rt);
    return fut_future_poll(fut, &cx);
}

static int
woken(const void *p)
{
    return ((const struct cw *)p)->wakes > 0;
}

static int
task_done(const void *t)
{
    return fut_task_is_finished(t);
}

/* ---- loopback connections -------------------------------------------------- */

static void
set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    ck_assert_int_ge(fl, 0);
    ck_assert_int_eq(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

/* A loopback TCP connection as two nonblocking descriptors (the connect
 * completes in the listen backlog, so plain blocking calls do it). */
static void
tcp_pair(int fds[2])
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int l, one = 1;

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(l, 0);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(l, 1), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sa, &len), 0);
    fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fds[0], 0);
    ck_assert_int_eq(connect(fds[0], (struct sockaddr *)&sa, sizeof sa), 0);
    fds[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    ck_assert_int_ge(fds[1], 0);
    close(l);
    set_nonblock(fds[0]);
    set_nonblock(fds[1]);
    ck_assert_int_eq(setsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &one,
                                sizeof one),
                     0);
}

/* Close @fd so that its peer sees a reset. */
static void
close_with_reset(int fd)
{
    struct linger lg = { 1, 0 };

    ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg),
                     0);
    close(fd);
}

/* The raw peer writes the pattern from @off until its side would block;
 * returns how much it wrote. */
static uint64_t
fill(int fd, uint64_t off)
{
    static unsigned char chunk[65536];
    uint64_t sent = 0;
    size_t i;
    ssize_t r;

    for (;;) {
        for (i = 0; i < sizeof chunk; i++)
            chunk[i] = pat(off + sent + i);
        r = send(fd, chunk, sizeof chunk, MSG_NOSIGNAL);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return sent;
        ck_assert_int_gt(r, 0);
        sent += (uint64_t)r;
    }
}

/* ---- tasks ----------------------------------------------------------------- */

/* Send @total bytes of the pattern in writes of up to @chunk, flush, and
 * close the write side if @close_after. */
struct pump {
    FUT_FRAME;
    struct fut_async_write *w;
    uint64_t total, sent;
    size_t chunk;
    int close_after;
    int *closed_res;
    union {
        struct fut_write wr;
        struct fut_flush fl;
        struct fut_shutdown sh;
    } u;
    unsigned char buf[16384];
};

FUT_ASYNC_FN(pump, struct pump, p, cx)
{
    size_t n, i;

    FUT_BEGIN(p, cx);
    while (p->sent < p->total) {
        n = p->chunk;
        if (n > sizeof p->buf)
            n = sizeof p->buf;
        if (n > p->total - p->sent)
            n = (size_t)(p->total - p->sent);
        for (i = 0; i < n; i++)
            p->buf[i] = pat(p->sent + i);
        FUT_AWAIT_TRY(&p->u.wr, fut_write_init(&p->u.wr, p->w, p->buf, n));
        ck_assert_int_gt(p->u.wr.res, 0);
        p->sent += (uint64_t)p->u.wr.res;
    }
    FUT_AWAIT_TRY(&p->u.fl, fut_flush_init(&p->u.fl, p->w));
    if (p->close_after) {
        FUT_AWAIT_TRY(&p->u.sh, fut_shutdown_init(&p->u.sh, p->w));
        if (p->closed_res != NULL)
            *p->closed_res = p->u.sh.res;
    }
    FUT_END;
}

/* Read until end of file or an error, checking the pattern. */
struct drain_out {
    uint64_t total;
    int bad;      /* a byte that is not the pattern's */
    ssize_t last; /* 0 (EOF) or the error */
    int reads_after_eof;
};

struct drain {
    FUT_FRAME;
    struct fut_async_read *r;
    struct drain_out *out;
    struct fut_read rd;
    unsigned char buf[7000]; /* not a divisor of anything */
};

FUT_ASYNC_FN(drain, struct drain, d, cx)
{
    ssize_t i;

    FUT_BEGIN(d, cx);
    for (;;) {
        FUT_AWAIT_TRY(&d->rd, fut_read_init(&d->rd, d->r, d->buf,
                                            sizeof d->buf));
        if (d->rd.res <= 0)
            break;
        for (i = 0; i < d->rd.res; i++)
            if (d->buf[i] != pat(d->out->total + (uint64_t)i))
                d->out->bad++;
        d->out->total += (uint64_t)d->rd.res;
    }
    d->out->last = d->rd.res;
    if (d->rd.res == 0) {
        /* End of file stays end of file. */
        FUT_AWAIT_TRY(&d->rd, fut_read_init(&d->rd, d->r, d->buf, 1));
        if (d->rd.res == 0)
            d->out->reads_after_eof++;
    }
    FUT_END;
}

/* Echo: copy the reader to the writer until end of file, then close. */
struct echo {
    FUT_FRAME;
    struct fut_async_read *r;
    struct fut_async_write *w;
    union {
        struct fut_copy cp;
        struct fut_shutdown sh;
    } u;
    unsigned char buf[4096];
};

FUT_ASYNC_FN(echo, struct echo, e, cx)
{
    FUT_BEGIN(e, cx);
    FUT_AWAIT_TRY(&e->u.cp, fut_copy_init(&e->u.cp, e->r, e->w, e->buf,
                                          sizeof e->buf));
    FUT_AWAIT_TRY(&e->u.sh, fut_shutdown_init(&e->u.sh, e->w));
    FUT_END;
}

static unsigned char *
pattern_buf(size_t n)
{
    unsigned char *b = malloc(n);
    size_t i;

    ck_assert_ptr_nonnull(b);
    for (i = 0; i < n; i++)
        b[i] = pat(i);
    return b;
}

#endif
