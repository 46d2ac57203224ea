/* SPDX-License-Identifier: MIT */
/*
 * compat/uvapi: signal handles. Each started handle is a listener of the
 * core (struct fut_signal, futures/signal.h): the core's one handler per
 * signal marks the signal pending in every listener and writes to each
 * one's self-pipe, so several handles, in one loop or several, all see
 * it. The listener is polled with the handle's event.
 */
#include "internal.h"

static void signal_ev(struct fut_kit_ev *ev);

int
uv_signal_init(uv_loop_t *loop, uv_signal_t *handle)
{
  if (loop == NULL || handle == NULL)
    return UV_EINVAL;
  uv__handle_init(loop, (uv_handle_t *)handle, UV_SIGNAL);
  handle->signal_cb = NULL;
  handle->signum = 0;
  handle->oneshot_ = 0;
  handle->sig_.slot = -1;
  uv__ev_init(loop, &handle->ev_, signal_ev);
  return 0;
}

static void
signal_release(uv_signal_t *h)
{
  uv__ev_cancel(&h->ev_);
  if (h->signum != 0) {
    (void)fut_signal_close(&h->sig_);
    h->sig_.slot = -1;
  }
  h->signum = 0;
  h->oneshot_ = 0;
}

static int
signal_start(uv_signal_t *h, uv_signal_cb cb, int signum, int oneshot)
{
  int err;

  if (h == NULL || cb == NULL || uv__is_closing((uv_handle_t *)h))
    return UV_EINVAL;
  if (signum <= 0 || signum >= 65)
    return UV_EINVAL;
  if (signum == h->signum) {
    /* Already watching it: nothing pending is lost. */
    h->signal_cb = cb;
    h->oneshot_ = oneshot;
    return 0;
  }
  if (h->signum != 0)
    signal_release(h);
  err = fut_signal_init_one(&h->sig_, signum);
  if (err != 0) {
    h->sig_.slot = -1;
    uv__handle_stop((uv_handle_t *)h);
    return err;
  }
  h->signum = signum;
  h->signal_cb = cb;
  h->oneshot_ = oneshot;
  uv__handle_start((uv_handle_t *)h);
  /* Arm the listener in the next poll phase. */
  uv__ev_feed(&h->ev_);
  return 0;
}

int
uv_signal_start(uv_signal_t *handle, uv_signal_cb signal_cb, int signum)
{
  return signal_start(handle, signal_cb, signum, 0);
}

int
uv_signal_start_oneshot(uv_signal_t *handle, uv_signal_cb signal_cb, int signum)
{
  return signal_start(handle, signal_cb, signum, 1);
}

int
uv_signal_stop(uv_signal_t *handle)
{
  if (handle == NULL)
    return UV_EINVAL;
  signal_release(handle);
  uv__handle_stop((uv_handle_t *)handle);
  return 0;
}

static void
signal_ev(struct fut_kit_ev *ev)
{
  uv_signal_t *h = fut_kit_queue_data(ev, uv_signal_t, ev_);

  while (h->signum != 0 && !uv__is_closing((uv_handle_t *)h)) {
    struct fut_waker w;
    struct fut_context cx;
    int signo = 0, res = 0;

    uv__ev_context(&h->ev_, &w, &cx);
    if (fut_signal_poll_recv(&h->sig_, &cx, &signo, &res) == FUT_PENDING)
      return;
    if (res < 0) {
      /* The listener broke (it cannot, once registered): stop. */
      uv_signal_stop(h);
      return;
    }
    if (signo != h->signum)
      continue;
    h->signal_cb(h, signo);
    if (h->oneshot_ && h->signum == signo)
      uv_signal_stop(h);
  }
}

void
uv__signal_close(uv_signal_t *handle)
{
  uv_signal_stop(handle);
}
