/* SPDX-License-Identifier: MIT */
/* tests/uvapi: processes and signal handles: libuv's documented callback
 * order, return values, error codes. */
#include "uvtest.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>


static int exit_calls, close_calls;
static int64_t last_exit_status;
static int last_term_signal;

static void
close_cb(uv_handle_t *h)
{
  (void)h;
  close_calls++;
}

static void
exit_cb(uv_process_t *p, int64_t exit_status, int term_signal)
{
  exit_calls++;
  last_exit_status = exit_status;
  last_term_signal = term_signal;
  ck_assert_int_eq(uv_is_active((uv_handle_t *)p), 0);
  uv_close((uv_handle_t *)p, close_cb);
}

static void
reset(void)
{
  exit_calls = close_calls = 0;
  last_exit_status = -1;
  last_term_signal = -1;
}

static void
opts_init(uv_process_options_t *o, char **args)
{
  memset(o, 0, sizeof *o);
  o->file = args[0];
  o->args = args;
  o->exit_cb = exit_cb;
}

/* Run "/bin/sh -c @script" with @o's other settings; returns uv_spawn's. */
static int
spawn_sh(uv_loop_t *loop, uv_process_t *p, uv_process_options_t *o,
         const char *script)
{
  static char *args[4];

  args[0] = "/bin/sh";
  args[1] = "-c";
  args[2] = (char *)script;
  args[3] = NULL;
  o->file = args[0];
  o->args = args;
  if (o->exit_cb == NULL)
    o->exit_cb = exit_cb;
  return uv_spawn(loop, p, o);
}

START_TEST(test_spawn_exit_status)
{
  uv_loop_t loop;
  uv_process_t p;
  uv_process_options_t o;

  reset();
  memset(&o, 0, sizeof o);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(spawn_sh(&loop, &p, &o, "exit 3"), 0);
  ck_assert_int_gt(p.pid, 0);
  ck_assert_int_eq(uv_process_get_pid(&p), p.pid);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&p), 1);
  ck_assert_int_eq(p.type, UV_PROCESS);
  ck_assert_int_eq(exit_calls, 0); /* never from uv_spawn() */
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(exit_calls, 1);
  ck_assert_int_eq(last_exit_status, 3);
  ck_assert_int_eq(last_term_signal, 0);
  ck_assert_int_eq(close_calls, 1);
  /* reaped: no signal goes to a pid that may be another's now */
  ck_assert_int_eq(uv_process_kill(&p, 0), UV_ESRCH);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

START_TEST(test_spawn_killed)
{
  uv_loop_t loop;
  uv_process_t p;
  uv_process_options_t o;
  char *args[] = { "sleep", "30", NULL }; /* found through PATH */

  reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  opts_init(&o, args);
  ck_assert_int_eq(uv_spawn(&loop, &p, &o), 0);
  ck_assert_int_eq(uv_process_kill(&p, 0), 0);
  ck_assert_int_eq(uv_process_kill(&p, SIGTERM), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(exit_calls, 1);
  ck_assert_int_eq(last_term_signal, SIGTERM);
  ck_assert_int_eq(last_exit_status, 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

START_TEST(test_spawn_enoent)
{
  uv_loop_t loop;
  uv_process_t p;
  uv_process_options_t o;
  char *args[] = { "/nonexistent/program", NULL };
  char *args2[] = { "no-such-program-uvapi-test", NULL };

  reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  opts_init(&o, args);
  ck_assert_int_eq(uv_spawn(&loop, &p, &o), UV_ENOENT);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&p), 0);
  uv_close((uv_handle_t *)&p, close_cb);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0); /* closed before reuse */
  opts_init(&o, args2);
  ck_assert_int_eq(uv_spawn(&loop, &p, &o), UV_ENOENT);
  uv_close((uv_handle_t *)&p, close_cb);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0); /* closed before reuse */
  /* a missing cwd fails the spawn too */
  opts_init(&o, args);
  o.cwd = "/nonexistent/dir";
  ck_assert_int_eq(spawn_sh(&loop, &p, &o, "exit 0"), UV_ENOENT);
  uv_close((uv_handle_t *)&p, close_cb);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0); /* closed before reuse */
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(exit_calls, 0);
  ck_assert_int_eq(close_calls, 3);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

