/* SPDX-License-Identifier: MIT */
/*
 * event2/buffer.h - libevent 2.1's evbuffer API on the libfutures core
 * (libfutures-eventapi). Source compatible with libevent 2.1: the same
 * names, constants, structures and documented behaviour.
 *
 * An evbuffer is a byte queue kept as a list of chunks: adding appends to
 * the last chunk or links a new one, draining frees (or keeps one spare)
 * chunks from the front; big data is never moved to make room. A chunk
 * added with evbuffer_add_reference() points at the program's memory and
 * holds it until those bytes are drained or the buffer is freed.
 *
 * Threads: an evbuffer without a lock is used by one thread at a time;
 * after evbuffer_enable_locking() (or as the buffer of a bufferevent made
 * with BEV_OPT_THREADSAFE) every evbuffer_* call on it takes its lock, and
 * evbuffer_lock() groups several calls into one. Callbacks registered with evbuffer_add_cb() run
 * synchronously inside the call that changed the buffer, unless the buffer
 * belongs to a bufferevent made with BEV_OPT_DEFER_CALLBACKS.
 */
#ifndef EVENT2_BUFFER_H_INCLUDED_
#define EVENT2_BUFFER_H_INCLUDED_

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#include "event2/visibility.h"
#include "event2/util.h"

