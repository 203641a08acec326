import sys
from pathlib import Path

import pytest

# device_support.py sits beside the tests; make it importable in every pytest import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from device_support import tiny_header  # noqa: E402

from codegen.device.project import write_project  # noqa: E402


@pytest.fixture
def make_project(tmp_path):
    """make_project(board) -> the tiny model's PlatformIO project for `board`."""

    def make(board: str, name: str = "tiny") -> Path:
        from device_support import TINY_HASH

        header = tiny_header().replace("tiny", name).replace("TINY", name.upper())
        return write_project(header, name, TINY_HASH, board, tmp_path / f"project-{board}")

    return make
