/* Runs an AVR ELF in simavr with UART0 on a pseudo-terminal, for the device tests.
 *
 *   avr_uart_runner FIRMWARE.elf MCU FREQUENCY_HZ MAX_SECONDS
 *
 * Prints "PTY <slave path>" on stdout once the UART is attached, then simulates until the
 * firmware stops, SIGTERM/SIGINT arrive, the parent dies, or MAX_SECONDS of wall-clock time pass
 * (so a forgotten runner cannot outlive a test run). Built against Debian's libsimavr-dev and
 * libsimavrparts1 (uart_pty from simavr/parts). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <simavr/sim_avr.h>
#include <simavr/sim_elf.h>
#include <simavr/parts/uart_pty.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void unlink_link_to(const char *slave) {
    char target[64];
    ssize_t n = readlink("/tmp/simavr-uart0", target, sizeof target - 1);
    if (n > 0) {
        target[n] = 0;
        if (strcmp(target, slave) == 0) unlink("/tmp/simavr-uart0");
    }
}

static avr_t *load(const char *path, const char *mcu, unsigned long frequency) {
    elf_firmware_t firmware;
    avr_t *avr;
    memset(&firmware, 0, sizeof firmware);
    if (elf_read_firmware(path, &firmware) != 0) {
        fprintf(stderr, "cannot read %s\n", path);
        return NULL;
    }
    snprintf(firmware.mmcu, sizeof firmware.mmcu, "%s", mcu);
    firmware.frequency = (uint32_t)frequency;
    avr = avr_make_mcu_by_name(firmware.mmcu);
    if (!avr) {
        fprintf(stderr, "simavr does not know the mcu %s\n", mcu);
        return NULL;
    }
    avr_init(avr);
    avr_load_firmware(avr, &firmware);
    return avr;
}

int main(int argc, char **argv) {
    static uart_pty_t uart;
    avr_t *avr;
    double deadline;
    unsigned long steps = 0;
    int state = cpu_Running;
    if (argc != 5) {
        fprintf(stderr, "usage: %s FIRMWARE.elf MCU FREQUENCY_HZ MAX_SECONDS\n", argv[0]);
        return 2;
    }
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* die with the test process */
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    avr = load(argv[1], argv[2], strtoul(argv[3], NULL, 10));
    if (!avr) return 1;
    uart_pty_init(avr, &uart);
    uart_pty_connect(&uart, '0');
    printf("PTY %s\n", uart.port[0].slavename);
    fflush(stdout);
    deadline = now() + atof(argv[4]);
    while (!stop && state != cpu_Done && state != cpu_Crashed) {
        state = avr_run(avr);
        if (++steps % 100000ul == 0 && now() > deadline) break;
    }
    /* Not uart_pty_stop(): it joins a thread that only SIGINT's default action would end.
     * Exiting closes the pty; drop simavr's /tmp/simavr-uart0 link if it is still ours. */
    unlink_link_to(uart.port[0].slavename);
    return state == cpu_Crashed ? 1 : 0;
}
