/* SPDX-License-Identifier: MIT */
/*
 * libuv's API (release 1.44) on the libfutures core: a program written
 * against libuv compiles unchanged against this header and runs on the
 * libfutures backend it links with (-lfutures-epoll, -lfutures-event,
 * -lfutures-ev, or -lfutures-uv). See docs/compat-uv.md for the list of
 * what is implemented and every known difference from libuv.
 *
 * Names, constants, callback signatures, documented fields and documented
 * behaviour (callback order, error codes) are libuv's. Struct sizes and
 * layouts are not: programs are rebuilt, not relinked, against this
 * header. A function libuv has that is not declared here is absent from
 * the library as well, so a program that needs one fails to link, naming
 * it, instead of failing at run time.
 *
 * Threads: as in libuv, a loop and its handles and requests belong to the
 * thread that runs the loop. The exceptions are documented where they
 * are: uv_async_send() (any thread, async-signal-safe), uv_queue_work()'s
 * work callback (a pool thread), and the uv_thread_* / synchronisation
 * functions.
 */
#ifndef UV_H
#define UV_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(FUT_UVAPI_RENAME)
#include "uv/fut-rename.h"
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define UV_EXTERN __attribute__((visibility("default")))
#else
#define UV_EXTERN
#endif

#include "uv/errno.h"
#include "uv/version.h"
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "uv/unix.h"

#include <futures/executor.h>
#include <futures/reactor.h>
#include <futures/notify.h>
#include <futures/compat-kit.h>
#include <futures/blocking.h>

#define UV_ERRNO_MAP(XX) \
  XX(E2BIG, "argument list too long") \
  XX(EACCES, "permission denied") \
  XX(EADDRINUSE, "address already in use") \
  XX(EADDRNOTAVAIL, "address not available") \
  XX(EAFNOSUPPORT, "address family not supported") \
  XX(EAGAIN, "resource temporarily unavailable") \
  XX(EAI_ADDRFAMILY, "address family not supported") \
  XX(EAI_AGAIN, "temporary failure") \
  XX(EAI_BADFLAGS, "bad ai_flags value") \
  XX(EAI_BADHINTS, "invalid value for hints") \
  XX(EAI_CANCELED, "request canceled") \
  XX(EAI_FAIL, "permanent failure") \
  XX(EAI_FAMILY, "ai_family not supported") \
  XX(EAI_MEMORY, "out of memory") \
  XX(EAI_NODATA, "no address") \
  XX(EAI_NONAME, "unknown node or service") \
  XX(EAI_OVERFLOW, "argument buffer overflow") \
  XX(EAI_PROTOCOL, "resolved protocol is unknown") \
  XX(EAI_SERVICE, "service not available for socket type") \
  XX(EAI_SOCKTYPE, "socket type not supported") \
  XX(EALREADY, "connection already in progress") \
  XX(EBADF, "bad file descriptor") \
  XX(EBUSY, "resource busy or locked") \
  XX(ECANCELED, "operation canceled") \
  XX(ECHARSET, "invalid Unicode character") \
  XX(ECONNABORTED, "software caused connection abort") \
  XX(ECONNREFUSED, "connection refused") \
  XX(ECONNRESET, "connection reset by peer") \
  XX(EDESTADDRREQ, "destination address required") \
  XX(EEXIST, "file already exists") \
  XX(EFAULT, "bad address in system call argument") \
  XX(EFBIG, "file too large") \
  XX(EHOSTUNREACH, "host is unreachable") \
  XX(EINTR, "interrupted system call") \
  XX(EINVAL, "invalid argument") \
  XX(EIO, "i/o error") \
  XX(EISCONN, "socket is already connected") \
  XX(EISDIR, "illegal operation on a directory") \
  XX(ELOOP, "too many symbolic links encountered") \
  XX(EMFILE, "too many open files") \
  XX(EMSGSIZE, "message too long") \
  XX(ENAMETOOLONG, "name too long") \
  XX(ENETDOWN, "network is down") \
  XX(ENETUNREACH, "network is unreachable") \
  XX(ENFILE, "file table overflow") \
  XX(ENOBUFS, "no buffer space available") \
  XX(ENODEV, "no such device") \
  XX(ENOENT, "no such file or directory") \
  XX(ENOMEM, "not enough memory") \
  XX(ENONET, "machine is not on the network") \
  XX(ENOPROTOOPT, "protocol not available") \
  XX(ENOSPC, "no space left on device") \
  XX(ENOSYS, "function not implemented") \
  XX(ENOTCONN, "socket is not connected") \
  XX(ENOTDIR, "not a directory") \
  XX(ENOTEMPTY, "directory not empty") \
  XX(ENOTSOCK, "socket operation on non-socket") \
  XX(ENOTSUP, "operation not supported on socket") \
  XX(EOVERFLOW, "value too large for defined data type") \
  XX(EPERM, "operation not permitted") \
  XX(EPIPE, "broken pipe") \
  XX(EPROTO, "protocol error") \
  XX(EPROTONOSUPPORT, "protocol not supported") \
  XX(EPROTOTYPE, "protocol wrong type for socket") \
  XX(ERANGE, "result too large") \
  XX(EROFS, "read-only file system") \
  XX(ESHUTDOWN, "cannot send after transport endpoint shutdown") \
  XX(ESPIPE, "invalid seek") \
  XX(ESRCH, "no such process") \
  XX(ETIMEDOUT, "connection timed out") \
  XX(ETXTBSY, "text file is busy") \
  XX(EXDEV, "cross-device link not permitted") \
  XX(UNKNOWN, "unknown error") \
  XX(EOF, "end of file") \
  XX(ENXIO, "no such device or address") \
  XX(EMLINK, "too many links") \
  XX(EHOSTDOWN, "host is down") \
  XX(EREMOTEIO, "remote I/O error") \
  XX(ENOTTY, "inappropriate ioctl for device") \
  XX(EFTYPE, "inappropriate file type or format") \
  XX(EILSEQ, "illegal byte sequence") \
  XX(ESOCKTNOSUPPORT, "socket type not supported")

