/* SPDX-License-Identifier: MIT */
/* Conformance: child processes (process.h): spawn, stdio, wait, kill, drop. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conformance.h"
#include "internal.h"

static void
proc_setup(void)
{
    conf_setup();
    fut__sys_reset();
}

static void
proc_teardown(void)
{
    fut__sys_reset();
    conf_no_children();
    conf_teardown();
}

/* Spawn @argv with stdio modes @in, @out, @err (INHERIT/NULL/PIPE). */
static int
spawn3(struct fut_process *p, char *const *argv, int in, int out, int err)
{
    struct fut_process_options o;

    memset(&o, 0, sizeof o);
    o.argv = argv;
    o.stdio[0].mode = in;
    o.stdio[1].mode = out;
    o.stdio[2].mode = err;
    return fut_process_spawn(p, &o);
}

/* Wait with the future; returns its res (exit code etc. in @p). */
static int
wait_child(struct fut_process *p)
{
    struct fut_process_wait w;
    int res;

    ck_assert_int_eq(fut_process_wait_init(&w, p), 0);
    ck_assert_int_eq(fut_block_on(&conf_rt, &w.base), 0);
    res = w.res;
    ck_assert_int_eq(fut_future_result(&w.base), res);
    if (res == 0) {
        ck_assert_int_eq(w.exit_code, p->exit_code);
        ck_assert_int_eq(w.term_signal, p->term_signal);
    }
    fut_future_drop(&w.base);
    return res;
}

#define SH(cmd) ((char *const[]){ "/bin/sh", "-c", (cmd), NULL })

/* ---- exit status --------------------------------------------------------- */

START_TEST(test_process_exit_codes)
{
    struct fut_process p;

    ck_assert_int_eq(spawn3(&p, (char *const[]){ "true", NULL }, 0, 0, 0),
                     0);
    ck_assert_int_gt(p.pid, 0);
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(p.exit_code, 0);
    ck_assert_int_eq(p.term_signal, 0);
    /* Waiting again says the same. */
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(p.exit_code, 0);
    ck_assert_int_eq(fut_process_close(&p), 0);

    ck_assert_int_eq(spawn3(&p, SH("exit 3"), 0, 0, 0), 0);
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(p.exit_code, 3);
    ck_assert_int_eq(fut_process_close(&p), 0);

    /* A child that exits 127 on its own is not an exec failure. */
    ck_assert_int_eq(spawn3(&p, SH("exit 127"), 0, 0, 0), 0);
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(p.exit_code, 127);
    ck_assert_int_eq(fut_process_close(&p), 0);
}
END_TEST

START_TEST(test_process_kill_and_signal_status)
{
    struct fut_process p;

    ck_assert_int_eq(spawn3(&p, (char *const[]){ "sleep", "1000", NULL },
                            0, 0, 0), 0);
    ck_assert_int_eq(fut_process_kill(&p, 0), 0);
    ck_assert_int_eq(fut_process_kill(&p, SIGTERM), 0);
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(p.exit_code, -1);
    ck_assert_int_eq(p.term_signal, SIGTERM);
    /* Reaped: its pid is no longer ours to signal. */
    ck_assert_int_eq(fut_process_kill(&p, SIGTERM), -ESRCH);
    ck_assert_int_eq(fut_process_close(&p), 0);
    ck_assert_int_eq(fut_process_kill(&p, SIGTERM), -EBADF);
}
END_TEST

/* ---- stdio --------------------------------------------------------------- */

