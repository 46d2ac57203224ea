/* SPDX-License-Identifier: MIT */
/* compat/uv: libuv requests (connect, shutdown, getaddrinfo, fs, work) as futures. */

/*
 * Each future issues its request at the first poll, in one record
 * allocated then (the libuv request, the waker, the results, a bounce
 * buffer for fs reads and writes). The record is owned jointly: the
 * future points at it; libuv's callback finds it through req->data (the
 * request is ours, so its data field is ours). Whoever comes second frees
 * it: the poll that sees the callback's results (READY), or the callback
 * of a request whose future was dropped (orphaned).
 *
 * libuv facts this relies on (1.30 to 1.48 on Unix):
 * - uv_fs_*, uv_getaddrinfo and uv_tcp_connect copy the path, the node,
 *   service and hints, and the address when they are called;
 *   uv_pipe_connect copies the name into a sockaddr_un, truncating it
 *   silently when too long (we refuse that with -ENAMETOOLONG).
 * - uv_cancel() succeeds for fs, getaddrinfo and work requests that no
 *   pool thread took yet; their callback still comes, with UV_ECANCELED
 *   (UV_EAI_CANCELED for getaddrinfo).
 * - Closing a handle completes its pending connect or shutdown with
 *   UV_ECANCELED before the close callback; the callback touches only the
 *   request.
 * - Every callback runs on the loop's thread; a wake from there, for a
 *   runtime attached to this loop, is local (see stream.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>

#include <futures/alloc.h>
#include <futures/compat-uv-req.h>
#include <futures/waker.h>

enum kind {
    K_TCP_CONNECT = 1,
    K_PIPE_CONNECT,
    K_SHUTDOWN,
    K_GETADDRINFO,
    K_FS_OPEN,
    K_FS_CLOSE,
    K_FS_READ,
    K_FS_WRITE,
    K_FS_STAT,
    K_FS_LSTAT,
    K_FS_FSTAT,
    K_FS_UNLINK,
    K_FS_MKDIR,
    K_FS_RMDIR,
    K_FS_RENAME,
    K_FS_FSYNC,
    K_FS_FTRUNCATE,
    K_WORK,
};

enum { ST_NEW = 0, ST_FLIGHT, ST_DONE };

struct fut__uvr {
    union {
        uv_req_t req;
        uv_connect_t connect;
        uv_shutdown_t shutdown;
        uv_getaddrinfo_t gai;
        uv_fs_t fs;
        uv_work_t work;
    } u;
    int kind;
    int done;     /* the callback came */
    int orphaned; /* the future was dropped: the callback frees */
    ssize_t res;
    int uverr;
    uv_stat_t statbuf;
    struct addrinfo *ai;
    struct fut_waker waker;
    int (*work)(void *arg);
    void (*release)(void *arg);
    void *arg;
    int work_res;
    size_t len;
    unsigned char buf[]; /* fs read and write: the bounce buffer */
};

/* ---- errors ---------------------------------------------------------------- */

/* A libuv status as a negative errno (see the header). */
static int
map_err(int e)
{
    if (e >= 0)
        return e;
    switch (e) {
    case UV_EAI_NONAME:
    case UV_EAI_NODATA:
        return -ENOENT;
    case UV_EAI_ADDRFAMILY:
        return -EADDRNOTAVAIL;
    case UV_EAI_AGAIN:
        return -EAGAIN;
    case UV_EAI_BADFLAGS:
    case UV_EAI_BADHINTS:
        return -EINVAL;
    case UV_EAI_FAMILY:
        return -EAFNOSUPPORT;
    case UV_EAI_SOCKTYPE:
        return -ENOTSUP;
    case UV_EAI_SERVICE:
        return -EPROTONOSUPPORT;
    case UV_EAI_MEMORY:
        return -ENOMEM;
    case UV_EAI_OVERFLOW:
        return -ENOBUFS;
    case UV_EAI_CANCELED:
        return -ECANCELED;
    default:
        break;
    }
    if (e <= -3000 && e >= -4095)
        return -EIO;
    return e;
}

/* ---- the record ------------------------------------------------------------ */

static void
rec_free(struct fut__uvr *r)
{
    if (r->ai != NULL)
        uv_freeaddrinfo(r->ai);
    fut_mem_free(r);
}

