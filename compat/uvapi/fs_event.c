/* SPDX-License-Identifier: MIT */
/*
 * compat/uvapi: uv_fs_event_t on inotify. As in libuv, a loop has one
 * inotify descriptor for all its started handles (a process may only have
 * a few inotify instances: 128 by default), made on the first start and
 * closed when the last handle stops; handles watching the same path share
 * its watch descriptor. The descriptor is watched with a struct fut_io;
 * the loop calls inotify_ev() when it is readable, which hands each event
 * to the handles of its watch.
 *
 * The per-loop state is found through a small process-wide list (start
 * and stop only; events go through the handle's pointer), so the loop
 * needs no field nor hook of its own.
 */
#include "internal.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/inotify.h>
#include <unistd.h>

#define WATCH_MASK                                                       \
  (IN_ATTRIB | IN_CREATE | IN_MODIFY | IN_DELETE | IN_DELETE_SELF |      \
   IN_MOVE_SELF | IN_MOVED_FROM | IN_MOVED_TO)

struct inotify_loop {
  struct inotify_loop *next; /* the process's list, under inotify_lock */
  uv_loop_t *loop;
  int fd;
  struct fut_io io;
  struct fut_kit_ev ev;
  struct fut_kit_queue handles;  /* started handles (some may be in a
                              * dispatch's detached list: see nhandles) */
  unsigned int nhandles;     /* started handles */
  struct fut_kit_queue *detached; /* the dispatch's list, while it runs */
  unsigned int dispatching;  /* inside inotify_ev() */
  int dead;                  /* closed while dispatching: freed after */
};

static pthread_mutex_t inotify_lock = PTHREAD_MUTEX_INITIALIZER;
static struct inotify_loop *inotify_loops;

static const char *
base_name(const char *path)
{
  const char *s = strrchr(path, '/');

  return s != NULL ? s + 1 : path;
}

/* Hand one event to the handles of its watch. The callbacks may stop,
 * close or start any handle: the list is walked from a detached copy,
 * each handle put back before its callback. */
static void
inotify_dispatch(struct inotify_loop *il, const struct inotify_event *e)
{
  struct fut_kit_queue q;
  int events = 0;

  if (e->mask & (IN_ATTRIB | IN_MODIFY))
    events |= UV_CHANGE;
  if (e->mask & ~(IN_ATTRIB | IN_MODIFY))
    events |= UV_RENAME;
  fut_kit_queue_move(&il->handles, &q);
  il->detached = &q;
  while (!fut_kit_queue_empty(&q)) {
    uv_fs_event_t *h = fut_kit_queue_data(q.next, uv_fs_event_t, node_);

    fut_kit_queue_remove(&h->node_);
    fut_kit_queue_insert_tail(&il->handles, &h->node_);
    if (h->wd_ == e->wd && !il->dead)
      h->cb_(h, e->len != 0 ? e->name : base_name(h->path), events, 0);
  }
  il->detached = NULL;
}

static void
inotify_ev(struct fut_kit_ev *ev)
{
  struct inotify_loop *il = fut_kit_queue_data(ev, struct inotify_loop, ev);
  _Alignas(struct inotify_event) char buf[4096];
  struct fut_waker w;
  struct fut_context cx;

  il->dispatching++;
  while (!il->dead) {
    ssize_t n;
    char *p;
    int res = 0;

    uv__ev_context(ev, &w, &cx);
    if (fut_io_poll_ready(&il->io, &cx, FUT_IO_READABLE, &res) == FUT_PENDING)
      break;
    if (res != 0)
      break; /* the registration failed: nothing more will come */
    n = read(il->fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        fut_io_clear_ready(&il->io, FUT_IO_READABLE);
      else
        break;
      continue;
    }
    for (p = buf; p < buf + n && !il->dead;) {
      const struct inotify_event *e = (const struct inotify_event *)(void *)p;

      p += sizeof *e + e->len;
      inotify_dispatch(il, e);
    }
  }
  if (--il->dispatching == 0 && il->dead)
    uv__free(il);
}

/* The loop's inotify state, made on first use. NULL and *@err on failure. */
static struct inotify_loop *
inotify_get(uv_loop_t *loop, int *err)
{
  struct inotify_loop *il;

  pthread_mutex_lock(&inotify_lock);
  for (il = inotify_loops; il != NULL; il = il->next)
    if (il->loop == loop)
      break;
  pthread_mutex_unlock(&inotify_lock);
  if (il != NULL)
    return il;
  il = uv__calloc(1, sizeof *il);
  if (il == NULL) {
    *err = UV_ENOMEM;
    return NULL;
  }
  il->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (il->fd < 0) {
    *err = UV__ERR(errno);
    uv__free(il);
    return NULL;
  }
  il->loop = loop;
  fut_io_init(&il->io, il->fd);
  uv__ev_init(loop, &il->ev, inotify_ev);
  fut_kit_queue_init(&il->handles);
  /* The first poll, in this iteration's poll phase, registers interest. */
  uv__ev_feed(&il->ev);
  pthread_mutex_lock(&inotify_lock);
  il->next = inotify_loops;
  inotify_loops = il;
  pthread_mutex_unlock(&inotify_lock);
  return il;
}