START_TEST(test_process_stdout_stderr_pipes)
{
    struct fut_process p;
    char buf[64];

    ck_assert_int_eq(spawn3(&p, SH("printf out; printf err >&2"),
                            FUT_STDIO_NULL, FUT_STDIO_PIPE, FUT_STDIO_PIPE),
                     0);
    ck_assert_int_eq(conf_read_to_end(&p.stdio[1].reader, buf, sizeof buf),
                     3);
    ck_assert_str_eq(buf, "out");
    ck_assert_int_eq(conf_read_to_end(&p.stdio[2].reader, buf, sizeof buf),
                     3);
    ck_assert_str_eq(buf, "err");
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(p.exit_code, 0);
    /* Pipes not asked for are closed objects. */
    ck_assert_int_eq(fut_fd_close(&p.stdio[0]), -EBADF);
    ck_assert_int_eq(fut_process_close(&p), 0);
}
END_TEST

START_TEST(test_process_stdin_pipe_cat)
{
    struct fut_process p;
    char buf[64];

    ck_assert_int_eq(spawn3(&p, (char *const[]){ "cat", NULL },
                            FUT_STDIO_PIPE, FUT_STDIO_PIPE, FUT_STDIO_INHERIT),
                     0);
    ck_assert_int_eq(conf_write_all(&p.stdio[0].writer, "through cat", 11),
                     0);
    /* Closing our end of its stdin is its end of file. */
    ck_assert_int_eq(fut_fd_close(&p.stdio[0]), 0);
    ck_assert_int_eq(conf_read_to_end(&p.stdio[1].reader, buf, sizeof buf),
                     11);
    ck_assert_str_eq(buf, "through cat");
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(p.exit_code, 0);
    ck_assert_int_eq(fut_process_close(&p), 0);
}
END_TEST

START_TEST(test_process_stdin_null_and_fd)
{
    struct fut_process p;
    struct fut_process_options o;
    struct fut_fd r;
    int fds[2];
    char buf[64];

    /* stdin from /dev/null: cat ends at once. */
    ck_assert_int_eq(spawn3(&p, (char *const[]){ "cat", NULL },
                            FUT_STDIO_NULL, FUT_STDIO_PIPE, FUT_STDIO_NULL),
                     0);
    ck_assert_int_eq(conf_read_to_end(&p.stdio[1].reader, buf, sizeof buf),
                     0);
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(fut_process_close(&p), 0);

    /* stdout to a descriptor of ours (borrowed: it stays open here). */
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    memset(&o, 0, sizeof o);
    o.argv = SH("printf fd");
    o.stdio[1].mode = FUT_STDIO_FD;
    o.stdio[1].fd = fds[1];
    ck_assert_int_eq(fut_process_spawn(&p, &o), 0);
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(fut_process_close(&p), 0);
    ck_assert_int_eq(fcntl(fds[1], F_GETFD) >= 0, 1);
    close(fds[1]);
    ck_assert_int_eq(fut_fd_init(&r, fds[0], FUT_FD_OWN), 0);
    ck_assert_int_eq(conf_read_to_end(&r.reader, buf, sizeof buf), 2);
    ck_assert_str_eq(buf, "fd");
    ck_assert_int_eq(fut_fd_close(&r), 0);

    /* A descriptor among 0..2 moved to another slot (stderr to stdout's
     * pipe is the shell's 2>&1). */
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    memset(&o, 0, sizeof o);
    o.argv = SH("printf both >&2");
    o.stdio[1].mode = FUT_STDIO_FD;
    o.stdio[1].fd = fds[1];
    o.stdio[2].mode = FUT_STDIO_FD;
    o.stdio[2].fd = fds[1];
    ck_assert_int_eq(fut_process_spawn(&p, &o), 0);
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(fut_process_close(&p), 0);
    close(fds[1]);
    ck_assert_int_eq(fut_fd_init(&r, fds[0], FUT_FD_OWN), 0);
    ck_assert_int_eq(conf_read_to_end(&r.reader, buf, sizeof buf), 4);
    ck_assert_str_eq(buf, "both");
    ck_assert_int_eq(fut_fd_close(&r), 0);
}
END_TEST

/* ---- env, cwd, file ------------------------------------------------------ */

