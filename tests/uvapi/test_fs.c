/* SPDX-License-Identifier: MIT */
/* tests/uvapi: file system requests, work, DNS, random, fs_poll, fs_event:
 * libuv's documented results, error codes, callback order, cancellation. */
#include "uvtest.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------- */

static char tmpdir[256];

/* Local versions of helpers other areas own (uv_buf_init, uv_ip4_addr). */
static uv_buf_t
mkbuf(const char *base, size_t len)
{
  uv_buf_t b;

  b.base = (char *)base;
  b.len = len;
  return b;
}

static void
ip4(const char *ip, int port, struct sockaddr_in *sin)
{
  memset(sin, 0, sizeof *sin);
  sin->sin_family = AF_INET;
  sin->sin_port = htons((uint16_t)port);
  ck_assert_int_eq(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
}

static void
make_tmpdir(void)
{
  uv_fs_t req;
  char tpl[] = "/tmp/uvapi-fs-XXXXXX";

  ck_assert_int_eq(uv_fs_mkdtemp(NULL, &req, tpl, NULL), 0);
  ck_assert_int_eq(req.result, 0);
  ck_assert(strcmp(req.path, tpl) != 0); /* the copy was written, not @tpl */
  snprintf(tmpdir, sizeof tmpdir, "%s", req.path);
  uv_fs_req_cleanup(&req);
  ck_assert_ptr_null(req.path);
}

/* A path inside the test's directory (static buffers, rotating). */
static const char *
tpath(const char *name)
{
  static char bufs[8][512];
  static int i;
  char *b = bufs[i++ % 8];

  snprintf(b, 512, "%s/%s", tmpdir, name);
  return b;
}

static void
rm_rf(const char *path)
{
  uv_fs_t req;
  uv_dirent_t ent;
  char sub[1024];

  if (uv_fs_lstat(NULL, &req, path, NULL) != 0) {
    uv_fs_req_cleanup(&req);
    return;
  }
  if (!S_ISDIR(req.statbuf.st_mode)) {
    uv_fs_req_cleanup(&req);
    uv_fs_unlink(NULL, &req, path, NULL);
    uv_fs_req_cleanup(&req);
    return;
  }
  uv_fs_req_cleanup(&req);
  uv_fs_scandir(NULL, &req, path, 0, NULL);
  while (uv_fs_scandir_next(&req, &ent) == 0) {
    snprintf(sub, sizeof sub, "%s/%s", path, ent.name);
    rm_rf(sub);
  }
  uv_fs_req_cleanup(&req);
  uv_fs_rmdir(NULL, &req, path, NULL);
  uv_fs_req_cleanup(&req);
}

static void
write_file(const char *path, const char *text)
{
  uv_fs_t req;
  uv_buf_t b = { (char *)text, strlen(text) };
  int fd;

  fd = uv_fs_open(NULL, &req, path, UV_FS_O_WRONLY | UV_FS_O_CREAT | UV_FS_O_TRUNC, 0644, NULL);
  ck_assert_int_ge(fd, 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_write(NULL, &req, fd, &b, 1, -1, NULL), (int)b.len);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_close(NULL, &req, fd, NULL), 0);
  uv_fs_req_cleanup(&req);
}

