/* SPDX-License-Identifier: MIT */
/* compat/uv: a libuv stream the program already has, as AsyncRead + AsyncWrite. */

/*
 * libuv streams are completion-style: libuv reads into a buffer it asks for
 * (alloc_cb, then read_cb) and writes from buffers it borrows until the
 * write callback. The traits are readiness-style over the caller's
 * borrowed buffers. This file bridges the two with two rings of its own:
 *
 * - The read ring is what alloc_cb hands out (its contiguous free part).
 *   When it is full, read_cb calls uv_read_stop(): libuv then stops
 *   polling the descriptor, the kernel's buffer fills and the peer is
 *   slowed by flow control, so memory stays bounded (backpressure).
 * - The write ring holds what uv_try_write() did not take. One uv_write()
 *   is in flight at a time, over bytes that nobody moves until its
 *   callback: new bytes are only appended behind them.
 *
 * libuv quirks this relies on (libuv 1.30 to 1.48 on Unix):
 * - UV_E* codes are negative errnos, except UV_EOF and the UV_EAI_* family
 *   (-3000 and below), which have no errno and map to 0 / -EIO here.
 * - alloc_cb may hand out 0 bytes: read_cb then gets UV_ENOBUFS, and libuv
 *   keeps the handle reading (it would spin), so we stop it.
 * - uv_close() stops reading without a read_cb, and completes the writes
 *   and shutdown still queued with UV_ECANCELED before the close callback
 *   runs: that is where an orphaned state is freed.
 * - A wake from one of our libuv callbacks happens on the loop's thread
 *   but outside the runtime's hooks. The core takes such a wake, for a
 *   runtime attached to this loop, as a local one and asks the loop to
 *   come back to the runtime before it blocks; so a callback that just
 *   stopped the last thing holding the loop (reading stopped on a full
 *   ring or at EOF, the last write completed) still gets its task run
 *   before uv_run() returns.
 * - h->data is the program's, and uv_read_start() takes no argument of our
 *   own, so read callbacks find the state through a per-thread map from
 *   the handle's address. A handle is only used on its loop's thread, so
 *   the map needs no lock. Requests are ours (in the state), so write and
 *   shutdown callbacks find it with FUT_CONTAINER_OF and never need the
 *   map (or the handle, once orphaned).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <futures/alloc.h>
#include <futures/compat-uv.h>
#include <futures/future.h>
#include <futures/waker.h>


enum shut_state {
    SHUT_NONE = 0,
    SHUT_FLIGHT, /* uv_shutdown() issued, callback not yet come */
    SHUT_DONE,   /* callback came; shut_res holds its answer */
};

/*
 * The adapter's one allocation: this header, then the read ring, then the
 * write ring. It outlives the wrapper when a request is in flight at
 * release (orphaned); the last callback frees it.
 */
struct fut__uvs {
    uv_stream_t *h;        /* NULL once orphaned: the handle may be gone */
    /* read side */
    unsigned char *rbuf;
    size_t rcap, rhead, rlen;
    int reading;           /* between uv_read_start() and uv_read_stop() */
    int reof;              /* UV_EOF came: after the bytes, 0 for good */
    int rerr;              /* a read error (negative errno), sticky */
    struct fut_waker rwaker;
    uint32_t rid;
    /* write side: [whead, whead + wlen) queued, the first wflight bytes of
     * which belong to the uv_write() in flight (wbusy) */
    unsigned char *wbuf;
    size_t wcap, whead, wlen, wflight;
    int wbusy;
    int werr;              /* a write error (negative errno), sticky */
    enum shut_state shut;
    int shut_res;
    struct fut_waker wwaker;
    uint32_t wid;
    uv_write_t wreq;
    uv_shutdown_t sreq;
    unsigned char bytes[];
};

/* ---- the per-thread map: handle -> state --------------------------------- */

/*
 * Open addressing with linear probing, grown by doubling when half full;
 * removal shifts the following entries back, so there are no tombstones.
 * The table is freed when its last entry goes, so a thread that wraps
 * nothing holds no memory.
 */
struct map_entry {
    const uv_stream_t *key;
    struct fut__uvs *st;
};