/* A callback's end: free an orphan, or wake the future's task. */
static void
rec_complete(struct fut__uvr *r)
{
    r->done = 1;
    if (r->orphaned) {
        rec_free(r);
        return;
    }
    fut_waker_take_wake(&r->waker);
}

static void
on_connect(uv_connect_t *req, int status)
{
    struct fut__uvr *r = req->data;

    r->uverr = status;
    r->res = status == UV_ECANCELED ? -EBADF : map_err(status);
    rec_complete(r);
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
    struct fut__uvr *r = req->data;

    r->uverr = status;
    r->res = status == UV_ECANCELED ? -EBADF : map_err(status);
    rec_complete(r);
}

static void
on_getaddrinfo(uv_getaddrinfo_t *req, int status, struct addrinfo *ai)
{
    struct fut__uvr *r = req->data;

    r->uverr = status;
    r->res = map_err(status);
    if (status == 0 && ai == NULL)
        r->res = -ENOENT;
    r->ai = ai; /* freed by rec_free() unless a poll takes it */
    rec_complete(r);
}

static void
on_fs(uv_fs_t *req)
{
    struct fut__uvr *r = req->data;
    ssize_t res = req->result;

    r->uverr = res < 0 ? (int)res : 0;
    r->res = res < 0 ? map_err((int)res) : res;
    if (res == 0 && (r->kind == K_FS_STAT || r->kind == K_FS_LSTAT ||
                     r->kind == K_FS_FSTAT))
        r->statbuf = req->statbuf;
    uv_fs_req_cleanup(req);
    rec_complete(r);
}

static void
on_work(uv_work_t *req)
{
    struct fut__uvr *r = req->data;

    /* The pool thread; the loop thread reads work_res only in on_after,
     * which libuv orders after this returns. */
    r->work_res = r->work(r->arg);
}

static void
on_after_work(uv_work_t *req, int status)
{
    struct fut__uvr *r = req->data;

    r->uverr = status;
    r->res = status == 0 ? r->work_res : map_err(status);
    if (r->release != NULL)
        r->release(r->arg);
    r->release = NULL;
    rec_complete(r);
}

/* ---- issuing --------------------------------------------------------------- */

static int
is_fs(int kind)
{
    return kind >= K_FS_OPEN && kind <= K_FS_FTRUNCATE;
}

/* Issue @op's request. 0 (in flight: op->rec set) or a negative errno
 * (nothing allocated any more). */