START_TEST(test_process_env_and_cwd)
{
    struct fut_process p;
    struct fut_process_options o;
    char *const env[] = { "FUT_TEST_VAR=given", "PATH=/bin:/usr/bin", NULL };
    char buf[256], want[256];
    const char *home = getenv("HOME");

    memset(&o, 0, sizeof o);
    o.argv = SH("printf %s \"$FUT_TEST_VAR\"");
    o.envp = env;
    o.stdio[1].mode = FUT_STDIO_PIPE;
    ck_assert_int_eq(fut_process_spawn(&p, &o), 0);
    ck_assert_int_eq(conf_read_to_end(&p.stdio[1].reader, buf, sizeof buf),
                     5);
    ck_assert_str_eq(buf, "given");
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(fut_process_close(&p), 0);

    /* Inherited: the parent's environment. */
    o.envp = NULL;
    o.argv = SH("printf %s \"$HOME\"");
    ck_assert_int_eq(fut_process_spawn(&p, &o), 0);
    ck_assert_int_ge(conf_read_to_end(&p.stdio[1].reader, buf, sizeof buf),
                     0);
    snprintf(want, sizeof want, "%s", home != NULL ? home : "");
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(fut_process_close(&p), 0);

    /* The working directory. */
    o.argv = (char *const[]){ "pwd", NULL };
    o.cwd = "/";
    ck_assert_int_eq(fut_process_spawn(&p, &o), 0);
    ck_assert_int_eq(conf_read_to_end(&p.stdio[1].reader, buf, sizeof buf),
                     2);
    ck_assert_str_eq(buf, "/\n");
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(fut_process_close(&p), 0);

    /* @file apart from argv[0]. */
    o.cwd = NULL;
    o.file = "/bin/sh";
    o.argv = (char *const[]){ "not-a-program", "-c", "printf %s \"$0\"",
                              NULL };
    ck_assert_int_eq(fut_process_spawn(&p, &o), 0);
    ck_assert_int_eq(conf_read_to_end(&p.stdio[1].reader, buf, sizeof buf),
                     13);
    ck_assert_str_eq(buf, "not-a-program");
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(fut_process_close(&p), 0);
}
END_TEST

/* Exec failures come back from spawn, with no child left behind. */
START_TEST(test_process_exec_failures)
{
    struct fut_process p;
    struct fut_process_options o;
    char tmpl[] = "/tmp/fut-noexec.XXXXXX";
    int fd;

    ck_assert_int_eq(spawn3(&p, (char *const[]){ "/nonexistent/prog", NULL },
                            0, 0, 0), -ENOENT);
    ck_assert_int_eq(fut_process_close(&p), -EBADF);
    ck_assert_int_eq(spawn3(&p, (char *const[]){ "fut-no-such-program-x",
                                                 NULL }, 0, 0, 0), -ENOENT);
    ck_assert_int_eq(spawn3(&p, (char *const[]){ "/", NULL }, 0, 0, 0),
                     -EACCES);
    fd = mkostemp(tmpl, O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "#!/bin/sh\n", 10), 10);
    close(fd);
    ck_assert_int_eq(chmod(tmpl, 0600), 0);
    ck_assert_int_eq(spawn3(&p, (char *const[]){ tmpl, NULL }, FUT_STDIO_PIPE,
                            FUT_STDIO_PIPE, FUT_STDIO_PIPE), -EACCES);
    unlink(tmpl);
    /* A working directory that is not there. */
    memset(&o, 0, sizeof o);
    o.argv = (char *const[]){ "true", NULL };
    o.cwd = "/nonexistent/dir";
    ck_assert_int_eq(fut_process_spawn(&p, &o), -ENOENT);
    o.cwd = "/etc/passwd";
    ck_assert_int_eq(fut_process_spawn(&p, &o), -ENOTDIR);
}
END_TEST

