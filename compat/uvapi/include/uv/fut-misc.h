/* SPDX-License-Identifier: MIT */
/*
 * libuv API shim (compat/uvapi): errors, addresses, time, version, the OS
 * utilities, dynamic libraries and threads. Included by uv.h only.
 *
 * None of these functions needs a loop, and unless a comment says
 * otherwise they may be called from any thread (the ones reading or
 * changing process-wide state, such as the environment, the working
 * directory or the process title, are as thread-safe as the C library
 * functions they use: libuv's rule). Sizes follow libuv's protocol: a
 * function that fills a caller's buffer takes its size in *size; on
 * success *size is the length written, without the terminating NUL; when
 * the buffer is too small it returns UV_ENOBUFS and sets *size to the size
 * needed, the NUL included.
 */
#ifndef UV_FUT_MISC_H
#define UV_FUT_MISC_H

/* ---- errors ----------------------------------------------------------- */

/**
 * uv_strerror - the message of the UV_E* code @err ("end of file" for
 * UV_EOF). For an unknown code: "Unknown system error <err>", in memory
 * that stays valid (and is never freed: libuv leaks it too; use
 * uv_strerror_r() to avoid that).
 */
UV_EXTERN const char *uv_strerror(int err);
/**
 * uv_strerror_r - uv_strerror() into @buf (@buflen bytes), truncated to
 * fit and always NUL-terminated when @buflen > 0. Returns @buf.
 */
UV_EXTERN char *uv_strerror_r(int err, char *buf, size_t buflen);
/**
 * uv_err_name - the name of the UV_E* code @err without its "UV_" prefix
 * ("EOF", "EINVAL"); an unknown code: "Unknown system error <err>", as for
 * uv_strerror().
 */
UV_EXTERN const char *uv_err_name(int err);
/** uv_err_name_r - uv_err_name() into @buf, as uv_strerror_r(). Returns @buf. */
UV_EXTERN char *uv_err_name_r(int err, char *buf, size_t buflen);
/**
 * uv_translate_sys_error - the UV_E* code of the platform error
 * @sys_errno (a positive errno value): its negation on Unix. A value
 * already <= 0 is returned as it is.
 */
UV_EXTERN int uv_translate_sys_error(int sys_errno);

/* ---- buffers and addresses ------------------------------------------- */

/** uv_buf_init - a uv_buf_t for @base and @len (nothing is copied). */
UV_EXTERN uv_buf_t uv_buf_init(char *base, unsigned int len);

/**
 * uv_ip4_addr - fill @addr (zeroed first) with the dotted IPv4 address
 * @ip and @port (host order). Returns 0, or UV_EINVAL when @ip is not one.
 */
UV_EXTERN int uv_ip4_addr(const char *ip, int port, struct sockaddr_in *addr);
/**
 * uv_ip6_addr - fill @addr (zeroed first) with the IPv6 address @ip and
 * @port. A "%zone" suffix (an interface name, e.g. "fe80::1%eth0") sets
 * sin6_scope_id to that interface's index (0 when there is no such
 * interface, silently, as libuv). Returns 0 or UV_EINVAL.
 */
UV_EXTERN int uv_ip6_addr(const char *ip, int port, struct sockaddr_in6 *addr);
/**
 * uv_ip4_name, uv_ip6_name - the text form of @src's address in @dst
 * (@size bytes, NUL included). Returns 0 or UV_ENOSPC (too small).
 */
UV_EXTERN int uv_ip4_name(const struct sockaddr_in *src, char *dst, size_t size);
UV_EXTERN int uv_ip6_name(const struct sockaddr_in6 *src, char *dst, size_t size);
/**
 * uv_ip_name - uv_ip4_name() or uv_ip6_name() by @src's family.
 * UV_EAFNOSUPPORT for another family.
 */
UV_EXTERN int uv_ip_name(const struct sockaddr *src, char *dst, size_t size);
/**
 * uv_inet_ntop - the text form of the AF_INET or AF_INET6 address @src
 * (a struct in_addr / in6_addr) in @dst, @dst untouched on error. IPv6 as
 * libuv writes it: lower-case hex, the first longest run of zero words
 * as "::", a dotted tail for ::ffff:a.b.c.d and ::a.b.c.d. Returns 0,
 * UV_ENOSPC (@size too small), UV_EAFNOSUPPORT (another family), UV_EINVAL
 * (NULL pointer).
 */
