"""The one table of chips: every name `--target` accepts, with its family, memory, instruction
set, simulator and the PlatformIO boards that carry it. A new chip is one row in CHIPS; the
rest of mcugen asks the functions below and reads the table when asked (nothing copies it at
import time), so a row added at run time is known everywhere.

Family-level code-generation facts (measured bytes and cycles per node) stay per family in
codegen/backends/targets.py: a row names its family, and that is the only chip -> family map.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from codegen.errors import UserError

SIM_REGION = 4 << 20  # the simulated memories of the qemu mps2 images and the RISC-V firmware
DEFAULT_ROW_BUDGET = 1 << 20


@dataclass(frozen=True)
class Simulator:
    """Where `verify` and `tune` run a chip's code."""

    kind: str  # "avr" (avr-gcc + simavr), "cortex-m" (gcc + qemu + unicorn), "riscv" (gcc + unicorn)
    flash_bytes: int  # of the simulated part (the mps2 images have 4 MB, whatever the core)
    ram_bytes: int
    mmcu: str = ""  # avr-gcc -mmcu and simavr -m
    machine: str = ""  # qemu -M
    cpu: str = ""  # gcc -mcpu, and unicorn's CPU model
    row_budget: int = DEFAULT_ROW_BUDGET  # bytes of rows per firmware build, leaving the flash to the model


@dataclass(frozen=True)
class Board:
    """A PlatformIO board `mcugen project` and `mcugen flash` know (codegen/device)."""

    key: str  # the name users type: `--board uno`
    pio_board: str  # PlatformIO's board id
    platform: str  # PlatformIO's development platform
    framework: str
    chip: str  # the part, for reports: "avr (ATmega328P)"
    counter: str  # what a reported "cycle" is
    f_cpu: int  # Hz, as PlatformIO's board manifest sets F_CPU
    flash_bytes: int  # what the sketch may use (less a bootloader)
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
    target: str = ""  # the family the model converts for: filled in from the chip row that carries it


@dataclass(frozen=True)
class Chip:
    name: str  # as users type it: `--target atmega2560`
    family: str  # the code-generation profile it converts for (codegen/backends/targets.py)
    flash_bytes: int  # a core name's: a typical part's, for the flash warning
    ram_bytes: int
    word_bits: int
    # Its flash is one part's, so a model too big for it is refused; a core name such as
    # `cortex-m4` covers parts from 16 KB to several MB of flash, so there it is only a warning.
    names_a_part: bool = False
    # The instruction set the code may assume: "avr", "armv6-m" (M0), "armv7-m" (M3), "armv7e-m"
    # (M4/M7: DSP), "rv32imc", "xtensa-lx6"; "" for the host, whose header builds anywhere.
    isa: str = ""
    simulator: Simulator | None = None
    simulated_as: str = ""  # the chip `verify --target <this>` runs on, when it is not this row
    boards: tuple[Board, ...] = field(default=())

    @property
    def thumb2(self) -> bool:
        """Compares take most float thresholds as an immediate (Cortex-M3/M4/M7)."""
        return self.isa in ("armv7-m", "armv7e-m")

    @property
    def dsp(self) -> bool:
        """SMLAD / SXTB16 (the DSP extension): the MLP's packed int8 products."""
        return self.isa == "armv7e-m"

    def may_use(self, isa: str) -> bool:
        """Whether a header converted for this chip keeps the code paths written for `isa`."""
        return self.isa in ("", isa)


SERIAL_BAUD = 115200
_AVR_DEFINES = ("-DARDUINO=10808", "-DARDUINO_ARCH_AVR", "-DPLATFORMIO=60118")
# avr-gcc 5.4 can size a branch of a long if-else chain wrongly ("relocation truncated to fit:
# R_AVR_7_PCREL"); linker relaxation fixes the layout.
_AVR_BUILD_FLAGS = ("-mrelax",)
_STM32_DEFINES = ("-DARDUINO_ARCH_STM32", "-DARDUINO=10808", "-DPLATFORMIO=60118")
_M4_HARD_FLOAT = ("-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard")


def avr_chip(name: str, flash: int, ram: int, row_budget: int, boards: tuple[Board, ...] = ()) -> Chip:
    """An AVR part: simavr models it, memory and all, so its build measures the real flash."""
    return Chip(name, "avr", flash, ram, 8, names_a_part=True, isa="avr", boards=boards,
                simulator=Simulator("avr", flash, ram, mmcu=name, row_budget=row_budget))


