"""`replace_files`: all or nothing. A rename that fails halfway undoes the ones already done,
so the folder is byte-identical to before; a folder it created is removed again."""

from __future__ import annotations

import os

import pytest

from codegen import output_files
from codegen.errors import UserError
from tests.support.cli_user import snapshot


@pytest.mark.parametrize("fail_at", [1, 2, 3, 4])
def test_a_failing_rename_leaves_the_folder_as_it_was(tmp_path, monkeypatch, fail_at):
    out = tmp_path / "out"
    (out / "lib").mkdir(parents=True)
    (out / "a.h").write_text("old a")
    (out / "lib" / "b.json").write_text("old b")
    (out / "gone.txt").write_text("to remove")
    before = snapshot(out)
    real_replace, calls = os.replace, []

    def flaky_replace(source, target):
        calls.append(target)
        if len(calls) == fail_at:
            raise PermissionError(13, "Permission denied", str(target))
        return real_replace(source, target)

    monkeypatch.setattr(output_files.os, "replace", flaky_replace)
    with pytest.raises(UserError, match="cannot write to .*Permission denied; nothing was changed"):
        output_files.replace_files(out, {"a.h": "new a", "lib/b.json": "new b", "new/c.h": "c"}, ("gone.txt",))
    monkeypatch.undo()
    assert snapshot(out) == before


def test_a_new_folder_is_removed_when_writing_fails(tmp_path, monkeypatch):
    def refuse(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output_files.os, "replace", refuse)
    with pytest.raises(UserError, match="No space left"):
        output_files.replace_files(tmp_path / "new" / "out", {"m.h": "x"})
    assert list(tmp_path.iterdir()) == []


def test_writes_and_removes(tmp_path):
    (tmp_path / "old.h").write_text("old")
    written = output_files.replace_files(tmp_path, {"x/y.h": b"bytes", "z.txt": "text"}, ("old.h",))
    assert written == [tmp_path / "x" / "y.h", tmp_path / "z.txt"]
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == ["x", "x/y.h", "z.txt"]