START_TEST(test_process_bad_input)
{
    struct fut_process p;
    struct fut_process_options o;
    struct fut_process_wait w;
    struct fut_context cx = { fut_waker_noop(), &conf_rt };
    int res, fds[2];

    memset(&o, 0, sizeof o);
    o.argv = (char *const[]){ "true", NULL };
    ck_assert_int_eq(fut_process_spawn(NULL, &o), -EINVAL);
    ck_assert_int_eq(fut_process_spawn(&p, NULL), -EINVAL);
    o.argv = NULL;
    ck_assert_int_eq(fut_process_spawn(&p, &o), -EINVAL);
    o.argv = (char *const[]){ NULL };
    ck_assert_int_eq(fut_process_spawn(&p, &o), -EINVAL);
    o.argv = (char *const[]){ "", NULL };
    ck_assert_int_eq(fut_process_spawn(&p, &o), -ENOENT);
    o.argv = (char *const[]){ "true", NULL };
    o.flags = 0x100;
    ck_assert_int_eq(fut_process_spawn(&p, &o), -EINVAL);
    o.flags = 0;
    o.stdio[1].mode = 42;
    ck_assert_int_eq(fut_process_spawn(&p, &o), -EINVAL);
    o.stdio[1].mode = FUT_STDIO_FD;
    o.stdio[1].fd = -1;
    ck_assert_int_eq(fut_process_spawn(&p, &o), -EINVAL);
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    close(fds[0]);
    close(fds[1]);
    o.stdio[1].fd = fds[1];
    ck_assert_int_eq(fut_process_spawn(&p, &o), -EBADF);

    /* A closed process. */
    ck_assert_int_eq(fut_process_close(&p), -EBADF);
    ck_assert_int_eq(fut_process_close(NULL), -EINVAL);
    ck_assert_int_eq(fut_process_kill(NULL, SIGTERM), -EINVAL);
    ck_assert_int_eq(fut_process_kill(&p, SIGTERM), -EBADF);
    ck_assert_int_eq(fut_process_poll_wait(&p, &cx, &res), FUT_READY);
    ck_assert_int_eq(res, -EBADF);
    ck_assert_int_eq(fut_process_poll_wait(NULL, &cx, &res), FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_process_poll_wait(&p, NULL, &res), FUT_READY);
    ck_assert_int_eq(res, -EINVAL);
    ck_assert_int_eq(fut_process_poll_wait(&p, &cx, NULL), FUT_READY);
    ck_assert_int_eq(fut_process_wait_init(NULL, &p), -EINVAL);
    ck_assert_int_eq(fut_process_wait_init(&w, NULL), -EINVAL);
    ck_assert_int_eq(wait_child(&p), -EBADF);

    /* A bad signal number for a live child. */
    o.stdio[1].mode = FUT_STDIO_INHERIT;
    ck_assert_int_eq(fut_process_spawn(&p, &o), 0);
    ck_assert_int_eq(fut_process_kill(&p, -1), -EINVAL);
    ck_assert_int_eq(fut_process_kill(&p, 65), -EINVAL);
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(fut_process_close(&p), 0);
    ck_assert_int_eq(fut_process_close(&p), -EBADF);
}
END_TEST

/* ---- many ---------------------------------------------------------------- */

START_TEST(test_process_100_concurrent)
{
    enum { N = 100 };
    static struct fut_process p[N];
    char cmd[N][32];
    int i, n = conf_scaled(N);

    for (i = 0; i < n; i++) {
        snprintf(cmd[i], sizeof cmd[i], "exit %d", i % 50);
        ck_assert_int_eq(spawn3(&p[i], SH(cmd[i]), 0, 0, 0), 0);
    }
    /* Waited for in reverse, so most have ended before their wait. */
    for (i = n - 1; i >= 0; i--) {
        ck_assert_int_eq(wait_child(&p[i]), 0);
        ck_assert_int_eq(p[i].exit_code, i % 50);
        ck_assert_int_eq(fut_process_close(&p[i]), 0);
    }
}
END_TEST

/* ---- waits without a pidfd: SIGCHLD -------------------------------------- */

