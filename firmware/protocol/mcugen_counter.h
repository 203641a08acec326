/* A free-running 32-bit counter per chip family, for timing one prediction.
 *
 * No Arduino dependency (registers only), so the bare test mains use it too:
 *   AVR (Uno, Mega)            Timer1 at prescaler 1, overflows counted in an ISR: CPU cycles.
 *                              (Takes Timer1 from the Arduino core: no PWM on pins 9/10 (Uno).)
 *   Cortex-M3/M4/M7 (Nucleo)   DWT->CYCCNT, enabled through DEMCR.TRCENA and CYCCNTENA: cycles.
 *   ESP32 (Xtensa LX6)         the CCOUNT special register (what ESP.getCycleCount() reads).
 *   RP2040 (Cortex-M0+)        no cycle counter (M0+ has no DWT CYCCNT, SysTick is 24-bit):
 *                              the 1 MHz TIMERAWL register that micros() reads: microseconds.
 */
#ifndef MCUGEN_COUNTER_H
#define MCUGEN_COUNTER_H

#include <stdint.h>

#include "mcugen_protocol.h"

#ifdef __cplusplus
extern "C" {
#endif

void mcugen_counter_init(void);
uint32_t mcugen_counter_read(void);

#if defined(__AVR__)
#define MCUGEN_COUNTER_KIND MCUGEN_COUNTER_CYCLES
#define MCUGEN_COUNTER_HZ ((uint32_t)F_CPU)
#elif defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
#define MCUGEN_COUNTER_KIND MCUGEN_COUNTER_CYCLES
#define MCUGEN_COUNTER_HZ ((uint32_t)F_CPU)
#elif defined(__XTENSA__)
#define MCUGEN_COUNTER_KIND MCUGEN_COUNTER_CYCLES
#define MCUGEN_COUNTER_HZ ((uint32_t)F_CPU)
#elif defined(ARDUINO_ARCH_RP2040) || defined(ARDUINO_ARCH_MBED_RP2040) || defined(PICO_RP2040)
#define MCUGEN_COUNTER_KIND MCUGEN_COUNTER_MICROS
#define MCUGEN_COUNTER_HZ 1000000UL
#else
#error "mcugen_counter: no counter for this chip; supported: AVR, Cortex-M3/4/7, ESP32, RP2040"
#endif

#ifdef __cplusplus
}
#endif

#endif