struct map {
    struct map_entry *tab;
    size_t cap; /* a power of two, or 0 */
    size_t len;
};

static _Thread_local struct map tls_map;

static size_t
map_hash(const uv_stream_t *h, size_t cap)
{
    uint64_t x = (uint64_t)(uintptr_t)h;

    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return (size_t)x & (cap - 1);
}

static struct fut__uvs *
map_find(const uv_stream_t *h)
{
    struct map *m = &tls_map;
    size_t i;

    if (m->len == 0)
        return NULL;
    for (i = map_hash(h, m->cap); m->tab[i].key != NULL;
         i = (i + 1) & (m->cap - 1))
        if (m->tab[i].key == h)
            return m->tab[i].st;
    return NULL;
}

static void
map_put(struct map_entry *tab, size_t cap, const uv_stream_t *h,
        struct fut__uvs *st)
{
    size_t i = map_hash(h, cap);

    while (tab[i].key != NULL)
        i = (i + 1) & (cap - 1);
    tab[i].key = h;
    tab[i].st = st;
}

/* Insert @h (not present). 0 or -ENOMEM. */
static int
map_insert(const uv_stream_t *h, struct fut__uvs *st)
{
    struct map *m = &tls_map;
    struct map_entry *tab;
    size_t cap, i;

    if ((m->len + 1) * 2 > m->cap) {
        cap = m->cap != 0 ? m->cap * 2 : 16;
        if (cap > SIZE_MAX / sizeof(*tab))
            return -ENOMEM;
        tab = fut_mem_alloc(cap * sizeof(*tab));
        if (tab == NULL)
            return -ENOMEM;
        memset(tab, 0, cap * sizeof(*tab));
        for (i = 0; i < m->cap; i++)
            if (m->tab[i].key != NULL)
                map_put(tab, cap, m->tab[i].key, m->tab[i].st);
        fut_mem_free(m->tab);
        m->tab = tab;
        m->cap = cap;
    }
    map_put(m->tab, m->cap, h, st);
    m->len++;
    return 0;
}

static void
map_remove(const uv_stream_t *h)
{
    struct map *m = &tls_map;
    size_t mask, i, j, k;

    if (m->len == 0)
        return;
    mask = m->cap - 1;
    for (i = map_hash(h, m->cap); m->tab[i].key != h; i = (i + 1) & mask)
        if (m->tab[i].key == NULL)
            return;
    /* Backward shift: move up each later entry of the run whose home
     * slot does not lie cyclically in (i, j]. */
    for (j = (i + 1) & mask; m->tab[j].key != NULL; j = (j + 1) & mask) {
        k = map_hash(m->tab[j].key, m->cap);
        if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
            continue;
        m->tab[i] = m->tab[j];
        i = j;
    }
    m->tab[i].key = NULL;
    m->tab[i].st = NULL;
    if (--m->len == 0) {
        fut_mem_free(m->tab);
        m->tab = NULL;
        m->cap = 0;
    }
}

/* ---- helpers --------------------------------------------------------------- */

/* A libuv status as a negative errno: UV_EOF and the getaddrinfo family
 * are libuv's own codes, with no errno to give. */
static int
map_err(int e)
{
    if (e >= 0)
        return e;
    if (e <= -3000 && e >= -4095)
        return -EIO;
    return e;
}

/* Store @w in @slot as a new registration, numbered in *@id (pipe.c). */
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

static int
closing(const struct fut__uvs *st)
{
    return uv_is_closing((const uv_handle_t *)st->h);
}

/* Free the state (orphaned) once nothing of libuv still points into it:
 * no request in flight. */
static void
free_if_idle(struct fut__uvs *st)
{
    if (!st->wbusy && st->shut != SHUT_FLIGHT)
        fut_mem_free(st);
}

/* Wake the waker in @slot, if any, from one of our libuv callbacks (see
 * the top of the file). */
static void
wake_slot(struct fut__uvs *st, struct fut_waker *slot)
{
    (void)st;
    if (slot->vtable != NULL)
        fut_waker_take_wake(slot);
}