static int
no_pidfd(pid_t pid, unsigned int flags)
{
    (void)pid;
    (void)flags;
    errno = ENOSYS;
    return -1;
}

START_TEST(test_process_sigchld_fallback)
{
    enum { N = 20 };
    static struct fut_process p[N];
    char cmd[N][32];
    struct fut_process_wait w;
    int i;

    fut__sys.pidfd_open = no_pidfd;
    for (i = 0; i < N; i++) {
        snprintf(cmd[i], sizeof cmd[i], "exit %d", i + 1);
        ck_assert_int_eq(spawn3(&p[i], SH(cmd[i]), 0, 0, 0), 0);
        ck_assert_int_lt(p[i].pidfd.fd, 0);
    }
    ck_assert_uint_eq(fut__signal_listener_count(), N);
    for (i = 0; i < N; i++) {
        ck_assert_int_eq(wait_child(&p[i]), 0);
        ck_assert_int_eq(p[i].exit_code, i + 1);
        ck_assert_int_eq(fut_process_close(&p[i]), 0);
    }
    ck_assert_uint_eq(fut__signal_listener_count(), 0);

    /* A wait dropped while pending, then one that finishes. */
    ck_assert_int_eq(spawn3(&p[0], (char *const[]){ "cat", NULL },
                            FUT_STDIO_PIPE, FUT_STDIO_NULL, FUT_STDIO_INHERIT),
                     0);
    ck_assert_int_eq(fut_process_wait_init(&w, &p[0]), 0);
    ck_assert_int_eq(conf_drive(&w.base, 2), 0);
    fut_future_drop(&w.base);
    ck_assert_int_eq(fut_fd_close(&p[0].stdio[0]), 0);
    ck_assert_int_eq(wait_child(&p[0]), 0);
    ck_assert_int_eq(p[0].exit_code, 0);
    ck_assert_int_eq(fut_process_close(&p[0]), 0);
}
END_TEST

/* ---- the program's own children ------------------------------------------ */

START_TEST(test_process_leaves_other_children_alone)
{
    struct fut_process p;
    int st;
    pid_t own;

    own = fork();
    ck_assert_int_ge(own, 0);
    if (own == 0) {
        /* exec, not _exit(7): under valgrind a forked copy of the test
         * runs valgrind's leak check at its exit, which finds the blocks
         * only the parent's other threads pointed to, and exits 99. */
        execl("/bin/sh", "sh", "-c", "exit 7", (char *)NULL);
        _exit(127);
    }
    ck_assert_int_eq(spawn3(&p, SH("exit 1"), 0, 0, 0), 0);
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(p.exit_code, 1);
    ck_assert_int_eq(fut_process_close(&p), 0);
    /* Ours to reap, and still there. */
    ck_assert_int_eq(waitpid(own, &st, 0), own);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 7);
}
END_TEST

/* A program that reaps our child itself: the wait says -ECHILD. */
START_TEST(test_process_reaped_elsewhere)
{
    struct fut_process p;
    int st;

    ck_assert_int_eq(spawn3(&p, (char *const[]){ "true", NULL }, 0, 0, 0),
                     0);
    ck_assert_int_eq(waitpid(p.pid, &st, 0), p.pid);
    ck_assert_int_eq(wait_child(&p), -ECHILD);
    ck_assert_int_eq(fut_process_kill(&p, SIGTERM), -ESRCH);
    ck_assert_int_eq(fut_process_close(&p), 0);
}
END_TEST

/* ---- drop at every pending state ----------------------------------------- */

START_TEST(test_process_wait_drop_after_n_polls)
{
    struct fut_process p;
    struct fut_process_wait w;

    ck_assert_int_eq(spawn3(&p, (char *const[]){ "cat", NULL },
                            FUT_STDIO_PIPE, FUT_STDIO_NULL, FUT_STDIO_INHERIT),
                     0);
    ck_assert_int_eq(fut_process_wait_init(&w, &p), 0);
    ck_assert_int_eq(conf_drive(&w.base, _i), 0);
    fut_future_drop(&w.base);
    ck_assert_ptr_null(p.pidfd.read_waker.vtable);
    /* The child is untouched: it ends when its input does. */
    ck_assert_int_eq(fut_fd_close(&p.stdio[0]), 0);
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(p.exit_code, 0);
    ck_assert_int_eq(fut_process_close(&p), 0);
}
END_TEST

