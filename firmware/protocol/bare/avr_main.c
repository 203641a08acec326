/* Bare AVR main (no Arduino core): USART0 + Timer1 around the protocol core.
 *
 * Used to compile-check a project's firmware with Debian's avr-gcc and to run it in simavr:
 * the Arduino core headers are not available without PlatformIO's own packages. It does what
 * the Arduino shell (firmware/platformio/main.cpp) does, through registers. */
#include <avr/io.h>
#include <stdint.h>

#include "mcugen_binding.h"
#include "mcugen_counter.h"

#ifndef MCUGEN_BAUD
#define MCUGEN_BAUD 115200UL
#endif

static void uart_init(void) {
    /* Double speed, as the Arduino core does: 16 MHz / 8 / (16 + 1) = 117647 baud (+2.1%). */
    uint16_t ubrr = (uint16_t)((F_CPU / 4UL / MCUGEN_BAUD - 1UL) / 2UL);
    UCSR0A = _BV(U2X0);
    UBRR0H = (uint8_t)(ubrr >> 8);
    UBRR0L = (uint8_t)(ubrr & 0xFFu);
    UCSR0B = _BV(RXEN0) | _BV(TXEN0);
    UCSR0C = _BV(UCSZ01) | _BV(UCSZ00); /* 8N1 */
}

static void uart_write(const uint8_t *bytes, uint16_t n) {
    uint16_t i;
    for (i = 0; i < n; i++) {
        while (!(UCSR0A & _BV(UDRE0))) {
        }
        UDR0 = bytes[i];
    }
}

int main(void) {
    static mcugen_proto proto;
    static const mcugen_io io = {uart_write, mcugen_counter_read, MCUGEN_COUNTER_HZ,
                                 MCUGEN_COUNTER_KIND};
    mcugen_counter_init();
    uart_init();
    mcugen_binding_start(&proto, &io);
    for (;;) {
        if (UCSR0A & _BV(RXC0)) {
            mcugen_proto_feed(&proto, UDR0);
        } else {
            mcugen_proto_poll(&proto);
        }
    }
}
