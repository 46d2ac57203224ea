/* SPDX-License-Identifier: MIT */
/* Two children connected like sh -c 'A | B', on any backend. */

/*
 * Usage: pipeline [--direct] COMMAND-A COMMAND-B
 *
 * Runs each command with /bin/sh -c, A's stdout feeding B's stdin, B's
 * stdout and both stderrs going where the program's go, and exits with
 * B's status (as a shell pipeline does). For example:
 *
 *     pipeline "printf 'b\na\n'" sort        prints a, then b
 *
 * By default the bytes go through this process: A's stdout and B's stdin
 * are pipes to us, and a fut_copy future moves what A writes to B, then
 * closes B's stdin so that B sees end of file. With --direct, A's stdout
 * pipe is handed to B as its stdin (FUT_STDIO_FD), so the bytes never pass
 * through us: fut_fd_release() takes the read end back from its struct
 * fut_fd, blocking again, since B expects a blocking stdin.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <futures.h>

static int
spawn_sh(struct fut_process *p, const char *cmd, int in_mode, int in_fd,
         int out_mode)
{
    struct fut_process_options o;
    char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };

    memset(&o, 0, sizeof o);
    o.argv = argv;
    o.stdio[0].mode = in_mode;
    o.stdio[0].fd = in_fd;
    o.stdio[1].mode = out_mode;
    o.stdio[2].mode = FUT_STDIO_INHERIT;
    return fut_process_spawn(p, &o);
}

/* Wait for @p on @rt; returns its exit code (128 + signal if killed). */
static int
wait_for(struct fut_runtime *rt, struct fut_process *p, const char *name)
{
    struct fut_process_wait w;
    int code;

    fut_process_wait_init(&w, p);
    fut_block_on(rt, &w.base);
    if (w.res != 0) {
        fprintf(stderr, "pipeline: wait for %s: %s\n", name,
                fut_strerror(w.res));
        code = 1;
    } else {
        code = w.term_signal != 0 ? 128 + w.term_signal : w.exit_code;
    }
    fut_future_drop(&w.base);
    (void)fut_process_close(p);
    return code;
}

int
main(int argc, char **argv)
{
    struct fut_runtime rt;
    struct fut_process a, b;
    struct fut_copy copy;
    unsigned char buf[16384];
    int direct = 0, err, fd, code_b;

    if (argc == 4 && strcmp(argv[1], "--direct") == 0) {
        direct = 1;
        argv++;
        argc--;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: pipeline [--direct] COMMAND-A COMMAND-B\n");
        return 2;
    }
    err = fut_runtime_init_default(&rt);
    if (err != 0) {
        fprintf(stderr, "pipeline: runtime: %s\n", fut_strerror(err));
        return 1;
    }
    err = spawn_sh(&a, argv[1], FUT_STDIO_INHERIT, -1, FUT_STDIO_PIPE);
    if (err != 0) {
        fprintf(stderr, "pipeline: %s: %s\n", argv[1], fut_strerror(err));
        fut_runtime_close(&rt);
        return 1;
    }
    if (direct) {
        /* B reads A's pipe itself; we keep no end of it. */
        fd = fut_fd_release(&a.stdio[1]);
        err = fd < 0 ? fd : spawn_sh(&b, argv[2], FUT_STDIO_FD, fd,
                                     FUT_STDIO_INHERIT);
        if (fd >= 0)
            close(fd);
    } else {
        err = spawn_sh(&b, argv[2], FUT_STDIO_PIPE, -1, FUT_STDIO_INHERIT);
    }
    if (err != 0) {
        fprintf(stderr, "pipeline: %s: %s\n", argv[2], fut_strerror(err));
        (void)fut_process_close(&a); /* reaped in the background */
        fut_runtime_close(&rt);
        return 1;
    }
    if (!direct) {
        fut_copy_init(&copy, &a.stdio[1].reader, &b.stdio[0].writer, buf,
                      sizeof buf);
        fut_block_on(&rt, &copy.base);
        /* B gone early (-EPIPE) is how pipelines end: not an error. */
        if (copy.res != 0 && copy.res != -EPIPE)
            fprintf(stderr, "pipeline: copy: %s\n", fut_strerror(copy.res));
        fut_future_drop(&copy.base);
        /* B's end of file. */
        (void)fut_fd_close(&b.stdio[0]);
        (void)fut_fd_close(&a.stdio[1]);
    }
    (void)wait_for(&rt, &a, argv[1]);
    code_b = wait_for(&rt, &b, argv[2]);
    fut_runtime_close(&rt);
    return code_b;
}