#define UV_HANDLE_TYPE_MAP(XX) \
  XX(ASYNC, async) \
  XX(CHECK, check) \
  XX(FS_EVENT, fs_event) \
  XX(FS_POLL, fs_poll) \
  XX(HANDLE, handle) \
  XX(IDLE, idle) \
  XX(NAMED_PIPE, pipe) \
  XX(POLL, poll) \
  XX(PREPARE, prepare) \
  XX(PROCESS, process) \
  XX(STREAM, stream) \
  XX(TCP, tcp) \
  XX(TIMER, timer) \
  XX(TTY, tty) \
  XX(UDP, udp) \
  XX(SIGNAL, signal)

#define UV_REQ_TYPE_MAP(XX) \
  XX(REQ, req) \
  XX(CONNECT, connect) \
  XX(WRITE, write) \
  XX(SHUTDOWN, shutdown) \
  XX(UDP_SEND, udp_send) \
  XX(FS, fs) \
  XX(WORK, work) \
  XX(GETADDRINFO, getaddrinfo) \
  XX(GETNAMEINFO, getnameinfo) \
  XX(RANDOM, random)

typedef enum {
#define XX(code, _) UV_ ## code = UV__ ## code,
  UV_ERRNO_MAP(XX)
#undef XX
  UV_ERRNO_MAX = UV__EOF - 1
} uv_errno_t;

typedef enum {
  UV_UNKNOWN_HANDLE = 0,
#define XX(uc, lc) UV_##uc,
  UV_HANDLE_TYPE_MAP(XX)
#undef XX
  UV_FILE,
  UV_HANDLE_TYPE_MAX
} uv_handle_type;

