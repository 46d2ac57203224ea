/* SPDX-License-Identifier: MIT */
/* libuv API shim (compat/uvapi): the fs part of uv.h (file system
 * requests, work, DNS, random, fs_poll, fs_event). Included by uv.h only. */
#ifndef UV_FUT_FS_H
#define UV_FUT_FS_H

/*
 * Requests that run on the loop's pool (fs, work, getaddrinfo,
 * getnameinfo, random). Each holds its pool job (a struct
 * fut_spawn_blocking): nothing allocates per request beyond what libuv
 * allocates too (copied paths, results libuv hands back in @ptr).
 * The pool has UV_THREADPOOL_SIZE threads at most (default 4), per loop.
 * Callbacks run on the loop's thread, in the poll phase, a cancelled
 * request's too (status UV_ECANCELED, or UV_EAI_CANCELED for DNS).
 */

/* Private: a request's pool job. */
struct uv__work {
  struct fut_spawn_blocking job;
  void (*work)(struct uv__work *w);             /* on a pool thread */
  void (*done)(struct uv__work *w, int status); /* loop thread; 0 or UV_ECANCELED */
  int state;                                    /* atomic: see work.c */
  int cleaned;                                  /* atomic: see work.c */
};

/* Every pool request starts with these (private beyond UV_REQ_FIELDS). */
#define UV__WORK_REQ_FIELDS \
  UV_REQ_FIELDS \
  struct uv__work work_;

/* ---- file system ------------------------------------------------------- */

typedef enum {
  UV_FS_UNKNOWN = -1,
  UV_FS_CUSTOM,
  UV_FS_OPEN,
  UV_FS_CLOSE,
  UV_FS_READ,
  UV_FS_WRITE,
  UV_FS_SENDFILE,
  UV_FS_STAT,
  UV_FS_LSTAT,
  UV_FS_FSTAT,
  UV_FS_FTRUNCATE,
  UV_FS_UTIME,
  UV_FS_FUTIME,
  UV_FS_ACCESS,
  UV_FS_CHMOD,
  UV_FS_FCHMOD,
  UV_FS_FSYNC,
  UV_FS_FDATASYNC,
  UV_FS_UNLINK,
  UV_FS_RMDIR,
  UV_FS_MKDIR,
  UV_FS_MKDTEMP,
  UV_FS_RENAME,
  UV_FS_SCANDIR,
  UV_FS_LINK,
  UV_FS_SYMLINK,
  UV_FS_READLINK,
  UV_FS_CHOWN,
  UV_FS_FCHOWN,
  UV_FS_REALPATH,
  UV_FS_COPYFILE,
  UV_FS_LCHOWN,
  UV_FS_OPENDIR,
  UV_FS_READDIR,
  UV_FS_CLOSEDIR,
  UV_FS_STATFS,
  UV_FS_MKSTEMP,
  UV_FS_LUTIME
} uv_fs_type;

typedef enum {
  UV_DIRENT_UNKNOWN,
  UV_DIRENT_FILE,
  UV_DIRENT_DIR,
  UV_DIRENT_LINK,
  UV_DIRENT_FIFO,
  UV_DIRENT_SOCKET,
  UV_DIRENT_CHAR,
  UV_DIRENT_BLOCK
} uv_dirent_type_t;

/* uv_dirent_t - a directory entry: @name (owned by the request) and @type. */
struct uv_dirent_s {
  const char *name;
  uv_dirent_type_t type;
};

/*
 * uv_dir_t - an open directory (uv_fs_opendir()). Before uv_fs_readdir()
 * the program points @dirents at an array of @nentries entries to fill.
 */
struct uv_dir_s {
  uv_dirent_t *dirents;
  size_t nentries;
  void *reserved[4];
  UV_DIR_PRIVATE_FIELDS
};

/* uv_statfs_t - what uv_fs_statfs() returns in req->ptr. */
struct uv_statfs_s {
  uint64_t f_type;
  uint64_t f_bsize;
  uint64_t f_blocks;
  uint64_t f_bfree;
  uint64_t f_bavail;
  uint64_t f_files;
  uint64_t f_ffree;
  uint64_t f_spare[4];
};

