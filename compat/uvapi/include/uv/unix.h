/* SPDX-License-Identifier: MIT */
/* Platform types of the libuv API on Unix, as the libfutures shim has them. */
#ifndef UV_UNIX_H
#define UV_UNIX_H

#include <sys/types.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <termios.h>
#include <pwd.h>
#include <semaphore.h>
#include <pthread.h>
#include <signal.h>

/*
 * The names and meanings are libuv's; the layouts are this library's
 * (binary compatibility with libuv is not a goal: rebuild the program).
 */

/* uv_buf_t - a borrowed buffer. The field order is libuv's on Unix, the
 * order of struct iovec, so an array of them can be handed to writev(2). */
typedef struct uv_buf_t {
    char *base;
    size_t len;
} uv_buf_t;

typedef int uv_file;
typedef int uv_os_sock_t;
typedef int uv_os_fd_t;
typedef pid_t uv_pid_t;

#define UV_ONCE_INIT PTHREAD_ONCE_INIT

typedef pthread_once_t uv_once_t;
typedef pthread_t uv_thread_t;
typedef pthread_mutex_t uv_mutex_t;
typedef pthread_rwlock_t uv_rwlock_t;
typedef sem_t uv_sem_t;
typedef pthread_cond_t uv_cond_t;
typedef pthread_key_t uv_key_t;
/* Not pthread_barrier_t, which strict POSIX levels leave out. */
typedef struct {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    unsigned int threshold;
    unsigned int in;
    unsigned int out;
} uv_barrier_t;

typedef gid_t uv_gid_t;
typedef uid_t uv_uid_t;

/* netdb.h has these only at some feature levels; uv_getnameinfo_t needs
 * them at all. The values are glibc's. */
#ifndef NI_MAXHOST
#define NI_MAXHOST 1025
#endif
#ifndef NI_MAXSERV
#define NI_MAXSERV 32
#endif

typedef struct dirent uv__dirent_t;

#define UV_DIR_PRIVATE_FIELDS DIR *dir;

#if defined(DT_UNKNOWN)
#define UV__DT_FILE DT_REG
#define UV__DT_DIR DT_DIR
#define UV__DT_LINK DT_LNK
#define UV__DT_FIFO DT_FIFO
#define UV__DT_SOCKET DT_SOCK
#define UV__DT_CHAR DT_CHR
#define UV__DT_BLOCK DT_BLK
#else
#define UV__DT_FILE 1
#define UV__DT_DIR 2
#define UV__DT_LINK 3
#define UV__DT_FIFO 4
#define UV__DT_SOCKET 5
#define UV__DT_CHAR 6
#define UV__DT_BLOCK 7
#endif

/* Open flags for uv_fs_open(): the platform's. */
#define UV_FS_O_APPEND O_APPEND
#define UV_FS_O_CREAT O_CREAT
#ifdef O_DIRECT
#define UV_FS_O_DIRECT O_DIRECT
#else
#define UV_FS_O_DIRECT 0
#endif
#ifdef O_DIRECTORY
#define UV_FS_O_DIRECTORY O_DIRECTORY
#else
#define UV_FS_O_DIRECTORY 0
#endif
#ifdef O_DSYNC
#define UV_FS_O_DSYNC O_DSYNC
#else
#define UV_FS_O_DSYNC 0
#endif
#define UV_FS_O_EXCL O_EXCL
#define UV_FS_O_EXLOCK 0
#ifdef O_NOATIME
#define UV_FS_O_NOATIME O_NOATIME
#else
#define UV_FS_O_NOATIME 0
#endif
#ifdef O_NOCTTY
#define UV_FS_O_NOCTTY O_NOCTTY
#else
#define UV_FS_O_NOCTTY 0
#endif
#ifdef O_NOFOLLOW
#define UV_FS_O_NOFOLLOW O_NOFOLLOW
#else
#define UV_FS_O_NOFOLLOW 0
#endif
#define UV_FS_O_NONBLOCK O_NONBLOCK
#define UV_FS_O_RDONLY O_RDONLY
#define UV_FS_O_RDWR O_RDWR
#define UV_FS_O_SYMLINK 0
#ifdef O_SYNC
#define UV_FS_O_SYNC O_SYNC
#else
#define UV_FS_O_SYNC 0
#endif
#define UV_FS_O_TRUNC O_TRUNC
#define UV_FS_O_WRONLY O_WRONLY
#define UV_FS_O_FILEMAP 0
#define UV_FS_O_RANDOM 0
#define UV_FS_O_SHORT_LIVED 0
#define UV_FS_O_SEQUENTIAL 0
#define UV_FS_O_TEMPORARY 0

#endif /* UV_UNIX_H */