typedef enum {
  UV_UNKNOWN_REQ = 0,
#define XX(uc, lc) UV_##uc,
  UV_REQ_TYPE_MAP(XX)
#undef XX
  UV_REQ_TYPE_MAX
} uv_req_type;

/* Handle types. */
typedef struct uv_loop_s uv_loop_t;
typedef struct uv_handle_s uv_handle_t;
typedef struct uv_dir_s uv_dir_t;
typedef struct uv_stream_s uv_stream_t;
typedef struct uv_tcp_s uv_tcp_t;
typedef struct uv_udp_s uv_udp_t;
typedef struct uv_pipe_s uv_pipe_t;
typedef struct uv_tty_s uv_tty_t;
typedef struct uv_poll_s uv_poll_t;
typedef struct uv_timer_s uv_timer_t;
typedef struct uv_prepare_s uv_prepare_t;
typedef struct uv_check_s uv_check_t;
typedef struct uv_idle_s uv_idle_t;
typedef struct uv_async_s uv_async_t;
typedef struct uv_process_s uv_process_t;
typedef struct uv_fs_event_s uv_fs_event_t;
typedef struct uv_fs_poll_s uv_fs_poll_t;
typedef struct uv_signal_s uv_signal_t;

/* Request types. */
typedef struct uv_req_s uv_req_t;
typedef struct uv_getaddrinfo_s uv_getaddrinfo_t;
typedef struct uv_getnameinfo_s uv_getnameinfo_t;
typedef struct uv_shutdown_s uv_shutdown_t;
typedef struct uv_write_s uv_write_t;
typedef struct uv_connect_s uv_connect_t;
typedef struct uv_udp_send_s uv_udp_send_t;
typedef struct uv_fs_s uv_fs_t;
typedef struct uv_work_s uv_work_t;

/* None of the above. */
typedef struct uv_env_item_s uv_env_item_t;
typedef struct uv_cpu_info_s uv_cpu_info_t;
typedef struct uv_interface_address_s uv_interface_address_t;
typedef struct uv_dirent_s uv_dirent_t;
typedef struct uv_passwd_s uv_passwd_t;
typedef struct uv_utsname_s uv_utsname_t;
typedef struct uv_statfs_s uv_statfs_t;

typedef enum {
  UV_LOOP_BLOCK_SIGNAL = 0,
  UV_METRICS_IDLE_TIME
} uv_loop_option;

typedef enum {
  UV_RUN_DEFAULT = 0,
  UV_RUN_ONCE,
  UV_RUN_NOWAIT
} uv_run_mode;

/* Callbacks. */
typedef void *(*uv_malloc_func)(size_t size);
typedef void *(*uv_realloc_func)(void *ptr, size_t size);
typedef void *(*uv_calloc_func)(size_t count, size_t size);
typedef void (*uv_free_func)(void *ptr);

typedef void (*uv_alloc_cb)(uv_handle_t *handle, size_t suggested_size,
                            uv_buf_t *buf);
typedef void (*uv_read_cb)(uv_stream_t *stream, ssize_t nread,
                           const uv_buf_t *buf);
typedef void (*uv_write_cb)(uv_write_t *req, int status);
typedef void (*uv_connect_cb)(uv_connect_t *req, int status);
typedef void (*uv_shutdown_cb)(uv_shutdown_t *req, int status);
typedef void (*uv_connection_cb)(uv_stream_t *server, int status);
typedef void (*uv_close_cb)(uv_handle_t *handle);
typedef void (*uv_poll_cb)(uv_poll_t *handle, int status, int events);
typedef void (*uv_timer_cb)(uv_timer_t *handle);
typedef void (*uv_async_cb)(uv_async_t *handle);
typedef void (*uv_prepare_cb)(uv_prepare_t *handle);
typedef void (*uv_check_cb)(uv_check_t *handle);
typedef void (*uv_idle_cb)(uv_idle_t *handle);
typedef void (*uv_exit_cb)(uv_process_t *process, int64_t exit_status,
                           int term_signal);
