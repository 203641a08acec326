/* Host stand-in for a board: the protocol core on a pseudo-terminal, for end-to-end tests.
 *
 *   host_main FD      serve on the already-open file descriptor FD (a pty master)
 *
 * The counter is CLOCK_MONOTONIC in nanoseconds. Exits when the other side of the pty is
 * closed (read gives EIO or 0) or on SIGTERM. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "mcugen_binding.h"

static int fd = -1;

static void fd_write(const uint8_t *bytes, uint16_t n) {
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, bytes + done, (size_t)n - done);
        if (w < 0 && errno != EINTR && errno != EAGAIN) exit(0);
        if (w > 0) done += (size_t)w;
    }
}

static uint32_t nanos(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint32_t)((uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec);
}

int main(int argc, char **argv) {
    static mcugen_proto proto;
    static const mcugen_io io = {fd_write, nanos, 1000000000ul, MCUGEN_COUNTER_NANOS};
    uint8_t bytes[256];
    if (argc != 2) {
        fprintf(stderr, "usage: %s FD\n", argv[0]);
        return 2;
    }
    fd = atoi(argv[1]);
    mcugen_binding_start(&proto, &io);
    for (;;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int ready = poll(&pfd, 1, 5);
        if (ready > 0) {
            ssize_t n = read(fd, bytes, sizeof bytes);
            ssize_t i;
            if (n <= 0 && !(n < 0 && errno == EINTR)) return 0;
            for (i = 0; i < n; i++) mcugen_proto_feed(&proto, bytes[i]);
        } else {
            mcugen_proto_poll(&proto);
        }
    }
}
