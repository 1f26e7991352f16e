/* The load generator behind scripts/bench/compare.py: one room (an IRC
 * channel, a Redis pub/sub channel, or an ncat broker), R receivers and one
 * sender. Loopback only; every run is bounded in time.
 *
 * PORT may be a comma-separated list (the nodes of a relay cluster): the
 * sender uses the first, receiver i the ((i + 1) mod n)th; latency is then
 * sampled only on receivers on another node than the sender's.
 *
 *   loadgen PROTO PORT R burst LINES         the sender writes LINES lines at once
 *   loadgen PROTO PORT R rate PER_S SECONDS  the sender writes PER_S lines a second, one write each
 *   loadgen PROTO PORT N idle                N registered connections in no room, idle; waits for stdin to close
 *
 * PROTO is irc (relay, InspIRCd, ngIRCd), redis (SUBSCRIBE/PUBLISH) or plain
 * (ncat --broker: every line goes to every other client).
 * Prints "start" when the sender starts (the caller samples the server's CPU
 * then), and at the end one line:
 *   delivered N seconds S p50_us X p99_us Y max_us Z
 * where the latencies are from the sender's write to a receiver's read, taken
 * from a timestamp inside each line, on up to 8 receivers spread over the room
 * (rate mode only). Exit status 1 if a
 * delivery is missing when the time is up (20 s past the sending).
 * Build: cc -O2 -o loadgen scripts/bench/loadgen.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

enum proto { IRC, REDIS, PLAIN };
static enum proto proto;
static int ports[16], nports;

/* Receiver i's port (see the top). */
static int port_of(int i) { return ports[(i + 1) % nports]; }

static int dial(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); exit(1); }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    return fd;
}

static void say(int fd, const char *text, size_t n) {
    size_t off = 0;
    while (off < n) { ssize_t w = write(fd, text + off, n - off); if (w <= 0) { perror("write"); exit(1); } off += w; }
}

/* Reads until `marker` has been seen (registration and join done). */
static void await(int fd, const char *marker) {
    char buf[65536]; size_t have = 0;
    for (;;) {
        ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
        if (r <= 0) { fprintf(stderr, "loadgen: closed while waiting for %s\n", marker); exit(1); }
        have += r; buf[have] = 0;
        if (strstr(buf, marker)) return;
        if (have > sizeof buf / 2) { memmove(buf, buf + have / 2, have - have / 2); have -= have / 2; }
    }
}

/* A receiver joining the room: everyone asks first, then everyone waits, so a
 * server that answers registration on a timer (InspIRCd: once a second) is not
 * waited for one client at a time. */
static int ask_to_join(int port, int i) {
    int fd = dial(port);
    char line[256];
    switch (proto) {
    case IRC:  /* JOIN once registered (await_join): a server may answer registration later */
        snprintf(line, sizeof line, "NICK f%d\r\nUSER f 0 * :f\r\n", i);
        say(fd, line, strlen(line));
        break;
    case REDIS:
        say(fd, "SUBSCRIBE fan\r\n", strlen("SUBSCRIBE fan\r\n"));
        break;
    case PLAIN:
        break;
    }
    return fd;
}

static void await_registration(int fd) {
    if (proto == IRC) { await(fd, " 001 "); say(fd, "JOIN #fan\r\n", strlen("JOIN #fan\r\n")); }
}

static void await_join(int fd) {
    if (proto == IRC) await(fd, " 366 ");
    else if (proto == REDIS) await(fd, "fan\r\n:");
}

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static long long now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }

/* One line to send, stamped with the time of its write; returns its length. */
static size_t message(char *out, long i) {
    char text[128];
    int n = snprintf(text, sizeof text, "benchmark line %06ld t=%019lld with text", i, now_ns());
    switch (proto) {
    case IRC: return sprintf(out, "PRIVMSG #fan :%s\r\n", text);
    case REDIS: return sprintf(out, "*3\r\n$7\r\nPUBLISH\r\n$3\r\nfan\r\n$%d\r\n%s\r\n", n, text);
    case PLAIN: return sprintf(out, "%s\n", text);
    }
    return 0;
}

/* Newlines a receiver reads per delivery ("*3 $7 message $3 fan $N text" in RESP). */
static int newlines_per_delivery(void) { return proto == REDIS ? 7 : 1; }

