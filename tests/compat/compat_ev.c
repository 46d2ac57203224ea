/* SPDX-License-Identifier: MIT */
/* A descriptor a libev program watches with its own ev_io, read and written
 * as a stream (struct fut_fd) by tasks of a runtime attached to the
 * program's ev_loop: loopback TCP connections and socket pairs. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <ev.h>

#include <futures.h>
#include <futures/backend-ev.h>

/*
 * libev allows any number of ev_io watchers on one descriptor and watches
 * the union of their events. The runtime registers an ev_io of its own for
 * each fut_fd a task waits on; the program keeps its own watchers on the
 * same descriptor. These tests check that the two coexist: the program's
 * callbacks keep firing, the tasks' reads and writes are woken, and
 * stopping either side's watcher (narrowing, fut_fd_close(),
 * fut_fd_release()) leaves the other's alone.
 *
 * No test waits for time: each runs the loop (EVRUN_ONCE) until the thing
 * it waits for happened; where it must know that nothing more will happen
 * (a peer whose buffers are full) it turns the loop without blocking
 * (EVRUN_NOWAIT) until several turns changed nothing. Check's timeout is
 * only the net.
 */
#define TEST_TIMEOUT_S 120

#include "stream_common.h"

/* ---- fixture: a loop with a runtime attached ------------------------------- */

struct fx {
    struct ev_loop *loop;
    struct fut_runtime rt;
};

static void
fx_init(struct fx *f)
{
    f->loop = ev_loop_new(EVFLAG_AUTO);
    ck_assert_ptr_nonnull(f->loop);
    ck_assert_int_eq(fut_ev_attach(&f->rt, f->loop), 0);
    hand_rt = &f->rt;
}

/* The end of every test (the program stopped its watchers and closed its
 * fut_fds first): the runtime detaches, nothing holds the loop any more
 * (ev_run() returns its count of active watchers), and ev_loop_destroy()
 * is clean (ASan, valgrind). */
static void
fx_fini(struct fx *f)
{
    ck_assert_int_eq(fut_runtime_close(&f->rt), 0);
    ck_assert_int_eq(ev_run(f->loop, EVRUN_NOWAIT), 0);
    ev_loop_destroy(f->loop);
}

typedef int (*cond_fn)(const void *arg);

static void
run_until_at(struct fx *f, cond_fn cond, const void *arg, int line)
{
    while (!cond(arg))
        ck_assert_msg(ev_run(f->loop, EVRUN_ONCE) != 0 || cond(arg),
                      "line %d: the loop ran out of work first", line);
}

#define run_until(f, cond, arg) run_until_at((f), (cond), (arg), __LINE__)

static void
turn(struct fx *f)
{
    (void)ev_run(f->loop, EVRUN_NOWAIT);
}

static void
join(struct fx *f, struct fut_task *t, int want)
{
    run_until(f, task_done, t);
    ck_assert_int_eq(fut_task_result(t), want);
    fut_task_detach(t);
}

static struct fut_task *
spawn_pump(struct fx *f, struct fut_async_write *w, uint64_t total,
           size_t chunk, int close_after)
{
    struct pump p = FUT_FRAME_VALUE(pump, .w = w, .total = total,
                                    .chunk = chunk,
                                    .close_after = close_after);
    struct fut_task *t;

    ck_assert_int_eq(FUT_SPAWN(&f->rt, &p, &t), 0);
    return t;
}

static struct fut_task *
spawn_drain(struct fx *f, struct fut_async_read *r, struct drain_out *out)
{
    struct drain d = FUT_FRAME_VALUE(drain, .r = r, .out = out);
    struct fut_task *t;

    memset(out, 0, sizeof *out);
    ck_assert_int_eq(FUT_SPAWN(&f->rt, &d, &t), 0);
    return t;
}

/* ---- the program's own watchers -------------------------------------------- */

/*
 * A program watcher on a descriptor a task also uses. It only observes: it
 * counts its callbacks and never reads or writes (so the bytes are the
 * task's). libev's ev_io is level-triggered, so an observer must stop
 * itself once its condition can stay true with nobody acting on it: a
 * writable socket (after @limit callbacks), a descriptor at end of file or
 * in error (seen with MSG_PEEK, which takes nothing), or once @until has
 * finished.
 */
