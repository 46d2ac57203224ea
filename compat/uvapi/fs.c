/* SPDX-License-Identifier: MIT */
/*
 * compat/uvapi: file system requests. Each call fills the request and
 * either runs fs_work() now (no callback: synchronous, as libuv) or hands
 * it to the loop's pool (work.c), the callback then running on the loop's
 * thread. The work is plain syscalls; results go into the request
 * (result, ptr, statbuf, path).
 */
#include "internal.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/fs.h>

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

/* ---- helpers -------------------------------------------------------------- */

static int
fs_init(uv_loop_t *loop, uv_fs_t *req, uv_fs_type t, uv_fs_cb cb)
{
  if (req == NULL)
    return UV_EINVAL;
  if (cb != NULL && loop == NULL)
    return UV_EINVAL;
  req->type = UV_FS;
  req->fs_type = t;
  req->loop = loop;
  req->cb = cb;
  req->result = 0;
  req->ptr = NULL;
  req->path = NULL;
  req->new_path_ = NULL;
  req->bufs_ = NULL;
  req->nbufs_ = 0;
  req->file_ = -1;
  req->work_.state = 0;
  return 0;
}

/* Borrow the paths (synchronous) or copy both into one allocation. */
static int
fs_paths(uv_fs_t *req, const char *path, const char *new_path)
{
  size_t l1, l2;
  char *m;

  if (path == NULL)
    return UV_EINVAL;
  if (req->cb == NULL) {
    req->path = path;
    req->new_path_ = new_path;
    return 0;
  }
  l1 = strlen(path) + 1;
  l2 = new_path != NULL ? strlen(new_path) + 1 : 0;
  m = uv__malloc(l1 + l2);
  if (m == NULL)
    return UV_ENOMEM;
  memcpy(m, path, l1);
  req->path = m;
  if (new_path != NULL) {
    memcpy(m + l1, new_path, l2);
    req->new_path_ = m + l1;
  }
  return 0;
}

static int
fs_bufs(uv_fs_t *req, const uv_buf_t bufs[], unsigned int nbufs)
{
  if (bufs == NULL || nbufs == 0)
    return UV_EINVAL;
  req->bufs_ = req->bufsml_;
  if (nbufs > sizeof req->bufsml_ / sizeof req->bufsml_[0]) {
    req->bufs_ = uv__malloc(nbufs * sizeof *bufs);
    if (req->bufs_ == NULL)
      return UV_ENOMEM;
  }
  memcpy(req->bufs_, bufs, nbufs * sizeof *bufs);
  req->nbufs_ = nbufs;
  return 0;
}

static void
fs_free_bufs(uv_fs_t *req)
{
  if (req->bufs_ != req->bufsml_)
    uv__free(req->bufs_);
  req->bufs_ = NULL;
  req->nbufs_ = 0;
}

static void
to_uv_stat(uv_stat_t *d, const struct stat *s)
{
  memset(d, 0, sizeof *d);
  d->st_dev = (uint64_t)s->st_dev;
  d->st_mode = (uint64_t)s->st_mode;
  d->st_nlink = (uint64_t)s->st_nlink;
  d->st_uid = (uint64_t)s->st_uid;
  d->st_gid = (uint64_t)s->st_gid;
  d->st_rdev = (uint64_t)s->st_rdev;
  d->st_ino = (uint64_t)s->st_ino;
  d->st_size = (uint64_t)s->st_size;
  d->st_blksize = (uint64_t)s->st_blksize;
  d->st_blocks = (uint64_t)s->st_blocks;
  d->st_atim.tv_sec = s->st_atim.tv_sec;
  d->st_atim.tv_nsec = s->st_atim.tv_nsec;
  d->st_mtim.tv_sec = s->st_mtim.tv_sec;
  d->st_mtim.tv_nsec = s->st_mtim.tv_nsec;
  d->st_ctim.tv_sec = s->st_ctim.tv_sec;
  d->st_ctim.tv_nsec = s->st_ctim.tv_nsec;
  /* No birth time without statx: libuv reports ctime then. */
  d->st_birthtim = d->st_ctim;
}

static struct timespec
to_timespec(double t)
{
  struct timespec ts;

  ts.tv_sec = (time_t)t;
  ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
  if (ts.tv_nsec < 0) {
    ts.tv_sec--;
    ts.tv_nsec += 1000000000L;
  }
  if (ts.tv_nsec >= 1000000000L)
    ts.tv_nsec = 999999999L;
  return ts;
}

