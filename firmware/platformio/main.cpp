// mcugen device firmware: the Arduino shell around the portable protocol core.
//
// Serial is the byte pipe and mcugen_counter (mcugen_counter.h) the cycle counter; framing,
// CRC and the HELLO / PREDICT answers live in mcugen_protocol.c, the model binding in
// mcugen_binding.c. Wire format: PROTOCOL.md in mcugen's firmware/protocol/.
#include <Arduino.h>

#include "mcugen_binding.h"
#include "mcugen_counter.h"

#ifndef MCUGEN_BAUD
#define MCUGEN_BAUD 115200
#endif

static mcugen_proto proto;

static void serial_write(const uint8_t *bytes, uint16_t n) { Serial.write(bytes, n); }

static mcugen_io io = {serial_write, mcugen_counter_read, MCUGEN_COUNTER_HZ, MCUGEN_COUNTER_KIND};

void setup() {
  Serial.begin(MCUGEN_BAUD);
#if defined(ARDUINO_ARCH_STM32)
  io.counter_hz = SystemCoreClock;  // the clock the core really set up, not the nominal one
#elif defined(ARDUINO_ARCH_ESP32)
  io.counter_hz = getCpuFrequencyMhz() * 1000000UL;
#endif
  mcugen_counter_init();
  mcugen_binding_start(&proto, &io);
}

void loop() {
  while (Serial.available() > 0) {
    mcugen_proto_feed(&proto, (uint8_t)Serial.read());
  }
  mcugen_proto_poll(&proto);
}