static struct fut__uvs *
reader_state(struct fut_async_read *self)
{
    return FUT_CONTAINER_OF(self, struct fut_uv_stream, reader)->st;
}

static struct fut__uvs *
writer_state(struct fut_async_write *self)
{
    return FUT_CONTAINER_OF(self, struct fut_uv_stream, writer)->st;
}

/* ---- reading --------------------------------------------------------------- */

static void
on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct fut__uvs *st = map_find((uv_stream_t *)handle);
    size_t tail;
    size_t room = 0;

    (void)suggested;
    buf->base = NULL;
    buf->len = 0;
    if (st == NULL)
        return;
    /* The contiguous free part of the ring: from the tail to the end, or
     * to the head once the tail has wrapped around. */
    if (st->rlen == 0)
        st->rhead = 0;
    tail = (st->rhead + st->rlen) % st->rcap;
    if (st->rlen < st->rcap)
        room = tail >= st->rhead ? st->rcap - tail : st->rhead - tail;
    if (room > 0) {
        buf->base = (char *)st->rbuf + tail;
        buf->len = room;
    }
}

static void
stop_reading(struct fut__uvs *st)
{
    if (st->reading) {
        st->reading = 0;
        (void)uv_read_stop(st->h);
    }
}

static void
on_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf)
{
    struct fut__uvs *st = map_find(h);

    (void)buf;
    if (st == NULL) {
        /* Not ours any more (cannot happen: release stops reading). */
        (void)uv_read_stop(h);
        return;
    }
    if (nread > 0) {
        st->rlen += (size_t)nread;
        /* Full: stop, so that libuv does not ask for a buffer again
         * (it would get 0 bytes and call us with UV_ENOBUFS). */
        if (st->rlen == st->rcap)
            stop_reading(st);
    } else if (nread == 0) {
        return; /* EAGAIN: nothing happened */
    } else if (nread == UV_ENOBUFS) {
        /* Our alloc gave no room: never data. Reading resumes when a
         * poll_read makes room. */
        stop_reading(st);
        return;
    } else if (nread == UV_EOF) {
        st->reof = 1;
        stop_reading(st);
    } else {
        st->rerr = map_err((int)nread);
        stop_reading(st);
    }
    wake_slot(st, &st->rwaker);
}

/* (Re)start reading. 0, or a negative errno from uv_read_start(). */
static int
start_reading(struct fut__uvs *st)
{
    int err;

    if (st->reading || st->reof || st->rerr != 0)
        return 0;
    err = uv_read_start(st->h, on_alloc, on_read);
    if (err != 0)
        return map_err(err);
    st->reading = 1;
    return 0;
}

static enum fut_poll
uvs_poll_read(struct fut_async_read *self, struct fut_context *cx,
              void *buf, size_t len, ssize_t *res)
{
    struct fut__uvs *st = reader_state(self);
    size_t n, first;
    int err;

    if (st == NULL) {
        *res = -EBADF;
        return FUT_READY;
    }
    if (st->rlen > 0) {
        if (!fut_coop_proceed(cx))
            return FUT_PENDING;
        n = len < st->rlen ? len : st->rlen;
        first = st->rcap - st->rhead;
        if (first > n)
            first = n;
        memcpy(buf, st->rbuf + st->rhead, first);
        memcpy((unsigned char *)buf + first, st->rbuf, n - first);
        st->rhead = (st->rhead + n) % st->rcap;
        st->rlen -= n;
        if (st->rlen == 0)
            st->rhead = 0;
        /* Start again only once half the ring is free, not for every
         * byte taken: each start and stop is an epoll_ctl() in libuv. */
        if (!st->reading && !closing(st) &&
            st->rcap - st->rlen >= st->rcap / 2) {
            err = start_reading(st);
            if (err != 0)
                st->rerr = err;
        }
        *res = (ssize_t)n;
        return FUT_READY;
    }
    if (st->rerr != 0) {
        *res = st->rerr;
        return FUT_READY;
    }
    if (st->reof || !uv_is_readable(st->h)) {
        *res = 0;
        return FUT_READY;
    }
    if (closing(st)) {
        *res = -EBADF;
        return FUT_READY;
    }
    err = start_reading(st);
    if (err != 0) {
        st->rerr = err;
        *res = err;
        return FUT_READY;
    }
    slot_register(&st->rwaker, &st->rid, cx->waker);
    return FUT_PENDING;
}