static int
issue(struct fut__uvop *op)
{
    struct fut__uvr *r;
    size_t extra = 0;
    uv_buf_t b;
    int err = 0;

    if (op->kind == K_TCP_CONNECT || op->kind == K_PIPE_CONNECT ||
        op->kind == K_SHUTDOWN) {
        if (uv_is_closing((const uv_handle_t *)op->h))
            return -EBADF;
    }
    if (op->kind == K_FS_READ || op->kind == K_FS_WRITE)
        extra = op->len;
    r = fut_mem_alloc(sizeof(*r) + extra);
    if (r == NULL)
        return -ENOMEM;
    memset(r, 0, sizeof(*r));
    r->kind = op->kind;
    r->len = extra;
    r->u.req.data = r;
    b = uv_buf_init((char *)r->buf, (unsigned)extra);
    switch (op->kind) {
    case K_TCP_CONNECT:
        err = uv_tcp_connect(&r->u.connect, op->h,
                             (const struct sockaddr *)&op->addr, on_connect);
        break;
    case K_PIPE_CONNECT:
        uv_pipe_connect(&r->u.connect, op->h, op->s1, on_connect);
        break;
    case K_SHUTDOWN:
        err = uv_shutdown(&r->u.shutdown, op->h, on_shutdown);
        break;
    case K_GETADDRINFO:
        err = uv_getaddrinfo(op->loop, &r->u.gai, on_getaddrinfo, op->s1,
                             op->s2, op->hints);
        break;
    case K_FS_OPEN:
        err = uv_fs_open(op->loop, &r->u.fs, op->s1, op->flags, op->mode,
                         on_fs);
        break;
    case K_FS_CLOSE:
        err = uv_fs_close(op->loop, &r->u.fs, op->file, on_fs);
        break;
    case K_FS_READ:
        err = uv_fs_read(op->loop, &r->u.fs, op->file, &b, 1, op->off,
                         on_fs);
        break;
    case K_FS_WRITE:
        memcpy(r->buf, op->wbuf, op->len);
        err = uv_fs_write(op->loop, &r->u.fs, op->file, &b, 1, op->off,
                          on_fs);
        break;
    case K_FS_STAT:
        err = uv_fs_stat(op->loop, &r->u.fs, op->s1, on_fs);
        break;
    case K_FS_LSTAT:
        err = uv_fs_lstat(op->loop, &r->u.fs, op->s1, on_fs);
        break;
    case K_FS_FSTAT:
        err = uv_fs_fstat(op->loop, &r->u.fs, op->file, on_fs);
        break;
    case K_FS_UNLINK:
        err = uv_fs_unlink(op->loop, &r->u.fs, op->s1, on_fs);
        break;
    case K_FS_MKDIR:
        err = uv_fs_mkdir(op->loop, &r->u.fs, op->s1, op->mode, on_fs);
        break;
    case K_FS_RMDIR:
        err = uv_fs_rmdir(op->loop, &r->u.fs, op->s1, on_fs);
        break;
    case K_FS_RENAME:
        err = uv_fs_rename(op->loop, &r->u.fs, op->s1, op->s2, on_fs);
        break;
    case K_FS_FSYNC:
        err = uv_fs_fsync(op->loop, &r->u.fs, op->file, on_fs);
        break;
    case K_FS_FTRUNCATE:
        err = uv_fs_ftruncate(op->loop, &r->u.fs, op->file, op->off, on_fs);
        break;
    case K_WORK:
        r->work = op->work;
        r->release = op->release;
        r->arg = op->arg;
        err = uv_queue_work(op->loop, &r->u.work, on_work, on_after_work);
        break;
    default:
        err = UV_EINVAL;
        break;
    }
    if (err != 0) {
        if (is_fs(op->kind))
            uv_fs_req_cleanup(&r->u.fs);
        fut_mem_free(r);
        return map_err(err);
    }
    op->rec = r;
    return 0;
}

/* What a READY poll hands to the typed future. */
struct out {
    ssize_t res;
    int uverr;
    struct fut__uvr *rec; /* NULL when no request was issued */
};

/*
 * Advance @op: PENDING while in flight, READY with @o filled (o->rec,
 * when set, is freed by the caller after it copied what it needs).
 */
static enum fut_poll
op_poll(struct fut__uvop *op, struct fut_context *cx, struct out *o)
{
    struct fut__uvr *r;
    int err;

    o->rec = NULL;
    o->uverr = 0;
    if (op->state == ST_NEW) {
        if ((op->kind == K_FS_READ || op->kind == K_FS_WRITE) &&
            op->len == 0) {
            o->res = 0;
            return FUT_READY;
        }
        err = issue(op);
        if (err != 0) {
            if (op->kind == K_WORK && op->release != NULL)
                op->release(op->arg);
            o->res = err;
            o->uverr = err;
            return FUT_READY;
        }
        op->state = ST_FLIGHT;
    }
    r = op->rec;
    if (!r->done) {
        fut_waker_set(&r->waker, cx->waker);
        return FUT_PENDING;
    }
    fut_waker_drop(&r->waker);
    op->rec = NULL;
    o->res = r->res;
    o->uverr = r->uverr;
    o->rec = r;
    return FUT_READY;
}

static void
op_drop(struct fut__uvop *op)
{
    struct fut__uvr *r = op->rec;

    if (op->state == ST_NEW) {
        if (op->kind == K_WORK && op->release != NULL)
            op->release(op->arg);
        return;
    }
    if (r == NULL)
        return;
    op->rec = NULL;
    fut_waker_drop(&r->waker);
    if (r->done) {
        rec_free(r);
        return;
    }
    r->orphaned = 1;
    if (op->kind == K_GETADDRINFO || op->kind == K_WORK || is_fs(op->kind))
        (void)uv_cancel(&r->u.req);
}

static void
op_init(struct fut__uvop *op, int kind)
{
    memset(op, 0, sizeof(*op));
    op->kind = kind;
}

static int
res_of(ssize_t res)
{
    return res < 0 ? (int)res : 0;
}

/* The poll of a request whose output is a status (connect, shutdown,
 * work): READY stores it in *@res once and frees the record. */
