/* SPDX-License-Identifier: MIT */
/* compat/eventapi: the evbuffer functions without their lock (buffer.c);
 * buffer-lock.c defines the public names around them. */
#ifndef FUT_EVENTAPI_BUFFER_LOCK_H
#define FUT_EVENTAPI_BUFFER_LOCK_H

#include <event2/buffer.h>
#include <event2/buffer_compat.h>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/* Take / release the lock of one buffer, or of two (in address order;
 * one lock shared by both is taken once). NULL or no lock: nothing. */
void fut_evbuffer_lock1(const struct evbuffer *buf);
void fut_evbuffer_unlock1(const struct evbuffer *buf);
void fut_evbuffer_lock2(const struct evbuffer *a, const struct evbuffer *b);
void fut_evbuffer_unlock2(const struct evbuffer *a, const struct evbuffer *b);

size_t eva_nolock_get_length(const struct evbuffer *buf);
size_t eva_nolock_get_contiguous_space(const struct evbuffer *buf);
int eva_nolock_freeze(struct evbuffer *buf, int at_front);
int eva_nolock_unfreeze(struct evbuffer *buf, int at_front);
int eva_nolock_expand(struct evbuffer *buf, size_t datlen);
int eva_nolock_add(struct evbuffer *buf, const void *data, size_t datlen);
size_t eva_nolock_add_iovec(struct evbuffer *buffer, struct evbuffer_iovec *vec, int n_vec);
int eva_nolock_add_reference(struct evbuffer *outbuf, const void *data, size_t datlen, evbuffer_ref_cleanup_cb cleanupfn, void *cleanupfn_arg);
int eva_nolock_prepend(struct evbuffer *buf, const void *data, size_t size);
int eva_nolock_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap);
int eva_nolock_reserve_space(struct evbuffer *buf, ev_ssize_t size, struct evbuffer_iovec *vec, int n_vec);
int eva_nolock_commit_space(struct evbuffer *buf, struct evbuffer_iovec *vec, int n_vecs);
int eva_nolock_add_file(struct evbuffer *outbuf, int fd, ev_off_t offset, ev_off_t length);
int eva_nolock_drain(struct evbuffer *buf, size_t len);
ev_ssize_t eva_nolock_copyout_from(struct evbuffer *buf, const struct evbuffer_ptr *pos, void *data_out, size_t datlen);
ev_ssize_t eva_nolock_copyout(struct evbuffer *buf, void *data_out, size_t datlen);
int eva_nolock_remove(struct evbuffer *buf, void *data, size_t datlen);
int eva_nolock_remove_buffer(struct evbuffer *src, struct evbuffer *dst, size_t datlen);
int eva_nolock_add_buffer(struct evbuffer *outbuf, struct evbuffer *inbuf);
int eva_nolock_prepend_buffer(struct evbuffer *dst, struct evbuffer *src);
unsigned char * eva_nolock_pullup(struct evbuffer *buf, ev_ssize_t size);
int eva_nolock_ptr_set(struct evbuffer *buffer, struct evbuffer_ptr *ptr, size_t position, enum evbuffer_ptr_how how);
struct evbuffer_ptr eva_nolock_search_range(struct evbuffer *buffer, const char *what, size_t len, const struct evbuffer_ptr *start, const struct evbuffer_ptr *end);
struct evbuffer_ptr eva_nolock_search(struct evbuffer *buffer, const char *what, size_t len, const struct evbuffer_ptr *start);
struct evbuffer_ptr eva_nolock_search_eol(struct evbuffer *buffer, struct evbuffer_ptr *start, size_t *eol_len_out, enum evbuffer_eol_style eol_style);
char * eva_nolock_readln(struct evbuffer *buffer, size_t *n_read_out, enum evbuffer_eol_style eol_style);
int eva_nolock_peek(struct evbuffer *buffer, ev_ssize_t len, struct evbuffer_ptr *start_at, struct evbuffer_iovec *vec_out, int n_vec);
struct evbuffer_cb_entry * eva_nolock_add_cb(struct evbuffer *buffer, evbuffer_cb_func cb, void *cbarg);
int eva_nolock_remove_cb_entry(struct evbuffer *buffer, struct evbuffer_cb_entry *ent);
int eva_nolock_remove_cb(struct evbuffer *buffer, evbuffer_cb_func cb, void *cbarg);
int eva_nolock_cb_set_flags(struct evbuffer *buffer, struct evbuffer_cb_entry *cb, ev_uint32_t flags);
int eva_nolock_cb_clear_flags(struct evbuffer *buffer, struct evbuffer_cb_entry *cb, ev_uint32_t flags);
int eva_nolock_read(struct evbuffer *buffer, evutil_socket_t fd, int howmuch);
int eva_nolock_write_atmost(struct evbuffer *buffer, evutil_socket_t fd, ev_ssize_t howmuch);
int eva_nolock_write(struct evbuffer *buffer, evutil_socket_t fd);
void eva_nolock_setcb(struct evbuffer *buffer, evbuffer_cb cb, void *cbarg);
char * eva_nolock_readline(struct evbuffer *buffer);
unsigned char * eva_nolock_find(struct evbuffer *buffer, const unsigned char *what, size_t len);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
