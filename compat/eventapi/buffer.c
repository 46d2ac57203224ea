/* SPDX-License-Identifier: MIT */
/*
 * compat/eventapi: libevent's evbuffer on plain memory.
 *
 * A buffer is a singly linked list of chains. A chain either owns its
 * storage (allocated right after the header; misalign bytes consumed at
 * the front, off bytes of data, free space after) or references the
 * program's memory (evbuffer_add_reference: read-only, its cleanup
 * callback runs when the chain is freed). Only the last chain may be
 * empty (a reservation). Draining frees chains from the front; one owned
 * chain of modest size is kept as a spare so that a steady read/drain or
 * add/write cycle allocates nothing.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "buffer-internal.h"
#include "event2/event.h"
#include "buffer-lock.h"
#include "internal.h"
#include "event2/buffer_compat.h"

#define CHAIN_MIN 1024u
#define CHAIN_SPARE_MAX 65536u
#define CHAIN_BIG (1u << 20)
#define READ_MAX 4096
#define WRITE_IOV 64

struct chain {
  struct chain *next;
  size_t cap;      /* bytes of storage */
  size_t misalign; /* consumed bytes at the front */
  size_t off;      /* bytes of data after misalign */
  unsigned char *mem;
  evbuffer_ref_cleanup_cb cleanup; /* reference chains */
  void *cleanup_arg;
  const void *ref_data;
  size_t ref_len;
  int is_ref;
  unsigned shared; /* evbuffer_add_buffer_reference() chains pointing here */
  int orphan;      /* dropped by its buffer while shared: freed at shared 0 */
};

/* A chain whose bytes other chains may point at: never written in place. */
#define CHAIN_PINNED(c) ((c)->is_ref || (c)->shared)

struct evbuffer_cb_entry {
  struct evbuffer_cb_entry *next;
  evbuffer_cb_func cb;
  evbuffer_cb old_cb; /* evbuffer_setcb()'s kind (cb NULL) */
  void *arg;
  ev_uint32_t flags;
};

struct evbuffer {
  struct chain *first, *last;
  size_t total;
  struct chain *spare;
  struct chain *reserved; /* the chain evbuffer_reserve_space() gave */
  int freeze_front, freeze_end;
  int owned;
  size_t n_add, n_del; /* since the callbacks last ran */
  struct evbuffer_cb_entry *cbs;
  fut_evbuffer_hook hook;
  void *hook_arg;
  ev_uint64_t flags;         /* EVBUFFER_FLAG_* */
  struct event *defer_ev;    /* evbuffer_defer_callbacks(): runs the callbacks */
  int defer_pending;         /* defer_ev is active */
  pthread_mutex_t *lock; /* evbuffer_enable_locking(); NULL: none */
  int own_lock;          /* made by evbuffer_enable_locking(buf, NULL) */
};

static void chain_unshare(const void *data, size_t len, void *arg);

/* ---- chains ---------------------------------------------------------------- */

static size_t
chain_space(const struct chain *c)
{
  return CHAIN_PINNED(c) ? 0 : c->cap - c->misalign - c->off;
}

static struct chain *
chain_new(struct evbuffer *buf, size_t need)
{
  size_t cap;
  struct chain *c;

  if (buf->spare && buf->spare->cap >= need) {
    c = buf->spare;
    buf->spare = NULL;
    c->next = NULL;
    c->misalign = c->off = 0;
    return c;
  }
  if (need >= CHAIN_BIG) {
    cap = need;
  } else {
    cap = CHAIN_MIN;
    while (cap < need)
      cap <<= 1;
  }
  if (cap > SIZE_MAX - sizeof(*c))
    return NULL;
  c = malloc(sizeof(*c) + cap);
  if (!c)
    return NULL;
  memset(c, 0, sizeof(*c));
  c->cap = cap;
  c->mem = (unsigned char *)(c + 1);
  return c;
}

static void
chain_free(struct evbuffer *buf, struct chain *c)
{
  if (buf->reserved == c)
    buf->reserved = NULL;
  if (c->shared) {
    c->orphan = 1;
    c->next = NULL;
    return;
  }
  if (c->is_ref) {
    if (c->cleanup)
      c->cleanup(c->ref_data, c->ref_len, c->cleanup_arg);
    free(c);
    return;
  }
  if (!buf->spare && c->cap <= CHAIN_SPARE_MAX) {
    c->next = NULL;
    c->misalign = c->off = 0;
    buf->spare = c;
    return;
  }
  free(c);
}

static void
link_tail(struct evbuffer *buf, struct chain *c)
{
  c->next = NULL;
  if (!buf->first) {
    buf->first = buf->last = c;
    return;
  }
  /* An empty last chain (a cancelled reservation) is dropped. */
  if (buf->last->off == 0 && !buf->last->is_ref) {
    struct chain *p = buf->first, *e = buf->last;

    if (p == e) {
      buf->first = buf->last = c;
    } else {
      while (p->next != e)
        p = p->next;
      p->next = c;
      buf->last = c;
    }
    chain_free(buf, e);
    return;
  }
  buf->last->next = c;
  buf->last = c;
}

/* ---- callbacks --------------------------------------------------------------- */

static void run_cbs(struct evbuffer *buf);

static void
changed(struct evbuffer *buf, size_t added, size_t deleted)
{
  if (!added && !deleted)
    return;
  buf->n_add += added;
  buf->n_del += deleted;
  if (buf->hook)
    buf->hook(buf, added, deleted, buf->hook_arg);
  if (!buf->cbs) {
    buf->n_add = buf->n_del = 0;
    return;
  }
  if (buf->defer_ev) {
    /* evbuffer_defer_callbacks(): the loop runs them, once for all the
     * changes made meanwhile. */
    if (!buf->defer_pending) {
      buf->defer_pending = 1;
      event_active(buf->defer_ev, EV_READ, 1);
    }
    return;
  }
  run_cbs(buf);
}

static void
run_cbs(struct evbuffer *buf)
{
  struct evbuffer_cb_entry *e, *next;
  struct evbuffer_cb_info info;

  if (!buf->n_add && !buf->n_del)
    return;
  info.orig_size = buf->total - buf->n_add + buf->n_del;
  info.n_added = buf->n_add;
  info.n_deleted = buf->n_del;
  buf->n_add = buf->n_del = 0;
  for (e = buf->cbs; e; e = next) {
    next = e->next;
    if (!(e->flags & EVBUFFER_CB_ENABLED))
      continue;
    if (e->old_cb)
      e->old_cb(buf, info.orig_size, buf->total, e->arg);
    else
      e->cb(buf, &info, e->arg);
  }
}

void
fut_evbuffer_set_hook(struct evbuffer *buf, fut_evbuffer_hook hook, void *arg)
{
  buf->hook = hook;
  buf->hook_arg = arg;
}

void
fut_evbuffer_set_owned(struct evbuffer *buf, int owned)
{
  buf->owned = owned;
}

/* ---- life ---------------------------------------------------------------------- */