typedef void (*uv_walk_cb)(uv_handle_t *handle, void *arg);
typedef void (*uv_fs_cb)(uv_fs_t *req);
typedef void (*uv_work_cb)(uv_work_t *req);
typedef void (*uv_after_work_cb)(uv_work_t *req, int status);
typedef void (*uv_getaddrinfo_cb)(uv_getaddrinfo_t *req, int status,
                                  struct addrinfo *res);
typedef void (*uv_getnameinfo_cb)(uv_getnameinfo_t *req, int status,
                                  const char *hostname, const char *service);

typedef struct {
  long tv_sec;
  long tv_nsec;
} uv_timespec_t;

typedef struct {
  uint64_t st_dev;
  uint64_t st_mode;
  uint64_t st_nlink;
  uint64_t st_uid;
  uint64_t st_gid;
  uint64_t st_rdev;
  uint64_t st_ino;
  uint64_t st_size;
  uint64_t st_blksize;
  uint64_t st_blocks;
  uint64_t st_flags;
  uint64_t st_gen;
  uv_timespec_t st_atim;
  uv_timespec_t st_mtim;
  uv_timespec_t st_ctim;
  uv_timespec_t st_birthtim;
} uv_stat_t;

typedef void (*uv_fs_event_cb)(uv_fs_event_t *handle, const char *filename,
                               int events, int status);
typedef void (*uv_fs_poll_cb)(uv_fs_poll_t *handle, int status,
                              const uv_stat_t *prev, const uv_stat_t *curr);
typedef void (*uv_signal_cb)(uv_signal_t *handle, int signum);

typedef enum {
  UV_LEAVE_GROUP = 0,
  UV_JOIN_GROUP
} uv_membership;

/* ------------------------------------------------------------------------ */
/* Private plumbing (names with two underscores are not API)                 */
/* ------------------------------------------------------------------------ */

/* Lists are the kit's struct fut_kit_queue (futures/compat-kit.h): a node;
 * a list head is a node pointing at itself. */

/*
 * Something the loop calls back in its poll phase (a handle's or a
 * request's readiness, woken through a waker whose data is the event) is
 * a struct fut_kit_ev, and the loop's runtime, ready queue and timer heap
 * are a struct fut_kit_loop: the machinery the API shims share
 * (futures/compat-kit.h). No allocation: they live in the handle, the
 * request, the loop.
 */

/* ------------------------------------------------------------------------ */
/* Requests and handles                                                      */
/* ------------------------------------------------------------------------ */

/* The fields every request has: @data is the program's; @type is read-only. */
#define UV_REQ_FIELDS \
  void *data; \
  uv_req_type type; \
  void *reserved[6]; \
  struct fut_kit_ev ev_;

struct uv_req_s {
  UV_REQ_FIELDS
};

/* The fields every handle has. @data is the program's; @loop and @type are
 * read-only. The rest is private. */
#define UV_HANDLE_FIELDS \
  void *data; \
  uv_loop_t *loop; \
  uv_handle_type type; \
  uv_close_cb close_cb; \
  struct fut_kit_queue handle_queue; \
  union { \
    int fd; \
    void *reserved[4]; \
  } u; \
  uv_handle_t *next_closing; \
  unsigned int flags;

struct uv_handle_s {
  UV_HANDLE_FIELDS
};

/*
 * struct uv_loop_s - an event loop: a libfutures runtime (owned mode, on
 * the backend the program links with) with libuv's phases around each of
 * its turns. @data is the program's; @active_handles and @stop_flag may be
 * read. The rest is private.
 */
