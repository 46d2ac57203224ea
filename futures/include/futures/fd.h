/* SPDX-License-Identifier: MIT */
/* Any pollable descriptor (pipe, FIFO, TTY, socket) as AsyncRead/Write. */
#ifndef FUTURES_FD_H
#define FUTURES_FD_H

#include "future.h"
#include "io.h"
#include "reactor.h"

FUT__BEGIN_DECLS

/*
 * A struct fut_fd adopts a descriptor the program already has (a pipe
 * end, a FIFO, a terminal, stdin or stdout, a socket of any family) and
 * makes it an AsyncRead (@reader) and an AsyncWrite (@writer) over the
 * reactor, so it works on every backend. It binds to the runtime of the
 * first context that polls it (see struct fut_io) and is used on that
 * runtime's thread only.
 *
 * O_NONBLOCK is set on adoption and put back as it was on close, in both
 * modes. The flag belongs to the open file description, which other
 * descriptors (dup(2), a parent shell's terminal) share: while a struct
 * fut_fd holds it, they see a nonblocking descriptor too.
 *
 * Writes never raise SIGPIPE: sockets are written with send(2) and
 * MSG_NOSIGNAL; other descriptors with SIGPIPE blocked in the calling
 * thread for the duration of the write, and a SIGPIPE that write raised
 * is taken back before it is unblocked. A reader that went away is
 * -EPIPE. (If the thread had SIGPIPE blocked already, it is left as the
 * program arranged it: a pending SIGPIPE stays pending.)
 *
 * Regular files and directories cannot be polled (their readiness is
 * always "ready", and epoll refuses them): adopting one is -ENOTSUP (a
 * regular file or a block device; use the file API, fut_file_from_fd(),
 * which runs file I/O on the blocking pool) or -EISDIR. Some character
 * devices (/dev/null, /dev/zero) cannot be polled either: their first
 * poll is READY with the backend's refusal (-EPERM on epoll).
 */

/** Adoption modes (the @flags of fut_fd_init()); exactly one of them. */
enum fut_fd_flags {
    FUT_FD_OWN = 1u << 0,   /* fut_fd_close() closes the descriptor */
    FUT_FD_BORROW = 1u << 1 /* fut_fd_close() leaves it open, as it was */
};

/**
 * struct fut_fd - an adopted descriptor: an AsyncRead (@reader) and an
 * AsyncWrite (@writer). The descriptor is io.fd (-1 when closed), which
 * may be read; every other field is private. Reads and writes spend coop
 * budget. Reads and writes are cancel-safe (a PENDING poll moved nothing).
 * Pinned from the first poll on.
 */
struct fut_fd {
    struct fut_async_read reader;
    struct fut_async_write writer;
    struct fut_io io;
    unsigned int priv; /* private: mode, kind, the O_NONBLOCK it had */
};

/**
 * fut_fd_init - adopt @fd as @f.
 * @flags: FUT_FD_OWN or FUT_FD_BORROW (see enum fut_fd_flags).
 *
 * @f is written whatever it held, so it must not be an open object (its
 * descriptor would leak); fresh storage needs no preparation.
 * Sets O_NONBLOCK (remembering whether it was set). Nothing is registered
 * until the first poll. On failure @f is a closed object (operations
 * answer -EBADF, closing it is -EBADF and harmless) and @fd is left as it
 * was, open, in both modes: the caller still owns it.
 * Returns 0, or -EINVAL (NULL @f, a negative @fd, bad @flags), -EBADF
 * (@fd is not an open descriptor), -ENOTSUP (a regular file or a block
 * device: see fut_file_from_fd()), -EISDIR (a directory), or the -errno
 * of fstat(2) or fcntl(2). Any thread, on storage no other thread uses.
 */
FUT_API int fut_fd_init(struct fut_fd *f, int fd, unsigned int flags);

/**
 * fut_fd_pipe - a new pipe as two adopted, owned objects: what @w writes,
 * @r reads. Both descriptors are nonblocking and close-on-exec.
 * Returns 0, -EINVAL (NULL or the same object twice), -EMFILE / -ENFILE.
 * On failure both are closed objects and nothing is left open. (Not to be
 * confused with fut_pipe_new(), an in-memory pipe with no descriptor.)
 */
FUT_API int fut_fd_pipe(struct fut_fd *r, struct fut_fd *w);

/**
 * fut_fd_close - deregister @f; close the descriptor if it is owned, or,
 * when borrowed, leave it open. Either way, O_NONBLOCK is put back as it
 * was at adoption. A task still waiting on @f (a pending read or write)
 * is woken, and its next poll answers -EBADF; @f itself must stay in place
 * until the futures that borrow it are dropped.
 * Returns 0, or -EINVAL (NULL) or -EBADF (already closed, or never
 * adopted). Runtime thread (or any thread before the first poll).
 */
FUT_API int fut_fd_close(struct fut_fd *f);

/**
 * fut_fd_release - as fut_fd_close(), but hand the descriptor back open,
 * whatever the mode: returns it (>= 0), its O_NONBLOCK put back, the
 * caller's to close. -EINVAL (NULL) or -EBADF (closed). Waiting tasks
 * are woken as by fut_fd_close(). The runtime's registration is gone, so
 * the descriptor's other watchers (a libev program's own ev_io on it, say)
 * are left as they were.
 */
FUT_API int fut_fd_release(struct fut_fd *f);

/*
 * The trait semantics for a struct fut_fd:
 * - poll_read / poll_readv: read(2) / readv(2). 0 is end of file (a pipe
 *   whose every writer closed, a socket shut down, a terminal's ^D).
 * - poll_write / poll_writev: write(2) / writev(2) (send(2) / sendmsg(2)
 *   on a socket). -EPIPE when the reader is gone; never SIGPIPE.
 * - poll_flush: 0 (nothing is buffered in user space).
 * - poll_close: a socket is shut down for writing (shutdown(SHUT_WR)); an
 *   owned non-socket descriptor (a pipe's write end) is closed, as
 *   fut_fd_close() does, since closing is the only way its reader sees end
 *   of file (fut_fd_close() then answers 0 once, with nothing left to do);
 *   a borrowed non-socket descriptor is left open (its owner decides),
 *   and the result is 0.
 * A closed object answers -EBADF everywhere.
 */

FUT__END_DECLS

#endif /* FUTURES_FD_H */
