/* SPDX-License-Identifier: MIT */
/*
 * ev.h - libev 4's API (4.33) on the libfutures core (compat/evapi).
 *
 * Source compatible with programs written for libev: the same names,
 * constants, macros, watcher types with the fields programs use, callback
 * signatures and documented behaviour, implemented on a libfutures runtime
 * (link -lfutures-evapi -lfutures and one backend library). Not binary
 * compatible: the watchers carry private fields of their own after the
 * public ones, and struct ev_loop is opaque.
 *
 * Always EV_MULTIPLICITY: every function takes the loop first (EV_P).
 * Threads: a loop and its watchers belong to the thread that runs the loop;
 * ev_async_send() and ev_feed_signal() may be called from any thread and
 * from a signal handler; ev_time(), ev_sleep(), ev_version_*() and the
 * backend queries from any thread.
 *
 * What libev has and this shim does not: ev_embed (see docs/compat-ev.md),
 * ev_walk (libev builds without it too), ev_loop_new's choice of kernel
 * mechanism (the runtime's backend decides).
 */
#ifndef EV_H_
#define EV_H_

#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <futures/compat-kit.h>

#ifdef FUT_EVAPI_RENAME
#include <ev/fut-rename.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define EV_FUT_EXTERN __attribute__((visibility("default")))
#else
#define EV_FUT_EXTERN
#endif

#define EV_VERSION_MAJOR 4
#define EV_VERSION_MINOR 33

#define EV_MULTIPLICITY 1
#define EV_MINPRI (-2)
#define EV_MAXPRI 2
#define EV_PERIODIC_ENABLE 1
#define EV_STAT_ENABLE 1
#define EV_PREPARE_ENABLE 1
#define EV_CHECK_ENABLE 1
#define EV_IDLE_ENABLE 1
#define EV_FORK_ENABLE 1
#define EV_CLEANUP_ENABLE 1
#define EV_SIGNAL_ENABLE 1
#define EV_CHILD_ENABLE 1
#define EV_ASYNC_ENABLE 1
#define EV_EMBED_ENABLE 0
#define EV_WALK_ENABLE 0
#define EV_IO_ENABLE 1
#define EV_TIMER_ENABLE 1
#ifndef EV_COMPAT3
#define EV_COMPAT3 1
#endif

#define EV_INLINE static inline
#define EV_NOEXCEPT
#define EV_THROW
#define EV_CPP(x)
#define EV_ATOMIC_T sig_atomic_t volatile

/* The loop argument, as libev spells it with EV_MULTIPLICITY. */
struct ev_loop;
#define EV_P struct ev_loop *loop
#define EV_P_ EV_P,
#define EV_A loop
#define EV_A_ EV_A,
#define EV_DEFAULT ev_default_loop(0)
#define EV_DEFAULT_ EV_DEFAULT,
#define EV_DEFAULT_UC ev_default_loop(0)
#define EV_DEFAULT_UC_ EV_DEFAULT_UC,

#define EV_TSTAMP_T double
typedef EV_TSTAMP_T ev_tstamp;

/* Event bits: what a watcher waits for and what its callback receives. */
enum {
  EV_UNDEF = (int)0xFFFFFFFF,
  EV_NONE = 0x00,
  EV_READ = 0x01,
  EV_WRITE = 0x02,
  EV__IOFDSET = 0x80,
  EV_IO = EV_READ,
  EV_TIMER = 0x00000100,
#if EV_COMPAT3
  EV_TIMEOUT = EV_TIMER,
#endif
  EV_PERIODIC = 0x00000200,
  EV_SIGNAL = 0x00000400,
  EV_CHILD = 0x00000800,
  EV_STAT = 0x00001000,
  EV_IDLE = 0x00002000,
  EV_PREPARE = 0x00004000,
  EV_CHECK = 0x00008000,
  EV_EMBED = 0x00010000,
  EV_FORK = 0x00020000,
  EV_CLEANUP = 0x00040000,
  EV_ASYNC = 0x00080000,
  EV_CUSTOM = 0x01000000,
  EV_ERROR = (int)0x80000000
};

/* Loop flags (ev_default_loop, ev_loop_new). Accepted; the backend
 * masks choose nothing here (see ev_backend()). */
