/* SPDX-License-Identifier: MIT */
/* AsyncRead / AsyncWrite traits, I/O futures, buffered reading, in-memory pipes. */
#ifndef FUTURES_IO_H
#define FUTURES_IO_H

#include <errno.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "future.h"

FUT__BEGIN_DECLS

/*
 * Convention for every poll_* function and I/O future here: *res holds a
 * byte count >= 0 (0 means end of file for a read; a write of a non-empty
 * buffer never reports 0) or a negative errno. *res is
 * never -EAGAIN or -EINTR: those are PENDING or retried inside. Buffers are
 * borrowed for the duration of the call (poll_*) or until the future is
 * READY or dropped (futures).
 */

struct fut_async_read;
struct fut_async_write;

/**
 * struct fut_async_read_vtable - what a readable object implements.
 *
 * Implementation (version 3; fields only appended, and the wrappers read
 * a field only when @version says the table has it, so tables written for
 * versions 1 and 2 keep working):
 * - @poll_read: read up to @len bytes into @buf. READY with *@res > 0 bytes
 *   read, 0 at end of file, or -errno. PENDING when no byte is available;
 *   cx->waker is registered and woken when some may be. Never called with
 *   @len == 0 or NULL arguments (the wrapper answers those).
 * - @poll_readv (may be NULL: the wrapper reads into the first non-empty
 *   iovec through @poll_read): the same, scattering into @iov.
 * - @forget_read (version 2; may be NULL): remove a waker that an earlier
 *   PENDING poll stored, if it will_wake(@w); leave any other waker alone.
 *   Futures call it from their drop function (through
 *   fut_async_read_forget()), because the waker may point into storage
 *   that is freed right after the drop (the child wakers of a join or
 *   select do). NULL is right only for objects that store no waker, or
 *   only wakers they own a reference to; an object that keeps a borrowed
 *   waker it was polled with must implement it. Cannot fail. Since it
 *   knows only the waker, it cannot tell a stale future from a newer one
 *   of the same task (equal wakers); version 3 adds the two slots below,
 *   which the wrappers prefer.
 * - @note_read (version 3; may be NULL with @forget_read_reg): called
 *   right after a PENDING poll, on the same thread, with nothing polled in
 *   between. Set @reg->id to the number of the registration that poll
 *   stored (@reg->waker is already a copy of cx->waker, @reg->id 0). Each
 *   store of a waker, even one equal to the waker already held, gets a new
 *   number (fut_reg_next() of the last), never 0. A PENDING poll that
 *   stored nothing must leave the slot empty (a coop yield: the data is
 *   there, so no waker waits); @reg->id then stays 0.
 * - @forget_read_reg (version 3; NULL if and only if @note_read is):
 *   withdraw the waker only if the registration it belongs to is the one
 *   @reg names (its number is @reg->id, which is never 0 here) and it
 *   will_wake(@reg->waker). Otherwise as @forget_read. Cannot fail.
 * A read that returned PENDING consumed nothing (reads are cancel-safe).
 */
struct fut_async_read_vtable {
    unsigned int version;
    enum fut_poll (*poll_read)(struct fut_async_read *self,
                               struct fut_context *cx, void *buf, size_t len,
                               ssize_t *res);
    enum fut_poll (*poll_readv)(struct fut_async_read *self,
                                struct fut_context *cx,
                                const struct iovec *iov, int iovcnt,
                                ssize_t *res);
    void (*forget_read)(struct fut_async_read *self,
                        const struct fut_waker *w);
    void (*note_read)(struct fut_async_read *self, struct fut_reg *reg);
    void (*forget_read_reg)(struct fut_async_read *self,
                            const struct fut_reg *reg);
};

/** struct fut_async_read - embed it in any readable object. */
struct fut_async_read {
    const struct fut_async_read_vtable *vtable;
};

