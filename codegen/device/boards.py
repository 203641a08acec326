"""The boards `mcugen project` and `mcugen flash` know, and what PlatformIO needs for each.

Arduino is the framework everywhere: one thin `main.cpp` serves all six boards. The cycle
counter each firmware uses is chosen in firmware/protocol/mcugen_counter.h by the compiler's
architecture macros; `counter` here says which one it is, for reports and docs.
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen.errors import UserError


@dataclass(frozen=True)
class Board:
    key: str  # the name users type: `--board uno`
    pio_board: str  # PlatformIO's board id
    platform: str  # PlatformIO's development platform
    framework: str
    target: str  # codegen.settings.TARGETS entry the model is converted for
    chip: str  # chip family
    counter: str  # what a reported "cycle" is
    f_cpu: int  # Hz, as PlatformIO's board manifest sets F_CPU
    flash_bytes: int
    ram_bytes: int
    upload_speed: int | None  # None: the upload tool (ST-LINK, UF2) has no baud rate
    serial_baud: int
    upload_protocol: str | None = None
    # Compiler flags and defines PlatformIO passes for this board (checked by the tests with
    # Debian's cross compilers; the Arduino core's own include paths are left out).
    cflags: tuple[str, ...] = ()
    cross_compiler: str | None = None  # Debian compiler for the bare test build, if any
    # Extra flags mcugen adds to platformio.ini's build_flags (also in `cflags`)
    build_flags: tuple[str, ...] = ()


SERIAL_BAUD = 115200
_AVR_DEFINES = ("-DARDUINO=10808", "-DARDUINO_ARCH_AVR", "-DPLATFORMIO=60118")
# avr-gcc 5.4 can size a branch of a long if-else chain wrongly ("relocation truncated to fit:
# R_AVR_7_PCREL"); linker relaxation fixes the layout.
_AVR_BUILD_FLAGS = ("-mrelax",)

BOARDS: dict[str, Board] = {
    b.key: b
    for b in (
        Board(
            "uno", "uno", "atmelavr", "arduino", "avr", "avr (ATmega328P)", "Timer1 cycles",
            16_000_000, 32_256, 2_048, 115200, SERIAL_BAUD,
            cflags=("-mmcu=atmega328p", "-DF_CPU=16000000L", "-DARDUINO_AVR_UNO", *_AVR_DEFINES,
                    *_AVR_BUILD_FLAGS),
            cross_compiler="avr-gcc", build_flags=_AVR_BUILD_FLAGS,
        ),
        Board(
            "megaatmega2560", "megaatmega2560", "atmelavr", "arduino", "avr", "avr (ATmega2560)",
            "Timer1 cycles", 16_000_000, 253_952, 8_192, 115200, SERIAL_BAUD,
            cflags=("-mmcu=atmega2560", "-DF_CPU=16000000L", "-DARDUINO_AVR_MEGA2560",
                    *_AVR_DEFINES, *_AVR_BUILD_FLAGS),
            cross_compiler="avr-gcc", build_flags=_AVR_BUILD_FLAGS,
        ),
        Board(
            "nucleo_f401re", "nucleo_f401re", "ststm32", "arduino", "cortex-m4", "cortex-m4 (STM32F401RE)",
            "DWT CYCCNT cycles", 84_000_000, 524_288, 98_304, None, SERIAL_BAUD,
            upload_protocol="stlink",
            cflags=("-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard",
                    "-DF_CPU=84000000L", "-DSTM32F4xx", "-DSTM32F401xE",
                    "-DARDUINO_NUCLEO_F401RE", "-DARDUINO_ARCH_STM32", "-DARDUINO=10808",
                    "-DPLATFORMIO=60118"),
            cross_compiler="arm-none-eabi-gcc",
        ),
        Board(
            "nucleo_l432kc", "nucleo_l432kc", "ststm32", "arduino", "cortex-m4", "cortex-m4 (STM32L432KC)",
            "DWT CYCCNT cycles", 80_000_000, 262_144, 65_536, None, SERIAL_BAUD,
            upload_protocol="stlink",
            cflags=("-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard",
                    "-DF_CPU=80000000L", "-DSTM32L4xx", "-DSTM32L432xx",
                    "-DARDUINO_NUCLEO_L432KC", "-DARDUINO_ARCH_STM32", "-DARDUINO=10808",
                    "-DPLATFORMIO=60118"),
            cross_compiler="arm-none-eabi-gcc",
        ),
        Board(
            "esp32dev", "esp32dev", "espressif32", "arduino", "esp32", "xtensa lx6 (ESP32)",
            "CCOUNT cycles", 240_000_000, 4_194_304, 327_680, 921600, SERIAL_BAUD,
            cflags=("-DF_CPU=240000000L", "-DARDUINO_ESP32_DEV", "-DARDUINO_ARCH_ESP32",
                    "-DESP32", "-DARDUINO=10808", "-DPLATFORMIO=60118"),
        ),
        Board(
            # raspberrypi's Arduino core for the Pico is Arduino-mbed (ARDUINO_ARCH_MBED_RP2040).
            "rpipico", "pico", "raspberrypi", "arduino", "cortex-m0", "cortex-m0+ (RP2040)",
            "TIMERAWL microseconds (M0+ has no cycle counter)", 133_000_000, 2_097_152,
            270_336, None, SERIAL_BAUD,
            cflags=("-mcpu=cortex-m0plus", "-mthumb", "-DF_CPU=133000000L",
                    "-DARDUINO_RASPBERRY_PI_PICO", "-DARDUINO_ARCH_MBED_RP2040",
                    "-DARDUINO_ARCH_MBED", "-DARDUINO=10808", "-DPLATFORMIO=60118"),
            cross_compiler="arm-none-eabi-gcc",
        ),
    )
}


def get_board(key: str) -> Board:
    try:
        return BOARDS[key]
    except KeyError:
        raise UserError(f"unknown board {key!r}; use one of {', '.join(BOARDS)}") from None
