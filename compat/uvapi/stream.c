/* SPDX-License-Identifier: MIT */
/*
 * compat/uvapi: streams (TCP, pipes, TTYs): reading, writing, shutdown,
 * listening and accepting, closing. libuv 1.44's behaviour on Unix.
 *
 * Each stream has one struct fut_io and three events: rev_ (readable:
 * reads, or accepts on a listener), wev_ (writable: the connect, the
 * queued writes) and cev_ (completions: write and shutdown callbacks,
 * deferred to the next iteration's pending phase when the write finished
 * inside uv_write(), as libuv's uv__io_feed does). Readiness is kept by
 * the core (tokio's scheme): the syscall is made while the fut_io says
 * ready, readiness is cleared on EAGAIN (or after a short read on a stream
 * socket: fut_io_drained()), then the fut_io is polled again with the
 * event's waker.
 */
#include "stream-internal.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

/* Descriptors one recvmsg() on an IPC pipe may receive (as libuv). */
#define STREAM_CMSG_FD_COUNT 64

static void stream_read_ev(struct fut_kit_ev *ev);
static void stream_write_ev(struct fut_kit_ev *ev);
static void stream_completion_ev(struct fut_kit_ev *ev);

/* ---- helpers ------------------------------------------------------------- */

int
uv__nonblock(int fd, int set)
{
  int fl = fcntl(fd, F_GETFL);

  if (fl == -1)
    return UV__ERR(errno);
  if (!!(fl & O_NONBLOCK) == !!set)
    return 0;
  fl = set ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
  if (fcntl(fd, F_SETFL, fl) == -1)
    return UV__ERR(errno);
  return 0;
}

static void
stream_poll(uv_stream_t *s, struct fut_kit_ev *ev, unsigned int dir)
{
  struct fut_waker w;
  struct fut_context cx;
  int res = 0;

  if (s->io_.fd < 0)
    return;
  uv__ev_context(ev, &w, &cx);
  if (fut_io_poll_ready(&s->io_, &cx, dir, &res) == FUT_READY) {
    /* Ready, or the registration failed (the descriptor cannot be
     * watched: another handle has it, ...): kept for the handlers. */
    if (res < 0 && s->io_error_ == 0)
      s->io_error_ = res;
    uv__ev_feed(ev);
  }
}

static void stream_poll_read(uv_stream_t *s) { stream_poll(s, &s->rev_, FUT_IO_READABLE); }
static void stream_poll_write(uv_stream_t *s) { stream_poll(s, &s->wev_, FUT_IO_WRITABLE); }

/* Withdraw the waker of @ev from the fut_io (nothing will wake it). */
static void
stream_forget(uv_stream_t *s, struct fut_kit_ev *ev, unsigned int dir)
{
  struct fut_waker w;
  struct fut_context cx;

  uv__ev_context(ev, &w, &cx);
  fut_io_forget(&s->io_, dir, &w);
  uv__ev_cancel(ev);
}

/* ---- init, open, close --------------------------------------------------- */

void
uv__stream_init(uv_loop_t *loop, uv_stream_t *s, uv_handle_type type)
{
  uv__handle_init(loop, (uv_handle_t *)s, type);
  s->write_queue_size = 0;
  s->alloc_cb = NULL;
  s->read_cb = NULL;
  memset(&s->io_, 0, sizeof s->io_);
  s->io_.fd = -1;
  uv__ev_init(loop, &s->rev_, stream_read_ev);
  uv__ev_init(loop, &s->wev_, stream_write_ev);
  uv__ev_init(loop, &s->cev_, stream_completion_ev);
  s->connection_cb_ = NULL;
  s->connect_req_ = NULL;
  s->shutdown_req_ = NULL;
  fut_kit_queue_init(&s->write_queue_);
  fut_kit_queue_init(&s->write_completed_queue_);
  s->accepted_fd_ = -1;
  s->delayed_error_ = 0;
  s->io_error_ = 0;
  s->queued_fds_ = NULL;
  s->queued_fds_count_ = 0;
  s->queued_fds_cap_ = 0;
}

