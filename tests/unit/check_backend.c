/* SPDX-License-Identifier: MIT */
/* Unit tests: backend vtable versions, the call wrappers, fut_sys_*. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "support.h"
#include "internal.h"

/*
 * A do-nothing backend. Its table is copied into heap memory of exactly
 * the size a table of the version under test has, so that under ASan or
 * valgrind a read past a version-1 table (its schedule slot) is an error.
 */
struct v1_backend_vtable {
    unsigned int version;
    const char *name;
    size_t size;
    int (*init)(struct fut_backend *be, const struct fut_backend_config *c);
    void (*fini)(struct fut_backend *be);
    int (*io_start)(struct fut_backend *be, struct fut_io *io,
                    unsigned int interest);
    int (*io_update)(struct fut_backend *be, struct fut_io *io,
                     unsigned int interest);
    void (*io_stop)(struct fut_backend *be, struct fut_io *io);
    int (*notify)(struct fut_backend *be);
    int (*turn)(struct fut_backend *be, int64_t deadline_ns);
    int (*attach)(struct fut_backend *be, void *loop);
};

static int inits, finis, schedules;

static int
nb_init(struct fut_backend *be, const struct fut_backend_config *c)
{
    (void)be;
    (void)c;
    inits++;
    return 0;
}

static void
nb_fini(struct fut_backend *be)
{
    (void)be;
    finis++;
}

static int
nb_io_start(struct fut_backend *be, struct fut_io *io, unsigned int interest)
{
    (void)be;
    (void)io;
    (void)interest;
    return 0;
}

static void
nb_io_stop(struct fut_backend *be, struct fut_io *io)
{
    (void)be;
    (void)io;
}

static int
nb_notify(struct fut_backend *be)
{
    (void)be;
    return 0;
}

static int
nb_turn(struct fut_backend *be, int64_t deadline_ns)
{
    (void)be;
    (void)deadline_ns;
    return 0;
}

static void
nb_schedule(struct fut_backend *be)
{
    (void)be;
    schedules++;
}

static int
nb_embed_fd(struct fut_backend *be)
{
    (void)be;
    return 42;
}

static const struct fut_backend_vtable nb_vtable = {
    .version = FUT_BACKEND_VTABLE_VERSION,
    .name = "null",
    .size = sizeof(struct fut_backend),
    .init = nb_init,
    .fini = nb_fini,
    .io_start = nb_io_start,
    .io_update = NULL,
    .io_stop = nb_io_stop,
    .notify = nb_notify,
    .turn = nb_turn,
    .attach = NULL,
    .schedule = nb_schedule,
    .embed_fd = nb_embed_fd,
};

/* A heap copy of nb_vtable cut to @size bytes, with @version. */
static struct fut_backend_vtable *
table_copy(unsigned int version, size_t size)
{
    struct fut_backend_vtable *vt = malloc(size);

    ck_assert_ptr_nonnull(vt);
    memcpy(vt, &nb_vtable, size);
    vt->version = version;
    return vt;
}

static void
backend_setup(void)
{
    inits = 0;
    finis = 0;
    schedules = 0;
}

static void
backend_teardown(void)
{
    fut__sys_reset();
}

START_TEST(test_backend_versions)
{
    struct fut_backend_vtable *v1 =
        table_copy(1, sizeof(struct v1_backend_vtable));
    struct fut_backend_vtable *v2 =
        table_copy(2, sizeof(struct fut_backend_vtable));
    struct fut_backend_vtable *v0 =
        table_copy(0, sizeof(struct fut_backend_vtable));
    struct fut_backend_vtable *v4 =
        table_copy(FUT_BACKEND_VTABLE_VERSION + 1,
                   sizeof(struct fut_backend_vtable));
    struct fut_runtime rt;
    struct fut_ready r;

    ck_assert_int_eq(FUT_BACKEND_VTABLE_VERSION, 5);
    ck_assert_int_eq(fut_runtime_init(&rt, v0, NULL), -EINVAL);
    ck_assert_int_eq(fut_runtime_init(&rt, v4, NULL), -EINVAL);
    ck_assert_int_eq(inits, 0);
    /* Both known versions run a future and close. */
    ck_assert_int_eq(fut_runtime_init(&rt, v1, NULL), 0);
    fut_ready_init(&r, 0);
    ck_assert_int_eq(fut_block_on(&rt, &r.base), 0);
    fut_future_drop(&r.base);
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(fut_runtime_init(&rt, v2, NULL), 0);
    ck_assert_str_eq(fut_runtime_backend_name(&rt), "null");
    ck_assert_int_eq(fut_runtime_close(&rt), 0);
    ck_assert_int_eq(inits, 2);
    ck_assert_int_eq(finis, 2);
    /* No attach slot: attached mode is refused. */
    ck_assert_int_eq(fut_runtime_init_attached(&rt, v2, &rt), -ENOTSUP);
    free(v0);
    free(v1);
    free(v2);
    free(v4);
}
END_TEST

