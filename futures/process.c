/* SPDX-License-Identifier: MIT */
/* Child processes (process.h): fork+exec, an error pipe, pidfd waits. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum proc_state {
    PROC_CLOSED = 0,
    PROC_RUNNING,
    PROC_EXITED,   /* reaped by us: exit_code / term_signal are set */
    PROC_LOST      /* reaped by someone else (ECHILD) */
};

static atomic_size_t orphans;

size_t
fut__process_orphan_count(void)
{
    return atomic_load(&orphans);
}

static void
proc_reset(struct fut_process *p)
{
    int i;

    memset(p, 0, sizeof *p);
    for (i = 0; i < 3; i++)
        (void)fut_fd_init(&p->stdio[i], -1, FUT_FD_OWN); /* a closed one */
    (void)fut_io_init(&p->pidfd, 0);
    p->pidfd.fd = -1;
    (void)fut_signal_init(&p->chld, NULL); /* a closed one */
    p->pid = -1;
    p->exit_code = -1;
    p->state = PROC_CLOSED;
}

/* ---- the child, between fork and exec ------------------------------------
 * Only async-signal-safe calls from here on: the parent may have other
 * threads, whose locks (malloc's) were copied in whatever state they were.
 */

static void
child_fail(int errfd, int err)
{
    ssize_t n;

    do
        n = write(errfd, &err, sizeof err);
    while (n < 0 && errno == EINTR);
    _exit(127);
}

/* execvp(3) without its allocation: try each PATH entry. EACCES from any
 * candidate wins over the last error, as execvp reports. */
static int
child_exec(const char *file, char *const *argv, char *const *envp,
           const char *path)
{
    char buf[PATH_MAX];
    const char *p, *end;
    size_t dlen, flen;
    int err = ENOENT, seen_eacces = 0;

    if (strchr(file, '/') != NULL) {
        execve(file, argv, envp);
        return errno;
    }
    flen = strlen(file);
    for (p = path;; p = end + 1) {
        end = strchr(p, ':');
        if (end == NULL)
            end = p + strlen(p);
        dlen = (size_t)(end - p);
        if (dlen == 0) {
            buf[0] = '.';
            dlen = 1;
        } else if (dlen < sizeof buf) {
            memcpy(buf, p, dlen);
        }
        if (dlen + 1 + flen + 1 <= sizeof buf) {
            buf[dlen] = '/';
            memcpy(buf + dlen + 1, file, flen + 1);
            execve(buf, argv, envp);
            err = errno;
            if (err == EACCES)
                seen_eacces = 1;
        }
        if (*end == '\0')
            break;
    }
    return seen_eacces ? EACCES : err;
}

static void
child_run(const struct fut_process_options *o, const char *file,
          const char *path, char *const *envp, int fds[3], int errfd)
{
    struct sigaction dfl;
    sigset_t none;
    int i, fd;

    /* Our handlers (signal.h) must never run here: they would write to
     * the parent's listener pipes. Every signal was blocked before the
     * fork; each goes back to its default before any is unblocked. */
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (i = 1; i < NSIG; i++)
        if (i != SIGKILL && i != SIGSTOP)
            (void)sigaction(i, &dfl, NULL);

    /* A source among 0..2 that another slot would overwrite is moved out
     * of the way first. */
    for (i = 0; i < 3; i++) {
        if (fds[i] >= 0 && fds[i] < 3 && fds[i] != i) {
            fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
            if (fd < 0)
                child_fail(errfd, errno);
            fds[i] = fd;
        }
    }
    for (i = 0; i < 3; i++) {
        if (fds[i] < 0)
            continue;
        if (fds[i] == i) {
            /* dup2 onto itself keeps FD_CLOEXEC: clear it. */
            if (fcntl(i, F_SETFD, 0) < 0)
                child_fail(errfd, errno);
        } else if (dup2(fds[i], i) < 0) {
            child_fail(errfd, errno);
        }
        /* The child expects blocking stdio (the parent's end is the one
         * that is nonblocking; a borrowed descriptor is the program's). */
    }
    if (o->cwd != NULL && chdir(o->cwd) < 0)
        child_fail(errfd, errno);
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    child_fail(errfd, child_exec(file, o->argv, envp, path));
}

/* ---- spawn --------------------------------------------------------------- */

