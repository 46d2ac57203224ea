/* SPDX-License-Identifier: MIT */
/* compat/event: a libevent bufferevent the program already has, as AsyncRead + AsyncWrite. */

/*
 * A bufferevent is already buffered on both sides: libevent reads into its
 * input evbuffer and writes out its output evbuffer by itself, and calls
 * the read, write and event callbacks. The traits are readiness-style over
 * the caller's borrowed buffers, so the bridge is thin: poll_read copies
 * out of the input buffer, poll_write copies into the output buffer, and
 * the three callbacks only wake the task waiting on that side. The state
 * lives in the caller's struct (the callbacks' argument), so there is no
 * allocation and no lookup.
 *
 * libevent behaviour this relies on (libevent 2.1.12, bufferevent_sock.c):
 * - The read high watermark bounds the input buffer: a socket bufferevent
 *   reads at most (high - length) bytes per callback and suspends reading
 *   while the buffer holds high bytes; taking bytes out (evbuffer_remove())
 *   resumes it through the buffer's own callback.
 * - But libevent 2.1.12 (bufferevent_inbuf_wm_check(), run after each read
 *   callback) triggers the read callback again, deferred, whenever it
 *   returns with the input still at the high mark and EV_READ enabled: a
 *   read callback that does not drain the buffer (ours, while no task is
 *   reading) makes the loop spin at 100 % CPU, and event_base_loop()
 *   with EVLOOP_NONBLOCK never returns. So the read callback disables
 *   EV_READ itself when the buffer is at the mark (rpaused), and the
 *   poll_read that takes bytes enables it again. Release enables it again
 *   too, so the program gets the bufferevent as it was.
 * - The write callback runs after a write that left the output buffer at
 *   or below the write low watermark, and only while EV_WRITE is enabled.
 *   A task waiting for room sets the low mark at half the high mark; a
 *   flush or close waiting for an empty buffer sets it at 0.
 * - On end of file, an error or a timeout while reading, libevent disables
 *   EV_READ before the event callback (EV_WRITE likewise for writing), so
 *   a timed-out side is enabled again by the next PENDING poll.
 * - BEV_EVENT_ERROR comes with the socket error in errno
 *   (EVUTIL_SOCKET_ERROR(), which libevent documents as the way to learn
 *   it), read at the top of the event callback, before anything can
 *   change it; when it says nothing useful, SO_ERROR is asked, then -EIO.
 * - A callback deferred by BEV_OPT_DEFER_CALLBACKS looks the callback up
 *   when it runs, so after release (NULL callbacks) none of ours is
 *   called with a stale argument.
 * - Wakes from these callbacks happen on the base's thread, outside the
 *   runtime's hooks: an attached runtime queues the task and runs it from
 *   its own tick, never inside the callback.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include <futures/compat-event.h>
#include <futures/future.h>
#include <futures/waker.h>

/* evbuffer_remove() answers an int: never ask for more than this. */
#define MAX_CHUNK ((size_t)1 << 30)

/* ---- helpers --------------------------------------------------------------- */

static void
slot_register(struct fut_waker *slot, uint32_t *id, const struct fut_waker *w)
{
    fut_waker_set(slot, w);
    *id = fut_reg_next(*id);
}

static void
slot_forget(struct fut_waker *slot, const struct fut_waker *w)
{
    if (slot->vtable != NULL && fut_waker_will_wake(slot, w))
        fut_waker_drop(slot);
}

static void
slot_forget_reg(struct fut_waker *slot, uint32_t id, const struct fut_reg *reg)
{
    if (slot->vtable != NULL && id == reg->id &&
        fut_waker_will_wake(slot, &reg->waker))
        fut_waker_drop(slot);
}

static void
wake_slot(struct fut_waker *slot)
{
    if (slot->vtable != NULL)
        fut_waker_take_wake(slot);
}

static struct fut__bevs *
reader_state(struct fut_async_read *self)
{
    return &FUT_CONTAINER_OF(self, struct fut_bufferevent_stream, reader)
                ->priv;
}

static struct fut__bevs *
writer_state(struct fut_async_write *self)
{
    return &FUT_CONTAINER_OF(self, struct fut_bufferevent_stream, writer)
                ->priv;
}

/* Make sure libevent works on @what (EV_READ or EV_WRITE). 0 or -EIO. */
static int
enable(struct bufferevent *bev, short what)
{
    if (bufferevent_get_enabled(bev) & what)
        return 0;
    return bufferevent_enable(bev, what) == 0 ? 0 : -EIO;
}