struct uv_loop_s {
  void *data;
  unsigned int active_handles;
  struct fut_kit_queue handle_queue;
  union {
    void *unused;
    unsigned int count;
  } active_reqs;
  void *internal_fields;
  unsigned int stop_flag;
  /* private */
  struct fut_kit_loop kit_;     /* runtime, ready queue, timer heap */
  uint64_t time_;               /* ms, the cached loop time */
  struct fut_kit_queue idle_handles_;
  struct fut_kit_queue prepare_handles_;
  struct fut_kit_queue check_handles_;
  struct fut_kit_queue pending_; /* struct fut_kit_ev deferred to the next iteration */
  uv_handle_t *closing_handles_;
  int running_;                 /* inside uv_run() */
  int block_sigprof_;           /* UV_LOOP_BLOCK_SIGNAL */
  int metrics_idle_;            /* UV_METRICS_IDLE_TIME */
  uint64_t idle_time_;          /* ns blocked in the poll phase */
  /* for the areas' per-loop state */
  struct fut_kit_queue signal_handles_;
  struct fut_kit_queue process_handles_;
  void *area_[4];
};

/* ---- the loop -------------------------------------------------------- */

/**
 * uv_default_loop - the process's default loop, initialised on the first
 * call (NULL if that fails: out of memory, no backend). Loop thread.
 */
UV_EXTERN uv_loop_t *uv_default_loop(void);

/**
 * uv_loop_init - initialise @loop (owned by the caller, zeroed or not).
 * Returns 0 or a UV_E* code (UV_EINVAL for NULL, UV_ENOMEM, or the
 * backend's error). The pool that runs file, DNS and work requests has
 * UV_THREADPOOL_SIZE threads at most (default 4, at most 1024), per loop.
 */
UV_EXTERN int uv_loop_init(uv_loop_t *loop);

/**
 * uv_loop_close - release @loop. Every handle must have been closed and
 * its close callback run, and every request finished: else UV_EBUSY and
 * nothing is released. Returns 0, UV_EBUSY or UV_EINVAL (NULL).
 */
UV_EXTERN int uv_loop_close(uv_loop_t *loop);

/**
 * uv_loop_fork - reinitialise @loop's kernel state in the child of a
 * fork(2), as libuv's does. Call it in the child, on the thread that
 * forked, before the loop is used again; the parent's loop is untouched.
 * Handles and requests stay valid and keep working in the child: every
 * descriptor watched again on new backend descriptors (fut_runtime_fork()),
 * timers kept, uv_async_t working, fs_event handles on a new inotify
 * descriptor with their watches added again (a path gone since is no
 * longer watched), signal handles on self-pipes of their own. Work, file
 * system and DNS requests in flight at fork time are the parent's: a
 * uv_queue_work() request's after_work_cb gets UV_ECANCELED in the child;
 * file system and DNS requests in flight never complete there. Returns 0,
 * UV_EINVAL (NULL or not initialised) or the backend's error (then the loop
 * can only be closed).
 */
UV_EXTERN int uv_loop_fork(uv_loop_t *loop);

/**
 * uv_loop_configure - UV_LOOP_BLOCK_SIGNAL with SIGPROF (blocked while the
 * loop waits for I/O; any other signal: UV_EINVAL), UV_METRICS_IDLE_TIME
 * (measure the time spent waiting, see uv_metrics_idle_time()). Returns 0
 * or UV_EINVAL; UV_ENOSYS for another option.
 */
UV_EXTERN int uv_loop_configure(uv_loop_t *loop, uv_loop_option option, ...);

/**
 * uv_loop_new - a loop allocated (with the uv_replace_allocator()
 * functions) and initialised; NULL if either fails. Deprecated in libuv
 * in favour of uv_loop_init() on the caller's storage, kept for old code.
 */
UV_EXTERN uv_loop_t *uv_loop_new(void);

/**
 * uv_loop_delete - close and free a loop from uv_loop_new() (the default
 * loop is closed, not freed). The loop must be closable: every handle
 * closed, no request in flight (libuv asserts that; here a loop that
 * cannot close is left as it is, neither closed nor freed). Deprecated,
 * as uv_loop_new().
 */
