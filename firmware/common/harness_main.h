/* The target-independent harness loop, shared by the AVR and Cortex-M firmware.
 *
 * The including file defines, before including this:
 *   HARNESS_LOAD_ROW(dst, offset, n)  copy the n bytes at harness_rows[offset] (flash) to RAM
 *   HARNESS_TIMER_START()          begin a timed region
 *   HARNESS_TIMER_STOP()           end it, evaluating to a uint32_t count (0 if the
 *                                  simulator counts from outside, as on Cortex-M)
 *   harness_puts(const char *s)    write one line (s has no newline; the port adds it)
 * and optionally HARNESS_WITH_SCORES to print the score vectors too.
 *
 * Output, one record per line, parsed by codegen/harness/targets.py:
 *   O <count>              the count of an empty timed region (the overhead to subtract)
 *   R <row> <pred> <count> one row: HARNESS_PREDICT's result and the raw count of the call
 *   S <row> <s0> <s1> ...  HARNESS_SCORES's vector (HARNESS_WITH_SCORES only)
 *   E <n_rows>             the end
 */
#ifndef HARNESS_MAIN_H
#define HARNESS_MAIN_H
#include <stdint.h>
#include "harness_model.h"
#include "harness_rows.h"

#if defined(__GNUC__) && (__GNUC__ >= 8)
#define HARNESS_NOINLINE __attribute__((noipa))
#else
#define HARNESS_NOINLINE __attribute__((noinline))
#endif

#ifdef HARNESS_COUNT_OPS
/* The model's operation counter adds here (see codegen/harness/glue.py); not printed yet. */
uint32_t harness_op_counts[HARNESS_N_OPS];
#endif

/* A compiler barrier: keeps the timed call from being moved across the timer accesses. */
#define HARNESS_BARRIER() __asm__ __volatile__("" ::: "memory")

/* Out of line so the timed region holds exactly one call, whatever the caller's registers. */
HARNESS_NOINLINE static int32_t harness_timed_predict(const harness_input_t *x) {
    return HARNESS_PREDICT(x);
}

/* Appends the decimal form of v at p; returns the new end. No division by a variable and
 * no stdio, so it is small on every target. */
static char *harness_format(char *p, int32_t v) {
    char digits[11];
    int n = 0;
    uint32_t u = v < 0 ? (uint32_t)0 - (uint32_t)v : (uint32_t)v;
    if (v < 0) {
        *p++ = '-';
    }
    do {
        digits[n++] = (char)('0' + (u % 10u));
        u /= 10u;
    } while (u != 0u);
    while (n > 0) {
        *p++ = digits[--n];
    }
    return p;
}

static void harness_record(char tag, uint32_t row, int32_t a, uint32_t b, int n_values) {
    char line[40];
    char *p = line;
    *p++ = tag;
    *p++ = ' ';
    p = harness_format(p, (int32_t)row);
    if (n_values > 0) {
        *p++ = ' ';
        p = harness_format(p, a);
    }
    if (n_values > 1) {
        *p++ = ' ';
        p = harness_format(p, (int32_t)b);
    }
    *p = '\0';
    harness_puts(line);
}

#ifdef HARNESS_WITH_SCORES
static void harness_print_scores(uint32_t row, const harness_input_t *x) {
    int32_t scores[HARNESS_N_OUTPUTS];
    char line[16 + 12 * HARNESS_N_OUTPUTS];
    char *p = line;
    HARNESS_SCORES(x, scores);
    *p++ = 'S';
    *p++ = ' ';
    p = harness_format(p, (int32_t)row);
    for (int k = 0; k < HARNESS_N_OUTPUTS; ++k) {
        *p++ = ' ';
        p = harness_format(p, scores[k]);
    }
    *p = '\0';
    harness_puts(line);
}
#endif

static void harness_run(void) {
    harness_input_t x[HARNESS_N_FEATURES];
    HARNESS_BARRIER();
    HARNESS_TIMER_START();
    HARNESS_BARRIER();
    uint32_t overhead = HARNESS_TIMER_STOP();
    harness_record('O', overhead, 0, 0, 0);
    for (uint32_t i = 0; i < HARNESS_N_ROWS; ++i) {
        HARNESS_LOAD_ROW(x, i * (uint32_t)sizeof x, sizeof x);
        HARNESS_BARRIER();
        HARNESS_TIMER_START();
        HARNESS_BARRIER();
        int32_t y = harness_timed_predict(x);
        HARNESS_BARRIER();
        uint32_t count = HARNESS_TIMER_STOP();
        harness_record('R', i, y, count, 2);
#ifdef HARNESS_WITH_SCORES
        harness_print_scores(i, x);
#endif
    }
    harness_record('E', HARNESS_N_ROWS, 0, 0, 0);
}

#endif