struct pw {
    ev_io io;
    int count;
    int limit;               /* stop after this many callbacks; 0: never */
    int peek;                /* stop at EOF or an error (MSG_PEEK) */
    struct fut_task *until;  /* stop once this task has finished (the
                              * watcher must stop before it is detached) */
};

static void
pw_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct pw *p = (struct pw *)w;
    char c;
    ssize_t n;

    (void)revents;
    p->count++;
    if (p->limit > 0 && p->count >= p->limit) {
        ev_io_stop(loop, w);
        return;
    }
    if (p->until != NULL && fut_task_is_finished(p->until)) {
        ev_io_stop(loop, w);
        return;
    }
    if (p->peek) {
        n = recv(w->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            ev_io_stop(loop, w);
    }
}

static void
pw_start(struct fx *f, struct pw *p, int fd, int events)
{
    ev_io_init(&p->io, pw_cb, fd, events);
    ev_io_start(f->loop, &p->io);
}

static void
pw_stop(struct fx *f, struct pw *p)
{
    ev_io_stop(f->loop, &p->io);
}

static int
pw_fired(const void *p)
{
    return ((const struct pw *)p)->count > 0;
}

static void
socket_pair(int fds[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
                                fds),
                     0);
}

static int
is_nonblock(int fd)
{
    return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

/* ---- tests ----------------------------------------------------------------- */

/* An echo task reads and writes descriptor a (fut_fd) while the program
 * watches a for EV_READ (until end of file) and for EV_WRITE (a few
 * callbacks); a pump and a drain on the other end b. Everything arrives,
 * in order, and the program's watchers fired alongside the runtime's. */
START_TEST(test_compat_ev_round_trip)
{
    struct fx f;
    struct fut_fd a, b;
    struct pw pr, pwr;
    struct echo e;
    struct drain_out out;
    struct fut_task *te, *tp, *td;
    int fds[2];

    memset(&pr, 0, sizeof pr);
    memset(&pwr, 0, sizeof pwr);
    fx_init(&f);
    socket_pair(fds);
    pr.peek = 1;
    pwr.limit = 5;
    pw_start(&f, &pr, fds[0], EV_READ);
    pw_start(&f, &pwr, fds[0], EV_WRITE);
    ck_assert_int_eq(fut_fd_init(&a, fds[0], FUT_FD_BORROW), 0);
    ck_assert_int_eq(fut_fd_init(&b, fds[1], FUT_FD_OWN), 0);
    e = FUT_FRAME_VALUE(echo, .r = &a.reader, .w = &a.writer);
    ck_assert_int_eq(FUT_SPAWN(&f.rt, &e, &te), 0);
    tp = spawn_pump(&f, &b.writer, 300000, 1000, 1);
    td = spawn_drain(&f, &b.reader, &out);
    join(&f, tp, 0);
    join(&f, te, 0);
    join(&f, td, 0);
    ck_assert_uint_eq(out.total, 300000);
    ck_assert_int_eq(out.bad, 0);
    ck_assert_int_eq(out.last, 0);
    ck_assert_int_eq(out.reads_after_eof, 1);
    ck_assert_int_gt(pr.count, 0);
    ck_assert_int_eq(pwr.count, 5);
    ck_assert_int_eq(ev_is_active(&pwr.io), 0);
    /* The reader saw the echo's shutdown: the program's own watcher
     * stopped itself at end of file. */
    run_until(&f, pw_fired, &pr);
    pw_stop(&f, &pr);
    ck_assert_int_eq(fut_fd_close(&a), 0);
    ck_assert_int_eq(fut_fd_close(&b), 0);
    /* Borrowed: still open, O_NONBLOCK put back as it was (clear). */
    ck_assert_int_eq(is_nonblock(fds[0]), 0);
    ck_assert_int_eq(close(fds[0]), 0);
    fx_fini(&f);
}
END_TEST

/* End of file through the fut_fd while the program watches the descriptor:
 * READY 0, and 0 again; the program's watcher sees it too. */
START_TEST(test_compat_ev_eof)
{
    struct fx f;
    struct fut_fd a;
    struct pw pr;
    struct drain_out out;
    struct fut_task *td;
    unsigned char *b = pattern_buf(12345);
    int fds[2];

    memset(&pr, 0, sizeof pr);
    fx_init(&f);
    socket_pair(fds);
    pr.peek = 1;
    pw_start(&f, &pr, fds[0], EV_READ);
    ck_assert_int_eq(fut_fd_init(&a, fds[0], FUT_FD_OWN), 0);
    td = spawn_drain(&f, &a.reader, &out);
    ck_assert_int_eq(write(fds[1], b, 12345), 12345);
    ck_assert_int_eq(shutdown(fds[1], SHUT_WR), 0);
    join(&f, td, 0);
    ck_assert_uint_eq(out.total, 12345);
    ck_assert_int_eq(out.bad, 0);
    ck_assert_int_eq(out.last, 0);
    ck_assert_int_eq(out.reads_after_eof, 1);
    ck_assert_int_gt(pr.count, 0);
    pw_stop(&f, &pr);
    ck_assert_int_eq(fut_fd_close(&a), 0);
    close(fds[1]);
    fx_fini(&f);
    free(b);
}
END_TEST

static int
drained_5000(const void *p)
{
    return ((const struct drain_out *)p)->total == 5000;
}

/* A TCP peer that closes with SO_LINGER 0: the bytes first, then
 * -ECONNRESET for the task; the program's EV_READ watcher on the same
 * descriptor keeps firing until the task is done. */
START_TEST(test_compat_ev_peer_reset)
{
    struct fx f;
    struct fut_fd a;
    struct pw pr;
    struct drain_out out;
    struct fut_task *td;
    struct fut_write w;
    struct cw cw = { 0, 0 };
    unsigned char *b = pattern_buf(5000);
    int fds[2];

    memset(&pr, 0, sizeof pr);
    fx_init(&f);
    tcp_pair(fds);
    ck_assert_int_eq(fut_fd_init(&a, fds[1], FUT_FD_OWN), 0);
    td = spawn_drain(&f, &a.reader, &out);
    pr.until = td;
    pw_start(&f, &pr, fds[1], EV_READ);
    ck_assert_int_eq(send(fds[0], b, 5000, MSG_NOSIGNAL), 5000);
    run_until(&f, drained_5000, &out);
    close_with_reset(fds[0]);
    run_until(&f, task_done, td);
    /* The watcher looks at the task: stop it before the handle goes. */
    pw_stop(&f, &pr);
    join(&f, td, -ECONNRESET);
    ck_assert_int_eq(out.bad, 0);
    ck_assert_int_gt(pr.count, 0);
    /* The write waits for the reactor to report the descriptor (EPOLLERR
     * comes as writable), then answers -EPIPE. */
    ck_assert_int_eq(fut_write_init(&w, &a.writer, "x", 1), 0);
    if (poll_by_hand(&w.base, &cw) == FUT_PENDING) {
        run_until(&f, woken, &cw);
        ck_assert_int_eq(poll_by_hand(&w.base, &cw), FUT_READY);
    }
    ck_assert_int_eq(w.res, -EPIPE);
    fut_future_drop(&w.base);
    ck_assert_int_eq(cw.refs, 0);
    ck_assert_int_eq(fut_fd_close(&a), 0);
    fx_fini(&f);
    free(b);
}
END_TEST

/* Backpressure on reading: a fut_fd buffers nothing in user space, so a
 * peer that writes while no task reads stops when the kernel's buffers
 * are full, even with the program's EV_READ watcher on the descriptor.
 * Then a task reads 16 MB or more while the peer keeps writing. */
START_TEST(test_compat_ev_read_backpressure)
{
    const uint64_t total = (uint64_t)16 << 20;
    struct fx f;
    struct fut_fd a;
    struct fut_read rd;
    struct cw cw = { 0, 0 };
    struct pw pr;
    struct drain_out out;
    struct fut_task *td;
    char c;
    uint64_t sent = 0, now, blocked_at;
    int fds[2], quiet = 0;

    memset(&pr, 0, sizeof pr);
    fx_init(&f);
    tcp_pair(fds);
    ck_assert_int_eq(fut_fd_init(&a, fds[1], FUT_FD_OWN), 0);
    /* A read that finds nothing registers the runtime's ev_io; drop it. */
    ck_assert_int_eq(fut_read_init(&rd, &a.reader, &c, 1), 0);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cw), FUT_PENDING);
    fut_future_drop(&rd.base);
    ck_assert_int_eq(cw.refs, 0);
    pr.limit = 3;
    pw_start(&f, &pr, fds[1], EV_READ);
    while (quiet < 3) {
        now = fill(fds[0], sent);
        sent += now;
        turn(&f);
        quiet = now == 0 ? quiet + 1 : 0;
    }
    blocked_at = sent;
    /* Bounded by the kernel (a few MB on loopback), not by the test. */
    ck_assert_uint_gt(blocked_at, 0);
    ck_assert_uint_lt(blocked_at, total);
    ck_assert_int_eq(cw.wakes, 0);
    td = spawn_drain(&f, &a.reader, &out);
    while (sent < total) {
        sent += fill(fds[0], sent);
        turn(&f);
    }
    ck_assert_int_eq(shutdown(fds[0], SHUT_WR), 0);
    join(&f, td, 0);
    ck_assert_uint_eq(out.total, sent);
    ck_assert_int_eq(out.bad, 0);
    ck_assert_int_eq(pr.count, 3);
    pw_stop(&f, &pr);
    ck_assert_int_eq(fut_fd_close(&a), 0);
    close(fds[0]);
    fx_fini(&f);
}
END_TEST