enum {
  EVFLAG_AUTO = 0x00000000U,
  EVFLAG_NOENV = 0x01000000U,
  EVFLAG_FORKCHECK = 0x02000000U,
  EVFLAG_NOINOTIFY = 0x00100000U,
  EVFLAG_NOSIGFD = 0,
  EVFLAG_SIGNALFD = 0x00200000U,
  EVFLAG_NOSIGMASK = 0x00400000U,
  EVFLAG_NOTIMERFD = 0x00800000U
};

enum {
  EVBACKEND_SELECT = 0x00000001U,
  EVBACKEND_POLL = 0x00000002U,
  EVBACKEND_EPOLL = 0x00000004U,
  EVBACKEND_KQUEUE = 0x00000008U,
  EVBACKEND_DEVPOLL = 0x00000010U,
  EVBACKEND_PORT = 0x00000020U,
  EVBACKEND_LINUXAIO = 0x00000040U,
  EVBACKEND_IOURING = 0x00000080U,
  EVBACKEND_ALL = 0x000000FFU,
  EVBACKEND_MASK = 0x0000FFFFU
};

/* ev_run flags and ev_break modes. */
enum { EVRUN_NOWAIT = 1, EVRUN_ONCE = 2 };
enum { EVBREAK_CANCEL = 0, EVBREAK_ONE = 1, EVBREAK_ALL = 2 };

/*
 * Watchers. The public fields: active (nonzero while started), pending
 * (nonzero while an event waits for the callback), priority (EV_MINPRI ..
 * EV_MAXPRI, set while inactive), data (the program's), cb. The fields
 * named fut_*_ are private to the shim.
 */
#define EV_FUT_WATCHER_(type) \
  int active; \
  int pending; \
  int priority; \
  void *data; \
  void (*cb)(struct ev_loop *loop, struct type *w, int revents); \
  struct fut_kit_queue fut_pend_; \
  int fut_revents_;

#define EV_FUT_WATCHER_LIST_(type) \
  EV_FUT_WATCHER_(type) \
  struct fut_kit_queue fut_link_;

#define EV_FUT_WATCHER_TIME_(type) \
  EV_FUT_WATCHER_(type) \
  ev_tstamp at; \
  struct fut_kit_timer fut_node_; \
  int fut_kind_;

typedef struct ev_watcher { EV_FUT_WATCHER_(ev_watcher) } ev_watcher;
typedef struct ev_watcher_list { EV_FUT_WATCHER_LIST_(ev_watcher_list) } ev_watcher_list;
typedef struct ev_watcher_time { EV_FUT_WATCHER_TIME_(ev_watcher_time) } ev_watcher_time;

/* EV_READ/EV_WRITE readiness of descriptor fd (level-triggered). */
typedef struct ev_io {
  EV_FUT_WATCHER_LIST_(ev_io)
  int fd;
  int events;
} ev_io;

/* Relative timeout on the loop's monotonic time; repeat: the period. */
typedef struct ev_timer {
  EV_FUT_WATCHER_TIME_(ev_timer)
  ev_tstamp repeat;
} ev_timer;

/* Wall-clock (ev_time()) based timer. */
typedef struct ev_periodic {
  EV_FUT_WATCHER_TIME_(ev_periodic)
  ev_tstamp offset;
  ev_tstamp interval;
  ev_tstamp (*reschedule_cb)(struct ev_periodic *w, ev_tstamp now);
} ev_periodic;

typedef struct ev_signal {
  EV_FUT_WATCHER_LIST_(ev_signal)
  int signum;
} ev_signal;

/* Status changes of child @pid (0: any); default loop only. */
typedef struct ev_child {
  EV_FUT_WATCHER_LIST_(ev_child)
  int flags;   /* 1: also stopped/continued (trace) */
  int pid;
  int rpid;    /* the child that changed */
  int rstatus; /* its waitpid() status */
} ev_child;

typedef struct stat ev_statdata;