START_TEST(test_process_stdout_read_drop_after_n_polls)
{
    struct fut_process p;
    struct fut_read r;
    char buf[64];

    ck_assert_int_eq(spawn3(&p, (char *const[]){ "cat", NULL },
                            FUT_STDIO_PIPE, FUT_STDIO_PIPE, FUT_STDIO_INHERIT),
                     0);
    ck_assert_int_eq(fut_read_init(&r, &p.stdio[1].reader, buf, sizeof buf),
                     0);
    ck_assert_int_eq(conf_drive(&r.base, _i), 0);
    fut_future_drop(&r.base);
    ck_assert_ptr_null(p.stdio[1].io.read_waker.vtable);
    ck_assert_int_eq(conf_write_all(&p.stdio[0].writer, "abc", 3), 0);
    ck_assert_int_eq(fut_fd_close(&p.stdio[0]), 0);
    ck_assert_int_eq(conf_read_to_end(&p.stdio[1].reader, buf, sizeof buf),
                     3);
    ck_assert_str_eq(buf, "abc");
    ck_assert_int_eq(wait_child(&p), 0);
    ck_assert_int_eq(fut_process_close(&p), 0);
}
END_TEST

/* Closed while the child runs and a read of its stdout is pending: the
 * child is reaped in the background once it ends (here when its stdin,
 * closed by the close, ends). The teardown waits for that reap and checks
 * that no child is left. */
START_TEST(test_process_close_while_running)
{
    struct fut_process p;
    struct fut_read r;
    char buf[16];

    ck_assert_int_eq(spawn3(&p, (char *const[]){ "cat", NULL },
                            FUT_STDIO_PIPE, FUT_STDIO_PIPE, FUT_STDIO_INHERIT),
                     0);
    ck_assert_int_eq(fut_read_init(&r, &p.stdio[1].reader, buf, sizeof buf),
                     0);
    ck_assert_int_eq(conf_drive(&r.base, 2), 0);
    fut_future_drop(&r.base);
    ck_assert_int_eq(fut_process_close(&p), 0);
}
END_TEST

START_TEST(test_process_kill_on_drop)
{
    struct fut_process p;
    struct fut_process_options o;
    struct fut_process_wait w;
    pid_t pid;

    memset(&o, 0, sizeof o);
    o.argv = (char *const[]){ "sleep", "1000", NULL };
    o.flags = FUT_PROCESS_KILL_ON_DROP;
    ck_assert_int_eq(fut_process_spawn(&p, &o), 0);
    pid = p.pid;
    ck_assert_int_eq(fut_process_wait_init(&w, &p), 0);
    ck_assert_int_eq(conf_drive(&w.base, 2), 0);
    fut_future_drop(&w.base);
    ck_assert_int_eq(fut_process_close(&p), 0);
    /* Killed and reaped (at once, or by the reaper thread: the teardown
     * waits for it); never signalled twice. */
    (void)pid;
}
END_TEST

/* ---- faults -------------------------------------------------------------- */

static struct fut__syscalls saved_sys;
static int fault_left;

static pid_t
fail_fork(void)
{
    errno = EAGAIN;
    return -1;
}

static int
fail_pipe2_after(int fds[2], int flags)
{
    if (fault_left-- <= 0) {
        errno = EMFILE;
        return -1;
    }
    return saved_sys.pipe2(fds, flags);
}

static pid_t
eintr_waitpid(pid_t pid, int *st, int options)
{
    if (fault_left > 0) {
        fault_left--;
        errno = EINTR;
        return -1;
    }
    return saved_sys.waitpid(pid, st, options);
}

