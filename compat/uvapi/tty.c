/* SPDX-License-Identifier: MIT */
/* compat/uvapi: TTY handles (libuv 1.44's behaviour on Unix). */
#include "stream-internal.h"

#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* The mode of the first terminal whose mode changed, for uv_tty_reset_mode(). */
static int orig_termios_fd = -1;
static struct termios orig_termios;
static atomic_int termios_lock;

/* A pty master cannot be reopened (that would make a new pair): is @fd a
 * slave (or another terminal)? A master answers TIOCGPTN. */
static int
tty_is_slave(int fd)
{
  int dummy;

  return ioctl(fd, TIOCGPTN, &dummy) != 0;
}

int
uv_tty_init(uv_loop_t *loop, uv_tty_t *tty, uv_file fd, int readable)
{
  uv_handle_type type;
  unsigned int flags = 0;
  int mode, newfd = -1, err;
  char path[256];

  (void)readable; /* the access mode decides, as libuv on Unix */
  if (loop == NULL || tty == NULL || fd < 0)
    return UV_EINVAL;
  type = uv_guess_handle(fd);
  if (type == UV_FILE || type == UV_UNKNOWN_HANDLE)
    return UV_EINVAL;
  do
    mode = fcntl(fd, F_GETFL);
  while (mode == -1 && errno == EINTR);
  if (mode == -1)
    return UV__ERR(errno);
  mode &= O_ACCMODE;
  if (type == UV_TTY) {
    /* Reopen the terminal so that O_NONBLOCK does not reach the other
     * processes that share its open file description (libuv does this). */
    if (tty_is_slave(fd) && ttyname_r(fd, path, sizeof path) == 0)
      newfd = open(path, mode | O_NOCTTY | O_CLOEXEC);
    if (newfd < 0) {
      newfd = -1;
      if (mode != O_RDONLY)
        flags |= UV_HANDLE_BLOCKING_WRITES; /* fall back to blocking writes */
    } else if (dup2(newfd, fd) < 0 && errno != EINVAL) {
      err = UV__ERR(errno);
      close(newfd);
      return err;
    } else {
      fd = newfd;
    }
  }
  uv__stream_init(loop, (uv_stream_t *)tty, UV_TTY);
  if (mode != O_WRONLY)
    flags |= UV_HANDLE_READABLE;
  if (mode != O_RDONLY)
    flags |= UV_HANDLE_WRITABLE;
  err = uv__stream_open((uv_stream_t *)tty, fd, flags);
  if (err != 0) {
    fut_kit_queue_remove(&tty->handle_queue);
    if (newfd != -1)
      close(newfd);
    return err;
  }
  tty->mode_ = UV_TTY_MODE_NORMAL;
  return 0;
}

static int
tty_setattr(int fd, const struct termios *t)
{
  int r;

  do
    r = tcsetattr(fd, TCSADRAIN, t);
  while (r == -1 && errno == EINTR);
  return r == -1 ? UV__ERR(errno) : 0;
}

int
uv_tty_set_mode(uv_tty_t *tty, uv_tty_mode_t mode)
{
  struct termios tmp;
  int fd, r;

  if (tty == NULL)
    return UV_EINVAL;
  if (mode != UV_TTY_MODE_NORMAL && mode != UV_TTY_MODE_RAW &&
      mode != UV_TTY_MODE_IO)
    return UV_EINVAL;
  if (tty->mode_ == (int)mode)
    return 0;
  fd = tty->u.fd;
  if (fd < 0)
    return UV_EBADF;
  if (tty->mode_ == UV_TTY_MODE_NORMAL) {
    do
      r = tcgetattr(fd, &tty->orig_termios_);
    while (r == -1 && errno == EINTR);
    if (r == -1)
      return UV__ERR(errno);
    while (atomic_exchange(&termios_lock, 1))
      ;
    if (orig_termios_fd == -1) {
      orig_termios = tty->orig_termios_;
      orig_termios_fd = fd;
    }
    atomic_store(&termios_lock, 0);
  }
  tmp = tty->orig_termios_;
  switch (mode) {
  case UV_TTY_MODE_NORMAL:
    break;
  case UV_TTY_MODE_RAW:
    tmp.c_iflag &= ~(tcflag_t)(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
    tmp.c_oflag |= ONLCR;
    tmp.c_cflag |= CS8;
    tmp.c_lflag &= ~(tcflag_t)(ECHO | ICANON | IEXTEN | ISIG);
    tmp.c_cc[VMIN] = 1;
    tmp.c_cc[VTIME] = 0;
    break;
  case UV_TTY_MODE_IO:
    cfmakeraw(&tmp);
    break;
  }
  r = tty_setattr(fd, &tmp);
  if (r == 0)
    tty->mode_ = (int)mode;
  return r;
}

int
uv_tty_reset_mode(void)
{
  int saved = errno, err = 0;

  if (atomic_exchange(&termios_lock, 1))
    return UV_EBUSY; /* inside uv_tty_set_mode() */
  if (orig_termios_fd != -1 &&
      tcsetattr(orig_termios_fd, TCSANOW, &orig_termios) != 0)
    err = UV__ERR(errno);
  atomic_store(&termios_lock, 0);
  errno = saved;
  return err;
}

int
uv_tty_get_winsize(uv_tty_t *tty, int *width, int *height)
{
  struct winsize ws;
  int r;

  if (tty == NULL || width == NULL || height == NULL)
    return UV_EINVAL;
  do
    r = ioctl(tty->u.fd, TIOCGWINSZ, &ws);
  while (r == -1 && errno == EINTR);
  if (r == -1)
    return UV__ERR(errno);
  *width = ws.ws_col;
  *height = ws.ws_row;
  return 0;
}

void
uv_tty_set_vterm_state(uv_tty_vtermstate_t state)
{
  (void)state;
}

int
uv_tty_get_vterm_state(uv_tty_vtermstate_t *state)
{
  (void)state;
  return UV_ENOTSUP;
}
