/* SPDX-License-Identifier: MIT */
/*
 * compat/eventapi: the public evbuffer functions take the buffer's lock
 * (evbuffer_enable_locking(); a bufferevent made with BEV_OPT_THREADSAFE)
 * around the unlocked versions in buffer.c; a buffer without a lock costs
 * one test. Two-buffer operations take both locks in address order.
 */
#include "buffer-internal.h"
#include "buffer-lock.h"

size_t
evbuffer_get_length(const struct evbuffer *buf)
{
  size_t r;

  fut_evbuffer_lock1(buf);
  r = eva_nolock_get_length(buf);
  fut_evbuffer_unlock1(buf);
  return r;
}

size_t
evbuffer_get_contiguous_space(const struct evbuffer *buf)
{
  size_t r;

  fut_evbuffer_lock1(buf);
  r = eva_nolock_get_contiguous_space(buf);
  fut_evbuffer_unlock1(buf);
  return r;
}

int
evbuffer_freeze(struct evbuffer *buf, int at_front)
{
  int r;

  fut_evbuffer_lock1(buf);
  r = eva_nolock_freeze(buf, at_front);
  fut_evbuffer_unlock1(buf);
  return r;
}

int
evbuffer_unfreeze(struct evbuffer *buf, int at_front)
{
  int r;

  fut_evbuffer_lock1(buf);
  r = eva_nolock_unfreeze(buf, at_front);
  fut_evbuffer_unlock1(buf);
  return r;
}

int
evbuffer_expand(struct evbuffer *buf, size_t datlen)
{
  int r;

  fut_evbuffer_lock1(buf);
  r = eva_nolock_expand(buf, datlen);
  fut_evbuffer_unlock1(buf);
  return r;
}

int
evbuffer_add(struct evbuffer *buf, const void *data, size_t datlen)
{
  int r;

  fut_evbuffer_lock1(buf);
  r = eva_nolock_add(buf, data, datlen);
  fut_evbuffer_unlock1(buf);
  return r;
}

size_t
evbuffer_add_iovec(struct evbuffer *buffer, struct evbuffer_iovec *vec, int n_vec)
{
  size_t r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_add_iovec(buffer, vec, n_vec);
  fut_evbuffer_unlock1(buffer);
  return r;
}

int
evbuffer_add_reference(struct evbuffer *outbuf, const void *data, size_t datlen, evbuffer_ref_cleanup_cb cleanupfn, void *cleanupfn_arg)
{
  int r;

  fut_evbuffer_lock1(outbuf);
  r = eva_nolock_add_reference(outbuf, data, datlen, cleanupfn, cleanupfn_arg);
  fut_evbuffer_unlock1(outbuf);
  return r;
}

int
evbuffer_prepend(struct evbuffer *buf, const void *data, size_t size)
{
  int r;

  fut_evbuffer_lock1(buf);
  r = eva_nolock_prepend(buf, data, size);
  fut_evbuffer_unlock1(buf);
  return r;
}

int
evbuffer_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap)
{
  int r;

  fut_evbuffer_lock1(buf);
  r = eva_nolock_add_vprintf(buf, fmt, ap);
  fut_evbuffer_unlock1(buf);
  return r;
}

int
evbuffer_reserve_space(struct evbuffer *buf, ev_ssize_t size, struct evbuffer_iovec *vec, int n_vec)
{
  int r;

  fut_evbuffer_lock1(buf);
  r = eva_nolock_reserve_space(buf, size, vec, n_vec);
  fut_evbuffer_unlock1(buf);
  return r;
}

int
evbuffer_commit_space(struct evbuffer *buf, struct evbuffer_iovec *vec, int n_vecs)
{
  int r;

  fut_evbuffer_lock1(buf);
  r = eva_nolock_commit_space(buf, vec, n_vecs);
  fut_evbuffer_unlock1(buf);
  return r;
}

int
evbuffer_add_file(struct evbuffer *outbuf, int fd, ev_off_t offset, ev_off_t length)
{
  int r;

  fut_evbuffer_lock1(outbuf);
  r = eva_nolock_add_file(outbuf, fd, offset, length);
  fut_evbuffer_unlock1(outbuf);
  return r;
}

int
evbuffer_drain(struct evbuffer *buf, size_t len)
{
  int r;

  fut_evbuffer_lock1(buf);
  r = eva_nolock_drain(buf, len);
  fut_evbuffer_unlock1(buf);
  return r;
}

ev_ssize_t
evbuffer_copyout_from(struct evbuffer *buf, const struct evbuffer_ptr *pos, void *data_out, size_t datlen)
{
  ev_ssize_t r;

  fut_evbuffer_lock1(buf);
  r = eva_nolock_copyout_from(buf, pos, data_out, datlen);
  fut_evbuffer_unlock1(buf);
  return r;
}

ev_ssize_t
evbuffer_copyout(struct evbuffer *buf, void *data_out, size_t datlen)
{
  ev_ssize_t r;

  fut_evbuffer_lock1(buf);
  r = eva_nolock_copyout(buf, data_out, datlen);
  fut_evbuffer_unlock1(buf);
  return r;
}

int
evbuffer_remove(struct evbuffer *buf, void *data, size_t datlen)
{
  int r;

  fut_evbuffer_lock1(buf);
  r = eva_nolock_remove(buf, data, datlen);
  fut_evbuffer_unlock1(buf);
  return r;
}

int
evbuffer_remove_buffer(struct evbuffer *src, struct evbuffer *dst, size_t datlen)
{
  int r;

  fut_evbuffer_lock2(src, dst);
  r = eva_nolock_remove_buffer(src, dst, datlen);
  fut_evbuffer_unlock2(src, dst);
  return r;
}