static void
uvs_forget_read(struct fut_async_read *self, const struct fut_waker *w)
{
    struct fut__uvs *st = reader_state(self);

    if (st != NULL)
        slot_forget(&st->rwaker, w);
}

static void
uvs_note_read(struct fut_async_read *self, struct fut_reg *reg)
{
    struct fut__uvs *st = reader_state(self);

    /* A PENDING read either stored its waker (the slot is set) or was a
     * coop yield (the slot is empty: whoever filled the ring woke it). */
    if (st != NULL && st->rwaker.vtable != NULL)
        reg->id = st->rid;
}

static void
uvs_forget_read_reg(struct fut_async_read *self, const struct fut_reg *reg)
{
    struct fut__uvs *st = reader_state(self);

    if (st != NULL)
        slot_forget_reg(&st->rwaker, st->rid, reg);
}

static const struct fut_async_read_vtable uvs_read_vtable = {
    .version = 3,
    .poll_read = uvs_poll_read,
    .poll_readv = NULL,
    .forget_read = uvs_forget_read,
    .note_read = uvs_note_read,
    .forget_read_reg = uvs_forget_read_reg,
};

/* ---- writing --------------------------------------------------------------- */

static void on_write(uv_write_t *req, int status);

/* Send everything queued with one uv_write() (two buffers when the queue
 * wraps around the ring's end). 0 or a negative errno. */
static int
start_write(struct fut__uvs *st)
{
    uv_buf_t bufs[2];
    unsigned int nbufs = 1;
    size_t first = st->wcap - st->whead;
    int err;

    if (first > st->wlen)
        first = st->wlen;
    bufs[0] = uv_buf_init((char *)st->wbuf + st->whead, (unsigned)first);
    if (first < st->wlen) {
        bufs[1] = uv_buf_init((char *)st->wbuf,
                              (unsigned)(st->wlen - first));
        nbufs = 2;
    }
    err = uv_write(&st->wreq, st->h, bufs, nbufs, on_write);
    if (err != 0)
        return map_err(err);
    st->wbusy = 1;
    st->wflight = st->wlen;
    return 0;
}

/* The write side failed: keep the error, drop what is queued. */
static void
write_failed(struct fut__uvs *st, int err)
{
    if (st->werr == 0)
        st->werr = err;
    st->whead = 0;
    st->wlen = 0;
    st->wflight = 0;
}

static void
on_write(uv_write_t *req, int status)
{
    struct fut__uvs *st = FUT_CONTAINER_OF(req, struct fut__uvs, wreq);
    int err;

    st->wbusy = 0;
    if (st->h == NULL) {
        /* Orphaned by a release: the handle may be gone; absorb. */
        free_if_idle(st);
        return;
    }
    st->whead = (st->whead + st->wflight) % st->wcap;
    st->wlen -= st->wflight;
    st->wflight = 0;
    if (st->wlen == 0)
        st->whead = 0;
    if (status != 0) {
        /* UV_ECANCELED: the program closed the handle under the write. */
        write_failed(st, status == UV_ECANCELED ? -EPIPE : map_err(status));
    } else if (st->wlen > 0) {
        if (closing(st))
            write_failed(st, -EPIPE);
        else if ((err = start_write(st)) != 0)
            write_failed(st, err);
    }
    wake_slot(st, &st->wwaker);
    /* A read waiting on a handle being closed learns of it here too. */
    if (closing(st))
        wake_slot(st, &st->rwaker);
}

/* Write-side state that answers every poll at once: 1 with *res set. */
static int
write_refused(struct fut__uvs *st, ssize_t *res)
{
    if (st == NULL || closing(st)) {
        *res = -EPIPE;
        return 1;
    }
    if (st->werr != 0) {
        *res = st->werr;
        return 1;
    }
    return 0;
}