struct evbuffer *
evbuffer_new(void)
{
  return calloc(1, sizeof(struct evbuffer));
}

static void
free_all(struct evbuffer *buf)
{
  struct chain *c, *next;
  struct evbuffer_cb_entry *e, *en;

  for (c = buf->first; c; c = next) {
    next = c->next;
    chain_free(buf, c);
  }
  buf->first = buf->last = NULL;
  free(buf->spare);
  if (buf->defer_ev)
    event_free(buf->defer_ev);
  for (e = buf->cbs; e; e = en) {
    en = e->next;
    free(e);
  }
  if (buf->own_lock)
    eva_rlock_free(buf->lock);
  free(buf);
}

/* ---- locking ------------------------------------------------------------------- */

int
evbuffer_enable_locking(struct evbuffer *buf, void *lock)
{
  if (!buf || buf->lock)
    return -1;
  if (lock) {
    buf->lock = lock;
    buf->own_lock = 0;
    return 0;
  }
  if (!eva_threads_on)
    return -1;
  buf->lock = eva_rlock_new();
  if (!buf->lock)
    return -1;
  buf->own_lock = 1;
  return 0;
}

void
evbuffer_lock(struct evbuffer *buf)
{
  fut_evbuffer_lock1(buf);
}

void
evbuffer_unlock(struct evbuffer *buf)
{
  fut_evbuffer_unlock1(buf);
}

void
fut_evbuffer_lock1(const struct evbuffer *buf)
{
  if (buf && buf->lock)
    (void)pthread_mutex_lock(buf->lock);
}

void
fut_evbuffer_unlock1(const struct evbuffer *buf)
{
  if (buf && buf->lock)
    (void)pthread_mutex_unlock(buf->lock);
}

void
fut_evbuffer_lock2(const struct evbuffer *a, const struct evbuffer *b)
{
  pthread_mutex_t *la = a ? a->lock : NULL, *lb = b ? b->lock : NULL;

  if (la && lb && la != lb && (uintptr_t)lb < (uintptr_t)la) {
    pthread_mutex_t *t = la;

    la = lb;
    lb = t;
  }
  if (la)
    (void)pthread_mutex_lock(la);
  if (lb && lb != la)
    (void)pthread_mutex_lock(lb);
}

void
fut_evbuffer_unlock2(const struct evbuffer *a, const struct evbuffer *b)
{
  pthread_mutex_t *la = a ? a->lock : NULL, *lb = b ? b->lock : NULL;

  if (lb && lb != la)
    (void)pthread_mutex_unlock(lb);
  if (la)
    (void)pthread_mutex_unlock(la);
}

void
evbuffer_free(struct evbuffer *buf)
{
  if (!buf || buf->owned)
    return;
  free_all(buf);
}

void
fut_evbuffer_free_owned(struct evbuffer *buf)
{
  if (buf)
    free_all(buf);
}

size_t
eva_nolock_get_length(const struct evbuffer *buf)
{
  return buf ? buf->total : 0;
}

size_t
eva_nolock_get_contiguous_space(const struct evbuffer *buf)
{
  return buf && buf->first ? buf->first->off : 0;
}

int
eva_nolock_freeze(struct evbuffer *buf, int at_front)
{
  if (!buf)
    return -1;
  if (at_front)
    buf->freeze_front = 1;
  else
    buf->freeze_end = 1;
  return 0;
}

int
eva_nolock_unfreeze(struct evbuffer *buf, int at_front)
{
  if (!buf)
    return -1;
  if (at_front)
    buf->freeze_front = 0;
  else
    buf->freeze_end = 0;
  return 0;
}

/* ---- adding -------------------------------------------------------------------- */

/* A last chain with @need bytes of contiguous free space (linked). */
static struct chain *
tail_space(struct evbuffer *buf, size_t need)
{
  struct chain *c = buf->last;

  if (c && !CHAIN_PINNED(c)) {
    if (c->off == 0)
      c->misalign = 0;
    if (chain_space(c) >= need)
      return c;
    /* Realign a small chain rather than linking another one. */
    if (c->misalign && c->cap - c->off >= need && c->off <= 2048) {
      memmove(c->mem, c->mem + c->misalign, c->off);
      c->misalign = 0;
      return c;
    }
  }
  c = chain_new(buf, need);
  if (!c)
    return NULL;
  link_tail(buf, c);
  return c;
}

int
eva_nolock_expand(struct evbuffer *buf, size_t datlen)
{
  if (!buf || datlen > (size_t)EV_SSIZE_MAX)
    return -1;
  return tail_space(buf, datlen ? datlen : 1) ? 0 : -1;
}

int
eva_nolock_add(struct evbuffer *buf, const void *data, size_t datlen)
{
  struct chain *c;
  size_t room;
  const unsigned char *p = data;

  if (!buf || buf->freeze_end)
    return -1;
  if (datlen == 0)
    return 0;
  if (!data || datlen > (size_t)EV_SSIZE_MAX - buf->total)
    return -1;
  buf->reserved = NULL;
  c = buf->last;
  if (c && !c->is_ref) {
    if (c->off == 0)
      c->misalign = 0;
    room = chain_space(c);
    if (room >= datlen) {
      memcpy(c->mem + c->misalign + c->off, p, datlen);
      c->off += datlen;
      buf->total += datlen;
      changed(buf, datlen, 0);
      return 0;
    }
  }
  /* The rest goes to a new chain; fill the old one's tail first. */
  {
    size_t want = datlen;
    struct chain *n;

    room = c && !c->is_ref ? chain_space(c) : 0;
    want -= room;
    if (c && !c->is_ref && c->cap > want / 2 && c->cap < CHAIN_BIG)
      n = chain_new(buf, want > c->cap * 2 ? want : c->cap * 2);
    else
      n = chain_new(buf, want);
    if (!n)
      return -1;
    if (room) {
      memcpy(c->mem + c->misalign + c->off, p, room);
      c->off += room;
    }
    memcpy(n->mem, p + room, want);
    n->off = want;
    link_tail(buf, n);
  }
  buf->total += datlen;
  changed(buf, datlen, 0);
  return 0;
}

size_t
eva_nolock_add_iovec(struct evbuffer *buffer, struct evbuffer_iovec *vec, int n_vec)
{
  size_t total = 0, done = 0;
  struct chain *c;
  int i;

  if (!buffer || buffer->freeze_end || n_vec < 0 || (n_vec > 0 && !vec))
    return 0;
  for (i = 0; i < n_vec; i++) {
    if (!vec[i].iov_base && vec[i].iov_len)
      return 0;
    if (vec[i].iov_len > (size_t)EV_SSIZE_MAX - buffer->total - total)
      return 0;
    total += vec[i].iov_len;
  }
  if (total == 0)
    return 0;
  c = tail_space(buffer, total);
  if (!c)
    return 0;
  for (i = 0; i < n_vec; i++) {
    if (vec[i].iov_len)
      memcpy(c->mem + c->misalign + c->off + done, vec[i].iov_base, vec[i].iov_len);
    done += vec[i].iov_len;
  }
  c->off += done;
  buffer->total += done;
  buffer->reserved = NULL;
  changed(buffer, done, 0);
  return done;
}