/* uv_fs_copyfile() flags. */
#define UV_FS_COPYFILE_EXCL 0x0001
#define UV_FS_COPYFILE_FICLONE 0x0002
#define UV_FS_COPYFILE_FICLONE_FORCE 0x0004
/* uv_fs_symlink() flags (Windows only; accepted and ignored here). */
#define UV_FS_SYMLINK_DIR 0x0001
#define UV_FS_SYMLINK_JUNCTION 0x0002

/*
 * struct uv_fs_s - a file system request. Public (read-only): @fs_type,
 * @loop, @cb, @result (the call's result or a negated errno), @ptr (the
 * result of stat-like calls, readlink, realpath, statfs, opendir,
 * scandir), @path, @statbuf. The rest is private.
 */
struct uv_fs_s {
  UV__WORK_REQ_FIELDS
  uv_fs_type fs_type;
  uv_loop_t *loop;
  uv_fs_cb cb;
  ssize_t result;
  void *ptr;
  const char *path;
  uv_stat_t statbuf;
  /* private */
  const char *new_path_;
  uv_file file_;
  uv_file out_file_;
  int flags_;
  int mode_;
  unsigned int nbufs_;
  uv_buf_t *bufs_;
  int64_t off_;
  size_t len_;
  uv_uid_t uid_;
  uv_gid_t gid_;
  double atime_;
  double mtime_;
  uv_buf_t bufsml_[4];
};

/* ---- work ---------------------------------------------------------------- */

/* struct uv_work_s - a uv_queue_work() request (@loop public, read-only). */
struct uv_work_s {
  UV__WORK_REQ_FIELDS
  uv_loop_t *loop;
  uv_work_cb work_cb;
  uv_after_work_cb after_work_cb;
};

/* ---- DNS ----------------------------------------------------------------- */

/* struct uv_getaddrinfo_s - @loop and @addrinfo (the result, the
 * program's to uv_freeaddrinfo()) are public. */
struct uv_getaddrinfo_s {
  UV__WORK_REQ_FIELDS
  uv_loop_t *loop;
  struct addrinfo *addrinfo;
  /* private */
  uv_getaddrinfo_cb cb_;
  struct addrinfo *hints_;
  char *hostname_;
  char *service_;
  int retcode_;
};

/* struct uv_getnameinfo_s - @host and @service hold the result. */
struct uv_getnameinfo_s {
  UV__WORK_REQ_FIELDS
  uv_loop_t *loop;
  char host[NI_MAXHOST];
  char service[NI_MAXSERV];
  /* private */
  uv_getnameinfo_cb cb_;
  struct sockaddr_storage storage_;
  int flags_;
  int retcode_;
};

/* ---- random -------------------------------------------------------------- */

typedef struct uv_random_s uv_random_t;
typedef void (*uv_random_cb)(uv_random_t *req, int status, void *buf,
                             size_t buflen);

struct uv_random_s {
  UV__WORK_REQ_FIELDS
  uv_loop_t *loop;
  /* private */
  int status_;
  void *buf_;
  size_t buflen_;
  uv_random_cb cb_;
};

/* ---- fs_poll, fs_event ----------------------------------------------------- */

/* struct uv_fs_poll_s - polls a path's stat. Fields private beyond
 * UV_HANDLE_FIELDS. */
struct uv_fs_poll_s {
  UV_HANDLE_FIELDS
  void *poll_ctx_;
};

enum uv_fs_event {
  UV_RENAME = 1,
  UV_CHANGE = 2
};

enum uv_fs_event_flags {
  UV_FS_EVENT_WATCH_ENTRY = 1,
  UV_FS_EVENT_STAT = 2,
  UV_FS_EVENT_RECURSIVE = 4
};

/* struct uv_fs_event_s - watches a path with inotify. @path is public
 * (read-only; NULL when not started). */