#ifdef __cplusplus
extern "C" {
#endif

struct evbuffer;

/* A position inside an evbuffer: pos is the offset from the start (-1: no
 * position, e.g. a search that found nothing); the rest is private. A
 * pointer stays valid only until the buffer is changed. */
struct evbuffer_ptr {
  ev_ssize_t pos;
  struct {
    void *chain;
    size_t pos_in_chain;
  } internal_;
};

/* One contiguous extent of buffer memory (same layout as struct iovec). */
struct evbuffer_iovec {
  void *iov_base;
  size_t iov_len;
};

/* How evbuffer_readln() / evbuffer_search_eol() find the end of a line. */
enum evbuffer_eol_style {
  /* Any run of '\r' and '\n' characters ends the line (all drained). */
  EVBUFFER_EOL_ANY,
  /* "\r\n" or a lone "\n" ends the line; a lone '\r' is data. */
  EVBUFFER_EOL_CRLF,
  /* Only "\r\n" ends the line. */
  EVBUFFER_EOL_CRLF_STRICT,
  /* Only "\n" ends the line. */
  EVBUFFER_EOL_LF,
  /* A NUL byte ends the line. */
  EVBUFFER_EOL_NUL
};

/* How evbuffer_ptr_set() moves a pointer. */
enum evbuffer_ptr_how {
  /* Set it to the given offset from the start. */
  EVBUFFER_PTR_SET,
  /* Move it forward by the given amount. */
  EVBUFFER_PTR_ADD
};

/* What changed, given to an evbuffer_cb_func: the length before the
 * changes, the bytes added and removed since the callback last ran. */
struct evbuffer_cb_info {
  size_t orig_size;
  size_t n_added;
  size_t n_deleted;
};

typedef void (*evbuffer_cb_func)(struct evbuffer *buffer, const struct evbuffer_cb_info *info, void *arg);
struct evbuffer_cb_entry;

/* Flag of a callback entry: the callback runs (set by evbuffer_add_cb). */
#define EVBUFFER_CB_ENABLED 1

/* Called once when the memory of evbuffer_add_reference() is no longer
 * used (its bytes drained or moved out and freed, or the buffer freed). */
typedef void (*evbuffer_ref_cleanup_cb)(const void *data, size_t datalen, void *extra);

/**
 * evbuffer_new - an empty buffer. Returns NULL when out of memory.
 */
EVENT2_EXPORT_SYMBOL struct evbuffer *evbuffer_new(void);

/**
 * evbuffer_free - free @buf, its chunks, and its callback entries; the
 * cleanup callbacks of referenced memory still held run now. NULL is
 * ignored. Must not be called on a bufferevent's own buffers.
 */
EVENT2_EXPORT_SYMBOL void evbuffer_free(struct evbuffer *buf);

/**
 * evbuffer_enable_locking - give @buf a lock that every evbuffer_* call on
 * it takes (held while its callbacks run). @lock NULL: a new recursive
 * lock the buffer owns, which needs evthread_use_pthreads() first (else
 * -1, as libevent without lock callbacks). Otherwise @lock is a
 * pthread_mutex_t the program initialised as PTHREAD_MUTEX_RECURSIVE and
 * keeps alive longer than @buf (it may be shared by several buffers).
 * Returns 0, or -1 (NULL @buf, @buf already has a lock, out of memory).
 * Call it before the buffer is shared between threads.
 */
EVENT2_EXPORT_SYMBOL int evbuffer_enable_locking(struct evbuffer *buf, void *lock);

/**
 * evbuffer_lock - take @buf's lock (recursive: evbuffer_* calls made while
 * holding it go through), so a sequence of calls is atomic for other
 * threads. A buffer without a lock (or NULL): nothing. Any thread.
 */
EVENT2_EXPORT_SYMBOL void evbuffer_lock(struct evbuffer *buf);
/** evbuffer_unlock - release what evbuffer_lock() took; same thread. */
EVENT2_EXPORT_SYMBOL void evbuffer_unlock(struct evbuffer *buf);

/**
 * evbuffer_get_length - the number of bytes stored (0 for NULL).
 */
EVENT2_EXPORT_SYMBOL size_t evbuffer_get_length(const struct evbuffer *buf);

/**
 * evbuffer_get_contiguous_space - how many bytes the first chunk holds:
 * what evbuffer_pullup() could return without copying (0 when empty).
 */
EVENT2_EXPORT_SYMBOL size_t evbuffer_get_contiguous_space(const struct evbuffer *buf);

/**
 * evbuffer_expand - make sure @datlen bytes can be added to the end with
 * one contiguous copy (may link a new chunk). Returns 0, or -1 (NULL,
 * out of memory, size overflow).
 */
EVENT2_EXPORT_SYMBOL int evbuffer_expand(struct evbuffer *buf, size_t datlen);

/**
 * evbuffer_reserve_space - reserve at least @size bytes of writable space
 * at the end, described in @vec (@n_vec entries, at least 1). Nothing is
 * added until evbuffer_commit_space(); any other change to the buffer
 * cancels the reservation. Returns the number of extents used (this
 * implementation always gives one), or -1 (NULL, @n_vec < 1, end frozen,
 * out of memory).
 */
EVENT2_EXPORT_SYMBOL int evbuffer_reserve_space(struct evbuffer *buf, ev_ssize_t size, struct evbuffer_iovec *vec, int n_vec);

/**
 * evbuffer_commit_space - add the first iov_len bytes of each extent that
 * evbuffer_reserve_space() gave (the program may shorten iov_len, not
 * move iov_base). Returns 0, or -1 when the extents are not the reserved
 * ones or are longer, or the end is frozen. @n_vecs 0 adds nothing.
 */
EVENT2_EXPORT_SYMBOL int evbuffer_commit_space(struct evbuffer *buf, struct evbuffer_iovec *vec, int n_vecs);

/**
 * evbuffer_add - copy @datlen bytes of @data to the end. Returns 0, or -1
 * (NULL buffer, NULL data with a length, end frozen, length overflow,
 * out of memory). @datlen 0 adds nothing and returns 0.
 */
EVENT2_EXPORT_SYMBOL int evbuffer_add(struct evbuffer *buf, const void *data, size_t datlen);

/**
 * evbuffer_remove - copy up to @datlen bytes from the front into @data
 * and drain them. Returns the number of bytes moved, or -1 (front frozen,
 * NULL).
 */
EVENT2_EXPORT_SYMBOL int evbuffer_remove(struct evbuffer *buf, void *data, size_t datlen);

/**
 * evbuffer_copyout - copy up to @datlen bytes from the front into @data_out
 * without draining. Returns the number copied, or -1.
 */
EVENT2_EXPORT_SYMBOL ev_ssize_t evbuffer_copyout(struct evbuffer *buf, void *data_out, size_t datlen);

/**
 * evbuffer_copyout_from - as evbuffer_copyout(), starting at @pos (NULL:
 * the front). Returns the number copied, or -1 (a position past the end).
 */
EVENT2_EXPORT_SYMBOL ev_ssize_t evbuffer_copyout_from(struct evbuffer *buf, const struct evbuffer_ptr *pos, void *data_out, size_t datlen);

/**
 * evbuffer_remove_buffer - move up to @datlen bytes from the front of @src
 * to the end of @dst: whole chunks are relinked, not copied. Returns the
 * number moved, or -1 (frozen, NULL).
 */
EVENT2_EXPORT_SYMBOL int evbuffer_remove_buffer(struct evbuffer *src, struct evbuffer *dst, size_t datlen);

/**
 * evbuffer_readln - take one line off the front: the bytes before its end
 * of line (style @eol_style), returned in a new NUL-terminated string the
 * caller frees with free(); the line and its end of line are drained.
 * *@n_read_out (when not NULL) gets the line's length without the end of
 * line, 0 when none. Returns NULL when no complete line is stored (nothing
 * is drained), the front is frozen, or out of memory.
 */
EVENT2_EXPORT_SYMBOL char *evbuffer_readln(struct evbuffer *buffer, size_t *n_read_out, enum evbuffer_eol_style eol_style);

/**
 * evbuffer_add_buffer - move every byte of @inbuf to the end of @outbuf
 * (chunks relinked). Returns 0, or -1 (NULL, same buffer, frozen).
 */
EVENT2_EXPORT_SYMBOL int evbuffer_add_buffer(struct evbuffer *outbuf, struct evbuffer *inbuf);

/**
 * evbuffer_add_iovec - copy the @n_vec extents of @vec, in order, to the
 * end (one chunk is made room for all). Returns the number of bytes
 * added: 0 when nothing could be (NULL, end frozen, out of memory, a NULL
 * base with a length).
 */
EVENT2_EXPORT_SYMBOL size_t evbuffer_add_iovec(struct evbuffer *buffer, struct evbuffer_iovec *vec, int n_vec);

/**
 * evbuffer_add_reference - append @datlen bytes of the program's memory
 * @data without copying. The memory must stay valid and unchanged until
 * @cleanupfn (when not NULL) is called with (@data, @datlen, @cleanupfn_arg):
 * exactly once, when the last of those bytes is drained, or the buffer
 * holding them is freed. @datlen 0 stores nothing and calls @cleanupfn at
 * once. Returns 0, or -1 (nothing kept, @cleanupfn not called).
 */
EVENT2_EXPORT_SYMBOL int evbuffer_add_reference(struct evbuffer *outbuf, const void *data, size_t datlen, evbuffer_ref_cleanup_cb cleanupfn, void *cleanupfn_arg);

/**
 * evbuffer_add_file - append @length bytes of file @fd from @offset (@length
 * -1: to the end of the file). This implementation reads the bytes into
 * the buffer at once (pread) and then closes @fd, as libevent closes it
 * once it no longer needs it. Returns 0, or -1 (read error, short file,
 * out of memory; @fd is then left open).
 */
EVENT2_EXPORT_SYMBOL int evbuffer_add_file(struct evbuffer *outbuf, int fd, ev_off_t offset, ev_off_t length);

/* A range of a file that evbuffers can send without copying it into each
 * buffer: made once, added (wholly or in part) to any number of buffers. */
struct evbuffer_file_segment;

/* evbuffer_file_segment_new() flags. */
/* Close the descriptor when the segment is freed and no buffer uses it. */
#define EVBUF_FS_CLOSE_ON_FREE 0x01
/* Never map the file: its bytes are read into memory when made. */
#define EVBUF_FS_DISABLE_MMAP 0x02
/* No fd-to-fd transfer (sendfile, splice): this implementation never uses
 * them, so the flag changes nothing. */
#define EVBUF_FS_DISABLE_SENDFILE 0x04
/* No lock for the segment: this implementation's segments are used by one
 * thread at a time anyway, so the flag changes nothing. */
#define EVBUF_FS_DISABLE_LOCKING 0x08

/* Called once when a segment is freed (after its memory is released and
 * its descriptor closed when EVBUF_FS_CLOSE_ON_FREE): @seg must not be
 * used, only compared; @flags are the segment's flags. */
typedef void (*evbuffer_file_segment_cleanup_cb)(struct evbuffer_file_segment const *seg, int flags, void *arg);

/**
 * evbuffer_file_segment_new - a segment of @length bytes (-1: to the end
 * of the file) of regular file @fd from @offset. The bytes are mapped
 * (mmap, read-only, private) or, with EVBUF_FS_DISABLE_MMAP or where
 * mapping fails, read into memory now; a mapped segment shows later
 * changes of the file. @fd must stay open while the segment lives (it is
 * closed at the end with EVBUF_FS_CLOSE_ON_FREE, otherwise never).
 * Returns NULL with errno set: EINVAL for a negative @fd or @offset,
 * @length below -1, a descriptor that is not a regular file, a range
 * past the end of the file; fstat's or read's error; ENOMEM.
 */
EVENT2_EXPORT_SYMBOL struct evbuffer_file_segment *evbuffer_file_segment_new(int fd, ev_off_t offset, ev_off_t length, unsigned flags);

/**
 * evbuffer_file_segment_free - drop the program's reference to @seg (NULL
 * is ignored). The segment is freed, and its cleanup callback run, when
 * no buffer holds bytes of it any more (at once if none does).
 */
EVENT2_EXPORT_SYMBOL void evbuffer_file_segment_free(struct evbuffer_file_segment *seg);

/**
 * evbuffer_file_segment_add_cleanup_cb - set the callback run once when
 * @seg is freed (replaces an earlier one; NULL @cb: none).
 */
EVENT2_EXPORT_SYMBOL void evbuffer_file_segment_add_cleanup_cb(struct evbuffer_file_segment *seg, evbuffer_file_segment_cleanup_cb cb, void *arg);

/**
 * evbuffer_add_file_segment - append @length bytes (-1: the rest) of @seg
 * starting @offset bytes into the segment (not into the file), without
 * copying: the buffer holds the segment until those bytes are drained.
 * The bytes can be read, removed and written like any others. Returns 0,
 * or -1 (NULL, end frozen, negative @offset, @length below -1, a range
 * past the segment's end).
 */
EVENT2_EXPORT_SYMBOL int evbuffer_add_file_segment(struct evbuffer *buf, struct evbuffer_file_segment *seg, ev_off_t offset, ev_off_t length);

/**
 * evbuffer_add_buffer_reference - append to @outbuf every byte of @inbuf
 * without copying and without draining @inbuf: @outbuf's new chunks point
 * at @inbuf's memory. libevent requires that @inbuf not be changed while
 * referenced; here @inbuf stays fully usable: its referenced chunks are
 * never written again (new bytes go to new chunks) and live until both
 * buffers dropped them, so @outbuf keeps the bytes as they were at this
 * call whatever evbuffer calls do to @inbuf (writing into @inbuf's memory
 * through pointers from evbuffer_pullup() or evbuffer_peek() changes both,
 * as in libevent). Bytes that are themselves references
 * to a buffer or to a file segment cannot be referenced (-1, as libevent).
 * Returns 0 (also when @inbuf is empty), or -1 (NULL, same buffer,
 * @outbuf's end frozen, out of memory: nothing changed).
 */
EVENT2_EXPORT_SYMBOL int evbuffer_add_buffer_reference(struct evbuffer *outbuf, struct evbuffer *inbuf);

/* evbuffer_set_flags() flag: the buffer is drained to a descriptor (in
 * libevent it allows sendfile for file segments; this implementation has
 * no sendfile path, so it is only recorded). */
#define EVBUFFER_FLAG_DRAINS_TO_FD 1

/**
 * evbuffer_set_flags - set @flags (EVBUFFER_FLAG_*) on @buf. Returns 0, or
 * -1 for NULL.
 */
EVENT2_EXPORT_SYMBOL int evbuffer_set_flags(struct evbuffer *buf, ev_uint64_t flags);

/**
 * evbuffer_clear_flags - clear @flags on @buf. Returns 0, or -1 for NULL.
 */
EVENT2_EXPORT_SYMBOL int evbuffer_clear_flags(struct evbuffer *buf, ev_uint64_t flags);

struct event_base;

/**
 * evbuffer_defer_callbacks - from now on @buffer's callbacks do not run
 * inside the call that changed it: the first change activates an event
 * of @base (at its middle priority) and the loop then runs each enabled
 * callback once, with all the changes made meanwhile. Calling it again
 * moves the deferral to the new @base. The thread that runs @base's loop
 * runs them. Returns 0, or -1 (NULL, out of memory).
 */
EVENT2_EXPORT_SYMBOL int evbuffer_defer_callbacks(struct evbuffer *buffer, struct event_base *base);

/**
 * evbuffer_add_printf - append printf(@fmt, ...) output (no NUL). Returns
 * the number of bytes added, or -1.
 */
EVENT2_EXPORT_SYMBOL int evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/**
 * evbuffer_add_vprintf - evbuffer_add_printf() with a va_list.
 */
EVENT2_EXPORT_SYMBOL int evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 0)))
#endif
    ;