int
eva_nolock_add_reference(struct evbuffer *outbuf, const void *data, size_t datlen, evbuffer_ref_cleanup_cb cleanupfn, void *cleanupfn_arg)
{
  struct chain *c;

  if (!outbuf || outbuf->freeze_end || (!data && datlen))
    return -1;
  if (datlen > (size_t)EV_SSIZE_MAX - outbuf->total)
    return -1;
  if (datlen == 0) {
    if (cleanupfn)
      cleanupfn(data, 0, cleanupfn_arg);
    return 0;
  }
  c = calloc(1, sizeof(*c));
  if (!c)
    return -1;
  c->is_ref = 1;
  c->mem = (unsigned char *)(uintptr_t)data;
  c->cap = c->off = datlen;
  c->cleanup = cleanupfn;
  c->cleanup_arg = cleanupfn_arg;
  c->ref_data = data;
  c->ref_len = datlen;
  outbuf->reserved = NULL;
  link_tail(outbuf, c);
  outbuf->total += datlen;
  changed(outbuf, datlen, 0);
  return 0;
}

int
eva_nolock_prepend(struct evbuffer *buf, const void *data, size_t size)
{
  struct chain *c;

  if (!buf || buf->freeze_front)
    return -1;
  if (size == 0)
    return 0;
  if (!data || size > (size_t)EV_SSIZE_MAX - buf->total)
    return -1;
  c = buf->first;
  if (c && !CHAIN_PINNED(c) && c->off == 0) {
    /* Empty (reserved) chain: put the data at its end. */
    c->misalign = c->cap;
  }
  if (c && !CHAIN_PINNED(c) && c->misalign >= size) {
    c->misalign -= size;
    memcpy(c->mem + c->misalign, data, size);
    c->off += size;
  } else {
    c = chain_new(buf, size);
    if (!c)
      return -1;
    c->misalign = c->cap - size;
    memcpy(c->mem + c->misalign, data, size);
    c->off = size;
    c->next = buf->first;
    buf->first = c;
    if (!buf->last)
      buf->last = c;
  }
  buf->total += size;
  changed(buf, size, 0);
  return 0;
}

int
eva_nolock_add_vprintf(struct evbuffer *buf, const char *fmt, va_list ap)
{
  size_t need = 64;
  struct chain *c;
  int n;

  if (!buf || !fmt || buf->freeze_end)
    return -1;
  for (;;) {
    va_list aq;
    size_t room;

    c = tail_space(buf, need);
    if (!c)
      return -1;
    room = chain_space(c);
    va_copy(aq, ap);
    n = vsnprintf((char *)c->mem + c->misalign + c->off, room, fmt, aq);
    va_end(aq);
    if (n < 0)
      return -1;
    if ((size_t)n < room) {
      if ((size_t)n > (size_t)EV_SSIZE_MAX - buf->total)
        return -1;
      c->off += (size_t)n;
      buf->total += (size_t)n;
      buf->reserved = NULL;
      changed(buf, (size_t)n, 0);
      return n;
    }
    need = (size_t)n + 1;
  }
}

int
evbuffer_add_printf(struct evbuffer *buf, const char *fmt, ...)
{
  va_list ap;
  int r;

  va_start(ap, fmt);
  r = evbuffer_add_vprintf(buf, fmt, ap);
  va_end(ap);
  return r;
}

int
eva_nolock_reserve_space(struct evbuffer *buf, ev_ssize_t size, struct evbuffer_iovec *vec, int n_vec)
{
  struct chain *c;

  if (!buf || !vec || n_vec < 1 || size < 0 || buf->freeze_end)
    return -1;
  c = tail_space(buf, size ? (size_t)size : 1);
  if (!c)
    return -1;
  buf->reserved = c;
  vec[0].iov_base = c->mem + c->misalign + c->off;
  vec[0].iov_len = chain_space(c);
  return 1;
}

int
eva_nolock_commit_space(struct evbuffer *buf, struct evbuffer_iovec *vec, int n_vecs)
{
  struct chain *c;
  size_t n;

  if (!buf || n_vecs < 0 || buf->freeze_end)
    return -1;
  if (n_vecs == 0)
    return 0;
  c = buf->reserved;
  if (!vec || n_vecs != 1 || !c || c != buf->last ||
      vec[0].iov_base != (void *)(c->mem + c->misalign + c->off) ||
      vec[0].iov_len > chain_space(c))
    return -1;
  n = vec[0].iov_len;
  if (n > (size_t)EV_SSIZE_MAX - buf->total)
    return -1;
  c->off += n;
  buf->total += n;
  buf->reserved = NULL;
  changed(buf, n, 0);
  return 0;
}

int
eva_nolock_add_file(struct evbuffer *outbuf, int fd, ev_off_t offset, ev_off_t length)
{
  size_t left, done = 0;
  struct chain *c;
  off_t end;

  if (!outbuf || fd < 0 || offset < 0 || length < -1 || outbuf->freeze_end)
    return -1;
  if (length == -1) {
    end = lseek(fd, 0, SEEK_END);
    if (end < 0 || end < offset)
      return -1;
    length = end - offset;
  }
  if ((uint64_t)length > (uint64_t)EV_SSIZE_MAX - outbuf->total)
    return -1;
  left = (size_t)length;
  if (left == 0) {
    close(fd);
    return 0;
  }
  /* Read into chains linked only when everything arrived. */
  {
    struct chain *head = NULL, **tailp = &head, *n;

    while (done < left) {
      size_t want = left - done;
      ssize_t r;

      c = chain_new(outbuf, want > CHAIN_BIG ? CHAIN_BIG : want);
      if (!c)
        goto fail;
      *tailp = c;
      tailp = &c->next;
      while (c->off < c->cap && done < left) {
        size_t chunk = c->cap - c->off;

        if (chunk > left - done)
          chunk = left - done;
        r = pread(fd, c->mem + c->off, chunk, offset + (off_t)done);
        if (r < 0 && errno == EINTR)
          continue;
        if (r <= 0)
          goto fail;
        c->off += (size_t)r;
        done += (size_t)r;
      }
      continue;
    fail:
      for (c = head; c; c = n) {
        n = c->next;
        free(c);
      }
      return -1;
    }
    outbuf->reserved = NULL;
    for (c = head; c; c = n) {
      n = c->next;
      link_tail(outbuf, c);
    }
  }
  outbuf->total += left;
  close(fd);
  changed(outbuf, left, 0);
  return 0;
}

/* ---- removing ------------------------------------------------------------------ */

/* Drop @len (<= total) bytes from the front; no callbacks. */
static void
drain_raw(struct evbuffer *buf, size_t len)
{
  struct chain *c;

  buf->total -= len;
  while (len && (c = buf->first) != NULL) {
    if (c->off > len) {
      c->misalign += len;
      c->off -= len;
      return;
    }
    len -= c->off;
    buf->first = c->next;
    if (!buf->first)
      buf->last = NULL;
    chain_free(buf, c);
  }
  /* Leading empty chains (nothing else may be left empty). */
  while ((c = buf->first) != NULL && c->off == 0 && c->next) {
    buf->first = c->next;
    chain_free(buf, c);
  }
}

