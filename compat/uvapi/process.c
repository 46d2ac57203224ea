/* SPDX-License-Identifier: MIT */
/*
 * compat/uvapi: child processes. The core's fut_process_spawn() cannot
 * express libuv's options (any number of stdio slots with inherited
 * descriptors at any position, socketpairs, uid/gid, setsid), so the fork
 * and exec are done here, as libuv does: every signal blocked around
 * fork(2); in the child, the stdio descriptors put in place, cwd, setsid,
 * setgid/setuid, signals back to their defaults and unblocked, then exec;
 * a failure in the child is reported through a close-on-exec pipe, so
 * uv_spawn() returns it. The exit is waited for with a pidfd polled
 * through a struct fut_io (a SIGCHLD listener of the core, signal.h,
 * where the kernel has no pidfd); only the child's own pid is waited for.
 */
#include "internal.h"

#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void process_ev(struct fut_kit_ev *ev);

int
uv_kill(int pid, int signum)
{
  if (kill(pid, signum) != 0)
    return UV__ERR(errno);
  return 0;
}

uv_pid_t uv_process_get_pid(const uv_process_t *process) { return process->pid; }

int
uv_process_kill(uv_process_t *process, int signum)
{
  if (process == NULL)
    return UV_EINVAL;
  /* Reaped (or never started): its pid may be another process's now. */
  if (process->pid <= 0 || process->reaped_)
    return UV_ESRCH;
  return uv_kill(process->pid, signum);
}

void
uv_disable_stdio_inheritance(void)
{
  int fd;

  /* Up to the first descriptor that is not open above 15, as libuv. */
  for (fd = 0;; fd++) {
    int fl = fcntl(fd, F_GETFD);

    if (fl < 0) {
      if (fd > 15)
        break;
      continue;
    }
    (void)fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
  }
}

/* ---- the child ---------------------------------------------------------- */

static void
child_fail(int error_fd)
{
  int e = UV__ERR(errno);
  ssize_t n;

  do
    n = write(error_fd, &e, sizeof e);
  while (n == -1 && errno == EINTR);
  _exit(127);
}

/* execvp(3) with the child's environment, without allocating. */
static void
child_exec(const char *file, char **args)
{
  const char *path = NULL, *p;
  char buf[4096];
  int saw_eacces = 0;
  size_t flen = strlen(file);
  char **e;

  if (*file == '\0') {
    errno = ENOENT;
    return;
  }
  if (strchr(file, '/') != NULL) {
    execve(file, args, environ);
    return;
  }
  for (e = environ; e != NULL && *e != NULL; e++)
    if (strncmp(*e, "PATH=", 5) == 0) {
      path = *e + 5;
      break;
    }
  if (path == NULL)
    path = "/bin:/usr/bin";
  errno = ENOENT;
  for (p = path;; p++) {
    const char *end = strchr(p, ':');
    size_t dlen = end != NULL ? (size_t)(end - p) : strlen(p);

    if (dlen + flen + 2 <= sizeof buf) {
      if (dlen == 0) {
        memcpy(buf, file, flen + 1); /* an empty entry: the cwd */
      } else {
        memcpy(buf, p, dlen);
        buf[dlen] = '/';
        memcpy(buf + dlen + 1, file, flen + 1);
      }
      execve(buf, args, environ);
      switch (errno) {
      case EACCES:
        saw_eacces = 1;
        break;
      case ENOENT:
      case ENOTDIR:
      case ESTALE:
      case ELOOP:
      case ENAMETOOLONG:
      case ENODEV:
      case ETIMEDOUT:
        break;
      default:
        return;
      }
    }
    if (end == NULL)
      break;
    p = end;
  }
  if (saw_eacces)
    errno = EACCES;
}

