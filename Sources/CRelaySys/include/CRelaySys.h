// The few kernel interfaces that `import Glibc` does not expose to Swift.
#ifndef CRELAYSYS_H
#define CRELAYSYS_H

#ifdef __linux__
#include <sys/epoll.h>
#include <sys/signalfd.h>
#endif
#include <signal.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#ifdef __linux__
// accept4 is declared only under _GNU_SOURCE, which the Glibc module is not built with.
extern int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/// Accepts a connection that is already non-blocking and close-on-exec (accept4).
static inline int relay_accept(int fd) {
    return accept4(fd, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

#include <malloc.h>

/// Returns the heap's free pages to the system (glibc keeps freed chunks resident).
static inline void relay_malloc_trim(void) {
    malloc_trim(0);
}

// pipe2 is _GNU_SOURCE too.
extern int pipe2(int fds[2], int flags);

/// A pipe whose ends are non-blocking and close-on-exec.
static inline int relay_pipe(int fds[2]) {
    return pipe2(fds, O_NONBLOCK | O_CLOEXEC);
}

// glibc 2.34+ (Debian 12 has 2.36); declared only with _GNU_SOURCE.
#include <spawn.h>
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

/// A close-on-exec pipe whose ends block (for a child's standard streams;
/// the loop's own ends are made non-blocking one by one).
static inline int relay_pipe_blocking(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}
#endif

#endif