#define BIG ((size_t)32 << 20) /* more than loopback's buffers hold */

/* Write @big through @a by hand against a peer that does not read, until a
 * write stays PENDING (three NONBLOCK turns without a wake). Leaves it
 * pending in @w and returns the bytes accepted. */
static size_t
fill_fd(struct fx *f, struct fut_fd *a, const unsigned char *big,
        struct fut_write *w, struct cw *cw)
{
    size_t off = 0;
    int quiet;

    for (;;) {
        ck_assert_uint_lt(off, BIG);
        ck_assert_int_eq(fut_write_init(w, &a->writer, big + off, BIG - off),
                         0);
        if (poll_by_hand(&w->base, cw) == FUT_READY) {
            ck_assert_int_gt(w->res, 0);
            off += (size_t)w->res;
            fut_future_drop(&w->base);
            continue;
        }
        ck_assert_int_eq(cw->refs, 1);
        for (quiet = 0; quiet < 3 && cw->wakes == 0; quiet++)
            turn(f);
        if (cw->wakes == 0)
            return off;
        cw->wakes = 0;
        fut_future_drop(&w->base);
        ck_assert_int_eq(cw->refs, 0);
    }
}

/* A raw reader of the program's: an ev_io that reads and checks. */
struct sink {
    ev_io io;
    uint64_t total;
    int bad, eof, err;
    unsigned char buf[65536];
};