UV_EXTERN void uv_loop_delete(uv_loop_t *loop);

/** uv_loop_size - sizeof(uv_loop_t). */
UV_EXTERN size_t uv_loop_size(void);

/**
 * uv_loop_alive - nonzero when the loop has active and referenced
 * handles, active requests, or handles closing.
 */
UV_EXTERN int uv_loop_alive(const uv_loop_t *loop);

/**
 * uv_run - run the loop. UV_RUN_DEFAULT: until nothing is alive or
 * uv_stop(); UV_RUN_ONCE: one iteration, blocking for I/O if there is
 * nothing pending; UV_RUN_NOWAIT: one iteration without blocking.
 * Each iteration: update time, due timers (equal timeouts in start order),
 * deferred callbacks, idle, prepare, poll for I/O (I/O, async, work and
 * fs callbacks), check, close callbacks. Returns nonzero when the loop is
 * still alive (for DEFAULT: it was stopped), 0 otherwise; UV_EBUSY when
 * called from one of its own callbacks (libuv leaves that undefined).
 */
UV_EXTERN int uv_run(uv_loop_t *loop, uv_run_mode mode);

/** uv_stop - make uv_run() return after the current iteration. */
UV_EXTERN void uv_stop(uv_loop_t *loop);

/** uv_now - the cached loop time in milliseconds (updated once per iteration). */
UV_EXTERN uint64_t uv_now(const uv_loop_t *loop);

/** uv_update_time - refresh the cached loop time. */
UV_EXTERN void uv_update_time(uv_loop_t *loop);

/**
 * uv_backend_fd - a descriptor that is readable when the loop has I/O to
 * process (to embed the loop in another, with uv_backend_timeout() and
 * uv_run(UV_RUN_NOWAIT)); -1 when the backend keeps none (libevent and
 * libev, unless the runtime is in one-descriptor mode).
 */
UV_EXTERN int uv_backend_fd(const uv_loop_t *loop);

/**
 * uv_backend_timeout - how long uv_run(UV_RUN_ONCE) would block, in ms:
 * 0 when it must not block, -1 for no timeout.
 */
UV_EXTERN int uv_backend_timeout(const uv_loop_t *loop);

/** uv_walk - call @walk_cb for each handle of @loop (internal ones skipped). */
UV_EXTERN void uv_walk(uv_loop_t *loop, uv_walk_cb walk_cb, void *arg);

UV_EXTERN void *uv_loop_get_data(const uv_loop_t *loop);
UV_EXTERN void uv_loop_set_data(uv_loop_t *loop, void *data);

/**
 * uv_metrics_idle_time - ns the loop spent waiting for I/O, counted once
 * uv_loop_configure(UV_METRICS_IDLE_TIME) was made (0 before).
 */
UV_EXTERN uint64_t uv_metrics_idle_time(uv_loop_t *loop);

/**
 * uv_library_shutdown - release global state (the default loop, if it was
 * closed). Call at most once, when no loop runs; nothing in the library
 * may be used afterwards.
 */
UV_EXTERN void uv_library_shutdown(void);

/**
 * uv_replace_allocator - the functions the library allocates with from
 * now on (call it before anything else allocates). All four are
 * required: UV_EINVAL if one is NULL.
 */
UV_EXTERN int uv_replace_allocator(uv_malloc_func malloc_func,
                                   uv_realloc_func realloc_func,
                                   uv_calloc_func calloc_func,
                                   uv_free_func free_func);

/* ---- handles --------------------------------------------------------- */

/** uv_handle_size - the size of a handle of @type; (size_t)-1 for a bad type. */
UV_EXTERN size_t uv_handle_size(uv_handle_type type);
/** uv_handle_type_name - "tcp", "timer", ...; NULL for a bad type. */
UV_EXTERN const char *uv_handle_type_name(uv_handle_type type);
UV_EXTERN uv_handle_type uv_handle_get_type(const uv_handle_t *handle);
UV_EXTERN void *uv_handle_get_data(const uv_handle_t *handle);
UV_EXTERN uv_loop_t *uv_handle_get_loop(const uv_handle_t *handle);
UV_EXTERN void uv_handle_set_data(uv_handle_t *handle, void *data);