UV_EXTERN int uv_inet_ntop(int af, const void *src, char *dst, size_t size);
/**
 * uv_inet_pton - parse the text address @src of family @af into @dst (a
 * struct in_addr / in6_addr). An IPv6 "%zone" suffix is ignored. Returns
 * 0, UV_EINVAL (not an address of that family, NULL pointer),
 * UV_EAFNOSUPPORT (another family).
 */
UV_EXTERN int uv_inet_pton(int af, const char *src, void *dst);

/**
 * UV_IF_NAMESIZE - buffer size for uv_if_indextoname() (IFNAMSIZ + 1).
 * UV_MAXHOSTNAMESIZE - buffer size for uv_os_gethostname(), NUL included.
 */
#define UV_IF_NAMESIZE (16 + 1)
#define UV_MAXHOSTNAMESIZE (64 + 1)

/**
 * uv_if_indextoname - the name of the network interface @ifindex in
 * @buffer (size protocol above). UV_EINVAL (NULL or zero size), UV_ENXIO
 * (no such interface), UV_ENOBUFS.
 */
UV_EXTERN int uv_if_indextoname(unsigned int ifindex, char *buffer, size_t *size);
/** uv_if_indextoiid - on Unix, the same as uv_if_indextoname(). */
UV_EXTERN int uv_if_indextoiid(unsigned int ifindex, char *buffer, size_t *size);

/* struct uv_interface_address_s - one address of a network interface. */
struct uv_interface_address_s {
  char *name;
  char phys_addr[6];        /* the link-layer address (zeroes if unknown) */
  int is_internal;          /* loopback */
  union {
    struct sockaddr_in address4;
    struct sockaddr_in6 address6;
  } address;
  union {
    struct sockaddr_in netmask4;
    struct sockaddr_in6 netmask6;
  } netmask;
};

/**
 * uv_interface_addresses - the addresses of the interfaces that are up
 * and running, in *@addresses (an array of *@count, NULL when 0; free it
 * with uv_free_interface_addresses()). Returns 0 or a UV_E* code.
 */
UV_EXTERN int uv_interface_addresses(uv_interface_address_t **addresses, int *count);
UV_EXTERN void uv_free_interface_addresses(uv_interface_address_t *addresses, int count);

/* ---- time ------------------------------------------------------------- */

typedef struct {
  long tv_sec;
  long tv_usec;
} uv_timeval_t;

typedef struct {
  int64_t tv_sec;
  int32_t tv_usec;
} uv_timeval64_t;

/**
 * uv_hrtime - nanoseconds of a monotonic clock from an arbitrary origin
 * (CLOCK_MONOTONIC); for intervals only.
 */
UV_EXTERN uint64_t uv_hrtime(void);
/** uv_sleep - block the calling thread for @msec milliseconds (signals do not cut it short). */
UV_EXTERN void uv_sleep(unsigned int msec);
/** uv_gettimeofday - the wall-clock time. 0, UV_EINVAL (NULL) or the error of gettimeofday(). */
UV_EXTERN int uv_gettimeofday(uv_timeval64_t *tv);
/** uv_uptime - seconds since boot in *@uptime. 0 or a UV_E* code. */
UV_EXTERN int uv_uptime(double *uptime);
/** uv_loadavg - the 1, 5 and 15 minute load averages (zeroes if unknown). */
UV_EXTERN void uv_loadavg(double avg[3]);

/* uv_rusage_t - the process's resource usage, as getrusage(2) has it. */
typedef struct {
  uv_timeval_t ru_utime;
  uv_timeval_t ru_stime;
  uint64_t ru_maxrss;
  uint64_t ru_ixrss;
  uint64_t ru_idrss;
  uint64_t ru_isrss;
  uint64_t ru_minflt;
  uint64_t ru_majflt;
  uint64_t ru_nswap;
  uint64_t ru_inblock;
  uint64_t ru_oublock;
  uint64_t ru_msgsnd;
  uint64_t ru_msgrcv;
  uint64_t ru_nsignals;
  uint64_t ru_nvcsw;
  uint64_t ru_nivcsw;
} uv_rusage_t;

/** uv_getrusage - the calling process's resource usage. 0 or a UV_E* code. */
UV_EXTERN int uv_getrusage(uv_rusage_t *rusage);

/* ---- version ---------------------------------------------------------- */

