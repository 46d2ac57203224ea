/* Placeholders so the loop links before the areas land. Each area's
 * owner deletes its functions from here when it defines them. */
#include "internal.h"
void uv__poll_close(uv_poll_t *h) { (void)h; }
int uv__poll_fd(const uv_poll_t *h) { (void)h; return -1; }
void uv__udp_close(uv_udp_t *h) { (void)h; }
void uv__udp_finish_close(uv_udp_t *h) { (void)h; }
int uv__udp_fd(const uv_udp_t *h) { (void)h; return -1; }
void uv__signal_close(uv_signal_t *h) { (void)h; }
void uv__process_close(uv_process_t *h) { (void)h; }