int
uv__stream_open(uv_stream_t *s, int fd, unsigned int flags)
{
  int err, one = 1;

  if (s == NULL || fd < 0)
    return UV_EINVAL;
  if (s->u.fd != -1) {
    if (s->u.fd != fd)
      return UV_EBUSY;
    s->flags |= flags;
    return 0;
  }
  if (!(flags & UV_HANDLE_BLOCKING_WRITES)) {
    err = uv__nonblock(fd, 1);
    if (err != 0)
      return err;
  }
  if (s->type == UV_TCP) {
    flags |= UV_HANDLE_STREAM_SOCKET;
    if ((s->flags & UV_HANDLE_TCP_NODELAY) &&
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
      return UV__ERR(errno);
    if (s->flags & UV_HANDLE_TCP_KEEPALIVE) {
      int idle = 60;

      if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one) != 0 ||
          setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) != 0)
        return UV__ERR(errno);
    }
  }
  /* Not AF_UNIX sockets: Linux ends a read there at each message that
   * carried descriptors or came from another writer (credentials), with
   * more data queued, so a short read does not mean an empty buffer. */
  s->flags |= flags;
  s->u.fd = fd;
  (void)fut_io_init(&s->io_, fd);
  return 0;
}

int
uv__stream_fd(const uv_stream_t *s)
{
  return s->u.fd;
}

void
uv__stream_close(uv_stream_t *s)
{
  unsigned int i;

  s->flags &= ~(UV_HANDLE_READING | UV_HANDLE_LISTENING | UV_HANDLE_READABLE |
                UV_HANDLE_WRITABLE);
  uv__handle_stop((uv_handle_t *)s);
  uv__ev_cancel(&s->rev_);
  uv__ev_cancel(&s->wev_);
  uv__ev_cancel(&s->cev_);
  (void)fut_io_close(&s->io_);
  s->io_.fd = -1;
  if (s->u.fd != -1) {
    /* Not the standard descriptors: nothing good comes of closing them (libuv). */
    if (s->u.fd > STDERR_FILENO)
      close(s->u.fd);
    s->u.fd = -1;
  }
  if (s->accepted_fd_ != -1) {
    close(s->accepted_fd_);
    s->accepted_fd_ = -1;
  }
  for (i = 0; i < s->queued_fds_count_; i++)
    close(s->queued_fds_[i]);
  uv__free(s->queued_fds_);
  s->queued_fds_ = NULL;
  s->queued_fds_count_ = s->queued_fds_cap_ = 0;
  if (s->type == UV_NAMED_PIPE)
    uv__pipe_close((uv_pipe_t *)s);
}

/* ---- write completion ------------------------------------------------------ */

static size_t
write_req_left(const uv_write_t *req)
{
  size_t n = 0;
  unsigned int i;

  if (req->bufs_ == NULL)
    return 0;
  for (i = req->write_index_; i < req->nbufs_; i++)
    n += req->bufs_[i].len;
  return n;
}

/* Move @req from the write queue to the completed queue. */
static void
write_req_finish(uv_stream_t *s, uv_write_t *req)
{
  fut_kit_queue_remove(&req->queue_);
  fut_kit_queue_insert_tail(&s->write_completed_queue_, &req->queue_);
}

/* Call the callbacks of the completed writes, in order. */
static void
stream_write_callbacks(uv_stream_t *s)
{
  struct fut_kit_queue pq;

  if (fut_kit_queue_empty(&s->write_completed_queue_))
    return;
  fut_kit_queue_move(&s->write_completed_queue_, &pq);
  while (!fut_kit_queue_empty(&pq)) {
    struct fut_kit_queue *q = pq.next;
    uv_write_t *req = fut_kit_queue_data(q, uv_write_t, queue_);

    fut_kit_queue_remove(q);
    uv__req_unregister(s->loop);
    s->write_queue_size -= write_req_left(req);
    if (req->bufs_ != req->bufsml_)
      uv__free(req->bufs_);
    req->bufs_ = NULL;
    if (req->cb != NULL)
      req->cb(req, req->error_);
  }
}

