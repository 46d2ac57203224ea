/* SPDX-License-Identifier: MIT */
/* compat/uvapi: threads and synchronisation (pthreads; libuv's rules: a
 * failing lock, unlock, wait or destroy aborts, as in libuv). */
#include "internal.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define NANOSEC ((uint64_t)1000000000)

/* ---- threads ------------------------------------------------------------ */

/* What the new thread runs: the entry and its argument (the thread frees it). */
struct thread_start {
  uv_thread_cb entry;
  void *arg;
};

static void *
thread_main(void *p)
{
  struct thread_start s = *(struct thread_start *)p;

  uv__free(p);
  s.entry(s.arg);
  return NULL;
}

/* The default stack size: RLIMIT_STACK's if finite and big enough, else
 * glibc's default, as libuv. */
static size_t
default_stack_size(void)
{
  struct rlimit lim;

  if (getrlimit(RLIMIT_STACK, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    lim.rlim_cur -= lim.rlim_cur % (rlim_t)getpagesize();
    if (lim.rlim_cur >= 8192 && lim.rlim_cur >= (rlim_t)PTHREAD_STACK_MIN)
      return (size_t)lim.rlim_cur;
  }
  return (size_t)2 << 20;
}

int
uv_thread_create_ex(uv_thread_t *tid, const uv_thread_options_t *params,
                    uv_thread_cb entry, void *arg)
{
  struct thread_start *s;
  pthread_attr_t attr;
  size_t stack_size = 0;
  int err;

  if (params != NULL && (params->flags & UV_THREAD_HAS_STACK_SIZE))
    stack_size = params->stack_size;
  if (stack_size == 0) {
    stack_size = default_stack_size();
  } else {
    size_t page = (size_t)getpagesize();

    stack_size = (stack_size + page - 1) & ~(page - 1);
    if (stack_size < (size_t)PTHREAD_STACK_MIN)
      stack_size = (size_t)PTHREAD_STACK_MIN;
  }
  s = uv__malloc(sizeof *s);
  if (s == NULL)
    return UV_ENOMEM;
  s->entry = entry;
  s->arg = arg;
  err = pthread_attr_init(&attr);
  if (err != 0) {
    uv__free(s);
    return UV__ERR(err);
  }
  err = pthread_attr_setstacksize(&attr, stack_size);
  if (err == 0)
    err = pthread_create(tid, &attr, thread_main, s);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    uv__free(s);
    return UV__ERR(err);
  }
  return 0;
}

int
uv_thread_create(uv_thread_t *tid, uv_thread_cb entry, void *arg)
{
  uv_thread_options_t params;

  params.flags = UV_THREAD_NO_FLAGS;
  params.stack_size = 0;
  return uv_thread_create_ex(tid, &params, entry, arg);
}

uv_thread_t uv_thread_self(void) { return pthread_self(); }

int
uv_thread_join(uv_thread_t *tid)
{
  return UV__ERR(pthread_join(*tid, NULL));
}

int
uv_thread_equal(const uv_thread_t *t1, const uv_thread_t *t2)
{
  return pthread_equal(*t1, *t2);
}

/* ---- mutexes --------------------------------------------------------------- */

int
uv_mutex_init(uv_mutex_t *mutex)
{
  return UV__ERR(pthread_mutex_init(mutex, NULL));
}

int
uv_mutex_init_recursive(uv_mutex_t *mutex)
{
  pthread_mutexattr_t attr;
  int err;

  if (pthread_mutexattr_init(&attr) != 0)
    abort();
  if (pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE) != 0)
    abort();
  err = pthread_mutex_init(mutex, &attr);
  if (pthread_mutexattr_destroy(&attr) != 0)
    abort();
  return UV__ERR(err);
}

void
uv_mutex_destroy(uv_mutex_t *mutex)
{
  if (pthread_mutex_destroy(mutex) != 0)
    abort();
}

void
uv_mutex_lock(uv_mutex_t *mutex)
{
  if (pthread_mutex_lock(mutex) != 0)
    abort();
}

int
uv_mutex_trylock(uv_mutex_t *mutex)
{
  int err = pthread_mutex_trylock(mutex);

  if (err == 0)
    return 0;
  if (err != EBUSY && err != EAGAIN)
    abort();
  return UV_EBUSY;
}

void
uv_mutex_unlock(uv_mutex_t *mutex)
{
  if (pthread_mutex_unlock(mutex) != 0)
    abort();
}

/* ---- read-write locks ------------------------------------------------------- */

int uv_rwlock_init(uv_rwlock_t *rwlock) { return UV__ERR(pthread_rwlock_init(rwlock, NULL)); }

void
uv_rwlock_destroy(uv_rwlock_t *rwlock)
{
  if (pthread_rwlock_destroy(rwlock) != 0)
    abort();
}

void
uv_rwlock_rdlock(uv_rwlock_t *rwlock)
{
  if (pthread_rwlock_rdlock(rwlock) != 0)
    abort();
}

int
uv_rwlock_tryrdlock(uv_rwlock_t *rwlock)
{
  int err = pthread_rwlock_tryrdlock(rwlock);

  if (err == 0)
    return 0;
  if (err != EBUSY && err != EAGAIN)
    abort();
  return UV_EBUSY;
}

void
uv_rwlock_rdunlock(uv_rwlock_t *rwlock)
{
  if (pthread_rwlock_unlock(rwlock) != 0)
    abort();
}

void
uv_rwlock_wrlock(uv_rwlock_t *rwlock)
{
  if (pthread_rwlock_wrlock(rwlock) != 0)
    abort();
}

int
uv_rwlock_trywrlock(uv_rwlock_t *rwlock)
{
  int err = pthread_rwlock_trywrlock(rwlock);

  if (err == 0)
    return 0;
  if (err != EBUSY && err != EAGAIN)
    abort();
  return UV_EBUSY;
}

