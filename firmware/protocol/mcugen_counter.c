/* Per-chip free-running counters: see mcugen_counter.h for which one and why. */
#include "mcugen_counter.h"

#if defined(__AVR__)
#include <avr/interrupt.h>
#include <avr/io.h>

static volatile uint16_t overflows;

ISR(TIMER1_OVF_vect) { overflows++; }

void mcugen_counter_init(void) {
    uint8_t sreg = SREG;
    cli();
    TCCR1A = 0;              /* normal mode (the Arduino core left it in 8-bit PWM) */
    TCCR1B = _BV(CS10);      /* prescaler 1: one tick per CPU cycle */
    TCNT1 = 0;
    TIFR1 = _BV(TOV1);
    TIMSK1 = _BV(TOIE1);
    SREG = sreg;
    sei();
}

uint32_t mcugen_counter_read(void) {
    uint8_t sreg = SREG;
    uint16_t low, high;
    cli();
    low = TCNT1;
    high = overflows;
    /* An overflow pending but not yet counted belongs before `low` if `low` is small. */
    if ((TIFR1 & _BV(TOV1)) && low < 0x8000u) high++;
    SREG = sreg;
    return ((uint32_t)high << 16) | low;
}

#elif defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define DWT_LAR (*(volatile uint32_t *)0xE0001FB0u)

void mcugen_counter_init(void) {
    DEMCR |= 1u << 24;        /* TRCENA: power the DWT */
    DWT_LAR = 0xC5ACCE55u;    /* unlock (needed on Cortex-M7, ignored elsewhere) */
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u;           /* CYCCNTENA */
}

uint32_t mcugen_counter_read(void) { return DWT_CYCCNT; }

#elif defined(__XTENSA__)
void mcugen_counter_init(void) {}

uint32_t mcugen_counter_read(void) {
    uint32_t ccount;
    __asm__ __volatile__("rsr %0, ccount" : "=a"(ccount));
    return ccount;
}

#else /* RP2040: the 1 MHz timer's raw low word */
#define RP2040_TIMERAWL (*(volatile uint32_t *)0x40054028u)

void mcugen_counter_init(void) {}

uint32_t mcugen_counter_read(void) { return RP2040_TIMERAWL; }
#endif