def cortex_m_chip(name: str, flash: int, ram: int, isa: str, machine: str, boards: tuple[Board, ...] = ()) -> Chip:
    """A Cortex-M core (its own family), run on a qemu mps2 image."""
    return Chip(name, name, flash, ram, 32, isa=isa, boards=boards,
                simulator=Simulator("cortex-m", SIM_REGION, SIM_REGION, machine=machine, cpu=name))


# In this order: `--target`'s list of families and the simulators' list keep it.
CHIPS: dict[str, Chip] = {row.name: row for row in (
    Chip("host", "host", 2**31, 2**31, 64),
    Chip("avr", "avr", 32 * 1024, 2 * 1024, 8, names_a_part=True, isa="avr", simulated_as="atmega328p"),
    # avr-gcc arrays stay below 32 KiB: the row budgets
    avr_chip("atmega328p", 32_768, 2_048, 4_096, boards=(
        Board("uno", "uno", "atmelavr", "arduino", "avr (ATmega328P)", "Timer1 cycles", 16_000_000, 32_256, 2_048,
              115200, SERIAL_BAUD, cross_compiler="avr-gcc", build_flags=_AVR_BUILD_FLAGS,
              cflags=("-mmcu=atmega328p", "-DF_CPU=16000000L", "-DARDUINO_AVR_UNO", *_AVR_DEFINES,
                      *_AVR_BUILD_FLAGS)),
    )),
    avr_chip("atmega2560", 262_144, 8_192, 32_767, boards=(
        Board("megaatmega2560", "megaatmega2560", "atmelavr", "arduino", "avr (ATmega2560)", "Timer1 cycles",
              16_000_000, 253_952, 8_192, 115200, SERIAL_BAUD, cross_compiler="avr-gcc",
              build_flags=_AVR_BUILD_FLAGS,
              cflags=("-mmcu=atmega2560", "-DF_CPU=16000000L", "-DARDUINO_AVR_MEGA2560", *_AVR_DEFINES,
                      *_AVR_BUILD_FLAGS)),
    )),
    # qemu has no Cortex-M0 board: ARMv6-M code runs unchanged on the AN385's Cortex-M3 (the
    # ARMv7-M instruction set contains it); unicorn counts with its Cortex-M0 CPU model. Neither
    # rejects Thumb-2 instructions, so the cycle model (cycle_model.py) does: an executed
    # instruction outside ARMv6-M fails the run.
    cortex_m_chip("cortex-m0", 32 * 1024, 8 * 1024, "armv6-m", "mps2-an385", boards=(
        # raspberrypi's Arduino core for the Pico is Arduino-mbed (ARDUINO_ARCH_MBED_RP2040).
        Board("rpipico", "pico", "raspberrypi", "arduino", "cortex-m0+ (RP2040)",
              "TIMERAWL microseconds (M0+ has no cycle counter)", 133_000_000, 2_097_152, 270_336, None,
              SERIAL_BAUD, cross_compiler="arm-none-eabi-gcc",
              cflags=("-mcpu=cortex-m0plus", "-mthumb", "-DF_CPU=133000000L", "-DARDUINO_RASPBERRY_PI_PICO",
                      "-DARDUINO_ARCH_MBED_RP2040", "-DARDUINO_ARCH_MBED", "-DARDUINO=10808",
                      "-DPLATFORMIO=60118")),
    )),
    cortex_m_chip("cortex-m3", 256 * 1024, 64 * 1024, "armv7-m", "mps2-an385"),
    cortex_m_chip("cortex-m4", 512 * 1024, 128 * 1024, "armv7e-m", "mps2-an386", boards=(
        Board("nucleo_f401re", "nucleo_f401re", "ststm32", "arduino", "cortex-m4 (STM32F401RE)",
              "DWT CYCCNT cycles", 84_000_000, 524_288, 98_304, None, SERIAL_BAUD, upload_protocol="stlink",
              cross_compiler="arm-none-eabi-gcc",
              cflags=(*_M4_HARD_FLOAT, "-DF_CPU=84000000L", "-DSTM32F4xx", "-DSTM32F401xE",
                      "-DARDUINO_NUCLEO_F401RE", *_STM32_DEFINES)),
        Board("nucleo_l432kc", "nucleo_l432kc", "ststm32", "arduino", "cortex-m4 (STM32L432KC)",
              "DWT CYCCNT cycles", 80_000_000, 262_144, 65_536, None, SERIAL_BAUD, upload_protocol="stlink",
              cross_compiler="arm-none-eabi-gcc",
              cflags=(*_M4_HARD_FLOAT, "-DF_CPU=80000000L", "-DSTM32L4xx", "-DSTM32L432xx",
                      "-DARDUINO_NUCLEO_L432KC", *_STM32_DEFINES)),
    )),
    cortex_m_chip("cortex-m7", 1024 * 1024, 256 * 1024, "armv7e-m", "mps2-an500"),
    Chip("esp32", "esp32", 4 * 1024 * 1024, 320 * 1024, 32, isa="xtensa-lx6", boards=(
        Board("esp32dev", "esp32dev", "espressif32", "arduino", "xtensa lx6 (ESP32)", "CCOUNT cycles",
              240_000_000, 4_194_304, 327_680, 921600, SERIAL_BAUD,
              cflags=("-DF_CPU=240000000L", "-DARDUINO_ESP32_DEV", "-DARDUINO_ARCH_ESP32", "-DESP32",
                      "-DARDUINO=10808", "-DPLATFORMIO=60118")),
    )),
    # a generic RV32IMC microcontroller (codegen/harness/riscv.py)
    Chip("riscv32", "riscv32", 256 * 1024, 64 * 1024, 32, isa="rv32imc", simulator=Simulator("riscv", SIM_REGION, SIM_REGION)),
)}