/** uv_version - UV_VERSION_HEX: (major << 16) | (minor << 8) | patch of the libuv API implemented. */
UV_EXTERN unsigned int uv_version(void);
/**
 * uv_version_string - "MAJOR.MINOR.PATCH-SUFFIX" from uv/version.h:
 * "1.44.0-libfutures". libuv adds its suffix only to non-release builds;
 * this library always adds it, so the shim can be told from libuv at run
 * time (the numbers, and uv_version(), are those of the libuv API level).
 */
UV_EXTERN const char *uv_version_string(void);

/* ---- descriptors and handles ----------------------------------------- */

/**
 * uv_guess_handle - the handle type fit for the descriptor @file: UV_TTY
 * (a terminal), UV_FILE (a regular file or character device), UV_NAMED_PIPE
 * (a FIFO, or a Unix stream socket), UV_TCP / UV_UDP (an IPv4 or IPv6
 * stream / datagram socket), else UV_UNKNOWN_HANDLE (negative or closed
 * descriptor too).
 */
UV_EXTERN uv_handle_type uv_guess_handle(uv_file file);
/** uv_get_osfhandle - on Unix, @fd itself. */
UV_EXTERN uv_os_fd_t uv_get_osfhandle(int fd);
/** uv_open_osfhandle - on Unix, @os_fd itself. */
UV_EXTERN int uv_open_osfhandle(uv_os_fd_t os_fd);

/**
 * uv_print_all_handles, uv_print_active_handles - write one line per
 * handle of @loop (NULL: the default loop), or per active handle, to
 * @stream, as libuv: "[RAI] type address", where each flag letter is '-'
 * when unset: R referenced, A active, I internal. For debugging. Loop
 * thread.
 */
UV_EXTERN void uv_print_all_handles(uv_loop_t *loop, FILE *stream);
UV_EXTERN void uv_print_active_handles(uv_loop_t *loop, FILE *stream);

/* ---- the process and the system -------------------------------------- */

/* struct uv_passwd_s - a user's entry (uv_os_get_passwd()). */
struct uv_passwd_s {
  char *username;
  long uid;
  long gid;
  char *shell;
  char *homedir;
};

/* struct uv_utsname_s - the system's names (uv_os_uname()). */
struct uv_utsname_s {
  char sysname[256];
  char release[256];
  char version[256];
  char machine[256];
};

/* struct uv_env_item_s - one environment variable (uv_os_environ()). */
struct uv_env_item_s {
  char *name;
  char *value;
};

/* struct uv_cpu_info_s - one CPU (uv_cpu_info()); times in ms. */
struct uv_cpu_times_s {
  uint64_t user;
  uint64_t nice;
  uint64_t sys;
  uint64_t idle;
  uint64_t irq;
};
struct uv_cpu_info_s {
  char *model;
  int speed;                /* MHz, 0 if unknown */
  struct uv_cpu_times_s cpu_times;
};

/* Priorities for uv_os_setpriority() (nice values on Unix). */
#define UV_PRIORITY_LOW 19
#define UV_PRIORITY_BELOW_NORMAL 10
#define UV_PRIORITY_NORMAL 0
#define UV_PRIORITY_ABOVE_NORMAL (-7)
#define UV_PRIORITY_HIGH (-14)
#define UV_PRIORITY_HIGHEST (-20)

/**
 * uv_os_homedir - the current user's home directory: $HOME if set, else
 * the password database's entry. Size protocol above. UV_EINVAL (NULL
 * pointer, zero size), UV_ENOBUFS, UV_ENOENT (no entry), other UV_E*.
 */
UV_EXTERN int uv_os_homedir(char *buffer, size_t *size);
/**
 * uv_os_tmpdir - the temporary directory: the first of $TMPDIR, $TMP,
 * $TEMP, $TEMPDIR that is set, else "/tmp"; a trailing '/' is removed.
 * Size protocol above (UV_ENOBUFS compares the value before that removal).
 * UV_EINVAL for a NULL pointer or zero size.
 */
UV_EXTERN int uv_os_tmpdir(char *buffer, size_t *size);
/**
 * uv_os_get_passwd - the effective user's password entry, in memory
 * allocated for @pwd (free it with uv_os_free_passwd()). Returns 0,
 * UV_EINVAL (NULL), UV_ENOENT (no entry), UV_ENOMEM, other UV_E*.
 */
UV_EXTERN int uv_os_get_passwd(uv_passwd_t *pwd);
/** uv_os_free_passwd - free what uv_os_get_passwd() allocated; the fields become NULL. */
UV_EXTERN void uv_os_free_passwd(uv_passwd_t *pwd);
UV_EXTERN uv_pid_t uv_os_getpid(void);
UV_EXTERN uv_pid_t uv_os_getppid(void);
/**
 * uv_os_getenv - the value of the environment variable @name. Size
 * protocol above. UV_EINVAL (NULL pointer, zero size), UV_ENOENT (not
 * set), UV_ENOBUFS.
 */