static int compare(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: loadgen irc|redis|plain PORT R burst LINES | rate PER_S SECONDS | idle\n");
        return 2;
    }
    proto = !strcmp(argv[1], "redis") ? REDIS : !strcmp(argv[1], "plain") ? PLAIN : IRC;
    for (char *p = argv[2]; *p && nports < 16; nports++) {
        ports[nports] = (int)strtol(p, &p, 10);
        if (*p == ',') p++;
    }
    int port = ports[0], receivers = atoi(argv[3]);
    const char *mode = argv[4];
    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_TIMERSLACK, 1);

    if (!strcmp(mode, "idle")) {
        /* Registered, in no room (Redis: one PING answered). */
        int *idle = calloc(receivers, sizeof *idle);
        for (int i = 0; i < receivers; i++) {
            idle[i] = dial(port_of(i));
            char line[128];
            if (proto == IRC) {
                snprintf(line, sizeof line, "NICK idle%d\r\nUSER idle 0 * :idle\r\n", i);
                say(idle[i], line, strlen(line));
            } else if (proto == REDIS) {
                say(idle[i], "PING\r\n", strlen("PING\r\n"));
            }
        }
        for (int i = 0; i < receivers; i++) {
            if (proto == IRC) await(idle[i], " 001 ");
            else if (proto == REDIS) await(idle[i], "+PONG");
        }
        if (proto == PLAIN) usleep(500000);
        printf("ready\n"); fflush(stdout);
        char c; while (read(0, &c, 1) > 0) {}
        return 0;
    }
    int rate_mode = !strcmp(mode, "rate");
    if (argc < (rate_mode ? 7 : 6)) { fprintf(stderr, "loadgen: missing arguments\n"); return 2; }
    double per_second = rate_mode ? atof(argv[5]) : 0, seconds = rate_mode ? atof(argv[6]) : 0;
    long lines = rate_mode ? (long)(per_second * seconds) : atol(argv[5]);

    int *fds = calloc(receivers, sizeof *fds); long *left = calloc(receivers, sizeof *left);
    for (int i = 0; i < receivers; i++) { fds[i] = ask_to_join(port_of(i), i); left[i] = lines * newlines_per_delivery(); }
    for (int i = 0; i < receivers; i++) await_registration(fds[i]);
    for (int i = 0; i < receivers; i++) await_join(fds[i]);
    int sender = dial(port);
    if (proto == IRC) { const char *hello = "NICK sender\r\nUSER s 0 * :s\r\n"; say(sender, hello, strlen(hello)); await_registration(sender); await(sender, " 366 "); }
    usleep(300000);
    int ep = epoll_create1(0);
    for (int i = 0; i < receivers; i++) {
        char drain[65536];
        while (recv(fds[i], drain, sizeof drain, MSG_DONTWAIT) > 0) {}
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e);
    }
    printf("start\n"); fflush(stdout);
    double start = now();
    /* The sender writes from a child, which also reads and drops what the server
     * answers it (Redis answers every PUBLISH), so the parent only reads. */
    pid_t writer = fork();
    if (writer == 0) {
        if (fork() == 0) { prctl(PR_SET_PDEATHSIG, SIGKILL); char sink[65536]; while (read(sender, sink, sizeof sink) > 0) {} _exit(0); }
        char *line = malloc(256);
        if (rate_mode) {
            struct timespec due; clock_gettime(CLOCK_MONOTONIC, &due);
            long long step = (long long)(1e9 / per_second);
            for (long i = 0; i < lines; i++) {
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
                say(sender, line, message(line, i));
                due.tv_nsec += step;
                while (due.tv_nsec >= 1000000000L) { due.tv_nsec -= 1000000000L; due.tv_sec++; }
            }
        } else {
            size_t size = lines * 96, used = 0; char *payload = malloc(size);
            for (long i = 0; i < lines; i++) used += message(payload + used, i);
            say(sender, payload, used);
        }
        pause();
        _exit(0);
    }
    /* Latency is sampled on up to 8 receivers spread over the room (0, R/8, ...):
     * one receiver's figure depends on where it happens to be in the server's
     * order of writes. */
    int stride = receivers > 8 ? receivers / 8 : 1, sampled = (receivers + stride - 1) / stride;
    long long *latency = calloc(lines * sampled + 1, sizeof *latency); long samples = 0;
    char (*carry)[512] = calloc(sampled, 512); size_t *carried = calloc(sampled, sizeof *carried);  /* unfinished lines */
    int done = 0, per = newlines_per_delivery(); long newlines = 0;
    double limit = (rate_mode ? seconds : 0) + 20;  /* a peer that falls behind is reported, not waited for */
    struct epoll_event ev[256]; static char buf[1 << 16];
    while (done < receivers && now() - start < limit) {
        int n = epoll_wait(ep, ev, 256, 1000);
        for (int k = 0; k < n; k++) {
            int i = ev[k].data.u32;
            ssize_t r = read(fds[i], buf, sizeof buf);
            if (r <= 0) { fprintf(stderr, "loadgen: receiver %d closed\n", i); goto out; }
            int timed = i % stride == 0 && (nports == 1 || (i + 1) % nports != 0);
            long long arrived = timed && rate_mode ? now_ns() : 0;
            char *c = carry[i / stride]; size_t *n = &carried[i / stride];
            for (ssize_t j = 0; j < r; j++) {
                if (buf[j] != '\n') { if (arrived && *n < 511) c[(*n)++] = buf[j]; continue; }
                left[i]--; newlines++;
                if (arrived) {
                    c[*n] = 0;
                    char *t = strstr(c, " t=");
                    if (t && samples < lines * sampled) latency[samples++] = arrived - atoll(t + 3);
                    *n = 0;
                }
            }
            if (left[i] <= 0) { epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL); done++; }
        }
    }
out:;
    double elapsed = now() - start;
    kill(writer, SIGKILL);
    qsort(latency, samples, sizeof *latency, compare);
    long long p50 = samples ? latency[samples / 2] : 0, p99 = samples ? latency[samples * 99 / 100] : 0;
    long long max = samples ? latency[samples - 1] : 0;
    printf("delivered %ld seconds %.6f p50_us %lld p99_us %lld max_us %lld\n", newlines / per, elapsed,
           p50 / 1000, p99 / 1000, max / 1000);
    return done == receivers ? 0 : 1;
}