/**
 * evbuffer_drain - remove @len bytes from the front (all when @len is
 * larger). Returns 0, or -1 (front frozen, NULL).
 */
EVENT2_EXPORT_SYMBOL int evbuffer_drain(struct evbuffer *buf, size_t len);

/**
 * evbuffer_write - write as much of @buffer as one writev(2) takes to @fd
 * and drain what was written. Returns the number of bytes written, or -1
 * with errno set (EAGAIN when the descriptor is full).
 */
EVENT2_EXPORT_SYMBOL int evbuffer_write(struct evbuffer *buffer, evutil_socket_t fd);

/**
 * evbuffer_write_atmost - evbuffer_write() of at most @howmuch bytes (-1:
 * no limit).
 */
EVENT2_EXPORT_SYMBOL int evbuffer_write_atmost(struct evbuffer *buffer, evutil_socket_t fd, ev_ssize_t howmuch);

/**
 * evbuffer_read - one read(2) of up to @howmuch bytes (-1 or more than
 * 4096: 4096, libevent's limit) from @fd, appended. Returns the number read,
 * 0 at end of file, or -1 with errno set.
 */
EVENT2_EXPORT_SYMBOL int evbuffer_read(struct evbuffer *buffer, evutil_socket_t fd, int howmuch);

/**
 * evbuffer_search - the first occurrence of @what (@len bytes) at or after
 * @start (NULL: the front). Returns a pointer with pos -1 when not found.
 */
