/* SPDX-License-Identifier: MIT */
/* compat/uvapi: pipes: Unix domain sockets and pipe descriptors (libuv 1.44 on Linux). */
#include "stream-internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* uv_pipe_chmod()'s flags: UV_READABLE and UV_WRITABLE (uv_poll_event). */
enum { PIPE_READABLE = 1, PIPE_WRITABLE = 2 };
/* UV_NONBLOCK_PIPE (uv_stdio_flags). */
enum { PIPE_NONBLOCK = 0x40 };

int
uv_pipe_init(uv_loop_t *loop, uv_pipe_t *handle, int ipc)
{
  if (loop == NULL || handle == NULL)
    return UV_EINVAL;
  uv__stream_init(loop, (uv_stream_t *)handle, UV_NAMED_PIPE);
  handle->ipc = ipc;
  handle->pipe_fname_ = NULL;
  return 0;
}

void
uv__pipe_close(uv_pipe_t *handle)
{
  if (handle->pipe_fname_ != NULL) {
    /* Unlink the socket file; no other handle may own it (libuv does the same). */
    unlink(handle->pipe_fname_);
    uv__free((void *)(uintptr_t)handle->pipe_fname_);
    handle->pipe_fname_ = NULL;
  }
}

int
uv_pipe_open(uv_pipe_t *handle, uv_file fd)
{
  unsigned int flags = 0;
  int mode;

  if (handle == NULL || fd < 0)
    return UV_EINVAL;
  if (handle->u.fd != -1)
    return UV_EBUSY;
  do
    mode = fcntl(fd, F_GETFL);
  while (mode == -1 && errno == EINTR);
  if (mode == -1)
    return UV__ERR(errno);
  mode &= O_ACCMODE;
  if (mode != O_WRONLY)
    flags |= UV_HANDLE_READABLE;
  if (mode != O_RDONLY)
    flags |= UV_HANDLE_WRITABLE;
  return uv__stream_open((uv_stream_t *)handle, fd, flags);
}

/* A sockaddr_un for @name, truncated to sun_path as libuv 1.44 does. */
static void
pipe_addr(struct sockaddr_un *sa, const char *name)
{
  size_t n = strlen(name);

  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if (n >= sizeof sa->sun_path)
    n = sizeof sa->sun_path - 1;
  memcpy(sa->sun_path, name, n);
}

int
uv_pipe_bind(uv_pipe_t *handle, const char *name)
{
  struct sockaddr_un sa;
  char *fname;
  int fd, err;

  if (handle == NULL || name == NULL || uv__is_closing((uv_handle_t *)handle))
    return UV_EINVAL;
  if (handle->u.fd >= 0)
    return UV_EINVAL; /* bound already */
  pipe_addr(&sa, name);
  /* The name as bound (truncated), so that the close unlinks that file. */
  fname = uv__strdup(sa.sun_path);
  if (fname == NULL)
    return UV_ENOMEM;
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = UV__ERR(errno);
    uv__free(fname);
    return err;
  }
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    err = UV__ERR(errno);
    if (err == UV_ENOENT)
      err = UV_EACCES; /* as libuv */
    close(fd);
    uv__free(fname);
    return err;
  }
  err = uv__stream_open((uv_stream_t *)handle, fd, 0);
  if (err != 0) {
    unlink(fname);
    close(fd);
    uv__free(fname);
    return err;
  }
  handle->flags |= UV_HANDLE_BOUND;
  handle->pipe_fname_ = fname;
  return 0;
}

int
uv__pipe_listen(uv_pipe_t *handle, int backlog)
{
  if (handle->u.fd == -1 || handle->ipc)
    return UV_EINVAL;
  if (listen(handle->u.fd, backlog) != 0)
    return UV__ERR(errno);
  return 0;
}

void
uv_pipe_connect(uv_connect_t *req, uv_pipe_t *handle, const char *name,
                uv_connect_cb cb)
{
  struct sockaddr_un sa;
  int err = 0, r, fd = handle->u.fd;

  if (name == NULL) {
    err = UV_EINVAL;
    goto out;
  }
  if (fd == -1) {
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      err = UV__ERR(errno);
      goto out;
    }
    err = uv__stream_open((uv_stream_t *)handle, fd, 0);
    if (err != 0) {
      close(fd);
      goto out;
    }
  }
  pipe_addr(&sa, name);
  do
    r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
  while (r == -1 && errno == EINTR);
  if (r == -1 && errno != EINPROGRESS) {
    err = UV__ERR(errno);
    goto out;
  }
  if (r == -1) /* not writable until connected, whatever was seen before */
    fut_io_clear_ready(&handle->io_, FUT_IO_WRITABLE);
  handle->flags |= UV_HANDLE_READABLE | UV_HANDLE_WRITABLE;