/** uv_is_active - nonzero when the handle is active (started, reading, ...). */
UV_EXTERN int uv_is_active(const uv_handle_t *handle);
/** uv_is_closing - nonzero once uv_close() was called on it. */
UV_EXTERN int uv_is_closing(const uv_handle_t *handle);

/**
 * uv_close - close @handle: it stops at once (no more callbacks, pending
 * requests fail with UV_ECANCELED in their callbacks), and @close_cb (may
 * be NULL) runs in the close phase of the loop's next iteration (after
 * poll and check), never from uv_close() itself; the handle's memory may
 * be freed from then on. Closing a closing handle is a program error
 * (libuv asserts); this library ignores the second call.
 */
UV_EXTERN void uv_close(uv_handle_t *handle, uv_close_cb close_cb);

/** uv_ref, uv_unref - whether the handle, while active, keeps the loop alive. Idempotent. */
UV_EXTERN void uv_ref(uv_handle_t *handle);
UV_EXTERN void uv_unref(uv_handle_t *handle);
UV_EXTERN int uv_has_ref(const uv_handle_t *handle);

/**
 * uv_fileno - the descriptor of a TCP, pipe, TTY, UDP or poll handle in
 * *@fd. Returns 0, UV_EINVAL (another type), UV_EBADF (no descriptor yet,
 * or closing).
 */
UV_EXTERN int uv_fileno(const uv_handle_t *handle, uv_os_fd_t *fd);

/**
 * uv_send_buffer_size, uv_recv_buffer_size - read (*@value == 0) or set
 * SO_SNDBUF / SO_RCVBUF of a TCP, pipe or UDP handle (Linux reports twice
 * what was set). Returns 0 or a UV_E* code.
 */
UV_EXTERN int uv_send_buffer_size(uv_handle_t *handle, int *value);
UV_EXTERN int uv_recv_buffer_size(uv_handle_t *handle, int *value);

/* ---- requests -------------------------------------------------------- */

UV_EXTERN size_t uv_req_size(uv_req_type type);
UV_EXTERN void *uv_req_get_data(const uv_req_t *req);
UV_EXTERN void uv_req_set_data(uv_req_t *req, void *data);
UV_EXTERN uv_req_type uv_req_get_type(const uv_req_t *req);
UV_EXTERN const char *uv_req_type_name(uv_req_type type);

/**
 * uv_cancel - cancel a fs, work, getaddrinfo, getnameinfo or random
 * request that has not started on the pool. Its callback still runs, in
 * the loop's poll phase, with UV_ECANCELED (getaddrinfo and getnameinfo:
 * UV_EAI_CANCELED, as libuv). Returns 0, UV_EBUSY (running or done),
 * UV_EINVAL (another type of request, or NULL). Loop thread.
 */
UV_EXTERN int uv_cancel(uv_req_t *req);

/* ---- timers ---------------------------------------------------------- */

/* struct uv_timer_s - a timer. Fields private beyond UV_HANDLE_FIELDS. */
struct uv_timer_s {
  UV_HANDLE_FIELDS
  uv_timer_cb timer_cb;
  struct fut_kit_timer timer_;  /* due: the timeout, in loop ms */
  uint64_t repeat_;
};

UV_EXTERN int uv_timer_init(uv_loop_t *loop, uv_timer_t *handle);
/**
 * uv_timer_start - call @cb after @timeout ms (from the cached loop time),
 * then every @repeat ms if @repeat is nonzero. Restarts an active timer.
 * Timers due at the same time run in the order they were started.
 * Returns 0, or UV_EINVAL (NULL @cb, or the handle is closing).
 */