static void
sink_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct sink *k = (struct sink *)w;
    ssize_t n, i;

    (void)revents;
    for (;;) {
        n = read(w->fd, k->buf, sizeof k->buf);
        if (n > 0) {
            for (i = 0; i < n; i++)
                if (k->buf[i] != pat(k->total + (uint64_t)i))
                    k->bad++;
            k->total += (uint64_t)n;
            continue;
        }
        if (n == 0)
            k->eof = 1;
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
            k->err = errno;
        else
            return;
        ev_io_stop(loop, w);
        return;
    }
}

static int
sink_done(const void *p)
{
    const struct sink *k = p;

    return k->eof || k->err;
}

/* Backpressure on writing, with the program's EV_WRITE watcher on the
 * same descriptor: writes go PENDING once the kernel's buffers are full;
 * a dropped pending write leaves no waker (_i 1), a kept one is woken when
 * the peer reads (_i 0); the rest goes through and arrives in order. */
START_TEST(test_compat_ev_write_backpressure)
{
    struct fx f;
    struct fut_fd a;
    struct fut_write w;
    struct cw cw = { 0, 0 };
    struct pw pwr;
    unsigned char *big = pattern_buf(BIG);
    struct sink *k = calloc(1, sizeof *k);
    struct pump p;
    struct fut_task *tp;
    size_t off;
    int fds[2];

    ck_assert_ptr_nonnull(k);
    memset(&pwr, 0, sizeof pwr);
    fx_init(&f);
    socket_pair(fds);
    set_nonblock(fds[1]);
    ck_assert_int_eq(fut_fd_init(&a, fds[0], FUT_FD_OWN), 0);
    pwr.limit = 1000000;
    pw_start(&f, &pwr, fds[0], EV_WRITE);
    off = fill_fd(&f, &a, big, &w, &cw);
    ck_assert_uint_gt(off, 0);
    ck_assert_int_eq(cw.wakes, 0);
    if (_i == 1) {
        fut_future_drop(&w.base);
        ck_assert_int_eq(cw.refs, 0);
    }
    ck_assert_int_gt(pwr.count, 0);
    ev_io_init(&k->io, sink_cb, fds[1], EV_READ);
    ev_io_start(f.loop, &k->io);
    if (_i == 0) {
        run_until(&f, woken, &cw);
        ck_assert_int_eq(poll_by_hand(&w.base, &cw), FUT_READY);
        ck_assert_int_gt(w.res, 0);
        off += (size_t)w.res;
        fut_future_drop(&w.base);
        ck_assert_int_eq(cw.refs, 0);
    }
    p = FUT_FRAME_VALUE(pump, .w = &a.writer, .sent = off, .total = BIG,
                        .chunk = 16384, .close_after = 1);
    ck_assert_int_eq(FUT_SPAWN(&f.rt, &p, &tp), 0);
    join(&f, tp, 0);
    run_until(&f, sink_done, k);
    ck_assert_int_eq(k->eof, 1);
    ck_assert_uint_eq(k->total, BIG);
    ck_assert_int_eq(k->bad, 0);
    if (_i == 1)
        ck_assert_int_eq(cw.wakes, 0);
    pw_stop(&f, &pwr);
    ck_assert_int_eq(fut_fd_close(&a), 0);
    close(fds[1]);
    fx_fini(&f);
    free(k);
    free(big);
}
END_TEST