/* No handle left: close the descriptor; free now, or after the dispatch. */
static void
inotify_put(struct inotify_loop *il)
{
  struct inotify_loop **pp;

  if (il->nhandles != 0)
    return;
  pthread_mutex_lock(&inotify_lock);
  for (pp = &inotify_loops; *pp != NULL; pp = &(*pp)->next)
    if (*pp == il) {
      *pp = il->next;
      break;
    }
  pthread_mutex_unlock(&inotify_lock);
  uv__ev_cancel(&il->ev);
  fut_io_close(&il->io);
  close(il->fd);
  il->fd = -1;
  if (il->dispatching != 0)
    il->dead = 1;
  else
    uv__free(il);
}

/* In the child of a fork(2), before the loop's runtime forks: the inotify
 * descriptor is the parent's too (either process would read the other's
 * events). A new one takes its number (dup2(2)), so the registration,
 * watched again by fut_runtime_fork() right after, watches the new one;
 * each started handle's path is watched again (handles on one path share
 * the new watch, as inotify answers the same descriptor for an inode
 * watched already). A path that cannot be watched any more (gone) leaves
 * its handle without events; the first such error is returned, after the
 * others were done. inotify_lock may have been held by a thread of the
 * parent: it is initialised anew. */
int
uv__fs_event_fork(uv_loop_t *loop)
{
  struct inotify_loop *il;
  struct fut_kit_queue *q;
  int fd, err = 0;

  pthread_mutex_init(&inotify_lock, NULL);
  for (il = inotify_loops; il != NULL; il = il->next)
    if (il->loop == loop)
      break;
  if (il == NULL || il->fd < 0)
    return 0;
  fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0)
    return UV__ERR(errno);
  if (dup3(fd, il->fd, O_CLOEXEC) < 0) {
    err = UV__ERR(errno);
    close(fd);
    return err;
  }
  close(fd);
  for (q = il->handles.next; q != &il->handles; q = q->next) {
    uv_fs_event_t *h = fut_kit_queue_data(q, uv_fs_event_t, node_);

    h->wd_ = inotify_add_watch(il->fd, h->path, WATCH_MASK);
    if (h->wd_ < 0 && err == 0)
      err = UV__ERR(errno);
  }
  return err;
}

int
uv_fs_event_init(uv_loop_t *loop, uv_fs_event_t *handle)
{
  if (loop == NULL || handle == NULL)
    return UV_EINVAL;
  uv__handle_init(loop, (uv_handle_t *)handle, UV_FS_EVENT);
  handle->path = NULL;
  handle->cb_ = NULL;
  handle->wd_ = -1;
  handle->ctx_ = NULL;
  fut_kit_queue_init(&handle->node_);
  return 0;
}

int
uv_fs_event_start(uv_fs_event_t *handle, uv_fs_event_cb cb, const char *path,
                  unsigned int flags)
{
  struct inotify_loop *il;
  int wd, err = 0;
  char *copy;

  (void)flags;
  if (handle == NULL || cb == NULL || path == NULL)
    return UV_EINVAL;
  if (uv__is_active((uv_handle_t *)handle) ||
      uv__is_closing((uv_handle_t *)handle))
    return UV_EINVAL;
  copy = uv__strdup(path);
  if (copy == NULL)
    return UV_ENOMEM;
  il = inotify_get(handle->loop, &err);
  if (il == NULL) {
    uv__free(copy);
    return err;
  }
  wd = inotify_add_watch(il->fd, path, WATCH_MASK);
  if (wd < 0) {
    err = UV__ERR(errno);
    uv__free(copy);
    inotify_put(il);
    return err;
  }
  handle->path = copy;
  handle->wd_ = wd;
  handle->cb_ = cb;
  handle->ctx_ = il;
  fut_kit_queue_insert_tail(&il->handles, &handle->node_);
  il->nhandles++;
  uv__handle_start((uv_handle_t *)handle);
  return 0;
}

int
uv_fs_event_stop(uv_fs_event_t *handle)
{
  struct inotify_loop *il;
  struct fut_kit_queue *q;
  int shared = 0;

  if (handle == NULL)
    return UV_EINVAL;
  if (!uv__is_active((uv_handle_t *)handle))
    return 0;
  il = handle->ctx_;
  fut_kit_queue_remove(&handle->node_);
  il->nhandles--;
  /* Another handle on the same watch keeps it (look in a running
   * dispatch's detached list too). */
  for (q = il->handles.next; q != &il->handles; q = q->next)
    if (fut_kit_queue_data(q, uv_fs_event_t, node_)->wd_ == handle->wd_)
      shared = 1;
  if (il->detached != NULL)
    for (q = il->detached->next; q != il->detached; q = q->next)
      if (fut_kit_queue_data(q, uv_fs_event_t, node_)->wd_ == handle->wd_)
        shared = 1;
  if (!shared)
    (void)inotify_rm_watch(il->fd, handle->wd_);
  inotify_put(il);
  handle->ctx_ = NULL;
  handle->wd_ = -1;
  uv__free(handle->path);
  handle->path = NULL;
  uv__handle_stop((uv_handle_t *)handle);
  return 0;
}

int
uv_fs_event_getpath(uv_fs_event_t *handle, char *buffer, size_t *size)
{
  size_t len;

  if (handle == NULL || buffer == NULL || size == NULL)
    return UV_EINVAL;
  if (!uv__is_active((uv_handle_t *)handle)) {
    *size = 0;
    return UV_EINVAL;
  }
  len = strlen(handle->path);
  if (len >= *size) {
    *size = len + 1;
    return UV_ENOBUFS;
  }
  memcpy(buffer, handle->path, len + 1);
  *size = len;
  return 0;
}

void
uv__fs_event_close(uv_fs_event_t *handle)
{
  uv_fs_event_stop(handle);
}
