/* Cortex-M harness firmware (qemu mps2-an385/an386/an500, and unicorn for counting).
 *
 * Rows are a const table in flash, copied one at a time to a RAM buffer. Lines go out by
 * semihosting SYS_WRITE0. The timed region is bracketed by calls of the out-of-line marker
 * functions harness_mark_start / harness_mark_stop: they do nothing on the target, and the
 * instruction counter in codegen/harness/cortexm.py counts the instructions executed between
 * entering the first and entering the second (qemu has no exact cycle or instruction
 * counter a guest can read).
 */
#include <stdint.h>
#include <string.h>
#include "semihost.h"

/* C linkage even when a peer's C++ model makes the whole firmware C++ (benchmarks/peers.py):
 * the counter finds the markers by these plain names. */
#ifdef __cplusplus
#define HARNESS_C_LINKAGE extern "C"
#else
#define HARNESS_C_LINKAGE
#endif

HARNESS_C_LINKAGE __attribute__((noipa)) void harness_mark_start(void) { __asm__ __volatile__(""); }
HARNESS_C_LINKAGE __attribute__((noipa)) void harness_mark_stop(void) { __asm__ __volatile__(""); }

static void harness_puts(const char *s) {
    harness_semihost(SEMIHOST_SYS_WRITE0, s);
    harness_semihost(SEMIHOST_SYS_WRITE0, "\n");
}

#define HARNESS_LOAD_ROW(dst, offset, n) memcpy((dst), harness_rows + (offset), (n))
#define HARNESS_TIMER_START() harness_mark_start()
#define HARNESS_TIMER_STOP() (harness_mark_stop(), 0u)

#include "harness_main.h"

int main(void) {
    harness_run();
    return 0;
}