static uv_dirent_type_t
dirent_type(unsigned char t)
{
  switch (t) {
  case DT_REG: return UV_DIRENT_FILE;
  case DT_DIR: return UV_DIRENT_DIR;
  case DT_LNK: return UV_DIRENT_LINK;
  case DT_FIFO: return UV_DIRENT_FIFO;
  case DT_SOCK: return UV_DIRENT_SOCKET;
  case DT_CHR: return UV_DIRENT_CHAR;
  case DT_BLK: return UV_DIRENT_BLOCK;
  default: return UV_DIRENT_UNKNOWN;
  }
}

/* ---- the operations (pool thread, or the caller's for synchronous calls) -- */

static ssize_t
fs_read(uv_fs_t *req)
{
  unsigned int n = req->nbufs_ > IOV_MAX ? IOV_MAX : req->nbufs_;
  struct iovec *iov = (struct iovec *)(void *)req->bufs_;

  if (req->off_ < 0)
    return n == 1 ? read(req->file_, iov[0].iov_base, iov[0].iov_len)
                  : readv(req->file_, iov, (int)n);
  return n == 1 ? pread(req->file_, iov[0].iov_base, iov[0].iov_len, req->off_)
                : preadv(req->file_, iov, (int)n, req->off_);
}

/* Write every buffer (libuv does: a short write goes on from where it stopped). */
static ssize_t
fs_write_all(uv_fs_t *req)
{
  uv_buf_t *bufs = req->bufs_;
  unsigned int nbufs = req->nbufs_;
  ssize_t total = 0, r;

  while (nbufs > 0) {
    unsigned int n = nbufs > IOV_MAX ? IOV_MAX : nbufs;
    struct iovec *iov = (struct iovec *)(void *)bufs;

    do {
      if (req->off_ < 0)
        r = writev(req->file_, iov, (int)n);
      else
        r = pwritev(req->file_, iov, (int)n, req->off_);
    } while (r == -1 && errno == EINTR);
    if (r <= 0) {
      if (total == 0)
        total = r;
      break;
    }
    if (req->off_ >= 0)
      req->off_ += r;
    total += r;
    /* Skip what was written. */
    while (nbufs > 0 && (size_t)r >= bufs->len) {
      r -= (ssize_t)bufs->len;
      bufs++;
      nbufs--;
    }
    if (nbufs > 0) {
      bufs->base += r;
      bufs->len -= (size_t)r;
    }
  }
  return total;
}

