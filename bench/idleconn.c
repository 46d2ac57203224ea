/* SPDX-License-Identifier: MIT */
/* Opens N connections to 127.0.0.1:PORT and holds them idle until stdin closes or a timeout. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * usage: idleconn PORT N SECONDS
 * Prints "connected N" once every connection is established (each one has
 * sent and received one byte, so the server has accepted it and set it
 * up), then holds them for SECONDS and exits.
 */
int
main(int argc, char **argv)
{
    struct sockaddr_in a;
    struct rlimit rl;
    int port, n, secs, i;
    int *fds;

    if (argc != 4) {
        fprintf(stderr, "usage: %s PORT N SECONDS\n", argv[0]);
        return 2;
    }
    port = atoi(argv[1]);
    n = atoi(argv[2]);
    secs = atoi(argv[3]);
    if (port <= 0 || port > 65535 || n <= 0 || secs <= 0)
        return 2;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    fds = calloc((size_t)n, sizeof *fds);
    if (fds == NULL)
        return 1;
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (i = 0; i < n; i++) {
        char c = 'x';

        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 ||
            connect(fds[i], (struct sockaddr *)&a, sizeof a) != 0 ||
            write(fds[i], &c, 1) != 1 || read(fds[i], &c, 1) != 1) {
            perror("idleconn");
            return 1;
        }
    }
    printf("connected %d\n", n);
    fflush(stdout);
    sleep((unsigned int)secs);
    for (i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
    return 0;
}