static int
emfile_pidfd(pid_t pid, unsigned int flags)
{
    (void)pid;
    (void)flags;
    errno = EMFILE;
    return -1;
}

START_TEST(test_process_faults)
{
    struct fut_process p;
    int i;

    saved_sys = fut__sys;
    /* fork fails: the error, nothing left open (the teardown counts). */
    fut__sys.fork = fail_fork;
    ck_assert_int_eq(spawn3(&p, (char *const[]){ "true", NULL },
                            FUT_STDIO_PIPE, FUT_STDIO_PIPE, FUT_STDIO_NULL),
                     -EAGAIN);
    fut__sys = saved_sys;
    /* Out of descriptors at each pipe: stdin's, stdout's, stderr's, the
     * error pipe. */
    for (i = 0; i < 4; i++) {
        fault_left = i;
        fut__sys.pipe2 = fail_pipe2_after;
        ck_assert_int_eq(spawn3(&p, (char *const[]){ "true", NULL },
                                FUT_STDIO_PIPE, FUT_STDIO_PIPE,
                                FUT_STDIO_PIPE), -EMFILE);
        fut__sys = saved_sys;
        ck_assert_int_eq(fut_process_close(&p), -EBADF);
    }
    /* pidfd_open fails for another reason than "not there": spawn fails,
     * and the child it had started is killed and reaped. */
    fut__sys.pidfd_open = emfile_pidfd;
    ck_assert_int_eq(spawn3(&p, (char *const[]){ "sleep", "1000", NULL },
                            0, 0, 0), -EMFILE);
    fut__sys = saved_sys;
    /* EINTR from waitpid is retried. */
    ck_assert_int_eq(spawn3(&p, SH("exit 4"), 0, 0, 0), 0);
    fault_left = 3;
    fut__sys.waitpid = eintr_waitpid;
    ck_assert_int_eq(wait_child(&p), 0);
    fut__sys = saved_sys;
    ck_assert_int_eq(p.exit_code, 4);
    ck_assert_int_eq(fut_process_close(&p), 0);
}
END_TEST

static TCase *
proc_case(const char *name, int timeout)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, proc_setup, proc_teardown);
    tcase_set_timeout(tc, timeout);
    return tc;
}

Suite *
fut_conf_process_suite(void)
{
    Suite *s = suite_create("process");
    TCase *tc;

    tc = proc_case("spawn", 60);
    tcase_add_test(tc, test_process_exit_codes);
    tcase_add_test(tc, test_process_kill_and_signal_status);
    tcase_add_test(tc, test_process_stdout_stderr_pipes);
    tcase_add_test(tc, test_process_stdin_pipe_cat);
    tcase_add_test(tc, test_process_stdin_null_and_fd);
    tcase_add_test(tc, test_process_env_and_cwd);
    suite_add_tcase(s, tc);

    tc = proc_case("errors", 60);
    tcase_add_test(tc, test_process_exec_failures);
    tcase_add_test(tc, test_process_bad_input);
    tcase_add_test(tc, test_process_leaves_other_children_alone);
    tcase_add_test(tc, test_process_reaped_elsewhere);
    tcase_add_test(tc, test_process_faults);
    suite_add_tcase(s, tc);

    tc = proc_case("many", 120);
    tcase_add_test(tc, test_process_100_concurrent);
    tcase_add_test(tc, test_process_sigchld_fallback);
    suite_add_tcase(s, tc);

    tc = proc_case("drop", 60);
    tcase_add_loop_test(tc, test_process_wait_drop_after_n_polls, 0, 4);
    tcase_add_loop_test(tc, test_process_stdout_read_drop_after_n_polls, 0,
                        4);
    tcase_add_test(tc, test_process_close_while_running);
    tcase_add_test(tc, test_process_kill_on_drop);
    suite_add_tcase(s, tc);
    return s;
}
