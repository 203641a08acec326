/* The part of <string.h> the harness and generated models use, for a firmware built without
 * a C library (firmware/riscv/main.c defines both). */
#ifndef HARNESS_STRING_H
#define HARNESS_STRING_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int value, size_t n);
#ifdef __cplusplus
}
#endif
/* -ffreestanding makes gcc treat these as plain calls; as builtins they are inlined wherever
 * gcc would inline them in a hosted build, so the harness measures code as users build it. */
#define memcpy(dst, src, n) __builtin_memcpy((dst), (src), (n))
#define memset(dst, value, n) __builtin_memset((dst), (value), (n))
#endif
