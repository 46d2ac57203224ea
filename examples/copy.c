/* SPDX-License-Identifier: MIT */
/* Example: copy SRC DST, a cp-like tool through the file API (futures/fs.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <futures.h>

/*
 * One async frame: stat the source, open both files on the blocking pool,
 * adopt them as fut_file objects and let fut_copy move the bytes (a read
 * into the 1 MiB buffer, a write out of it, until end of file, then a
 * flush), then fsync the destination. The cleanup block closes whatever
 * was opened, on every exit.
 */
#define COPY_BUF (1024 * 1024)

struct copy {
    FUT_FRAME;
    const char *src, *dst;
    struct stat st;
    int in_fd, out_fd;
    struct fut_file in, out;
    int in_open, out_open;
    union {
        struct fut_fs fs;
        struct fut_copy copy;
    } op;
    unsigned char buf[COPY_BUF];
};

FUT_ASYNC_FN(copy, struct copy, c, cx)
{
    int err;

    FUT_BEGIN(c, cx);
    FUT_AWAIT_TRY(&c->op.fs, fut_fs_stat_init(&c->op.fs, c->src, &c->st));
    if (S_ISDIR(c->st.st_mode))
        FUT_RETURN(-EISDIR);
    FUT_AWAIT_TRY(&c->op.fs, fut_fs_open_init(&c->op.fs, c->src, O_RDONLY, 0));
    c->in_fd = (int)c->op.fs.res;
    err = fut_file_from_fd(&c->in, c->in_fd, FUT_FD_OWN);
    if (err != 0) {             /* not a regular file: a pipe, a tty */
        close(c->in_fd);
        FUT_RETURN(err);
    }
    c->in_open = 1;
    FUT_AWAIT_TRY(&c->op.fs,
                  fut_fs_open_init(&c->op.fs, c->dst,
                                   O_WRONLY | O_CREAT | O_TRUNC,
                                   c->st.st_mode & 0777));
    c->out_fd = (int)c->op.fs.res;
    err = fut_file_from_fd(&c->out, c->out_fd, FUT_FD_OWN);
    if (err != 0) {
        close(c->out_fd);
        FUT_RETURN(err);
    }
    c->out_open = 1;
    FUT_AWAIT_TRY(&c->op.copy, fut_copy_init(&c->op.copy, &c->in.reader,
                                             &c->out.writer, c->buf,
                                             sizeof c->buf));
    FUT_AWAIT_TRY(&c->op.fs,
                  fut_fs_fsync_init(&c->op.fs, fut_file_fd(&c->out)));
    FUT_FINALLY;
    if (c->in_open)
        (void)fut_file_close(&c->in);
    if (c->out_open)
        (void)fut_file_close(&c->out);
    FUT_END;
}

int
main(int argc, char **argv)
{
    static struct copy c;   /* 1 MiB buffer: not on the stack */
    int err;

    if (argc != 3) {
        fprintf(stderr, "usage: copy SRC DST\n");
        return 2;
    }
    memset(&c, 0, offsetof(struct copy, buf));
    FUT_FRAME_INIT(&c, copy);
    c.src = argv[1];
    c.dst = argv[2];
    err = fut_run(&c.base);
    if (err == 0)
        err = fut_future_result(&c.base);
    fut_future_drop(&c.base);
    if (err != 0) {
        fprintf(stderr, "copy: %s -> %s: %s\n", argv[1], argv[2],
                fut_strerror(err));
        return 1;
    }
    return 0;
}