/**
 * struct fut_async_write_vtable - what a writable object implements.
 *
 * Implementation (version 3; fields only appended, read only when
 * @version has them, as for struct fut_async_read_vtable):
 * - @poll_write: write up to @len bytes from @buf. READY with *@res > 0
 *   bytes accepted or -errno (-EPIPE once closed or the reader is gone).
 *   PENDING when nothing can be accepted now; cx->waker is registered.
 *   Never called with @len == 0 or NULL arguments.
 * - @poll_writev (may be NULL: the wrapper writes the first non-empty
 *   iovec through @poll_write): the same, gathering from @iov.
 * - @poll_flush (may be NULL: always READY with 0): push out anything
 *   buffered. READY with *@res = 0 or -errno.
 * - @poll_close (may be NULL: flush only): flush, then shut down the
 *   write side; the reader sees end of file. READY with *@res = 0 or -errno.
 * - @forget_write (version 2; may be NULL): remove a waker that an earlier
 *   PENDING poll_write, poll_writev, poll_flush or poll_close stored, if it
 *   will_wake(@w). Called by futures from drop; the rules of
 *   struct fut_async_read_vtable's @forget_read apply.
 * - @note_write, @forget_write_reg (version 3; both NULL or neither): the
 *   registration numbers of @note_read and @forget_read_reg, for the one
 *   write slot that poll_write, poll_writev, poll_flush and poll_close
 *   share.
 */
struct fut_async_write_vtable {
    unsigned int version;
    enum fut_poll (*poll_write)(struct fut_async_write *self,
                                struct fut_context *cx, const void *buf,
                                size_t len, ssize_t *res);
    enum fut_poll (*poll_writev)(struct fut_async_write *self,
                                 struct fut_context *cx,
                                 const struct iovec *iov, int iovcnt,
                                 ssize_t *res);
    enum fut_poll (*poll_flush)(struct fut_async_write *self,
                                struct fut_context *cx, ssize_t *res);
    enum fut_poll (*poll_close)(struct fut_async_write *self,
                                struct fut_context *cx, ssize_t *res);
    void (*forget_write)(struct fut_async_write *self,
                         const struct fut_waker *w);
    void (*note_write)(struct fut_async_write *self, struct fut_reg *reg);
    void (*forget_write_reg)(struct fut_async_write *self,
                             const struct fut_reg *reg);
};

/** struct fut_async_write - embed it in any writable object. */
struct fut_async_write {
    const struct fut_async_write_vtable *vtable;
};

/*
 * The wrappers below are the only code that calls through the vtables. Bad
 * arguments (NULL object, context or result pointer, NULL buffer with a
 * non-zero length, a negative or oversized iovcnt) are READY with
 * *res = -EINVAL; a zero-length read or write is READY with *res = 0
 * without calling the object.
 */

/** fut_async_read_poll_read - read into @buf; see the vtable. */
FUT_API enum fut_poll fut_async_read_poll_read(struct fut_async_read *r,
                                               struct fut_context *cx,
                                               void *buf, size_t len,
                                               ssize_t *res);

/** fut_async_read_poll_readv - read into @iov (at most IOV_MAX entries). */
FUT_API enum fut_poll fut_async_read_poll_readv(struct fut_async_read *r,
                                                struct fut_context *cx,
                                                const struct iovec *iov,
                                                int iovcnt, ssize_t *res);

/** fut_async_write_poll_write - write from @buf; see the vtable. */
FUT_API enum fut_poll fut_async_write_poll_write(struct fut_async_write *w,
                                                 struct fut_context *cx,
                                                 const void *buf, size_t len,
                                                 ssize_t *res);

/** fut_async_write_poll_writev - write from @iov (at most IOV_MAX entries). */
FUT_API enum fut_poll fut_async_write_poll_writev(struct fut_async_write *w,
                                                  struct fut_context *cx,
                                                  const struct iovec *iov,
                                                  int iovcnt, ssize_t *res);

/** fut_async_write_poll_flush - flush; see the vtable. */
FUT_API enum fut_poll fut_async_write_poll_flush(struct fut_async_write *w,
                                                 struct fut_context *cx,
                                                 ssize_t *res);

/** fut_async_write_poll_close - flush and shut down writing. */
FUT_API enum fut_poll fut_async_write_poll_close(struct fut_async_write *w,
                                                 struct fut_context *cx,
                                                 ssize_t *res);