static int
options_ok(const struct fut_process_options *o)
{
    int i;

    if (o->argv == NULL || o->argv[0] == NULL)
        return -EINVAL;
    if (o->flags & ~(unsigned int)FUT_PROCESS_KILL_ON_DROP)
        return -EINVAL;
    for (i = 0; i < 3; i++) {
        switch (o->stdio[i].mode) {
        case FUT_STDIO_INHERIT:
        case FUT_STDIO_NULL:
        case FUT_STDIO_PIPE:
            break;
        case FUT_STDIO_FD:
            if (o->stdio[i].fd < 0)
                return -EINVAL;
            if (fut__sys.fcntl(o->stdio[i].fd, F_GETFD, 0) < 0)
                return -EBADF;
            break;
        default:
            return -EINVAL;
        }
    }
    return 0;
}

/* Open what the child's stdio needs: @child[i] is the descriptor the child
 * gets (-1: inherit), @mine[i] one the parent closes after the fork
 * (child ends of pipes, /dev/null); pipes' parent ends go into @p. */
static int
stdio_open(struct fut_process *p, const struct fut_process_options *o,
           int child[3], int mine[3])
{
    int i, fds[2], err;

    for (i = 0; i < 3; i++) {
        child[i] = -1;
        mine[i] = -1;
    }
    for (i = 0; i < 3; i++) {
        switch (o->stdio[i].mode) {
        case FUT_STDIO_NULL:
            mine[i] = fut__sys.openat(AT_FDCWD, "/dev/null",
                                      O_RDWR | O_CLOEXEC, 0);
            if (mine[i] < 0)
                return fut__os_err();
            child[i] = mine[i];
            break;
        case FUT_STDIO_PIPE:
            /* Blocking and close-on-exec: the child's end stays blocking;
             * ours becomes nonblocking when adopted. */
            err = fut__os_pipe(fds, 0);
            if (err != 0)
                return err;
            mine[i] = i == 0 ? fds[0] : fds[1];
            child[i] = mine[i];
            err = fut_fd_init(&p->stdio[i], i == 0 ? fds[1] : fds[0],
                              FUT_FD_OWN);
            if (err != 0) {
                fut__os_close(i == 0 ? fds[1] : fds[0]);
                return err;
            }
            break;
        case FUT_STDIO_FD:
            child[i] = o->stdio[i].fd;
            break;
        default:
            break;
        }
    }
    return 0;
}

static void
close_each(int fds[3])
{
    int i;

    for (i = 0; i < 3; i++) {
        fut__os_close(fds[i]);
        fds[i] = -1;
    }
}

/* waitpid(@p->pid, WNOHANG): 1 reaped (state EXITED), 0 still running, or
 * -errno (ECHILD: state LOST). */