EVENT2_EXPORT_SYMBOL struct evbuffer_ptr evbuffer_search(struct evbuffer *buffer, const char *what, size_t len, const struct evbuffer_ptr *start);

/**
 * evbuffer_search_range - as evbuffer_search(), for an occurrence that
 * ends at or before @end (NULL: the end of the buffer).
 */
EVENT2_EXPORT_SYMBOL struct evbuffer_ptr evbuffer_search_range(struct evbuffer *buffer, const char *what, size_t len, const struct evbuffer_ptr *start, const struct evbuffer_ptr *end);

/**
 * evbuffer_ptr_set - set @ptr to @position (EVBUFFER_PTR_SET) or move it
 * forward by @position (EVBUFFER_PTR_ADD). The end of the buffer is a
 * valid position. Returns 0, or -1 past the end (@ptr's pos is then -1).
 */
EVENT2_EXPORT_SYMBOL int evbuffer_ptr_set(struct evbuffer *buffer, struct evbuffer_ptr *ptr, size_t position, enum evbuffer_ptr_how how);

/**
 * evbuffer_search_eol - the first end of line (style @eol_style) at or
 * after @start (NULL: front); *@eol_len_out (when not NULL) gets its
 * length, 0 when none. Returns a pointer with pos -1 when none.
 */