static void
child_init(const uv_process_options_t *o, int stdio_count, int (*pipes)[2],
           int error_fd)
{
  struct sigaction sa;
  sigset_t none;
  int fd, n;

  if (o->flags & UV_PROCESS_DETACHED)
    (void)setsid();
  /* Move out of the way the descriptors an earlier dup2() would clobber. */
  for (fd = 0; fd < stdio_count; fd++) {
    int use_fd = pipes[fd][1];

    if (use_fd < 0 || use_fd >= fd)
      continue;
    pipes[fd][1] = fcntl(use_fd, F_DUPFD_CLOEXEC, stdio_count);
    if (pipes[fd][1] == -1)
      child_fail(error_fd);
  }
  for (fd = 0; fd < stdio_count; fd++) {
    int use_fd = pipes[fd][1], opened = -1;

    if (use_fd < 0) {
      if (fd >= 3)
        continue;
      /* 0..2 the program did not give: /dev/null. */
      opened = open("/dev/null", (fd == 0 ? O_RDONLY : O_RDWR) | O_CLOEXEC);
      if (opened < 0)
        child_fail(error_fd);
      use_fd = opened;
    }
    if (fd == use_fd) {
      if (fcntl(fd, F_SETFD, 0) != 0)
        child_fail(error_fd);
    } else if (dup2(use_fd, fd) < 0) {
      child_fail(error_fd);
    }
    if (fd <= 2 && (fd >= o->stdio_count ||
                    !(o->stdio[fd].flags & UV_NONBLOCK_PIPE))) {
      int fl = fcntl(fd, F_GETFL);

      if (fl >= 0 && (fl & O_NONBLOCK))
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    if (opened >= 0 && opened != fd)
      close(opened);
  }
  for (fd = 0; fd < stdio_count; fd++)
    if (pipes[fd][1] >= stdio_count)
      close(pipes[fd][1]);
  if (o->cwd != NULL && chdir(o->cwd) != 0)
    child_fail(error_fd);
  if (o->flags & (UV_PROCESS_SETUID | UV_PROCESS_SETGID))
    (void)setgroups(0, NULL); /* may fail without privilege: harmless */
  if ((o->flags & UV_PROCESS_SETGID) && setgid(o->gid) != 0)
    child_fail(error_fd);
  if ((o->flags & UV_PROCESS_SETUID) && setuid(o->uid) != 0)
    child_fail(error_fd);
  if (o->env != NULL)
    environ = o->env;
  /* Signals: default dispositions (the parent's handlers must not run
   * here), then none blocked. */
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (n = 1; n < NSIG; n++) {
    if (n == SIGKILL || n == SIGSTOP)
      continue;
    (void)sigaction(n, &sa, NULL);
  }
  sigemptyset(&none);
  (void)pthread_sigmask(SIG_SETMASK, &none, NULL);
  child_exec(o->file, o->args);
  child_fail(error_fd);
}

/* ---- the parent ---------------------------------------------------------- */

static void
process_release(uv_process_t *p)
{
  uv__ev_cancel(&p->ev_);
  if (p->pidfd_.fd >= 0) {
    (void)fut_io_close(&p->pidfd_);
    close(p->pidfd_.fd);
    p->pidfd_.fd = -1;
  }
  if (p->chld_open_) {
    (void)fut_signal_close(&p->chld_);
    p->chld_open_ = 0;
  }
}

/* Set up what the parent waits with: a pidfd, else a SIGCHLD listener. */
static int
process_wait_init(uv_process_t *p)
{
#ifdef SYS_pidfd_open
  int fd = (int)syscall(SYS_pidfd_open, p->pid, 0);

  if (fd >= 0) {
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    (void)fut_io_init(&p->pidfd_, fd);
    return 0;
  }
#endif
  {
    int err = fut_signal_init_one(&p->chld_, SIGCHLD);

    if (err != 0)
      return err;
    p->chld_open_ = 1;
  }
  return 0;
}

/* Container checks and the descriptors for slot @i: pipes[i][0] is the
 * parent's end of a socketpair (or -1), pipes[i][1] the child's. */
static int
stdio_init(const uv_stdio_container_t *c, int pipes[2])
{
  int fd;

  pipes[0] = pipes[1] = -1;
  switch (c->flags & (UV_IGNORE | UV_CREATE_PIPE | UV_INHERIT_FD |
                      UV_INHERIT_STREAM)) {
  case UV_IGNORE:
    return 0;
  case UV_CREATE_PIPE:
    if (c->data.stream == NULL || c->data.stream->type != UV_NAMED_PIPE)
      return UV_EINVAL;
    if (uv_fileno((const uv_handle_t *)c->data.stream, &fd) == 0)
      return UV_EBUSY;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pipes) != 0) {
      pipes[0] = pipes[1] = -1;
      return UV__ERR(errno);
    }
    return 0;
  case UV_INHERIT_FD:
    if (c->data.fd < 0)
      return UV_EINVAL;
    pipes[1] = c->data.fd;
    return 0;
  case UV_INHERIT_STREAM:
    if (c->data.stream == NULL ||
        uv_fileno((const uv_handle_t *)c->data.stream, &fd) != 0)
      return UV_EINVAL;
    pipes[1] = fd;
    return 0;
  default:
    return UV_EINVAL;
  }
}

