/* SPDX-License-Identifier: MIT */
/*
 * compat/uvapi: the loop. A uv_loop_t owns a libfutures runtime and runs
 * libuv's phases around each turn of it (fut_runtime_turn()):
 *
 *   update time, due timers, deferred callbacks, idle, prepare,
 *   poll (one runtime turn; the wakers it runs queue struct fut_kit_ev, which
 *         are dispatched right after it), check, close callbacks.
 *
 * Handles and requests never become tasks: readiness objects of the core
 * (struct fut_io, notifiers, pool jobs, signals, processes) are polled
 * with a waker whose data is the handle's struct fut_kit_ev, and waking it
 * only links that event into the loop's queue. The runtime's set-up, the
 * events, the ready queue and the turn, and the timer heap are compat/kit's
 * (kit.h), shared with the libevent and libev shims; what is here is
 * libuv's: the phases, the pending queue, handles, timers' semantics.
 * Nothing allocates.
 */
#include "internal.h"

#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <futures/backend.h>
#include <futures/timer.h>

/* ---- allocation -------------------------------------------------------- */

static struct {
  uv_malloc_func malloc_;
  uv_realloc_func realloc_;
  uv_calloc_func calloc_;
  uv_free_func free_;
} uv__allocator = { malloc, realloc, calloc, free };

void *uv__malloc(size_t size) { return size != 0 ? uv__allocator.malloc_(size) : NULL; }
void *uv__calloc(size_t count, size_t size) { return uv__allocator.calloc_(count, size); }
void *
uv__realloc(void *ptr, size_t size)
{
  if (size != 0)
    return uv__allocator.realloc_(ptr, size);
  uv__free(ptr);
  return NULL;
}
void
uv__free(void *ptr)
{
  int saved = errno; /* free() must not clobber errno (libuv's promise) */
  uv__allocator.free_(ptr);
  errno = saved;
}
char *
uv__strdup(const char *s)
{
  size_t len = strlen(s) + 1;
  char *m = uv__malloc(len);
  if (m != NULL)
    memcpy(m, s, len);
  return m;
}

int
uv_replace_allocator(uv_malloc_func malloc_func, uv_realloc_func realloc_func,
                     uv_calloc_func calloc_func, uv_free_func free_func)
{
  if (malloc_func == NULL || realloc_func == NULL || calloc_func == NULL ||
      free_func == NULL)
    return UV_EINVAL;
  uv__allocator.malloc_ = malloc_func;
  uv__allocator.realloc_ = realloc_func;
  uv__allocator.calloc_ = calloc_func;
  uv__allocator.free_ = free_func;
  return 0;
}

/* ---- the loop ------------------------------------------------------------ */

static uv_loop_t default_loop_struct;
static uv_loop_t *default_loop_ptr;

static unsigned int
threadpool_size(void)
{
  const char *v = getenv("UV_THREADPOOL_SIZE");
  long n;

  if (v == NULL || *v == '\0')
    return 4;
  n = strtol(v, NULL, 10);
  if (n < 1)
    n = 1;
  if (n > 1024)
    n = 1024;
  return (unsigned int)n;
}

int
uv_loop_init(uv_loop_t *loop)
{
  int err;

  if (loop == NULL)
    return UV_EINVAL;
  memset(loop, 0, sizeof *loop);
  fut_kit_queue_init(&loop->handle_queue);
  fut_kit_queue_init(&loop->idle_handles_);
  fut_kit_queue_init(&loop->prepare_handles_);
  fut_kit_queue_init(&loop->check_handles_);
  fut_kit_queue_init(&loop->pending_);
  fut_kit_queue_init(&loop->signal_handles_);
  fut_kit_queue_init(&loop->process_handles_);
  /* The kit's runtime: one descriptor per runtime where the backend has
   * it (which also gives uv_backend_fd() a descriptor on every backend). */
  err = fut_kit_loop_init(&loop->kit_, threadpool_size());
  if (err != 0)
    return err;
  uv_update_time(loop);
  return 0;
}