static enum fut_poll
status_poll(struct fut__uvop *op, int *res, struct fut_context *cx)
{
    struct out o;

    if (op->state == ST_DONE)
        return FUT_READY;
    if (op_poll(op, cx, &o) == FUT_PENDING)
        return FUT_PENDING;
    *res = (int)o.res;
    if (o.rec != NULL)
        rec_free(o.rec);
    op->state = ST_DONE;
    return FUT_READY;
}

/* ---- connect --------------------------------------------------------------- */

static enum fut_poll
connect_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_uv_connect *f = (struct fut_uv_connect *)base;

    return status_poll(&f->op, &f->res, cx);
}

static void
connect_drop(struct fut_future *base)
{
    op_drop(&((struct fut_uv_connect *)base)->op);
}

static int
connect_result(const struct fut_future *base)
{
    return ((const struct fut_uv_connect *)base)->res;
}

static const struct fut_future_vtable connect_vtable = {
    connect_poll, connect_drop, connect_result,
};

int
fut_uv_tcp_connect_init(struct fut_uv_connect *f, uv_tcp_t *h,
                        const struct sockaddr *addr)
{
    size_t alen;

    if (f == NULL)
        return -EINVAL;
    f->base.vtable = NULL;
    if (h == NULL || addr == NULL || h->type != UV_TCP)
        return -EINVAL;
    if (addr->sa_family == AF_INET)
        alen = sizeof(struct sockaddr_in);
    else if (addr->sa_family == AF_INET6)
        alen = sizeof(struct sockaddr_in6);
    else
        return -EINVAL;
    op_init(&f->op, K_TCP_CONNECT);
    f->op.h = h;
    memcpy(&f->op.addr, addr, alen);
    f->res = 0;
    f->base.vtable = &connect_vtable;
    return 0;
}

int
fut_uv_pipe_connect_init(struct fut_uv_connect *f, uv_pipe_t *h,
                         const char *name)
{
    struct sockaddr_un sun;

    if (f == NULL)
        return -EINVAL;
    f->base.vtable = NULL;
    if (h == NULL || name == NULL || name[0] == '\0' ||
        h->type != UV_NAMED_PIPE)
        return -EINVAL;
    if (strlen(name) >= sizeof(sun.sun_path))
        return -ENAMETOOLONG;
    op_init(&f->op, K_PIPE_CONNECT);
    f->op.h = h;
    f->op.s1 = name;
    f->res = 0;
    f->base.vtable = &connect_vtable;
    return 0;
}

/* ---- shutdown -------------------------------------------------------------- */

static enum fut_poll
shutdown_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_uv_shutdown *f = (struct fut_uv_shutdown *)base;

    return status_poll(&f->op, &f->res, cx);
}

static void
shutdown_drop(struct fut_future *base)
{
    op_drop(&((struct fut_uv_shutdown *)base)->op);
}

static int
shutdown_result(const struct fut_future *base)
{
    return ((const struct fut_uv_shutdown *)base)->res;
}

static const struct fut_future_vtable shutdown_vtable = {
    shutdown_poll, shutdown_drop, shutdown_result,
};

int
fut_uv_shutdown_init(struct fut_uv_shutdown *f, uv_stream_t *h)
{
    if (f == NULL)
        return -EINVAL;
    f->base.vtable = NULL;
    if (h == NULL || (h->type != UV_TCP && h->type != UV_NAMED_PIPE &&
                      h->type != UV_TTY))
        return -EINVAL;
    op_init(&f->op, K_SHUTDOWN);
    f->op.h = h;
    f->res = 0;
    f->base.vtable = &shutdown_vtable;
    return 0;
}

/* ---- getaddrinfo ----------------------------------------------------------- */

static enum fut_poll
gai_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_uv_getaddrinfo *f = (struct fut_uv_getaddrinfo *)base;
    struct out o;

    if (f->op.state == ST_DONE)
        return FUT_READY;
    if (op_poll(&f->op, cx, &o) == FUT_PENDING)
        return FUT_PENDING;
    f->res = (int)o.res;
    f->uverr = o.uverr;
    f->ai = NULL;
    if (o.rec != NULL) {
        if (f->res == 0) {
            f->ai = o.rec->ai; /* the caller's now */
            o.rec->ai = NULL;
        }
        rec_free(o.rec);
    }
    f->op.state = ST_DONE;
    return FUT_READY;
}

