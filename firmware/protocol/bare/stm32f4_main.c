/* Bare STM32F4 main (no Arduino core, no CMSIS): USART2 (the Nucleo's ST-LINK virtual COM port,
 * PA2/PA3) + DWT cycle counter around the protocol core, with its own vector table and reset
 * handler. Used to compile and link a project's firmware with Debian's arm-none-eabi-gcc: the
 * STM32duino core and CMSIS headers come only from PlatformIO's own packages. Runs on the
 * reset clock (HSI, 16 MHz); the Arduino build runs at 84 MHz. */
#include <stdint.h>
#include <string.h>

#include "mcugen_binding.h"
#include "mcugen_counter.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define RCC_AHB1ENR REG(0x40023830u)
#define RCC_APB1ENR REG(0x40023840u)
#define GPIOA_MODER REG(0x40020000u)
#define GPIOA_AFRL REG(0x40020020u)
#define USART2_SR REG(0x40004400u)
#define USART2_DR REG(0x40004404u)
#define USART2_BRR REG(0x40004408u)
#define USART2_CR1 REG(0x4000440Cu)
#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)
#define HSI_HZ 16000000u

#ifndef MCUGEN_BAUD
#define MCUGEN_BAUD 115200u
#endif

static void uart_init(void) {
    RCC_AHB1ENR |= 1u;                                                /* GPIOA */
    RCC_APB1ENR |= 1u << 17;                                          /* USART2 */
    GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 4)) | (0xAu << 4);         /* PA2, PA3: alternate */
    GPIOA_AFRL = (GPIOA_AFRL & ~(0xFFu << 8)) | (0x77u << 8);         /* AF7: USART2 */
    USART2_BRR = (HSI_HZ + MCUGEN_BAUD / 2u) / MCUGEN_BAUD;
    USART2_CR1 = (1u << 13) | (1u << 3) | (1u << 2);                  /* UE, TE, RE */
}

static void uart_write(const uint8_t *bytes, uint16_t n) {
    uint16_t i;
    for (i = 0; i < n; i++) {
        while (!(USART2_SR & SR_TXE)) {
        }
        USART2_DR = bytes[i];
    }
}

int main(void) {
    static mcugen_proto proto;
    static const mcugen_io io = {uart_write, mcugen_counter_read, HSI_HZ, MCUGEN_COUNTER_KIND};
    mcugen_counter_init();
    uart_init();
    mcugen_binding_start(&proto, &io);
    for (;;) {
        if (USART2_SR & SR_RXNE) {
            mcugen_proto_feed(&proto, (uint8_t)USART2_DR);
        } else {
            mcugen_proto_poll(&proto);
        }
    }
}

/* Minimal startup: copy .data, clear .bss, run main. */
extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

void reset_handler(void) {
    memcpy(&_sdata, &_sidata, (size_t)((char *)&_edata - (char *)&_sdata));
    memset(&_sbss, 0, (size_t)((char *)&_ebss - (char *)&_sbss));
    main();
    for (;;) {
    }
}

static void halt(void) {
    for (;;) {
    }
}

/* Initial stack pointer, then the 15 Cortex-M exception handlers (no peripheral IRQs used). */
struct vector_table {
    void *stack;
    void (*handler[15])(void);
};

__attribute__((section(".isr_vector"), used)) static const struct vector_table vectors = {
    &_estack,
    {reset_handler, halt, halt, halt, halt, halt, 0, 0, 0, 0, halt, halt, 0, halt, halt},
};