/* The queued writes are all done: run the shutdown if one waits. */
static void
stream_drain(uv_stream_t *s)
{
  uv_shutdown_t *req;
  int err = 0;

  if (!(s->flags & UV_HANDLE_SHUTTING) || !fut_kit_queue_empty(&s->write_queue_) ||
      s->connect_req_ != NULL)
    return;
  req = s->shutdown_req_;
  s->shutdown_req_ = NULL;
  s->flags &= ~UV_HANDLE_SHUTTING;
  uv__req_unregister(s->loop);
  if (uv__is_closing((uv_handle_t *)s))
    err = UV_ECANCELED;
  else if (shutdown(s->u.fd, SHUT_WR) != 0)
    err = UV__ERR(errno);
  else
    s->flags |= UV_HANDLE_SHUT;
  if (req->cb != NULL)
    req->cb(req, err);
}

static void
stream_completion_ev(struct fut_kit_ev *ev)
{
  uv_stream_t *s = fut_kit_queue_data(ev, uv_stream_t, cev_);

  stream_write_callbacks(s);
  if (!uv__is_closing((uv_handle_t *)s))
    stream_drain(s);
}

void
uv__stream_destroy(uv_stream_t *s)
{
  uv__ev_cancel(&s->cev_);
  if (s->connect_req_ != NULL) {
    uv_connect_t *req = s->connect_req_;

    s->connect_req_ = NULL;
    uv__req_unregister(s->loop);
    if (req->cb != NULL)
      req->cb(req, UV_ECANCELED);
  }
  while (!fut_kit_queue_empty(&s->write_queue_)) {
    uv_write_t *req = fut_kit_queue_data(s->write_queue_.next, uv_write_t, queue_);

    req->error_ = UV_ECANCELED;
    write_req_finish(s, req);
  }
  stream_write_callbacks(s);
  if (s->shutdown_req_ != NULL)
    stream_drain(s);
}

/* ---- writing ----------------------------------------------------------------- */

/* One writev (or sendmsg with a descriptor) of what @req has left. */
static ssize_t
write_req_send(uv_stream_t *s, uv_write_t *req)
{
  struct iovec *iov = (struct iovec *)(void *)(req->bufs_ + req->write_index_);
  unsigned int n = req->nbufs_ - req->write_index_;

  if (n > IOV_MAX)
    n = IOV_MAX;
  if (req->send_handle != NULL) {
    union {
      char buf[CMSG_SPACE(sizeof(int))];
      struct cmsghdr align;
    } u;
    struct msghdr msg;
    struct cmsghdr *cmsg;
    uv_os_fd_t fd = -1;

    if (uv_fileno((const uv_handle_t *)req->send_handle, &fd) != 0) {
      errno = EBADF;
      return -1;
    }
    memset(&msg, 0, sizeof msg);
    memset(&u, 0, sizeof u);
    msg.msg_iov = iov;
    msg.msg_iovlen = n;
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof u.buf;
    cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    return sendmsg(s->u.fd, &msg, 0);
  }
  if (n == 1)
    return write(s->u.fd, iov[0].iov_base, iov[0].iov_len);
  return writev(s->u.fd, iov, (int)n);
}

/* Account @n bytes written; returns whether @req is all written. */
static int
write_req_advance(uv_stream_t *s, uv_write_t *req, size_t n)
{
  s->write_queue_size -= n;
  while (req->write_index_ < req->nbufs_) {
    uv_buf_t *b = &req->bufs_[req->write_index_];

    if (n < b->len) {
      b->base += n;
      b->len -= n;
      return 0;
    }
    n -= b->len;
    req->write_index_++;
  }
  return 1;
}

/* Write what the queue holds until it is empty, the kernel says EAGAIN
 * (then wait for writability) or a write fails (it then completes with
 * the error and the queue waits, as libuv's does, for the close). */