static void
gai_drop(struct fut_future *base)
{
    op_drop(&((struct fut_uv_getaddrinfo *)base)->op);
}

static int
gai_result(const struct fut_future *base)
{
    return ((const struct fut_uv_getaddrinfo *)base)->res;
}

static const struct fut_future_vtable gai_vtable = {
    gai_poll, gai_drop, gai_result,
};

int
fut_uv_getaddrinfo_init(struct fut_uv_getaddrinfo *f, uv_loop_t *loop,
                        const char *node, const char *service,
                        const struct addrinfo *hints)
{
    if (f == NULL)
        return -EINVAL;
    f->base.vtable = NULL;
    if (loop == NULL || (node == NULL && service == NULL))
        return -EINVAL;
    op_init(&f->op, K_GETADDRINFO);
    f->op.loop = loop;
    f->op.s1 = node;
    f->op.s2 = service;
    f->op.hints = hints;
    f->res = 0;
    f->uverr = 0;
    f->ai = NULL;
    f->base.vtable = &gai_vtable;
    return 0;
}

/* ---- the file system ------------------------------------------------------- */

static enum fut_poll
fs_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_uv_fs *f = (struct fut_uv_fs *)base;
    struct out o;

    if (f->op.state == ST_DONE)
        return FUT_READY;
    if (op_poll(&f->op, cx, &o) == FUT_PENDING)
        return FUT_PENDING;
    f->res = o.res;
    if (o.rec != NULL) {
        if (f->op.kind == K_FS_READ && o.res > 0)
            memcpy(f->op.rbuf, o.rec->buf, (size_t)o.res);
        if (o.res == 0)
            f->statbuf = o.rec->statbuf;
        rec_free(o.rec);
    }
    f->op.state = ST_DONE;
    return FUT_READY;
}

static void
fs_drop(struct fut_future *base)
{
    op_drop(&((struct fut_uv_fs *)base)->op);
}

static int
fs_result(const struct fut_future *base)
{
    return res_of(((const struct fut_uv_fs *)base)->res);
}

static const struct fut_future_vtable fs_vtable = {
    fs_poll, fs_drop, fs_result,
};

static int
fs_init(struct fut_uv_fs *f, uv_loop_t *loop, int kind)
{
    if (f == NULL)
        return -EINVAL;
    f->base.vtable = NULL;
    if (loop == NULL)
        return -EINVAL;
    op_init(&f->op, kind);
    f->op.loop = loop;
    f->res = 0;
    memset(&f->statbuf, 0, sizeof(f->statbuf));
    return 0;
}

static int
fs_arm(struct fut_uv_fs *f)
{
    f->base.vtable = &fs_vtable;
    return 0;
}

static int
path_ok(const char *p)
{
    return p != NULL && p[0] != '\0';
}

static int
fs_path_init(struct fut_uv_fs *f, uv_loop_t *loop, int kind,
             const char *path)
{
    int err = fs_init(f, loop, kind);

    if (err != 0)
        return err;
    if (!path_ok(path))
        return -EINVAL;
    f->op.s1 = path;
    return fs_arm(f);
}

static int
fs_file_init(struct fut_uv_fs *f, uv_loop_t *loop, int kind, uv_file file)
{
    int err = fs_init(f, loop, kind);

    if (err != 0)
        return err;
    if (file < 0)
        return -EINVAL;
    f->op.file = file;
    return fs_arm(f);
}

int
fut_uv_fs_open_init(struct fut_uv_fs *f, uv_loop_t *loop, const char *path,
                    int flags, int mode)
{
    int err = fs_path_init(f, loop, K_FS_OPEN, path);

    if (err == 0) {
        f->op.flags = flags;
        f->op.mode = mode;
    }
    return err;
}

int
fut_uv_fs_close_init(struct fut_uv_fs *f, uv_loop_t *loop, uv_file file)
{
    return fs_file_init(f, loop, K_FS_CLOSE, file);
}

static int
fs_rw_init(struct fut_uv_fs *f, uv_loop_t *loop, int kind, uv_file file,
           const void *buf, size_t len, int64_t off)
{
    int err = fs_init(f, loop, kind);

    if (err != 0)
        return err;
    if (file < 0 || (buf == NULL && len > 0) || len > FUT_UV_FS_MAX_LEN ||
        off < -1)
        return -EINVAL;
    f->op.file = file;
    f->op.len = len;
    f->op.off = off;
    return fs_arm(f);
}

