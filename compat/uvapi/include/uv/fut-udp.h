/* SPDX-License-Identifier: MIT */
/* libuv API shim (compat/uvapi): the udp part of uv.h. Included by uv.h only. */
#ifndef UV_FUT_UDP_H
#define UV_FUT_UDP_H


struct uv_udp_s {
  UV_HANDLE_FIELDS
  size_t send_queue_size;
  size_t send_queue_count;
};

struct uv_udp_send_s {
  UV_REQ_FIELDS
  uv_udp_t *handle;
};

#endif /* UV_FUT_UDP_H */