static int
is_created(const uv_process_options_t *o, int i)
{
  return i < o->stdio_count &&
         (o->stdio[i].flags & (UV_IGNORE | UV_CREATE_PIPE | UV_INHERIT_FD |
                               UV_INHERIT_STREAM)) == UV_CREATE_PIPE;
}

static void
close_pipes(const uv_process_options_t *o, int stdio_count, int (*pipes)[2],
            int parent, int child)
{
  int i;

  for (i = 0; i < stdio_count; i++) {
    if (!is_created(o, i))
      continue;
    if (parent && pipes[i][0] >= 0) {
      close(pipes[i][0]);
      pipes[i][0] = -1;
    }
    if (child && pipes[i][1] >= 0) {
      close(pipes[i][1]);
      pipes[i][1] = -1;
    }
  }
}

static void
reap_blocking(pid_t pid)
{
  while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
    ;
}

int
uv_spawn(uv_loop_t *loop, uv_process_t *process,
         const uv_process_options_t *options)
{
  const unsigned int known = UV_PROCESS_SETUID | UV_PROCESS_SETGID |
                             UV_PROCESS_WINDOWS_VERBATIM_ARGUMENTS |
                             UV_PROCESS_DETACHED | UV_PROCESS_WINDOWS_HIDE |
                             UV_PROCESS_WINDOWS_HIDE_CONSOLE |
                             UV_PROCESS_WINDOWS_HIDE_GUI;
  int pipes_small[8][2];
  int (*pipes)[2] = pipes_small;
  int err_pipe[2] = { -1, -1 };
  sigset_t all, old;
  int stdio_count, i, err = 0, exec_err = 0;
  ssize_t n;
  pid_t pid;

  if (loop == NULL || process == NULL)
    return UV_EINVAL;
  uv__handle_init(loop, (uv_handle_t *)process, UV_PROCESS);
  process->exit_cb = options != NULL ? options->exit_cb : NULL;
  process->pid = 0;
  process->chld_open_ = 0;
  process->reaped_ = 0;
  (void)fut_io_init(&process->pidfd_, 0);
  process->pidfd_.fd = -1;
  uv__ev_init(loop, &process->ev_, process_ev);
  if (options == NULL || options->file == NULL || options->args == NULL ||
      (options->flags & ~known) != 0 || options->stdio_count < 0 ||
      (options->stdio_count > 0 && options->stdio == NULL))
    return UV_EINVAL;

  stdio_count = options->stdio_count < 3 ? 3 : options->stdio_count;
  if ((size_t)stdio_count > sizeof pipes_small / sizeof pipes_small[0]) {
    pipes = uv__malloc((size_t)stdio_count * sizeof *pipes);
    if (pipes == NULL)
      return UV_ENOMEM;
  }
  for (i = 0; i < stdio_count; i++)
    pipes[i][0] = pipes[i][1] = -1;
  for (i = 0; i < options->stdio_count && err == 0; i++)
    err = stdio_init(&options->stdio[i], pipes[i]);
  if (err == 0 && pipe2(err_pipe, O_CLOEXEC) != 0)
    err = UV__ERR(errno);
  if (err != 0)
    goto fail;

  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  pid = fork();
  if (pid == 0) {
    close(err_pipe[0]);
    child_init(options, stdio_count, pipes, err_pipe[1]);
    _exit(127); /* not reached */
  }
  if (pid == -1)
    err = UV__ERR(errno);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  close(err_pipe[1]);
  err_pipe[1] = -1;
  close_pipes(options, stdio_count, pipes, 0, 1);
  if (pid == -1)
    goto fail;

  /* The child's report: its errno if it did not get to exec, else end
   * of file when exec closed the pipe. */
  do
    n = read(err_pipe[0], &exec_err, sizeof exec_err);
  while (n == -1 && errno == EINTR);
  close(err_pipe[0]);
  err_pipe[0] = -1;
  if (n == (ssize_t)sizeof exec_err) {
    reap_blocking(pid);
    err = exec_err;
    goto fail;
  }
  process->pid = pid;
  err = process_wait_init(process);
  for (i = 0; i < stdio_count && err == 0; i++) {
    unsigned int flags = 0;

    if (!is_created(options, i))
      continue;
    if (options->stdio[i].flags & UV_WRITABLE_PIPE)
      flags |= UV_HANDLE_READABLE;
    if (options->stdio[i].flags & UV_READABLE_PIPE)
      flags |= UV_HANDLE_WRITABLE;
    err = uv__stream_open(options->stdio[i].data.stream, pipes[i][0], flags);
    if (err == 0)
      pipes[i][0] = -1; /* the stream's now */
  }
  if (err != 0) {
    /* Nothing may be left running behind a failed uv_spawn(). */
    process_release(process);
    kill(pid, SIGKILL);
    reap_blocking(pid);
    process->pid = 0;
    goto fail;
  }
  if (pipes != pipes_small)
    uv__free(pipes);
  uv__handle_start((uv_handle_t *)process);
  /* Check (and arm the wait) in the next poll phase. */
  uv__ev_feed(&process->ev_);
  return 0;

fail:
  close_pipes(options, stdio_count, pipes, 1, 1);
  if (err_pipe[0] >= 0)
    close(err_pipe[0]);
  if (err_pipe[1] >= 0)
    close(err_pipe[1]);
  if (pipes != pipes_small)
    uv__free(pipes);
  return err;
}

