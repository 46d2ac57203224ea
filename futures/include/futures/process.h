/* SPDX-License-Identifier: MIT */
/* Child processes: spawn with argv, env, cwd and stdio; wait, kill. */
#ifndef FUTURES_PROCESS_H
#define FUTURES_PROCESS_H

#include <sys/types.h>

#include "fd.h"
#include "future.h"
#include "reactor.h"
#include "signal.h"

FUT__BEGIN_DECLS

/*
 * A child is spawned with fork(2) and execve(2). An exec that fails
 * (ENOENT, EACCES, ENOEXEC...) is reported by fut_process_spawn() itself,
 * through a close-on-exec pipe the child writes its errno to: spawn never
 * returns a child that only exits 127. The child starts with every signal
 * at its default disposition and an empty signal mask; descriptors the
 * library opened are close-on-exec, so the child has only its stdio (and
 * what the program itself left inheritable).
 *
 * Waiting uses a pidfd (pidfd_open(2), Linux 5.3), polled through the
 * reactor on any backend; where the kernel has none, SIGCHLD through the
 * signal machinery (signal.h), which installs a SIGCHLD handler while
 * such a child is waited for. Only the child's own pid is ever waited for
 * (waitpid(pid), never waitpid(-1)), so children the program spawned
 * itself are left alone; conversely a program that reaps with
 * waitpid(-1) takes our children away (their wait says -ECHILD).
 *
 * A child is never left a zombie. fut_process_close() of a child that has
 * not been waited for reaps it at once if it has exited; if it still
 * runs, it is left running (or, with FUT_PROCESS_KILL_ON_DROP, sent
 * SIGKILL) and a small detached thread waits for that one pid and exits.
 * If no thread can be started, the child is killed and reaped at once.
 */

/** What a child's stdin, stdout or stderr is (struct fut_stdio @mode). */
enum fut_stdio_mode {
    FUT_STDIO_INHERIT = 0, /* the parent's own descriptor 0, 1 or 2 */
    FUT_STDIO_NULL,        /* /dev/null */
    FUT_STDIO_PIPE,        /* a pipe to the parent: struct fut_process
                            * @stdio[i] is its parent end */
    FUT_STDIO_FD           /* @fd, a descriptor of the parent (borrowed:
                            * it stays open in the parent) */
};

/** struct fut_stdio - one of the child's three standard descriptors. */
struct fut_stdio {
    int mode; /* enum fut_stdio_mode */
    int fd;   /* FUT_STDIO_FD only */
};

/** Spawn flags. */
enum fut_process_flags {
    FUT_PROCESS_KILL_ON_DROP = 1u << 0 /* close sends SIGKILL to a child
                                        * still running */
};

/**
 * struct fut_process_options - what to run. Everything is borrowed for
 * the call only.
 * @file: the program: a path if it contains '/', else a name searched in
 *   the parent's PATH (or "/bin:/usr/bin" without one), as execvp(3)
 *   does. NULL: @argv[0].
 * @argv: the arguments, NULL-terminated; @argv[0] must not be NULL.
 * @envp: the environment, NULL-terminated; NULL inherits the parent's.
 * @cwd: the child's working directory; NULL inherits the parent's.
 * @stdio: stdin, stdout, stderr; all-zero means inherit all three.
 * @flags: enum fut_process_flags.
 */
struct fut_process_options {
    const char *file;
    char *const *argv;
    char *const *envp;
    const char *cwd;
    struct fut_stdio stdio[3];
    unsigned int flags;
};

/**
 * struct fut_process - a spawned child.
 * @stdio: the parent ends of the pipes asked for: @stdio[0] is writable
 *   (the child's stdin), @stdio[1] and @stdio[2] readable (its stdout and
 *   stderr), each a struct fut_fd (AsyncRead/AsyncWrite) the caller may
 *   use and close (closing @stdio[0] gives the child end of file) before
 *   the process; fut_process_close() closes those still open. Those not
 *   asked for are closed objects.
 * @pid: the child's process id.
 * @exit_code: after the wait, the exit status (0..255), or -1 if a
 *   signal ended the child.
 * @term_signal: after the wait, the signal that ended it, or 0.
 * The other fields are private. Pinned from spawn on (the wait is
 * registered with the reactor).
 */
