/* RISC-V harness firmware (RV32IMC, bare metal; run in unicorn, see codegen/harness/riscv.py).
 *
 * There is no C library: the firmware brings the two functions a compiler may call
 * (memcpy, memset; their names in parentheses, past include/string.h's macros) and a
 * string.h declaring them. Lines go out one byte at a time to a
 * memory-mapped output register and the end is a write to an exit register, both watched by
 * the emulator. The timed region is bracketed by calls of the out-of-line markers
 * harness_mark_start / harness_mark_stop, as on Cortex-M: the emulator counts the
 * instructions executed between entering the first and entering the second.
 */
#include <stdint.h>
#include <string.h>

#define HARNESS_OUTPUT (*(volatile uint8_t *)0x10000000u)
#define HARNESS_EXIT (*(volatile uint32_t *)0x10000004u)

#ifdef __cplusplus
#define HARNESS_C_LINKAGE extern "C"
#else
#define HARNESS_C_LINKAGE
#endif

HARNESS_C_LINKAGE __attribute__((noipa)) void harness_mark_start(void) { __asm__ __volatile__(""); }
HARNESS_C_LINKAGE __attribute__((noipa)) void harness_mark_stop(void) { __asm__ __volatile__(""); }

HARNESS_C_LINKAGE void *(memcpy)(void *dst, const void *src, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    while (n-- > 0u) {
        *d++ = *s++;
    }
    return dst;
}

HARNESS_C_LINKAGE void *(memset)(void *dst, int value, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    while (n-- > 0u) {
        *d++ = (unsigned char)value;
    }
    return dst;
}

static void harness_puts(const char *s) {
    while (*s != '\0') {
        HARNESS_OUTPUT = (uint8_t)*s++;
    }
    HARNESS_OUTPUT = (uint8_t)'\n';
}

#define HARNESS_LOAD_ROW(dst, offset, n) memcpy((dst), harness_rows + (offset), (n))
#define HARNESS_TIMER_START() harness_mark_start()
#define HARNESS_TIMER_STOP() (harness_mark_stop(), 0u)

#include "harness_main.h"

HARNESS_C_LINKAGE int main(void) {
    harness_run();
    HARNESS_EXIT = 0u;
    for (;;) {
    }
}