static int
scandir_filter(const struct dirent *d)
{
  return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

static int
scandir_sort(const struct dirent **a, const struct dirent **b)
{
  return strcmp((*a)->d_name, (*b)->d_name);
}

static ssize_t
fs_scandir(uv_fs_t *req)
{
  struct dirent **dents = NULL;
  int n = scandir(req->path, &dents, scandir_filter, scandir_sort);

  req->nbufs_ = 0; /* uv_fs_scandir_next()'s position */
  if (n == 0) {
    free(dents);
    dents = NULL;
  }
  if (n >= 0)
    req->ptr = dents;
  return n;
}

static ssize_t
fs_opendir(uv_fs_t *req)
{
  uv_dir_t *dir = uv__malloc(sizeof *dir);

  if (dir == NULL) {
    errno = ENOMEM;
    return -1;
  }
  dir->dir = opendir(req->path);
  if (dir->dir == NULL) {
    uv__free(dir);
    return -1;
  }
  dir->dirents = NULL;
  dir->nentries = 0;
  req->ptr = dir;
  return 0;
}

static ssize_t
fs_readdir(uv_fs_t *req)
{
  uv_dir_t *dir = req->ptr;
  struct dirent *d;
  size_t i = 0;

  while (i < dir->nentries) {
    errno = 0;
    d = readdir(dir->dir);
    if (d == NULL) {
      if (errno != 0)
        goto fail;
      break;
    }
    if (!scandir_filter(d))
      continue;
    dir->dirents[i].name = uv__strdup(d->d_name);
    if (dir->dirents[i].name == NULL) {
      errno = ENOMEM;
      goto fail;
    }
    dir->dirents[i].type = dirent_type(d->d_type);
    i++;
  }
  return (ssize_t)i;

fail:
  while (i > 0) {
    i--;
    uv__free((void *)dir->dirents[i].name);
    dir->dirents[i].name = NULL;
  }
  return -1;
}

static ssize_t
fs_closedir(uv_fs_t *req)
{
  uv_dir_t *dir = req->ptr;

  if (dir->dir != NULL) {
    closedir(dir->dir);
    dir->dir = NULL;
  }
  uv__free(dir);
  req->ptr = NULL;
  return 0;
}

static ssize_t
fs_statfs(uv_fs_t *req)
{
  struct statfs sf;
  uv_statfs_t *r;

  if (statfs(req->path, &sf) != 0)
    return -1;
  r = uv__malloc(sizeof *r);
  if (r == NULL) {
    errno = ENOMEM;
    return -1;
  }
  memset(r, 0, sizeof *r);
  r->f_type = (uint64_t)sf.f_type;
  r->f_bsize = (uint64_t)sf.f_bsize;
  r->f_blocks = (uint64_t)sf.f_blocks;
  r->f_bfree = (uint64_t)sf.f_bfree;
  r->f_bavail = (uint64_t)sf.f_bavail;
  r->f_files = (uint64_t)sf.f_files;
  r->f_ffree = (uint64_t)sf.f_ffree;
  req->ptr = r;
  return 0;
}

static ssize_t
fs_readlink(uv_fs_t *req)
{
  struct stat st;
  size_t maxlen = PATH_MAX;
  ssize_t len;
  char *buf;

  if (lstat(req->path, &st) == 0 && st.st_size > 0)
    maxlen = (size_t)st.st_size;
  buf = uv__malloc(maxlen + 1);
  if (buf == NULL) {
    errno = ENOMEM;
    return -1;
  }
  len = readlink(req->path, buf, maxlen);
  if (len == -1) {
    uv__free(buf);
    return -1;
  }
  buf[len] = '\0';
  req->ptr = buf;
  return 0;
}

static ssize_t
fs_realpath(uv_fs_t *req)
{
  char *p = realpath(req->path, NULL), *m;

  if (p == NULL)
    return -1;
  m = uv__strdup(p);
  free(p);
  if (m == NULL) {
    errno = ENOMEM;
    return -1;
  }
  req->ptr = m;
  return 0;
}

static ssize_t
fs_mkstemp(uv_fs_t *req)
{
  static const char pattern[] = "XXXXXX";
  char *path = (char *)req->path;
  size_t len = strlen(path);
  int fd;

  if (len < sizeof pattern - 1 ||
      strcmp(path + len - (sizeof pattern - 1), pattern) != 0) {
    errno = EINVAL;
    path[0] = '\0';
    return -1;
  }
  fd = mkostemp(path, O_CLOEXEC);
  if (fd < 0)
    path[0] = '\0';
  return fd;
}

/* read/write copy for what sendfile(2) cannot do. */
static ssize_t
sendfile_emul(int out, int in, int64_t off, size_t len)
{
  char buf[8192];
  size_t done = 0;

  while (done < len) {
    size_t want = len - done < sizeof buf ? len - done : sizeof buf;
    ssize_t n, w, o = 0;

    do
      n = pread(in, buf, want, (off_t)(off + (int64_t)done));
    while (n == -1 && errno == EINTR);
    if (n <= 0) {
      if (n < 0 && done == 0)
        return -1;
      break;
    }
    while (o < n) {
      do
        w = write(out, buf + o, (size_t)(n - o));
      while (w == -1 && errno == EINTR);
      if (w < 0)
        return done > 0 || o > 0 ? (ssize_t)done + o : -1;
      o += w;
    }
    done += (size_t)n;
  }
  return (ssize_t)done;
}

static ssize_t
fs_sendfile(uv_fs_t *req)
{
  off_t off = (off_t)req->off_;
  ssize_t r = sendfile(req->out_file_, req->file_, &off, req->len_);

  if (r >= 0)
    return r;
  if (errno == EINVAL || errno == EIO || errno == ENOTSOCK ||
      errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP)
    return sendfile_emul(req->out_file_, req->file_, req->off_, req->len_);
  return -1;
}

static ssize_t
fs_copyfile(uv_fs_t *req)
{
  struct stat src_st, dst_st;
  int src, dst, dflags = O_WRONLY | O_CREAT | O_CLOEXEC, err = 0;
  off_t off = 0;

  memset(&dst_st, 0, sizeof dst_st);
  src = open(req->path, O_RDONLY | O_CLOEXEC);
  if (src < 0)
    return -1;
  if (fstat(src, &src_st) != 0) {
    err = errno;
    close(src);
    errno = err;
    return -1;
  }
  if (req->flags_ & UV_FS_COPYFILE_EXCL)
    dflags |= O_EXCL;
  dst = open(req->new_path_, dflags, src_st.st_mode);
  if (dst < 0) {
    err = errno;
    close(src);
    errno = err;
    return -1;
  }
  if (fstat(dst, &dst_st) != 0) {
    err = errno;
    goto out;
  }
  /* Copying a file onto itself: nothing to do. */
  if (src_st.st_dev == dst_st.st_dev && src_st.st_ino == dst_st.st_ino)
    goto out;
  if (fchmod(dst, src_st.st_mode) != 0 && errno != EPERM) {
    err = errno;
    goto out;
  }
  if (ftruncate(dst, 0) != 0) {
    err = errno;
    goto out;
  }
  if (req->flags_ & (UV_FS_COPYFILE_FICLONE | UV_FS_COPYFILE_FICLONE_FORCE)) {
#ifdef FICLONE
    if (ioctl(dst, FICLONE, src) == 0)
      goto out;
    if (req->flags_ & UV_FS_COPYFILE_FICLONE_FORCE) {
      err = errno;
      goto out;
    }
#else
    if (req->flags_ & UV_FS_COPYFILE_FICLONE_FORCE) {
      err = ENOSYS;
      goto out;
    }
#endif
  }
  while (off < src_st.st_size) {
    size_t want = (size_t)(src_st.st_size - off);
    ssize_t n;

    n = sendfile(dst, src, &off, want);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EINVAL || errno == ENOSYS || errno == EXDEV)) {
      n = sendfile_emul(dst, src, (int64_t)off, want);
      if (n > 0)
        off += n;
    }
    if (n < 0) {
      err = errno;
      break;
    }
    if (n == 0)
      break; /* shrunk meanwhile */
  }