struct uv_fs_event_s {
  UV_HANDLE_FIELDS
  char *path;
  /* private */
  uv_fs_event_cb cb_;
  int wd_;
  void *ctx_;               /* the loop's inotify state */
  struct fut_kit_queue node_;   /* in its list of started handles */
};

/* ---- the file system calls ------------------------------------------------ */

/*
 * Every uv_fs_*() call: with @cb NULL it runs now, on the calling thread,
 * sets req->result and returns it (0 or more on success, a UV_E* code on
 * failure). With @cb it runs on the loop's pool, returns 0 (or UV_EINVAL
 * for bad arguments, UV_ENOMEM), and @cb(req) runs later on the loop's
 * thread with req->result set (UV_ECANCELED if uv_cancel() took it
 * first). A synchronous call borrows @path; an asynchronous one copies it.
 * Every request must be released with uv_fs_req_cleanup() afterwards.
 * Loop thread only for asynchronous calls.
 */

/** uv_fs_req_cleanup - release what the request holds (copied paths, ptr results). */
UV_EXTERN void uv_fs_req_cleanup(uv_fs_t *req);
/** uv_fs_close - close(2). */
UV_EXTERN int uv_fs_close(uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb);
/** uv_fs_open - open(2) with O_CLOEXEC added; result: the descriptor. */
UV_EXTERN int uv_fs_open(uv_loop_t *loop, uv_fs_t *req, const char *path, int flags, int mode, uv_fs_cb cb);
/**
 * uv_fs_read - preadv(2) at @offset, or readv(2) at the current position
 * when @offset is negative; result: bytes read (0 at end of file).
 * UV_EINVAL when @bufs is NULL or @nbufs 0. The array is copied.
 */
UV_EXTERN int uv_fs_read(uv_loop_t *loop, uv_fs_t *req, uv_file file, const uv_buf_t bufs[], unsigned int nbufs, int64_t offset, uv_fs_cb cb);
/** uv_fs_write - pwritev(2) / writev(2), as uv_fs_read(); result: bytes written. */
UV_EXTERN int uv_fs_write(uv_loop_t *loop, uv_fs_t *req, uv_file file, const uv_buf_t bufs[], unsigned int nbufs, int64_t offset, uv_fs_cb cb);
/** uv_fs_unlink - unlink(2). */
UV_EXTERN int uv_fs_unlink(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb);
/** uv_fs_mkdir - mkdir(2). */
UV_EXTERN int uv_fs_mkdir(uv_loop_t *loop, uv_fs_t *req, const char *path, int mode, uv_fs_cb cb);
/** uv_fs_mkdtemp - mkdtemp(3): @tpl ends in "XXXXXX"; req->path is the directory made. */
UV_EXTERN int uv_fs_mkdtemp(uv_loop_t *loop, uv_fs_t *req, const char *tpl, uv_fs_cb cb);
/** uv_fs_mkstemp - mkstemp(3): result: the descriptor; req->path the file's name. UV_EINVAL unless @tpl ends in "XXXXXX". */
UV_EXTERN int uv_fs_mkstemp(uv_loop_t *loop, uv_fs_t *req, const char *tpl, uv_fs_cb cb);
/** uv_fs_rmdir - rmdir(2). */
UV_EXTERN int uv_fs_rmdir(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb);
/**
 * uv_fs_scandir - the entries of a directory ("." and ".." left out),
 * sorted by name (strcmp); result: their number. Read them with
 * uv_fs_scandir_next(). @flags: unused.
 */
UV_EXTERN int uv_fs_scandir(uv_loop_t *loop, uv_fs_t *req, const char *path, int flags, uv_fs_cb cb);
/**
 * uv_fs_scandir_next - the next entry of a finished scandir request in
 * *@ent (its name valid until the next call or uv_fs_req_cleanup()).
 * Returns 0, UV_EOF after the last, or the request's error.
 */
