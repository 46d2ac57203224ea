/* SPDX-License-Identifier: MIT */
/* compat/event: a libevent bufferevent the program already has, as AsyncRead + AsyncWrite. */
#ifndef FUTURES_COMPAT_EVENT_H
#define FUTURES_COMPAT_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include <futures/io.h>
#include <futures/waker.h>

FUT__BEGIN_DECLS

/* libevent's, declared here so that this header needs none of libevent's. */
struct bufferevent;

/** Default read and write high marks (a @read_high or @write_high of 0). */
#define FUT_BUFFEREVENT_STREAM_DEFAULT_HIGH ((size_t)64 * 1024)

/** Largest @read_high or @write_high fut_bufferevent_stream_init() takes. */
#define FUT_BUFFEREVENT_STREAM_MAX_HIGH ((size_t)1 << 30)

/** Private state of struct fut_bufferevent_stream: not part of the API. */
struct fut__bevs {
    struct bufferevent *bev; /* NULL: released, or init failed */
    size_t rhigh, whigh;
    size_t old_rlow, old_rhigh, old_wlow, old_whigh; /* put back */
    int reof;                /* BEV_EVENT_EOF came while reading */
    int rerr;                /* sticky read error (negative errno) */
    int rtimeout;            /* a read timeout not reported yet */
    int rpaused;             /* EV_READ disabled by us at the high mark */
    int werr;                /* sticky write error (negative errno) */
    int wtimeout;            /* a write timeout not reported yet */
    int shut;                /* poll_close shut the write side */
    int shut_res;            /* its answer */
    struct fut_waker rwaker;
    uint32_t rid;
    struct fut_waker wwaker;
    uint32_t wid;
};

/**
 * struct fut_bufferevent_stream - a libevent bufferevent (a socket
 * bufferevent, one end of a bufferevent_pair_new() pair, a filter) seen
 * through the AsyncRead and AsyncWrite traits.
 * @reader: pass &s->reader to fut_read_init(), fut_copy_init(), ...
 * @writer: pass &s->writer to fut_write_init(), fut_flush_init(), ...
 * @priv: private (not part of the API). No allocation of its own.
 *
 * The wrapper borrows the bufferevent: the program still owns it and frees
 * it (bufferevent_free()), after fut_bufferevent_stream_release(). While
 * wrapped, the bufferevent's callbacks and its watermarks are the
 * wrapper's: init sets them (bufferevent_setcb() with @s as the argument,
 * bufferevent_setwatermark()), and the program must not change them until
 * release, which puts NULL callbacks and the watermarks it found back.
 *
 * Threads: libevent runs a bufferevent's callbacks on the thread that runs
 * its event_base, and the wrapper keeps its state unlocked, so every task
 * that polls @reader or @writer must run on that thread, while nothing else
 * runs the base: a runtime attached to the base (fut_event_attach()) does
 * that. A runtime on another backend, or another base, may poll it only if
 * it runs on that same thread between two iterations of the base (for
 * example fut_block_on() of an epoll runtime called from the base's own
 * thread, outside the base's callbacks); a runtime on another thread may
 * not, even with a BEV_OPT_THREADSAFE bufferevent. The wrapper names no
 * backend: it only stores and wakes the wakers of the tasks that poll it.
 *
 * Reading: poll_read takes bytes from bufferevent_get_input(). READY with
 * the bytes buffered (n > 0), with 0 once BEV_EVENT_EOF came and the bytes
 * before it were taken (for good), or with a negative errno once the bytes
 * buffered were taken (BEV_EVENT_ERROR: the socket's error, -ECONNRESET
 * for a reset, -EIO when libevent gives none; sticky. BEV_EVENT_TIMEOUT:
 * -ETIMEDOUT, reported once; libevent stopped reading, and the next
 * PENDING read starts it again. -EBADF after release). PENDING when nothing
 * is buffered: it enables EV_READ and waits for the read callback;
 * cancel-safe (nothing is consumed). The read high watermark is @read_high
 * (bufferevent_setwatermark(EV_READ, 0, @read_high)): libevent stops
 * reading the socket while the input buffer holds that much, so a peer
 * that sends faster than the task reads does not grow memory (the kernel's
 * buffers fill and TCP flow control slows the peer).
 *
 * Writing: poll_write appends to bufferevent_get_output() (a copy into
 * libevent's evbuffer, which libevent writes out) while it holds less than
 * @write_high bytes, at most up to that mark: READY with the bytes
 * accepted (> 0). PENDING once it holds @write_high or more; the write
 * callback wakes it when libevent has written it down to the write low
 * watermark, @write_high / 2 (bufferevent_setwatermark(EV_WRITE)), so a
 * slow peer does not grow memory either. PENDING accepted nothing, and
 * bytes accepted are sent even if the future is dropped: writes are
 * cancel-safe. poll_flush is READY with 0 once the output buffer is empty
 * (PENDING until then). poll_close flushes, then shuts down the write side:
 * shutdown(fd, SHUT_WR) on bufferevent_getfd() (a peer already gone,
 * ENOTCONN, counts as shut down: 0); a bufferevent without a descriptor (a
 * pair, a filter) gets bufferevent_flush(EV_WRITE, BEV_FINISHED) instead,
 * which gives a pair's partner end of file (READY 0; -EIO if libevent
 * refuses). Asked again, poll_close gives the same answer. A write error
 * (BEV_EVENT_ERROR while writing) is sticky: poll_write, poll_flush and
 * poll_close return it; a write timeout is -ETIMEDOUT once. After
 * poll_close, after a read error (the connection is gone) and after
 * release, the write side answers -EPIPE.
 *
 * Every answer is a negative errno or a count; nothing aborts. libevent
 * writes with writev(2): a program whose peer may go away must ignore
 * SIGPIPE, as any libevent program must.
 *
 * The struct must stay in place from init to release (libevent holds its
 * address); it must not be moved.
 */