/* Arm the wait; returns 1 if it should be checked again at once. */
static int
process_arm(uv_process_t *p)
{
  struct fut_waker w;
  struct fut_context cx;
  int res = 0, signo;

  uv__ev_context(&p->ev_, &w, &cx);
  if (p->pidfd_.fd >= 0) {
    fut_io_clear_ready(&p->pidfd_, FUT_IO_READABLE);
    return fut_io_poll_ready(&p->pidfd_, &cx, FUT_IO_READABLE, &res) ==
           FUT_READY;
  }
  if (p->chld_open_) {
    int got = 0;

    while (fut_signal_poll_recv(&p->chld_, &cx, &signo, &res) == FUT_READY) {
      if (res < 0)
        return 0;
      got = 1;
    }
    return got;
  }
  return 0;
}

static void
process_ev(struct fut_kit_ev *ev)
{
  uv_process_t *p = fut_kit_queue_data(ev, uv_process_t, ev_);
  int status = 0, term_signal = 0;
  int64_t exit_status = 0;
  pid_t r;

  if (p->reaped_ || uv__is_closing((uv_handle_t *)p))
    return;
  do
    r = waitpid(p->pid, &status, WNOHANG);
  while (r == -1 && errno == EINTR);
  if (r == 0) {
    if (process_arm(p))
      uv__ev_feed(&p->ev_);
    return;
  }
  p->reaped_ = 1;
  process_release(p);
  uv__handle_stop((uv_handle_t *)p);
  if (r == -1)
    return; /* ECHILD: the program reaped it itself; nothing to report */
  if (WIFEXITED(status))
    exit_status = WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    term_signal = WTERMSIG(status);
  if (p->exit_cb != NULL)
    p->exit_cb(p, exit_status, term_signal);
}

void
uv__process_close(uv_process_t *handle)
{
  process_release(handle);
  /* An exited child is reaped now; one still running is left alone, as
   * libuv does (it is no longer this handle's). */
  if (!handle->reaped_ && handle->pid > 0 &&
      waitpid(handle->pid, NULL, WNOHANG) == handle->pid)
    handle->reaped_ = 1;
  uv__handle_stop((uv_handle_t *)handle);
}