UV_EXTERN int uv_os_getenv(const char *name, char *buffer, size_t *size);
/** uv_os_setenv - set (or replace) @name to @value. 0, UV_EINVAL (NULL, bad name), UV_ENOMEM. */
UV_EXTERN int uv_os_setenv(const char *name, const char *value);
/** uv_os_unsetenv - remove @name (not an error if unset). 0, UV_EINVAL. */
UV_EXTERN int uv_os_unsetenv(const char *name);
/**
 * uv_os_environ - a copy of the environment: *@envitems, an array of
 * *@count name/value pairs (free it with uv_os_free_environ()). Entries
 * without '=' are skipped. 0, UV_EINVAL (NULL), UV_ENOMEM.
 */
UV_EXTERN int uv_os_environ(uv_env_item_t **envitems, int *count);
UV_EXTERN void uv_os_free_environ(uv_env_item_t *envitems, int count);
/** uv_os_gethostname - the host name. Size protocol above; UV_EINVAL, UV_ENOBUFS. */
UV_EXTERN int uv_os_gethostname(char *buffer, size_t *size);
/** uv_os_uname - the system's names (uname(2)). 0, UV_EINVAL (NULL), other UV_E*. */
UV_EXTERN int uv_os_uname(uv_utsname_t *buffer);
/**
 * uv_os_getpriority - the scheduling priority (nice value) of process
 * @pid (0: the caller). 0, UV_EINVAL (NULL), UV_ESRCH, other UV_E*.
 */
UV_EXTERN int uv_os_getpriority(uv_pid_t pid, int *priority);
/**
 * uv_os_setpriority - set it to @priority, from UV_PRIORITY_HIGHEST (-20)
 * to UV_PRIORITY_LOW (19): else UV_EINVAL. UV_EACCES / UV_EPERM when
 * raising it is not allowed, UV_ESRCH.
 */
UV_EXTERN int uv_os_setpriority(uv_pid_t pid, int priority);

/**
 * uv_cpu_info - one entry per online CPU in *@cpu_infos (free with
 * uv_free_cpu_info()): model name ("unknown" if the system does not say),
 * speed in MHz (0 if unknown), times in ms. 0, UV_EINVAL, UV_ENOMEM, or
 * the error reading /proc/stat.
 */
UV_EXTERN int uv_cpu_info(uv_cpu_info_t **cpu_infos, int *count);
UV_EXTERN void uv_free_cpu_info(uv_cpu_info_t *cpu_infos, int count);
/** uv_get_free_memory - bytes of memory available (MemAvailable), 0 if unknown. */
UV_EXTERN uint64_t uv_get_free_memory(void);
/** uv_get_total_memory - bytes of physical memory, 0 if unknown. */
UV_EXTERN uint64_t uv_get_total_memory(void);
/**
 * uv_get_constrained_memory - the memory limit of the process's control
 * group in bytes (cgroup v1 memory.limit_in_bytes, v2 memory.max); 0 when
 * there is no limit ("unlimited", "max") or it is unknown, as documented.
 */
UV_EXTERN uint64_t uv_get_constrained_memory(void);
/** uv_resident_set_memory - the process's resident set size in bytes. 0 or a UV_E* code. */
UV_EXTERN int uv_resident_set_memory(size_t *rss);
/**
 * uv_available_parallelism - an estimate of the number of threads the
 * process can run in parallel (the CPUs of its affinity mask); at least 1.
 */
UV_EXTERN unsigned int uv_available_parallelism(void);

/**
 * uv_exepath - the executable's path (/proc/self/exe), truncated to fit
 * @buffer. Size protocol above (no UV_ENOBUFS: it truncates, as libuv).
 * UV_EINVAL for a NULL pointer or zero size.
 */
UV_EXTERN int uv_exepath(char *buffer, size_t *size);
/**
 * uv_cwd - the working directory, without a trailing '/' (except "/").
 * Size protocol above. UV_EINVAL, UV_ENOBUFS, other UV_E*.
 */
UV_EXTERN int uv_cwd(char *buffer, size_t *size);
/** uv_chdir - change the working directory. 0 or a UV_E* code (UV_ENOENT...). */
UV_EXTERN int uv_chdir(const char *dir);