int
eva_nolock_drain(struct evbuffer *buf, size_t len)
{
  if (!buf || buf->freeze_front)
    return -1;
  if (len > buf->total)
    len = buf->total;
  if (!len)
    return 0;
  drain_raw(buf, len);
  changed(buf, 0, len);
  return 0;
}

/* Locate byte @pos (< total, or == total: end -> NULL chain). */
static struct chain *
locate(const struct evbuffer *buf, size_t pos, size_t *in_chain)
{
  struct chain *c;

  for (c = buf->first; c; c = c->next) {
    if (pos < c->off) {
      *in_chain = pos;
      return c;
    }
    pos -= c->off;
  }
  *in_chain = 0;
  return NULL;
}

/* Position from a program's pointer: its chain when set, else by offset. */
static int
from_ptr(const struct evbuffer *buf, const struct evbuffer_ptr *p, struct chain **c, size_t *in, size_t *pos)
{
  if (!p) {
    *pos = 0;
    *c = locate(buf, 0, in);
    return 0;
  }
  if (p->pos < 0 || (size_t)p->pos > buf->total)
    return -1;
  *pos = (size_t)p->pos;
  *c = locate(buf, *pos, in);
  return 0;
}

static size_t
copy_from(struct chain *c, size_t in, void *out, size_t len)
{
  unsigned char *d = out;
  size_t done = 0;

  for (; c && done < len; c = c->next, in = 0) {
    size_t n = c->off - in;

    if (n > len - done)
      n = len - done;
    memcpy(d + done, c->mem + c->misalign + in, n);
    done += n;
  }
  return done;
}

ev_ssize_t
eva_nolock_copyout_from(struct evbuffer *buf, const struct evbuffer_ptr *pos, void *data_out, size_t datlen)
{
  struct chain *c;
  size_t in, at;

  if (!buf || from_ptr(buf, pos, &c, &in, &at) < 0)
    return -1;
  if (datlen > buf->total - at)
    datlen = buf->total - at;
  if (datlen == 0)
    return 0;
  if (!data_out)
    return -1;
  if (datlen > (size_t)EV_SSIZE_MAX)
    datlen = (size_t)EV_SSIZE_MAX;
  return (ev_ssize_t)copy_from(c, in, data_out, datlen);
}

ev_ssize_t
eva_nolock_copyout(struct evbuffer *buf, void *data_out, size_t datlen)
{
  return evbuffer_copyout_from(buf, NULL, data_out, datlen);
}

int
eva_nolock_remove(struct evbuffer *buf, void *data, size_t datlen)
{
  ev_ssize_t n;

  if (!buf || buf->freeze_front)
    return -1;
  if (datlen > INT_MAX)
    datlen = INT_MAX;
  n = evbuffer_copyout(buf, data, datlen);
  if (n > 0) {
    drain_raw(buf, (size_t)n);
    changed(buf, 0, (size_t)n);
  }
  return (int)n;
}

int
eva_nolock_remove_buffer(struct evbuffer *src, struct evbuffer *dst, size_t datlen)
{
  size_t moved = 0;

  if (!src || !dst || src->freeze_front || dst->freeze_end)
    return -1;
  if (src == dst)
    return -1;
  if (datlen > src->total)
    datlen = src->total;
  if (datlen > INT_MAX)
    datlen = INT_MAX;
  if (datlen > (size_t)EV_SSIZE_MAX - dst->total)
    return -1;
  if (!datlen)
    return 0;
  src->reserved = dst->reserved = NULL;
  /* Whole chains are relinked. */
  while (src->first && src->first->off <= datlen - moved && src->first->off) {
    struct chain *c = src->first;

    src->first = c->next;
    if (!src->first)
      src->last = NULL;
    moved += c->off;
    link_tail(dst, c);
  }
  if (moved < datlen) {
    /* The rest is part of the next chain: copied. */
    struct chain *c = src->first;
    size_t n = datlen - moved;
    struct chain *t = tail_space(dst, n);

    if (!t) {
      if (!moved)
        return -1;
    } else {
      memcpy(t->mem + t->misalign + t->off, c->mem + c->misalign, n);
      t->off += n;
      c->misalign += n;
      c->off -= n;
      moved += n;
    }
  }
  src->total -= moved;
  dst->total += moved;
  while (src->first && src->first->off == 0 && src->first->next) {
    struct chain *c = src->first;

    src->first = c->next;
    chain_free(src, c);
  }
  changed(src, 0, moved);
  changed(dst, moved, 0);
  return (int)moved;
}

int
eva_nolock_add_buffer(struct evbuffer *outbuf, struct evbuffer *inbuf)
{
  size_t n;
  struct chain *c, *next;

  if (!outbuf || !inbuf || outbuf == inbuf || outbuf->freeze_end || inbuf->freeze_front)
    return -1;
  n = inbuf->total;
  if (!n)
    return 0;
  if (n > (size_t)EV_SSIZE_MAX - outbuf->total)
    return -1;
  outbuf->reserved = inbuf->reserved = NULL;
  for (c = inbuf->first; c; c = next) {
    next = c->next;
    if (c->off == 0) {
      chain_free(inbuf, c);
      continue;
    }
    link_tail(outbuf, c);
  }
  inbuf->first = inbuf->last = NULL;
  inbuf->total = 0;
  outbuf->total += n;
  changed(inbuf, 0, n);
  changed(outbuf, n, 0);
  return 0;
}

int
eva_nolock_prepend_buffer(struct evbuffer *dst, struct evbuffer *src)
{
  size_t n;
  struct chain *c, *next, *head = NULL, *tail = NULL;

  if (!dst || !src || dst == src || dst->freeze_front || src->freeze_front)
    return -1;
  n = src->total;
  if (!n)
    return 0;
  if (n > (size_t)EV_SSIZE_MAX - dst->total)
    return -1;
  dst->reserved = src->reserved = NULL;
  for (c = src->first; c; c = next) {
    next = c->next;
    if (c->off == 0) {
      chain_free(src, c);
      continue;
    }
    c->next = NULL;
    if (tail)
      tail->next = c;
    else
      head = c;
    tail = c;
  }
  src->first = src->last = NULL;
  src->total = 0;
  /* An empty chain at the front of dst (its only one) is dropped. */
  if (dst->first && dst->first->off == 0) {
    c = dst->first;
    dst->first = dst->last = NULL;
    chain_free(dst, c);
  }
  tail->next = dst->first;
  dst->first = head;
  if (!dst->last)
    dst->last = tail;
  dst->total += n;
  changed(src, 0, n);
  changed(dst, n, 0);
  return 0;
}

