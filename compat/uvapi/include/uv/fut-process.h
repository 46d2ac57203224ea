/* SPDX-License-Identifier: MIT */
/* libuv API shim (compat/uvapi): the process part of uv.h. Included by uv.h only. */
#ifndef UV_FUT_PROCESS_H
#define UV_FUT_PROCESS_H


struct uv_process_s {
  UV_HANDLE_FIELDS
  uv_exit_cb exit_cb;
  int pid;
};

struct uv_signal_s {
  UV_HANDLE_FIELDS
  uv_signal_cb signal_cb;
  int signum;
};

#endif /* UV_FUT_PROCESS_H */