/**
 * fut_async_read_forget - withdraw from @r the waker @w (borrowed, only
 * compared) that a PENDING read left there; see @forget_read.
 *
 * A future, or any code, that polls a reader directly and may be dropped
 * while pending calls this from its drop function with a copy of the
 * cx->waker of its last PENDING poll. Does nothing for NULL arguments, an
 * empty @w, or a reader whose vtable is older than version 2 or has no
 * slot. Called by the thread that polls @r.
 */
FUT_API void fut_async_read_forget(struct fut_async_read *r,
                                   const struct fut_waker *w);

/** fut_async_write_forget - the same for a writer (@forget_write). */
FUT_API void fut_async_write_forget(struct fut_async_write *w,
                                    const struct fut_waker *waker);

/**
 * fut_async_read_note - record in @reg (written) which registration the
 * PENDING read on @r just made: a plain copy of *cx->waker and the
 * number @note_read gives it (0 for a table older than version 3, or when
 * that poll stored no waker).
 *
 * Call it right after the PENDING poll (nothing polls @r in between) and
 * keep @reg for fut_async_read_forget_reg(). No allocation, no syscall.
 * NULL @r, @cx or cx->waker: @reg (if not NULL) is cleared. Called by the
 * thread that polls @r.
 */
FUT_API void fut_async_read_note(struct fut_async_read *r,
                                 const struct fut_context *cx,
                                 struct fut_reg *reg);

/**
 * fut_async_read_forget_reg - withdraw from @r the registration @reg
 * (borrowed) recorded, if it is still the one @r holds.
 *
 * A future that polls a reader directly and may be dropped while pending
 * calls this from its drop function (and when it finishes), with the
 * @reg of its last PENDING poll. A version 3 table withdraws that
 * registration only (@forget_read_reg), so a stale future of a task does
 * not take away the waker a newer future of the same task stored; an
 * older table is asked through @forget_read with @reg->waker. Does
 * nothing for NULL arguments, an empty @reg->waker, or a table without
 * the slot. Called by the thread that polls @r. Cannot fail.
 */
FUT_API void fut_async_read_forget_reg(struct fut_async_read *r,
                                       const struct fut_reg *reg);

/** fut_async_write_note - fut_async_read_note() for a writer. */
FUT_API void fut_async_write_note(struct fut_async_write *w,
                                  const struct fut_context *cx,
                                  struct fut_reg *reg);

/** fut_async_write_forget_reg - fut_async_read_forget_reg() for a writer. */
FUT_API void fut_async_write_forget_reg(struct fut_async_write *w,
                                        const struct fut_reg *reg);

/* ------------------------------------------------------------------------ */
/* I/O futures                                                              */
/* ------------------------------------------------------------------------ */

/*
 * Each I/O future below ends with private reg fields (struct fut_reg): the
 * registration its last PENDING poll left in the reader or writer. Drop
 * (and finishing) hands it to the object's forget slot, so that no waker
 * of a dropped future stays in the object, and no waker of a newer future
 * is taken away (see struct fut_async_read_vtable). Not part of the API.
 */

/**
 * struct fut_read - one read as a future.
 * @res: after READY, the byte count (0 at EOF) or -errno. Result: @res if
 * negative, else 0. Cancel-safe.
 */
struct fut_read {
    struct fut_future base;
    struct fut_async_read *reader;
    void *buf;
    size_t len;
    ssize_t res;
    struct fut_reg reg; /* private */
};

/** fut_read_init - returns 0, or -EINVAL for NULL @f, @r, or @buf with @len > 0. */
FUT_API int fut_read_init(struct fut_read *f, struct fut_async_read *r,
                          void *buf, size_t len);

/**
 * struct fut_read_exact - read exactly @len bytes.
 * @done: bytes read so far (also after an error).
 * @res: after READY, 0 when all @len bytes arrived, -ENODATA when the
 * stream ended first, or -errno. Not cancel-safe: bytes read before a drop
 * are in @buf[0..@done) but the caller cannot resume the read.
 */
struct fut_read_exact {
    struct fut_future base;
    struct fut_async_read *reader;
    unsigned char *buf;
    size_t len;
    size_t done;
    int res;
    struct fut_reg reg; /* private */
};

