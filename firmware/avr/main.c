/* AVR harness firmware (ATmega328P / ATmega2560 at 16 MHz, run in simavr).
 *
 * Rows live in flash (PROGMEM) and are copied one at a time into RAM with memcpy_P.
 * Each call of HARNESS_PREDICT is timed with Timer1 at prescaler 1 (one count per CPU cycle)
 * extended to 32 bits by counting overflows in an interrupt; simavr models the timer
 * cycle-exactly, so the counts are exact and repeatable. A call longer than 65,536 cycles
 * includes the overflow interrupt's own cycles, as it would on the chip.
 * Output goes out through USART0 (simavr prints each line on its console), then the CPU
 * sleeps with interrupts off, which ends the simulation.
 */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/pgmspace.h>
#include <avr/sleep.h>
#include <stdint.h>

static volatile uint16_t harness_overflows;

ISR(TIMER1_OVF_vect) { harness_overflows++; }

static void timer_start(void) {
    TCCR1B = 0;
    TCNT1 = 0;
    harness_overflows = 0;
    TIFR1 = _BV(TOV1);        /* drop a stale overflow */
    TCCR1B = _BV(CS10);       /* run at the CPU clock */
}

static uint32_t timer_stop(void) {
    cli();
    uint16_t low = TCNT1;     /* read while running: simavr forgets TCNT1 when the clock stops */
    uint8_t pending = TIFR1 & _BV(TOV1);
    TCCR1B = 0;
    uint32_t overflows = harness_overflows;
    if (pending && low < 0x8000u) {
        overflows++;          /* the counter wrapped before the read, the interrupt has not run */
    }
    TIFR1 = _BV(TOV1);
    sei();
    return (overflows << 16) | low;
}

static void harness_putc(char c) {
    while (!(UCSR0A & _BV(UDRE0))) {
    }
    UDR0 = (uint8_t)c;
}

static void harness_puts(const char *s) {
    while (*s) {
        harness_putc(*s++);
    }
    harness_putc('\n');
}

#if defined(__AVR_HAVE_ELPM__)
/* Flash beyond 64 KiB (ATmega2560): the rows may sit above it, behind the model's tables. */
#define HARNESS_LOAD_ROW(dst, offset, n) memcpy_PF((dst), pgm_get_far_address(harness_rows) + (offset), (n))
#else
#define HARNESS_LOAD_ROW(dst, offset, n) memcpy_P((dst), harness_rows + (offset), (n))
#endif
#define HARNESS_TIMER_START() timer_start()
#define HARNESS_TIMER_STOP() timer_stop()

#include "harness_main.h"

int main(void) {
    UCSR0A = _BV(U2X0);
    UBRR0 = 0;                /* 2 Mbaud at 16 MHz: the simulator does not care, and it is fast */
    UCSR0B = _BV(TXEN0);
    TIMSK1 = _BV(TOIE1);
    sei();
    harness_run();
    while (!(UCSR0A & _BV(TXC0))) {
        /* let the last byte leave before stopping */
    }
    cli();
    sleep_enable();
    sleep_cpu();              /* sleeping with interrupts off stops simavr */
    for (;;) {
    }
}
