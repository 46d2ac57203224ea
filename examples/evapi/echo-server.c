/* SPDX-License-Identifier: MIT */
/* A plain libev 4 program: an ev_io echo server on 127.0.0.1 with its
 * clients in the same loop, then, one phase started from the last callback
 * of the one before: a repeating ev_timer driven with ev_timer_again, a
 * forked child reaped by ev_child, a signal raised and caught by
 * ev_signal, and ev_idle / ev_prepare / ev_check watchers counted over a
 * fixed number of idle iterations. It prints a summary that does not
 * depend on timing (no ports, addresses, pids or counts of reads).
 *
 * Built against the real libev (examples/evapi/echo-server-libev) and
 * against the libev API shim of libfutures on each backend;
 * tests/evapi/check-programs.sh compares what they print. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ev.h>

#define NCONN 8
#define NMSG 30
#define SBUF 65536
#define IDLE_RUNS 5

struct sconn {                  /* a server connection */
    ev_io w;
    size_t len, off;
    unsigned char buf[SBUF];
};

struct client {
    ev_io w;
    int id, msg;
    size_t out_len, out_off, in_got;
    unsigned char out[40000];
    int ok, bad, done;
};

static struct ev_loop *loop;
static ev_io accept_w;
static ev_timer safety, again_t;
static ev_child child_w;
static ev_signal sig_w;
static ev_idle idle_w;
static ev_prepare prep_w;
static ev_check check_w;
static struct client clients[NCONN];
static struct sockaddr_in addr;
static int accepted, server_closed, clients_done;
static size_t server_bytes;
static int again_fires, idle_n, prep_n, check_n;
static int failures;

static void phase_timer(void);

static void
set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* ---- server ---- */

static void
sconn_close(struct sconn *c)
{
    ev_io_stop(loop, &c->w);
    close(c->w.fd);
    free(c);
    server_closed++;
    if (server_closed == NCONN && clients_done == NCONN) {
        ev_io_stop(loop, &accept_w);
        close(accept_w.fd);
        phase_timer();
    }
}

static void
sconn_cb(struct ev_loop *l, ev_io *w, int revents)
{
    struct sconn *c = (struct sconn *)w;
    if (revents & EV_WRITE) {
        while (c->off < c->len) {
            ssize_t n = write(w->fd, c->buf + c->off, c->len - c->off);
            if (n < 0) {
                if (errno == EAGAIN)
                    return;
                failures++;
                sconn_close(c);
                return;
            }
            c->off += (size_t)n;
        }
        c->off = c->len = 0;
        ev_io_stop(l, w);
        ev_io_set(w, w->fd, EV_READ);
        ev_io_start(l, w);
        return;
    }
    ssize_t n = read(w->fd, c->buf, SBUF);
    if (n < 0) {
        if (errno != EAGAIN)
            failures++, sconn_close(c);
        return;
    }
    if (n == 0) {
        sconn_close(c);
        return;
    }
    server_bytes += (size_t)n;
    c->len = (size_t)n;
    c->off = 0;
    while (c->off < c->len) {
        ssize_t m = write(w->fd, c->buf + c->off, c->len - c->off);
        if (m < 0) {
            if (errno == EAGAIN) {
                ev_io_stop(l, w);
                ev_io_set(w, w->fd, EV_WRITE);
                ev_io_start(l, w);
                return;
            }
            failures++;
            sconn_close(c);
            return;
        }
        c->off += (size_t)m;
    }
    c->off = c->len = 0;
}

static void
accept_cb(struct ev_loop *l, ev_io *w, int revents)
{
    (void)revents;
    for (;;) {
        int fd = accept(w->fd, NULL, NULL);
        if (fd < 0)
            return;
        struct sconn *c = calloc(1, sizeof *c);
        if (c == NULL) {
            close(fd);
            failures++;
            continue;
        }
        set_nonblock(fd);
        accepted++;
        ev_io_init(&c->w, sconn_cb, fd, EV_READ);
        ev_io_start(l, &c->w);
    }
}

/* ---- clients: NMSG messages each, one at a time, every echo checked ---- */