/* The error behind a BEV_EVENT_ERROR, as a negative errno; @e is errno
 * as the event callback found it. */
static int
socket_error(struct bufferevent *bev, int e)
{
    evutil_socket_t fd;
    int soerr = 0;
    socklen_t len = sizeof soerr;

    if (e > 0 && e != EAGAIN && e != EWOULDBLOCK && e != EINTR)
        return -e;
    fd = bufferevent_getfd(bev);
    if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 &&
        soerr > 0)
        return -soerr;
    return -EIO;
}

/* ---- libevent's callbacks -------------------------------------------------- */

static void
on_read(struct bufferevent *bev, void *arg)
{
    struct fut__bevs *st = arg;

    /* At the mark with nobody taking bytes: stop reading ourselves (see
     * the top of the file), or libevent calls us again at once. */
    if (evbuffer_get_length(bufferevent_get_input(bev)) >= st->rhigh &&
        bufferevent_disable(bev, EV_READ) == 0)
        st->rpaused = 1;
    wake_slot(&st->rwaker);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
    struct fut__bevs *st = arg;

    (void)bev;
    wake_slot(&st->wwaker);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
    struct fut__bevs *st = arg;
    int e = EVUTIL_SOCKET_ERROR(); /* first: see the top of the file */
    int reading = (what & BEV_EVENT_READING) != 0;
    int writing = (what & BEV_EVENT_WRITING) != 0;
    int code;

    if (!reading && !writing)
        reading = writing = 1; /* a failed connect names no side */
    if (what & BEV_EVENT_ERROR) {
        code = socket_error(bev, e);
        if (reading && st->rerr == 0)
            st->rerr = code;
        if (writing && st->werr == 0)
            st->werr = code;
    } else if (what & BEV_EVENT_EOF) {
        /* writev(2) that wrote nothing: the peer cannot take more. */
        if (what & BEV_EVENT_WRITING) {
            if (st->werr == 0)
                st->werr = -EPIPE;
        } else {
            st->reof = 1;
        }
    } else if (what & BEV_EVENT_TIMEOUT) {
        if (what & BEV_EVENT_READING)
            st->rtimeout = 1;
        if (what & BEV_EVENT_WRITING)
            st->wtimeout = 1;
    }
    /* BEV_EVENT_CONNECTED and anything else: both sides look again. */
    wake_slot(&st->rwaker);
    wake_slot(&st->wwaker);
}

/* ---- reading --------------------------------------------------------------- */

static enum fut_poll
bevs_poll_read(struct fut_async_read *self, struct fut_context *cx,
               void *buf, size_t len, ssize_t *res)
{
    struct fut__bevs *st = reader_state(self);
    struct evbuffer *in;
    size_t have;
    int n, err;

    if (st->bev == NULL) {
        *res = -EBADF;
        return FUT_READY;
    }
    in = bufferevent_get_input(st->bev);
    have = evbuffer_get_length(in);
    if (have > 0) {
        if (!fut_coop_proceed(cx))
            return FUT_PENDING;
        if (len > have)
            len = have;
        if (len > MAX_CHUNK)
            len = MAX_CHUNK;
        /* Taking bytes out resumes a read suspended at the high mark. */
        n = evbuffer_remove(in, buf, len);
        *res = n > 0 ? (ssize_t)n : -EIO;
        if (st->rpaused && st->rerr == 0 && !st->reof) {
            st->rpaused = 0;
            err = enable(st->bev, EV_READ);
            if (err != 0)
                st->rerr = err;
        }
        return FUT_READY;
    }
    if (st->rerr != 0) {
        *res = st->rerr;
        return FUT_READY;
    }
    if (st->rtimeout) {
        st->rtimeout = 0;
        *res = -ETIMEDOUT;
        return FUT_READY;
    }
    if (st->reof) {
        *res = 0;
        return FUT_READY;
    }
    st->rpaused = 0;
    err = enable(st->bev, EV_READ);
    if (err != 0) {
        *res = err;
        return FUT_READY;
    }
    slot_register(&st->rwaker, &st->rid, cx->waker);
    return FUT_PENDING;
}

static void
bevs_forget_read(struct fut_async_read *self, const struct fut_waker *w)
{
    slot_forget(&reader_state(self)->rwaker, w);
}

