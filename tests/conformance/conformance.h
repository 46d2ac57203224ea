/* SPDX-License-Identifier: MIT */
/* The conformance suite: written once against the public API, linked with each backend. */
#ifndef FUT_CONFORMANCE_H
#define FUT_CONFORMANCE_H

#include <check.h>
#include <futures.h>

#include "support.h"

/* The runtime each test uses, on fut_backend_default(): conf_setup()
 * initialises it, conf_teardown() asserts that no task, timer or I/O
 * registration is left and closes it. Use them as a checked fixture:
 *     tcase_add_checked_fixture(tc, conf_setup, conf_teardown);   */
extern struct fut_runtime conf_rt;
void conf_setup(void);
void conf_teardown(void);

/* Descriptors open in this process now (/proc/self/fd); conf_teardown()
 * checks the count is back to what conf_setup() saw. */
int conf_fd_count(void);

/* A multiplier for timing-sensitive waits (larger under valgrind). */
int conf_slow_factor(void);

/* @n, or a tenth of it (at least 1) under valgrind (FUT_TEST_SLOW): for
 * the counts of the "many at once" tests, whose point is concurrency, not
 * the number, and which valgrind runs one thread at a time. */
int conf_scaled(int n);

/*
 * CONF_SKIP(why) - end the calling test as skipped (a TAP "# SKIP why")
 * because what it needs is missing here, such as an IPv6 loopback. Does
 * not return. Only for a missing facility, never for a result that is
 * merely unexpected. Check has no skip: this is a failure whose message
 * starts with CONF_SKIP_TAG, which main() reports as a skip.
 */
#define CONF_SKIP_TAG "conf_skip: "
#define CONF_SKIP(why) ck_abort_msg(CONF_SKIP_TAG "%s", (why))

Suite *fut_conf_blocking_suite(void);
/* Helpers shared by the suites (conf_osutil.c). */
/* Drive @child on conf_rt for up to @n polls; 1 if it became READY. The
 * child is not dropped. */
int conf_drive(struct fut_future *child, int n);
/* One read future / read until EOF (NUL-terminated) / write_all future,
 * driven by conf_rt. */
ssize_t conf_read_some(struct fut_async_read *r, void *buf, size_t len);
ssize_t conf_read_to_end(struct fut_async_read *r, char *buf, size_t cap);
int conf_write_all(struct fut_async_write *w, const void *buf, size_t len);
/* Teardown check: no reaper thread left, no child (waitpid(-1) says
 * ECHILD), no signal listener open. */
void conf_no_children(void);
/* A context over the noop waker and conf_rt. */
struct fut_context conf_noop_cx(void);
/* Turn conf_rt (no task is waiting) until @tw was woken more than @wakes
 * times in all. */
void conf_turn_until_woken(struct test_waker *tw, int wakes);

/*
 * Fault injection through the fut__sys table (internal.h). Use
 * conf_sys_setup/conf_sys_teardown as the fixture: they restore the real
 * syscalls around the test and save them in conf_real_sys. A test swaps an
 * entry for one of the conf_fault_* doubles and arms it with
 * conf_fault_set(fd, err, count): the next @count calls on @fd (-1: on
 * any) fail with @err, counted in conf_fault_hits; the rest go to the real
 * call.
 */
struct fut__syscalls;
extern struct fut__syscalls conf_real_sys;
extern int conf_fault_hits;
void conf_sys_setup(void);
void conf_sys_teardown(void);
void conf_fault_set(int fd, int err, int count);
/* 1 (errno set, the fault counted) if the call on @fd is to fail. */
int conf_fault_now(int fd);
int conf_fault_accept4(int fd, struct sockaddr *addr, socklen_t *len,
                       int flags);
ssize_t conf_fault_read(int fd, void *buf, size_t len);
ssize_t conf_fault_send(int fd, const void *buf, size_t len, int flags);
int conf_fault_socket(int domain, int type, int protocol);
int conf_fault_connect(int fd, const struct sockaddr *addr, socklen_t len);
int conf_fault_openat(int dirfd, const char *path, int flags, mode_t mode);
int conf_fault_bind(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t conf_fault_sendto(int fd, const void *buf, size_t len, int flags,
                          const struct sockaddr *addr, socklen_t alen);
ssize_t conf_fault_recvfrom(int fd, void *buf, size_t len, int flags,
                            struct sockaddr *addr, socklen_t *alen);
ssize_t conf_fault_recvmsg(int fd, struct msghdr *msg, int flags);
/* Drive @child on conf_rt until it is READY (returns its result) or until
 * a fault was injected and it went back to waiting (returns 1). The child
 * is not dropped. */
int conf_fault_probe(struct fut_future *child);

Suite *fut_conf_channel_suite(void);
Suite *fut_conf_combinators_suite(void);
Suite *fut_conf_coro_suite(void);
Suite *fut_conf_dns_suite(void);
Suite *fut_conf_embed_suite(void);
Suite *fut_conf_executor_suite(void);
Suite *fut_conf_fork_suite(void);
Suite *fut_conf_fs_suite(void);
Suite *fut_conf_fd_suite(void);
Suite *fut_conf_process_suite(void);
Suite *fut_conf_scope_suite(void);
Suite *fut_conf_signal_suite(void);
Suite *fut_conf_tcp_suite(void);
Suite *fut_conf_threads_suite(void);
Suite *fut_conf_timer_suite(void);
Suite *fut_conf_udp_suite(void);
Suite *fut_conf_unix_suite(void);

#endif