unsigned char *
eva_nolock_pullup(struct evbuffer *buf, ev_ssize_t size)
{
  struct chain *c, *n;
  size_t want, got;

  if (!buf)
    return NULL;
  if (size < 0)
    size = (ev_ssize_t)buf->total;
  want = (size_t)size;
  if (want == 0 || want > buf->total)
    return NULL;
  c = buf->first;
  if (c->off >= want)
    return c->mem + c->misalign;
  /* Copy the first @want bytes into one chain that replaces those chains. */
  n = chain_new(buf, want);
  if (!n)
    return NULL;
  got = copy_from(c, 0, n->mem, want);
  n->off = got;
  while (want) {
    c = buf->first;
    if (c->off <= want) {
      want -= c->off;
      buf->first = c->next;
      if (buf->last == c)
        buf->last = NULL;
      chain_free(buf, c);
    } else {
      c->misalign += want;
      c->off -= want;
      want = 0;
    }
  }
  n->next = buf->first;
  buf->first = n;
  if (!buf->last)
    buf->last = n;
  buf->reserved = NULL;
  return n->mem;
}

/* ---- positions and searching ------------------------------------------------- */

static void
set_ptr(struct evbuffer_ptr *p, ev_ssize_t pos, struct chain *c, size_t in)
{
  p->pos = pos;
  p->internal_.chain = c;
  p->internal_.pos_in_chain = in;
}

int
eva_nolock_ptr_set(struct evbuffer *buffer, struct evbuffer_ptr *ptr, size_t position, enum evbuffer_ptr_how how)
{
  size_t target, in;
  struct chain *c;

  if (!buffer || !ptr)
    return -1;
  if (how == EVBUFFER_PTR_SET) {
    target = position;
  } else if (how == EVBUFFER_PTR_ADD) {
    if (ptr->pos < 0 || position > (size_t)EV_SSIZE_MAX - (size_t)ptr->pos) {
      set_ptr(ptr, -1, NULL, 0);
      return -1;
    }
    target = (size_t)ptr->pos + position;
  } else {
    return -1;
  }
  if (target > buffer->total) {
    set_ptr(ptr, -1, NULL, 0);
    return -1;
  }
  c = locate(buffer, target, &in);
  set_ptr(ptr, (ev_ssize_t)target, c, in);
  return 0;
}

/* Does @what match the buffer from (@c, @in)? */
static int
match_at(struct chain *c, size_t in, const char *what, size_t len)
{
  while (len && c) {
    size_t n = c->off - in;

    if (n > len)
      n = len;
    if (memcmp(c->mem + c->misalign + in, what, n))
      return 0;
    what += n;
    len -= n;
    c = c->next;
    in = 0;
  }
  return len == 0;
}

struct evbuffer_ptr
eva_nolock_search_range(struct evbuffer *buffer, const char *what, size_t len, const struct evbuffer_ptr *start, const struct evbuffer_ptr *end)
{
  struct evbuffer_ptr r;
  struct chain *c;
  size_t in, pos, limit;

  set_ptr(&r, -1, NULL, 0);
  if (!buffer || (!what && len) || from_ptr(buffer, start, &c, &in, &pos) < 0)
    return r;
  limit = buffer->total;
  if (end) {
    if (end->pos < 0)
      return r;
    if ((size_t)end->pos < limit)
      limit = (size_t)end->pos;
  }
  if (len == 0) {
    if (pos <= limit)
      set_ptr(&r, (ev_ssize_t)pos, c, in);
    return r;
  }
  while (c && pos + len <= limit) {
    const unsigned char *base = c->mem + c->misalign;
    const unsigned char *hit = memchr(base + in, (unsigned char)what[0], c->off - in);

    if (!hit) {
      pos += c->off - in;
      c = c->next;
      in = 0;
      continue;
    }
    pos += (size_t)(hit - (base + in));
    in = (size_t)(hit - base);
    if (pos + len > limit)
      break;
    if (match_at(c, in, what, len)) {
      set_ptr(&r, (ev_ssize_t)pos, c, in);
      return r;
    }
    pos++;
    if (++in == c->off) {
      c = c->next;
      in = 0;
    }
  }
  return r;
}

struct evbuffer_ptr
eva_nolock_search(struct evbuffer *buffer, const char *what, size_t len, const struct evbuffer_ptr *start)
{
  return evbuffer_search_range(buffer, what, len, start, NULL);
}

/* The byte at (@c, @in) and the position after it. */
static int
byte_at(struct chain **c, size_t *in, unsigned char *out)
{
  while (*c && *in >= (*c)->off) {
    *c = (*c)->next;
    *in = 0;
  }
  if (!*c)
    return 0;
  *out = (*c)->mem[(*c)->misalign + *in];
  return 1;
}

struct evbuffer_ptr
eva_nolock_search_eol(struct evbuffer *buffer, struct evbuffer_ptr *start, size_t *eol_len_out, enum evbuffer_eol_style eol_style)
{
  struct evbuffer_ptr r;
  struct chain *c, *hc = NULL;
  size_t in, pos, hin = 0, extra = 0;
  unsigned char ch, prev = 0;
  int found = 0;

  set_ptr(&r, -1, NULL, 0);
  if (eol_len_out)
    *eol_len_out = 0;
  if (!buffer || from_ptr(buffer, start, &c, &in, &pos) < 0)
    return r;
  if (eol_style > EVBUFFER_EOL_NUL)
    return r;
  if (eol_style != EVBUFFER_EOL_ANY) {
    /* One memchr per chunk for the '\n' (or NUL); the byte before it,
     * possibly the last of the previous chunk, says whether a '\r' goes
     * with it. */
    unsigned char target = eol_style == EVBUFFER_EOL_NUL ? '\0' : '\n';
    struct chain *pc = NULL;
    size_t pin = 0;
    int have_prev = 0;

    for (; c; c = c->next, in = 0) {
      const unsigned char *base = c->mem + c->misalign;

      while (in < c->off) {
        const unsigned char *hit = memchr(base + in, target, c->off - in);
        size_t idx;
        int prev_cr;

        if (!hit) {
          pos += c->off - in;
          pc = c;
          pin = c->off - 1;
          have_prev = 1;
          prev = base[pin];
          in = c->off;
          break;
        }
        idx = (size_t)(hit - base);
        pos += idx - in;
        if (idx > in) {
          pc = c;
          pin = idx - 1;
          have_prev = 1;
          prev = base[pin];
        }
        prev_cr = have_prev && prev == '\r';
        if (eol_style == EVBUFFER_EOL_LF || eol_style == EVBUFFER_EOL_NUL ||
            (eol_style == EVBUFFER_EOL_CRLF && !prev_cr)) {
          set_ptr(&r, (ev_ssize_t)pos, c, idx);
          extra = 1;
          found = 1;
        } else if (prev_cr) {
          set_ptr(&r, (ev_ssize_t)(pos - 1), pc, pin);
          extra = 2;
          found = 1;
        }
        if (found) {
          if (eol_len_out)
            *eol_len_out = extra;
          return r;
        }
        /* CRLF_STRICT: a lone '\n'; look on. */
        pc = c;
        pin = idx;
        have_prev = 1;
        prev = '\n';
        pos++;
        in = idx + 1;
      }
    }
    return r;
  }
  {
    struct chain *pc = NULL;
    size_t pin = 0;

    for (; byte_at(&c, &in, &ch); pos++, prev = ch, pc = c, pin = in, in++) {
      switch (eol_style) {
      case EVBUFFER_EOL_ANY:
        if (ch == '\r' || ch == '\n') {
          struct chain *k = c;
          size_t kin = in;
          unsigned char x;

          hc = c;
          hin = in;
          extra = 0;
          while (byte_at(&k, &kin, &x) && (x == '\r' || x == '\n')) {
            extra++;
            kin++;
          }
          found = 1;
        }
        break;
      case EVBUFFER_EOL_CRLF:
        if (ch == '\n') {
          if (prev == '\r' && pc && pos > (start ? (size_t)start->pos : 0)) {
            hc = pc;
            hin = pin;
            pos--;
            extra = 2;
          } else {
            hc = c;
            hin = in;
            extra = 1;
          }
          found = 1;
        }
        break;
      case EVBUFFER_EOL_CRLF_STRICT:
        if (ch == '\n' && prev == '\r' && pc && pos > (start ? (size_t)start->pos : 0)) {
          hc = pc;
          hin = pin;
          pos--;
          extra = 2;
          found = 1;
        }
        break;
      case EVBUFFER_EOL_LF:
        if (ch == '\n') {
          hc = c;
          hin = in;
          extra = 1;
          found = 1;
        }
        break;
      case EVBUFFER_EOL_NUL:
        if (ch == '\0') {
          hc = c;
          hin = in;
          extra = 1;
          found = 1;
        }
        break;
      }
      if (found)
        break;
    }
  }
  if (!found)
    return r;
  set_ptr(&r, (ev_ssize_t)pos, hc, hin);
  if (eol_len_out)
    *eol_len_out = extra;
  return r;
}