static void
stream_do_write(uv_stream_t *s)
{
  while (!fut_kit_queue_empty(&s->write_queue_)) {
    uv_write_t *req = fut_kit_queue_data(s->write_queue_.next, uv_write_t, queue_);
    ssize_t n = write_req_send(s, req);

    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        fut_io_clear_ready(&s->io_, FUT_IO_WRITABLE);
        stream_poll_write(s);
        if (s->io_error_ == 0)
          return;
        errno = -s->io_error_; /* it cannot be waited for */
      }
      req->error_ = UV__ERR(errno);
      write_req_finish(s, req);
      return;
    }
    req->send_handle = NULL; /* sent with the first bytes */
    if (write_req_advance(s, req, (size_t)n)) {
      write_req_finish(s, req);
      continue;
    }
    if (s->flags & UV_HANDLE_BLOCKING_WRITES)
      continue;
    /* A partial write: the kernel's buffer is full now, and the backend
     * reports the next change of that, so readiness can go. */
    fut_io_clear_ready(&s->io_, FUT_IO_WRITABLE);
    stream_poll_write(s);
    return;
  }
}

static void
stream_connect_done(uv_stream_t *s)
{
  uv_connect_t *req = s->connect_req_;
  int err;

  if (s->delayed_error_ != 0) {
    err = s->delayed_error_;
    s->delayed_error_ = 0;
  } else {
    int soerr = 0;
    socklen_t len = sizeof soerr;

    if (getsockopt(s->u.fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
      soerr = errno;
    err = UV__ERR(soerr);
    if (soerr == EINPROGRESS) {
      stream_poll_write(s);
      return;
    }
  }
  s->connect_req_ = NULL;
  uv__req_unregister(s->loop);
  if (req->cb != NULL)
    req->cb(req, err);
  if (uv__is_closing((uv_handle_t *)s) || s->u.fd == -1)
    return;
  if (err < 0) {
    while (!fut_kit_queue_empty(&s->write_queue_)) {
      uv_write_t *w = fut_kit_queue_data(s->write_queue_.next, uv_write_t, queue_);

      w->error_ = UV_ECANCELED;
      write_req_finish(s, w);
    }
  }
}

static void
stream_write_ev(struct fut_kit_ev *ev)
{
  uv_stream_t *s = fut_kit_queue_data(ev, uv_stream_t, wev_);

  if (uv__is_closing((uv_handle_t *)s))
    return;
  if (s->connect_req_ != NULL) {
    if (s->io_error_ != 0 && s->delayed_error_ == 0)
      s->delayed_error_ = s->io_error_;
    stream_connect_done(s);
    if (s->connect_req_ != NULL || uv__is_closing((uv_handle_t *)s))
      return;
  }
  if (!fut_kit_queue_empty(&s->write_queue_))
    stream_do_write(s);
  stream_write_callbacks(s);
  if (!uv__is_closing((uv_handle_t *)s))
    stream_drain(s);
}

void
uv__stream_connect_start(uv_stream_t *s, uv_connect_t *req, int err,
                         uv_connect_cb cb)
{
  uv__req_init(s->loop, (uv_req_t *)req, UV_CONNECT, NULL);
  req->handle = s;
  req->cb = cb;
  uv__req_register(s->loop);
  s->connect_req_ = req;
  if (err != 0) {
    s->delayed_error_ = err;
    uv__ev_feed_pending(&s->wev_);
  } else {
    stream_poll_write(s);
  }
}

static int
check_before_write(uv_stream_t *s, uv_stream_t *send_handle)
{
  if (s->u.fd < 0)
    return UV_EBADF;
  if (!(s->flags & UV_HANDLE_WRITABLE))
    return UV_EPIPE;
  if (send_handle != NULL) {
    uv_os_fd_t fd;

    if (s->type != UV_NAMED_PIPE || !((uv_pipe_t *)s)->ipc)
      return UV_EINVAL;
    if (uv_fileno((const uv_handle_t *)send_handle, &fd) != 0)
      return UV_EBADF;
  }
  return 0;
}

int
uv_write2(uv_write_t *req, uv_stream_t *s, const uv_buf_t bufs[],
          unsigned int nbufs, uv_stream_t *send_handle, uv_write_cb cb)
{
  int empty, err;
  unsigned int i;

  if (req == NULL || s == NULL || (bufs == NULL && nbufs != 0) || nbufs == 0)
    return UV_EINVAL;
  if (s->type != UV_TCP && s->type != UV_NAMED_PIPE && s->type != UV_TTY)
    return UV_EINVAL;
  err = check_before_write(s, send_handle);
  if (err != 0)
    return err;
  if (nbufs <= sizeof req->bufsml_ / sizeof req->bufsml_[0]) {
    req->bufs_ = req->bufsml_;
  } else {
    req->bufs_ = uv__malloc(nbufs * sizeof(uv_buf_t));
    if (req->bufs_ == NULL)
      return UV_ENOMEM;
  }
  memcpy(req->bufs_, bufs, nbufs * sizeof(uv_buf_t));
  uv__req_init(s->loop, (uv_req_t *)req, UV_WRITE, NULL);
  req->cb = cb;
  req->handle = s;
  req->send_handle = send_handle;
  req->write_index_ = 0;
  req->nbufs_ = nbufs;
  req->error_ = 0;
  uv__req_register(s->loop);
  empty = s->write_queue_size == 0 && fut_kit_queue_empty(&s->write_queue_);
  for (i = 0; i < nbufs; i++)
    s->write_queue_size += bufs[i].len;
  fut_kit_queue_insert_tail(&s->write_queue_, &req->queue_);
  if (s->connect_req_ != NULL) {
    /* written once connected */
  } else if (empty) {
    stream_do_write(s);
    if (!fut_kit_queue_empty(&s->write_completed_queue_))
      uv__ev_feed_pending(&s->cev_);
  }
  /* else: the writes before it wait for writability already */
  return 0;
}

int
uv_write(uv_write_t *req, uv_stream_t *s, const uv_buf_t bufs[],
         unsigned int nbufs, uv_write_cb cb)
{
  return uv_write2(req, s, bufs, nbufs, NULL, cb);
}

int
uv_try_write2(uv_stream_t *s, const uv_buf_t bufs[], unsigned int nbufs,
              uv_stream_t *send_handle)
{
  uv_write_t req; /* only its send fields: nothing is queued */
  ssize_t n;
  int err;

  if (s == NULL || bufs == NULL || nbufs == 0)
    return UV_EINVAL;
  if (s->connect_req_ != NULL || s->write_queue_size != 0 ||
      !fut_kit_queue_empty(&s->write_queue_))
    return UV_EAGAIN;
  err = check_before_write(s, send_handle);
  if (err != 0)
    return err;
  req.bufs_ = (uv_buf_t *)(uintptr_t)bufs; /* write_req_send only reads it */
  req.write_index_ = 0;
  req.nbufs_ = nbufs;
  req.send_handle = send_handle;
  do
    n = write_req_send(s, &req);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
      fut_io_clear_ready(&s->io_, FUT_IO_WRITABLE);
      return UV_EAGAIN;
    }
    return UV__ERR(errno);
  }
  if (n == 0) {
    size_t total = 0;
    unsigned int i;

    for (i = 0; i < nbufs; i++)
      total += bufs[i].len;
    if (total != 0)
      return UV_EAGAIN;
  }
  return n > INT_MAX ? INT_MAX : (int)n;
}

