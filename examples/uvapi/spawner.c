/* SPDX-License-Identifier: MIT */
/*
 * spawner: a plain libuv (1.44) program running /bin/sh children with
 * uv_spawn, all at once: exit codes, a child that kills itself, one
 * killed with uv_process_kill, one whose stdout is read through a
 * UV_CREATE_PIPE pipe, one fed through its stdin pipe, one with its own
 * environment and working directory, and a program that does not exist.
 * Results are kept per child and printed in a fixed order once the loop
 * is done, so the output is the same on libuv and on any loop that
 * implements libuv's API (tests/uvapi/check-programs.sh compares them).
 *
 * Build: cc spawner.c $(pkg-config --cflags --libs libuv)
 *   or   cc spawner.c $(pkg-config --cflags --libs futures-uvapi futures-epoll)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct child {
  const char *name;
  const char *script;         /* for /bin/sh -c; NULL: a missing program */
  int capture;                /* read its stdout through a pipe */
  const char *input;          /* write this to its stdin through a pipe */
  int kill_it;                /* uv_process_kill(SIGKILL) right away */
  int own_env;                /* GREETING=hi only, in / */

  uv_process_t proc;
  uv_pipe_t out, in;
  uv_write_t write;
  uv_shutdown_t shutdown;
  int spawn_result;
  int exited;
  int64_t exit_status;
  int term_signal;
  int closes;                 /* close callbacks seen */
  int pid_ok;
  char text[256];             /* what it wrote on stdout */
  size_t text_len;
  char rbuf[256];
  int stdin_status;           /* the write's status, then the shutdown's */
};

static struct child children[] = {
  {.name = "exit 3", .script = "exit 3"},
  {.name = "exit 0", .script = "true"},
  {.name = "kills itself", .script = "kill -TERM $$; sleep 5"},
  {.name = "killed by uv_process_kill", .script = "exec sleep 30", .kill_it = 1},
  {.name = "stdout through a pipe", .script = "echo hello; echo world",
   .capture = 1},
  {.name = "stdin and stdout through pipes", .script = "tr a-z A-Z",
   .capture = 1, .input = "libuv pipes\n"},
  {.name = "own environment and cwd", .script = "echo \"$GREETING from $(pwd)\"",
   .capture = 1, .own_env = 1},
  {.name = "missing program"},
};
#define NCHILD (sizeof children / sizeof children[0])

static uv_loop_t *loop;

static void
on_closed(uv_handle_t *h)
{
  struct child *c = h->data;
  c->closes++;
}

static void
on_exit_cb(uv_process_t *p, int64_t exit_status, int term_signal)
{
  struct child *c = p->data;
  c->exited = 1;
  c->exit_status = exit_status;
  c->term_signal = term_signal;
  uv_close((uv_handle_t *)p, on_closed);
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  (void)suggested;
  struct child *c = h->data;
  *buf = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
  struct child *c = s->data;
  if (n > 0) {
    size_t room = sizeof c->text - 1 - c->text_len;
    size_t k = (size_t)n < room ? (size_t)n : room;
    memcpy(c->text + c->text_len, buf->base, k);
    c->text_len += k;
    return;
  }
  if (n == 0)
    return;
  if (n != UV_EOF)
    fprintf(stderr, "%s: read: %s\n", c->name, uv_strerror((int)n));
  uv_close((uv_handle_t *)s, on_closed);
}

static void
on_stdin_shutdown(uv_shutdown_t *req, int status)
{
  struct child *c = req->data;
  if (c->stdin_status == 0)
    c->stdin_status = status;
  uv_close((uv_handle_t *)&c->in, on_closed);
}

static void
on_stdin_written(uv_write_t *req, int status)
{
  struct child *c = req->data;
  c->stdin_status = status;
}