char *
eva_nolock_readln(struct evbuffer *buffer, size_t *n_read_out, enum evbuffer_eol_style eol_style)
{
  struct evbuffer_ptr it;
  size_t extra = 0, n;
  char *line;

  if (n_read_out)
    *n_read_out = 0;
  if (!buffer || buffer->freeze_front)
    return NULL;
  it = evbuffer_search_eol(buffer, NULL, &extra, eol_style);
  if (it.pos < 0)
    return NULL;
  n = (size_t)it.pos;
  line = malloc(n + 1);
  if (!line)
    return NULL;
  copy_from(buffer->first, 0, line, n);
  line[n] = '\0';
  drain_raw(buffer, n + extra);
  changed(buffer, 0, n + extra);
  if (n_read_out)
    *n_read_out = n;
  return line;
}

int
eva_nolock_peek(struct evbuffer *buffer, ev_ssize_t len, struct evbuffer_ptr *start_at, struct evbuffer_iovec *vec_out, int n_vec)
{
  struct chain *c;
  size_t in, pos, left;
  int idx = 0;

  if (!buffer || n_vec < 0 || (n_vec > 0 && !vec_out))
    return -1;
  if (from_ptr(buffer, start_at, &c, &in, &pos) < 0)
    return -1;
  left = buffer->total - pos;
  if (len >= 0 && (size_t)len < left)
    left = (size_t)len;
  for (; c && left; c = c->next, in = 0) {
    size_t n = c->off - in;

    if (!n)
      continue;
    if (n > left)
      n = left;
    if (idx < n_vec) {
      vec_out[idx].iov_base = c->mem + c->misalign + in;
      vec_out[idx].iov_len = n;
    }
    idx++;
    left -= n;
  }
  return idx;
}

/* ---- callback entries ------------------------------------------------------------ */

struct evbuffer_cb_entry *
eva_nolock_add_cb(struct evbuffer *buffer, evbuffer_cb_func cb, void *cbarg)
{
  struct evbuffer_cb_entry *e;

  if (!buffer || !cb)
    return NULL;
  e = calloc(1, sizeof(*e));
  if (!e)
    return NULL;
  e->cb = cb;
  e->arg = cbarg;
  e->flags = EVBUFFER_CB_ENABLED;
  /* The newest entry runs first, as libevent does. */
  e->next = buffer->cbs;
  buffer->cbs = e;
  return e;
}

int
eva_nolock_remove_cb_entry(struct evbuffer *buffer, struct evbuffer_cb_entry *ent)
{
  struct evbuffer_cb_entry **pp;

  if (!buffer || !ent)
    return -1;
  for (pp = &buffer->cbs; *pp; pp = &(*pp)->next) {
    if (*pp == ent) {
      *pp = ent->next;
      free(ent);
      return 0;
    }
  }
  return -1;
}

int
eva_nolock_remove_cb(struct evbuffer *buffer, evbuffer_cb_func cb, void *cbarg)
{
  struct evbuffer_cb_entry *e;

  if (!buffer)
    return -1;
  for (e = buffer->cbs; e; e = e->next)
    if (e->cb == cb && e->arg == cbarg)
      return evbuffer_remove_cb_entry(buffer, e);
  return -1;
}

static int
has_entry(struct evbuffer *buffer, struct evbuffer_cb_entry *cb)
{
  struct evbuffer_cb_entry *e;

  for (e = buffer->cbs; e; e = e->next)
    if (e == cb)
      return 1;
  return 0;
}

int
eva_nolock_cb_set_flags(struct evbuffer *buffer, struct evbuffer_cb_entry *cb, ev_uint32_t flags)
{
  if (!buffer || !cb || !has_entry(buffer, cb))
    return -1;
  cb->flags |= flags & EVBUFFER_CB_ENABLED;
  return 0;
}

int
eva_nolock_cb_clear_flags(struct evbuffer *buffer, struct evbuffer_cb_entry *cb, ev_uint32_t flags)
{
  if (!buffer || !cb || !has_entry(buffer, cb))
    return -1;
  cb->flags &= ~(flags & EVBUFFER_CB_ENABLED);
  return 0;
}

/* ---- descriptors ------------------------------------------------------------------ */

static int read_into(struct evbuffer *buffer, int fd, int howmuch);

int
eva_nolock_read(struct evbuffer *buffer, evutil_socket_t fd, int howmuch)
{
  if (!buffer || buffer->freeze_end)
    return -1;
  if (howmuch < 0 || howmuch > READ_MAX)
    howmuch = READ_MAX;
  return read_into(buffer, fd, howmuch);
}

int
fut_evbuffer_read_max(struct evbuffer *buffer, int fd, int howmuch)
{
  return read_into(buffer, fd, howmuch);
}