uv_loop_t *
uv_default_loop(void)
{
  if (default_loop_ptr != NULL)
    return default_loop_ptr;
  if (uv_loop_init(&default_loop_struct) != 0)
    return NULL;
  default_loop_ptr = &default_loop_struct;
  return default_loop_ptr;
}

/* The shim's own per-loop descriptors first (fs_event's inotify, under
 * its old number), so that the runtime's fork watches the new ones; then
 * the runtime's (backend, doorbell, every registration, the signal
 * listeners' self-pipes: signal handles are core listeners). Nothing
 * else per loop holds a descriptor shared with the parent: uv_async_t is
 * a core notifier (the runtime's doorbell), timers are the core's. */
int
uv_loop_fork(uv_loop_t *loop)
{
  int err;

  if (loop == NULL || !loop->kit_.initialized)
    return UV_EINVAL;
  err = uv__fs_event_fork(loop);
  if (err != 0)
    return err;
  return fut_runtime_fork(&loop->kit_.rt);
}

int
uv_loop_close(uv_loop_t *loop)
{
  struct fut_kit_queue *q;

  if (loop == NULL || !loop->kit_.initialized)
    return UV_EINVAL;
  if (loop->running_)
    return UV_EBUSY;
  if (loop->active_reqs.count != 0)
    return UV_EBUSY;
  for (q = loop->handle_queue.next; q != &loop->handle_queue; q = q->next) {
    uv_handle_t *h = fut_kit_queue_data(q, uv_handle_t, handle_queue);

    if (!(h->flags & UV_HANDLE_INTERNAL))
      return UV_EBUSY;
  }
  fut_kit_loop_close(&loop->kit_);
  if (loop == default_loop_ptr)
    default_loop_ptr = NULL;
  return 0;
}

uv_loop_t *
uv_loop_new(void)
{
  uv_loop_t *loop = uv__malloc(sizeof *loop);

  if (loop == NULL)
    return NULL;
  if (uv_loop_init(loop) != 0) {
    uv__free(loop);
    return NULL;
  }
  return loop;
}

void
uv_loop_delete(uv_loop_t *loop)
{
  uv_loop_t *default_loop = default_loop_ptr;

  if (loop == NULL || uv_loop_close(loop) != 0)
    return;
  if (loop != default_loop && loop != &default_loop_struct)
    uv__free(loop);
}

void
uv_library_shutdown(void)
{
  static int done;

  if (done)
    return;
  done = 1;
  if (default_loop_ptr != NULL)
    (void)uv_loop_close(default_loop_ptr);
}

int
uv_loop_configure(uv_loop_t *loop, uv_loop_option option, ...)
{
  va_list ap;
  int err = 0;

  if (loop == NULL || !loop->kit_.initialized)
    return UV_EINVAL;
  va_start(ap, option);
  switch (option) {
  case UV_LOOP_BLOCK_SIGNAL:
    if (va_arg(ap, int) != SIGPROF)
      err = UV_EINVAL;
    else
      loop->block_sigprof_ = 1;
    break;
  case UV_METRICS_IDLE_TIME:
    loop->metrics_idle_ = 1;
    break;
  default:
    err = UV_ENOSYS;
    break;
  }
  va_end(ap);
  return err;
}

size_t uv_loop_size(void) { return sizeof(uv_loop_t); }
void *uv_loop_get_data(const uv_loop_t *loop) { return loop->data; }
void uv_loop_set_data(uv_loop_t *loop, void *data) { loop->data = data; }
uint64_t uv_metrics_idle_time(uv_loop_t *loop) { return loop->idle_time_; }

int
uv_loop_alive(const uv_loop_t *loop)
{
  return loop->active_handles > 0 || loop->active_reqs.count > 0 ||
         loop->closing_handles_ != NULL;
}

uint64_t uv_now(const uv_loop_t *loop) { return loop->time_; }

void
uv_update_time(uv_loop_t *loop)
{
  loop->time_ = (uint64_t)fut_now_ns() / 1000000u;
}

void uv_stop(uv_loop_t *loop) { loop->stop_flag = 1; }

