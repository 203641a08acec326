/* ARM semihosting (BKPT 0xAB on M-profile), the two calls the harness uses. qemu implements
 * them with -semihosting-config enable=on,target=native; codegen/harness/cortexm.py does the
 * same under unicorn. */
#ifndef HARNESS_SEMIHOST_H
#define HARNESS_SEMIHOST_H
#include <stdint.h>

#define SEMIHOST_SYS_WRITE0 0x04u
#define SEMIHOST_SYS_EXIT 0x18u
#define SEMIHOST_APPLICATION_EXIT 0x20026u /* ADP_Stopped_ApplicationExit: status 0 */
#define SEMIHOST_RUNTIME_ERROR 0x20023u    /* ADP_Stopped_RunTimeErrorUnknown: status 1 */

static inline uint32_t harness_semihost(uint32_t op, const void *arg) {
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ __volatile__("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

__attribute__((noreturn)) static inline void harness_exit(int status) {
    harness_semihost(SEMIHOST_SYS_EXIT,
                     (const void *)(status == 0 ? SEMIHOST_APPLICATION_EXIT : SEMIHOST_RUNTIME_ERROR));
    for (;;) {
    }
}
#endif