int
uv_try_write(uv_stream_t *s, const uv_buf_t bufs[], unsigned int nbufs)
{
  return uv_try_write2(s, bufs, nbufs, NULL);
}

int
uv_shutdown(uv_shutdown_t *req, uv_stream_t *s, uv_shutdown_cb cb)
{
  if (req == NULL || s == NULL)
    return UV_EINVAL;
  if (!(s->flags & UV_HANDLE_WRITABLE) ||
      (s->flags & (UV_HANDLE_SHUT | UV_HANDLE_SHUTTING)) ||
      uv__is_closing((uv_handle_t *)s) || s->u.fd < 0)
    return UV_ENOTCONN;
  uv__req_init(s->loop, (uv_req_t *)req, UV_SHUTDOWN, NULL);
  req->handle = s;
  req->cb = cb;
  uv__req_register(s->loop);
  s->shutdown_req_ = req;
  s->flags |= UV_HANDLE_SHUTTING;
  s->flags &= ~UV_HANDLE_WRITABLE;
  if (s->connect_req_ == NULL && fut_kit_queue_empty(&s->write_queue_))
    uv__ev_feed_pending(&s->cev_);
  return 0;
}

/* ---- reading --------------------------------------------------------------- */

/* Keep the descriptors of an SCM_RIGHTS message for uv_accept(). */
static void
stream_recv_fds(uv_stream_t *s, struct msghdr *msg)
{
  struct cmsghdr *cmsg;

  for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL; cmsg = CMSG_NXTHDR(msg, cmsg)) {
    const unsigned char *p, *end;

    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
      continue;
    p = CMSG_DATA(cmsg);
    end = (const unsigned char *)cmsg + cmsg->cmsg_len;
    for (; p + sizeof(int) <= end; p += sizeof(int)) {
      int fd;

      memcpy(&fd, p, sizeof fd);
      if (s->accepted_fd_ == -1) {
        s->accepted_fd_ = fd;
        continue;
      }
      if (s->queued_fds_count_ == s->queued_fds_cap_) {
        unsigned int cap = s->queued_fds_cap_ ? s->queued_fds_cap_ * 2 : 8;
        int *n = uv__realloc(s->queued_fds_, cap * sizeof(int));

        if (n == NULL) {
          close(fd); /* out of memory: the handle is lost */
          continue;
        }
        s->queued_fds_ = n;
        s->queued_fds_cap_ = cap;
      }
      s->queued_fds_[s->queued_fds_count_++] = fd;
    }
  }
}