int
fut_uv_fs_read_init(struct fut_uv_fs *f, uv_loop_t *loop, uv_file file,
                    void *buf, size_t len, int64_t off)
{
    int err = fs_rw_init(f, loop, K_FS_READ, file, buf, len, off);

    if (err == 0)
        f->op.rbuf = buf;
    return err;
}

int
fut_uv_fs_write_init(struct fut_uv_fs *f, uv_loop_t *loop, uv_file file,
                     const void *buf, size_t len, int64_t off)
{
    int err = fs_rw_init(f, loop, K_FS_WRITE, file, buf, len, off);

    if (err == 0)
        f->op.wbuf = buf;
    return err;
}

int
fut_uv_fs_stat_init(struct fut_uv_fs *f, uv_loop_t *loop, const char *path)
{
    return fs_path_init(f, loop, K_FS_STAT, path);
}

int
fut_uv_fs_lstat_init(struct fut_uv_fs *f, uv_loop_t *loop, const char *path)
{
    return fs_path_init(f, loop, K_FS_LSTAT, path);
}

int
fut_uv_fs_fstat_init(struct fut_uv_fs *f, uv_loop_t *loop, uv_file file)
{
    return fs_file_init(f, loop, K_FS_FSTAT, file);
}

int
fut_uv_fs_unlink_init(struct fut_uv_fs *f, uv_loop_t *loop, const char *path)
{
    return fs_path_init(f, loop, K_FS_UNLINK, path);
}

int
fut_uv_fs_mkdir_init(struct fut_uv_fs *f, uv_loop_t *loop, const char *path,
                     int mode)
{
    int err = fs_path_init(f, loop, K_FS_MKDIR, path);

    if (err == 0)
        f->op.mode = mode;
    return err;
}

int
fut_uv_fs_rmdir_init(struct fut_uv_fs *f, uv_loop_t *loop, const char *path)
{
    return fs_path_init(f, loop, K_FS_RMDIR, path);
}

int
fut_uv_fs_rename_init(struct fut_uv_fs *f, uv_loop_t *loop, const char *path,
                      const char *new_path)
{
    int err = fs_init(f, loop, K_FS_RENAME);

    if (err != 0)
        return err;
    if (!path_ok(path) || !path_ok(new_path))
        return -EINVAL;
    f->op.s1 = path;
    f->op.s2 = new_path;
    return fs_arm(f);
}

int
fut_uv_fs_fsync_init(struct fut_uv_fs *f, uv_loop_t *loop, uv_file file)
{
    return fs_file_init(f, loop, K_FS_FSYNC, file);
}

int
fut_uv_fs_ftruncate_init(struct fut_uv_fs *f, uv_loop_t *loop, uv_file file,
                         int64_t off)
{
    int err = fs_init(f, loop, K_FS_FTRUNCATE);

    if (err != 0)
        return err;
    if (file < 0 || off < 0)
        return -EINVAL;
    f->op.file = file;
    f->op.off = off;
    return fs_arm(f);
}

/* ---- work ------------------------------------------------------------------ */

static enum fut_poll
work_poll(struct fut_future *base, struct fut_context *cx)
{
    struct fut_uv_work *f = (struct fut_uv_work *)base;

    return status_poll(&f->op, &f->res, cx);
}

static void
work_drop(struct fut_future *base)
{
    op_drop(&((struct fut_uv_work *)base)->op);
}

static int
work_result(const struct fut_future *base)
{
    return res_of(((const struct fut_uv_work *)base)->res);
}

static const struct fut_future_vtable work_vtable = {
    work_poll, work_drop, work_result,
};

int
fut_uv_queue_work_init(struct fut_uv_work *f, uv_loop_t *loop,
                       int (*work)(void *arg), void *arg,
                       void (*release)(void *arg))
{
    if (f == NULL)
        return -EINVAL;
    f->base.vtable = NULL;
    if (loop == NULL || work == NULL)
        return -EINVAL;
    op_init(&f->op, K_WORK);
    f->op.loop = loop;
    f->op.work = work;
    f->op.arg = arg;
    f->op.release = release;
    f->res = 0;
    f->base.vtable = &work_vtable;
    return 0;
}