START_TEST(test_spawn_einval)
{
  uv_loop_t loop;
  uv_process_t p;
  uv_process_options_t o;
  uv_stdio_container_t stdio[3];
  char *args[] = { "/bin/true", NULL };

  reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  opts_init(&o, args);
  o.file = NULL;
  ck_assert_int_eq(uv_spawn(&loop, &p, &o), UV_EINVAL);
  uv_close((uv_handle_t *)&p, NULL);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0); /* closed before reuse */
  opts_init(&o, args);
  o.flags = 1u << 12;
  ck_assert_int_eq(uv_spawn(&loop, &p, &o), UV_EINVAL);
  uv_close((uv_handle_t *)&p, NULL);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0); /* closed before reuse */
  opts_init(&o, args);
  memset(stdio, 0, sizeof stdio);
  stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE; /* no stream */
  o.stdio = stdio;
  o.stdio_count = 3;
  ck_assert_int_eq(uv_spawn(&loop, &p, &o), UV_EINVAL);
  uv_close((uv_handle_t *)&p, NULL);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0); /* closed before reuse */
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = -1;
  ck_assert_int_eq(uv_spawn(&loop, &p, &o), UV_EINVAL);
  uv_close((uv_handle_t *)&p, NULL);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0); /* closed before reuse */
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(exit_calls, 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* Read what a child wrote to the pipe @fd (its write end closed). */
static void
read_all(int fd, char *buf, size_t len)
{
  size_t got = 0;
  ssize_t n;

  while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
    got += (size_t)n;
  buf[got] = '\0';
}

START_TEST(test_spawn_inherit_fd_cwd_env)
{
  uv_loop_t loop;
  uv_process_t p;
  uv_process_options_t o;
  uv_stdio_container_t stdio[4];
  char *env[] = { "UVAPI_FOO=bar baz", NULL };
  char out[256];
  int pfd[2], pfd3[2];

  reset();
  ck_assert_int_eq(pipe(pfd), 0);
  ck_assert_int_eq(pipe(pfd3), 0);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  memset(&o, 0, sizeof o);
  memset(stdio, 0, sizeof stdio);
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = pfd[1];
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  stdio[3].flags = UV_INHERIT_FD;
  stdio[3].data.fd = pfd3[1];
  o.stdio = stdio;
  o.stdio_count = 4;
  o.cwd = "/";
  o.env = env;
  ck_assert_int_eq(spawn_sh(&loop, &p, &o,
                            "echo \"$(pwd)|$UVAPI_FOO|$HOME\"; echo fd3 >&3; "
                            "read x; echo \"stdin:$x\""),
                   0);
  close(pfd[1]);
  close(pfd3[1]);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(exit_calls, 1);
  ck_assert_int_eq(last_exit_status, 0);
  read_all(pfd[0], out, sizeof out);
  /* cwd, the given environment only, stdin is /dev/null */
  ck_assert_str_eq(out, "/|bar baz|\nstdin:\n");
  read_all(pfd3[0], out, sizeof out);
  ck_assert_str_eq(out, "fd3\n");
  close(pfd[0]);
  close(pfd3[0]);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* Slot f+1 inherits descriptor f, and slot f gets something else: the
 * dup2() for slot f must not clobber what slot f+1 takes. */
START_TEST(test_spawn_inherit_swapped)
{
  uv_loop_t loop;
  uv_process_t p;
  uv_process_options_t o;
  uv_stdio_container_t stdio[64];
  char out[64], script[64];
  int pfd[2], f, i;

  reset();
  ck_assert_int_eq(pipe(pfd), 0);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  for (f = 10; f < 60; f++)
    if (fcntl(f, F_GETFD) < 0)
      break;
  ck_assert_int_lt(f, 60);
  ck_assert_int_eq(dup2(pfd[1], f), f);
  close(pfd[1]);
  memset(&o, 0, sizeof o);
  memset(stdio, 0, sizeof stdio);
  for (i = 0; i < f; i++)
    stdio[i].flags = UV_IGNORE;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  stdio[f].flags = UV_INHERIT_FD;
  stdio[f].data.fd = 2;
  stdio[f + 1].flags = UV_INHERIT_FD;
  stdio[f + 1].data.fd = f;
  o.stdio = stdio;
  o.stdio_count = f + 2;
  /* (sh's >&N takes one digit) */
  snprintf(script, sizeof script, "echo four >/proc/self/fd/%d", f + 1);
  ck_assert_int_eq(spawn_sh(&loop, &p, &o, script), 0);
  close(f);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(last_exit_status, 0);
  read_all(pfd[0], out, sizeof out);
  ck_assert_str_eq(out, "four\n");
  close(pfd[0]);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

START_TEST(test_spawn_detached_setuid)
{
  uv_loop_t loop;
  uv_process_t p;
  uv_process_options_t o;
  char script[128];

  reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  memset(&o, 0, sizeof o);
  o.flags = UV_PROCESS_DETACHED | UV_PROCESS_WINDOWS_HIDE;
  /* a new session: the child leads it (its sid is its pid) */
  ck_assert_int_eq(spawn_sh(&loop, &p, &o,
                            "test \"$(cut -d' ' -f6 /proc/$$/stat)\" = $$"), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(exit_calls, 1);
  ck_assert_int_eq(last_exit_status, 0);

  /* our own ids: allowed */
  memset(&o, 0, sizeof o);
  o.flags = UV_PROCESS_SETUID | UV_PROCESS_SETGID;
  o.uid = getuid();
  o.gid = getgid();
  snprintf(script, sizeof script, "test \"$(id -u)\" = %u", (unsigned)getuid());
  ck_assert_int_eq(spawn_sh(&loop, &p, &o, script), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(exit_calls, 2);
  ck_assert_int_eq(last_exit_status, 0);
  if (getuid() != 0) {
    /* another user: refused, reported by uv_spawn() */
    memset(&o, 0, sizeof o);
    o.flags = UV_PROCESS_SETUID;
    o.uid = 0;
    ck_assert_int_eq(spawn_sh(&loop, &p, &o, "exit 0"), UV_EPERM);
    uv_close((uv_handle_t *)&p, NULL);
  }
  uvtest_close_loop(&loop);
}
END_TEST

/* Closing the handle while the child runs: no exit callback. */
static void
never_exit_cb(uv_process_t *p, int64_t s, int t)
{
  (void)p; (void)s; (void)t;
  ck_abort_msg("exit_cb after uv_close()");
}

START_TEST(test_spawn_close_running)
{
  uv_loop_t loop;
  uv_process_t p;
  uv_process_options_t o;
  char *args[] = { "/bin/sh", "-c", "exec sleep 30", NULL };
  int pid, st;

  reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  opts_init(&o, args);
  o.exit_cb = never_exit_cb;
  ck_assert_int_eq(uv_spawn(&loop, &p, &o), 0);
  pid = p.pid;
  uv_close((uv_handle_t *)&p, close_cb);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(close_calls, 1);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
  /* still running, and ours to reap */
  ck_assert_int_eq(uv_kill(pid, SIGKILL), 0);
  ck_assert_int_eq(waitpid(pid, &st, 0), pid);
  ck_assert(WIFSIGNALED(st));
}
END_TEST

/* Two children, the second exits first: each gets its own status. */
START_TEST(test_spawn_two_children)
{
  uv_loop_t loop;
  uv_process_t p1, p2;
  uv_process_options_t o1, o2;

  reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  memset(&o1, 0, sizeof o1);
  memset(&o2, 0, sizeof o2);
  ck_assert_int_eq(spawn_sh(&loop, &p1, &o1, "read x; exit 5"), 0);
  ck_assert_int_eq(spawn_sh(&loop, &p2, &o2, "exit 6"), 0);
  ck_assert_int_ne(p1.pid, p2.pid);
  /* p1 reads /dev/null: it ends too */
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(exit_calls, 2);
  ck_assert_int_eq(close_calls, 2);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* No exit callback: the handle just stops; an unreferenced child does
 * not keep the loop alive. */
START_TEST(test_spawn_no_exit_cb_unref)
{
  uv_loop_t loop;
  uv_process_t p, q;
  uv_process_options_t o;
  char *args[] = { "/bin/sh", "-c", "exit 0", NULL };
  char *sleeper[] = { "/bin/sh", "-c", "exec sleep 30", NULL };
  int pid, st;

  reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  memset(&o, 0, sizeof o);
  o.file = args[0];
  o.args = args;
  ck_assert_int_eq(uv_spawn(&loop, &p, &o), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&p), 0);
  o.args = sleeper;
  ck_assert_int_eq(uv_spawn(&loop, &q, &o), 0);
  uv_unref((uv_handle_t *)&q);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&q), 1);
  pid = q.pid;
  ck_assert_int_eq(uv_process_kill(&q, SIGKILL), 0);
  uvtest_close_loop(&loop);
  /* closed before it was seen to exit: ours to reap, if close did not */
  if (waitpid(pid, &st, 0) == pid)
    ck_assert(WIFSIGNALED(st));
}
END_TEST

START_TEST(test_kill_and_stdio_inheritance)
{
  int fds[2];

  ck_assert_int_eq(uv_kill(getpid(), 0), 0);
  ck_assert_int_eq(uv_kill(INT_MAX, 0), UV_ESRCH);
  ck_assert_int_eq(uv_kill(getpid(), -1), UV_EINVAL);
  ck_assert_int_eq(pipe(fds), 0);
  ck_assert_int_eq(fcntl(fds[0], F_GETFD) & FD_CLOEXEC, 0);
  uv_disable_stdio_inheritance();
  ck_assert_int_ne(fcntl(fds[0], F_GETFD) & FD_CLOEXEC, 0);
  ck_assert_int_ne(fcntl(fds[1], F_GETFD) & FD_CLOEXEC, 0);
  close(fds[0]);
  close(fds[1]);
}
END_TEST

/* The child echoes its stdin (a pipe we write to) to its stdout (a pipe
 * we read). */
static char echo_buf[256];
static size_t echo_len;

static void
echo_alloc_cb(uv_handle_t *h, size_t s, uv_buf_t *buf)
{
  (void)h; (void)s;
  buf->base = echo_buf + echo_len;
  buf->len = sizeof echo_buf - 1 - echo_len;
}

static void
echo_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
  (void)buf;
  if (nread > 0) {
    echo_len += (size_t)nread;
    return;
  }
  if (nread == UV_EOF)
    uv_close((uv_handle_t *)s, close_cb);
}

static void
echo_write_cb(uv_write_t *req, int status)
{
  ck_assert_int_eq(status, 0);
  uv_close((uv_handle_t *)req->handle, close_cb); /* the child sees EOF */
}

START_TEST(test_spawn_stdio_pipes)
{
  uv_loop_t loop;
  uv_process_t p;
  uv_process_options_t o;
  uv_stdio_container_t stdio[3];
  uv_pipe_t in, out;
  uv_write_t w;
  uv_buf_t b = { "hello child\n", 12 };

  reset();
  echo_len = 0;
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &in, 0), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &out, 0), 0);
  memset(&o, 0, sizeof o);
  memset(stdio, 0, sizeof stdio);
  stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
  stdio[0].data.stream = (uv_stream_t *)&in;
  stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[1].data.stream = (uv_stream_t *)&out;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  o.stdio = stdio;
  o.stdio_count = 3;
  ck_assert_int_eq(spawn_sh(&loop, &p, &o, "cat"), 0);
  ck_assert_int_eq(uv_is_writable((uv_stream_t *)&in), 1);
  ck_assert_int_eq(uv_is_readable((uv_stream_t *)&out), 1);
  ck_assert_int_eq(uv_read_start((uv_stream_t *)&out, echo_alloc_cb, echo_read_cb), 0);
  ck_assert_int_eq(uv_write(&w, (uv_stream_t *)&in, &b, 1, echo_write_cb), 0);
  uvtest_run(&loop, 10000);
  echo_buf[echo_len] = '\0';
  ck_assert_str_eq(echo_buf, "hello child\n");
  ck_assert_int_eq(exit_calls, 1);
  ck_assert_int_eq(last_exit_status, 0);
  ck_assert_int_eq(close_calls, 3);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* UV_INHERIT_STREAM: the child writes to the stream's descriptor. */
