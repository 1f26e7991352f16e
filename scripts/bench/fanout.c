/* A fan-out load generator for relay serve: R receivers in one room, one sender
 * writing N lines at once; reads every receiver with epoll until all lines have
 * arrived and prints "delivered SECONDS". Loopback only.
 * usage: fanout PORT RECEIVERS LINES    (built by serve_bench.py with cc -O2) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>

static int dial(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); exit(1); }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    return fd;
}

static void say(int fd, const char *text) {
    size_t n = strlen(text), off = 0;
    while (off < n) { ssize_t w = write(fd, text + off, n - off); if (w <= 0) { perror("write"); exit(1); } off += w; }
}

/* Reads until `marker` has been seen (registration and join done). */
static void await(int fd, const char *marker) {
    char buf[65536]; size_t have = 0;
    for (;;) {
        ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
        if (r <= 0) { fprintf(stderr, "closed while waiting\n"); exit(1); }
        have += r; buf[have] = 0;
        if (strstr(buf, marker)) return;
        if (have > sizeof buf / 2) { memmove(buf, buf + have / 2, have - have / 2); have -= have / 2; }
    }
}

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: fanout PORT RECEIVERS LINES\n"); return 2; }
    int port = atoi(argv[1]), receivers = atoi(argv[2]); long lines = atol(argv[3]);
    int *fds = calloc(receivers, sizeof *fds); long *left = calloc(receivers, sizeof *left);
    char line[256];
    for (int i = 0; i < receivers; i++) {
        fds[i] = dial(port);
        snprintf(line, sizeof line, "NICK f%d\r\nUSER f 0 * :f\r\nJOIN #fan\r\n", i);
        say(fds[i], line);
        await(fds[i], " 366 ");
        left[i] = lines;
    }
    int sender = dial(port);
    say(sender, "NICK sender\r\nUSER s 0 * :s\r\nJOIN #fan\r\n");
    await(sender, " 366 ");
    usleep(300000);
    int ep = epoll_create1(0);
    for (int i = 0; i < receivers; i++) {
        char drain[65536];
        while (recv(fds[i], drain, sizeof drain, MSG_DONTWAIT) > 0) {}
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e);
    }
    size_t size = lines * 64; char *payload = malloc(size); size_t used = 0;
    for (long i = 0; i < lines; i++) used += sprintf(payload + used, "PRIVMSG #fan :benchmark line %06ld with text\r\n", i);
    double start = now();
    /* The sender writes from a child so the parent only reads. */
    pid_t writer = fork();
    if (writer == 0) { size_t off = 0; while (off < used) { ssize_t w = write(sender, payload + off, used - off); if (w <= 0) _exit(1); off += w; } pause(); _exit(0); }
    int done = 0; long delivered = 0; struct epoll_event ev[256]; char buf[1 << 16];
    while (done < receivers && now() - start < 60) {
        int n = epoll_wait(ep, ev, 256, 1000);
        for (int k = 0; k < n; k++) {
            int i = ev[k].data.u32;
            ssize_t r = read(fds[i], buf, sizeof buf);
            if (r <= 0) { fprintf(stderr, "receiver %d closed\n", i); return 1; }
            for (ssize_t j = 0; j < r; j++) if (buf[j] == '\n') { left[i]--; delivered++; }
            if (left[i] <= 0) { epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL); done++; }
        }
    }
    printf("%ld %.6f\n", delivered, now() - start);
    kill(writer, SIGKILL);
    return done == receivers ? 0 : 1;
}