/* Changes of the attributes of @path, checked every @interval seconds. */
typedef struct ev_stat {
  EV_FUT_WATCHER_LIST_(ev_stat)
  struct ev_timer timer; /* private */
  ev_tstamp interval;
  const char *path;
  ev_statdata prev;
  ev_statdata attr;
  int wd; /* private: always -1 here (no inotify) */
} ev_stat;

typedef struct ev_idle { EV_FUT_WATCHER_LIST_(ev_idle) } ev_idle;
typedef struct ev_prepare { EV_FUT_WATCHER_LIST_(ev_prepare) } ev_prepare;
typedef struct ev_check { EV_FUT_WATCHER_LIST_(ev_check) } ev_check;
typedef struct ev_fork { EV_FUT_WATCHER_LIST_(ev_fork) } ev_fork;
typedef struct ev_cleanup { EV_FUT_WATCHER_LIST_(ev_cleanup) } ev_cleanup;

/* Wakes the loop from any thread or signal handler. */
typedef struct ev_async {
  EV_FUT_WATCHER_LIST_(ev_async)
  EV_ATOMIC_T sent;
} ev_async;

#define ev_async_pending(w) (+(w)->sent)

union ev_any_watcher {
  struct ev_watcher w;
  struct ev_watcher_list wl;
  struct ev_io io;
  struct ev_timer timer;
  struct ev_periodic periodic;
  struct ev_signal signal;
  struct ev_child child;
  struct ev_stat stat;
  struct ev_idle idle;
  struct ev_prepare prepare;
  struct ev_check check;
  struct ev_fork fork;
  struct ev_cleanup cleanup;
  struct ev_async async;
};

/* ---- generic watcher macros ---------------------------------------------- */

#define ev_cb_(ev) (ev)->cb
#define ev_cb(ev) (ev)->cb
#define ev_set_cb(ev, cb_) ((ev)->cb = (cb_))
/* Every watcher type has these fields by name, so the macros take any
 * watcher pointer (ev_io *, ev_timer *, ev_watcher *...). */
#define ev_init(ev, cb_) do { \
    (ev)->active = 0; \
    (ev)->pending = 0; \
    (ev)->priority = 0; \
    ev_set_cb((ev), cb_); \
  } while (0)
#define ev_is_pending(ev) (0 + (ev)->pending)
#define ev_is_active(ev) (0 + (ev)->active)
#define ev_priority(ev) (+(ev)->priority)
#define ev_set_priority(ev, pri) ((ev)->priority = (pri))
#define ev_periodic_at(ev) (+(ev)->at)

#define ev_io_modify(ev, events_) do { (ev)->events = (events_); } while (0)
#define ev_io_set(ev, fd_, events_) do { (ev)->fd = (fd_); (ev)->events = (events_); } while (0)
#define ev_timer_set(ev, after_, repeat_) do { (ev)->at = (after_); (ev)->repeat = (repeat_); } while (0)
#define ev_periodic_set(ev, ofs_, ival_, rcb_) do { (ev)->offset = (ofs_); (ev)->interval = (ival_); (ev)->reschedule_cb = (rcb_); } while (0)
#define ev_signal_set(ev, signum_) do { (ev)->signum = (signum_); } while (0)
#define ev_child_set(ev, pid_, trace_) do { (ev)->pid = (pid_); (ev)->flags = !!(trace_); } while (0)
#define ev_stat_set(ev, path_, interval_) do { (ev)->path = (path_); (ev)->interval = (interval_); (ev)->wd = -1; } while (0)
#define ev_idle_set(ev) do { } while (0)
#define ev_prepare_set(ev) do { } while (0)
#define ev_check_set(ev) do { } while (0)
#define ev_fork_set(ev) do { } while (0)
#define ev_cleanup_set(ev) do { } while (0)
#define ev_async_set(ev) do { (ev)->sent = 0; } while (0)