static enum fut_poll
uvs_poll_write(struct fut_async_write *self, struct fut_context *cx,
               const void *buf, size_t len, ssize_t *res)
{
    struct fut__uvs *st = writer_state(self);
    const unsigned char *p = buf;
    size_t done = 0, room, tail, first, n;
    uv_buf_t ub;
    int r;

    if (write_refused(st, res))
        return FUT_READY;
    if (st->shut != SHUT_NONE || !uv_is_writable(st->h)) {
        *res = -EPIPE;
        return FUT_READY;
    }
    if (st->wlen == st->wcap) {
        slot_register(&st->wwaker, &st->wid, cx->waker);
        return FUT_PENDING;
    }
    if (!fut_coop_proceed(cx))
        return FUT_PENDING;
    if (st->wlen == 0) {
        /* Nothing queued ahead: the kernel may take it all, no copy.
         * uv_try_write() answers an int, so ask for at most 1 GiB. */
        n = len < ((size_t)1 << 30) ? len : ((size_t)1 << 30);
        ub = uv_buf_init((char *)(uintptr_t)p, (unsigned)n);
        r = uv_try_write(st->h, &ub, 1);
        if (r > 0) {
            done = (size_t)r;
            if (done == len) {
                *res = (ssize_t)done;
                return FUT_READY;
            }
        } else if (r != UV_EAGAIN && r != UV_ENOSYS && r != 0) {
            write_failed(st, map_err(r));
            *res = st->werr;
            return FUT_READY;
        }
    }
    /* Copy the rest behind what is queued (and in flight: those bytes
     * stay where libuv points). */
    room = st->wcap - st->wlen;
    n = len - done < room ? len - done : room;
    tail = (st->whead + st->wlen) % st->wcap;
    first = st->wcap - tail;
    if (first > n)
        first = n;
    memcpy(st->wbuf + tail, p + done, first);
    memcpy(st->wbuf, p + done + first, n - first);
    st->wlen += n;
    done += n;
    if (!st->wbusy && st->wlen > 0 && (r = start_write(st)) != 0) {
        /* The bytes copied now are lost with the rest of the queue; the
         * error is reported now if nothing else was written. */
        write_failed(st, r);
        done -= n;
        if (done == 0) {
            *res = r;
            return FUT_READY;
        }
    }
    *res = (ssize_t)done;
    return FUT_READY;
}

static enum fut_poll
uvs_poll_flush(struct fut_async_write *self, struct fut_context *cx,
               ssize_t *res)
{
    struct fut__uvs *st = writer_state(self);

    if (write_refused(st, res))
        return FUT_READY;
    if (st->wlen == 0) {
        *res = 0;
        return FUT_READY;
    }
    slot_register(&st->wwaker, &st->wid, cx->waker);
    return FUT_PENDING;
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
    struct fut__uvs *st = FUT_CONTAINER_OF(req, struct fut__uvs, sreq);

    st->shut = SHUT_DONE;
    if (st->h == NULL) {
        free_if_idle(st);
        return;
    }
    /* A peer that is gone leaves nothing to shut down: not an error. */
    if (status == 0 || status == UV_ENOTCONN)
        st->shut_res = 0;
    else if (status == UV_ECANCELED)
        st->shut_res = -EPIPE;
    else
        st->shut_res = map_err(status);
    wake_slot(st, &st->wwaker);
    if (closing(st))
        wake_slot(st, &st->rwaker);
}

static enum fut_poll
uvs_poll_close(struct fut_async_write *self, struct fut_context *cx,
               ssize_t *res)
{
    struct fut__uvs *st = writer_state(self);
    int err;

    if (st != NULL && st->shut == SHUT_DONE && !closing(st)) {
        *res = st->shut_res;
        return FUT_READY;
    }
    if (write_refused(st, res))
        return FUT_READY;
    if (st->wlen > 0 || st->shut == SHUT_FLIGHT) {
        slot_register(&st->wwaker, &st->wid, cx->waker);
        return FUT_PENDING;
    }
    if (!uv_is_writable(st->h)) {
        *res = -EPIPE;
        return FUT_READY;
    }
    err = uv_shutdown(&st->sreq, st->h, on_shutdown);
    if (err != 0) {
        st->shut = SHUT_DONE;
        st->shut_res = err == UV_ENOTCONN ? 0 : map_err(err);
        *res = st->shut_res;
        return FUT_READY;
    }
    st->shut = SHUT_FLIGHT;
    slot_register(&st->wwaker, &st->wid, cx->waker);
    return FUT_PENDING;
}