int
evbuffer_add_buffer(struct evbuffer *outbuf, struct evbuffer *inbuf)
{
  int r;

  fut_evbuffer_lock2(outbuf, inbuf);
  r = eva_nolock_add_buffer(outbuf, inbuf);
  fut_evbuffer_unlock2(outbuf, inbuf);
  return r;
}

int
evbuffer_prepend_buffer(struct evbuffer *dst, struct evbuffer *src)
{
  int r;

  fut_evbuffer_lock2(dst, src);
  r = eva_nolock_prepend_buffer(dst, src);
  fut_evbuffer_unlock2(dst, src);
  return r;
}

unsigned char *
evbuffer_pullup(struct evbuffer *buf, ev_ssize_t size)
{
  unsigned char *r;

  fut_evbuffer_lock1(buf);
  r = eva_nolock_pullup(buf, size);
  fut_evbuffer_unlock1(buf);
  return r;
}

int
evbuffer_ptr_set(struct evbuffer *buffer, struct evbuffer_ptr *ptr, size_t position, enum evbuffer_ptr_how how)
{
  int r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_ptr_set(buffer, ptr, position, how);
  fut_evbuffer_unlock1(buffer);
  return r;
}

struct evbuffer_ptr
evbuffer_search_range(struct evbuffer *buffer, const char *what, size_t len, const struct evbuffer_ptr *start, const struct evbuffer_ptr *end)
{
  struct evbuffer_ptr r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_search_range(buffer, what, len, start, end);
  fut_evbuffer_unlock1(buffer);
  return r;
}

struct evbuffer_ptr
evbuffer_search(struct evbuffer *buffer, const char *what, size_t len, const struct evbuffer_ptr *start)
{
  struct evbuffer_ptr r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_search(buffer, what, len, start);
  fut_evbuffer_unlock1(buffer);
  return r;
}

struct evbuffer_ptr
evbuffer_search_eol(struct evbuffer *buffer, struct evbuffer_ptr *start, size_t *eol_len_out, enum evbuffer_eol_style eol_style)
{
  struct evbuffer_ptr r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_search_eol(buffer, start, eol_len_out, eol_style);
  fut_evbuffer_unlock1(buffer);
  return r;
}

char *
evbuffer_readln(struct evbuffer *buffer, size_t *n_read_out, enum evbuffer_eol_style eol_style)
{
  char *r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_readln(buffer, n_read_out, eol_style);
  fut_evbuffer_unlock1(buffer);
  return r;
}

int
evbuffer_peek(struct evbuffer *buffer, ev_ssize_t len, struct evbuffer_ptr *start_at, struct evbuffer_iovec *vec_out, int n_vec)
{
  int r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_peek(buffer, len, start_at, vec_out, n_vec);
  fut_evbuffer_unlock1(buffer);
  return r;
}

struct evbuffer_cb_entry *
evbuffer_add_cb(struct evbuffer *buffer, evbuffer_cb_func cb, void *cbarg)
{
  struct evbuffer_cb_entry *r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_add_cb(buffer, cb, cbarg);
  fut_evbuffer_unlock1(buffer);
  return r;
}

int
evbuffer_remove_cb_entry(struct evbuffer *buffer, struct evbuffer_cb_entry *ent)
{
  int r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_remove_cb_entry(buffer, ent);
  fut_evbuffer_unlock1(buffer);
  return r;
}

int
evbuffer_remove_cb(struct evbuffer *buffer, evbuffer_cb_func cb, void *cbarg)
{
  int r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_remove_cb(buffer, cb, cbarg);
  fut_evbuffer_unlock1(buffer);
  return r;
}

int
evbuffer_cb_set_flags(struct evbuffer *buffer, struct evbuffer_cb_entry *cb, ev_uint32_t flags)
{
  int r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_cb_set_flags(buffer, cb, flags);
  fut_evbuffer_unlock1(buffer);
  return r;
}

int
evbuffer_cb_clear_flags(struct evbuffer *buffer, struct evbuffer_cb_entry *cb, ev_uint32_t flags)
{
  int r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_cb_clear_flags(buffer, cb, flags);
  fut_evbuffer_unlock1(buffer);
  return r;
}

int
evbuffer_read(struct evbuffer *buffer, evutil_socket_t fd, int howmuch)
{
  int r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_read(buffer, fd, howmuch);
  fut_evbuffer_unlock1(buffer);
  return r;
}

int
evbuffer_write_atmost(struct evbuffer *buffer, evutil_socket_t fd, ev_ssize_t howmuch)
{
  int r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_write_atmost(buffer, fd, howmuch);
  fut_evbuffer_unlock1(buffer);
  return r;
}

int
evbuffer_write(struct evbuffer *buffer, evutil_socket_t fd)
{
  int r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_write(buffer, fd);
  fut_evbuffer_unlock1(buffer);
  return r;
}

void
evbuffer_setcb(struct evbuffer *buffer, evbuffer_cb cb, void *cbarg)
{
  fut_evbuffer_lock1(buffer);
  eva_nolock_setcb(buffer, cb, cbarg);
  fut_evbuffer_unlock1(buffer);
}

char *
evbuffer_readline(struct evbuffer *buffer)
{
  char *r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_readline(buffer);
  fut_evbuffer_unlock1(buffer);
  return r;
}

unsigned char *
evbuffer_find(struct evbuffer *buffer, const unsigned char *what, size_t len)
{
  unsigned char *r;

  fut_evbuffer_lock1(buffer);
  r = eva_nolock_find(buffer, what, len);
  fut_evbuffer_unlock1(buffer);
  return r;
}