START_TEST(test_spawn_inherit_stream)
{
  uv_loop_t loop;
  uv_process_t p;
  uv_process_options_t o;
  uv_stdio_container_t stdio[2];
  uv_pipe_t w;
  char out[64];
  int pfd[2];

  reset();
  ck_assert_int_eq(pipe(pfd), 0);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_pipe_init(&loop, &w, 0), 0);
  ck_assert_int_eq(uv_pipe_open(&w, pfd[1]), 0);
  memset(&o, 0, sizeof o);
  memset(stdio, 0, sizeof stdio);
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_INHERIT_STREAM;
  stdio[1].data.stream = (uv_stream_t *)&w;
  o.stdio = stdio;
  o.stdio_count = 2;
  ck_assert_int_eq(spawn_sh(&loop, &p, &o, "echo streamed"), 0);
  uv_close((uv_handle_t *)&w, close_cb); /* closes pfd[1] */
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(exit_calls, 1);
  ck_assert_int_eq(last_exit_status, 0);
  read_all(pfd[0], out, sizeof out);
  ck_assert_str_eq(out, "streamed\n");
  close(pfd[0]);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* ======================================================================== */
/* signals                                                                   */
/* ======================================================================== */

static int sig_calls[4];
static int sig_last[4];

static void
sig_reset(void)
{
  memset(sig_calls, 0, sizeof sig_calls);
  memset(sig_last, 0, sizeof sig_last);
  close_calls = 0;
}

