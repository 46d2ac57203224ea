/* SPDX-License-Identifier: MIT */
/* Macros shared by every libfutures header: visibility, C++ linkage, helpers. */
#ifndef FUTURES_COMMON_H
#define FUTURES_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define FUT__BEGIN_DECLS extern "C" {
#define FUT__END_DECLS }
#else
#define FUT__BEGIN_DECLS
#define FUT__END_DECLS
#endif

/*
 * FUT_API marks the public entry points. The libraries are built with
 * -fvisibility=hidden, so only what carries this attribute is exported.
 */
#if defined(__GNUC__) || defined(__clang__)
#define FUT_API __attribute__((visibility("default")))
#else
#define FUT_API
#endif

/**
 * FUT_CONTAINER_OF - the struct that holds a member.
 *
 * Objects in libfutures embed their interfaces (a `struct fut_future`, a
 * `struct fut_async_read`) as members; a vtable function receives a pointer
 * to the member and recovers its object with this macro.
 */
#define FUT_CONTAINER_OF(ptr, type, member)                                 \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Storage for opaque objects the caller provides (libdill style). */
#define FUT__STORAGE(nbytes)                                                \
    union {                                                                 \
        max_align_t align_;                                                 \
        unsigned char bytes_[nbytes];                                       \
    }

#endif /* FUTURES_COMMON_H */