static int
next_timeout(const uv_loop_t *loop)
{
  const struct fut_kit_timer *t = fut_kit_timer_first(&loop->kit_);
  uint64_t diff;

  if (t == NULL)
    return -1;
  if (t->due <= loop->time_)
    return 0;
  diff = t->due - loop->time_;
  return diff > INT_MAX ? INT_MAX : (int)diff;
}

static int
poll_timeout(const uv_loop_t *loop)
{
  if (loop->stop_flag != 0)
    return 0;
  if (loop->active_handles == 0 && loop->active_reqs.count == 0)
    return 0;
  if (!fut_kit_queue_empty(&loop->idle_handles_) ||
      !fut_kit_queue_empty(&loop->pending_) ||
      !fut_kit_queue_empty(&loop->kit_.ready) ||
      loop->closing_handles_ != NULL || loop->kit_.rt_more)
    return 0;
  return next_timeout(loop);
}

int
uv_backend_timeout(const uv_loop_t *loop)
{
  int ms = poll_timeout(loop), core;

  if (ms == 0)
    return 0;
  /* The runtime's own view: its timers, tasks ready, pending interest
   * changes (applied now, so that a host polling uv_backend_fd() sees
   * them). -ENOTSUP (no descriptor): nothing to add. */
  core = fut_runtime_backend_timeout((struct fut_runtime *)&loop->kit_.rt);
  if (core >= 0 && (ms < 0 || core < ms))
    ms = core;
  return ms;
}

int
uv_backend_fd(const uv_loop_t *loop)
{
  int fd = fut_runtime_backend_fd((struct fut_runtime *)&loop->kit_.rt);
  return fd >= 0 ? fd : -1;
}

static void
run_timers(uv_loop_t *loop)
{
  struct fut_kit_timer *n;

  while ((n = fut_kit_timer_first(&loop->kit_)) != NULL) {
    uv_timer_t *t = fut_kit_queue_data(n, uv_timer_t, timer_);

    if (t->timer_.due > loop->time_)
      break;
    uv_timer_stop(t);
    uv_timer_again(t);
    t->timer_cb(t);
  }
}