/* handle->data is its index; closes itself. */
static void
sig_close_cb(uv_signal_t *h, int signum)
{
  int i = (int)(intptr_t)h->data;

  sig_calls[i]++;
  sig_last[i] = signum;
  ck_assert_int_eq(h->signum, signum);
  uv_close((uv_handle_t *)h, close_cb);
}

static void
sig_count_cb(uv_signal_t *h, int signum)
{
  int i = (int)(intptr_t)h->data;

  sig_calls[i]++;
  sig_last[i] = signum;
}

START_TEST(test_signal_raise_loop_thread)
{
  uv_loop_t loop;
  uv_signal_t s;

  sig_reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_signal_init(&loop, &s), 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&s), 0);
  s.data = (void *)(intptr_t)0;
  ck_assert_int_eq(uv_signal_start(&s, sig_close_cb, SIGUSR1), 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&s), 1);
  ck_assert_int_eq(s.signum, SIGUSR1);
  ck_assert_int_eq(raise(SIGUSR1), 0);
  ck_assert_int_eq(sig_calls[0], 0); /* from the loop only */
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(sig_calls[0], 1);
  ck_assert_int_eq(sig_last[0], SIGUSR1);
  ck_assert_int_eq(close_calls, 1);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static void *
raiser(void *arg)
{
  (void)arg;
  raise(SIGUSR2);
  return NULL;
}

