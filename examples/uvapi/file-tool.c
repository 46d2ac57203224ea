/* SPDX-License-Identifier: MIT */
/*
 * file-tool: a plain libuv (1.44) program doing file work with
 * asynchronous uv_fs_* requests, each started from the previous one's
 * callback: make a temporary directory (uv_fs_mkdtemp), write a file,
 * copy it chunk by chunk (uv_fs_open/read/write/close), stat the copy,
 * read it back, make a subdirectory, rename the copy into it, list both
 * directories (uv_fs_scandir, names sorted), then remove everything.
 * It prints sizes, names and error names, never a path that varies, so
 * its output is the same on libuv and on any loop that implements
 * libuv's API (tests/uvapi/check-programs.sh compares them).
 *
 * Run it in a directory it may write to: the temporary directory is made
 * there (file-tool-XXXXXX) and removed at the end.
 *
 * Build: cc file-tool.c $(pkg-config --cflags --libs libuv)
 *   or   cc file-tool.c $(pkg-config --cflags --libs futures-uvapi futures-epoll)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#define FILE_SIZE 100000
#define CHUNK 8192

static uv_loop_t loop;
static uv_fs_t req;
static int step_no;
static char dir[256];
static char header[] = "file-tool test data\n";
static char *body;               /* FILE_SIZE - sizeof header + 1 bytes */
static char chunk[CHUNK];
static char *readback;
static uv_file src_fd = -1, dst_fd = -1;
static long long copied;
static int reads;
static int failed;

static void on_fs(uv_fs_t *r);

static const char *
path(const char *name)
{
  static char buf[2][512];
  static int which;
  which ^= 1;
  snprintf(buf[which], sizeof buf[which], "%s/%s", dir, name);
  return buf[which];
}

/* fail: an unexpected result; stop the chain (the loop then ends) */
static void
fail(const char *what, ssize_t result)
{
  printf("%s: unexpected %s (%s)\n", what, uv_err_name((int)result),
         uv_strerror((int)result));
  failed = 1;
}

struct entry {
  char name[64];
  uv_dirent_type_t type;
};

static int
cmp_names(const void *a, const void *b)
{
  const struct entry *x = a, *y = b;
  return strcmp(x->name, y->name);
}

/* print_listing: the entries of a finished scandir request, sorted. An
 * entry's name is valid only until the next uv_fs_scandir_next call, so
 * it is copied. */
static void
print_listing(uv_fs_t *r, const char *name)
{
  struct entry ents[16];
  int n = 0;
  uv_dirent_t ent;
  while (n < 16 && uv_fs_scandir_next(r, &ent) != UV_EOF) {
    snprintf(ents[n].name, sizeof ents[n].name, "%s", ent.name);
    ents[n++].type = ent.type;
  }
  qsort(ents, (size_t)n, sizeof ents[0], cmp_names);
  printf("scandir %s: %d entries\n", name, n);
  for (int i = 0; i < n; i++)
    printf("  %s %s\n", ents[i].name,
           ents[i].type == UV_DIRENT_DIR    ? "dir"
           : ents[i].type == UV_DIRENT_FILE ? "file"
                                            : "other");
}

/* step: handle the request that just finished (r, NULL at the start) and
 * start the next one. */