static void
stream_read(uv_stream_t *s)
{
  int count = 32;
  int ipc = s->type == UV_NAMED_PIPE && ((uv_pipe_t *)s)->ipc;

  if (s->io_error_ != 0) {
    uv_buf_t none = { NULL, 0 };

    /* The descriptor cannot be watched: an error, as a read's. */
    s->flags &= ~(UV_HANDLE_READABLE | UV_HANDLE_WRITABLE);
    s->read_cb(s, s->io_error_, &none);
    if (s->flags & UV_HANDLE_READING) {
      s->flags &= ~UV_HANDLE_READING;
      stream_forget(s, &s->rev_, FUT_IO_READABLE);
      uv__handle_stop((uv_handle_t *)s);
    }
    return;
  }
  while ((s->flags & UV_HANDLE_READING) && count-- > 0) {
    uv_buf_t buf = { NULL, 0 };
    ssize_t n;

    s->alloc_cb((uv_handle_t *)s, 65536, &buf);
    if (!(s->flags & UV_HANDLE_READING))
      return; /* stopped or closed in alloc_cb */
    if (buf.base == NULL || buf.len == 0) {
      s->read_cb(s, UV_ENOBUFS, &buf);
      break; /* try again next time, as libuv */
    }
    if (!ipc) {
      do
        n = read(s->u.fd, buf.base, buf.len);
      while (n < 0 && errno == EINTR);
    } else {
      union {
        char buf[CMSG_SPACE(STREAM_CMSG_FD_COUNT * sizeof(int))];
        struct cmsghdr align;
      } u;
      struct msghdr msg;
      struct iovec iov = { buf.base, buf.len };

      memset(&msg, 0, sizeof msg);
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = u.buf;
      msg.msg_controllen = sizeof u.buf;
      do
        n = recvmsg(s->u.fd, &msg, MSG_CMSG_CLOEXEC);
      while (n < 0 && errno == EINTR);
      if (n >= 0 && msg.msg_controllen > 0)
        stream_recv_fds(s, &msg);
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        fut_io_clear_ready(&s->io_, FUT_IO_READABLE);
        stream_poll_read(s);
        s->read_cb(s, 0, &buf);
        return;
      }
      /* An error: the program should close the stream (libuv). */
      n = UV__ERR(errno);
      s->flags &= ~(UV_HANDLE_READABLE | UV_HANDLE_WRITABLE);
      s->read_cb(s, n, &buf);
      if (s->flags & UV_HANDLE_READING) {
        s->flags &= ~UV_HANDLE_READING;
        stream_forget(s, &s->rev_, FUT_IO_READABLE);
        uv__handle_stop((uv_handle_t *)s);
      }
      return;
    }
    if (n == 0) {
      s->flags |= UV_HANDLE_READ_EOF;
      s->flags &= ~UV_HANDLE_READING;
      stream_forget(s, &s->rev_, FUT_IO_READABLE);
      uv__handle_stop((uv_handle_t *)s);
      s->read_cb(s, UV_EOF, &buf);
      return;
    }
    if ((size_t)n < buf.len) {
      /* A short read on a TCP socket: the kernel's buffer is empty now. */
      if (s->flags & UV_HANDLE_STREAM_SOCKET)
        fut_io_drained(&s->io_, FUT_IO_READABLE);
      s->read_cb(s, n, &buf);
      if (s->flags & UV_HANDLE_READING)
        stream_poll_read(s);
      return;
    }
    s->read_cb(s, n, &buf);
  }
  if (s->flags & UV_HANDLE_READING)
    stream_poll_read(s); /* ready still: the next round reads on */
}

