/* SPDX-License-Identifier: MIT */
/*
 * compat/uvapi: uv_fs_poll_t. A started handle owns a context (allocated,
 * as libuv's): an internal timer and a uv_fs_stat() request, one of them
 * in progress at a time. Stopping while the stat runs leaves the context
 * to finish it and free itself (closing the timer), so the handle's
 * memory is the program's again as soon as its close callback ran.
 */
#include "internal.h"

struct poll_ctx {
  uv_fs_poll_t *parent; /* NULL once stopped */
  uv_fs_poll_cb poll_cb;
  uv_loop_t *loop;
  uv_timer_t timer;
  uv_fs_t req;
  uint64_t start_time;
  unsigned int interval;
  ssize_t busy_polling; /* 0: no stat yet; 1: the last one worked; < 0: its error */
  uv_stat_t statbuf;    /* the last good stat */
  char path[];
};

static void poll_stat_cb(uv_fs_t *req);

static int
statbuf_eq(const uv_stat_t *a, const uv_stat_t *b)
{
  return a->st_ctim.tv_nsec == b->st_ctim.tv_nsec &&
         a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
         a->st_birthtim.tv_nsec == b->st_birthtim.tv_nsec &&
         a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
         a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
         a->st_birthtim.tv_sec == b->st_birthtim.tv_sec &&
         a->st_size == b->st_size && a->st_mode == b->st_mode &&
         a->st_uid == b->st_uid && a->st_gid == b->st_gid &&
         a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
         a->st_flags == b->st_flags && a->st_gen == b->st_gen;
}

static void
timer_close_cb(uv_handle_t *timer)
{
  struct poll_ctx *ctx = fut_kit_queue_data(timer, struct poll_ctx, timer);

  uv__free(ctx);
}

static void
poll_timer_cb(uv_timer_t *timer)
{
  struct poll_ctx *ctx = fut_kit_queue_data(timer, struct poll_ctx, timer);

  ctx->start_time = uv_now(ctx->loop);
  if (uv_fs_stat(ctx->loop, &ctx->req, ctx->path, poll_stat_cb) != 0)
    uv_timer_start(&ctx->timer, poll_timer_cb, ctx->interval, 0);
}

static void
poll_stat_cb(uv_fs_t *req)
{
  static const uv_stat_t zero;
  struct poll_ctx *ctx = fut_kit_queue_data(req, struct poll_ctx, req);
  uv_fs_poll_t *handle = ctx->parent;
  uint64_t interval;

  if (handle != NULL) {
    if (req->result != 0) {
      if (ctx->busy_polling != req->result) {
        ctx->busy_polling = req->result;
        ctx->poll_cb(handle, (int)req->result, &ctx->statbuf, &zero);
      }
    } else {
      if (ctx->busy_polling != 0 &&
          (ctx->busy_polling < 0 || !statbuf_eq(&ctx->statbuf, &req->statbuf)))
        ctx->poll_cb(handle, 0, &ctx->statbuf, &req->statbuf);
      ctx->statbuf = req->statbuf;
      ctx->busy_polling = 1;
    }
  }
  uv_fs_req_cleanup(req);
  if (ctx->parent == NULL) {
    /* Stopped (before, or in the callback): the context goes. */
    uv_close((uv_handle_t *)&ctx->timer, timer_close_cb);
    return;
  }
  /* The next stat one interval after this one started. */
  interval = ctx->interval;
  interval -= (uv_now(ctx->loop) - ctx->start_time) % interval;
  uv_timer_start(&ctx->timer, poll_timer_cb, interval, 0);
}

int
uv_fs_poll_init(uv_loop_t *loop, uv_fs_poll_t *handle)
{
  if (loop == NULL || handle == NULL)
    return UV_EINVAL;
  uv__handle_init(loop, (uv_handle_t *)handle, UV_FS_POLL);
  handle->poll_ctx_ = NULL;
  return 0;
}

int
uv_fs_poll_start(uv_fs_poll_t *handle, uv_fs_poll_cb cb, const char *path,
                 unsigned int interval)
{
  struct poll_ctx *ctx;
  uv_loop_t *loop;
  size_t len;
  int err;

  if (handle == NULL || cb == NULL || path == NULL)
    return UV_EINVAL;
  if (uv__is_closing((uv_handle_t *)handle))
    return UV_EINVAL;
  if (uv__is_active((uv_handle_t *)handle))
    return 0;
  loop = handle->loop;
  len = strlen(path);
  ctx = uv__calloc(1, sizeof *ctx + len + 1);
  if (ctx == NULL)
    return UV_ENOMEM;
  ctx->loop = loop;
  ctx->poll_cb = cb;
  ctx->interval = interval != 0 ? interval : 1;
  ctx->start_time = uv_now(loop);
  ctx->parent = handle;
  memcpy(ctx->path, path, len + 1);
  err = uv_fs_stat(loop, &ctx->req, ctx->path, poll_stat_cb);
  if (err != 0) {
    uv__free(ctx);
    return err;
  }
  uv_timer_init(loop, &ctx->timer);
  ctx->timer.flags |= UV_HANDLE_INTERNAL;
  uv_unref((uv_handle_t *)&ctx->timer);
  handle->poll_ctx_ = ctx;
  uv__handle_start((uv_handle_t *)handle);
  return 0;
}

int
uv_fs_poll_stop(uv_fs_poll_t *handle)
{
  struct poll_ctx *ctx;

  if (handle == NULL)
    return UV_EINVAL;
  if (!uv__is_active((uv_handle_t *)handle))
    return 0;
  ctx = handle->poll_ctx_;
  handle->poll_ctx_ = NULL;
  ctx->parent = NULL;
  /* Waiting for the next stat: the context goes now; else the stat's
   * callback sees it stopped and closes it. */
  if (uv__is_active((uv_handle_t *)&ctx->timer))
    uv_close((uv_handle_t *)&ctx->timer, timer_close_cb);
  uv__handle_stop((uv_handle_t *)handle);
  return 0;
}

int
uv_fs_poll_getpath(uv_fs_poll_t *handle, char *buffer, size_t *size)
{
  struct poll_ctx *ctx;
  size_t len;

  if (handle == NULL || buffer == NULL || size == NULL)
    return UV_EINVAL;
  if (!uv__is_active((uv_handle_t *)handle)) {
    *size = 0;
    return UV_EINVAL;
  }
  ctx = handle->poll_ctx_;
  len = strlen(ctx->path);
  if (len >= *size) {
    *size = len + 1;
    return UV_ENOBUFS;
  }
  memcpy(buffer, ctx->path, len + 1);
  *size = len;
  return 0;
}

void
uv__fs_poll_close(uv_fs_poll_t *handle)
{
  uv_fs_poll_stop(handle);
}