#define ev_io_init(ev, cb, fd, events) do { ev_init((ev), (cb)); ev_io_set((ev), (fd), (events)); } while (0)
#define ev_timer_init(ev, cb, after, repeat) do { ev_init((ev), (cb)); ev_timer_set((ev), (after), (repeat)); } while (0)
#define ev_periodic_init(ev, cb, ofs, ival, rcb) do { ev_init((ev), (cb)); ev_periodic_set((ev), (ofs), (ival), (rcb)); } while (0)
#define ev_signal_init(ev, cb, signum) do { ev_init((ev), (cb)); ev_signal_set((ev), (signum)); } while (0)
#define ev_child_init(ev, cb, pid, trace) do { ev_init((ev), (cb)); ev_child_set((ev), (pid), (trace)); } while (0)
#define ev_stat_init(ev, cb, path, interval) do { ev_init((ev), (cb)); ev_stat_set((ev), (path), (interval)); } while (0)
#define ev_idle_init(ev, cb) do { ev_init((ev), (cb)); ev_idle_set((ev)); } while (0)
#define ev_prepare_init(ev, cb) do { ev_init((ev), (cb)); ev_prepare_set((ev)); } while (0)
#define ev_check_init(ev, cb) do { ev_init((ev), (cb)); ev_check_set((ev)); } while (0)
#define ev_fork_init(ev, cb) do { ev_init((ev), (cb)); ev_fork_set((ev)); } while (0)
#define ev_cleanup_init(ev, cb) do { ev_init((ev), (cb)); ev_cleanup_set((ev)); } while (0)
#define ev_async_init(ev, cb) do { ev_init((ev), (cb)); ev_async_set((ev)); } while (0)

/* ---- global functions (any thread) ---------------------------------------- */

/* The version of the API this implements: 4 and 33. */
EV_FUT_EXTERN int ev_version_major(void);
EV_FUT_EXTERN int ev_version_minor(void);
/* EVBACKEND_EPOLL: the runtime's backend sits on epoll on Linux. */
EV_FUT_EXTERN unsigned int ev_supported_backends(void);
EV_FUT_EXTERN unsigned int ev_recommended_backends(void);
/* 0: ev_embed is not provided, so no backend is embeddable. */
EV_FUT_EXTERN unsigned int ev_embeddable_backends(void);
/* The wall-clock time (CLOCK_REALTIME) in seconds. */
EV_FUT_EXTERN ev_tstamp ev_time(void);
/* Sleep @delay seconds (nothing when <= 0), restarting after signals. */
EV_FUT_EXTERN void ev_sleep(ev_tstamp delay);
/* The allocator for the shim's own memory (realloc semantics: size 0
 * frees, returns NULL then). It must not fail, or the default: report
 * through the syserr callback (or stderr) and abort, as libev does.
 * Call it before any loop exists. */
EV_FUT_EXTERN void ev_set_allocator(void *(*cb)(void *ptr, long size));
/* Called with a message on unrecoverable system errors (then abort). */
EV_FUT_EXTERN void ev_set_syserr_cb(void (*cb)(const char *msg));

/* ---- loops ----------------------------------------------------------------- */

/* The default loop (the only one with ev_child watchers), made on the
 * first call; NULL if it cannot be. @flags: EVFLAG_ and EVBACKEND_ bits
 * (accepted, the backend is the runtime's). Thread: the first call. */
EV_FUT_EXTERN struct ev_loop *ev_default_loop(unsigned int flags);
/* A new loop, or NULL (no memory, no runtime). */
EV_FUT_EXTERN struct ev_loop *ev_loop_new(unsigned int flags);
/* Invoke the active ev_cleanup watchers, then free the loop (its
 * watchers are left as they were, not stopped). The default loop can be
 * made again afterwards. NULL does nothing. */
EV_FUT_EXTERN void ev_loop_destroy(EV_P);
/* Call in the child after fork(): the next iteration invokes the ev_fork
 * watchers and gives the loop kernel state of its own. */
EV_FUT_EXTERN void ev_loop_fork(EV_P);
/* EVBACKEND_EPOLL. */
EV_FUT_EXTERN unsigned int ev_backend(EV_P);
/* The loop time: ev_time() when the current iteration began. */
EV_FUT_EXTERN ev_tstamp ev_now(EV_P);
/* Read the clocks again into the loop time. */
EV_FUT_EXTERN void ev_now_update(EV_P);
/* 1 for the default loop. */
EV_FUT_EXTERN int ev_is_default_loop(EV_P);
/* Run the loop: until no active referenced watcher remains or ev_break
 * (flags 0), one iteration that may block (EVRUN_ONCE) or one that does
 * not (EVRUN_NOWAIT). Returns nonzero when active referenced watchers
 * remain. May be nested from callbacks. */
