/* The timed region of the emulator-counted firmware (Cortex-M, RISC-V): calls of the
 * out-of-line markers harness_mark_start / harness_mark_stop, which do nothing on the target.
 * The instruction counter (codegen/harness/cortexm.py, riscv.py) counts the instructions
 * executed between entering the first and entering the second.
 *
 * C linkage even when a peer's C++ model makes the whole firmware C++ (benchmarks/peers.py):
 * the counter finds the markers by these plain names. */
#ifndef HARNESS_MARKERS_H
#define HARNESS_MARKERS_H

#ifdef __cplusplus
#define HARNESS_C_LINKAGE extern "C"
#else
#define HARNESS_C_LINKAGE
#endif

HARNESS_C_LINKAGE __attribute__((noipa)) void harness_mark_start(void) { __asm__ __volatile__(""); }
HARNESS_C_LINKAGE __attribute__((noipa)) void harness_mark_stop(void) { __asm__ __volatile__(""); }

#define HARNESS_TIMER_START() harness_mark_start()
#define HARNESS_TIMER_STOP() (harness_mark_stop(), 0u)

#endif