def target_names() -> tuple[str, ...]:
    """What `--target` accepts: the families first, then the other chips, in table order."""
    families = [name for name, row in CHIPS.items() if row.family == name]
    return (*families, *(name for name in CHIPS if name not in families))


def chip(name: str) -> Chip:
    """The row of a target name; an unknown name gets the error `--target` users know."""
    row = CHIPS.get(name)
    if row is None:
        raise UserError(f"unknown target {name!r}; use one of {', '.join(target_names())}")
    return row


def family_of(name: str) -> str:
    """The family a target name converts for: `atmega328p` -> `avr`, `cortex-m4` -> itself."""
    return chip(name).family


def simulated_chips() -> tuple[str, ...]:
    """The chips a simulator runs, in table order."""
    return tuple(row.name for row in CHIPS.values() if row.simulator is not None)


def simulator_of(name: str) -> Simulator:
    """The simulator of a simulated chip; a UserError names the ones there are."""
    row = CHIPS.get(name)
    if row is None or row.simulator is None:
        raise UserError(f"unknown simulator target {name!r}; choose one of {', '.join(simulated_chips())}")
    return row.simulator


def simulated_as(name: str) -> str | None:
    """The simulated chip that runs a target's code (a family: its usual chip), or None."""
    row = chip(name)
    if row.simulated_as:
        return row.simulated_as
    return name if row.simulator is not None else None


def boards() -> dict[str, Board]:
    """Every PlatformIO board by key, each with the family of the chip that carries it."""
    return {board.key: replace(board, target=row.family) for row in CHIPS.values() for board in row.boards}


def _carrier(board_key: str) -> Chip | None:
    return next((row for row in CHIPS.values() if any(b.key == board_key for b in row.boards)), None)


def chip_flash_bytes(chip: str, family: str) -> int:
    """Flash of a named chip or board when mcugen knows it, else of its family's row."""
    if chip in CHIPS:
        return CHIPS[chip].flash_bytes
    board = boards().get(chip)
    if board is not None:
        return board.flash_bytes
    return CHIPS[family].flash_bytes


def names_a_chip(chip: str, family: str) -> bool:
    """A chip or board whose flash is known; "avr" means the ATmega328P. A core name such as
    `cortex-m0` or `riscv32` covers parts from 16 KB to several MB of flash."""
    named = CHIPS.get(chip)
    return (named is not None and named.names_a_part) or chip in boards() or CHIPS[family].names_a_part


def built_part(chip: str) -> str | None:
    """The simulated chip whose build measures this chip's or board's flash: a part whose
    simulator models its memory (an AVR); a core name or an mps2 image sizes no real part."""
    row = CHIPS.get(chip) or _carrier(chip)
    if row is None or not row.names_a_part:
        return None
    part = CHIPS[row.simulated_as] if row.simulated_as else row
    return part.name if part.simulator is not None else None
