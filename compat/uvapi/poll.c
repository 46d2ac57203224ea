/* SPDX-License-Identifier: MIT */
/*
 * compat/uvapi: poll handles. libuv's uv_poll is level-triggered; the
 * core's struct fut_io may be edge-triggered (epoll) and forgets a
 * direction's readiness only when told to. So the handle's event never
 * trusts fut_io's bits: it asks the descriptor itself with poll(2) and a
 * zero timeout, reports what is ready, and
 *   - if something was reported, queues itself again for the next poll
 *     phase (the callback may not have drained the descriptor: it is
 *     asked again then, and reported again while it stays ready);
 *   - if nothing is ready, clears fut_io's readiness and waits on it
 *     (a READY from that wait queues the event again at once).
 * The descriptor is the program's; uv_poll_stop() and uv_close()
 * deregister it (so it may be closed right after either, as libuv says).
 */
#include "internal.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

static void poll_ev(struct fut_kit_ev *ev);

int
uv__poll_fd(const uv_poll_t *handle)
{
  return handle->io_.fd;
}

/* Another open handle of @loop watches @fd. */
static int
poll_fd_exists(uv_loop_t *loop, int fd)
{
  struct fut_kit_queue *q;

  for (q = loop->handle_queue.next; q != &loop->handle_queue; q = q->next) {
    const uv_handle_t *h = fut_kit_queue_data(q, uv_handle_t, handle_queue);
    int hfd = -1;

    if (uv__is_closing(h))
      continue;
    switch (h->type) {
    case UV_POLL:
      hfd = uv__poll_fd((const uv_poll_t *)h);
      break;
    case UV_UDP:
      hfd = uv__udp_fd((const uv_udp_t *)h);
      break;
    case UV_TCP:
    case UV_NAMED_PIPE:
    case UV_TTY:
      hfd = uv__stream_fd((const uv_stream_t *)h);
      break;
    default:
      break;
    }
    if (hfd == fd)
      return 1;
  }
  return 0;
}

int
uv_poll_init(uv_loop_t *loop, uv_poll_t *handle, int fd)
{
  struct stat st;
  int fl;

  if (loop == NULL || handle == NULL)
    return UV_EINVAL;
  if (fd < 0)
    return UV_EBADF;
  fl = fcntl(fd, F_GETFL);
  if (fl < 0)
    return UV__ERR(errno);
  if (fstat(fd, &st) != 0)
    return UV__ERR(errno);
  /* epoll(7), and so libuv, refuses these. */
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
    return UV_EPERM;
  if (poll_fd_exists(loop, fd))
    return UV_EEXIST;
  if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
    return UV__ERR(errno);
  uv__handle_init(loop, (uv_handle_t *)handle, UV_POLL);
  (void)fut_io_init(&handle->io_, fd);
  uv__ev_init(loop, &handle->ev_, poll_ev);
  handle->poll_cb = NULL;
  handle->events_ = 0;
  return 0;
}

int
uv_poll_init_socket(uv_loop_t *loop, uv_poll_t *handle, uv_os_sock_t sock)
{
  return uv_poll_init(loop, handle, sock);
}

int
uv_poll_stop(uv_poll_t *handle)
{
  if (handle == NULL)
    return UV_EINVAL;
  uv__ev_cancel(&handle->ev_);
  /* Deregister: the program may close the descriptor now. */
  (void)fut_io_close(&handle->io_);
  handle->events_ = 0;
  uv__handle_stop((uv_handle_t *)handle);
  return 0;
}

int
uv_poll_start(uv_poll_t *handle, int events, uv_poll_cb poll_cb)
{
  if (handle == NULL || uv__is_closing((uv_handle_t *)handle))
    return UV_EINVAL;
  if (events & ~(UV_READABLE | UV_WRITABLE | UV_DISCONNECT | UV_PRIORITIZED))
    return UV_EINVAL;
  if (events & UV_PRIORITIZED)
    return UV_ENOTSUP;
  uv_poll_stop(handle);
  if (events == 0)
    return 0;
  if (poll_cb == NULL)
    return UV_EINVAL;
  handle->events_ = events;
  handle->poll_cb = poll_cb;
  uv__handle_start((uv_handle_t *)handle);
  /* Look at the descriptor in the next poll phase (never from here). */
  uv__ev_feed(&handle->ev_);
  return 0;
}