out:
  close(src);
  if (close(dst) != 0 && err == 0 && errno != EINTR)
    err = errno;
  if (err != 0) {
    /* Remove the partial target (not one that was there before with EXCL). */
    if (!(src_st.st_dev == dst_st.st_dev && src_st.st_ino == dst_st.st_ino))
      unlink(req->new_path_);
    errno = err;
    return -1;
  }
  return 0;
}

/* stat, lstat, fstat: statx(2) where the kernel has it (birth time), as
 * libuv on Linux; else the classic calls. */
static ssize_t
fs_stat(uv_fs_t *req)
{
  struct stat st;
  ssize_t r;

#if defined(STATX_BASIC_STATS) && defined(AT_EMPTY_PATH)
  static int no_statx;
  struct statx sx;

  if (!__atomic_load_n(&no_statx, __ATOMIC_RELAXED)) {
    int flags = AT_STATX_SYNC_AS_STAT, dirfd = AT_FDCWD;
    const char *path = req->path;

    if (req->fs_type == UV_FS_LSTAT)
      flags |= AT_SYMLINK_NOFOLLOW;
    if (req->fs_type == UV_FS_FSTAT) {
      flags |= AT_EMPTY_PATH;
      dirfd = req->file_;
      path = "";
    }
    r = statx(dirfd, path, flags, STATX_BASIC_STATS | STATX_BTIME, &sx);
    if (r == 0) {
      uv_stat_t *d = &req->statbuf;

      memset(d, 0, sizeof *d);
      d->st_dev = (uint64_t)makedev(sx.stx_dev_major, sx.stx_dev_minor);
      d->st_mode = sx.stx_mode;
      d->st_nlink = sx.stx_nlink;
      d->st_uid = sx.stx_uid;
      d->st_gid = sx.stx_gid;
      d->st_rdev = (uint64_t)makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
      d->st_ino = sx.stx_ino;
      d->st_size = sx.stx_size;
      d->st_blksize = sx.stx_blksize;
      d->st_blocks = sx.stx_blocks;
      d->st_atim.tv_sec = sx.stx_atime.tv_sec;
      d->st_atim.tv_nsec = sx.stx_atime.tv_nsec;
      d->st_mtim.tv_sec = sx.stx_mtime.tv_sec;
      d->st_mtim.tv_nsec = sx.stx_mtime.tv_nsec;
      d->st_ctim.tv_sec = sx.stx_ctime.tv_sec;
      d->st_ctim.tv_nsec = sx.stx_ctime.tv_nsec;
      d->st_birthtim.tv_sec = sx.stx_btime.tv_sec;
      d->st_birthtim.tv_nsec = sx.stx_btime.tv_nsec;
      req->ptr = d;
      return 0;
    }
    /* Not there (old kernel, or a sandbox that refuses it): the classic
     * calls from now on. Other errors are the answer. */
    if (errno != ENOSYS && errno != EPERM && errno != EOPNOTSUPP)
      return -1;
    __atomic_store_n(&no_statx, 1, __ATOMIC_RELAXED);
  }
#endif
  if (req->fs_type == UV_FS_STAT)
    r = stat(req->path, &st);
  else if (req->fs_type == UV_FS_LSTAT)
    r = lstat(req->path, &st);
  else
    r = fstat(req->file_, &st);
  if (r == 0) {
    to_uv_stat(&req->statbuf, &st);
    req->ptr = &req->statbuf;
  }
  return r;
}