/* The process's spare descriptor, given up to accept and drop connections
 * when the process is out of descriptors (libuv's EMFILE trick). */
static atomic_int reserve_fd = -1;
static atomic_int reserve_opened;

static void
reserve_open(void)
{
  int fd;

  if (atomic_exchange(&reserve_opened, 1))
    return;
  fd = open("/", O_RDONLY | O_CLOEXEC);
  atomic_store(&reserve_fd, fd);
}

static int
emfile_trick(int listen_fd)
{
  int fd = atomic_exchange(&reserve_fd, -1), c, err;

  if (fd == -1)
    return UV_EMFILE;
  close(fd);
  for (;;) {
    c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
      err = errno == EINTR ? 0 : UV__ERR(errno);
      if (err == 0)
        continue;
      break;
    }
    close(c);
  }
  atomic_store(&reserve_fd, open("/", O_RDONLY | O_CLOEXEC));
  return err;
}

static void
stream_server_io(uv_stream_t *s)
{
  if (s->io_error_ != 0) {
    s->connection_cb_(s, s->io_error_);
    return; /* not watched: nothing more will come */
  }
  while (s->accepted_fd_ == -1 && (s->flags & UV_HANDLE_LISTENING)) {
    int fd = accept4(s->u.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0) {
      int err = UV__ERR(errno);

      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        fut_io_clear_ready(&s->io_, FUT_IO_READABLE);
        stream_poll_read(s);
        return;
      }
      if (errno == EMFILE || errno == ENFILE) {
        err = emfile_trick(s->u.fd);
        if (err == UV_EAGAIN) {
          fut_io_clear_ready(&s->io_, FUT_IO_READABLE);
          stream_poll_read(s);
          return;
        }
      }
      s->connection_cb_(s, err);
      if (s->flags & UV_HANDLE_LISTENING)
        stream_poll_read(s); /* again in the next round, not in a spin */
      return;
    }
    if (s->type == UV_TCP && (s->flags & UV_HANDLE_TCP_SINGLE_ACCEPT)) {
      struct timespec ts = { 0, 1 };

      nanosleep(&ts, NULL);
    }
    s->accepted_fd_ = fd;
    s->connection_cb_(s, 0);
    /* Not accepted in the callback: wait for uv_accept(). */
  }
}

static void
stream_read_ev(struct fut_kit_ev *ev)
{
  uv_stream_t *s = fut_kit_queue_data(ev, uv_stream_t, rev_);

  if (s->flags & UV_HANDLE_LISTENING)
    stream_server_io(s);
  else if (s->flags & UV_HANDLE_READING)
    stream_read(s);
}

int
uv_read_start(uv_stream_t *s, uv_alloc_cb alloc_cb, uv_read_cb read_cb)
{
  if (s == NULL || alloc_cb == NULL || read_cb == NULL)
    return UV_EINVAL;
  if (s->type != UV_TCP && s->type != UV_NAMED_PIPE && s->type != UV_TTY)
    return UV_EINVAL;
  if (uv__is_closing((uv_handle_t *)s))
    return UV_EINVAL;
  if (s->flags & UV_HANDLE_READING)
    return UV_EALREADY;
  if (!(s->flags & UV_HANDLE_READABLE))
    return UV_ENOTCONN;
  s->flags |= UV_HANDLE_READING;
  s->alloc_cb = alloc_cb;
  s->read_cb = read_cb;
  uv__handle_start((uv_handle_t *)s);
  stream_poll_read(s);
  return 0;
}