static void
step(uv_fs_t *r)
{
  ssize_t res = r ? r->result : 0;
  int rc = 0;

  switch (step_no++) {
  case 0:
    rc = uv_fs_mkdtemp(&loop, &req, "file-tool-XXXXXX", on_fs);
    break;
  case 1: {
    if (res < 0) {
      fail("mkdtemp", res);
      return;
    }
    /* req.path is the name made: the template with the Xs replaced */
    snprintf(dir, sizeof dir, "%s", r->path);
    printf("mkdtemp: ok, name %s the template\n",
           strlen(dir) == strlen("file-tool-XXXXXX") &&
           strncmp(dir, "file-tool-", 10) == 0 &&
           strcmp(dir, "file-tool-XXXXXX") != 0 ? "fills" : "does not fill");
    uv_fs_req_cleanup(r);
    rc = uv_fs_open(&loop, &req, path("source.txt"),
                    O_WRONLY | O_CREAT | O_TRUNC, 0644, on_fs);
    break;
  }
  case 2: {
    if (res < 0) {
      fail("open source.txt for writing", res);
      return;
    }
    src_fd = (uv_file)res;
    uv_fs_req_cleanup(r);
    uv_buf_t bufs[2] = {
      uv_buf_init(header, (unsigned int)strlen(header)),
      uv_buf_init(body, (unsigned int)(FILE_SIZE - strlen(header))),
    };
    rc = uv_fs_write(&loop, &req, src_fd, bufs, 2, 0, on_fs);
    break;
  }
  case 3:
    if (res < 0) {
      fail("write", res);
      return;
    }
    printf("wrote source.txt: %zd bytes from 2 buffers\n", res);
    uv_fs_req_cleanup(r);
    rc = uv_fs_close(&loop, &req, src_fd, on_fs);
    break;
  case 4:
    if (res < 0) {
      fail("close", res);
      return;
    }
    uv_fs_req_cleanup(r);
    rc = uv_fs_open(&loop, &req, path("source.txt"), O_RDONLY, 0, on_fs);
    break;
  case 5:
    if (res < 0) {
      fail("open source.txt", res);
      return;
    }
    src_fd = (uv_file)res;
    uv_fs_req_cleanup(r);
    rc = uv_fs_open(&loop, &req, path("copy.txt"),
                    O_WRONLY | O_CREAT | O_EXCL, 0644, on_fs);
    break;
  case 6:
    if (res < 0) {
      fail("open copy.txt", res);
      return;
    }
    dst_fd = (uv_file)res;
    uv_fs_req_cleanup(r);
    /* fall through to the copy loop: read at the current position */
  read_more: {
    step_no = 7;
    uv_buf_t b = uv_buf_init(chunk, CHUNK);
    rc = uv_fs_read(&loop, &req, src_fd, &b, 1, -1, on_fs);
    break;
  }
  case 7: {
    if (res < 0) {
      fail("read", res);
      return;
    }
    uv_fs_req_cleanup(r);
    reads++;
    if (res == 0) {
      printf("copied %lld bytes in %d reads (the last one at the end of file)\n",
             copied, reads);
      step_no = 9;
      rc = uv_fs_close(&loop, &req, src_fd, on_fs);
      break;
    }
    uv_buf_t b = uv_buf_init(chunk, (unsigned int)res);
    rc = uv_fs_write(&loop, &req, dst_fd, &b, 1, -1, on_fs);
    break;
  }
  case 8:
    if (res < 0) {
      fail("write copy", res);
      return;
    }
    copied += res;
    uv_fs_req_cleanup(r);
    goto read_more;
  case 9:
    if (res < 0) {
      fail("close source", res);
      return;
    }
    uv_fs_req_cleanup(r);
    rc = uv_fs_close(&loop, &req, dst_fd, on_fs);
    break;
  case 10:
    if (res < 0) {
      fail("close copy", res);
      return;
    }
    uv_fs_req_cleanup(r);
    rc = uv_fs_stat(&loop, &req, path("copy.txt"), on_fs);
    break;
  case 11:
    if (res < 0) {
      fail("stat copy.txt", res);
      return;
    }
    printf("stat copy.txt: size %llu, regular file %s, mode %o\n",
           (unsigned long long)r->statbuf.st_size,
           S_ISREG(r->statbuf.st_mode) ? "yes" : "no",
           (unsigned int)(r->statbuf.st_mode & 0644));
    uv_fs_req_cleanup(r);
    rc = uv_fs_stat(&loop, &req, path("missing.txt"), on_fs);
    break;
  case 12:
    printf("stat missing.txt: %s (%s)\n", uv_err_name((int)res),
           uv_strerror((int)res));
    uv_fs_req_cleanup(r);
    rc = uv_fs_open(&loop, &req, path("copy.txt"), O_RDONLY, 0, on_fs);
    break;
  case 13: {
    if (res < 0) {
      fail("open copy.txt", res);
      return;
    }
    dst_fd = (uv_file)res;
    uv_fs_req_cleanup(r);
    uv_buf_t b = uv_buf_init(readback, FILE_SIZE + 1);
    rc = uv_fs_read(&loop, &req, dst_fd, &b, 1, 0, on_fs);
    break;
  }
  case 14:
    if (res < 0) {
      fail("read copy.txt", res);
      return;
    }
    printf("read copy.txt back: %zd bytes, same as the source: %s\n", res,
           res == FILE_SIZE &&
           memcmp(readback, header, strlen(header)) == 0 &&
           memcmp(readback + strlen(header), body,
                  FILE_SIZE - strlen(header)) == 0 ? "yes" : "no");
    uv_fs_req_cleanup(r);
    rc = uv_fs_close(&loop, &req, dst_fd, on_fs);
    break;
  case 15:
    if (res < 0) {
      fail("close", res);
      return;
    }
    uv_fs_req_cleanup(r);
    rc = uv_fs_mkdir(&loop, &req, path("sub"), 0755, on_fs);
    break;
  case 16:
    if (res < 0) {
      fail("mkdir sub", res);
      return;
    }
    printf("mkdir sub: ok\n");
    uv_fs_req_cleanup(r);
    rc = uv_fs_mkdir(&loop, &req, path("sub"), 0755, on_fs);
    break;
  case 17:
    printf("mkdir sub again: %s\n", uv_err_name((int)res));
    uv_fs_req_cleanup(r);
    rc = uv_fs_rename(&loop, &req, path("copy.txt"), path("sub/renamed.txt"),
                      on_fs);
    break;
  case 18:
    if (res < 0) {
      fail("rename", res);
      return;
    }
    printf("rename copy.txt -> sub/renamed.txt: ok\n");
    uv_fs_req_cleanup(r);
    rc = uv_fs_scandir(&loop, &req, dir, 0, on_fs);
    break;
  case 19:
    if (res < 0) {
      fail("scandir", res);
      return;
    }
    print_listing(r, "the temporary directory");
    uv_fs_req_cleanup(r);
    rc = uv_fs_scandir(&loop, &req, path("sub"), 0, on_fs);
    break;
  case 20:
    if (res < 0) {
      fail("scandir sub", res);
      return;
    }
    print_listing(r, "sub");
    uv_fs_req_cleanup(r);
    rc = uv_fs_rmdir(&loop, &req, path("sub"), on_fs);
    break;
  case 21:
    printf("rmdir sub while it holds a file: %s\n", uv_err_name((int)res));
    uv_fs_req_cleanup(r);
    rc = uv_fs_unlink(&loop, &req, path("sub/renamed.txt"), on_fs);
    break;
  case 22:
    if (res < 0) {
      fail("unlink sub/renamed.txt", res);
      return;
    }
    uv_fs_req_cleanup(r);
    rc = uv_fs_unlink(&loop, &req, path("source.txt"), on_fs);
    break;
  case 23:
    if (res < 0) {
      fail("unlink source.txt", res);
      return;
    }
    printf("unlink sub/renamed.txt, source.txt: ok\n");
    uv_fs_req_cleanup(r);
    rc = uv_fs_rmdir(&loop, &req, path("sub"), on_fs);
    break;
  case 24:
    if (res < 0) {
      fail("rmdir sub", res);
      return;
    }
    uv_fs_req_cleanup(r);
    rc = uv_fs_rmdir(&loop, &req, dir, on_fs);
    break;
  case 25:
    if (res < 0) {
      fail("rmdir", res);
      return;
    }
    printf("rmdir sub and the temporary directory: ok\n");
    uv_fs_req_cleanup(r);
    rc = uv_fs_unlink(&loop, &req, path("source.txt"), on_fs);
    break;
  case 26:
    printf("unlink in the removed directory: %s\n", uv_err_name((int)res));
    uv_fs_req_cleanup(r);
    return; /* done: nothing is left to keep the loop running */
  }
  if (rc < 0)
    fail("starting the request", rc);
}

static void
on_fs(uv_fs_t *r)
{
  step(r);
}

int
main(void)
{
  body = malloc(FILE_SIZE);
  readback = malloc(FILE_SIZE + 1);
  if (!body || !readback)
    return 1;
  for (size_t i = 0; i < FILE_SIZE; i++)
    body[i] = (char)('a' + (i * 7 + i / 26) % 26);
  int r = uv_loop_init(&loop);
  if (r < 0) {
    fprintf(stderr, "uv_loop_init: %s\n", uv_strerror(r));
    return 1;
  }
  /* The synchronous form (no callback): the result comes back at once. */
  uv_fs_t sync;
  r = uv_fs_open(&loop, &sync, "file-tool-does-not-exist", O_RDONLY, 0, NULL);
  printf("sync open of a missing file: %s, req.result %s\n", uv_err_name(r),
         sync.result == r ? "the same" : "differs");
  uv_fs_req_cleanup(&sync);

  step(NULL);
  r = uv_run(&loop, UV_RUN_DEFAULT);
  printf("uv_run: %d\n", r);
  r = uv_loop_close(&loop);
  printf("uv_loop_close: %s\n", r == 0 ? "ok" : uv_err_name(r));
  free(body);
  free(readback);
  return failed || r != 0;
}