START_TEST(test_backend_wrappers)
{
    struct fut_backend_vtable *v1 =
        table_copy(1, sizeof(struct v1_backend_vtable));
    struct fut_backend be1 = { v1, NULL };
    struct fut_backend be2 = { &nb_vtable, NULL };
    struct fut_io io;

    ck_assert_int_eq(fut_io_init(&io, 0), 0);
    ck_assert(fut__backend_vtable_ok(v1));
    ck_assert(fut__backend_vtable_ok(&nb_vtable));
    /* NULL slots: the defaults. */
    ck_assert_int_eq(fut__backend_io_update(&be2, &io, FUT_IO_READABLE), 0);
    ck_assert_int_eq(fut__backend_attach(&be2, &io), -ENOTSUP);
    /* A version-1 table has no schedule slot, and it is not read. */
    ck_assert(!fut__backend_has_schedule(v1));
    fut__backend_schedule(&be1);
    ck_assert_int_eq(schedules, 0);
    ck_assert(fut__backend_has_schedule(&nb_vtable));
    fut__backend_schedule(&be2);
    ck_assert_int_eq(schedules, 1);
    ck_assert_int_eq(fut__backend_turn(&be2, -1), 0);
    ck_assert_int_eq(fut__backend_notify(&be2), 0);
    /* embed_fd (version 4): a version-3 table ends before the slot and
     * is not read past its end (ASan would see it); NULL or absent is
     * -ENOTSUP. */
    {
        struct fut_backend_vtable *v3 = table_copy(
            3, offsetof(struct fut_backend_vtable, embed_fd));
        struct fut_backend be3 = { v3, NULL };

        ck_assert_int_eq(fut__backend_embed_fd(&be3), -ENOTSUP);
        ck_assert_int_eq(fut__backend_embed_fd(&be2), 42);
        free(v3);
    }
    /* fork (version 5): a version-4 table ends before the slot and is not
     * read past its end; NULL or absent is -ENOTSUP, and so is
     * fut_runtime_fork() on such a runtime. */
    {
        struct fut_backend_vtable *v4 =
            table_copy(4, offsetof(struct fut_backend_vtable, fork));
        struct fut_backend be4 = { v4, NULL };
        struct fut_runtime rt;

        ck_assert(!fut__backend_has_fork(v4));
        ck_assert_int_eq(fut__backend_fork(&be4), -ENOTSUP);
        ck_assert_int_eq(fut__backend_fork(&be2), -ENOTSUP);
        ck_assert_int_eq(fut_runtime_init(&rt, v4, NULL), 0);
        ck_assert_int_eq(fut_runtime_fork(&rt), -ENOTSUP);
        ck_assert_int_eq(fut_runtime_close(&rt), 0);
        free(v4);
    }
    free(v1);
}
END_TEST

static int fake_errno;

static ssize_t
fake_read(int fd, void *buf, size_t len)
{
    (void)fd;
    (void)buf;
    (void)len;
    errno = fake_errno;
    return -1;
}

static int
fake_close(int fd)
{
    (void)fd;
    errno = fake_errno;
    return -1;
}

/* The exported wrappers reach the one table (what tests override) and
 * turn the libc convention into negative errno values. */
START_TEST(test_backend_sys_wrappers)
{
    int p[2];
    char c = 'x';
    struct epoll_event ev;

    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(fut_sys_write(p[1], &c, 1), 1);
    c = 0;
    ck_assert_int_eq(fut_sys_read(p[0], &c, 1), 1);
    ck_assert_int_eq(c, 'x');
    fut__sys.read = fake_read;
    fake_errno = EINTR;
    ck_assert_int_eq(fut_sys_read(p[0], &c, 1), -EINTR);
    /* A double that forgets errno still reports a failure. */
    fake_errno = 0;
    ck_assert_int_eq(fut_sys_read(p[0], &c, 1), -EIO);
    fut__sys.close = fake_close;
    fake_errno = EBADF;
    ck_assert_int_eq(fut_sys_close(p[0]), -EBADF);
    fut__sys_reset();
    ck_assert_int_eq(fut_sys_close(p[0]), 0);
    ck_assert_int_eq(fut_sys_close(p[1]), 0);
    ck_assert_int_eq(fut_sys_close(p[1]), -EBADF);
    ck_assert_int_eq(fut_sys_epoll_wait(-1, &ev, 1, 0), -EBADF);
}
END_TEST

Suite *
fut_test_backend_suite(void)
{
    Suite *s = suite_create("backend");
    TCase *tc = tcase_create("contract");

    tcase_add_checked_fixture(tc, backend_setup, backend_teardown);
    tcase_add_test(tc, test_backend_versions);
    tcase_add_test(tc, test_backend_wrappers);
    tcase_add_test(tc, test_backend_sys_wrappers);
    suite_add_tcase(s, tc);
    return s;
}