EV_FUT_EXTERN int ev_run(EV_P_ int flags);
/* Make the innermost ev_run (EVBREAK_ONE) or all (EVBREAK_ALL) return
 * after this iteration; EVBREAK_CANCEL undoes it. */
EV_FUT_EXTERN void ev_break(EV_P_ int how);
/* Count one more (ev_ref) or one fewer (ev_unref) reason to keep ev_run
 * going (each active watcher is one). */
EV_FUT_EXTERN void ev_ref(EV_P);
EV_FUT_EXTERN void ev_unref(EV_P);
/* Wait once for @fd's @events (fd < 0: none) and/or @timeout seconds
 * (< 0: none), then call cb(revents, arg) once: EV_READ/EV_WRITE or
 * EV_TIMER. Allocates; on failure the syserr path is taken. */
EV_FUT_EXTERN void ev_once(EV_P_ int fd, int events, ev_tstamp timeout, void (*cb)(int revents, void *arg), void *arg);
/* Make @w pending with @revents (added to those pending); invoked in the
 * loop, never here. Loop thread. */
EV_FUT_EXTERN void ev_feed_event(EV_P_ void *w, int revents);
/* Feed @revents to every active ev_io of @fd waiting for them. */
EV_FUT_EXTERN void ev_feed_fd_event(EV_P_ int fd, int revents);
/* As if @signum had been received: wakes the loop that watches it. Any
 * thread, async-signal-safe. */
EV_FUT_EXTERN void ev_feed_signal(int signum);
/* Feed the ev_signal watchers of @signum in @loop. Loop thread. */
EV_FUT_EXTERN void ev_feed_signal_event(EV_P_ int signum);
/* Call @w's callback now with @revents. */
EV_FUT_EXTERN void ev_invoke(EV_P_ void *w, int revents);
/* Take @w off the pending list; returns the events it had (0: none). */
EV_FUT_EXTERN int ev_clear_pending(EV_P_ void *w);
/* How many watchers are pending. */
EV_FUT_EXTERN unsigned int ev_pending_count(EV_P);
/* Invoke every pending watcher, higher priority first. */
EV_FUT_EXTERN void ev_invoke_pending(EV_P);
/* What ev_run calls to invoke pending watchers (NULL: ev_invoke_pending). */
EV_FUT_EXTERN void ev_set_invoke_pending_cb(EV_P_ void (*invoke_pending_cb)(EV_P));
/* Called before (release) and after (acquire) the loop may block. */
EV_FUT_EXTERN void ev_set_loop_release_cb(EV_P_ void (*release)(EV_P), void (*acquire)(EV_P));
/* Sleep this long before each blocking poll, to batch I/O. */
EV_FUT_EXTERN void ev_set_io_collect_interval(EV_P_ ev_tstamp interval);
/* Never block for less than this when a timer is next. */
EV_FUT_EXTERN void ev_set_timeout_collect_interval(EV_P_ ev_tstamp interval);
EV_FUT_EXTERN void ev_set_userdata(EV_P_ void *data);
EV_FUT_EXTERN void *ev_userdata(EV_P);
/* Iterations begun so far; nesting depth of ev_run. */
EV_FUT_EXTERN unsigned int ev_iteration(EV_P);
EV_FUT_EXTERN unsigned int ev_depth(EV_P);
/* Check the loop's structures; aborts on corruption, as libev's does. */
EV_FUT_EXTERN void ev_verify(EV_P);
/* Stop time for the loop (ev_suspend) and, on ev_resume, move every timer
 * forward by the time suspended and reschedule the periodics. */
EV_FUT_EXTERN void ev_suspend(EV_P);
EV_FUT_EXTERN void ev_resume(EV_P);

/* ---- watchers (loop thread) ------------------------------------------------
 * Starting an active watcher and stopping an inactive one do nothing;
 * stopping clears a pending event. */