static void
fs_work(struct uv__work *w)
{
  uv_fs_t *req = uv__work_container(w, uv_fs_t);
  struct timespec ts[2];
  ssize_t r;
  int retry = req->fs_type != UV_FS_CLOSE && req->fs_type != UV_FS_READ;

  do {
    errno = 0;
    switch (req->fs_type) {
    case UV_FS_OPEN:
      r = open(req->path, req->flags_ | O_CLOEXEC, req->mode_);
      break;
    case UV_FS_CLOSE:
      r = close(req->file_);
      if (r == -1 && (errno == EINTR || errno == EINPROGRESS))
        r = 0;
      break;
    case UV_FS_READ:
      r = fs_read(req);
      break;
    case UV_FS_WRITE:
      r = fs_write_all(req);
      break;
    case UV_FS_SENDFILE:
      r = fs_sendfile(req);
      break;
    case UV_FS_STAT:
    case UV_FS_LSTAT:
    case UV_FS_FSTAT:
      r = fs_stat(req);
      break;
    case UV_FS_FTRUNCATE:
      r = ftruncate(req->file_, (off_t)req->off_);
      break;
    case UV_FS_UTIME:
    case UV_FS_FUTIME:
    case UV_FS_LUTIME:
      ts[0] = to_timespec(req->atime_);
      ts[1] = to_timespec(req->mtime_);
      if (req->fs_type == UV_FS_FUTIME)
        r = futimens(req->file_, ts);
      else
        r = utimensat(AT_FDCWD, req->path, ts,
                      req->fs_type == UV_FS_LUTIME ? AT_SYMLINK_NOFOLLOW : 0);
      break;
    case UV_FS_ACCESS:
      r = access(req->path, req->flags_);
      break;
    case UV_FS_CHMOD:
      r = chmod(req->path, (mode_t)req->mode_);
      break;
    case UV_FS_FCHMOD:
      r = fchmod(req->file_, (mode_t)req->mode_);
      break;
    case UV_FS_FSYNC:
      r = fsync(req->file_);
      break;
    case UV_FS_FDATASYNC:
      r = fdatasync(req->file_);
      break;
    case UV_FS_UNLINK:
      r = unlink(req->path);
      break;
    case UV_FS_RMDIR:
      r = rmdir(req->path);
      break;
    case UV_FS_MKDIR:
      r = mkdir(req->path, (mode_t)req->mode_);
      break;
    case UV_FS_MKDTEMP:
      r = mkdtemp((char *)req->path) != NULL ? 0 : -1;
      break;
    case UV_FS_MKSTEMP:
      r = fs_mkstemp(req);
      break;
    case UV_FS_RENAME:
      r = rename(req->path, req->new_path_);
      break;
    case UV_FS_SCANDIR:
      r = fs_scandir(req);
      break;
    case UV_FS_LINK:
      r = link(req->path, req->new_path_);
      break;
    case UV_FS_SYMLINK:
      r = symlink(req->path, req->new_path_);
      break;
    case UV_FS_READLINK:
      r = fs_readlink(req);
      break;
    case UV_FS_CHOWN:
      r = chown(req->path, req->uid_, req->gid_);
      break;
    case UV_FS_FCHOWN:
      r = fchown(req->file_, req->uid_, req->gid_);
      break;
    case UV_FS_LCHOWN:
      r = lchown(req->path, req->uid_, req->gid_);
      break;
    case UV_FS_REALPATH:
      r = fs_realpath(req);
      break;
    case UV_FS_COPYFILE:
      r = fs_copyfile(req);
      break;
    case UV_FS_OPENDIR:
      r = fs_opendir(req);
      break;
    case UV_FS_READDIR:
      r = fs_readdir(req);
      break;
    case UV_FS_CLOSEDIR:
      r = fs_closedir(req);
      break;
    case UV_FS_STATFS:
      r = fs_statfs(req);
      break;
    default:
      errno = EINVAL;
      r = -1;
      break;
    }
  } while (r == -1 && errno == EINTR && retry);
  req->result = r == -1 ? UV__ERR(errno) : r;
  if (req->fs_type == UV_FS_READ || req->fs_type == UV_FS_WRITE)
    fs_free_bufs(req);
}