/**
 * uv_setup_args - call once at the start of main() with its arguments
 * before uv_get_process_title() / uv_set_process_title(): it returns a copy
 * of @argv to use from then on (the original strings' memory may be
 * overwritten by the process title). Returns @argv unchanged if the copy
 * cannot be made. Not thread-safe. The copy is never freed (it must
 * outlive every use of the arguments; uv_library_shutdown() leaves it).
 */
UV_EXTERN char **uv_setup_args(int argc, char **argv);
/**
 * uv_get_process_title - the process title in @buffer (@size bytes, NUL
 * included). UV_EINVAL (NULL or zero size), UV_ENOBUFS (too small, or
 * uv_setup_args() was not called). Any thread.
 */
UV_EXTERN int uv_get_process_title(char *buffer, size_t size);
/**
 * uv_set_process_title - set the title shown by ps(1): written over the
 * original argument strings (truncated to their total length) and set as
 * the thread name (prctl PR_SET_NAME, 15 bytes). UV_EINVAL (NULL),
 * UV_ENOBUFS (uv_setup_args() was not called). Any thread.
 */
UV_EXTERN int uv_set_process_title(const char *title);

/* ---- dynamic libraries ------------------------------------------------ */

/* uv_lib_t - a shared library opened by uv_dlopen(). */
typedef struct {
  void *handle;
  char *errmsg;
} uv_lib_t;

/**
 * uv_dlopen - open the shared library @filename (UTF-8; NULL: the main
 * program) into @lib. Returns 0, or -1 with the message in uv_dlerror().
 * Call uv_dlclose() in both cases to release @lib.
 */
UV_EXTERN int uv_dlopen(const char *filename, uv_lib_t *lib);
/** uv_dlclose - close the library (if open) and free the error message. */
UV_EXTERN void uv_dlclose(uv_lib_t *lib);
/** uv_dlsym - the address of @name in *@ptr. Returns 0, or -1 with the message in uv_dlerror(). */
UV_EXTERN int uv_dlsym(uv_lib_t *lib, const char *name, void **ptr);
/** uv_dlerror - the last error of @lib's uv_dlopen() / uv_dlsym(); "no error" if none. */
UV_EXTERN const char *uv_dlerror(const uv_lib_t *lib);

/* ---- threads and synchronisation ------------------------------------- */

/*
 * Any thread. As in libuv, the lock, unlock, wait, post, signal and
 * destroy operations abort() the process when the system call fails
 * (that is a program error: unlocking a mutex not held, destroying one in
 * use); init functions and the try-functions return a UV_E* code.
 */

typedef void (*uv_thread_cb)(void *arg);

typedef enum {
  UV_THREAD_NO_FLAGS = 0x00,
  UV_THREAD_HAS_STACK_SIZE = 0x01
} uv_thread_create_flags;

/* uv_thread_options_t - @stack_size is used with UV_THREAD_HAS_STACK_SIZE. */
typedef struct uv_thread_options_s {
  unsigned int flags;
  size_t stack_size;
} uv_thread_options_t;

/**
 * uv_thread_create - run @entry(@arg) on a new thread, its id in *@tid.
 * The stack size is RLIMIT_STACK's (page-rounded) when that is finite and
 * at least PTHREAD_STACK_MIN, else 2 MiB (glibc's default), as libuv. 0 or a UV_E*
 * code (UV_EAGAIN, UV_ENOMEM).
 */
UV_EXTERN int uv_thread_create(uv_thread_t *tid, uv_thread_cb entry, void *arg);
/**
 * uv_thread_create_ex - uv_thread_create() with @params (may be NULL):
 * UV_THREAD_HAS_STACK_SIZE sets the stack size, rounded up to the page
 * size and raised to PTHREAD_STACK_MIN (0: the default size). UV_EINVAL
 * for a size the system refuses.
 */
UV_EXTERN int uv_thread_create_ex(uv_thread_t *tid, const uv_thread_options_t *params, uv_thread_cb entry, void *arg);
UV_EXTERN uv_thread_t uv_thread_self(void);
/** uv_thread_join - wait for the thread to end. 0 or pthread_join()'s error negated (UV_ESRCH, UV_EINVAL, -EDEADLK). */
UV_EXTERN int uv_thread_join(uv_thread_t *tid);
/** uv_thread_equal - nonzero when both are the same thread. */
UV_EXTERN int uv_thread_equal(const uv_thread_t *t1, const uv_thread_t *t2);