/** fut_read_exact_init - returns 0 or -EINVAL. */
FUT_API int fut_read_exact_init(struct fut_read_exact *f,
                                struct fut_async_read *r, void *buf,
                                size_t len);

/**
 * struct fut_write - one write as a future.
 * @res: after READY, bytes written or -errno. Cancel-safe.
 */
struct fut_write {
    struct fut_future base;
    struct fut_async_write *writer;
    const void *buf;
    size_t len;
    ssize_t res;
    struct fut_reg reg; /* private */
};

/** fut_write_init - returns 0 or -EINVAL. */
FUT_API int fut_write_init(struct fut_write *f, struct fut_async_write *w,
                           const void *buf, size_t len);

/**
 * struct fut_write_all - write all of @buf.
 * @done: bytes written so far. @res: after READY, 0 or -errno (-EPIPE if
 * the writer accepted zero bytes). Not cancel-safe (the caller learns how
 * much went out from @done).
 */
struct fut_write_all {
    struct fut_future base;
    struct fut_async_write *writer;
    const unsigned char *buf;
    size_t len;
    size_t done;
    int res;
    struct fut_reg reg; /* private */
};

/** fut_write_all_init - returns 0 or -EINVAL. */
FUT_API int fut_write_all_init(struct fut_write_all *f,
                               struct fut_async_write *w, const void *buf,
                               size_t len);

/**
 * struct fut_flush - poll_flush as a future.
 * @res: after READY, 0 or -errno.
 */
struct fut_flush {
    struct fut_future base;
    struct fut_async_write *writer;
    int res;
    struct fut_reg reg; /* private */
};

/** fut_flush_init - returns 0 or -EINVAL. */
FUT_API int fut_flush_init(struct fut_flush *f, struct fut_async_write *w);

/**
 * struct fut_shutdown - poll_close as a future: flush what is buffered,
 * then shut the write side down (a TCP stream sends FIN and can still
 * read). @res: after READY, 0 or -errno.
 */
struct fut_shutdown {
    struct fut_future base;
    struct fut_async_write *writer;
    int res;
    struct fut_reg reg; /* private */
};

/** fut_shutdown_init - returns 0 or -EINVAL. */
FUT_API int fut_shutdown_init(struct fut_shutdown *f,
                              struct fut_async_write *w);

/**
 * struct fut_copy - copy everything from a reader to a writer until EOF,
 * through a caller-given buffer, then flush.
 * @total: bytes written so far. @res: after READY, 0 or -errno.
 * Not cancel-safe: bytes read but not yet written are lost on drop.
 */
struct fut_copy {
    struct fut_future base;
    struct fut_async_read *reader;
    struct fut_async_write *writer;
    unsigned char *buf;
    size_t cap;
    size_t pos, filled;
    uint64_t total;
    int state;
    int res;
    struct fut_reg read_reg;  /* private */
    struct fut_reg write_reg; /* private */
};

/** fut_copy_init - returns 0, or -EINVAL for NULL arguments or @cap == 0. */
FUT_API int fut_copy_init(struct fut_copy *f, struct fut_async_read *r,
                          struct fut_async_write *w, void *buf, size_t cap);

/* ------------------------------------------------------------------------ */
/* Buffered reader                                                          */
/* ------------------------------------------------------------------------ */

/**
 * struct fut_bufreader - a reader with a caller-given buffer in front of
 * another reader. It is itself an AsyncRead (@reader). Fields are private.
 */
struct fut_bufreader {
    struct fut_async_read reader;
    struct fut_async_read *inner;
    unsigned char *buf;
    size_t cap, pos, filled;
};

/**
 * fut_bufreader_init - wrap @inner with @buf of @cap bytes (borrowed for
 * the bufreader's life). Returns 0, or -EINVAL for NULL or @cap == 0.
 */
FUT_API int fut_bufreader_init(struct fut_bufreader *br,
                               struct fut_async_read *inner, void *buf,
                               size_t cap);