static void
fs_done(struct uv__work *w, int status)
{
  uv_fs_t *req = uv__work_container(w, uv_fs_t);

  if (status != 0) {
    req->result = status;
    if (req->fs_type == UV_FS_READ || req->fs_type == UV_FS_WRITE)
      fs_free_bufs(req);
  }
  req->cb(req);
}

/* Run now, or queue on the pool. */
static int
fs_post(uv_loop_t *loop, uv_fs_t *req)
{
  if (req->cb != NULL) {
    uv__work_submit(loop, (uv_req_t *)req, UV_FS, fs_work, fs_done);
    return 0;
  }
  fs_work(&req->work_);
  return (int)req->result;
}

#define INIT(t)                                 \
  do {                                          \
    int err_ = fs_init(loop, req, UV_FS_##t, cb); \
    if (err_ != 0)                              \
      return err_;                              \
  } while (0)

#define PATHS(p, np)                           \
  do {                                         \
    int err_ = fs_paths(req, (p), (np));       \
    if (err_ != 0)                             \
      return err_;                             \
  } while (0)

/* ---- the API ---------------------------------------------------------------- */

int
uv_fs_close(uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb)
{
  INIT(CLOSE);
  req->file_ = file;
  return fs_post(loop, req);
}

int
uv_fs_open(uv_loop_t *loop, uv_fs_t *req, const char *path, int flags,
           int mode, uv_fs_cb cb)
{
  INIT(OPEN);
  PATHS(path, NULL);
  req->flags_ = flags;
  req->mode_ = mode;
  return fs_post(loop, req);
}

static int
fs_rw(uv_loop_t *loop, uv_fs_t *req, uv_file file, const uv_buf_t bufs[],
      unsigned int nbufs, int64_t offset)
{
  int err = fs_bufs(req, bufs, nbufs);

  if (err != 0)
    return err;
  req->file_ = file;
  req->off_ = offset;
  return fs_post(loop, req);
}

int
uv_fs_read(uv_loop_t *loop, uv_fs_t *req, uv_file file, const uv_buf_t bufs[],
           unsigned int nbufs, int64_t offset, uv_fs_cb cb)
{
  INIT(READ);
  return fs_rw(loop, req, file, bufs, nbufs, offset);
}

int
uv_fs_write(uv_loop_t *loop, uv_fs_t *req, uv_file file,
            const uv_buf_t bufs[], unsigned int nbufs, int64_t offset,
            uv_fs_cb cb)
{
  INIT(WRITE);
  return fs_rw(loop, req, file, bufs, nbufs, offset);
}

#define PATH_CALL(name, t)                                                    \
  int uv_fs_##name(uv_loop_t *loop, uv_fs_t *req, const char *path,           \
                   uv_fs_cb cb)                                               \
  {                                                                           \
    INIT(t);                                                                  \
    PATHS(path, NULL);                                                        \
    return fs_post(loop, req);                                                \
  }
PATH_CALL(unlink, UNLINK)
PATH_CALL(rmdir, RMDIR)
PATH_CALL(opendir, OPENDIR)
PATH_CALL(stat, STAT)
PATH_CALL(lstat, LSTAT)
PATH_CALL(statfs, STATFS)
PATH_CALL(readlink, READLINK)
PATH_CALL(realpath, REALPATH)

#define FILE_CALL(name, t)                                                    \
  int uv_fs_##name(uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_fs_cb cb)  \
  {                                                                           \
    INIT(t);                                                                  \
    req->file_ = file;                                                        \
    return fs_post(loop, req);                                                \
  }
FILE_CALL(fstat, FSTAT)
FILE_CALL(fsync, FSYNC)
FILE_CALL(fdatasync, FDATASYNC)

int
uv_fs_mkdir(uv_loop_t *loop, uv_fs_t *req, const char *path, int mode,
            uv_fs_cb cb)
{
  INIT(MKDIR);
  PATHS(path, NULL);
  req->mode_ = mode;
  return fs_post(loop, req);
}

/* The template is always copied: the call writes the name into it. */
static int
fs_template(uv_loop_t *loop, uv_fs_t *req, const char *tpl)
{
  if (tpl == NULL)
    return UV_EINVAL;
  req->path = uv__strdup(tpl);
  if (req->path == NULL)
    return UV_ENOMEM;
  return fs_post(loop, req);
}

int
uv_fs_mkdtemp(uv_loop_t *loop, uv_fs_t *req, const char *tpl, uv_fs_cb cb)
{
  INIT(MKDTEMP);
  return fs_template(loop, req, tpl);
}

int
uv_fs_mkstemp(uv_loop_t *loop, uv_fs_t *req, const char *tpl, uv_fs_cb cb)
{
  INIT(MKSTEMP);
  return fs_template(loop, req, tpl);
}