/* Raised from another thread while the loop waits. */
static void
start_raiser_cb(uv_prepare_t *p)
{
  pthread_t *t = p->data;

  ck_assert_int_eq(pthread_create(t, NULL, raiser, NULL), 0);
  uv_close((uv_handle_t *)p, NULL);
}

START_TEST(test_signal_other_thread)
{
  uv_loop_t loop;
  uv_signal_t s;
  uv_prepare_t prep;
  pthread_t t;

  sig_reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_signal_init(&loop, &s), 0);
  s.data = (void *)(intptr_t)0;
  ck_assert_int_eq(uv_signal_start(&s, sig_close_cb, SIGUSR2), 0);
  ck_assert_int_eq(uv_prepare_init(&loop, &prep), 0);
  prep.data = &t;
  ck_assert_int_eq(uv_prepare_start(&prep, start_raiser_cb), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(pthread_join(t, NULL), 0);
  ck_assert_int_eq(sig_calls[0], 1);
  ck_assert_int_eq(sig_last[0], SIGUSR2);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* Two handles on one loop, one on another: all three are called. */
START_TEST(test_signal_several_handles)
{
  uv_loop_t l1, l2;
  uv_signal_t a, b, c;

  sig_reset();
  ck_assert_int_eq(uv_loop_init(&l1), 0);
  ck_assert_int_eq(uv_loop_init(&l2), 0);
  ck_assert_int_eq(uv_signal_init(&l1, &a), 0);
  ck_assert_int_eq(uv_signal_init(&l1, &b), 0);
  ck_assert_int_eq(uv_signal_init(&l2, &c), 0);
  a.data = (void *)(intptr_t)0;
  b.data = (void *)(intptr_t)1;
  c.data = (void *)(intptr_t)2;
  ck_assert_int_eq(uv_signal_start(&a, sig_close_cb, SIGUSR1), 0);
  ck_assert_int_eq(uv_signal_start(&b, sig_close_cb, SIGUSR1), 0);
  ck_assert_int_eq(uv_signal_start(&c, sig_close_cb, SIGUSR1), 0);
  ck_assert_int_eq(raise(SIGUSR1), 0);
  uvtest_run(&l1, 10000);
  uvtest_run(&l2, 10000);
  ck_assert_int_eq(sig_calls[0], 1);
  ck_assert_int_eq(sig_calls[1], 1);
  ck_assert_int_eq(sig_calls[2], 1);
  ck_assert_int_eq(close_calls, 3);
  ck_assert_int_eq(uv_loop_close(&l1), 0);
  ck_assert_int_eq(uv_loop_close(&l2), 0);
}
END_TEST

/* Run @loop one iteration at a time until sig_calls[@i] reaches @n. */
static void
run_until(uv_loop_t *loop, int i, int n)
{
  int guard = 0;

  while (sig_calls[i] < n) {
    uv_run(loop, UV_RUN_ONCE);
    ck_assert_int_lt(++guard, 100000);
  }
}

START_TEST(test_signal_oneshot_stop_restart)
{
  uv_loop_t loop;
  uv_signal_t keep, once, stopped;

  sig_reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_signal_init(&loop, &keep), 0);
  ck_assert_int_eq(uv_signal_init(&loop, &once), 0);
  ck_assert_int_eq(uv_signal_init(&loop, &stopped), 0);
  keep.data = (void *)(intptr_t)0;
  once.data = (void *)(intptr_t)1;
  stopped.data = (void *)(intptr_t)2;
  /* keep watches throughout, so SIGUSR1 never gets its default action */
  ck_assert_int_eq(uv_signal_start(&keep, sig_count_cb, SIGUSR1), 0);
  ck_assert_int_eq(uv_signal_start_oneshot(&once, sig_count_cb, SIGUSR1), 0);
  ck_assert_int_eq(uv_signal_start(&stopped, sig_count_cb, SIGUSR1), 0);
  ck_assert_int_eq(uv_signal_stop(&stopped), 0);
  ck_assert_int_eq(uv_signal_stop(&stopped), 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&stopped), 0);
  ck_assert_int_eq(stopped.signum, 0);

  ck_assert_int_eq(raise(SIGUSR1), 0);
  run_until(&loop, 0, 1);
  run_until(&loop, 1, 1);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&once), 0);
  ck_assert_int_eq(raise(SIGUSR1), 0);
  run_until(&loop, 0, 2);
  uv_run(&loop, UV_RUN_NOWAIT);
  ck_assert_int_eq(sig_calls[1], 1); /* one shot only */
  ck_assert_int_eq(sig_calls[2], 0); /* stopped */

  /* restart on another signal: only that one is seen */
  ck_assert_int_eq(uv_signal_start(&once, sig_count_cb, SIGUSR2), 0);
  ck_assert_int_eq(once.signum, SIGUSR2);
  ck_assert_int_eq(uv_signal_start(&once, sig_count_cb, SIGUSR2), 0); /* same: fine */
  ck_assert_int_eq(raise(SIGUSR2), 0);
  run_until(&loop, 1, 2);
  ck_assert_int_eq(sig_last[1], SIGUSR2);
  ck_assert_int_eq(sig_calls[0], 2);
  ck_assert_int_eq(uv_signal_start(&once, sig_count_cb, SIGUSR1), 0);
  ck_assert_int_eq(raise(SIGUSR1), 0);
  run_until(&loop, 1, 3);
  ck_assert_int_eq(sig_last[1], SIGUSR1);
  run_until(&loop, 0, 3);
  uvtest_close_loop(&loop);
}
END_TEST

