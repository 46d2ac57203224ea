/* SPDX-License-Identifier: MIT */
/* compat/uv: a libuv stream the program already has, as AsyncRead + AsyncWrite. */
#ifndef FUTURES_COMPAT_UV_H
#define FUTURES_COMPAT_UV_H

#include <stddef.h>

#include <uv.h>

#include <futures/io.h>

FUT__BEGIN_DECLS

/** Default read and write buffer size (a @read_cap or @write_cap of 0). */
#define FUT_UV_STREAM_DEFAULT_CAP ((size_t)64 * 1024)

/** Largest @read_cap or @write_cap fut_uv_stream_init() accepts (1 GiB). */
#define FUT_UV_STREAM_MAX_CAP ((size_t)1 << 30)

struct fut__uvs;

/**
 * struct fut_uv_stream - a uv_stream_t (TCP, pipe, TTY) the program owns,
 * seen through the AsyncRead and AsyncWrite traits.
 * @reader: pass &s->reader to fut_read_init(), fut_copy_init(), ...
 * @writer: pass &s->writer to fut_write_init(), fut_flush_init(), ...
 * @st: private (not part of the API): the adapter's own allocation.
 *
 * The wrapper borrows the handle: it never closes it and never touches
 * h->data, which stays the program's. Everything about it happens on the
 * thread that runs the handle's loop, so every task that polls the traits
 * must run there too: a runtime attached to that loop (fut_uv_attach())
 * does that. The adapter names no backend; it only stores and wakes the
 * wakers of the tasks that poll it.
 *
 * Reading: the first read that finds nothing buffered starts
 * uv_read_start(); from then on libuv reads into a ring of @read_cap bytes
 * until it is full, and uv_read_stop() is called then, so a peer that
 * sends faster than the program reads does not grow memory (the kernel's
 * buffers fill and TCP flow control slows the peer). Reading starts again
 * once a poll_read has emptied half of the ring. poll_read is READY with
 * the bytes buffered (n > 0), with 0 at end of file (for good), or with a
 * negative errno once the buffered bytes were taken (-ECONNRESET for a
 * peer reset; -EBADF once the program closed the handle or released the
 * wrapper; an error libuv reports with a code of its own, not an errno,
 * is -EIO). PENDING waits for bytes: cancel-safe (nothing is consumed).
 *
 * Writing: with nothing queued, poll_write tries uv_try_write() first
 * (no copy); what the kernel does not take at once is copied into a ring
 * of @write_cap bytes and sent with uv_write(), one request in flight at
 * a time. READY with the bytes written or copied (> 0). PENDING when the
 * ring is full; the write callback wakes it. A failed uv_write() is a
 * sticky error that the next poll_write, poll_flush or poll_close returns.
 * poll_flush is READY with 0 once nothing is queued or in flight.
 * poll_close flushes, then uv_shutdown(): READY 0 when the shutdown
 * callback came (a peer already gone, UV_ENOTCONN, counts as shut down:
 * 0; a write that could not be delivered was reported by the flush). The
 * write side answers -EPIPE after a close, once the program closed the
 * handle, or after release. Writes are cancel-safe: PENDING accepted
 * nothing; bytes accepted are sent even if the future is dropped.
 *
 * Lifetime: the program may close the handle at any time (uv_close()).
 * It must call fut_uv_stream_release() before the handle's memory is
 * freed, typically in its close callback; the release wakes any task still
 * waiting on the wrapper, which then gets -EBADF (read) or -EPIPE
 * (write). A write libuv still holds when the handle closes comes back
 * with UV_ECANCELED and is absorbed. The struct itself (not the handle)
 * must stay in place while a future refers to @reader or @writer; it must
 * not be moved after init.
 */
struct fut_uv_stream {
    struct fut_async_read reader;
    struct fut_async_write writer;
    struct fut__uvs *st;
};

/**
 * fut_uv_stream_init - wrap the handle @h (borrowed) in @s.
 * @read_cap: the read ring's size in bytes; 0 for the default.
 * @write_cap: the write ring's size in bytes; 0 for the default.
 *
 * One allocation (both rings and the libuv requests). Nothing is read
 * until the first poll_read. Loop thread only (the thread that runs
 * uv_run() on h->loop; the map from handles to wrappers is per thread).
 * @s must not already hold a wrapper (release it first). On failure @s is
 * still safe to poll (every poll answers as after release) and to
 * release.
 *
 * Returns 0, -EINVAL (NULL @s or @h, a handle that is not a TCP, pipe or
 * TTY stream, a handle being closed (uv_is_closing()), a capacity over
 * FUT_UV_STREAM_MAX_CAP), -ENOTCONN (a handle neither readable nor
 * writable, e.g. a TCP handle not connected yet), -EBUSY (@h is already
 * wrapped on this thread) or -ENOMEM.
 */
FUT_API int fut_uv_stream_init(struct fut_uv_stream *s, uv_stream_t *h,
                               size_t read_cap, size_t write_cap);

/**
 * fut_uv_stream_release - let go of the handle: reading stops
 * (uv_read_stop()), the handle stays open and the program's, and a task
 * waiting on the wrapper is woken (its next poll answers -EBADF for a
 * read, -EPIPE for a write). Bytes still buffered for reading are
 * discarded. A uv_write() or uv_shutdown() in flight is left to libuv:
 * its callback frees the adapter's memory later (so the program must
 * still run the loop, or close the handle, for it to be freed).
 *
 * Safe on a NULL @s, on a wrapper whose init failed, and twice. Loop
 * thread only. The handle's memory may be freed after it returns.
 */
FUT_API void fut_uv_stream_release(struct fut_uv_stream *s);

/**
 * fut_uv_stream_buffered - bytes read from the handle that no poll_read
 * has taken yet (never more than the read capacity); 0 for NULL or a
 * released wrapper. Loop thread only.
 */
FUT_API size_t fut_uv_stream_buffered(const struct fut_uv_stream *s);

FUT__END_DECLS

#endif /* FUTURES_COMPAT_UV_H */