int
uv_fs_scandir(uv_loop_t *loop, uv_fs_t *req, const char *path, int flags,
              uv_fs_cb cb)
{
  INIT(SCANDIR);
  PATHS(path, NULL);
  req->flags_ = flags;
  return fs_post(loop, req);
}

static void
scandir_free(uv_fs_t *req)
{
  struct dirent **dents = req->ptr;
  unsigned int i;

  if (dents == NULL)
    return;
  /* The entries before the position were freed by uv_fs_scandir_next(),
   * but for the one it handed out last. */
  for (i = req->nbufs_ > 0 ? req->nbufs_ - 1 : 0; i < (unsigned int)req->result; i++)
    free(dents[i]);
  free(dents);
  req->ptr = NULL;
}

int
uv_fs_scandir_next(uv_fs_t *req, uv_dirent_t *ent)
{
  struct dirent **dents;
  struct dirent *d;

  if (req == NULL || ent == NULL)
    return UV_EINVAL;
  if (req->result < 0)
    return (int)req->result;
  dents = req->ptr;
  if (dents == NULL)
    return UV_EOF;
  if (req->nbufs_ > 0) {
    free(dents[req->nbufs_ - 1]);
    dents[req->nbufs_ - 1] = NULL;
  }
  if (req->nbufs_ == (unsigned int)req->result) {
    free(dents);
    req->ptr = NULL;
    return UV_EOF;
  }
  d = dents[req->nbufs_++];
  ent->name = d->d_name;
  ent->type = dirent_type(d->d_type);
  return 0;
}

int
uv_fs_readdir(uv_loop_t *loop, uv_fs_t *req, uv_dir_t *dir, uv_fs_cb cb)
{
  INIT(READDIR);
  if (dir == NULL || dir->dir == NULL || dir->dirents == NULL)
    return UV_EINVAL;
  req->ptr = dir;
  return fs_post(loop, req);
}

int
uv_fs_closedir(uv_loop_t *loop, uv_fs_t *req, uv_dir_t *dir, uv_fs_cb cb)
{
  INIT(CLOSEDIR);
  if (dir == NULL)
    return UV_EINVAL;
  req->ptr = dir;
  return fs_post(loop, req);
}

int
uv_fs_rename(uv_loop_t *loop, uv_fs_t *req, const char *path,
             const char *new_path, uv_fs_cb cb)
{
  INIT(RENAME);
  if (new_path == NULL)
    return UV_EINVAL;
  PATHS(path, new_path);
  return fs_post(loop, req);
}

int
uv_fs_link(uv_loop_t *loop, uv_fs_t *req, const char *path,
           const char *new_path, uv_fs_cb cb)
{
  INIT(LINK);
  if (new_path == NULL)
    return UV_EINVAL;
  PATHS(path, new_path);
  return fs_post(loop, req);
}

int
uv_fs_symlink(uv_loop_t *loop, uv_fs_t *req, const char *path,
              const char *new_path, int flags, uv_fs_cb cb)
{
  INIT(SYMLINK);
  if (new_path == NULL)
    return UV_EINVAL;
  PATHS(path, new_path);
  req->flags_ = flags;
  return fs_post(loop, req);
}

int
uv_fs_copyfile(uv_loop_t *loop, uv_fs_t *req, const char *path,
               const char *new_path, int flags, uv_fs_cb cb)
{
  INIT(COPYFILE);
  if (flags & ~(UV_FS_COPYFILE_EXCL | UV_FS_COPYFILE_FICLONE |
                UV_FS_COPYFILE_FICLONE_FORCE))
    return UV_EINVAL;
  if (new_path == NULL)
    return UV_EINVAL;
  PATHS(path, new_path);
  req->flags_ = flags;
  return fs_post(loop, req);
}

int
uv_fs_ftruncate(uv_loop_t *loop, uv_fs_t *req, uv_file file, int64_t offset,
                uv_fs_cb cb)
{
  INIT(FTRUNCATE);
  req->file_ = file;
  req->off_ = offset;
  return fs_post(loop, req);
}

int
uv_fs_sendfile(uv_loop_t *loop, uv_fs_t *req, uv_file out_fd, uv_file in_fd,
               int64_t in_offset, size_t length, uv_fs_cb cb)
{
  INIT(SENDFILE);
  req->out_file_ = out_fd;
  req->file_ = in_fd;
  req->off_ = in_offset;
  req->len_ = length;
  return fs_post(loop, req);
}

