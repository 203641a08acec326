"""Fixtures for the simulator tests (marker `sim`).

A test that needs a missing toolchain fails in CI (CI=true installs them) and is skipped
elsewhere, with the install command in the reason: `check_target_tools` (as the fixture
`require_target`) is the one place that decides this.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from codegen.chips import simulator_of
from codegen.harness import toolchains


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sim: runs generated C in simavr / qemu / unicorn")


def _missing_or_skip(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must have the simulators: {reason}")
    pytest.skip(reason)


def check_target_tools(target: str) -> None:
    """Fails (CI) or skips (elsewhere) unless every tool `target` needs is installed."""
    missing = toolchains.missing(toolchains.tools_for(target))
    if missing:
        _missing_or_skip(f"{', '.join(missing)} missing; run: sudo {toolchains.install_hint(missing[0])}")
    if simulator_of(target).kind != "avr":  # qemu and the RV32 core count with unicorn
        try:
            import unicorn  # noqa: F401
        except ImportError:
            _missing_or_skip("the unicorn package is missing; run: pip install unicorn")


@pytest.fixture
def require_target() -> Callable[[str], None]:
    """Call it with a target name at the start of a test that runs that target."""
    return check_target_tools