/* Drop of a pending read while the program watches the descriptor: the
 * waker is withdrawn (never woken) and the next read gets the bytes. */
START_TEST(test_compat_ev_drop_pending_read)
{
    struct fx f;
    struct fut_fd a;
    struct fut_read rd;
    struct cw cw = { 0, 0 }, cw2 = { 0, 0 };
    struct pw pr;
    char b[64];
    int fds[2];

    memset(&pr, 0, sizeof pr);
    fx_init(&f);
    socket_pair(fds);
    ck_assert_int_eq(fut_fd_init(&a, fds[0], FUT_FD_OWN), 0);
    ck_assert_int_eq(fut_read_init(&rd, &a.reader, b, sizeof b), 0);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cw), FUT_PENDING);
    ck_assert_int_eq(cw.refs, 1);
    fut_future_drop(&rd.base);
    ck_assert_int_eq(cw.refs, 0);
    pr.limit = 1;
    pw_start(&f, &pr, fds[0], EV_READ);
    ck_assert_int_eq(write(fds[1], "0123456789", 10), 10);
    run_until(&f, pw_fired, &pr);
    turn(&f);
    ck_assert_int_eq(cw.wakes, 0);
    ck_assert_int_eq(fut_read_init(&rd, &a.reader, b, sizeof b), 0);
    ck_assert_int_eq(poll_by_hand(&rd.base, &cw2), FUT_READY);
    ck_assert_int_eq(rd.res, 10);
    ck_assert_int_eq(memcmp(b, "0123456789", 10), 0);
    fut_future_drop(&rd.base);
    ck_assert_int_eq(cw2.refs, 0);
    ck_assert_int_eq(fut_fd_close(&a), 0);
    close(fds[1]);
    fx_fini(&f);
}
END_TEST

static void
own_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct sink *k = (struct sink *)w;

    (void)loop;
    (void)revents;
    k->total += (uint64_t)read(w->fd, k->buf, sizeof k->buf);
}

/* Release while a task waits to read and another to write: both are
 * woken and answer -EBADF (a released fut_fd is a closed object); the
 * descriptor is the program's again (open, O_NONBLOCK as it was), and the
 * program's own watcher goes on working on it. */