struct fut_process {
    struct fut_fd stdio[3];
    pid_t pid;
    int exit_code;
    int term_signal;
    int state;             /* private */
    unsigned int flags;    /* private */
    struct fut_io pidfd;   /* private: the pidfd, or fd -1 */
    struct fut_signal chld; /* private: SIGCHLD, without a pidfd */
};

/**
 * fut_process_spawn - start a child as @o says.
 * @p: written whatever it held, so it must not be an open process (that
 *   one's pipes and wait would leak); fresh storage needs no preparation.
 *
 * Returns 0 (@p is a running child: wait for it and close it), or a
 * negative errno, with nothing left open and no child left behind:
 * -EINVAL (NULL @p, @o or @o->argv, a NULL @argv[0], an unknown stdio
 * mode or flag, a FUT_STDIO_FD with a negative fd), -EBADF (a
 * FUT_STDIO_FD that is not open), -ENOENT / -EACCES / -ENOEXEC / -ENOTDIR
 * / -E2BIG (exec failed; for a PATH search, -EACCES if some candidate was
 * not executable, else the last error), -ENOENT / -ENOTDIR / -EACCES for
 * @cwd (chdir failed in the child), -EAGAIN / -ENOMEM (fork), -EMFILE /
 * -ENFILE, -ENOSPC (no pidfd, and no signal listener left for SIGCHLD:
 * see FUT_SIGNAL_MAX_LISTENERS; the child is killed and reaped). On
 * failure @p is a closed process (closing it says -EBADF).
 * Blocks until the child has exec'ed or failed to (a few hundred
 * microseconds; libuv does the same). Any thread; the wait binds @p to the
 * runtime of its first poll.
 */
FUT_API int fut_process_spawn(struct fut_process *p,
                              const struct fut_process_options *o);

/**
 * fut_process_poll_wait - wait for the child to end.
 * READY with *@res = 0: it ended (and was reaped); @exit_code and
 * @term_signal say how; every later poll says the same. READY with *@res
 * < 0: -EINVAL (NULL arguments, no runtime in @cx), -EBADF (closed),
 * -ECHILD (someone else reaped it: a waitpid(-1) in the program), -EXDEV
 * or a registration error. PENDING: it runs; a clone of cx->waker is
 * stored. Cancel-safe. Runtime thread only.
 */
FUT_API enum fut_poll fut_process_poll_wait(struct fut_process *p,
                                            struct fut_context *cx,
                                            int *res);

/**
 * struct fut_process_wait - the wait as a future. @res: 0 or -errno as
 * fut_process_poll_wait(); @exit_code and @term_signal are copied from the
 * process. Result: @res. Cancel-safe: dropped while pending, it withdraws
 * its waker; the child is untouched. @reg is private.
 */
struct fut_process_wait {
    struct fut_future base;
    struct fut_process *process;
    int res;
    int exit_code;
    int term_signal;
    struct fut_reg reg; /* private */
};

/** fut_process_wait_init - returns 0, or -EINVAL for NULL arguments. */
FUT_API int fut_process_wait_init(struct fut_process_wait *f,
                                  struct fut_process *p);

/**
 * fut_process_kill - send @signo (0 to 64; 0 only checks) to the child.
 * Returns 0, -EINVAL (NULL, bad @signo), -EBADF (closed), -ESRCH (it was
 * reaped already: its pid may belong to another process now, so nothing
 * is sent), or the -errno of kill(2). Any thread that owns @p.
 */
FUT_API int fut_process_kill(struct fut_process *p, int signo);

/**
 * fut_process_close - close the pipes still open, release the wait, and
 * make sure the child will be reaped (see above: at once if it ended, or
 * by a detached thread if it still runs; killed first with
 * FUT_PROCESS_KILL_ON_DROP). Futures that borrow @p or its pipes must be
 * dropped first. Returns 0, -EINVAL (NULL) or -EBADF (closed).
 */
FUT_API int fut_process_close(struct fut_process *p);

FUT__END_DECLS

#endif /* FUTURES_PROCESS_H */
