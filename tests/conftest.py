"""Shared test helpers. A test that needs a missing tool fails in CI (CI=true: .ci/run installs
every tool) and is skipped elsewhere with the install command in the reason."""

from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

# One fixed, derandomised hypothesis profile: the same examples on every run.
settings.register_profile("mcugen", derandomize=True, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mcugen")


def require_tool(tool: str, install: str) -> str:
    path = shutil.which(tool)
    if path:
        return path
    reason = f"{tool} is missing; run: {install}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must have it: {reason}")
    pytest.skip(reason)