static void
bevs_note_read(struct fut_async_read *self, struct fut_reg *reg)
{
    struct fut__bevs *st = reader_state(self);

    /* A PENDING read stored its waker, or was a coop yield (empty slot). */
    if (st->rwaker.vtable != NULL)
        reg->id = st->rid;
}

static void
bevs_forget_read_reg(struct fut_async_read *self, const struct fut_reg *reg)
{
    struct fut__bevs *st = reader_state(self);

    slot_forget_reg(&st->rwaker, st->rid, reg);
}

static const struct fut_async_read_vtable bevs_read_vtable = {
    .version = 3,
    .poll_read = bevs_poll_read,
    .poll_readv = NULL,
    .forget_read = bevs_forget_read,
    .note_read = bevs_note_read,
    .forget_read_reg = bevs_forget_read_reg,
};

/* ---- writing --------------------------------------------------------------- */

/* Write-side states that answer every poll at once: 1 with *res set. */
static int
write_refused(struct fut__bevs *st, ssize_t *res)
{
    if (st->bev == NULL) {
        *res = -EPIPE;
        return 1;
    }
    if (st->werr != 0) {
        *res = st->werr;
        return 1;
    }
    if (st->wtimeout) {
        st->wtimeout = 0;
        *res = -ETIMEDOUT;
        return 1;
    }
    /* A read error means the connection is gone (a reset): nothing
     * written now could arrive. End of file is only the peer's half. */
    if (st->rerr != 0) {
        *res = -EPIPE;
        return 1;
    }
    return 0;
}

/* Wait for the write callback with the output at or below @low bytes. */
static enum fut_poll
wait_output(struct fut__bevs *st, struct fut_context *cx, size_t low,
            ssize_t *res)
{
    int err;

    bufferevent_setwatermark(st->bev, EV_WRITE, low, 0);
    err = enable(st->bev, EV_WRITE);
    if (err != 0) {
        *res = err;
        return FUT_READY;
    }
    slot_register(&st->wwaker, &st->wid, cx->waker);
    return FUT_PENDING;
}

static enum fut_poll
bevs_poll_write(struct fut_async_write *self, struct fut_context *cx,
                const void *buf, size_t len, ssize_t *res)
{
    struct fut__bevs *st = writer_state(self);
    struct evbuffer *out;
    size_t have, room;
    int err;

    if (write_refused(st, res))
        return FUT_READY;
    if (st->shut) {
        *res = -EPIPE;
        return FUT_READY;
    }
    out = bufferevent_get_output(st->bev);
    have = evbuffer_get_length(out);
    if (have >= st->whigh)
        return wait_output(st, cx, st->whigh / 2, res);
    if (!fut_coop_proceed(cx))
        return FUT_PENDING;
    room = st->whigh - have;
    if (len > room)
        len = room;
    if (evbuffer_add(out, buf, len) != 0) {
        *res = -ENOMEM;
        return FUT_READY;
    }
    /* The output buffer's callback schedules the write, if libevent
     * works on EV_WRITE (the program or a timeout may have stopped it). */
    err = enable(st->bev, EV_WRITE);
    *res = err != 0 ? err : (ssize_t)len;
    return FUT_READY;
}

static enum fut_poll
bevs_poll_flush(struct fut_async_write *self, struct fut_context *cx,
                ssize_t *res)
{
    struct fut__bevs *st = writer_state(self);

    if (write_refused(st, res))
        return FUT_READY;
    if (evbuffer_get_length(bufferevent_get_output(st->bev)) == 0) {
        *res = 0;
        return FUT_READY;
    }
    return wait_output(st, cx, 0, res);
}

static int
shut_write_side(struct bufferevent *bev)
{
    evutil_socket_t fd = bufferevent_getfd(bev);

    if (fd < 0) {
        /* A pair gives its partner end of file; a filter passes it on. */
        return bufferevent_flush(bev, EV_WRITE, BEV_FINISHED) < 0 ? -EIO
                                                                  : 0;
    }
    if (shutdown(fd, SHUT_WR) == 0)
        return 0;
    /* A peer already gone leaves nothing to shut down: not an error. */
    return errno == ENOTCONN ? 0 : -errno;
}

