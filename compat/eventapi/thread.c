/* SPDX-License-Identifier: MIT */
/* compat/eventapi: evthread_use_pthreads() and the shim's recursive locks. */
#include "internal.h"

#include "event2/thread.h"

int eva_threads_on = 0;

int
evthread_use_pthreads(void)
{
  eva_threads_on = 1;
  return 0;
}

int
evthread_make_base_notifiable(struct event_base *base)
{
  /* Bases made after evthread_use_pthreads() have their notifier; a base
   * made before has no lock, so no other thread may use it and there is
   * nothing to set up (libevent returns 0 there too). */
  return base != NULL ? 0 : -1;
}

pthread_mutex_t *
eva_rlock_new(void)
{
  pthread_mutexattr_t a;
  pthread_mutex_t *m = eva_malloc(sizeof *m);

  if (m == NULL)
    return NULL;
  if (pthread_mutexattr_init(&a) != 0) {
    eva_free(m);
    return NULL;
  }
  (void)pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  if (pthread_mutex_init(m, &a) != 0) {
    (void)pthread_mutexattr_destroy(&a);
    eva_free(m);
    return NULL;
  }
  (void)pthread_mutexattr_destroy(&a);
  return m;
}

void
eva_rlock_free(pthread_mutex_t *m)
{
  if (m == NULL)
    return;
  (void)pthread_mutex_destroy(m);
  eva_free(m);
}
