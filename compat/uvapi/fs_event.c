/* SPDX-License-Identifier: MIT */
/*
 * compat/uvapi: uv_fs_event_t on inotify. Each started handle has its own
 * inotify descriptor (libuv shares one per loop), watched with a struct
 * fut_io; the loop calls fs_event_ev() when it is readable.
 */
#include "internal.h"

#include <sys/inotify.h>
#include <unistd.h>

#define WATCH_MASK                                                       \
  (IN_ATTRIB | IN_CREATE | IN_MODIFY | IN_DELETE | IN_DELETE_SELF |      \
   IN_MOVE_SELF | IN_MOVED_FROM | IN_MOVED_TO)

static const char *
base_name(const char *path)
{
  const char *s = strrchr(path, '/');

  return s != NULL ? s + 1 : path;
}

static void
fs_event_ev(struct uv__ev *ev)
{
  uv_fs_event_t *h = uv__queue_data(ev, uv_fs_event_t, ev_);
  _Alignas(struct inotify_event) char buf[4096];
  struct fut_waker w;
  struct fut_context cx;
  int fd = h->u.fd;

  for (;;) {
    const struct inotify_event *e;
    ssize_t n;
    char *p;
    int res = 0;

    uv__ev_context(ev, &w, &cx);
    if (fut_io_poll_ready(&h->io_, &cx, FUT_IO_READABLE, &res) == FUT_PENDING)
      return;
    if (res != 0) {
      h->cb_(h, NULL, 0, res);
      return;
    }
    n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        fut_io_clear_ready(&h->io_, FUT_IO_READABLE);
        continue;
      }
      h->cb_(h, NULL, 0, UV__ERR(errno));
      return;
    }
    for (p = buf; p < buf + n; p += sizeof *e + e->len) {
      int events = 0;
      const char *name;

      e = (const struct inotify_event *)(void *)p;
      if (e->mask & (IN_ATTRIB | IN_MODIFY))
        events |= UV_CHANGE;
      if (e->mask & ~(IN_ATTRIB | IN_MODIFY))
        events |= UV_RENAME;
      name = e->len != 0 ? e->name : base_name(h->path);
      h->cb_(h, name, events, 0);
      /* The callback may have stopped (or restarted) the handle. */
      if (!uv__is_active((uv_handle_t *)h) || h->u.fd != fd)
        return;
    }
  }
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
  uv__ev_init(loop, &handle->ev_, fs_event_ev);
  return 0;
}

int
uv_fs_event_start(uv_fs_event_t *handle, uv_fs_event_cb cb, const char *path,
                  unsigned int flags)
{
  int fd, wd, err;

  (void)flags;
  if (handle == NULL || cb == NULL || path == NULL)
    return UV_EINVAL;
  if (uv__is_active((uv_handle_t *)handle) ||
      uv__is_closing((uv_handle_t *)handle))
    return UV_EINVAL;
  fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0)
    return UV__ERR(errno);
  wd = inotify_add_watch(fd, path, WATCH_MASK);
  if (wd < 0) {
    err = UV__ERR(errno);
    close(fd);
    return err;
  }
  handle->path = uv__strdup(path);
  if (handle->path == NULL) {
    close(fd);
    return UV_ENOMEM;
  }
  fut_io_init(&handle->io_, fd);
  handle->u.fd = fd;
  handle->wd_ = wd;
  handle->cb_ = cb;
  uv__handle_start((uv_handle_t *)handle);
  /* Register interest: the first poll stores the waker. */
  uv__ev_feed(&handle->ev_);
  return 0;
}

int
uv_fs_event_stop(uv_fs_event_t *handle)
{
  if (handle == NULL)
    return UV_EINVAL;
  if (!uv__is_active((uv_handle_t *)handle))
    return 0;
  uv__ev_cancel(&handle->ev_);
  fut_io_close(&handle->io_);
  close(handle->u.fd);
  handle->u.fd = -1;
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