static size_t
msg_len(int id, int m)
{
    return 1 + (size_t)((id * 7919 + m * 104729) % 39000);
}

static unsigned char
msg_byte(int id, int m, size_t k)
{
    return (unsigned char)(id * 31 + m * 17 + (int)(k % 251));
}

static void
client_send(struct client *c)
{
    c->out_len = msg_len(c->id, c->msg);
    for (size_t k = 0; k < c->out_len; k++)
        c->out[k] = msg_byte(c->id, c->msg, k);
    c->out_off = c->in_got = 0;
    ev_io_stop(loop, &c->w);
    ev_io_set(&c->w, c->w.fd, EV_READ | EV_WRITE);
    ev_io_start(loop, &c->w);
}

static void
client_cb(struct ev_loop *l, ev_io *w, int revents)
{
    struct client *c = (struct client *)w;
    if ((revents & EV_WRITE) && c->out_off < c->out_len) {
        ssize_t n = write(w->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (n > 0)
            c->out_off += (size_t)n;
        else if (n < 0 && errno != EAGAIN)
            failures++;
        if (c->out_off == c->out_len) {
            ev_io_stop(l, w);
            ev_io_set(w, w->fd, EV_READ);
            ev_io_start(l, w);
        }
    }
    if (!(revents & EV_READ))
        return;
    unsigned char tmp[16384];
    ssize_t n = read(w->fd, tmp, sizeof tmp);
    if (n <= 0) {
        if (n < 0 && errno == EAGAIN)
            return;
        failures++;
        ev_io_stop(l, w);
        close(w->fd);
        c->done = 1;
        clients_done++;
        return;
    }
    int good = 1;
    for (ssize_t k = 0; k < n; k++)
        if (c->in_got + (size_t)k >= c->out_len ||
            tmp[k] != msg_byte(c->id, c->msg, c->in_got + (size_t)k))
            good = 0;
    if (!good)
        c->bad++;
    c->in_got += (size_t)n;
    if (c->in_got < c->out_len)
        return;
    if (c->bad == 0)
        c->ok++;
    if (++c->msg < NMSG) {
        client_send(c);
        return;
    }
    ev_io_stop(l, w);
    close(w->fd);
    c->done = 1;
    clients_done++;
}

static int
client_start(struct client *c, int id)
{
    c->id = id;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    set_nonblock(fd);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    ev_io_init(&c->w, client_cb, fd, EV_WRITE);
    ev_io_start(loop, &c->w);
    client_send(c);
    return 0;
}

/* ---- the later phases ---- */

static void
idle_cb(struct ev_loop *l, ev_idle *w, int revents)
{
    (void)revents;
    if (++idle_n == IDLE_RUNS) {
        ev_idle_stop(l, w);
        ev_prepare_stop(l, &prep_w);
        ev_check_stop(l, &check_w);
        ev_ref(l);      /* undo the ev_unref of main before stopping it */
        ev_timer_stop(l, &safety);
        printf("idle phase: idle ran %d times, prepare %d, check %d (revents 0x%x)\n",
               idle_n, prep_n, check_n, (unsigned)revents);
        printf("active after the idle phase: idle %d, prepare %d, check %d\n",
               !!ev_is_active(&idle_w), !!ev_is_active(&prep_w), !!ev_is_active(&check_w));
        fflush(stdout);
    }
}

static void
prep_cb(struct ev_loop *l, ev_prepare *w, int revents)
{
    (void)l; (void)w;
    if (revents == EV_PREPARE)
        prep_n++;
}

static void
check_cb(struct ev_loop *l, ev_check *w, int revents)
{
    (void)l; (void)w;
    if (revents == EV_CHECK)
        check_n++;
}

static void
phase_idle(void)
{
    ev_idle_init(&idle_w, idle_cb);
    ev_prepare_init(&prep_w, prep_cb);
    ev_check_init(&check_w, check_cb);
    /* checks run before idles of the same iteration: say so explicitly */
    ev_set_priority(&check_w, EV_MAXPRI);
    ev_prepare_start(loop, &prep_w);
    ev_check_start(loop, &check_w);
    ev_idle_start(loop, &idle_w);
}

static void
sig_cb(struct ev_loop *l, ev_signal *w, int revents)
{
    printf("signal phase: caught %s (revents 0x%x, signum matches %d)\n",
           w->signum == SIGUSR1 ? "SIGUSR1" : "another signal", (unsigned)revents,
           w->signum == SIGUSR1);
    fflush(stdout);
    ev_signal_stop(l, w);
    phase_idle();
}

static void
phase_signal(void)
{
    ev_signal_init(&sig_w, sig_cb, SIGUSR1);
    ev_signal_start(loop, &sig_w);
    raise(SIGUSR1);
    printf("signal phase: raise returned, callback not yet run\n");
    fflush(stdout);
}

static pid_t child_pid;

static void
child_cb(struct ev_loop *l, ev_child *w, int revents)
{
    printf("child phase: rpid matches %d, exited %d with status %d (revents 0x%x)\n",
           w->rpid == child_pid, WIFEXITED(w->rstatus), WEXITSTATUS(w->rstatus),
           (unsigned)revents);
    fflush(stdout);
    ev_child_stop(l, w);
    phase_signal();
}

static void
phase_child(void)
{
    fflush(stdout);
    child_pid = fork();
    if (child_pid < 0) {
        perror("fork");
        exit(1);
    }
    if (child_pid == 0)
        _exit(7);
    ev_child_init(&child_w, child_cb, child_pid, 0);
    ev_child_start(loop, &child_w);
}

static void
again_cb(struct ev_loop *l, ev_timer *w, int revents)
{
    again_fires++;
    printf("timer phase: fire %d (revents 0x%x, active %d)\n", again_fires,
           (unsigned)revents, !!ev_is_active(w));
    fflush(stdout);
    if (again_fires == 3) {
        ev_timer_stop(l, w);
        /* ev_timer_again on a stopped timer with repeat 0 leaves it stopped */
        w->repeat = 0.;
        ev_timer_again(l, w);
        printf("timer phase: after ev_timer_again with repeat 0: active %d\n", !!ev_is_active(w));
        fflush(stdout);
        phase_child();
    } else {
        ev_timer_again(l, w);
    }
}

static void
phase_timer(void)
{
    printf("echo phase: accepted %d, server closed %d, echoed %zu bytes\n", accepted,
           server_closed, server_bytes);
    for (int i = 0; i < NCONN; i++)
        printf("client %d: %d messages ok, %d bad, done %d\n", i, clients[i].ok,
               clients[i].bad, clients[i].done);
    fflush(stdout);
    ev_init(&again_t, again_cb);
    again_t.repeat = 0.005;
    ev_timer_again(loop, &again_t);
    printf("timer phase: started with ev_timer_again: active %d, pending %d\n",
           !!ev_is_active(&again_t), !!ev_is_pending(&again_t));
    fflush(stdout);
}

static void
safety_cb(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)w; (void)revents;
    printf("SAFETY TIMEOUT: the program stalled\n");
    failures++;
    ev_break(l, EVBREAK_ALL);
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    loop = EV_DEFAULT;
    if (loop == NULL) {
        fprintf(stderr, "no default loop\n");
        return 1;
    }
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof addr;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(lfd, 64) != 0 || getsockname(lfd, (struct sockaddr *)&addr, &sl) != 0) {
        perror("listen socket");
        return 1;
    }
    set_nonblock(lfd);
    ev_io_init(&accept_w, accept_cb, lfd, EV_READ);
    ev_io_start(loop, &accept_w);
    ev_timer_init(&safety, safety_cb, 30., 0.);
    ev_timer_start(loop, &safety);
    ev_unref(loop);     /* the safety net does not keep the loop alive */
    for (int i = 0; i < NCONN; i++)
        if (client_start(&clients[i], i) != 0) {
            perror("client");
            return 1;
        }
    int more = ev_run(loop, 0);
    printf("ev_run returned %s\n", more ? "true (watchers left)" : "false (no active watchers)");
    if (!!ev_is_active(&safety)) {
        ev_ref(loop);
        ev_timer_stop(loop, &safety);
    }
    printf("failures %d\n", failures);
    ev_loop_destroy(loop);
    return failures == 0 ? 0 : 1;
}