START_TEST(test_signal_errors)
{
  uv_loop_t loop;
  uv_signal_t s;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_signal_init(&loop, &s), 0);
  ck_assert_int_eq(uv_signal_start(&s, sig_count_cb, 0), UV_EINVAL);
  ck_assert_int_eq(uv_signal_start(&s, sig_count_cb, -1), UV_EINVAL);
  ck_assert_int_eq(uv_signal_start(&s, sig_count_cb, 65), UV_EINVAL);
  ck_assert_int_eq(uv_signal_start(&s, sig_count_cb, SIGKILL), UV_EINVAL);
  ck_assert_int_eq(uv_signal_start(&s, sig_count_cb, SIGSTOP), UV_EINVAL);
  ck_assert_int_eq(uv_signal_start(&s, NULL, SIGUSR1), UV_EINVAL);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&s), 0);
  ck_assert_int_eq(uv_signal_stop(&s), 0); /* never started: fine */
  /* an unreferenced watcher does not keep the loop alive */
  ck_assert_int_eq(uv_signal_start(&s, sig_count_cb, SIGUSR1), 0);
  uv_unref((uv_handle_t *)&s);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  uv_close((uv_handle_t *)&s, NULL);
  ck_assert_int_eq(uv_signal_start(&s, sig_count_cb, SIGUSR1), UV_EINVAL);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* SIGCHLD watched by the program and children of ours: both work. */
