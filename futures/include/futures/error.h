/* SPDX-License-Identifier: MIT */
/* Error codes: negative errno values, with names and messages. */
#ifndef FUTURES_ERROR_H
#define FUTURES_ERROR_H

#include <errno.h>

#include "common.h"

FUT__BEGIN_DECLS

/*
 * Every libfutures function that can fail returns 0 (or a count) on success
 * and a negative errno value on failure: -EINVAL for a NULL or otherwise bad
 * argument, -ENOMEM when an allocation failed, -ECANCELED for an aborted task,
 * -ETIMEDOUT for a missed deadline, and the kernel's own codes for I/O.
 * Nothing aborts, nothing sets a global error state, and nothing asks the
 * caller to read errno afterwards.
 *
 * FUT_ERRNO_MAP lists the codes libfutures knows by name. It is an X-macro:
 * X(name, message).
 */
#define FUT_ERRNO_MAP(X)                                                    \
    X(EPERM, "operation not permitted")                                     \
    X(ENOENT, "no such file or directory")                                  \
    X(EINTR, "interrupted system call")                                     \
    X(EIO, "i/o error")                                                     \
    X(EBADF, "bad file descriptor")                                         \
    X(EAGAIN, "resource temporarily unavailable")                           \
    X(ENOMEM, "not enough memory")                                          \
    X(EACCES, "permission denied")                                          \
    X(EFAULT, "bad address in system call argument")                        \
    X(EBUSY, "resource busy or locked")                                     \
    X(EEXIST, "file already exists")                                        \
    X(EXDEV, "object belongs to another runtime")                           \
    X(EINVAL, "invalid argument")                                           \
    X(ENFILE, "file table overflow")                                        \
    X(EMFILE, "too many open files")                                        \
    X(ENOSPC, "no space left on device")                                    \
    X(EPIPE, "broken pipe")                                                 \
    X(ERANGE, "result too large")                                           \
    X(ENOSYS, "function not implemented")                                   \
    X(ENODATA, "unexpected end of stream")                                  \
    X(EOVERFLOW, "value too large for defined data type")                   \
    X(EPROTO, "protocol error")                                             \
    X(EMSGSIZE, "message too long")                                         \
    X(ENOTSOCK, "socket operation on non-socket")                           \
    X(EPROTONOSUPPORT, "protocol not supported")                            \
    X(ENOTSUP, "operation not supported")                                   \
    X(EAFNOSUPPORT, "address family not supported")                         \
    X(EADDRINUSE, "address already in use")                                 \
    X(EADDRNOTAVAIL, "address not available")                               \
    X(ENETDOWN, "network is down")                                          \
    X(ENETUNREACH, "network is unreachable")                                \
    X(ECONNABORTED, "software caused connection abort")                     \
    X(ECONNRESET, "connection reset by peer")                               \
    X(ENOBUFS, "no buffer space available")                                 \
    X(EISCONN, "socket is already connected")                               \
    X(ENOTCONN, "socket is not connected")                                  \
    X(ESHUTDOWN, "cannot send after transport endpoint shutdown")           \
    X(ETIMEDOUT, "operation timed out")                                     \
    X(ECONNREFUSED, "connection refused")                                   \
    X(EHOSTUNREACH, "host is unreachable")                                  \
    X(EALREADY, "operation already in progress")                            \
    X(EINPROGRESS, "operation in progress")                                 \
    X(ECANCELED, "operation canceled")

/**
 * fut_strerror - a human-readable message for an error code.
 * @err: a negative errno value, as libfutures returns (a positive one is
 *       accepted too), or 0.
 *
 * Returns a static string; "success" for 0 and "unknown error" for a code
 * not in FUT_ERRNO_MAP. Any thread may call it.
 */
FUT_API const char *fut_strerror(int err);

/**
 * fut_err_name - the symbolic name of an error code ("ECONNRESET").
 *
 * Returns a static string; "OK" for 0 and "UNKNOWN" for a code not in
 * FUT_ERRNO_MAP. Any thread may call it.
 */
FUT_API const char *fut_err_name(int err);

FUT__END_DECLS

#endif /* FUTURES_ERROR_H */
