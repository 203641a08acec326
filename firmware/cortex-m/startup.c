/* Minimal Cortex-M startup for the harness: a vector table with the initial stack pointer
 * and the reset handler, which enables the FPU when the firmware is built for one (a
 * hard-float or softfp build: __ARM_FP is defined), copies .data from flash, zeroes .bss,
 * runs main and ends the simulation with the semihosting SYS_EXIT call. No interrupts are
 * used, so every other vector points at a handler that exits with a failure. */
#include <stdint.h>
#include "semihost.h"

#ifdef __cplusplus
extern "C" { /* the linker script's symbols and its ENTRY, also in a C++ build of the firmware */
#endif
extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end, __stack_top;
void harness_reset(void);
#ifdef __cplusplus
}
#endif
int main(void);

__attribute__((noreturn)) static void harness_fault(void) { harness_exit(1); }

/* The stack pointer, then the handlers: a struct, so no pointer casts are needed. */
struct harness_vector_table {
    const void *stack_top;
    void (*handlers[15])(void);
};

__attribute__((section(".vectors"), used)) static const struct harness_vector_table harness_vectors = {
    &__stack_top,
    {harness_reset, harness_fault, harness_fault, harness_fault, harness_fault, harness_fault, 0, 0, 0, 0,
     harness_fault, harness_fault, 0, harness_fault, harness_fault},
};

#if defined(__ARM_FP)
/* CPACR (System Control Block): full access to coprocessors CP10 and CP11, the FPU. */
#define HARNESS_CPACR (*(volatile uint32_t *)0xE000ED88u)
#endif

__attribute__((noreturn)) void harness_reset(void) {
#if defined(__ARM_FP)
    /* Before any floating-point instruction: gcc may use VFP registers anywhere below. */
    HARNESS_CPACR |= 0xFu << 20;
    __asm__ __volatile__("dsb\n\tisb" ::: "memory");
#endif
    const uint32_t *src = &__data_load;
    for (uint32_t *dst = &__data_start; dst < &__data_end;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = &__bss_start; dst < &__bss_end;) {
        *dst++ = 0;
    }
    harness_exit(main());
}
