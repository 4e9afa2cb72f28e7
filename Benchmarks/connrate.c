// New-connection rate, for scripts/bench-proxy.sh.
//   connrate server PORT               accept, write one byte, close; forever
//   connrate client IP PORT SECONDS    connect, read to EOF, close (RST, no TIME_WAIT); prints conn/s
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "server") == 0) {
        int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
        if (bind(s, (void *)&a, sizeof a) || listen(s, 4096)) { perror("bind"); return 1; }
        for (;;) {
            int c = accept(s, 0, 0);
            if (c < 0) continue;
            (void)!write(c, "x", 1);
            close(c);
        }
    }
    if (argc >= 5 && strcmp(argv[1], "client") == 0) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[3]))};
        inet_pton(AF_INET, argv[2], &a.sin_addr);
        double end = now() + atof(argv[4]), start = now();
        long n = 0, fail = 0;
        struct linger l = {1, 0};
        char b[8];
        while (now() < end) {
            int c = socket(AF_INET, SOCK_STREAM, 0);
            if (connect(c, (void *)&a, sizeof a) == 0) {
                while (read(c, b, sizeof b) > 0) {}
                n++;
            } else {
                fail++;
            }
            setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            close(c);
        }
        printf("%.0f %ld\n", n / (now() - start), fail);
        return 0;
    }
    fprintf(stderr, "usage: connrate server PORT | client IP PORT SECONDS\n");
    return 2;
}