/**
 * fut_bufreader_poll_fill_buf - make buffered bytes available.
 * READY: *@data / *@len show the buffered bytes (len 0 at EOF), *@res = 0;
 * or *@res = -errno. PENDING: nothing buffered and the inner reader is
 * pending. Consume with fut_bufreader_consume().
 */
FUT_API enum fut_poll fut_bufreader_poll_fill_buf(struct fut_bufreader *br,
                                                  struct fut_context *cx,
                                                  const void **data,
                                                  size_t *len, ssize_t *res);

/** fut_bufreader_consume - mark @n buffered bytes as used (clamped). */
FUT_API void fut_bufreader_consume(struct fut_bufreader *br, size_t n);

/** fut_bufreader_buffered - bytes in the buffer not yet consumed. */
FUT_API size_t fut_bufreader_buffered(const struct fut_bufreader *br);

/**
 * struct fut_read_until - read up to and including @delim into @out.
 * @res: after READY, bytes stored in @out (the delimiter included, if
 * found), 0 at EOF with nothing read, -EMSGSIZE if @max bytes were stored
 * without meeting @delim (those bytes stay in @out and @len says how many;
 * nothing is silently dropped), or -errno. At EOF before the delimiter,
 * the partial line is returned as a count. Not cancel-safe: bytes moved to
 * @out before a drop are consumed from the reader.
 */
struct fut_read_until {
    struct fut_future base;
    struct fut_bufreader *br;
    int delim;
    unsigned char *out;
    size_t max;
    size_t len;
    ssize_t res;
    struct fut_reg reg; /* private, as in struct fut_read */
};

/**
 * fut_read_until_init - read until @delim (a byte value 0..255), at most
 * @max bytes, into @out. Returns 0, or -EINVAL for NULL, @max == 0, or a
 * @delim outside 0..255.
 */
FUT_API int fut_read_until_init(struct fut_read_until *f,
                                struct fut_bufreader *br, int delim,
                                void *out, size_t max);

/**
 * struct fut_read_line - read one line into @out: fut_read_until with
 * '\n'. @res and @len as in struct fut_read_until (the newline is
 * included when found; 0 at EOF; -EMSGSIZE for a line longer than @max).
 * Not cancel-safe, as fut_read_until. @until is private.
 */
struct fut_read_line {
    struct fut_future base;
    ssize_t res;
    size_t len;
    struct fut_read_until until; /* private */
};

/**
 * fut_read_line_init - read a line of at most @max bytes into @out.
 * Returns 0, or -EINVAL for NULL or @max == 0.
 */
FUT_API int fut_read_line_init(struct fut_read_line *f,
                               struct fut_bufreader *br, void *out,
                               size_t max);

/* ------------------------------------------------------------------------ */
/* In-memory duplex pipe                                                    */
/* ------------------------------------------------------------------------ */

/**
 * struct fut_pipe_end - one end of an in-memory duplex pipe. What one end
 * writes, the other reads, through a bounded buffer of @capacity bytes per
 * direction. Each end is an AsyncRead (@reader) and an AsyncWrite
 * (@writer). Fields are private. Both ends belong to one thread (they
 * need no runtime: any task or a hand-driven poll may use them).
 */
struct fut_pipe_end {
    struct fut_async_read reader;
    struct fut_async_write writer;
    void *shared;
    int side;
};

/**
 * fut_pipe_new - a connected pair of ends, one allocation.
 * Returns 0, -EINVAL (NULL, @capacity 0 or over 1 GiB) or -ENOMEM.
 */
FUT_API int fut_pipe_new(struct fut_pipe_end *a, struct fut_pipe_end *b,
                         size_t capacity);

/**
 * fut_pipe_end_close - close this end: the peer's reads drain what is
 * buffered and then see EOF; the peer's writes fail with -EPIPE; any waker
 * of the peer is woken. The shared buffer is freed once both ends are
 * closed. Every later poll on the closed end is READY with -EBADF.
 * Returns 0, or -EINVAL for NULL or an end already closed.
 */
FUT_API int fut_pipe_end_close(struct fut_pipe_end *e);

FUT__END_DECLS

#endif /* FUTURES_IO_H */