UV_EXTERN int uv_timer_start(uv_timer_t *handle, uv_timer_cb cb,
                             uint64_t timeout, uint64_t repeat);
/** uv_timer_stop - stop the timer; the callback will not be called. Returns 0. */
UV_EXTERN int uv_timer_stop(uv_timer_t *handle);
/**
 * uv_timer_again - stop the timer and, if it repeats, start it again with
 * the repeat as its timeout. UV_EINVAL if it was never started.
 */
UV_EXTERN int uv_timer_again(uv_timer_t *handle);
/** uv_timer_set_repeat - the repeat used from the next expiry on (ms). */
UV_EXTERN void uv_timer_set_repeat(uv_timer_t *handle, uint64_t repeat);
UV_EXTERN uint64_t uv_timer_get_repeat(const uv_timer_t *handle);
/** uv_timer_get_due_in - ms until it fires (0 if due or inactive). */
UV_EXTERN uint64_t uv_timer_get_due_in(const uv_timer_t *handle);

/* ---- idle, prepare, check ------------------------------------------- */

/*
 * Idle handles run once per iteration before prepare, and while one is
 * active the loop polls for I/O without blocking; prepare handles run
 * right before the poll for I/O, check handles right after it. Start and
 * stop are idempotent; start with a NULL callback is UV_EINVAL. Handles
 * started later run first in each phase, as in libuv.
 */
struct uv_idle_s {
  UV_HANDLE_FIELDS
  uv_idle_cb idle_cb;
  struct fut_kit_queue queue_;
};
struct uv_prepare_s {
  UV_HANDLE_FIELDS
  uv_prepare_cb prepare_cb;
  struct fut_kit_queue queue_;
};
struct uv_check_s {
  UV_HANDLE_FIELDS
  uv_check_cb check_cb;
  struct fut_kit_queue queue_;
};

UV_EXTERN int uv_idle_init(uv_loop_t *loop, uv_idle_t *idle);
UV_EXTERN int uv_idle_start(uv_idle_t *idle, uv_idle_cb cb);
UV_EXTERN int uv_idle_stop(uv_idle_t *idle);
UV_EXTERN int uv_prepare_init(uv_loop_t *loop, uv_prepare_t *prepare);
UV_EXTERN int uv_prepare_start(uv_prepare_t *prepare, uv_prepare_cb cb);
UV_EXTERN int uv_prepare_stop(uv_prepare_t *prepare);
UV_EXTERN int uv_check_init(uv_loop_t *loop, uv_check_t *check);
UV_EXTERN int uv_check_start(uv_check_t *check, uv_check_cb cb);
UV_EXTERN int uv_check_stop(uv_check_t *check);

/* ---- async ----------------------------------------------------------- */

/*
 * struct uv_async_s - wakes the loop from any thread. The handle is
 * active from init until closed.
 */
struct uv_async_s {
  UV_HANDLE_FIELDS
  uv_async_cb async_cb;
  struct fut_notify notify_;
  struct fut_notify_wait wait_;
  struct fut_kit_ev ev_;
};

/** uv_async_init - @async_cb may be NULL. Returns 0 or a UV_E* code. */
UV_EXTERN int uv_async_init(uv_loop_t *loop, uv_async_t *async,
                            uv_async_cb async_cb);
/**
 * uv_async_send - make the loop call the handle's callback soon, on the
 * loop's thread. Any thread, async-signal-safe. Calls made before the
 * callback runs are merged into one call. Returns 0 (UV_EINVAL for NULL).
 */
UV_EXTERN int uv_async_send(uv_async_t *async);

#include "uv/fut-stream.h"
#include "uv/fut-udp.h"
#include "uv/fut-process.h"
#include "uv/fut-fs.h"
#include "uv/fut-misc.h"

#ifdef __cplusplus
}
#endif

#endif /* UV_H */