START_TEST(test_signal_sigchld_and_spawn)
{
  uv_loop_t loop;
  uv_signal_t s;
  uv_process_t p;
  uv_process_options_t o;

  reset();
  sig_reset();
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_signal_init(&loop, &s), 0);
  s.data = (void *)(intptr_t)0;
  ck_assert_int_eq(uv_signal_start(&s, sig_close_cb, SIGCHLD), 0);
  memset(&o, 0, sizeof o);
  ck_assert_int_eq(spawn_sh(&loop, &p, &o, "exit 9"), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(sig_calls[0], 1);
  ck_assert_int_eq(exit_calls, 1);
  ck_assert_int_eq(last_exit_status, 9);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

Suite *
uvtest_process_suite(void)
{
  Suite *s = suite_create("uv-process");
  TCase *tc = tcase_create("process");

  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_spawn_exit_status);
  tcase_add_test(tc, test_spawn_killed);
  tcase_add_test(tc, test_spawn_enoent);
  tcase_add_test(tc, test_spawn_einval);
  tcase_add_test(tc, test_spawn_inherit_fd_cwd_env);
  tcase_add_test(tc, test_spawn_inherit_swapped);
  tcase_add_test(tc, test_spawn_detached_setuid);
  tcase_add_test(tc, test_spawn_close_running);
  tcase_add_test(tc, test_spawn_two_children);
  tcase_add_test(tc, test_spawn_no_exit_cb_unref);
  tcase_add_test(tc, test_kill_and_stdio_inheritance);
  tcase_add_test(tc, test_spawn_stdio_pipes);
  tcase_add_test(tc, test_spawn_inherit_stream);
  suite_add_tcase(s, tc);

  tc = tcase_create("signal");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_signal_raise_loop_thread);
  tcase_add_test(tc, test_signal_other_thread);
  tcase_add_test(tc, test_signal_several_handles);
  tcase_add_test(tc, test_signal_oneshot_stop_restart);
  tcase_add_test(tc, test_signal_errors);
  tcase_add_test(tc, test_signal_sigchld_and_spawn);
  suite_add_tcase(s, tc);
  return s;
}