static void
check_file(const char *path, const char *text)
{
  uv_fs_t req;
  char buf[256];
  uv_buf_t b = { buf, sizeof buf };
  int fd;

  fd = uv_fs_open(NULL, &req, path, UV_FS_O_RDONLY, 0, NULL);
  ck_assert_int_ge(fd, 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_read(NULL, &req, fd, &b, 1, 0, NULL), (int)strlen(text));
  uv_fs_req_cleanup(&req);
  ck_assert(memcmp(buf, text, strlen(text)) == 0);
  uv_fs_close(NULL, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
}

/* ---- synchronous calls ----------------------------------------------------- */

START_TEST(test_fs_sync_calls)
{
  uv_loop_t loop;
  uv_fs_t req;
  uv_buf_t bufs[2];
  char buf[64];
  int fd;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  make_tmpdir();

  /* open, write two buffers at the current position, close */
  fd = uv_fs_open(&loop, &req, tpath("f"), UV_FS_O_RDWR | UV_FS_O_CREAT | UV_FS_O_EXCL, 0600, NULL);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(req.result, fd);
  ck_assert_int_eq(uv_fs_get_type(&req), UV_FS_OPEN);
  ck_assert_int_eq(req.type, UV_FS);
  ck_assert_str_eq(uv_fs_get_path(&req), tpath("f"));
  uv_fs_req_cleanup(&req);
  bufs[0] = mkbuf("hello ", 6);
  bufs[1] = mkbuf("world", 5);
  ck_assert_int_eq(uv_fs_write(&loop, &req, fd, bufs, 2, -1, NULL), 11);
  ck_assert_int_eq(uv_fs_get_result(&req), 11);
  uv_fs_req_cleanup(&req);
  /* bad arguments */
  ck_assert_int_eq(uv_fs_write(&loop, &req, fd, NULL, 1, -1, NULL), UV_EINVAL);
  ck_assert_int_eq(uv_fs_read(&loop, &req, fd, bufs, 0, -1, NULL), UV_EINVAL);
  ck_assert_int_eq(uv_fs_open(&loop, NULL, "x", 0, 0, NULL), UV_EINVAL);
  /* read at an offset; past the end: 0 */
  bufs[0] = mkbuf(buf, 5);
  ck_assert_int_eq(uv_fs_read(&loop, &req, fd, bufs, 1, 6, NULL), 5);
  ck_assert(memcmp(buf, "world", 5) == 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_read(&loop, &req, fd, bufs, 1, 100, NULL), 0);
  uv_fs_req_cleanup(&req);
  /* fstat, ftruncate, fsync, fdatasync, fchmod, futime, fchown */
  ck_assert_int_eq(uv_fs_fstat(&loop, &req, fd, NULL), 0);
  ck_assert_uint_eq(req.statbuf.st_size, 11);
  ck_assert_ptr_eq(uv_fs_get_ptr(&req), &req.statbuf);
  ck_assert_ptr_eq(uv_fs_get_statbuf(&req), &req.statbuf);
  ck_assert(S_ISREG(req.statbuf.st_mode));
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_ftruncate(&loop, &req, fd, 5, NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_fsync(&loop, &req, fd, NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_fdatasync(&loop, &req, fd, NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_fchmod(&loop, &req, fd, 0640, NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_futime(&loop, &req, fd, 1000.5, 2000.25, NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_fchown(&loop, &req, fd, getuid(), getgid(), NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_stat(&loop, &req, tpath("f"), NULL), 0);
  ck_assert_uint_eq(req.statbuf.st_size, 5);
  ck_assert_uint_eq(req.statbuf.st_mode & 0777, 0640);
  ck_assert_int_eq(req.statbuf.st_mtim.tv_sec, 2000);
  ck_assert_int_eq(req.statbuf.st_mtim.tv_nsec, 250000000);
  ck_assert_int_eq(req.statbuf.st_atim.tv_sec, 1000);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_close(&loop, &req, fd, NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_close(&loop, &req, fd, NULL), UV_EBADF);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_fstat(&loop, &req, fd, NULL), UV_EBADF);
  ck_assert_ptr_null(req.ptr);
  ck_assert_int_eq(uv_fs_get_system_error(&req), EBADF);
  uv_fs_req_cleanup(&req);

  /* path calls */
  ck_assert_int_eq(uv_fs_chmod(&loop, &req, tpath("f"), 0600, NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_utime(&loop, &req, tpath("f"), 3000, 4000, NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_chown(&loop, &req, tpath("f"), getuid(), getgid(), NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_access(&loop, &req, tpath("f"), R_OK | W_OK, NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_access(&loop, &req, tpath("nope"), F_OK, NULL), UV_ENOENT);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_rename(&loop, &req, tpath("f"), tpath("g"), NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_stat(&loop, &req, tpath("f"), NULL), UV_ENOENT);
  ck_assert_int_eq(req.result, UV_ENOENT);
  ck_assert_int_eq(uv_fs_get_system_error(&req), ENOENT);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_link(&loop, &req, tpath("g"), tpath("h"), NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_link(&loop, &req, tpath("g"), tpath("h"), NULL), UV_EEXIST);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_symlink(&loop, &req, "g", tpath("s"), 0, NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_readlink(&loop, &req, tpath("s"), NULL), 0);
  ck_assert_str_eq((const char *)req.ptr, "g");
  uv_fs_req_cleanup(&req);
  ck_assert_ptr_null(req.ptr);
  ck_assert_int_eq(uv_fs_readlink(&loop, &req, tpath("g"), NULL), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_lstat(&loop, &req, tpath("s"), NULL), 0);
  ck_assert(S_ISLNK(req.statbuf.st_mode));
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_lutime(&loop, &req, tpath("s"), 5000, 6000, NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_lchown(&loop, &req, tpath("s"), getuid(), getgid(), NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_lstat(&loop, &req, tpath("s"), NULL), 0);
  ck_assert_int_eq(req.statbuf.st_mtim.tv_sec, 6000);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_stat(&loop, &req, tpath("s"), NULL), 0);
  ck_assert_int_eq(req.statbuf.st_mtim.tv_sec, 4000); /* the target's */
  ck_assert_uint_eq(req.statbuf.st_nlink, 2);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_realpath(&loop, &req, tpath("s"), NULL), 0);
  ck_assert_ptr_nonnull(req.ptr);
  ck_assert(strlen((const char *)req.ptr) > 2);
  ck_assert_str_eq(strrchr((const char *)req.ptr, '/'), "/g");
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_realpath(&loop, &req, tpath("nope"), NULL), UV_ENOENT);
  uv_fs_req_cleanup(&req);

  /* directories */
  ck_assert_int_eq(uv_fs_mkdir(&loop, &req, tpath("d"), 0755, NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_mkdir(&loop, &req, tpath("d"), 0755, NULL), UV_EEXIST);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_open(&loop, &req, tpath("d/x"), UV_FS_O_CREAT | UV_FS_O_WRONLY, 0644, NULL) >= 0, 1);
  uv_fs_close(&loop, &req, (uv_file)req.result, NULL);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_rmdir(&loop, &req, tpath("d"), NULL), UV_ENOTEMPTY);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_rmdir(&loop, &req, tpath("g"), NULL), UV_ENOTDIR);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_unlink(&loop, &req, tpath("d/x"), NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_unlink(&loop, &req, tpath("d/x"), NULL), UV_ENOENT);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_rmdir(&loop, &req, tpath("d"), NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_open(&loop, &req, tpath("none/x"), UV_FS_O_RDONLY, 0, NULL), UV_ENOENT);
  uv_fs_req_cleanup(&req);

  /* statfs */
  ck_assert_int_eq(uv_fs_statfs(&loop, &req, tmpdir, NULL), 0);
  ck_assert_ptr_nonnull(req.ptr);
  ck_assert_uint_gt(((uv_statfs_t *)req.ptr)->f_bsize, 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_statfs(&loop, &req, tpath("nope"), NULL), UV_ENOENT);
  ck_assert_ptr_null(req.ptr);
  uv_fs_req_cleanup(&req);

  ck_assert_int_eq(uv_loop_alive(&loop), 0); /* nothing was queued */
  rm_rf(tmpdir);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* ---- asynchronous calls: a chain of callbacks --------------------------------- */

static int async_step;
static int async_fd;
static char async_buf[32];
static uv_buf_t async_iov;

static void
async_chain_cb(uv_fs_t *req)
{
  uv_loop_t *loop = req->loop;

  ck_assert_int_eq(req->type, UV_FS);
  switch (async_step++) {
  case 0: /* open */
    ck_assert_int_eq(uv_fs_get_type(req), UV_FS_OPEN);
    ck_assert_int_ge(req->result, 0);
    ck_assert_str_eq(req->path, tpath("a"));
    async_fd = (int)req->result;
    uv_fs_req_cleanup(req);
    async_iov = mkbuf("abcdef", 6);
    ck_assert_int_eq(uv_fs_write(loop, req, async_fd, &async_iov, 1, 0, async_chain_cb), 0);
    break;
  case 1: /* write */
    ck_assert_int_eq(uv_fs_get_type(req), UV_FS_WRITE);
    ck_assert_int_eq(req->result, 6);
    uv_fs_req_cleanup(req);
    async_iov = mkbuf(async_buf, sizeof async_buf);
    ck_assert_int_eq(uv_fs_read(loop, req, async_fd, &async_iov, 1, 2, async_chain_cb), 0);
    break;
  case 2: /* read */
    ck_assert_int_eq(req->result, 4);
    ck_assert(memcmp(async_buf, "cdef", 4) == 0);
    uv_fs_req_cleanup(req);
    ck_assert_int_eq(uv_fs_fstat(loop, req, async_fd, async_chain_cb), 0);
    break;
  case 3: /* fstat */
    ck_assert_int_eq(req->result, 0);
    ck_assert_uint_eq(req->statbuf.st_size, 6);
    ck_assert_ptr_eq(req->ptr, &req->statbuf);
    uv_fs_req_cleanup(req);
    ck_assert_int_eq(uv_fs_close(loop, req, async_fd, async_chain_cb), 0);
    break;
  case 4: /* close */
    ck_assert_int_eq(req->result, 0);
    uv_fs_req_cleanup(req);
    ck_assert_int_eq(uv_fs_stat(loop, req, tpath("missing"), async_chain_cb), 0);
    break;
  case 5: /* stat of a missing file */
    ck_assert_int_eq(req->result, UV_ENOENT);
    ck_assert_int_eq(uv_fs_get_system_error(req), ENOENT);
    uv_fs_req_cleanup(req);
    ck_assert_int_eq(uv_fs_mkdir(loop, req, tmpdir, 0700, async_chain_cb), 0);
    break;
  case 6: /* mkdir of an existing directory */
    ck_assert_int_eq(req->result, UV_EEXIST);
    uv_fs_req_cleanup(req);
    ck_assert_int_eq(uv_fs_rename(loop, req, tpath("a"), tpath("b"), async_chain_cb), 0);
    break;
  case 7:
    ck_assert_int_eq(req->result, 0);
    ck_assert_str_eq(req->path, tpath("a"));
    uv_fs_req_cleanup(req);
    ck_assert_int_eq(uv_fs_unlink(loop, req, tpath("b"), async_chain_cb), 0);
    break;
  case 8:
    ck_assert_int_eq(req->result, 0);
    uv_fs_req_cleanup(req);
    break;
  default:
    ck_abort_msg("one callback too many");
  }
}

START_TEST(test_fs_async_chain)
{
  uv_loop_t loop;
  uv_fs_t req;
  char path[512];

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  make_tmpdir();
  async_step = 0;
  snprintf(path, sizeof path, "%s", tpath("a"));
  ck_assert_int_eq(uv_fs_open(&loop, &req, path, UV_FS_O_RDWR | UV_FS_O_CREAT, 0644, async_chain_cb), 0);
  /* The asynchronous call copied the path and did not call back. */
  memset(path, 'z', 10);
  ck_assert_int_eq(async_step, 0);
  ck_assert_int_eq(uv_loop_alive(&loop), 1);
  ck_assert_int_eq(uv_loop_close(&loop), UV_EBUSY);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(async_step, 9);
  rm_rf(tmpdir);
  uvtest_close_loop(&loop);
}
END_TEST

/* Many buffers (beyond the request's inline array), asynchronously. */
static int many_done;

static void
many_cb(uv_fs_t *req)
{
  ck_assert_int_eq(req->result, 12);
  many_done++;
  uv_fs_req_cleanup(req);
}

START_TEST(test_fs_many_bufs)
{
  uv_loop_t loop;
  uv_fs_t req;
  uv_buf_t bufs[6];
  char out[12], *parts[6] = { "ab", "cd", "ef", "gh", "ij", "kl" };
  int fd, i;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  make_tmpdir();
  fd = uv_fs_open(NULL, &req, tpath("m"), UV_FS_O_RDWR | UV_FS_O_CREAT, 0644, NULL);
  ck_assert_int_ge(fd, 0);
  uv_fs_req_cleanup(&req);
  for (i = 0; i < 6; i++)
    bufs[i] = mkbuf(parts[i], 2);
  many_done = 0;
  ck_assert_int_eq(uv_fs_write(&loop, &req, fd, bufs, 6, 0, many_cb), 0);
  /* The array was copied: the caller may reuse it at once. */
  for (i = 0; i < 6; i++)
    bufs[i] = mkbuf(NULL, 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(many_done, 1);
  for (i = 0; i < 6; i++)
    bufs[i] = mkbuf(out + 2 * i, 2);
  ck_assert_int_eq(uv_fs_read(&loop, &req, fd, bufs, 6, 0, many_cb), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(many_done, 2);
  ck_assert(memcmp(out, "abcdefghijkl", 12) == 0);
  uv_fs_close(NULL, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
  rm_rf(tmpdir);
  uvtest_close_loop(&loop);
}
END_TEST

/* ---- directories --------------------------------------------------------------- */

static int scandir_done;

static void
scandir_cb(uv_fs_t *req)
{
  uv_dirent_t ent;

  ck_assert_int_eq(req->result, 3);
  ck_assert_int_eq(uv_fs_scandir_next(req, &ent), 0);
  ck_assert_str_eq(ent.name, "a");
  ck_assert_int_eq(uv_fs_scandir_next(req, &ent), 0);
  ck_assert_str_eq(ent.name, "b");
  /* Stop early: cleanup frees the rest. */
  uv_fs_req_cleanup(req);
  scandir_done++;
}

START_TEST(test_fs_scandir)
{
  uv_loop_t loop;
  uv_fs_t req;
  uv_dirent_t ent;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  make_tmpdir();
  write_file(tpath("c"), "1");
  write_file(tpath("a"), "1");
  ck_assert_int_eq(uv_fs_mkdir(NULL, &req, tpath("b"), 0755, NULL), 0);
  uv_fs_req_cleanup(&req);

  /* sorted by name, "." and ".." left out, with types */
  ck_assert_int_eq(uv_fs_scandir(&loop, &req, tmpdir, 0, NULL), 3);
  ck_assert_int_eq(uv_fs_get_type(&req), UV_FS_SCANDIR);
  ck_assert_int_eq(uv_fs_scandir_next(&req, &ent), 0);
  ck_assert_str_eq(ent.name, "a");
  ck_assert_int_eq(ent.type, UV_DIRENT_FILE);
  ck_assert_int_eq(uv_fs_scandir_next(&req, &ent), 0);
  ck_assert_str_eq(ent.name, "b");
  ck_assert_int_eq(ent.type, UV_DIRENT_DIR);
  ck_assert_int_eq(uv_fs_scandir_next(&req, &ent), 0);
  ck_assert_str_eq(ent.name, "c");
  ck_assert_int_eq(uv_fs_scandir_next(&req, &ent), UV_EOF);
  ck_assert_int_eq(uv_fs_scandir_next(&req, &ent), UV_EOF);
  uv_fs_req_cleanup(&req);

  /* an empty directory; a missing one */
  ck_assert_int_eq(uv_fs_scandir(&loop, &req, tpath("b"), 0, NULL), 0);
  ck_assert_int_eq(uv_fs_scandir_next(&req, &ent), UV_EOF);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_scandir(&loop, &req, tpath("nope"), 0, NULL), UV_ENOENT);
  ck_assert_int_eq(uv_fs_scandir_next(&req, &ent), UV_ENOENT);
  uv_fs_req_cleanup(&req);

  /* asynchronous, abandoned half way */
  scandir_done = 0;
  ck_assert_int_eq(uv_fs_scandir(&loop, &req, tmpdir, 0, scandir_cb), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(scandir_done, 1);
  rm_rf(tmpdir);
  uvtest_close_loop(&loop);
}
END_TEST

static uv_dirent_t rd_ents[2];
static int rd_total, rd_calls;

static void
readdir_cb(uv_fs_t *req)
{
  uv_dir_t *dir;
  ssize_t i;

  switch (uv_fs_get_type(req)) {
  case UV_FS_OPENDIR:
    ck_assert_int_eq(req->result, 0);
    dir = req->ptr;
    ck_assert_ptr_nonnull(dir);
    uv_fs_req_cleanup(req);
    dir->dirents = rd_ents;
    dir->nentries = 2;
    ck_assert_int_eq(uv_fs_readdir(req->loop, req, dir, readdir_cb), 0);
    break;
  case UV_FS_READDIR:
    dir = req->ptr;
    ck_assert_int_ge(req->result, 0);
    ck_assert_int_le(req->result, 2);
    rd_calls++;
    rd_total += (int)req->result;
    for (i = 0; i < req->result; i++)
      ck_assert(rd_ents[i].type == UV_DIRENT_FILE);
    i = req->result;
    uv_fs_req_cleanup(req);
    if (i == 0)
      ck_assert_int_eq(uv_fs_closedir(req->loop, req, dir, readdir_cb), 0);
    else
      ck_assert_int_eq(uv_fs_readdir(req->loop, req, dir, readdir_cb), 0);
    break;
  case UV_FS_CLOSEDIR:
    ck_assert_int_eq(req->result, 0);
    uv_fs_req_cleanup(req);
    rd_calls += 100;
    break;
  default:
    ck_abort_msg("unexpected request");
  }
}

START_TEST(test_fs_readdir)
{
  uv_loop_t loop;
  uv_fs_t req;
  uv_dir_t *dir;
  char name[8];
  int i, total = 0, n;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  make_tmpdir();
  for (i = 0; i < 5; i++) {
    snprintf(name, sizeof name, "f%d", i);
    write_file(tpath(name), "x");
  }
  /* synchronous: batches of at most two, then 0 */
  ck_assert_int_eq(uv_fs_opendir(&loop, &req, tmpdir, NULL), 0);
  dir = req.ptr;
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_readdir(&loop, &req, dir, NULL), UV_EINVAL); /* no dirents */
  dir->dirents = rd_ents;
  dir->nentries = 2;
  do {
    n = uv_fs_readdir(&loop, &req, dir, NULL);
    ck_assert_int_ge(n, 0);
    ck_assert_int_le(n, 2);
    for (i = 0; i < n; i++) {
      ck_assert(rd_ents[i].name[0] == 'f');
      ck_assert_int_eq(rd_ents[i].type, UV_DIRENT_FILE);
    }
    total += n;
    uv_fs_req_cleanup(&req);
  } while (n > 0);
  ck_assert_int_eq(total, 5);
  ck_assert_int_eq(uv_fs_closedir(&loop, &req, dir, NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_opendir(&loop, &req, tpath("nope"), NULL), UV_ENOENT);
  ck_assert_ptr_null(req.ptr);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_closedir(&loop, &req, NULL, NULL), UV_EINVAL);

  /* asynchronous: opendir, readdir until 0, closedir */
  rd_total = rd_calls = 0;
  ck_assert_int_eq(uv_fs_opendir(&loop, &req, tmpdir, readdir_cb), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(rd_total, 5);
  ck_assert_int_ge(rd_calls, 100 + 4);
  rm_rf(tmpdir);
  uvtest_close_loop(&loop);
}
END_TEST

/* ---- copyfile, sendfile, mkstemp, mkdtemp ------------------------------------- */

static int copy_done;

static void
copy_cb(uv_fs_t *req)
{
  ck_assert_int_eq(req->result, copy_done == 0 ? 0 : UV_EEXIST);
  copy_done++;
  uv_fs_req_cleanup(req);
}

START_TEST(test_fs_copyfile)
{
  uv_loop_t loop;
  uv_fs_t req;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  make_tmpdir();
  write_file(tpath("src"), "copy me");
  ck_assert_int_eq(uv_fs_chmod(NULL, &req, tpath("src"), 0604, NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_copyfile(&loop, &req, tpath("src"), tpath("dst"), 0, NULL), 0);
  uv_fs_req_cleanup(&req);
  check_file(tpath("dst"), "copy me");
  ck_assert_int_eq(uv_fs_stat(NULL, &req, tpath("dst"), NULL), 0);
  ck_assert_uint_eq(req.statbuf.st_mode & 0777, 0604);
  uv_fs_req_cleanup(&req);
  /* an existing target: replaced (and truncated), or UV_EEXIST with EXCL */
  write_file(tpath("dst"), "a much longer old content");
  ck_assert_int_eq(uv_fs_copyfile(&loop, &req, tpath("src"), tpath("dst"), UV_FS_COPYFILE_EXCL, NULL), UV_EEXIST);
  uv_fs_req_cleanup(&req);
  check_file(tpath("dst"), "a much longer old content");
  ck_assert_int_eq(uv_fs_copyfile(&loop, &req, tpath("src"), tpath("dst"), UV_FS_COPYFILE_FICLONE, NULL), 0);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_stat(NULL, &req, tpath("dst"), NULL), 0);
  ck_assert_uint_eq(req.statbuf.st_size, 7);
  uv_fs_req_cleanup(&req);
  check_file(tpath("dst"), "copy me");
  /* a file onto itself */
  ck_assert_int_eq(uv_fs_copyfile(&loop, &req, tpath("src"), tpath("src"), 0, NULL), 0);
  uv_fs_req_cleanup(&req);
  check_file(tpath("src"), "copy me");
  /* errors */
  ck_assert_int_eq(uv_fs_copyfile(&loop, &req, tpath("src"), tpath("x"), 0x100, NULL), UV_EINVAL);
  ck_assert_int_eq(uv_fs_copyfile(&loop, &req, tpath("nope"), tpath("x"), 0, NULL), UV_ENOENT);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_access(NULL, &req, tpath("x"), F_OK, NULL), UV_ENOENT);
  uv_fs_req_cleanup(&req);
  /* asynchronous: new target, then EXCL onto it */
  copy_done = 0;
  ck_assert_int_eq(uv_fs_copyfile(&loop, &req, tpath("src"), tpath("a1"), 0, copy_cb), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(uv_fs_copyfile(&loop, &req, tpath("src"), tpath("a1"), UV_FS_COPYFILE_EXCL, copy_cb), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(copy_done, 2);
  check_file(tpath("a1"), "copy me");
  rm_rf(tmpdir);
  uvtest_close_loop(&loop);
}
END_TEST

START_TEST(test_fs_sendfile)
{
  uv_loop_t loop;
  uv_fs_t req;
  int in, out;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  make_tmpdir();
  write_file(tpath("in"), "0123456789");
  in = uv_fs_open(NULL, &req, tpath("in"), UV_FS_O_RDONLY, 0, NULL);
  uv_fs_req_cleanup(&req);
  out = uv_fs_open(NULL, &req, tpath("out"), UV_FS_O_WRONLY | UV_FS_O_CREAT, 0644, NULL);
  uv_fs_req_cleanup(&req);
  ck_assert_int_ge(in, 0);
  ck_assert_int_ge(out, 0);
  ck_assert_int_eq(uv_fs_sendfile(&loop, &req, out, in, 3, 4, NULL), 4);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_sendfile(&loop, &req, out, -1, 0, 4, NULL), UV_EBADF);
  uv_fs_req_cleanup(&req);
  uv_fs_close(NULL, &req, in, NULL);
  uv_fs_req_cleanup(&req);
  uv_fs_close(NULL, &req, out, NULL);
  uv_fs_req_cleanup(&req);
  check_file(tpath("out"), "3456");
  rm_rf(tmpdir);
  uvtest_close_loop(&loop);
}
END_TEST

static int mkstemp_done;

static void
mkstemp_cb(uv_fs_t *req)
{
  uv_fs_t r2;

  ck_assert_int_ge(req->result, 0);
  ck_assert_ptr_null(strstr(req->path, "XXXXXX"));
  uv_fs_close(NULL, &r2, (uv_file)req->result, NULL);
  uv_fs_req_cleanup(&r2);
  mkstemp_done++;
  uv_fs_req_cleanup(req);
}

START_TEST(test_fs_mkstemp_mkdtemp)
{
  uv_loop_t loop;
  uv_fs_t req;
  char tpl[512];
  int fd;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  make_tmpdir();
  /* a template must end in XXXXXX */
  ck_assert_int_eq(uv_fs_mkstemp(&loop, &req, tpath("badXXXXXXz"), NULL), UV_EINVAL);
  ck_assert_str_eq(req.path, "");
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_mkstemp(&loop, &req, "XX", NULL), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_mkdtemp(&loop, &req, tpath("bad"), NULL), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  ck_assert_int_eq(uv_fs_mkstemp(&loop, &req, NULL, NULL), UV_EINVAL);
  /* synchronous: a descriptor, the name written into the request's copy */
  snprintf(tpl, sizeof tpl, "%s", tpath("fileXXXXXX"));
  fd = uv_fs_mkstemp(&loop, &req, tpl, NULL);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(req.result, fd);
  ck_assert_str_ne(req.path, tpl);
  ck_assert_int_eq(strlen(req.path), strlen(tpl));
  uv_fs_req_cleanup(&req);
  uv_fs_close(NULL, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
  snprintf(tpl, sizeof tpl, "%s", tpath("dirXXXXXX"));
  ck_assert_int_eq(uv_fs_mkdtemp(&loop, &req, tpl, NULL), 0);
  ck_assert_str_ne(req.path, tpl);
  uv_fs_req_cleanup(&req);
  /* asynchronous */
  mkstemp_done = 0;
  ck_assert_int_eq(uv_fs_mkstemp(&loop, &req, tpl, mkstemp_cb), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(mkstemp_done, 1);
  ck_assert_int_eq(uv_fs_scandir(NULL, &req, tmpdir, 0, NULL), 3);
  uv_fs_req_cleanup(&req);
  rm_rf(tmpdir);
  uvtest_close_loop(&loop);
}
END_TEST

/* ---- work ------------------------------------------------------------------------ */

static pthread_t loop_thread;
static char work_order[64];
static int work_n;

static void
work_cb(uv_work_t *req)
{
  ck_assert(!pthread_equal(pthread_self(), loop_thread));
  *(int *)req->data *= 2;
}

static void
after_work_cb(uv_work_t *req, int status)
{
  ck_assert(pthread_equal(pthread_self(), loop_thread));
  ck_assert_int_eq(status, 0);
  ck_assert_int_eq(*(int *)req->data % 2, 0);
  work_order[work_n++] = 'a';
}

START_TEST(test_work_basic)
{
  uv_loop_t loop;
  uv_work_t reqs[8];
  int vals[8], i;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  loop_thread = pthread_self();
  work_n = 0;
  for (i = 0; i < 8; i++) {
    vals[i] = i + 1;
    reqs[i].data = &vals[i];
    ck_assert_int_eq(uv_queue_work(&loop, &reqs[i], work_cb, after_work_cb), 0);
    ck_assert_int_eq(reqs[i].type, UV_WORK);
    ck_assert_ptr_eq(reqs[i].loop, &loop);
  }
  ck_assert_int_eq(work_n, 0); /* never called back from the call */
  ck_assert_int_eq(uv_queue_work(&loop, &reqs[0], NULL, after_work_cb), UV_EINVAL);
  ck_assert_int_eq(uv_queue_work(NULL, &reqs[0], work_cb, after_work_cb), UV_EINVAL);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(work_n, 8);
  for (i = 0; i < 8; i++) {
    ck_assert_int_eq(vals[i], 2 * (i + 1));
    /* done: too late to cancel */
    ck_assert_int_eq(uv_cancel((uv_req_t *)&reqs[i]), UV_EBUSY);
  }
  /* a NULL after_work_cb is allowed */
  vals[0] = 1;
  ck_assert_int_eq(uv_queue_work(&loop, &reqs[0], work_cb, NULL), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(vals[0], 2);
  uvtest_close_loop(&loop);
}
END_TEST

/* Cancel: the pool saturated with jobs that wait on a semaphore. */
static sem_t blk_started, blk_release;
static int cancelled_n, blockers_done;
static char cancel_order[32];
static int cancel_len;

static void
blocker_work(uv_work_t *req)
{
  (void)req;
  sem_post(&blk_started);
  while (sem_wait(&blk_release) != 0)
    ;
}

static void release_if_all_cancelled(void);

static void
blocker_after(uv_work_t *req, int status)
{
  (void)req;
  ck_assert_int_eq(status, 0);
  cancel_order[cancel_len++] = 'B';
  blockers_done++;
}

static void
cancelled_work(uv_work_t *req)
{
  (void)req;
  ck_abort_msg("a cancelled work item ran");
}

static void
cancelled_after(uv_work_t *req, int status)
{
  ck_assert_int_eq(status, UV_ECANCELED);
  ck_assert_int_eq(uv_cancel((uv_req_t *)req), UV_EBUSY);
  cancel_order[cancel_len++] = 'w';
  release_if_all_cancelled();
}

static void
cancelled_fs(uv_fs_t *req)
{
  ck_assert_int_eq(req->result, UV_ECANCELED);
  uv_fs_req_cleanup(req);
  cancel_order[cancel_len++] = 'f';
  release_if_all_cancelled();
}

static void
cancelled_gai(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
  (void)req;
  ck_assert_int_eq(status, UV_EAI_CANCELED);
  ck_assert_ptr_null(res);
  cancel_order[cancel_len++] = 'g';
  release_if_all_cancelled();
}

static void
cancelled_gni(uv_getnameinfo_t *req, int status, const char *host,
              const char *service)
{
  (void)req;
  ck_assert_int_eq(status, UV_EAI_CANCELED);
  ck_assert_ptr_null(host);
  ck_assert_ptr_null(service);
  cancel_order[cancel_len++] = 'n';
  release_if_all_cancelled();
}

static void
cancelled_random(uv_random_t *req, int status, void *buf, size_t len)
{
  (void)req;
  (void)buf;
  ck_assert_int_eq(status, UV_ECANCELED);
  ck_assert_uint_eq(len, 16);
  cancel_order[cancel_len++] = 'r';
  release_if_all_cancelled();
}

static void
release_if_all_cancelled(void)
{
  if (++cancelled_n == 5) {
    sem_post(&blk_release);
    sem_post(&blk_release);
  }
}

START_TEST(test_work_cancel)
{
  uv_loop_t loop;
  uv_work_t blockers[2], w;
  uv_fs_t fs;
  uv_getaddrinfo_t gai;
  uv_getnameinfo_t gni;
  uv_random_t rnd;
  struct sockaddr_in sin;
  char rbuf[16];

  /* A pool of two threads, both kept busy. */
  setenv("UV_THREADPOOL_SIZE", "2", 1);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  unsetenv("UV_THREADPOOL_SIZE");
  sem_init(&blk_started, 0, 0);
  sem_init(&blk_release, 0, 0);
  cancelled_n = blockers_done = cancel_len = 0;
  ck_assert_int_eq(uv_queue_work(&loop, &blockers[0], blocker_work, blocker_after), 0);
  ck_assert_int_eq(uv_queue_work(&loop, &blockers[1], blocker_work, blocker_after), 0);
  while (sem_wait(&blk_started) != 0)
    ;
  while (sem_wait(&blk_started) != 0)
    ;
  /* Running: too late. */
  ck_assert_int_eq(uv_cancel((uv_req_t *)&blockers[0]), UV_EBUSY);
  /* Queued behind them: cancelled, callbacks with the cancel status. */
  ck_assert_int_eq(uv_queue_work(&loop, &w, cancelled_work, cancelled_after), 0);
  ck_assert_int_eq(uv_fs_stat(&loop, &fs, "/", cancelled_fs), 0);
  ck_assert_int_eq(uv_getaddrinfo(&loop, &gai, cancelled_gai, "127.0.0.1", NULL, NULL), 0);
  ip4("127.0.0.1", 80, &sin);
  ck_assert_int_eq(uv_getnameinfo(&loop, &gni, cancelled_gni, (struct sockaddr *)&sin, 0), 0);
  ck_assert_int_eq(uv_random(&loop, &rnd, rbuf, sizeof rbuf, 0, cancelled_random), 0);
  ck_assert_int_eq(uv_cancel((uv_req_t *)&w), 0);
  ck_assert_int_eq(uv_cancel((uv_req_t *)&w), UV_EBUSY); /* once */
  ck_assert_int_eq(uv_cancel((uv_req_t *)&fs), 0);
  ck_assert_int_eq(uv_cancel((uv_req_t *)&gai), 0);
  ck_assert_int_eq(uv_cancel((uv_req_t *)&gni), 0);
  ck_assert_int_eq(uv_cancel((uv_req_t *)&rnd), 0);
  ck_assert_int_eq(cancel_len, 0); /* callbacks come from the loop */
  ck_assert_int_eq(uv_loop_close(&loop), UV_EBUSY);
  uvtest_run(&loop, 10000);
  cancel_order[cancel_len] = '\0';
  /* Every cancelled callback (in the order cancelled) before the blockers,
   * which only the last of them released. */
  ck_assert_str_eq(cancel_order, "wfgnrBB");
  ck_assert_int_eq(blockers_done, 2);
  sem_destroy(&blk_started);
  sem_destroy(&blk_release);
  uvtest_close_loop(&loop);
}
END_TEST

/* A cancellation made in the timer phase is called back in that
 * iteration's poll phase: after idle, before check (libuv's order). */
static uv_work_t phase_w;
static char phase_order[16];
static int phase_len;

static void
phase_after(uv_work_t *req, int status)
{
  (void)req;
  ck_assert_int_eq(status, UV_ECANCELED);
  phase_order[phase_len++] = 'w';
  sem_post(&blk_release);
  sem_post(&blk_release);
}

static void
phase_timer_cb(uv_timer_t *t)
{
  ck_assert_int_eq(uv_cancel((uv_req_t *)&phase_w), 0);
  phase_order[phase_len++] = 'T';
  uv_close((uv_handle_t *)t, NULL);
}

static void
phase_idle_cb(uv_idle_t *h)
{
  if (phase_len == 1)
    phase_order[phase_len++] = 'I';
  if (phase_len > 1)
    uv_idle_stop(h);
}

static void
phase_check_cb(uv_check_t *h)
{
  if (phase_len >= 2) {
    phase_order[phase_len++] = 'C';
    uv_check_stop(h);
  }
}

static void
phase_blocker_after(uv_work_t *req, int status)
{
  (void)req;
  ck_assert_int_eq(status, 0);
}

START_TEST(test_work_cancel_phase)
{
  uv_loop_t loop;
  uv_work_t blockers[2];
  uv_timer_t t;
  uv_idle_t idle;
  uv_check_t check;

  setenv("UV_THREADPOOL_SIZE", "2", 1);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  unsetenv("UV_THREADPOOL_SIZE");
  sem_init(&blk_started, 0, 0);
  sem_init(&blk_release, 0, 0);
  phase_len = 0;
  ck_assert_int_eq(uv_queue_work(&loop, &blockers[0], blocker_work, phase_blocker_after), 0);
  ck_assert_int_eq(uv_queue_work(&loop, &blockers[1], blocker_work, phase_blocker_after), 0);
  while (sem_wait(&blk_started) != 0)
    ;
  while (sem_wait(&blk_started) != 0)
    ;
  ck_assert_int_eq(uv_queue_work(&loop, &phase_w, cancelled_work, phase_after), 0);
  ck_assert_int_eq(uv_timer_init(&loop, &t), 0);
  ck_assert_int_eq(uv_timer_start(&t, phase_timer_cb, 0, 0), 0);
  ck_assert_int_eq(uv_idle_init(&loop, &idle), 0);
  ck_assert_int_eq(uv_check_init(&loop, &check), 0);
  ck_assert_int_eq(uv_idle_start(&idle, phase_idle_cb), 0);
  ck_assert_int_eq(uv_check_start(&check, phase_check_cb), 0);
  uvtest_run(&loop, 10000);
  phase_order[phase_len] = '\0';
  ck_assert_str_eq(phase_order, "TIwC");
  sem_destroy(&blk_started);
  sem_destroy(&blk_release);
  uvtest_close_loop(&loop);
}
END_TEST

START_TEST(test_cancel_other_requests)
{
  uv_timer_t t;
  uv_req_t r;

  (void)t;
  memset(&r, 0, sizeof r);
  r.type = UV_WRITE;
  ck_assert_int_eq(uv_cancel(&r), UV_EINVAL);
  ck_assert_int_eq(uv_cancel(NULL), UV_EINVAL);
}
END_TEST

/* ---- DNS, random ------------------------------------------------------------------ */

static int dns_done;

static void
gai_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
  ck_assert(pthread_equal(pthread_self(), loop_thread));
  ck_assert_ptr_eq(res, req->addrinfo);
  if (req->data == NULL) {
    ck_assert_int_eq(status, 0);
    ck_assert_ptr_nonnull(res);
    ck_assert(res->ai_family == AF_INET || res->ai_family == AF_INET6);
  } else {
    ck_assert_int_eq(status, UV_EAI_NONAME);
    ck_assert_ptr_null(res);
  }
  uv_freeaddrinfo(res);
  dns_done++;
}

static void
gni_cb(uv_getnameinfo_t *req, int status, const char *host,
       const char *service)
{
  ck_assert_int_eq(status, 0);
  ck_assert_str_eq(host, "127.0.0.1");
  ck_assert_str_eq(service, "8080");
  ck_assert_ptr_eq(host, req->host);
  dns_done++;
}

START_TEST(test_dns)
{
  uv_loop_t loop;
  uv_getaddrinfo_t g1, g2, g3;
  uv_getnameinfo_t n1;
  struct addrinfo hints, hints2;
  struct sockaddr_in sin;
  struct sockaddr sa;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  loop_thread = pthread_self();
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  /* synchronous */
  ck_assert_int_eq(uv_getaddrinfo(&loop, &g1, NULL, "127.0.0.1", "80", &hints), 0);
  ck_assert_ptr_nonnull(g1.addrinfo);
  ck_assert_int_eq(g1.addrinfo->ai_family, AF_INET);
  ck_assert_int_eq(ntohs(((struct sockaddr_in *)g1.addrinfo->ai_addr)->sin_port), 80);
  uv_freeaddrinfo(g1.addrinfo);
  ck_assert_int_eq(uv_getaddrinfo(&loop, &g1, NULL, "not an address", NULL, &hints), UV_EAI_NONAME);
  ck_assert_ptr_null(g1.addrinfo);
  ck_assert_int_eq(uv_getaddrinfo(&loop, &g1, NULL, NULL, NULL, &hints), UV_EINVAL);
  uv_freeaddrinfo(NULL);
  /* asynchronous: localhost; a bad numeric host */
  dns_done = 0;
  g2.data = NULL;
  /* No AI_ADDRCONFIG (NULL hints' default): a host without network
   * interfaces still resolves localhost. */
  hints2 = hints;
  hints2.ai_flags = 0;
  ck_assert_int_eq(uv_getaddrinfo(&loop, &g2, gai_cb, "localhost", NULL, &hints2), 0);
  g3.data = &g3;
  ck_assert_int_eq(uv_getaddrinfo(&loop, &g3, gai_cb, "no-such-host", "80", &hints), 0);
  ck_assert_int_eq(g2.type, UV_GETADDRINFO);
  /* getnameinfo */
  ip4("127.0.0.1", 8080, &sin);
  ck_assert_int_eq(uv_getnameinfo(&loop, &n1, NULL, (struct sockaddr *)&sin, NI_NUMERICHOST | NI_NUMERICSERV), 0);
  ck_assert_str_eq(n1.host, "127.0.0.1");
  ck_assert_str_eq(n1.service, "8080");
  ck_assert_int_eq(uv_getnameinfo(&loop, &n1, gni_cb, (struct sockaddr *)&sin, NI_NUMERICHOST | NI_NUMERICSERV), 0);
  memset(&sa, 0, sizeof sa);
  sa.sa_family = AF_UNIX;
  ck_assert_int_eq(uv_getnameinfo(&loop, &n1, gni_cb, &sa, 0), UV_EINVAL);
  ck_assert_int_eq(uv_getnameinfo(&loop, &n1, gni_cb, NULL, 0), UV_EINVAL);
  ck_assert_int_eq(dns_done, 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(dns_done, 3);
  uvtest_close_loop(&loop);
}
END_TEST

static int random_done;

static void
random_cb(uv_random_t *req, int status, void *buf, size_t len)
{
  static const char zero[64];

  ck_assert_int_eq(status, 0);
  ck_assert_ptr_eq(buf, req->data);
  ck_assert_uint_eq(len, 64);
  ck_assert(memcmp(buf, zero, 64) != 0);
  random_done++;
}

START_TEST(test_random)
{
  uv_loop_t loop;
  uv_random_t req;
  static const char zero[64];
  char buf[64], abuf[64];

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  memset(buf, 0, sizeof buf);
  ck_assert_int_eq(uv_random(NULL, NULL, buf, sizeof buf, 0, NULL), 0);
  ck_assert(memcmp(buf, zero, sizeof buf) != 0);
  ck_assert_int_eq(uv_random(NULL, NULL, buf, sizeof buf, 1, NULL), UV_EINVAL);
  ck_assert_int_eq(uv_random(NULL, NULL, buf, (size_t)0x80000000u, 0, NULL), UV_E2BIG);
  ck_assert_int_eq(uv_random(NULL, NULL, buf, 0, 0, NULL), 0);
  memset(abuf, 0, sizeof abuf);
  random_done = 0;
  req.data = abuf;
  ck_assert_int_eq(uv_random(&loop, &req, abuf, sizeof abuf, 0, random_cb), 0);
  ck_assert_int_eq(random_done, 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(random_done, 1);
  uvtest_close_loop(&loop);
}
END_TEST

/* ---- fs_poll ------------------------------------------------------------------------ */

static int poll_changes, poll_enoent;
static uv_timer_t poll_writer;

static void
poll_writer_cb(uv_timer_t *t)
{
  uv_fs_t req;
  uv_buf_t b = mkbuf("x", 1);
  int fd;

  (void)t;
  /* Grow the file until the poller notices (no guess at its timing). */
  fd = uv_fs_open(NULL, &req, tpath("p"), UV_FS_O_WRONLY | UV_FS_O_APPEND | UV_FS_O_CREAT, 0644, NULL);
  uv_fs_req_cleanup(&req);
  ck_assert_int_ge(fd, 0);
  uv_fs_write(NULL, &req, fd, &b, 1, -1, NULL);
  uv_fs_req_cleanup(&req);
  uv_fs_close(NULL, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
}

static void
poll_close_cb(uv_handle_t *h)
{
  (void)h;
  poll_changes += 1000;
}

static void
poll_cb(uv_fs_poll_t *h, int status, const uv_stat_t *prev,
        const uv_stat_t *curr)
{
  if (status == UV_ENOENT) {
    /* Once, however many polls find it missing; zeroed stats. */
    ck_assert_int_eq(poll_enoent, 0);
    ck_assert_uint_eq(curr->st_size, 0);
    ck_assert_uint_eq(curr->st_mtim.tv_sec, 0);
    poll_enoent++;
    /* Create it later: several polls find it missing meanwhile. */
    ck_assert_int_eq(uv_timer_start(&poll_writer, poll_writer_cb, 30, 10), 0);
    return;
  }
  ck_assert_int_eq(status, 0);
  ck_assert(curr->st_size != prev->st_size || poll_enoent == 1);
  ck_assert_uint_gt(curr->st_size, 0);
  poll_changes++;
  uv_timer_stop(&poll_writer);
  uv_close((uv_handle_t *)h, poll_close_cb);
  uv_close((uv_handle_t *)&poll_writer, NULL);
}

START_TEST(test_fs_poll)
{
  uv_loop_t loop;
  uv_fs_poll_t p;
  char buf[512], small[4];
  size_t len;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  make_tmpdir();
  ck_assert_int_eq(uv_timer_init(&loop, &poll_writer), 0);
  ck_assert_int_eq(uv_fs_poll_init(&loop, &p), 0);
  len = sizeof buf;
  ck_assert_int_eq(uv_fs_poll_getpath(&p, buf, &len), UV_EINVAL);
  ck_assert_int_eq(uv_fs_poll_start(&p, NULL, tpath("p"), 5), UV_EINVAL);
  /* a missing file: UV_ENOENT once, then the creation */
  poll_changes = poll_enoent = 0;
  ck_assert_int_eq(uv_fs_poll_start(&p, poll_cb, tpath("p"), 5), 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&p), 1);
  ck_assert_int_eq(uv_fs_poll_start(&p, poll_cb, tpath("p"), 5), 0); /* started: no-op */
  len = sizeof buf;
  ck_assert_int_eq(uv_fs_poll_getpath(&p, buf, &len), 0);
  ck_assert_str_eq(buf, tpath("p"));
  ck_assert_uint_eq(len, strlen(tpath("p")));
  len = sizeof small;
  ck_assert_int_eq(uv_fs_poll_getpath(&p, small, &len), UV_ENOBUFS);
  ck_assert_uint_eq(len, strlen(tpath("p")) + 1);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(poll_enoent, 1);
  ck_assert_int_eq(poll_changes, 1001);

  /* an existing file: the first stat only records; a change is reported */
  ck_assert_int_eq(uv_timer_init(&loop, &poll_writer), 0);
  ck_assert_int_eq(uv_fs_poll_init(&loop, &p), 0);
  poll_changes = 0;
  poll_enoent = 1; /* any status but 0 now fails the test */
  ck_assert_int_eq(uv_fs_poll_start(&p, poll_cb, tpath("p"), 5), 0);
  ck_assert_int_eq(uv_timer_start(&poll_writer, poll_writer_cb, 10, 10), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(poll_changes, 1001);

  /* closed with its stat in flight: nothing leaks, no callback */
  ck_assert_int_eq(uv_fs_poll_init(&loop, &p), 0);
  ck_assert_int_eq(uv_fs_poll_start(&p, poll_cb, tpath("p"), 5), 0);
  poll_changes = 0;
  uv_close((uv_handle_t *)&p, poll_close_cb);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&p), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(poll_changes, 1000);
  rm_rf(tmpdir);
  uvtest_close_loop(&loop);
}
END_TEST


/* Stopped while waiting for its next stat (the interval timer armed). */
static uv_fs_poll_t stopper_poll;
static uv_timer_t stopper_timer;
static int stopper_calls;

static void
stopper_timer_cb(uv_timer_t *t)
{
  char buf[512];
  size_t len = sizeof buf;

  ck_assert_int_eq(uv_is_active((uv_handle_t *)&stopper_poll), 1);
  ck_assert_int_eq(uv_fs_poll_stop(&stopper_poll), 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&stopper_poll), 0);
  ck_assert_int_eq(uv_fs_poll_stop(&stopper_poll), 0);
  ck_assert_int_eq(uv_fs_poll_getpath(&stopper_poll, buf, &len), UV_EINVAL);
  ck_assert_uint_eq(len, 0);
  uv_close((uv_handle_t *)t, NULL);
  uv_close((uv_handle_t *)&stopper_poll, NULL);
}

static void
stopper_poll_cb(uv_fs_poll_t *h, int status, const uv_stat_t *prev,
                const uv_stat_t *curr)
{
  (void)h;
  (void)prev;
  (void)curr;
  ck_assert_int_eq(status, UV_ENOENT);
  stopper_calls++;
  /* Runs in the next iteration's timer phase: the poller's own timer,
   * a long interval, is armed by then. */
  ck_assert_int_eq(uv_timer_start(&stopper_timer, stopper_timer_cb, 0, 0), 0);
}

START_TEST(test_fs_poll_stop_waiting)
{
  uv_loop_t loop;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(uv_timer_init(&loop, &stopper_timer), 0);
  ck_assert_int_eq(uv_fs_poll_init(&loop, &stopper_poll), 0);
  stopper_calls = 0;
  ck_assert_int_eq(uv_fs_poll_start(&stopper_poll, stopper_poll_cb, "/nonexistent/uvapi-fs-poll", 60000), 0);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(stopper_calls, 1);
  uvtest_close_loop(&loop);
}
END_TEST

/* ---- fs_event ---------------------------------------------------------------------- */

static int ev_seen;
static char ev_names[8][64];
static int ev_events[8];

static void
fs_event_cb(uv_fs_event_t *h, const char *filename, int events, int status)
{
  ck_assert_int_eq(status, 0);
  ck_assert_ptr_nonnull(filename);
  if (ev_seen < 8) {
    snprintf(ev_names[ev_seen], sizeof ev_names[0], "%s", filename);
    ev_events[ev_seen] = events;
  }
  ev_seen++;
  /* Wait for the thing itself: stop at the event we came for. */
  if (*(int *)h->data == events || (*(int *)h->data & events))
    uv_close((uv_handle_t *)h, NULL);
}

START_TEST(test_fs_event)
{
  uv_loop_t loop;
  uv_fs_event_t e;
  char buf[512];
  size_t len;
  uv_fs_t req;
  int want, i, found;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  make_tmpdir();

  /* a directory: an entry created, with its name */
  ck_assert_int_eq(uv_fs_event_init(&loop, &e), 0);
  want = UV_RENAME;
  e.data = &want;
  len = sizeof buf;
  ck_assert_int_eq(uv_fs_event_getpath(&e, buf, &len), UV_EINVAL);
  ck_assert_int_eq(uv_fs_event_start(&e, fs_event_cb, tmpdir, 0), 0);
  ck_assert_int_eq(uv_fs_event_start(&e, fs_event_cb, tmpdir, 0), UV_EINVAL);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&e), 1);
  len = sizeof buf;
  ck_assert_int_eq(uv_fs_event_getpath(&e, buf, &len), 0);
  ck_assert_str_eq(buf, tmpdir);
  write_file(tpath("new"), "1");
  ev_seen = 0;
  uvtest_run(&loop, 10000);
  ck_assert_int_ge(ev_seen, 1);
  ck_assert_str_eq(ev_names[0], "new");
  ck_assert(ev_events[0] & UV_RENAME);

  /* a file: a write, named by the file's base name */
  ck_assert_int_eq(uv_fs_event_init(&loop, &e), 0);
  want = UV_CHANGE;
  ck_assert_int_eq(uv_fs_event_start(&e, fs_event_cb, tpath("new"), 0), 0);
  write_file(tpath("new"), "22");
  ev_seen = 0;
  uvtest_run(&loop, 10000);
  ck_assert_int_ge(ev_seen, 1);
  ck_assert_str_eq(ev_names[ev_seen > 8 ? 7 : ev_seen - 1], "new");
  ck_assert(ev_events[ev_seen > 8 ? 7 : ev_seen - 1] & UV_CHANGE);

  /* a rename inside the watched directory */
  ck_assert_int_eq(uv_fs_event_init(&loop, &e), 0);
  want = UV_RENAME;
  ck_assert_int_eq(uv_fs_event_start(&e, fs_event_cb, tmpdir, 0), 0);
  ck_assert_int_eq(uv_fs_rename(NULL, &req, tpath("new"), tpath("renamed"), NULL), 0);
  uv_fs_req_cleanup(&req);
  ev_seen = 0;
  uvtest_run(&loop, 10000);
  found = 0;
  for (i = 0; i < ev_seen && i < 8; i++)
    found |= strcmp(ev_names[i], "new") == 0 && (ev_events[i] & UV_RENAME);
  ck_assert(found);

  /* errors; stop; close while watching */
  ck_assert_int_eq(uv_fs_event_init(&loop, &e), 0);
  ck_assert_int_eq(uv_fs_event_start(&e, fs_event_cb, tpath("nope"), 0), UV_ENOENT);
  ck_assert_int_eq(uv_fs_event_start(&e, NULL, tmpdir, 0), UV_EINVAL);
  ck_assert_int_eq(uv_fs_event_start(&e, fs_event_cb, tmpdir, 0), 0);
  ck_assert_int_eq(uv_fs_event_stop(&e), 0);
  ck_assert_int_eq(uv_fs_event_stop(&e), 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&e), 0);
  ck_assert_int_eq(uv_fs_event_start(&e, fs_event_cb, tmpdir, 0), 0);
  write_file(tpath("more"), "1"); /* pending, never delivered: closed */
  ev_seen = 0;
  uv_close((uv_handle_t *)&e, NULL);
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(ev_seen, 0);
  rm_rf(tmpdir);
  uvtest_close_loop(&loop);
}
END_TEST

/* Handles share the loop's inotify descriptor and a path's watch. */
static uv_fs_event_t sh1, sh2;
static int sh1_calls, sh2_calls, sh2_b;

static void
shared1_cb(uv_fs_event_t *h, const char *filename, int events, int status)
{
  ck_assert_ptr_eq(h, &sh1);
  ck_assert_int_eq(status, 0);
  (void)events;
  ck_assert_str_eq(filename, "a");
  sh1_calls++;
  /* Stop itself in the dispatch: sh2, on the same watch, keeps it. */
  ck_assert_int_eq(uv_fs_event_stop(h), 0);
}

static void
shared2_cb(uv_fs_event_t *h, const char *filename, int events, int status)
{
  ck_assert_int_eq(status, 0);
  (void)events;
  sh2_calls++;
  if (strcmp(filename, "a") == 0 && !sh2_b) {
    sh2_b = 1;
    write_file(tpath("b"), "1");
  } else if (strcmp(filename, "b") == 0) {
    uv_close((uv_handle_t *)h, NULL);
    uv_close((uv_handle_t *)&sh1, NULL);
  }
}

static int closer_calls;

static void
closer_cb(uv_fs_event_t *h, const char *filename, int events, int status)
{
  (void)filename;
  (void)events;
  (void)status;
  closer_calls++;
  uv_close((uv_handle_t *)h, NULL);
}

START_TEST(test_fs_event_shared)
{
  enum { N = 200 };
  uv_loop_t loop;
  uv_fs_event_t *many;
  char name[16];
  int i;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  make_tmpdir();
  ck_assert_int_eq(uv_fs_event_init(&loop, &sh1), 0);
  ck_assert_int_eq(uv_fs_event_init(&loop, &sh2), 0);
  ck_assert_int_eq(uv_fs_event_start(&sh1, shared1_cb, tmpdir, 0), 0);
  ck_assert_int_eq(uv_fs_event_start(&sh2, shared2_cb, tmpdir, 0), 0);
  sh1_calls = sh2_calls = sh2_b = 0;
  write_file(tpath("a"), "1");
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(sh1_calls, 1);
  ck_assert_int_ge(sh2_calls, 2);

  /* More handles than a process has inotify instances by default (128). */
  many = calloc(N, sizeof *many);
  ck_assert_ptr_nonnull(many);
  for (i = 0; i < N; i++) {
    snprintf(name, sizeof name, "m%d", i);
    write_file(tpath(name), "1");
    ck_assert_int_eq(uv_fs_event_init(&loop, &many[i]), 0);
    ck_assert_int_eq(uv_fs_event_start(&many[i], closer_cb, tpath(name), 0), 0);
  }
  for (i = 0; i < N; i++)
    uv_close((uv_handle_t *)&many[i], NULL);
  uvtest_run(&loop, 10000);
  free(many);

  /* The last handle closed in its callback, more events in the same read:
   * no further call. */
  ck_assert_int_eq(uv_fs_event_init(&loop, &sh1), 0);
  ck_assert_int_eq(uv_fs_event_start(&sh1, closer_cb, tmpdir, 0), 0);
  write_file(tpath("c1"), "1");
  write_file(tpath("c2"), "1");
  closer_calls = 0;
  uvtest_run(&loop, 10000);
  ck_assert_int_eq(closer_calls, 1);
  rm_rf(tmpdir);
  uvtest_close_loop(&loop);
}
END_TEST

Suite *
uvtest_fs_suite(void)
{
  Suite *s = suite_create("uv-fs");
  TCase *tc = tcase_create("fs");

  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_fs_sync_calls);
  tcase_add_test(tc, test_fs_async_chain);
  tcase_add_test(tc, test_fs_many_bufs);
  tcase_add_test(tc, test_fs_scandir);
  tcase_add_test(tc, test_fs_readdir);
  tcase_add_test(tc, test_fs_copyfile);
  tcase_add_test(tc, test_fs_sendfile);
  tcase_add_test(tc, test_fs_mkstemp_mkdtemp);
  tcase_add_test(tc, test_work_basic);
  tcase_add_test(tc, test_work_cancel);
  tcase_add_test(tc, test_work_cancel_phase);
  tcase_add_test(tc, test_cancel_other_requests);
  tcase_add_test(tc, test_dns);
  tcase_add_test(tc, test_random);
  tcase_add_test(tc, test_fs_poll);
  tcase_add_test(tc, test_fs_poll_stop_waiting);
  tcase_add_test(tc, test_fs_event);
  tcase_add_test(tc, test_fs_event_shared);
  suite_add_tcase(s, tc);
  return s;
}