int
uv_read_stop(uv_stream_t *s)
{
  if (s == NULL)
    return UV_EINVAL;
  if (!(s->flags & UV_HANDLE_READING))
    return 0;
  s->flags &= ~UV_HANDLE_READING;
  stream_forget(s, &s->rev_, FUT_IO_READABLE);
  uv__handle_stop((uv_handle_t *)s);
  s->alloc_cb = NULL;
  s->read_cb = NULL;
  return 0;
}

/* ---- listening, accepting ------------------------------------------------------ */

int
uv_listen(uv_stream_t *s, int backlog, uv_connection_cb cb)
{
  int err;

  if (s == NULL || cb == NULL || uv__is_closing((uv_handle_t *)s))
    return UV_EINVAL;
  switch (s->type) {
  case UV_TCP:
    err = uv__tcp_listen((uv_tcp_t *)s, backlog);
    break;
  case UV_NAMED_PIPE:
    err = uv__pipe_listen((uv_pipe_t *)s, backlog);
    break;
  default:
    err = UV_EINVAL;
    break;
  }
  if (err != 0)
    return err;
  reserve_open();
  s->connection_cb_ = cb;
  s->flags |= UV_HANDLE_LISTENING | UV_HANDLE_BOUND;
  uv__handle_start((uv_handle_t *)s);
  stream_poll_read(s);
  return 0;
}

int
uv_accept(uv_stream_t *server, uv_stream_t *client)
{
  int err, fd;

  if (server == NULL || client == NULL)
    return UV_EINVAL;
  if (server->accepted_fd_ == -1)
    return UV_EAGAIN;
  if (client->type == UV_UDP) {
    /* A UDP socket that came over an IPC pipe. */
    if (uv__udp_fd((const uv_udp_t *)(void *)client) != -1)
      return UV_EBUSY;
    fd = server->accepted_fd_;
    err = uv_udp_open((uv_udp_t *)(void *)client, fd);
    if (err != 0)
      close(fd);
  } else {
    if (client->type != UV_TCP && client->type != UV_NAMED_PIPE)
      return UV_EINVAL;
    if (client->u.fd != -1)
      return UV_EBUSY;
    fd = server->accepted_fd_;
    err = uv__stream_open(client, fd, UV_HANDLE_READABLE | UV_HANDLE_WRITABLE);
    if (err != 0)
      close(fd);
    else
      client->flags |= UV_HANDLE_BOUND;
  }
  if (server->queued_fds_count_ > 0) {
    server->accepted_fd_ = server->queued_fds_[0];
    server->queued_fds_count_--;
    memmove(server->queued_fds_, server->queued_fds_ + 1,
            server->queued_fds_count_ * sizeof(int));
    if (server->queued_fds_count_ == 0) {
      uv__free(server->queued_fds_);
      server->queued_fds_ = NULL;
      server->queued_fds_cap_ = 0;
    }
  } else {
    server->accepted_fd_ = -1;
    if (server->flags & UV_HANDLE_LISTENING)
      stream_poll_read(server);
  }
  return err;
}

/* ---- small things ---------------------------------------------------------------- */

int uv_is_readable(const uv_stream_t *s) { return (s->flags & UV_HANDLE_READABLE) != 0; }
int uv_is_writable(const uv_stream_t *s) { return (s->flags & UV_HANDLE_WRITABLE) != 0; }
size_t uv_stream_get_write_queue_size(const uv_stream_t *s) { return s->write_queue_size; }

int
uv_stream_set_blocking(uv_stream_t *s, int blocking)
{
  int err;

  if (s == NULL)
    return UV_EINVAL;
  if (s->u.fd < 0)
    return UV_EBADF;
  err = uv__nonblock(s->u.fd, !blocking);
  if (err != 0)
    return err;
  if (blocking)
    s->flags |= UV_HANDLE_BLOCKING_WRITES;
  else
    s->flags &= ~UV_HANDLE_BLOCKING_WRITES;
  return 0;
}