static int
read_into(struct evbuffer *buffer, int fd, int howmuch)
{
  struct chain *c;
  struct iovec iov[2];
  struct chain *extra = NULL;
  ssize_t n;
  size_t room;
  int niov = 1;

  if (howmuch <= 0)
    return 0;
  if ((size_t)howmuch > (size_t)EV_SSIZE_MAX - buffer->total)
    return -1;
  /* Into the last chain's free space, and a new chain when that is short. */
  c = buffer->last;
  if (c && !c->is_ref && c->off == 0)
    c->misalign = 0;
  if (!c || c->is_ref || chain_space(c) == 0) {
    c = tail_space(buffer, (size_t)howmuch);
    if (!c)
      return -1;
  }
  room = chain_space(c);
  iov[0].iov_base = c->mem + c->misalign + c->off;
  iov[0].iov_len = room < (size_t)howmuch ? room : (size_t)howmuch;
  if (iov[0].iov_len < (size_t)howmuch) {
    extra = chain_new(buffer, (size_t)howmuch - iov[0].iov_len);
    if (!extra)
      return -1;
    iov[1].iov_base = extra->mem;
    iov[1].iov_len = (size_t)howmuch - iov[0].iov_len;
    niov = 2;
  }
  do
    n = readv(fd, iov, niov);
  while (n < 0 && errno == EINTR);
  if (n <= 0) {
    if (extra) {
      int e = errno;

      chain_free(buffer, extra);
      errno = e;
    }
    return n < 0 ? -1 : 0;
  }
  buffer->reserved = NULL;
  if ((size_t)n <= iov[0].iov_len) {
    c->off += (size_t)n;
    if (extra)
      chain_free(buffer, extra);
  } else {
    c->off += iov[0].iov_len;
    extra->off = (size_t)n - iov[0].iov_len;
    link_tail(buffer, extra);
  }
  buffer->total += (size_t)n;
  changed(buffer, (size_t)n, 0);
  return (int)n;
}

int
eva_nolock_write_atmost(struct evbuffer *buffer, evutil_socket_t fd, ev_ssize_t howmuch)
{
  struct iovec iov[WRITE_IOV];
  struct chain *c;
  size_t left;
  ssize_t n;
  int i = 0;

  if (!buffer || buffer->freeze_front)
    return -1;
  if (howmuch < 0 || (size_t)howmuch > buffer->total)
    howmuch = (ev_ssize_t)buffer->total;
  if (howmuch > INT_MAX)
    howmuch = INT_MAX;
  if (howmuch == 0)
    return 0;
  left = (size_t)howmuch;
  for (c = buffer->first; c && left && i < WRITE_IOV; c = c->next) {
    size_t len = c->off < left ? c->off : left;

    if (!len)
      continue;
    iov[i].iov_base = c->mem + c->misalign;
    iov[i].iov_len = len;
    left -= len;
    i++;
  }
  do
    n = writev(fd, iov, i);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -1;
  if (n > 0) {
    drain_raw(buffer, (size_t)n);
    changed(buffer, 0, (size_t)n);
  }
  return (int)n;
}

int
eva_nolock_write(struct evbuffer *buffer, evutil_socket_t fd)
{
  return evbuffer_write_atmost(buffer, fd, -1);
}

/* ---- libevent 1.4 names ------------------------------------------------------------ */

void
eva_nolock_setcb(struct evbuffer *buffer, evbuffer_cb cb, void *cbarg)
{
  struct evbuffer_cb_entry *e, *next;

  if (!buffer)
    return;
  for (e = buffer->cbs; e; e = next) {
    next = e->next;
    free(e);
  }
  buffer->cbs = NULL;
  if (!cb)
    return;
  e = calloc(1, sizeof(*e));
  if (!e)
    return;
  e->old_cb = cb;
  e->arg = cbarg;
  e->flags = EVBUFFER_CB_ENABLED;
  buffer->cbs = e;
}

char *
eva_nolock_readline(struct evbuffer *buffer)
{
  return evbuffer_readln(buffer, NULL, EVBUFFER_EOL_ANY);
}

unsigned char *
eva_nolock_find(struct evbuffer *buffer, const unsigned char *what, size_t len)
{
  struct evbuffer_ptr p;
  unsigned char *data;

  if (!buffer || !what || len == 0)
    return NULL;
  p = evbuffer_search(buffer, (const char *)what, len, NULL);
  if (p.pos < 0)
    return NULL;
  data = evbuffer_pullup(buffer, p.pos + (ev_ssize_t)len);
  return data ? data + p.pos : NULL;
}

/* ---- references to another buffer's bytes ------------------------------------- */

/* Cleanup of a chain made by evbuffer_add_buffer_reference(): @arg is the
 * source chain; the last reference frees it once its buffer dropped it. */
static void
chain_unshare(const void *data, size_t len, void *arg)
{
  struct chain *src = arg;

  (void)data;
  (void)len;
  if (--src->shared || !src->orphan)
    return;
  if (src->is_ref && src->cleanup)
    src->cleanup(src->ref_data, src->ref_len, src->cleanup_arg);
  free(src);
}

static void seg_chain_unref(const void *data, size_t len, void *arg);

static int
evbuffer_add_buffer_reference_nolock(struct evbuffer *outbuf, struct evbuffer *inbuf)
{
  struct chain *c, *head = NULL, **tailp = &head, *n;
  size_t total;

  if (!outbuf || !inbuf)
    return -1;
  total = inbuf->total;
  if (total == 0)
    return 0;
  if (outbuf == inbuf || outbuf->freeze_end || total > (size_t)EV_SSIZE_MAX - outbuf->total)
    return -1;
  /* As libevent: bytes that are themselves references to another buffer or
   * to a file segment cannot be referenced again. */
  for (c = inbuf->first; c; c = c->next)
    if (c->is_ref && (c->cleanup == chain_unshare || c->cleanup == seg_chain_unref))
      return -1;
  /* Make every chain first, so that a failure changes nothing. */
  for (c = inbuf->first; c; c = c->next) {
    if (c->off == 0)
      continue;
    n = calloc(1, sizeof(*n));
    if (!n) {
      for (c = head; c; c = n) {
        n = c->next;
        free(c);
      }
      return -1;
    }
    n->is_ref = 1;
    n->mem = c->mem + c->misalign;
    n->cap = n->off = c->off;
    n->ref_data = n->mem;
    n->ref_len = n->off;
    n->cleanup = chain_unshare;
    n->cleanup_arg = c;
    *tailp = n;
    tailp = &n->next;
  }
  outbuf->reserved = NULL;
  for (c = head; c; c = n) {
    n = c->next;
    ((struct chain *)c->cleanup_arg)->shared++;
    link_tail(outbuf, c);
  }
  outbuf->total += total;
  changed(outbuf, total, 0);
  return 0;
}

/* The public name: under the buffer's lock (buffer-lock.c's rule). */
int
evbuffer_add_buffer_reference(struct evbuffer *outbuf, struct evbuffer *inbuf)
{
  int r;

  fut_evbuffer_lock2(outbuf, inbuf);
  r = evbuffer_add_buffer_reference_nolock(outbuf, inbuf);
  fut_evbuffer_unlock2(outbuf, inbuf);
  return r;
}

/* ---- file segments ------------------------------------------------------------- */