static enum fut_poll
bevs_poll_close(struct fut_async_write *self, struct fut_context *cx,
                ssize_t *res)
{
    struct fut__bevs *st = writer_state(self);

    if (st->bev != NULL && st->shut) {
        *res = st->shut_res;
        return FUT_READY;
    }
    if (write_refused(st, res))
        return FUT_READY;
    if (evbuffer_get_length(bufferevent_get_output(st->bev)) > 0)
        return wait_output(st, cx, 0, res);
    st->shut = 1;
    st->shut_res = shut_write_side(st->bev);
    *res = st->shut_res;
    return FUT_READY;
}

static void
bevs_forget_write(struct fut_async_write *self, const struct fut_waker *w)
{
    slot_forget(&writer_state(self)->wwaker, w);
}

static void
bevs_note_write(struct fut_async_write *self, struct fut_reg *reg)
{
    struct fut__bevs *st = writer_state(self);

    if (st->wwaker.vtable != NULL)
        reg->id = st->wid;
}

static void
bevs_forget_write_reg(struct fut_async_write *self, const struct fut_reg *reg)
{
    struct fut__bevs *st = writer_state(self);

    slot_forget_reg(&st->wwaker, st->wid, reg);
}

static const struct fut_async_write_vtable bevs_write_vtable = {
    .version = 3,
    .poll_write = bevs_poll_write,
    .poll_writev = NULL,
    .poll_flush = bevs_poll_flush,
    .poll_close = bevs_poll_close,
    .forget_write = bevs_forget_write,
    .note_write = bevs_note_write,
    .forget_write_reg = bevs_forget_write_reg,
};

/* ---- the wrapper ----------------------------------------------------------- */

int
fut_bufferevent_stream_init(struct fut_bufferevent_stream *s,
                            struct bufferevent *bev, size_t read_high,
                            size_t write_high)
{
    struct fut__bevs *st;
    bufferevent_data_cb rcb = NULL;

    if (s == NULL)
        return -EINVAL;
    s->reader.vtable = &bevs_read_vtable;
    s->writer.vtable = &bevs_write_vtable;
    st = &s->priv;
    memset(st, 0, sizeof *st);
    if (bev == NULL || read_high > FUT_BUFFEREVENT_STREAM_MAX_HIGH ||
        write_high > FUT_BUFFEREVENT_STREAM_MAX_HIGH)
        return -EINVAL;
    bufferevent_getcb(bev, &rcb, NULL, NULL, NULL);
    if (rcb == on_read)
        return -EBUSY;
    st->rhigh = read_high != 0 ? read_high
                               : FUT_BUFFEREVENT_STREAM_DEFAULT_HIGH;
    st->whigh = write_high != 0 ? write_high
                                : FUT_BUFFEREVENT_STREAM_DEFAULT_HIGH;
    (void)bufferevent_getwatermark(bev, EV_READ, &st->old_rlow,
                                   &st->old_rhigh);
    (void)bufferevent_getwatermark(bev, EV_WRITE, &st->old_wlow,
                                   &st->old_whigh);
    /* Read low 0: the read callback comes for any byte. */
    bufferevent_setwatermark(bev, EV_READ, 0, st->rhigh);
    bufferevent_setwatermark(bev, EV_WRITE, st->whigh / 2, 0);
    bufferevent_setcb(bev, on_read, on_write, on_event, st);
    st->bev = bev;
    return 0;
}

void
fut_bufferevent_stream_release(struct fut_bufferevent_stream *s)
{
    struct fut__bevs *st;
    struct bufferevent *bev;

    if (s == NULL || s->priv.bev == NULL)
        return;
    st = &s->priv;
    bev = st->bev;
    st->bev = NULL;
    bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
    bufferevent_setwatermark(bev, EV_READ, st->old_rlow, st->old_rhigh);
    bufferevent_setwatermark(bev, EV_WRITE, st->old_wlow, st->old_whigh);
    /* Reading was stopped by us, not by the program: give it back on. */
    if (st->rpaused)
        (void)bufferevent_enable(bev, EV_READ);
    /* Tasks still waiting learn of it on their next poll (-EBADF, -EPIPE):
     * wake them rather than drop their wakers silently. */
    wake_slot(&st->rwaker);
    wake_slot(&st->wwaker);
}

size_t
fut_bufferevent_stream_buffered(const struct fut_bufferevent_stream *s)
{
    if (s == NULL || s->priv.bev == NULL)
        return 0;
    return evbuffer_get_length(bufferevent_get_input(s->priv.bev));
}