EVENT2_EXPORT_SYMBOL struct evbuffer_ptr evbuffer_search_eol(struct evbuffer *buffer, struct evbuffer_ptr *start, size_t *eol_len_out, enum evbuffer_eol_style eol_style);

/**
 * evbuffer_peek - describe up to @len bytes (-1: all) from @start_at (NULL:
 * front) as extents of the buffer's own memory in @vec_out (@n_vec entries;
 * @vec_out may be NULL when @n_vec is 0). Returns how many extents the
 * whole range needs (may be more than @n_vec), or -1.
 */
EVENT2_EXPORT_SYMBOL int evbuffer_peek(struct evbuffer *buffer, ev_ssize_t len, struct evbuffer_ptr *start_at, struct evbuffer_iovec *vec_out, int n_vec);

/**
 * evbuffer_pullup - make the first @size bytes (-1: all) contiguous and
 * return them (a copy happens only when they span chunks). Returns NULL
 * for @size 0, more than is stored, an empty buffer, or out of memory.
 */
EVENT2_EXPORT_SYMBOL unsigned char *evbuffer_pullup(struct evbuffer *buf, ev_ssize_t size);

/**
 * evbuffer_prepend - copy @size bytes to the front. Returns 0, or -1
 * (front frozen, NULL, out of memory).
 */
