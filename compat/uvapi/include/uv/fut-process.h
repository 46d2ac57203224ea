/* SPDX-License-Identifier: MIT */
/* libuv API shim (compat/uvapi): the process part of uv.h. Included by uv.h only. */
#ifndef UV_FUT_PROCESS_H
#define UV_FUT_PROCESS_H

#include <futures/signal.h>

/* ---- processes ------------------------------------------------------- */

enum uv_process_flags {
  /* run the child as options.uid (the parent must be allowed to) */
  UV_PROCESS_SETUID = (1 << 0),
  /* run the child as options.gid */
  UV_PROCESS_SETGID = (1 << 1),
  /* Windows only: accepted, ignored */
  UV_PROCESS_WINDOWS_VERBATIM_ARGUMENTS = (1 << 2),
  /* the child leads a new session (setsid(2)): it outlives the parent's
   * terminal; uv_unref() the handle to let the loop end without it */
  UV_PROCESS_DETACHED = (1 << 3),
  /* Windows only: accepted, ignored */
  UV_PROCESS_WINDOWS_HIDE = (1 << 4),
  UV_PROCESS_WINDOWS_HIDE_CONSOLE = (1 << 5),
  UV_PROCESS_WINDOWS_HIDE_GUI = (1 << 6)
};

/* What a child's descriptor i is (uv_stdio_container_t @flags). The
 * READABLE/WRITABLE flags of a pipe are from the child's point of view. */
typedef enum {
  UV_IGNORE = 0x00,         /* 0..2: /dev/null; above: left closed */
  UV_CREATE_PIPE = 0x01,    /* a socketpair; the parent's end goes to
                             * data.stream (a uv_pipe_t, initialised) */
  UV_INHERIT_FD = 0x02,     /* data.fd */
  UV_INHERIT_STREAM = 0x04, /* data.stream's descriptor */
  UV_READABLE_PIPE = 0x10,  /* the child reads it */
  UV_WRITABLE_PIPE = 0x20,  /* the child writes it */
  UV_NONBLOCK_PIPE = 0x40,  /* accepted (the parent's end is nonblocking) */
  UV_OVERLAPPED_PIPE = 0x40
} uv_stdio_flags;

typedef struct uv_stdio_container_s {
  uv_stdio_flags flags;
  union {
    uv_stream_t *stream;
    int fd;
  } data;
} uv_stdio_container_t;

/*
 * uv_process_options_t - what uv_spawn() runs (borrowed for the call).
 * @file: the program (a path, or a name searched in the child's PATH);
 * @args: argv, NULL-terminated (args[0] is usually @file); @env: the
 * environment, NULL to inherit; @cwd: NULL to inherit; @stdio_count
 * containers in @stdio (descriptors 0..stdio_count-1 of the child; 0..2
 * that are not given are /dev/null).
 */
typedef struct uv_process_options_s {
  uv_exit_cb exit_cb;
  const char *file;
  char **args;
  char **env;
  const char *cwd;
  unsigned int flags;
  int stdio_count;
  uv_stdio_container_t *stdio;
  uv_uid_t uid;
  uv_gid_t gid;
} uv_process_options_t;

/*
 * struct uv_process_s - a child process. @pid and @exit_cb may be read.
 * The handle is active from a successful uv_spawn() until the child has
 * exited and @exit_cb(process, exit_status, term_signal) has run (in the
 * poll phase). The rest is private.
 */
struct uv_process_s {
  UV_HANDLE_FIELDS
  uv_exit_cb exit_cb;
  int pid;
  /* private */
  struct fut_kit_ev ev_;
  struct fut_io pidfd_;      /* the child's pidfd, fd -1 without one */
  struct fut_signal chld_;   /* SIGCHLD, where there is no pidfd */
  int chld_open_;
  int reaped_;
};

/**
 * uv_spawn - start a child as @options say; @process is initialised
 * whatever the result (close it with uv_close() in any case). The child
 * has its signals at their default dispositions, none blocked, and only
 * the descriptors of @options->stdio (and those the program left
 * inheritable). Returns 0, or (no child left running) UV_EINVAL (NULL
 * @file or @args, an unknown flag, a bad stdio container: UV_CREATE_PIPE
 * without a pipe, UV_INHERIT_STREAM without a descriptor), UV_ENOENT /
 * UV_EACCES / ... (exec failed; @cwd could not be entered; setuid/setgid
 * refused: UV_EPERM), UV_ENOMEM, UV_EMFILE, or the error of opening the
 * pipe streams. Loop thread.
 */
UV_EXTERN int uv_spawn(uv_loop_t *loop, uv_process_t *process, const uv_process_options_t *options);

/**
 * uv_process_kill - send @signum to the child. Returns 0, UV_ESRCH (it
 * exited and was reaped already), UV_EINVAL (bad signal) or kill(2)'s
 * error.
 */
UV_EXTERN int uv_process_kill(uv_process_t *process, int signum);

/** uv_kill - kill(2): 0 or a UV_E* code (UV_ESRCH, UV_EPERM, UV_EINVAL). Any thread. */
UV_EXTERN int uv_kill(int pid, int signum);

/** uv_process_get_pid - @process->pid. */
UV_EXTERN uv_pid_t uv_process_get_pid(const uv_process_t *process);

/**
 * uv_disable_stdio_inheritance - mark the descriptors the process
 * inherited (0 up to the first gap above 15) close-on-exec, so children
 * get only what uv_spawn()'s stdio gives them. Call it early, before
 * threads.
 */
UV_EXTERN void uv_disable_stdio_inheritance(void);

/* ---- signals --------------------------------------------------------- */

/*
 * struct uv_signal_s - watch a signal: every handle (of any loop) that
 * watches signal N gets its callback, on its loop's thread, in the poll
 * phase, when N arrives. Deliveries of one signal that arrive before the
 * handle's loop gets to them are seen as one call (libuv calls once per
 * delivery). SIGKILL and SIGSTOP cannot be watched; neither can SIGSEGV,
 * SIGBUS, SIGFPE, SIGILL (their handlers could not return). @signum (the
 * signal watched, 0 when stopped) may be read; the rest is private.
 */
struct uv_signal_s {
  UV_HANDLE_FIELDS
  uv_signal_cb signal_cb;
  int signum;
  /* private */
  struct fut_signal sig_;
  struct fut_kit_ev ev_;
  int oneshot_;
};

/** uv_signal_init - initialise @handle (stopped). Returns 0 or UV_EINVAL (NULL). */
UV_EXTERN int uv_signal_init(uv_loop_t *loop, uv_signal_t *handle);

/**
 * uv_signal_start - call @signal_cb for each arrival of @signum from now
 * on. On a started handle: a new @signal_cb for the same signal, or a
 * switch to another. Returns 0, UV_EINVAL (NULL, closing, signal 0 or
 * invalid or one that cannot be watched), UV_EMFILE / UV_ENOSPC (no
 * descriptor or listener slot left).
 */
UV_EXTERN int uv_signal_start(uv_signal_t *handle, uv_signal_cb signal_cb, int signum);

/** uv_signal_start_oneshot - as uv_signal_start(); the handle stops after the first callback. */
UV_EXTERN int uv_signal_start_oneshot(uv_signal_t *handle, uv_signal_cb signal_cb, int signum);

/**
 * uv_signal_stop - stop watching (idempotent); a signal not yet
 * delivered to the callback is dropped. The signal's previous disposition
 * is back once no handle watches it. Returns 0 (UV_EINVAL for NULL).
 */
UV_EXTERN int uv_signal_stop(uv_signal_t *handle);

#endif /* UV_FUT_PROCESS_H */