out:
  /* Errors too are told by the callback, in the next iteration. */
  uv__stream_connect_start((uv_stream_t *)handle, req, err, cb);
}

static int
pipe_name(const uv_pipe_t *handle, char *buffer, size_t *size, int peer)
{
  struct sockaddr_un sa;
  socklen_t len = sizeof sa;
  size_t n;
  int r;

  if (handle == NULL || size == NULL)
    return UV_EINVAL;
  if (handle->u.fd < 0 || uv__is_closing((const uv_handle_t *)handle)) {
    *size = 0;
    return UV_EBADF;
  }
  memset(&sa, 0, sizeof sa);
  r = peer ? getpeername(handle->u.fd, (struct sockaddr *)&sa, &len)
           : getsockname(handle->u.fd, (struct sockaddr *)&sa, &len);
  if (r != 0) {
    *size = 0;
    return UV__ERR(errno);
  }
  if (sa.sun_path[0] == '\0') /* Linux's abstract namespace, or unnamed */
    n = len > offsetof(struct sockaddr_un, sun_path)
            ? len - offsetof(struct sockaddr_un, sun_path)
            : 0;
  else
    n = strnlen(sa.sun_path, sizeof sa.sun_path);
  if (n >= *size) {
    *size = n + 1;
    return UV_ENOBUFS;
  }
  memcpy(buffer, sa.sun_path, n);
  *size = n;
  if (n > 0 && buffer[0] != '\0')
    buffer[n] = '\0';
  return 0;
}

int
uv_pipe_getsockname(const uv_pipe_t *handle, char *buffer, size_t *size)
{
  return pipe_name(handle, buffer, size, 0);
}

int
uv_pipe_getpeername(const uv_pipe_t *handle, char *buffer, size_t *size)
{
  return pipe_name(handle, buffer, size, 1);
}

void
uv_pipe_pending_instances(uv_pipe_t *handle, int count)
{
  (void)handle;
  (void)count;
}

int
uv_pipe_pending_count(uv_pipe_t *handle)
{
  if (handle == NULL || !handle->ipc || handle->accepted_fd_ == -1)
    return 0;
  return 1 + (int)handle->queued_fds_count_;
}

uv_handle_type
uv_pipe_pending_type(uv_pipe_t *handle)
{
  if (handle == NULL || !handle->ipc || handle->accepted_fd_ == -1)
    return UV_UNKNOWN_HANDLE;
  return uv_guess_handle(handle->accepted_fd_);
}

int
uv_pipe_chmod(uv_pipe_t *handle, int flags)
{
  char name[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  size_t len = sizeof name;
  struct stat st;
  mode_t want = 0;
  int r;

  if (handle == NULL || handle->u.fd == -1)
    return UV_EBADF;
  if (flags != PIPE_READABLE && flags != PIPE_WRITABLE &&
      flags != (PIPE_READABLE | PIPE_WRITABLE))
    return UV_EINVAL;
  r = uv_pipe_getsockname(handle, name, &len);
  if (r != 0)
    return r;
  if (len == 0 || name[0] == '\0')
    return UV_EBADF; /* not bound to a path */
  if (stat(name, &st) != 0)
    return UV__ERR(errno);
  if (flags & PIPE_READABLE)
    want |= S_IRUSR | S_IRGRP | S_IROTH;
  if (flags & PIPE_WRITABLE)
    want |= S_IWUSR | S_IWGRP | S_IWOTH;
  if ((st.st_mode & want) == want)
    return 0;
  if (chmod(name, st.st_mode | want) != 0)
    return UV__ERR(errno);
  return 0;
}

int
uv_pipe(uv_file fds[2], int read_flags, int write_flags)
{
  int p[2], err;

  if (fds == NULL)
    return UV_EINVAL;
  if (pipe2(p, O_CLOEXEC) != 0)
    return UV__ERR(errno);
  if (((read_flags & PIPE_NONBLOCK) && (err = uv__nonblock(p[0], 1)) != 0) ||
      ((write_flags & PIPE_NONBLOCK) && (err = uv__nonblock(p[1], 1)) != 0)) {
    close(p[0]);
    close(p[1]);
    return err;
  }
  fds[0] = p[0];
  fds[1] = p[1];
  return 0;
}