void
uv_rwlock_wrunlock(uv_rwlock_t *rwlock)
{
  if (pthread_rwlock_unlock(rwlock) != 0)
    abort();
}

/* ---- semaphores --------------------------------------------------------------- */

int
uv_sem_init(uv_sem_t *sem, unsigned int value)
{
  if (sem_init(sem, 0, value) != 0)
    return UV__ERR(errno);
  return 0;
}

void
uv_sem_destroy(uv_sem_t *sem)
{
  if (sem_destroy(sem) != 0)
    abort();
}

void
uv_sem_post(uv_sem_t *sem)
{
  if (sem_post(sem) != 0)
    abort();
}

void
uv_sem_wait(uv_sem_t *sem)
{
  int r;

  do
    r = sem_wait(sem);
  while (r == -1 && errno == EINTR);
  if (r != 0)
    abort();
}

int
uv_sem_trywait(uv_sem_t *sem)
{
  int r;

  do
    r = sem_trywait(sem);
  while (r == -1 && errno == EINTR);
  if (r == 0)
    return 0;
  if (errno != EAGAIN)
    abort();
  return UV_EAGAIN;
}

/* ---- condition variables -------------------------------------------------------- */

int
uv_cond_init(uv_cond_t *cond)
{
  pthread_condattr_t attr;
  int err;

  err = pthread_condattr_init(&attr);
  if (err != 0)
    return UV__ERR(err);
  err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  if (err == 0)
    err = pthread_cond_init(cond, &attr);
  if (pthread_condattr_destroy(&attr) != 0)
    abort();
  return UV__ERR(err);
}

void
uv_cond_destroy(uv_cond_t *cond)
{
  if (pthread_cond_destroy(cond) != 0)
    abort();
}

void
uv_cond_signal(uv_cond_t *cond)
{
  if (pthread_cond_signal(cond) != 0)
    abort();
}

void
uv_cond_broadcast(uv_cond_t *cond)
{
  if (pthread_cond_broadcast(cond) != 0)
    abort();
}

void
uv_cond_wait(uv_cond_t *cond, uv_mutex_t *mutex)
{
  if (pthread_cond_wait(cond, mutex) != 0)
    abort();
}

int
uv_cond_timedwait(uv_cond_t *cond, uv_mutex_t *mutex, uint64_t timeout)
{
  struct timespec ts;
  uint64_t now;
  int r;

  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    abort();
  now = (uint64_t)ts.tv_sec * NANOSEC + (uint64_t)ts.tv_nsec;
  if (timeout > UINT64_MAX - now)
    timeout = UINT64_MAX - now;
  timeout += now;
  ts.tv_sec = (time_t)(timeout / NANOSEC);
  ts.tv_nsec = (long)(timeout % NANOSEC);
  r = pthread_cond_timedwait(cond, mutex, &ts);
  if (r == 0)
    return 0;
  if (r == ETIMEDOUT)
    return UV_ETIMEDOUT;
  abort();
}

/* ---- barriers ------------------------------------------------------------------ */

/*
 * @in counts the threads arrived in the current round; when the last one
 * arrives, @out is set to the round's size and every thread of the round
 * leaves, counting @out down (the one that brings it to 0 returns 1). A
 * thread arriving while @out is nonzero waits for the previous round to
 * be gone, so the barrier can be reused at once.
 */
int
uv_barrier_init(uv_barrier_t *barrier, unsigned int count)
{
  int err;

  if (count == 0)
    return UV_EINVAL;
  err = uv_mutex_init(&barrier->mutex);
  if (err != 0)
    return err;
  err = uv_cond_init(&barrier->cond);
  if (err != 0) {
    uv_mutex_destroy(&barrier->mutex);
    return err;
  }
  barrier->threshold = count;
  barrier->in = 0;
  barrier->out = 0;
  return 0;
}

int
uv_barrier_wait(uv_barrier_t *barrier)
{
  int last;

  uv_mutex_lock(&barrier->mutex);
  while (barrier->out != 0)
    uv_cond_wait(&barrier->cond, &barrier->mutex);
  if (++barrier->in == barrier->threshold) {
    barrier->in = 0;
    barrier->out = barrier->threshold;
    uv_cond_broadcast(&barrier->cond);
  } else {
    while (barrier->out == 0)
      uv_cond_wait(&barrier->cond, &barrier->mutex);
  }
  last = --barrier->out == 0;
  if (last)
    uv_cond_broadcast(&barrier->cond); /* the next round's early arrivals */
  uv_mutex_unlock(&barrier->mutex);
  return last;
}

void
uv_barrier_destroy(uv_barrier_t *barrier)
{
  uv_mutex_lock(&barrier->mutex);
  while (barrier->out != 0)
    uv_cond_wait(&barrier->cond, &barrier->mutex);
  if (barrier->in != 0)
    abort();
  uv_mutex_unlock(&barrier->mutex);
  uv_cond_destroy(&barrier->cond);
  uv_mutex_destroy(&barrier->mutex);
}

/* ---- once, keys ----------------------------------------------------------------- */

void
uv_once(uv_once_t *guard, void (*callback)(void))
{
  if (pthread_once(guard, callback) != 0)
    abort();
}

int uv_key_create(uv_key_t *key) { return UV__ERR(pthread_key_create(key, NULL)); }

void
uv_key_delete(uv_key_t *key)
{
  if (pthread_key_delete(*key) != 0)
    abort();
}

void *uv_key_get(uv_key_t *key) { return pthread_getspecific(*key); }

void
uv_key_set(uv_key_t *key, void *value)
{
  if (pthread_setspecific(*key, value) != 0)
    abort();
}