UV_EXTERN int uv_fs_scandir_next(uv_fs_t *req, uv_dirent_t *ent);
/** uv_fs_opendir - open a directory for uv_fs_readdir(); req->ptr: the uv_dir_t. */
UV_EXTERN int uv_fs_opendir(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb);
/**
 * uv_fs_readdir - up to @dir->nentries entries ("." and ".." left out)
 * into @dir->dirents; result: how many (0: the end). Names belong to the
 * request until uv_fs_req_cleanup(). UV_EINVAL for a NULL @dir or dirents.
 */
UV_EXTERN int uv_fs_readdir(uv_loop_t *loop, uv_fs_t *req, uv_dir_t *dir, uv_fs_cb cb);
/** uv_fs_closedir - close and free @dir. */
UV_EXTERN int uv_fs_closedir(uv_loop_t *loop, uv_fs_t *req, uv_dir_t *dir, uv_fs_cb cb);
/** uv_fs_stat - stat(2) into req->statbuf (req->ptr points to it). */
UV_EXTERN int uv_fs_stat(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb);
/** uv_fs_fstat - fstat(2), as uv_fs_stat(). */
UV_EXTERN int uv_fs_fstat(uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb);
/** uv_fs_lstat - lstat(2), as uv_fs_stat(). */
UV_EXTERN int uv_fs_lstat(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb);
/** uv_fs_statfs - statfs(2); req->ptr: a uv_statfs_t (freed by uv_fs_req_cleanup()). */
UV_EXTERN int uv_fs_statfs(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb);
/** uv_fs_rename - rename(2). */
UV_EXTERN int uv_fs_rename(uv_loop_t *loop, uv_fs_t *req, const char *path, const char *new_path, uv_fs_cb cb);
/** uv_fs_fsync - fsync(2). */
UV_EXTERN int uv_fs_fsync(uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb);
/** uv_fs_fdatasync - fdatasync(2). */
UV_EXTERN int uv_fs_fdatasync(uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb);
/** uv_fs_ftruncate - ftruncate(2). */
UV_EXTERN int uv_fs_ftruncate(uv_loop_t *loop, uv_fs_t *req, uv_file file, int64_t offset, uv_fs_cb cb);
/**
 * uv_fs_copyfile - copy @path to @new_path (mode kept; an existing target
 * is replaced unless UV_FS_COPYFILE_EXCL: then UV_EEXIST). FICLONE tries a
 * copy-on-write clone first; FICLONE_FORCE fails if no clone can be made.
 * UV_EINVAL for other flag bits. On failure a partial target is removed.
 */