int
uv_fs_access(uv_loop_t *loop, uv_fs_t *req, const char *path, int mode,
             uv_fs_cb cb)
{
  INIT(ACCESS);
  PATHS(path, NULL);
  req->flags_ = mode;
  return fs_post(loop, req);
}

int
uv_fs_chmod(uv_loop_t *loop, uv_fs_t *req, const char *path, int mode,
            uv_fs_cb cb)
{
  INIT(CHMOD);
  PATHS(path, NULL);
  req->mode_ = mode;
  return fs_post(loop, req);
}

int
uv_fs_fchmod(uv_loop_t *loop, uv_fs_t *req, uv_file file, int mode,
             uv_fs_cb cb)
{
  INIT(FCHMOD);
  req->file_ = file;
  req->mode_ = mode;
  return fs_post(loop, req);
}

int
uv_fs_utime(uv_loop_t *loop, uv_fs_t *req, const char *path, double atime,
            double mtime, uv_fs_cb cb)
{
  INIT(UTIME);
  PATHS(path, NULL);
  req->atime_ = atime;
  req->mtime_ = mtime;
  return fs_post(loop, req);
}

int
uv_fs_lutime(uv_loop_t *loop, uv_fs_t *req, const char *path, double atime,
             double mtime, uv_fs_cb cb)
{
  INIT(LUTIME);
  PATHS(path, NULL);
  req->atime_ = atime;
  req->mtime_ = mtime;
  return fs_post(loop, req);
}

int
uv_fs_futime(uv_loop_t *loop, uv_fs_t *req, uv_file file, double atime,
             double mtime, uv_fs_cb cb)
{
  INIT(FUTIME);
  req->file_ = file;
  req->atime_ = atime;
  req->mtime_ = mtime;
  return fs_post(loop, req);
}

int
uv_fs_chown(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_uid_t uid,
            uv_gid_t gid, uv_fs_cb cb)
{
  INIT(CHOWN);
  PATHS(path, NULL);
  req->uid_ = uid;
  req->gid_ = gid;
  return fs_post(loop, req);
}

int
uv_fs_lchown(uv_loop_t *loop, uv_fs_t *req, const char *path, uv_uid_t uid,
             uv_gid_t gid, uv_fs_cb cb)
{
  INIT(LCHOWN);
  PATHS(path, NULL);
  req->uid_ = uid;
  req->gid_ = gid;
  return fs_post(loop, req);
}

int
uv_fs_fchown(uv_loop_t *loop, uv_fs_t *req, uv_file file, uv_uid_t uid,
             uv_gid_t gid, uv_fs_cb cb)
{
  INIT(FCHOWN);
  req->file_ = file;
  req->uid_ = uid;
  req->gid_ = gid;
  return fs_post(loop, req);
}

void
uv_fs_req_cleanup(uv_fs_t *req)
{
  if (req == NULL)
    return;
  /* Synchronous calls borrowed their paths, but for the templates. */
  if (req->path != NULL &&
      (req->cb != NULL || req->fs_type == UV_FS_MKDTEMP ||
       req->fs_type == UV_FS_MKSTEMP))
    uv__free((void *)req->path);
  req->path = NULL;
  req->new_path_ = NULL;
  if (req->fs_type == UV_FS_READDIR && req->ptr != NULL) {
    uv_dir_t *dir = req->ptr;
    ssize_t i;

    for (i = 0; i < req->result; i++) {
      uv__free((void *)dir->dirents[i].name);
      dir->dirents[i].name = NULL;
    }
    req->ptr = NULL;
  }
  if (req->fs_type == UV_FS_SCANDIR && req->ptr != NULL)
    scandir_free(req);
  if (req->fs_type == UV_FS_READ || req->fs_type == UV_FS_WRITE)
    fs_free_bufs(req);
  if (req->fs_type != UV_FS_OPENDIR && req->fs_type != UV_FS_READDIR &&
      req->fs_type != UV_FS_CLOSEDIR && req->ptr != &req->statbuf)
    uv__free(req->ptr);
  req->ptr = NULL;
}

uv_fs_type uv_fs_get_type(const uv_fs_t *req) { return req->fs_type; }
ssize_t uv_fs_get_result(const uv_fs_t *req) { return req->result; }
void *uv_fs_get_ptr(const uv_fs_t *req) { return req->ptr; }
const char *uv_fs_get_path(const uv_fs_t *req) { return req->path; }
uv_stat_t *uv_fs_get_statbuf(uv_fs_t *req) { return &req->statbuf; }

int
uv_fs_get_system_error(const uv_fs_t *req)
{
  return req->result < 0 ? (int)-req->result : 0;
}