struct fut_bufferevent_stream {
    struct fut_async_read reader;
    struct fut_async_write writer;
    struct fut__bevs priv;
};

/**
 * fut_bufferevent_stream_init - wrap @bev (borrowed) in @s.
 * @read_high: the read high watermark in bytes; 0 for the default.
 * @write_high: the most the output buffer holds before poll_write is
 * PENDING; 0 for the default.
 *
 * Takes over @bev's callbacks and watermarks (see the struct). Allocates
 * nothing; enables nothing until the first PENDING read. @s must not hold
 * a wrapper already (release it first): its state is overwritten. Base
 * thread only.
 * On failure @s is still safe to poll (every poll answers as after
 * release) and to release.
 *
 * Returns 0, -EINVAL (NULL @s or @bev, a mark over
 * FUT_BUFFEREVENT_STREAM_MAX_HIGH) or -EBUSY (@bev is already wrapped:
 * its read callback is the wrapper's).
 */
FUT_API int fut_bufferevent_stream_init(struct fut_bufferevent_stream *s,
                                        struct bufferevent *bev,
                                        size_t read_high, size_t write_high);

/**
 * fut_bufferevent_stream_release - let go of the bufferevent: its
 * callbacks become NULL, its watermarks are put back as init found them,
 * and a task waiting on the wrapper is woken (its next poll answers -EBADF
 * for a read, -EPIPE for a write). Nothing is discarded: bytes buffered
 * for reading stay in the input buffer, and bytes accepted for writing in
 * the output buffer, which libevent still writes out. EV_READ and EV_WRITE
 * are left enabled or disabled as they are.
 *
 * Safe on a NULL @s, on a wrapper whose init failed, and twice. Base
 * thread only. The program may free the bufferevent once it returns (not
 * before).
 */
FUT_API void fut_bufferevent_stream_release(struct fut_bufferevent_stream *s);

/**
 * fut_bufferevent_stream_buffered - bytes in the input buffer that no
 * poll_read has taken yet (at most the read high watermark, plus what the
 * program left there before init); 0 for NULL or a released wrapper. Base
 * thread only.
 */
FUT_API size_t
fut_bufferevent_stream_buffered(const struct fut_bufferevent_stream *s);

FUT__END_DECLS

#endif /* FUTURES_COMPAT_EVENT_H */
