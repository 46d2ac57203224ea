/* SPDX-License-Identifier: MIT */
/* Example: resolve host names on the blocking pool and print each address. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <futures.h>

/*
 * Usage: resolve HOST...
 * Prints one line per address, "HOST ADDRESS", IPv6 and IPv4, as the
 * resolver ordered them (stream sockets only, so each address once).
 * Every lookup runs at the same time: they are spawned as tasks, each a
 * struct fut_getaddrinfo, and the runtime awaits them all. A name that
 * does not resolve prints "HOST: MESSAGE (EAI name)" on stderr.
 * Exit status: 0 if every name resolved, 1 if one did not, 2 for usage.
 */

#define MAX_HOSTS 64

static const char *
eai_name(int eai)
{
    switch (eai) {
    case EAI_NONAME: return "EAI_NONAME";
    case EAI_AGAIN: return "EAI_AGAIN";
    case EAI_FAIL: return "EAI_FAIL";
    case EAI_FAMILY: return "EAI_FAMILY";
    case EAI_MEMORY: return "EAI_MEMORY";
    case EAI_SYSTEM: return "EAI_SYSTEM";
    case 0: return "no resolver error";
    default: return "EAI_?";
    }
}

static int
print_list(const char *host, const struct addrinfo *ai)
{
    char buf[INET6_ADDRSTRLEN];
    const void *a;

    for (; ai != NULL; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET6)
            a = &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
        else if (ai->ai_family == AF_INET)
            a = &((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
        else
            continue;
        if (inet_ntop(ai->ai_family, a, buf, sizeof buf) == NULL)
            return -1;
        printf("%s %s\n", host, buf);
    }
    return 0;
}

int
main(int argc, char **argv)
{
    static struct fut_getaddrinfo lookups[MAX_HOSTS];
    struct fut_task *tasks[MAX_HOSTS];
    struct fut_runtime rt;
    struct addrinfo hints;
    int i, n = argc - 1, err, status = 0;

    if (n < 1 || n > MAX_HOSTS) {
        fprintf(stderr, "usage: resolve HOST... (at most %d)\n", MAX_HOSTS);
        return 2;
    }
    err = fut_runtime_init_default(&rt);
    if (err != 0) {
        fprintf(stderr, "runtime: %s\n", fut_strerror(err));
        return 1;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    for (i = 0; i < n; i++) {
        tasks[i] = NULL;
        err = fut_getaddrinfo_init(&lookups[i], argv[i + 1], NULL, &hints);
        if (err == 0)
            err = fut_spawn(&rt, &lookups[i].base, sizeof lookups[i],
                            &tasks[i]);
        if (err != 0) {
            fprintf(stderr, "%s: %s\n", argv[i + 1], fut_strerror(err));
            status = 1;
        }
    }
    /* Run until every lookup has finished. */
    err = fut_runtime_run(&rt);
    for (i = 0; i < n; i++) {
        struct fut_getaddrinfo *g;

        if (tasks[i] == NULL)
            continue;
        g = fut_task_output(tasks[i]);
        if (g == NULL) {
            fprintf(stderr, "%s: %s\n", argv[i + 1],
                    fut_strerror(fut_task_result(tasks[i])));
            status = 1;
        } else if (g->res != 0) {
            fprintf(stderr, "%s: %s (%s)\n", argv[i + 1],
                    fut_strerror(g->res), eai_name(g->eai));
            status = 1;
        } else if (print_list(argv[i + 1], g->ai) != 0) {
            status = 1;
        }
        if (g != NULL)
            fut_freeaddrinfo(g->ai);
        fut_task_detach(tasks[i]);
    }
    fut_runtime_close(&rt);
    return err < 0 ? 1 : status;
}
