/* Placeholders so the loop links before the areas land. Each area's
 * owner deletes its functions from here when it defines them. */
#include "internal.h"
void uv__stream_close(uv_stream_t *h) { (void)h; }
void uv__stream_destroy(uv_stream_t *h) { (void)h; }
int uv__stream_fd(const uv_stream_t *h) { (void)h; return -1; }
void uv__fs_event_close(uv_fs_event_t *h) { (void)h; }
void uv__fs_poll_close(uv_fs_poll_t *h) { (void)h; }
int uv__work_cancel(uv_req_t *r) { (void)r; return UV_EINVAL; }
int uv__stream_open(uv_stream_t *s, int fd, unsigned int flags) { (void)s; (void)fd; (void)flags; return UV_ENOSYS; }