struct evbuffer_file_segment {
  int fd;
  unsigned flags;
  size_t refs;                /* the program's, and one per chain */
  size_t length;
  unsigned char *mem;         /* the segment's bytes (NULL when empty) */
  void *map;                  /* mmap()ed region holding mem, or NULL */
  size_t map_len;
  evbuffer_file_segment_cleanup_cb cleanup;
  void *cleanup_arg;
};

static void
seg_unref(struct evbuffer_file_segment *seg)
{
  if (--seg->refs)
    return;
  if (seg->map)
    munmap(seg->map, seg->map_len);
  else
    free(seg->mem);
  seg->mem = NULL;
  if ((seg->flags & EVBUF_FS_CLOSE_ON_FREE) && seg->fd >= 0)
    close(seg->fd);
  if (seg->cleanup)
    seg->cleanup(seg, (int)seg->flags, seg->cleanup_arg);
  free(seg);
}

static void
seg_chain_unref(const void *data, size_t len, void *arg)
{
  (void)data;
  (void)len;
  seg_unref(arg);
}

struct evbuffer_file_segment *
evbuffer_file_segment_new(int fd, ev_off_t offset, ev_off_t length, unsigned flags)
{
  struct evbuffer_file_segment *seg;
  struct stat st;
  size_t done = 0;

  if (fd < 0 || offset < 0 || length < -1) {
    errno = EINVAL;
    return NULL;
  }
  if (fstat(fd, &st) < 0)
    return NULL;
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return NULL;
  }
  if (offset > st.st_size) {
    errno = EINVAL;
    return NULL;
  }
  if (length == -1)
    length = st.st_size - offset;
  /* Bytes past the end of the file cannot be sent: refused here rather
   * than failing (or faulting, when mapped) later. */
  if (length > st.st_size - offset || (uint64_t)length > (uint64_t)EV_SSIZE_MAX) {
    errno = EINVAL;
    return NULL;
  }
  seg = calloc(1, sizeof(*seg));
  if (!seg)
    return NULL;
  seg->fd = fd;
  seg->flags = flags;
  seg->refs = 1;
  seg->length = (size_t)length;
  if (seg->length == 0)
    return seg;
  if (!(flags & EVBUF_FS_DISABLE_MMAP)) {
    long page = sysconf(_SC_PAGESIZE);
    off_t start = offset - (page > 0 ? offset % page : 0);
    size_t lead = (size_t)(offset - start);
    void *m = mmap(NULL, seg->length + lead, PROT_READ, MAP_PRIVATE, fd, start);

    if (m != MAP_FAILED) {
      seg->map = m;
      seg->map_len = seg->length + lead;
      seg->mem = (unsigned char *)m + lead;
      return seg;
    }
  }
  /* Without mmap: the bytes are read into memory now. */
  seg->mem = malloc(seg->length);
  if (!seg->mem)
    goto fail;
  while (done < seg->length) {
    ssize_t r = pread(fd, seg->mem + done, seg->length - done, offset + (off_t)done);

    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      if (r == 0)
        errno = EINVAL;
      goto fail;
    }
    done += (size_t)r;
  }
  return seg;
fail:
  {
    int e = errno;

    free(seg->mem);
    free(seg);
    errno = e;
  }
  return NULL;
}

void
evbuffer_file_segment_free(struct evbuffer_file_segment *seg)
{
  if (seg)
    seg_unref(seg);
}

void
evbuffer_file_segment_add_cleanup_cb(struct evbuffer_file_segment *seg, evbuffer_file_segment_cleanup_cb cb, void *arg)
{
  if (!seg)
    return;
  seg->cleanup = cb;
  seg->cleanup_arg = arg;
}

static int
evbuffer_add_file_segment_nolock(struct evbuffer *buf, struct evbuffer_file_segment *seg, ev_off_t offset, ev_off_t length)
{
  if (!buf || !seg || buf->freeze_end || offset < 0 || length < -1 || (uint64_t)offset > seg->length)
    return -1;
  if (length == -1)
    length = (ev_off_t)seg->length - offset;
  if ((uint64_t)length > seg->length - (uint64_t)offset)
    return -1;
  seg->refs++;
  if (evbuffer_add_reference(buf, seg->mem ? seg->mem + offset : NULL, (size_t)length, seg_chain_unref, seg) < 0) {
    seg->refs--;
    return -1;
  }
  return 0;
}

/* The public name: under the buffer's lock (buffer-lock.c's rule). */
int
evbuffer_add_file_segment(struct evbuffer *buf, struct evbuffer_file_segment *seg, ev_off_t offset, ev_off_t length)
{
  int r;

  fut_evbuffer_lock1(buf);
  r = evbuffer_add_file_segment_nolock(buf, seg, offset, length);
  fut_evbuffer_unlock1(buf);
  return r;
}

/* ---- flags and deferred callbacks ---------------------------------------------- */

static int
evbuffer_set_flags_nolock(struct evbuffer *buf, ev_uint64_t flags)
{
  if (!buf)
    return -1;
  buf->flags |= flags;
  return 0;
}

/* The public name: under the buffer's lock (buffer-lock.c's rule). */
int
evbuffer_set_flags(struct evbuffer *buf, ev_uint64_t flags)
{
  int r;

  fut_evbuffer_lock1(buf);
  r = evbuffer_set_flags_nolock(buf, flags);
  fut_evbuffer_unlock1(buf);
  return r;
}

static int
evbuffer_clear_flags_nolock(struct evbuffer *buf, ev_uint64_t flags)
{
  if (!buf)
    return -1;
  buf->flags &= ~flags;
  return 0;
}

/* The public name: under the buffer's lock (buffer-lock.c's rule). */
int
evbuffer_clear_flags(struct evbuffer *buf, ev_uint64_t flags)
{
  int r;

  fut_evbuffer_lock1(buf);
  r = evbuffer_clear_flags_nolock(buf, flags);
  fut_evbuffer_unlock1(buf);
  return r;
}

static void
deferred_cbs(evutil_socket_t fd, short what, void *arg)
{
  struct evbuffer *buf = arg;

  (void)fd;
  (void)what;
  buf->defer_pending = 0;
  run_cbs(buf);
}

static int
evbuffer_defer_callbacks_nolock(struct evbuffer *buffer, struct event_base *base)
{
  struct event *ev;
  int n;

  if (!buffer || !base)
    return -1;
  ev = event_new(base, -1, 0, deferred_cbs, buffer);
  if (!ev)
    return -1;
  /* libevent runs deferred callbacks at the middle priority. */
  n = event_base_get_npriorities(base);
  if (n > 1)
    event_priority_set(ev, n / 2);
  if (buffer->defer_ev)
    event_free(buffer->defer_ev);
  buffer->defer_ev = ev;
  if (buffer->defer_pending)
    event_active(ev, EV_READ, 1);
  return 0;
}

/* The public name: under the buffer's lock (buffer-lock.c's rule). */
int
evbuffer_defer_callbacks(struct evbuffer *buffer, struct event_base *base)
{
  int r;

  fut_evbuffer_lock1(buffer);
  r = evbuffer_defer_callbacks_nolock(buffer, base);
  fut_evbuffer_unlock1(buffer);
  return r;
}