UV_EXTERN int uv_fs_copyfile(uv_loop_t *loop, uv_fs_t *req, const char *path, const char *new_path, int flags, uv_fs_cb cb);
/** uv_fs_sendfile - copy @length bytes from @in_fd at @in_offset to @out_fd (sendfile(2), or read/write where it cannot); result: bytes copied. */
UV_EXTERN int uv_fs_sendfile(uv_loop_t *loop, uv_fs_t *req, uv_file out_fd, uv_file in_fd, int64_t in_offset, size_t length, uv_fs_cb cb);
/** uv_fs_access - access(2). */
UV_EXTERN int uv_fs_access(uv_loop_t *loop, uv_fs_t *req, const char *path, int mode, uv_fs_cb cb);
/** uv_fs_chmod - chmod(2). */
UV_EXTERN int uv_fs_chmod(uv_loop_t *loop, uv_fs_t *req, const char *path, int mode, uv_fs_cb cb);
/** uv_fs_fchmod - fchmod(2). */
UV_EXTERN int uv_fs_fchmod(uv_loop_t *loop, uv_fs_t *req, uv_file file, int mode, uv_fs_cb cb);
/** uv_fs_utime - set access and modification times (seconds since the epoch, fractions kept). */
UV_EXTERN int uv_fs_utime(uv_loop_t *loop, uv_fs_t *req, const char *path, double atime, double mtime, uv_fs_cb cb);
/** uv_fs_futime - as uv_fs_utime() on a descriptor. */
UV_EXTERN int uv_fs_futime(uv_loop_t *loop, uv_fs_t *req, uv_file file, double atime, double mtime, uv_fs_cb cb);
/** uv_fs_lutime - as uv_fs_utime() on a symbolic link itself. */
UV_EXTERN int uv_fs_lutime(uv_loop_t *loop, uv_fs_t *req, const char *path, double atime, double mtime, uv_fs_cb cb);
/** uv_fs_link - link(2). */
UV_EXTERN int uv_fs_link(uv_loop_t *loop, uv_fs_t *req, const char *path, const char *new_path, uv_fs_cb cb);
/** uv_fs_symlink - symlink(2) making @new_path point to @path (@flags: Windows only). */
UV_EXTERN int uv_fs_symlink(uv_loop_t *loop, uv_fs_t *req, const char *path, const char *new_path, int flags, uv_fs_cb cb);
/** uv_fs_readlink - readlink(2); req->ptr: the target, NUL-terminated (freed by uv_fs_req_cleanup()). */
UV_EXTERN int uv_fs_readlink(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb);
/** uv_fs_realpath - realpath(3); req->ptr: the path (freed by uv_fs_req_cleanup()). */
UV_EXTERN int uv_fs_realpath(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_fs_cb cb);
/** uv_fs_chown - chown(2). */
UV_EXTERN int uv_fs_chown(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_uid_t uid, uv_gid_t gid, uv_fs_cb cb);
/** uv_fs_fchown - fchown(2). */
UV_EXTERN int uv_fs_fchown(uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_uid_t uid, uv_gid_t gid, uv_fs_cb cb);
/** uv_fs_lchown - lchown(2). */
UV_EXTERN int uv_fs_lchown(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_uid_t uid, uv_gid_t gid, uv_fs_cb cb);

/* Getters for the request's public fields. */
UV_EXTERN uv_fs_type uv_fs_get_type(const uv_fs_t *req);
UV_EXTERN ssize_t uv_fs_get_result(const uv_fs_t *req);
/** uv_fs_get_system_error - the positive errno of a failed request, 0 if it succeeded. */
UV_EXTERN int uv_fs_get_system_error(const uv_fs_t *req);
UV_EXTERN void *uv_fs_get_ptr(const uv_fs_t *req);
UV_EXTERN const char *uv_fs_get_path(const uv_fs_t *req);
UV_EXTERN uv_stat_t *uv_fs_get_statbuf(uv_fs_t *req);

/* ---- work ------------------------------------------------------------------ */

/**
 * uv_queue_work - run @work_cb(@req) on a pool thread, then
 * @after_work_cb(@req, status) (may be NULL) on the loop's thread, with
 * status 0, or UV_ECANCELED when uv_cancel() took it before it started.
 * Returns 0 or UV_EINVAL (NULL @loop, @req or @work_cb). Loop thread.
 */
UV_EXTERN int uv_queue_work(uv_loop_t *loop, uv_work_t *req, uv_work_cb work_cb, uv_after_work_cb after_work_cb);

/* ---- DNS --------------------------------------------------------------------- */

/**
 * uv_getaddrinfo - getaddrinfo(3) of @node / @service (one may be NULL,
 * not both: UV_EINVAL) with @hints (may be NULL; copied). With @cb NULL
 * it runs now and returns the status, the result in req->addrinfo; else
 * it runs on the pool, returns 0, and @cb(req, status, req->addrinfo)
 * runs on the loop's thread. Status: 0 or a UV_EAI_* code
 * (UV_EAI_CANCELED after uv_cancel()). Free the result with
 * uv_freeaddrinfo(). Loop thread.
 */
UV_EXTERN int uv_getaddrinfo(uv_loop_t *loop, uv_getaddrinfo_t *req, uv_getaddrinfo_cb getaddrinfo_cb, const char *node, const char *service, const struct addrinfo *hints);
/** uv_freeaddrinfo - freeaddrinfo(3); NULL is allowed. */
UV_EXTERN void uv_freeaddrinfo(struct addrinfo *ai);
/**
 * uv_getnameinfo - getnameinfo(3) of @addr (AF_INET or AF_INET6, else
 * UV_EINVAL; copied). Synchronous with @cb NULL (returns the status; the
 * names in req->host, req->service), else @cb(req, status, host, service)
 * on the loop's thread (NULL names on failure; UV_EAI_CANCELED after
 * uv_cancel()). Loop thread.
 */