/** uv_mutex_init - a (non-recursive) mutex. 0 or a UV_E* code. */
UV_EXTERN int uv_mutex_init(uv_mutex_t *handle);
/** uv_mutex_init_recursive - a mutex its owner may lock again. 0 or a UV_E* code. */
UV_EXTERN int uv_mutex_init_recursive(uv_mutex_t *handle);
UV_EXTERN void uv_mutex_destroy(uv_mutex_t *handle);
UV_EXTERN void uv_mutex_lock(uv_mutex_t *handle);
/** uv_mutex_trylock - 0 (locked) or UV_EBUSY (held elsewhere). */
UV_EXTERN int uv_mutex_trylock(uv_mutex_t *handle);
UV_EXTERN void uv_mutex_unlock(uv_mutex_t *handle);

UV_EXTERN int uv_rwlock_init(uv_rwlock_t *rwlock);
UV_EXTERN void uv_rwlock_destroy(uv_rwlock_t *rwlock);
UV_EXTERN void uv_rwlock_rdlock(uv_rwlock_t *rwlock);
/** uv_rwlock_tryrdlock - 0 or UV_EBUSY (a writer holds it). */
UV_EXTERN int uv_rwlock_tryrdlock(uv_rwlock_t *rwlock);
UV_EXTERN void uv_rwlock_rdunlock(uv_rwlock_t *rwlock);
UV_EXTERN void uv_rwlock_wrlock(uv_rwlock_t *rwlock);
/** uv_rwlock_trywrlock - 0 or UV_EBUSY (held by anyone). */
UV_EXTERN int uv_rwlock_trywrlock(uv_rwlock_t *rwlock);
UV_EXTERN void uv_rwlock_wrunlock(uv_rwlock_t *rwlock);

/** uv_sem_init - a semaphore with @value. 0 or a UV_E* code (UV_EINVAL: too big). */
UV_EXTERN int uv_sem_init(uv_sem_t *sem, unsigned int value);
UV_EXTERN void uv_sem_destroy(uv_sem_t *sem);
UV_EXTERN void uv_sem_post(uv_sem_t *sem);
UV_EXTERN void uv_sem_wait(uv_sem_t *sem);
/** uv_sem_trywait - 0 (decremented) or UV_EAGAIN (it was 0). */
UV_EXTERN int uv_sem_trywait(uv_sem_t *sem);

/** uv_cond_init - a condition variable (timed waits use the monotonic clock). 0 or a UV_E* code. */
UV_EXTERN int uv_cond_init(uv_cond_t *cond);
UV_EXTERN void uv_cond_destroy(uv_cond_t *cond);
UV_EXTERN void uv_cond_signal(uv_cond_t *cond);
UV_EXTERN void uv_cond_broadcast(uv_cond_t *cond);
UV_EXTERN void uv_cond_wait(uv_cond_t *cond, uv_mutex_t *mutex);
/**
 * uv_cond_timedwait - uv_cond_wait() for at most @timeout nanoseconds.
 * 0 (woken; may be spurious, as any wait) or UV_ETIMEDOUT.
 */
UV_EXTERN int uv_cond_timedwait(uv_cond_t *cond, uv_mutex_t *mutex, uint64_t timeout);

/**
 * uv_barrier_init - a barrier for @count threads (UV_EINVAL for 0). It may
 * be reused: a thread arriving for the next round waits until every thread
 * of the previous one has left.
 */
UV_EXTERN int uv_barrier_init(uv_barrier_t *barrier, unsigned int count);
/** uv_barrier_destroy - waits for the threads still leaving a round; abort() if some wait in one. */
UV_EXTERN void uv_barrier_destroy(uv_barrier_t *barrier);
/** uv_barrier_wait - wait for @count threads; returns 1 in exactly one of them, 0 in the others. */
UV_EXTERN int uv_barrier_wait(uv_barrier_t *barrier);

/** uv_once - run @callback exactly once for @guard (UV_ONCE_INIT); other callers wait for it. */
UV_EXTERN void uv_once(uv_once_t *guard, void (*callback)(void));

/** uv_key_create - a thread-local storage key (each thread's value starts NULL). 0 or a UV_E* code. */
UV_EXTERN int uv_key_create(uv_key_t *key);
UV_EXTERN void uv_key_delete(uv_key_t *key);
UV_EXTERN void *uv_key_get(uv_key_t *key);
UV_EXTERN void uv_key_set(uv_key_t *key, void *value);

#endif /* UV_FUT_MISC_H */