static int
proc_reap(struct fut_process *p)
{
    int st = 0;
    pid_t r;

    do
        r = fut__sys.waitpid(p->pid, &st, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return 0;
    if (r < 0) {
        if (errno == ECHILD)
            p->state = PROC_LOST;
        return fut__os_err();
    }
    p->state = PROC_EXITED;
    if (WIFEXITED(st)) {
        p->exit_code = WEXITSTATUS(st);
        p->term_signal = 0;
    } else {
        p->exit_code = -1;
        p->term_signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    }
    return 1;
}

/* Release what the wait used: the pidfd or the SIGCHLD listener. */
static void
wait_release(struct fut_process *p)
{
    if (p->pidfd.fd >= 0) {
        (void)fut_io_close(&p->pidfd);
        fut__os_close(p->pidfd.fd);
        p->pidfd.fd = -1;
    }
    (void)fut_signal_close(&p->chld);
}

int
fut_process_spawn(struct fut_process *p, const struct fut_process_options *o)
{
    int child[3], mine[3], errp[2];
    const char *file, *path;
    char *const *envp;
    sigset_t all, old;
    ssize_t n;
    pid_t pid;
    int err, cerr, i, st;

    if (p == NULL)
        return -EINVAL;
    proc_reset(p);
    if (o == NULL)
        return -EINVAL;
    err = options_ok(o);
    if (err != 0)
        return err;
    file = o->file != NULL ? o->file : o->argv[0];
    if (file[0] == '\0')
        return -ENOENT;
    path = getenv("PATH");
    if (path == NULL)
        path = "/bin:/usr/bin";
    envp = o->envp != NULL ? o->envp : environ;

    err = stdio_open(p, o, child, mine);
    if (err == 0)
        err = fut__os_pipe(errp, 0);
    if (err != 0) {
        close_each(mine);
        for (i = 0; i < 3; i++)
            (void)fut_fd_close(&p->stdio[i]);
        return err;
    }

    /* Every signal blocked across the fork: the child must not run a
     * handler of ours before it has put the defaults back. */
    sigfillset(&all);
    (void)pthread_sigmask(SIG_SETMASK, &all, &old);
    pid = fut__sys.fork();
    if (pid == 0) {
        fut__os_close(errp[0]);
        child_run(o, file, path, envp, child, errp[1]);
    }
    err = pid < 0 ? fut__os_err() : 0;
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    close_each(mine);
    fut__os_close(errp[1]);

    if (err == 0) {
        /* End of file: the exec happened (the pipe was close-on-exec).
         * An int: the child's errno, and it is exiting. */
        do
            n = fut__sys.read(errp[0], &cerr, sizeof cerr);
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t)sizeof cerr) {
            err = cerr > 0 ? -cerr : -EIO;
            while (fut__sys.waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        } else if (n != 0) {
            err = n < 0 ? fut__os_err() : -EIO;
            (void)fut__sys.kill(pid, SIGKILL);
            while (fut__sys.waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        }
    }
    fut__os_close(errp[0]);
    if (err != 0) {
        for (i = 0; i < 3; i++)
            (void)fut_fd_close(&p->stdio[i]);
        return err;
    }

    p->pid = pid;
    p->state = PROC_RUNNING;
    p->flags = o->flags;
    i = fut__os_pidfd_open(pid);
    if (i >= 0) {
        (void)fut_io_init(&p->pidfd, i);
        return 0;
    }
    /* No pidfd: SIGCHLD. A SIGCHLD before the listener opened is not
     * lost: every wait looks at the child with waitpid first. */
    err = i == -ENOSYS ? fut_signal_init_one(&p->chld, SIGCHLD) : i;
    if (err != 0) {
        (void)fut__sys.kill(pid, SIGKILL);
        while (fut__sys.waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        for (i = 0; i < 3; i++)
            (void)fut_fd_close(&p->stdio[i]);
        proc_reset(p);
        return err;
    }
    return 0;
}

/* ---- wait ---------------------------------------------------------------- */

static struct fut_io *
wait_io(struct fut_process *p)
{
    return p->pidfd.fd >= 0 ? &p->pidfd : &p->chld.io;
}

enum fut_poll
fut_process_poll_wait(struct fut_process *p, struct fut_context *cx,
                      int *res)
{
    int r, err, signo, seen = 0;

    if (res == NULL)
        return FUT_READY;
    if (p == NULL || cx == NULL) {
        *res = -EINVAL;
        return FUT_READY;
    }
    for (;;) {
        switch (p->state) {
        case PROC_CLOSED:
            *res = -EBADF;
            return FUT_READY;
        case PROC_EXITED:
            *res = 0;
            return FUT_READY;
        case PROC_LOST:
            *res = -ECHILD;
            return FUT_READY;
        default:
            break;
        }
        r = proc_reap(p);
        if (r != 0) {
            wait_release(p);
            continue;
        }
        if (p->pidfd.fd >= 0) {
            /* Readable means exited, so the reap above succeeds; a
             * readiness the reap did not confirm is forgotten. */
            if (seen)
                fut_io_clear_ready(&p->pidfd, FUT_IO_READABLE);
            if (fut_io_poll_ready(&p->pidfd, cx, FUT_IO_READABLE, &err) ==
                FUT_PENDING)
                return FUT_PENDING;
            seen = 1;
        } else {
            if (fut_signal_poll_recv(&p->chld, cx, &signo, &err) ==
                FUT_PENDING)
                return FUT_PENDING;
        }
        if (err != 0) {
            *res = err;
            return FUT_READY;
        }
    }
}

#define WAIT_PENDING 1

static void
wait_forget(struct fut_process_wait *w)
{
    /* A finished wait released the pidfd or the listener (closing drops
     * the wakers); the registration is withdrawn only while it exists. */
    if (w->reg.waker.vtable != NULL) {
        if (w->process->state == PROC_RUNNING)
            fut_io_forget_reg(wait_io(w->process), FUT_IO_READABLE,
                              &w->reg);
        fut_reg_clear(&w->reg);
    }
}

static enum fut_poll
wait_poll(struct fut_future *f, struct fut_context *cx)
{
    struct fut_process_wait *w = (struct fut_process_wait *)f;
    int res;

    if (w->res != WAIT_PENDING)
        return FUT_READY;
    if (fut_process_poll_wait(w->process, cx, &res) == FUT_PENDING) {
        fut_io_note(wait_io(w->process), FUT_IO_READABLE, cx, &w->reg);
        return FUT_PENDING;
    }
    wait_forget(w);
    w->res = res;
    w->exit_code = w->process->exit_code;
    w->term_signal = w->process->term_signal;
    return FUT_READY;
}

static void
wait_drop(struct fut_future *f)
{
    wait_forget((struct fut_process_wait *)f);
}

static int
wait_result(const struct fut_future *f)
{
    const struct fut_process_wait *w = (const struct fut_process_wait *)f;

    return w->res == WAIT_PENDING ? 0 : w->res;
}

static const struct fut_future_vtable wait_vtable = {
    .poll = wait_poll,
    .drop = wait_drop,
    .result = wait_result,
};

int
fut_process_wait_init(struct fut_process_wait *f, struct fut_process *p)
{
    if (f == NULL || p == NULL)
        return -EINVAL;
    f->base.vtable = &wait_vtable;
    f->process = p;
    f->res = WAIT_PENDING;
    f->exit_code = -1;
    f->term_signal = 0;
    fut_reg_clear(&f->reg);
    return 0;
}

/* ---- kill and close ------------------------------------------------------ */

int
fut_process_kill(struct fut_process *p, int signo)
{
    if (p == NULL || signo < 0 || signo > 64 || signo >= NSIG)
        return -EINVAL;
    if (p->state == PROC_CLOSED)
        return -EBADF;
    /* A reaped pid may have been given to another process since. */
    if (p->state != PROC_RUNNING)
        return -ESRCH;
    if (fut__sys.kill(p->pid, signo) < 0)
        return fut__os_err();
    return 0;
}

/* A detached thread's whole life: wait for one pid. It blocks every signal
 * so that no handler runs on it. */
static void *
reaper_main(void *arg)
{
    pid_t pid = (pid_t)(intptr_t)arg;
    sigset_t all;
    int st;

    sigfillset(&all);
    (void)pthread_sigmask(SIG_SETMASK, &all, NULL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    atomic_fetch_sub(&orphans, 1);
    return NULL;
}

/* Make sure the running child @pid is reaped once it ends. */
static void
reap_later(pid_t pid)
{
    pthread_attr_t attr;
    pthread_t t;
    sigset_t all, old;
    int err, st;

    atomic_fetch_add(&orphans, 1);
    err = pthread_attr_init(&attr);
    if (err == 0) {
        (void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        (void)pthread_attr_setstacksize(&attr, 256 * 1024);
        /* Created with every signal blocked, so none lands on it before
         * it blocks them itself. */
        sigfillset(&all);
        (void)pthread_sigmask(SIG_SETMASK, &all, &old);
        err = pthread_create(&t, &attr, reaper_main, (void *)(intptr_t)pid);
        (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
        (void)pthread_attr_destroy(&attr);
    }
    if (err == 0)
        return;
    /* No thread: better a killed child than a zombie. */
    (void)fut__sys.kill(pid, SIGKILL);
    while (fut__sys.waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    atomic_fetch_sub(&orphans, 1);
}

int
fut_process_close(struct fut_process *p)
{
    int i;

    if (p == NULL)
        return -EINVAL;
    if (p->state == PROC_CLOSED)
        return -EBADF;
    for (i = 0; i < 3; i++)
        (void)fut_fd_close(&p->stdio[i]);
    if (p->state == PROC_RUNNING) {
        if (p->flags & FUT_PROCESS_KILL_ON_DROP)
            (void)fut__sys.kill(p->pid, SIGKILL);
        if (proc_reap(p) == 0)
            reap_later(p->pid);
    }
    wait_release(p);
    p->state = PROC_CLOSED;
    return 0;
}