/* Stop and report @status (an error) with no events. */
static void
poll_fail(uv_poll_t *h, int status)
{
  uv_poll_cb cb = h->poll_cb;

  uv_poll_stop(h);
  cb(h, status, 0);
}

/* Wait on fut_io for the directions asked for. Returns 1 if one is ready
 * already (the event must run again), 0, or a UV_E* code. */
static int
poll_arm(uv_poll_t *h)
{
  struct fut_waker w;
  struct fut_context cx;
  int res, again = 0;

  uv__ev_context(&h->ev_, &w, &cx);
  if (h->events_ & (UV_READABLE | UV_DISCONNECT)) {
    res = 0;
    fut_io_clear_ready(&h->io_, FUT_IO_READABLE);
    if (fut_io_poll_ready(&h->io_, &cx, FUT_IO_READABLE, &res) == FUT_READY) {
      if (res < 0)
        return res;
      again = 1;
    }
  }
  if (h->events_ & UV_WRITABLE) {
    res = 0;
    fut_io_clear_ready(&h->io_, FUT_IO_WRITABLE);
    if (fut_io_poll_ready(&h->io_, &cx, FUT_IO_WRITABLE, &res) == FUT_READY) {
      if (res < 0)
        return res;
      again = 1;
    }
  }
  return again;
}

static void
poll_ev(struct fut_kit_ev *ev)
{
  uv_poll_t *h = fut_kit_queue_data(ev, uv_poll_t, ev_);
  struct pollfd p;
  int r, pevents = 0;

  if (!uv__is_active((uv_handle_t *)h) || uv__is_closing((uv_handle_t *)h))
    return;
  p.fd = h->io_.fd;
  p.events = 0;
  p.revents = 0;
  if (h->events_ & UV_READABLE)
    p.events |= POLLIN;
  if (h->events_ & UV_WRITABLE)
    p.events |= POLLOUT;
  if (h->events_ & UV_DISCONNECT)
    p.events |= POLLRDHUP;
  r = poll(&p, 1, 0);
  if (r < 0) {
    if (errno == EINTR || errno == EAGAIN) {
      uv__ev_feed(&h->ev_);
      return;
    }
    poll_fail(h, UV__ERR(errno));
    return;
  }
  if (p.revents & POLLNVAL) {
    poll_fail(h, UV_EBADF);
    return;
  }
  /* As libuv: an error condition (not an urgent-data one) ends the watch. */
  if ((p.revents & POLLERR) && !(p.revents & POLLPRI)) {
    poll_fail(h, UV_EBADF);
    return;
  }
  /* A hang-up makes every direction asked for ready (what epoll does). */
  if (p.revents & POLLHUP)
    p.revents |= p.events & (POLLIN | POLLOUT | POLLRDHUP);
  if (p.revents & POLLIN)
    pevents |= UV_READABLE;
  if (p.revents & POLLOUT)
    pevents |= UV_WRITABLE;
  if (p.revents & POLLRDHUP)
    pevents |= UV_DISCONNECT;
  pevents &= h->events_;
  if (pevents != 0) {
    h->poll_cb(h, 0, pevents);
    /* Level-triggered: ask again in the next iteration. */
    if (uv__is_active((uv_handle_t *)h) && !uv__is_closing((uv_handle_t *)h))
      uv__ev_feed(&h->ev_);
    return;
  }
  r = poll_arm(h);
  if (r > 0) {
    /* fut_io says ready where poll(2) did not: a stale (sticky error or
     * hang-up) bit. Register afresh, which only keeps what is true now. */
    (void)fut_io_close(&h->io_);
    r = poll_arm(h);
  }
  if (r < 0)
    poll_fail(h, r);
  else if (r > 0)
    uv__ev_feed(&h->ev_);
}

void
uv__poll_close(uv_poll_t *handle)
{
  uv_poll_stop(handle);
}
