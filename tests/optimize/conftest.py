"""What the simulated searches need: the ATmega328P's toolchain and simavr (CI must have them)."""

from __future__ import annotations

import os

import pytest

from codegen.harness import toolchains


@pytest.fixture
def atmega328p_tools():
    missing = toolchains.missing(toolchains.tools_for("atmega328p"))
    if missing:
        reason = f"{', '.join(missing)} missing; run: {toolchains.install_hint(missing[0])}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have the simulators: {reason}")
        pytest.skip(reason)