EV_FUT_EXTERN void ev_io_start(EV_P_ ev_io *w);
EV_FUT_EXTERN void ev_io_stop(EV_P_ ev_io *w);
EV_FUT_EXTERN void ev_timer_start(EV_P_ ev_timer *w);
EV_FUT_EXTERN void ev_timer_stop(EV_P_ ev_timer *w);
/* repeat 0: stop; active: restart with @repeat; inactive: start with it. */
EV_FUT_EXTERN void ev_timer_again(EV_P_ ev_timer *w);
/* Seconds until @w fires (the after value when inactive). */
EV_FUT_EXTERN ev_tstamp ev_timer_remaining(EV_P_ ev_timer *w);
EV_FUT_EXTERN void ev_periodic_start(EV_P_ ev_periodic *w);
EV_FUT_EXTERN void ev_periodic_stop(EV_P_ ev_periodic *w);
/* Stop and start again: reschedules from the current time. */
EV_FUT_EXTERN void ev_periodic_again(EV_P_ ev_periodic *w);
EV_FUT_EXTERN void ev_signal_start(EV_P_ ev_signal *w);
EV_FUT_EXTERN void ev_signal_stop(EV_P_ ev_signal *w);
/* Default loop only (elsewhere the watcher is not started). */
EV_FUT_EXTERN void ev_child_start(EV_P_ ev_child *w);
EV_FUT_EXTERN void ev_child_stop(EV_P_ ev_child *w);
EV_FUT_EXTERN void ev_stat_start(EV_P_ ev_stat *w);
EV_FUT_EXTERN void ev_stat_stop(EV_P_ ev_stat *w);
/* stat() @w->path into @w->attr now (st_nlink 0 when it fails). */
EV_FUT_EXTERN void ev_stat_stat(EV_P_ ev_stat *w);
EV_FUT_EXTERN void ev_idle_start(EV_P_ ev_idle *w);
EV_FUT_EXTERN void ev_idle_stop(EV_P_ ev_idle *w);
EV_FUT_EXTERN void ev_prepare_start(EV_P_ ev_prepare *w);
EV_FUT_EXTERN void ev_prepare_stop(EV_P_ ev_prepare *w);
EV_FUT_EXTERN void ev_check_start(EV_P_ ev_check *w);
EV_FUT_EXTERN void ev_check_stop(EV_P_ ev_check *w);
EV_FUT_EXTERN void ev_fork_start(EV_P_ ev_fork *w);
EV_FUT_EXTERN void ev_fork_stop(EV_P_ ev_fork *w);
EV_FUT_EXTERN void ev_cleanup_start(EV_P_ ev_cleanup *w);
EV_FUT_EXTERN void ev_cleanup_stop(EV_P_ ev_cleanup *w);
EV_FUT_EXTERN void ev_async_start(EV_P_ ev_async *w);
EV_FUT_EXTERN void ev_async_stop(EV_P_ ev_async *w);
/* Mark @w sent and wake its loop (coalesced until its callback runs).
 * Any thread; async-signal-safe. */
EV_FUT_EXTERN void ev_async_send(EV_P_ ev_async *w);

#if EV_COMPAT3
#define EVLOOP_NONBLOCK EVRUN_NOWAIT
#define EVLOOP_ONESHOT EVRUN_ONCE
#define EVUNLOOP_CANCEL EVBREAK_CANCEL
#define EVUNLOOP_ONE EVBREAK_ONE
#define EVUNLOOP_ALL EVBREAK_ALL
EV_INLINE void ev_loop(EV_P_ int flags) { ev_run(EV_A_ flags); }
EV_INLINE void ev_unloop(EV_P_ int how) { ev_break(EV_A_ how); }
EV_INLINE void ev_default_destroy(void) { ev_loop_destroy(EV_DEFAULT); }
EV_INLINE void ev_default_fork(void) { ev_loop_fork(EV_DEFAULT); }
EV_INLINE unsigned int ev_loop_count(EV_P) { return ev_iteration(EV_A); }
EV_INLINE unsigned int ev_loop_depth(EV_P) { return ev_depth(EV_A); }
EV_INLINE void ev_loop_verify(EV_P) { ev_verify(EV_A); }
#else
typedef struct ev_loop ev_loop;
#endif

#ifdef __cplusplus
}
#endif

#endif /* EV_H_ */
