/* RISC-V harness firmware (RV32IMC, bare metal; run in unicorn, see codegen/harness/riscv.py).
 *
 * There is no C library: the firmware brings the two functions a compiler may call
 * (memcpy, memset; their names in parentheses, past include/string.h's macros) and a
 * string.h declaring them. Lines go out one byte at a time to a memory-mapped output
 * register and the end is a write to an exit register, both watched by the emulator. The
 * timed region lies between the markers of harness_markers.h, as on Cortex-M.
 */
#include <stdint.h>
#include <string.h>

#define HARNESS_OUTPUT (*(volatile uint8_t *)0x10000000u)
#define HARNESS_EXIT (*(volatile uint32_t *)0x10000004u)

#include "harness_markers.h"

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

#include "harness_main.h"

HARNESS_C_LINKAGE int main(void) {
    harness_run();
    HARNESS_EXIT = 0u;
    for (;;) {
    }
}