UV_EXTERN int uv_getnameinfo(uv_loop_t *loop, uv_getnameinfo_t *req, uv_getnameinfo_cb getnameinfo_cb, const struct sockaddr *addr, int flags);

/* ---- random -------------------------------------------------------------------- */

/**
 * uv_random - fill @buf with @buflen bytes from the kernel's CSPRNG
 * (getrandom(2), blocking until it is seeded). @flags must be 0
 * (UV_EINVAL); @buflen at most 0x7FFFFFFF (UV_E2BIG). With @cb NULL it runs
 * now (@loop and @req unused) and returns 0 or an error; else it runs on
 * the pool, returns 0, and @cb(req, status, buf, buflen) runs on the
 * loop's thread (UV_ECANCELED after uv_cancel()).
 */
UV_EXTERN int uv_random(uv_loop_t *loop, uv_random_t *req, void *buf, size_t buflen, unsigned flags, uv_random_cb cb);

/* ---- fs_poll ------------------------------------------------------------------------ */

/** uv_fs_poll_init - initialise a stat poller. Returns 0 (UV_EINVAL for NULL). */
UV_EXTERN int uv_fs_poll_init(uv_loop_t *loop, uv_fs_poll_t *handle);
/**
 * uv_fs_poll_start - stat @path every @interval ms (on the pool) and call
 * @cb(handle, 0, prev, curr) when the stat changed. The first stat only
 * records. A failing stat calls @cb(handle, error, prev, zeroed) once per
 * distinct error (UV_ENOENT for a missing file). Starting a started
 * handle does nothing (0). Returns 0, UV_EINVAL, UV_ENOMEM.
 */
UV_EXTERN int uv_fs_poll_start(uv_fs_poll_t *handle, uv_fs_poll_cb poll_cb, const char *path, unsigned int interval);
/** uv_fs_poll_stop - stop polling (idempotent). Returns 0. */
UV_EXTERN int uv_fs_poll_stop(uv_fs_poll_t *handle);
/**
 * uv_fs_poll_getpath - copy the path polled into @buffer (NUL-terminated)
 * and its length into *@size. UV_EINVAL when not started, UV_ENOBUFS
 * (*@size set to the size needed) when too small.
 */
UV_EXTERN int uv_fs_poll_getpath(uv_fs_poll_t *handle, char *buffer, size_t *size);

/* ---- fs_event ------------------------------------------------------------------------- */

/** uv_fs_event_init - initialise a file watcher. Returns 0 (UV_EINVAL for NULL). */
UV_EXTERN int uv_fs_event_init(uv_loop_t *loop, uv_fs_event_t *handle);
/**
 * uv_fs_event_start - watch @path (a file or a directory) with inotify:
 * @cb(handle, filename, events, 0) with events UV_CHANGE (contents or
 * attributes) and/or UV_RENAME (created, removed, renamed); @filename is
 * the entry's name for a directory, the file's base name otherwise.
 * @flags: UV_FS_EVENT_* (only meaningful on other systems; ignored).
 * Returns 0, UV_EINVAL (already started, NULL), or the inotify error
 * (UV_ENOENT...).
 */
UV_EXTERN int uv_fs_event_start(uv_fs_event_t *handle, uv_fs_event_cb cb, const char *path, unsigned int flags);
/** uv_fs_event_stop - stop watching (idempotent). Returns 0. */
UV_EXTERN int uv_fs_event_stop(uv_fs_event_t *handle);
/** uv_fs_event_getpath - as uv_fs_poll_getpath(), for the path watched. */
UV_EXTERN int uv_fs_event_getpath(uv_fs_event_t *handle, char *buffer, size_t *size);

#endif /* UV_FUT_FS_H */
