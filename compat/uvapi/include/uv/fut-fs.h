/* SPDX-License-Identifier: MIT */
/* libuv API shim (compat/uvapi): the fs part of uv.h. Included by uv.h only. */
#ifndef UV_FUT_FS_H
#define UV_FUT_FS_H


struct uv_fs_s {
  UV_REQ_FIELDS
  int fs_type;
  uv_loop_t *loop;
  uv_fs_cb cb;
  ssize_t result;
  void *ptr;
  const char *path;
  uv_stat_t statbuf;
};

struct uv_work_s {
  UV_REQ_FIELDS
  uv_loop_t *loop;
  uv_work_cb work_cb;
  uv_after_work_cb after_work_cb;
};

struct uv_getaddrinfo_s {
  UV_REQ_FIELDS
  uv_loop_t *loop;
  struct addrinfo *addrinfo;
};

struct uv_getnameinfo_s {
  UV_REQ_FIELDS
  uv_loop_t *loop;
  char host[NI_MAXHOST];
  char service[NI_MAXSERV];
};

typedef struct uv_random_s uv_random_t;
struct uv_random_s {
  UV_REQ_FIELDS
  uv_loop_t *loop;
};

struct uv_fs_poll_s {
  UV_HANDLE_FIELDS
};

struct uv_fs_event_s {
  UV_HANDLE_FIELDS
  char *path;
};

#endif /* UV_FUT_FS_H */