static void
uvs_forget_write(struct fut_async_write *self, const struct fut_waker *w)
{
    struct fut__uvs *st = writer_state(self);

    if (st != NULL)
        slot_forget(&st->wwaker, w);
}

static void
uvs_note_write(struct fut_async_write *self, struct fut_reg *reg)
{
    struct fut__uvs *st = writer_state(self);

    if (st != NULL && st->wwaker.vtable != NULL)
        reg->id = st->wid;
}

static void
uvs_forget_write_reg(struct fut_async_write *self, const struct fut_reg *reg)
{
    struct fut__uvs *st = writer_state(self);

    if (st != NULL)
        slot_forget_reg(&st->wwaker, st->wid, reg);
}

static const struct fut_async_write_vtable uvs_write_vtable = {
    .version = 3,
    .poll_write = uvs_poll_write,
    .poll_writev = NULL,
    .poll_flush = uvs_poll_flush,
    .poll_close = uvs_poll_close,
    .forget_write = uvs_forget_write,
    .note_write = uvs_note_write,
    .forget_write_reg = uvs_forget_write_reg,
};

/* ---- the wrapper ----------------------------------------------------------- */

int
fut_uv_stream_init(struct fut_uv_stream *s, uv_stream_t *h, size_t read_cap,
                   size_t write_cap)
{
    struct fut__uvs *st;
    int err;

    if (s == NULL)
        return -EINVAL;
    s->reader.vtable = &uvs_read_vtable;
    s->writer.vtable = &uvs_write_vtable;
    s->st = NULL;
    if (h == NULL || read_cap > FUT_UV_STREAM_MAX_CAP ||
        write_cap > FUT_UV_STREAM_MAX_CAP)
        return -EINVAL;
    if (h->type != UV_TCP && h->type != UV_NAMED_PIPE && h->type != UV_TTY)
        return -EINVAL;
    if (uv_is_closing((const uv_handle_t *)h))
        return -EINVAL;
    if (!uv_is_readable(h) && !uv_is_writable(h))
        return -ENOTCONN;
    if (map_find(h) != NULL)
        return -EBUSY;
    if (read_cap == 0)
        read_cap = FUT_UV_STREAM_DEFAULT_CAP;
    if (write_cap == 0)
        write_cap = FUT_UV_STREAM_DEFAULT_CAP;
    /* Both caps are at most 1 GiB: the sum cannot overflow. */
    st = fut_mem_alloc(sizeof(*st) + read_cap + write_cap);
    if (st == NULL)
        return -ENOMEM;
    /* The header only: the rings are written before they are read. */
    memset(st, 0, sizeof(*st));
    st->h = h;
    st->rbuf = st->bytes;
    st->rcap = read_cap;
    st->wbuf = st->bytes + read_cap;
    st->wcap = write_cap;
    err = map_insert(h, st);
    if (err != 0) {
        fut_mem_free(st);
        return err;
    }
    s->st = st;
    return 0;
}

void
fut_uv_stream_release(struct fut_uv_stream *s)
{
    struct fut__uvs *st;

    if (s == NULL || s->st == NULL)
        return;
    st = s->st;
    s->st = NULL;
    stop_reading(st);
    map_remove(st->h);
    /* Tasks still waiting learn of it on their next poll (-EBADF, -EPIPE):
     * wake them rather than drop their wakers silently. */
    fut_waker_take_wake(&st->rwaker);
    fut_waker_take_wake(&st->wwaker);
    /* A uv_write() or uv_shutdown() in flight still points into the
     * state: its callback frees it, without touching the program's
     * handle. Otherwise it goes now. */
    st->h = NULL;
    free_if_idle(st);
}

size_t
fut_uv_stream_buffered(const struct fut_uv_stream *s)
{
    if (s == NULL || s->st == NULL)
        return 0;
    return s->st->rlen;
}