EVENT2_EXPORT_SYMBOL int evbuffer_prepend(struct evbuffer *buf, const void *data, size_t size);

/**
 * evbuffer_prepend_buffer - move every byte of @src to the front of @dst.
 * Returns 0, or -1.
 */
EVENT2_EXPORT_SYMBOL int evbuffer_prepend_buffer(struct evbuffer *dst, struct evbuffer *src);

/**
 * evbuffer_add_cb - register @cb(@buffer, info, @cbarg), enabled, to run
 * after each change of @buffer's length. Returns the entry (freed by
 * evbuffer_remove_cb_entry() or with the buffer), or NULL.
 */
EVENT2_EXPORT_SYMBOL struct evbuffer_cb_entry *evbuffer_add_cb(struct evbuffer *buffer, evbuffer_cb_func cb, void *cbarg);

/**
 * evbuffer_remove_cb_entry - unregister and free @ent. Returns 0 or -1.
 */
EVENT2_EXPORT_SYMBOL int evbuffer_remove_cb_entry(struct evbuffer *buffer, struct evbuffer_cb_entry *ent);

/**
 * evbuffer_remove_cb - unregister the first entry with @cb and @cbarg.
 * Returns 0, or -1 when none.
 */
EVENT2_EXPORT_SYMBOL int evbuffer_remove_cb(struct evbuffer *buffer, evbuffer_cb_func cb, void *cbarg);

/**
 * evbuffer_cb_set_flags - set @flags (EVBUFFER_CB_ENABLED) on @cb.
 * Returns 0 or -1.
 */
EVENT2_EXPORT_SYMBOL int evbuffer_cb_set_flags(struct evbuffer *buffer, struct evbuffer_cb_entry *cb, ev_uint32_t flags);

/**
 * evbuffer_cb_clear_flags - clear @flags on @cb (a disabled callback does
 * not run; the changes meanwhile are still counted for the next run).
 * Returns 0 or -1.
 */
EVENT2_EXPORT_SYMBOL int evbuffer_cb_clear_flags(struct evbuffer *buffer, struct evbuffer_cb_entry *cb, ev_uint32_t flags);

/**
 * evbuffer_freeze - forbid changes at the front (@at_front nonzero:
 * drain, remove, prepend fail) or at the end (adds fail). Returns 0 or -1.
 */
EVENT2_EXPORT_SYMBOL int evbuffer_freeze(struct evbuffer *buf, int at_front);

/**
 * evbuffer_unfreeze - allow the changes evbuffer_freeze() forbade.
 * Returns 0 or -1.
 */
EVENT2_EXPORT_SYMBOL int evbuffer_unfreeze(struct evbuffer *buf, int at_front);

#ifdef __cplusplus
}
#endif

#endif /* EVENT2_BUFFER_H_INCLUDED_ */