#define RUN_PHASE(name, type, cbfield)                                     \
  static void run_##name(uv_loop_t *loop)                                  \
  {                                                                        \
    struct fut_kit_queue q;                                                    \
                                                                           \
    fut_kit_queue_move(&loop->name##_handles_, &q);                            \
    while (!fut_kit_queue_empty(&q)) {                                         \
      struct fut_kit_queue *n = q.next;                                        \
      type *h = fut_kit_queue_data(n, type, queue_);                           \
                                                                           \
      fut_kit_queue_remove(n);                                                 \
      fut_kit_queue_insert_tail(&loop->name##_handles_, n);                    \
      h->cbfield(h);                                                       \
    }                                                                      \
  }
RUN_PHASE(idle, uv_idle_t, idle_cb)
RUN_PHASE(prepare, uv_prepare_t, prepare_cb)
RUN_PHASE(check, uv_check_t, check_cb)

static void
io_poll(uv_loop_t *loop, int timeout)
{
  int64_t deadline, t0 = 0;
  sigset_t set, old;

  if (timeout == 0)
    deadline = 0;
  else if (timeout < 0)
    deadline = -1;
  else
    deadline = (int64_t)(loop->time_ + (uint64_t)timeout) * 1000000;
  if (loop->block_sigprof_) {
    sigemptyset(&set);
    sigaddset(&set, SIGPROF);
    pthread_sigmask(SIG_BLOCK, &set, &old);
  }
  if (loop->metrics_idle_ && timeout != 0)
    t0 = fut_now_ns();
  /* The kit's turn without its callbacks: the loop time is updated
   * between the two, as libuv does after its poll. */
  (void)fut_kit_loop_turn(&loop->kit_, deadline);
  if (loop->metrics_idle_ && timeout != 0)
    loop->idle_time_ += (uint64_t)(fut_now_ns() - t0);
  if (loop->block_sigprof_)
    pthread_sigmask(SIG_SETMASK, &old, NULL);
  uv_update_time(loop);
  (void)fut_kit_run_queue(&loop->kit_.ready);
}

static void
finish_close(uv_handle_t *h)
{
  h->flags |= UV_HANDLE_CLOSED;
  switch (h->type) {
  case UV_TCP:
  case UV_NAMED_PIPE:
  case UV_TTY:
    uv__stream_destroy((uv_stream_t *)h);
    break;
  case UV_UDP:
    uv__udp_finish_close((uv_udp_t *)h);
    break;
  default:
    break;
  }
  h->flags &= ~UV_HANDLE_REF;
  fut_kit_queue_remove(&h->handle_queue);
  if (h->close_cb != NULL)
    h->close_cb(h);
}

static void
run_closing(uv_loop_t *loop)
{
  uv_handle_t *p = loop->closing_handles_, *q;

  loop->closing_handles_ = NULL;
  while (p != NULL) {
    q = p->next_closing;
    finish_close(p);
    p = q;
  }
}

int
uv_run(uv_loop_t *loop, uv_run_mode mode)
{
  int r, timeout, ran_pending;

  if (loop == NULL || !loop->kit_.initialized)
    return UV_EINVAL;
  if (loop->running_)
    return UV_EBUSY;
  loop->running_ = 1;
  r = uv_loop_alive(loop);
  if (!r)
    uv_update_time(loop);
  while (r != 0 && loop->stop_flag == 0) {
    uv_update_time(loop);
    run_timers(loop);
    ran_pending = fut_kit_run_queue(&loop->pending_) > 0;
    run_idle(loop);
    run_prepare(loop);
    timeout = 0;
    if ((mode == UV_RUN_ONCE && !ran_pending) || mode == UV_RUN_DEFAULT)
      timeout = poll_timeout(loop);
    io_poll(loop, timeout);
    run_check(loop);
    run_closing(loop);
    if (mode == UV_RUN_ONCE) {
      /* UV_RUN_ONCE promises progress: a timer that became due while the
       * poll blocked runs now. */
      uv_update_time(loop);
      run_timers(loop);
    }
    r = uv_loop_alive(loop);
    if (mode == UV_RUN_ONCE || mode == UV_RUN_NOWAIT)
      break;
  }
  if (loop->stop_flag != 0)
    loop->stop_flag = 0;
  loop->running_ = 0;
  return r;
}

void
uv_walk(uv_loop_t *loop, uv_walk_cb walk_cb, void *arg)
{
  struct fut_kit_queue q;

  fut_kit_queue_move(&loop->handle_queue, &q);
  while (!fut_kit_queue_empty(&q)) {
    struct fut_kit_queue *n = q.next;
    uv_handle_t *h = fut_kit_queue_data(n, uv_handle_t, handle_queue);

    fut_kit_queue_remove(n);
    fut_kit_queue_insert_tail(&loop->handle_queue, n);
    if (!(h->flags & UV_HANDLE_INTERNAL))
      walk_cb(h, arg);
  }
}

/* ---- handles ------------------------------------------------------------- */

void
uv__handle_init(uv_loop_t *loop, uv_handle_t *h, uv_handle_type type)
{
  h->loop = loop;
  h->type = type;
  h->flags = UV_HANDLE_REF;
  h->close_cb = NULL;
  h->next_closing = NULL;
  h->u.fd = -1;
  fut_kit_queue_insert_tail(&loop->handle_queue, &h->handle_queue);
}

void
uv__req_init(uv_loop_t *loop, uv_req_t *req, uv_req_type type,
             void (*cb)(struct fut_kit_ev *ev))
{
  req->type = type;
  uv__ev_init(loop, &req->ev_, cb);
}

static void async_close(uv_async_t *h);

void
uv_close(uv_handle_t *handle, uv_close_cb close_cb)
{
  if (handle == NULL || (handle->flags & (UV_HANDLE_CLOSING | UV_HANDLE_CLOSED)))
    return;
  handle->flags |= UV_HANDLE_CLOSING;
  handle->close_cb = close_cb;
  switch (handle->type) {
  case UV_TIMER:
    uv_timer_stop((uv_timer_t *)handle);
    break;
  case UV_IDLE:
    uv_idle_stop((uv_idle_t *)handle);
    break;
  case UV_PREPARE:
    uv_prepare_stop((uv_prepare_t *)handle);
    break;
  case UV_CHECK:
    uv_check_stop((uv_check_t *)handle);
    break;
  case UV_ASYNC:
    async_close((uv_async_t *)handle);
    break;
  case UV_TCP:
  case UV_NAMED_PIPE:
  case UV_TTY:
    uv__stream_close((uv_stream_t *)handle);
    break;
  case UV_UDP:
    uv__udp_close((uv_udp_t *)handle);
    break;
  case UV_POLL:
    uv__poll_close((uv_poll_t *)handle);
    break;
  case UV_SIGNAL:
    uv__signal_close((uv_signal_t *)handle);
    break;
  case UV_PROCESS:
    uv__process_close((uv_process_t *)handle);
    break;
  case UV_FS_EVENT:
    uv__fs_event_close((uv_fs_event_t *)handle);
    break;
  case UV_FS_POLL:
    uv__fs_poll_close((uv_fs_poll_t *)handle);
    break;
  default:
    break;
  }
  handle->next_closing = handle->loop->closing_handles_;
  handle->loop->closing_handles_ = handle;
}

int uv_is_active(const uv_handle_t *h) { return uv__is_active(h); }
int uv_is_closing(const uv_handle_t *h) { return uv__is_closing(h); }

void
uv_ref(uv_handle_t *h)
{
  if (h->flags & UV_HANDLE_REF)
    return;
  h->flags |= UV_HANDLE_REF;
  if (h->flags & UV_HANDLE_ACTIVE)
    h->loop->active_handles++;
}

void
uv_unref(uv_handle_t *h)
{
  if (!(h->flags & UV_HANDLE_REF))
    return;
  h->flags &= ~UV_HANDLE_REF;
  if (h->flags & UV_HANDLE_ACTIVE)
    h->loop->active_handles--;
}

int uv_has_ref(const uv_handle_t *h) { return (h->flags & UV_HANDLE_REF) != 0; }

size_t
uv_handle_size(uv_handle_type type)
{
  switch (type) {
#define XX(uc, lc) case UV_##uc: return sizeof(uv_##lc##_t);
    UV_HANDLE_TYPE_MAP(XX)
#undef XX
  default:
    return (size_t)-1;
  }
}

const char *
uv_handle_type_name(uv_handle_type type)
{
  switch (type) {
#define XX(uc, lc) case UV_##uc: return #lc;
    UV_HANDLE_TYPE_MAP(XX)
#undef XX
  case UV_FILE:
    return "file";
  default:
    return NULL;
  }
}

uv_handle_type uv_handle_get_type(const uv_handle_t *h) { return h->type; }
void *uv_handle_get_data(const uv_handle_t *h) { return h->data; }
uv_loop_t *uv_handle_get_loop(const uv_handle_t *h) { return h->loop; }
void uv_handle_set_data(uv_handle_t *h, void *data) { h->data = data; }

int
uv_fileno(const uv_handle_t *handle, uv_os_fd_t *fd)
{
  int r;

  if (handle == NULL || fd == NULL)
    return UV_EINVAL;
  switch (handle->type) {
  case UV_TCP:
  case UV_NAMED_PIPE:
  case UV_TTY:
    r = uv__stream_fd((const uv_stream_t *)handle);
    break;
  case UV_UDP:
    r = uv__udp_fd((const uv_udp_t *)handle);
    break;
  case UV_POLL:
    r = uv__poll_fd((const uv_poll_t *)handle);
    break;
  default:
    return UV_EINVAL;
  }
  if (uv__is_closing(handle) || r < 0)
    return UV_EBADF;
  *fd = r;
  return 0;
}

static int
socket_sockopt(uv_handle_t *handle, int optname, int *value)
{
  socklen_t len = sizeof(*value);
  int fd, r;

  if (handle == NULL || value == NULL)
    return UV_EINVAL;
  if (handle->type == UV_TCP || handle->type == UV_NAMED_PIPE)
    fd = uv__stream_fd((uv_stream_t *)handle);
  else if (handle->type == UV_UDP)
    fd = uv__udp_fd((uv_udp_t *)handle);
  else
    return UV_ENOTSUP;
  if (fd < 0)
    return UV_EBADF;
  if (*value == 0)
    r = getsockopt(fd, SOL_SOCKET, optname, value, &len);
  else
    r = setsockopt(fd, SOL_SOCKET, optname, value, len);
  return r < 0 ? UV__ERR(errno) : 0;
}

int uv_send_buffer_size(uv_handle_t *h, int *value) { return socket_sockopt(h, SO_SNDBUF, value); }
int uv_recv_buffer_size(uv_handle_t *h, int *value) { return socket_sockopt(h, SO_RCVBUF, value); }

/* ---- requests -------------------------------------------------------------- */

size_t
uv_req_size(uv_req_type type)
{
  switch (type) {
#define XX(uc, lc) case UV_##uc: return sizeof(uv_##lc##_t);
    UV_REQ_TYPE_MAP(XX)
#undef XX
  default:
    return (size_t)-1;
  }
}

const char *
uv_req_type_name(uv_req_type type)
{
  switch (type) {
#define XX(uc, lc) case UV_##uc: return #lc;
    UV_REQ_TYPE_MAP(XX)
#undef XX
  default:
    return NULL;
  }
}

void *uv_req_get_data(const uv_req_t *req) { return req->data; }
void uv_req_set_data(uv_req_t *req, void *data) { req->data = data; }
uv_req_type uv_req_get_type(const uv_req_t *req) { return req->type; }

int
uv_cancel(uv_req_t *req)
{
  if (req == NULL)
    return UV_EINVAL;
  switch (req->type) {
  case UV_FS:
  case UV_WORK:
  case UV_GETADDRINFO:
  case UV_GETNAMEINFO:
  case UV_RANDOM:
    return uv__work_cancel(req);
  default:
    return UV_EINVAL;
  }
}

/* ---- timers ------------------------------------------------------------------ */

int
uv_timer_init(uv_loop_t *loop, uv_timer_t *handle)
{
  if (loop == NULL || handle == NULL)
    return UV_EINVAL;
  uv__handle_init(loop, (uv_handle_t *)handle, UV_TIMER);
  handle->timer_cb = NULL;
  memset(&handle->timer_, 0, sizeof handle->timer_);
  handle->repeat_ = 0;
  return 0;
}

int
uv_timer_start(uv_timer_t *handle, uv_timer_cb cb, uint64_t timeout,
               uint64_t repeat)
{
  uint64_t clamped;

  if (handle == NULL || cb == NULL || uv__is_closing((uv_handle_t *)handle))
    return UV_EINVAL;
  if (uv__is_active((uv_handle_t *)handle))
    uv_timer_stop(handle);
  clamped = handle->loop->time_ + timeout;
  if (clamped < timeout)
    clamped = (uint64_t)-1;
  handle->timer_cb = cb;
  handle->timer_.due = clamped;
  handle->repeat_ = repeat;
  /* The kit orders equal dues by add order: libuv's start order. */
  fut_kit_timer_add(&handle->loop->kit_, &handle->timer_);
  uv__handle_start((uv_handle_t *)handle);
  return 0;
}

int
uv_timer_stop(uv_timer_t *handle)
{
  if (handle == NULL)
    return UV_EINVAL;
  if (!uv__is_active((uv_handle_t *)handle))
    return 0;
  fut_kit_timer_del(&handle->loop->kit_, &handle->timer_);
  uv__handle_stop((uv_handle_t *)handle);
  return 0;
}

int
uv_timer_again(uv_timer_t *handle)
{
  if (handle == NULL || handle->timer_cb == NULL)
    return UV_EINVAL;
  if (handle->repeat_) {
    uv_timer_stop(handle);
    uv_timer_start(handle, handle->timer_cb, handle->repeat_, handle->repeat_);
  }
  return 0;
}

void uv_timer_set_repeat(uv_timer_t *handle, uint64_t repeat) { handle->repeat_ = repeat; }
uint64_t uv_timer_get_repeat(const uv_timer_t *handle) { return handle->repeat_; }

uint64_t
uv_timer_get_due_in(const uv_timer_t *handle)
{
  if (handle->loop->time_ >= handle->timer_.due)
    return 0;
  return handle->timer_.due - handle->loop->time_;
}

/* ---- idle, prepare, check ------------------------------------------------------ */

#define LOOP_WATCHER(name, uc)                                               \
  int uv_##name##_init(uv_loop_t *loop, uv_##name##_t *handle)               \
  {                                                                          \
    if (loop == NULL || handle == NULL)                                      \
      return UV_EINVAL;                                                      \
    uv__handle_init(loop, (uv_handle_t *)handle, UV_##uc);                   \
    handle->name##_cb = NULL;                                                \
    fut_kit_queue_init(&handle->queue_);                                         \
    return 0;                                                                \
  }                                                                          \
  int uv_##name##_start(uv_##name##_t *handle, uv_##name##_cb cb)            \
  {                                                                          \
    if (handle == NULL || cb == NULL)                                        \
      return UV_EINVAL;                                                      \
    if (uv__is_active((uv_handle_t *)handle))                                \
      return 0;                                                              \
    if (uv__is_closing((uv_handle_t *)handle))                               \
      return UV_EINVAL;                                                      \
    fut_kit_queue_insert_head(&handle->loop->name##_handles_, &handle->queue_);  \
    handle->name##_cb = cb;                                                  \
    uv__handle_start((uv_handle_t *)handle);                                 \
    return 0;                                                                \
  }                                                                          \
  int uv_##name##_stop(uv_##name##_t *handle)                                \
  {                                                                          \
    if (handle == NULL)                                                      \
      return UV_EINVAL;                                                      \
    if (!uv__is_active((uv_handle_t *)handle))                               \
      return 0;                                                              \
    fut_kit_queue_remove(&handle->queue_);                                       \
    uv__handle_stop((uv_handle_t *)handle);                                  \
    return 0;                                                                \
  }
LOOP_WATCHER(idle, IDLE)
LOOP_WATCHER(prepare, PREPARE)
LOOP_WATCHER(check, CHECK)

/* ---- async ----------------------------------------------------------------------- */

/* Arm the wait; returns how many signals it found already there. */
static int
async_arm(uv_async_t *h)
{
  struct fut_waker w;
  struct fut_context cx;
  int got = 0;

  uv__ev_context(&h->ev_, &w, &cx);
  while (fut_future_poll(&h->wait_.base, &cx) == FUT_READY) {
    fut_future_drop(&h->wait_.base);
    if (h->wait_.result != 0 ||
        fut_notify_wait_init(&h->wait_, &h->notify_) != 0)
      return got; /* the runtime closed: nothing more will come */
    got++;
  }
  return got;
}

static void
async_ev(struct fut_kit_ev *ev)
{
  uv_async_t *h = fut_kit_queue_data(ev, uv_async_t, ev_);

  if (async_arm(h) > 0 && h->async_cb != NULL &&
      !uv__is_closing((uv_handle_t *)h))
    h->async_cb(h);
}

int
uv_async_init(uv_loop_t *loop, uv_async_t *handle, uv_async_cb async_cb)
{
  int err;

  if (loop == NULL || handle == NULL)
    return UV_EINVAL;
  err = fut_notify_init(&handle->notify_, &loop->kit_.rt);
  if (err != 0)
    return err;
  fut_notify_wait_init(&handle->wait_, &handle->notify_);
  uv__handle_init(loop, (uv_handle_t *)handle, UV_ASYNC);
  handle->async_cb = async_cb;
  uv__ev_init(loop, &handle->ev_, async_ev);
  (void)async_arm(handle); /* nothing can have been sent yet */
  uv__handle_start((uv_handle_t *)handle);
  return 0;
}

int
uv_async_send(uv_async_t *handle)
{
  if (handle == NULL)
    return UV_EINVAL;
  (void)fut_notify_signal(&handle->notify_);
  return 0;
}

static void
async_close(uv_async_t *h)
{
  fut_future_drop(&h->wait_.base);
  fut_notify_close(&h->notify_);
  uv__ev_cancel(&h->ev_);
  uv__handle_stop((uv_handle_t *)h);
}