static void
start(struct child *c)
{
  char *args[4] = {"/bin/sh", "-c", (char *)c->script, NULL};
  char *env[] = {"GREETING=hi", "PATH=/usr/bin:/bin", NULL};
  uv_stdio_container_t stdio[3];
  uv_process_options_t opt;

  memset(&opt, 0, sizeof opt);
  memset(stdio, 0, sizeof stdio);
  opt.exit_cb = on_exit_cb;
  if (c->script) {
    opt.file = "/bin/sh";
    opt.args = args;
  } else {
    args[0] = "/nonexistent/program";
    args[1] = NULL;
    opt.file = args[0];
    opt.args = args;
  }
  if (c->own_env) {
    opt.env = env;
    opt.cwd = "/";
  }
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_IGNORE;
  stdio[2].flags = UV_IGNORE;
  c->proc.data = c;
  c->out.data = c;
  c->in.data = c;
  if (c->input) {
    uv_pipe_init(loop, &c->in, 0);
    stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
    stdio[0].data.stream = (uv_stream_t *)&c->in;
  }
  if (c->capture) {
    uv_pipe_init(loop, &c->out, 0);
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&c->out;
  }
  opt.stdio = stdio;
  opt.stdio_count = 3;

  c->spawn_result = uv_spawn(loop, &c->proc, &opt);
  if (c->spawn_result < 0) {
    /* the handle is initialised all the same and must be closed */
    uv_close((uv_handle_t *)&c->proc, on_closed);
    if (c->input)
      uv_close((uv_handle_t *)&c->in, on_closed);
    if (c->capture)
      uv_close((uv_handle_t *)&c->out, on_closed);
    return;
  }
  c->pid_ok = c->proc.pid > 0 && uv_process_get_pid(&c->proc) == c->proc.pid;
  if (c->kill_it) {
    int r = uv_process_kill(&c->proc, SIGKILL);
    if (r < 0)
      fprintf(stderr, "%s: uv_process_kill: %s\n", c->name, uv_strerror(r));
  }
  if (c->capture) {
    int r = uv_read_start((uv_stream_t *)&c->out, on_alloc, on_read);
    if (r < 0) {
      fprintf(stderr, "%s: uv_read_start: %s\n", c->name, uv_strerror(r));
      uv_close((uv_handle_t *)&c->out, on_closed);
    }
  }
  if (c->input) {
    uv_buf_t b = uv_buf_init((char *)c->input, (unsigned int)strlen(c->input));
    c->write.data = c;
    c->shutdown.data = c;
    int r = uv_write(&c->write, (uv_stream_t *)&c->in, &b, 1, on_stdin_written);
    if (r == 0)
      r = uv_shutdown(&c->shutdown, (uv_stream_t *)&c->in, on_stdin_shutdown);
    if (r < 0) {
      c->stdin_status = r;
      uv_close((uv_handle_t *)&c->in, on_closed);
    }
  }
}

int
main(void)
{
  loop = uv_default_loop();
  for (size_t i = 0; i < NCHILD; i++)
    start(&children[i]);
  int r = uv_run(loop, UV_RUN_DEFAULT);
  printf("uv_run: %d\n", r);

  for (size_t i = 0; i < NCHILD; i++) {
    struct child *c = &children[i];
    int handles = 1 + (c->capture != 0) + (c->input != NULL);
    printf("%s:\n", c->name);
    if (c->spawn_result < 0) {
      printf("  uv_spawn: %s (%s)\n", uv_err_name(c->spawn_result),
             uv_strerror(c->spawn_result));
    } else {
      printf("  pid ok: %s\n", c->pid_ok ? "yes" : "no");
      printf("  exited: %s, exit status %lld, signal %s\n",
             c->exited ? "yes" : "no", (long long)c->exit_status,
             c->term_signal == 0         ? "none"
             : c->term_signal == SIGTERM ? "SIGTERM"
             : c->term_signal == SIGKILL ? "SIGKILL"
                                         : "other");
    }
    if (c->capture) {
      c->text[c->text_len] = '\0';
      printf("  stdout (%zu bytes): ", c->text_len);
      for (size_t k = 0; k < c->text_len; k++)
        putchar(c->text[k] == '\n' ? '|' : c->text[k]);
      putchar('\n');
    }
    if (c->input && c->spawn_result == 0)
      printf("  stdin write and shutdown: %s\n",
             c->stdin_status == 0 ? "ok" : uv_err_name(c->stdin_status));
    printf("  handles closed: %d of %d\n", c->closes, handles);
  }
  r = uv_loop_close(loop);
  printf("uv_loop_close: %s\n", r == 0 ? "ok" : uv_err_name(r));
  return r == 0 ? 0 : 1;
}