START_TEST(test_compat_ev_release_waiting)
{
    struct fx f;
    struct fut_fd a;
    struct fut_write w;
    struct cw cw = { 0, 0 };
    struct drain_out out;
    struct fut_task *td;
    unsigned char *big = pattern_buf(BIG);
    struct sink *k = calloc(1, sizeof *k);
    int fds[2];

    ck_assert_ptr_nonnull(k);
    fx_init(&f);
    socket_pair(fds);
    ck_assert_int_eq(fut_fd_init(&a, fds[0], FUT_FD_BORROW), 0);
    td = spawn_drain(&f, &a.reader, &out);
    (void)fill_fd(&f, &a, big, &w, &cw);
    ck_assert_int_eq(fut_task_is_finished(td), 0);
    ck_assert_int_eq(fut_fd_release(&a), fds[0]);
    ck_assert_int_eq(is_nonblock(fds[0]), 0);
    ck_assert_int_eq(cw.wakes, 1);
    ck_assert_int_eq(cw.refs, 0);
    join(&f, td, -EBADF);
    ck_assert_int_eq(poll_by_hand(&w.base, &cw), FUT_READY);
    ck_assert_int_eq(w.res, -EBADF);
    fut_future_drop(&w.base);
    ck_assert_int_eq(fut_fd_release(&a), -EBADF);
    /* The program's own watcher on the descriptor. */
    ev_io_init(&k->io, own_read_cb, fds[0], EV_READ);
    ev_io_start(f.loop, &k->io);
    ck_assert_int_eq(write(fds[1], "hello", 5), 5);
    while (k->total < 5)
        ck_assert_int_ne(ev_run(f.loop, EVRUN_ONCE), 0);
    ev_io_stop(f.loop, &k->io);
    close(fds[0]);
    close(fds[1]);
    fx_fini(&f);
    free(k);
    free(big);
}
END_TEST

START_TEST(test_compat_ev_bad_input)
{
    struct fx f;
    struct fut_fd a;
    char path[] = "/tmp/compat-ev-XXXXXX";
    int fds[2], file;

    fx_init(&f);
    socket_pair(fds);
    ck_assert_int_eq(fut_fd_init(NULL, fds[0], FUT_FD_BORROW), -EINVAL);
    ck_assert_int_eq(fut_fd_init(&a, -1, FUT_FD_BORROW), -EINVAL);
    ck_assert_int_eq(fut_fd_init(&a, fds[0], 0), -EINVAL);
    ck_assert_int_eq(fut_fd_init(&a, fds[0], FUT_FD_OWN | FUT_FD_BORROW),
                     -EINVAL);
    ck_assert_int_eq(fut_fd_release(&a), -EBADF);
    ck_assert_int_eq(fut_fd_release(NULL), -EINVAL);
    file = mkstemp(path);
    ck_assert_int_ge(file, 0);
    unlink(path);
    ck_assert_int_eq(fut_fd_init(&a, file, FUT_FD_BORROW), -ENOTSUP);
    close(file);
    ck_assert_int_eq(fut_fd_init(&a, file, FUT_FD_BORROW), -EBADF);
    ck_assert_int_eq(fut_fd_close(&a), -EBADF);
    close(fds[0]);
    close(fds[1]);
    fx_fini(&f);
}
END_TEST

/* One TCase per behaviour (CK_RUN_CASE=round_trip runs one). */
static void
add(Suite *s, const char *name, const TTest *test, int loops)
{
    TCase *tc = tcase_create(name);

    tcase_set_timeout(tc, TEST_TIMEOUT_S);
    if (loops > 0)
        tcase_add_loop_test(tc, test, 0, loops);
    else
        tcase_add_test(tc, test);
    suite_add_tcase(s, tc);
}

static Suite *
compat_ev_suite(void)
{
    Suite *s = suite_create("compat_ev");

    add(s, "round_trip", test_compat_ev_round_trip, 0);
    add(s, "eof", test_compat_ev_eof, 0);
    add(s, "peer_reset", test_compat_ev_peer_reset, 0);
    add(s, "read_backpressure", test_compat_ev_read_backpressure, 0);
    add(s, "write_backpressure", test_compat_ev_write_backpressure, 2);
    add(s, "drop_pending_read", test_compat_ev_drop_pending_read, 0);
    add(s, "release_waiting", test_compat_ev_release_waiting, 0);
    add(s, "bad_input", test_compat_ev_bad_input, 0);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(compat_ev_suite());
    int failed;

    signal(SIGPIPE, SIG_IGN);
    if (getenv("CK_TAP_LOG_FILE_NAME") == NULL)
        srunner_set_tap(sr, "-");
    srunner_run_all(sr, getenv("CK_VERBOSITY") ? CK_ENV : CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
