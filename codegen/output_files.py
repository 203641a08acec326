"""Writing generated files into a user's folder: all or nothing, and never more than asked.

Files are first written into a hidden staging folder inside the target folder (so the final
renames stay on one file system, and `-o .` or a read-only parent work), then renamed into
place. An existing file is first moved aside into the staging folder, so when any rename
fails the ones already done are undone and the folder is left as it was. New folders and
files get the user's umask (the staging folder itself is private, but nothing created in it
keeps its mode). Any OSError becomes one UserError line.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from codegen.errors import UserError

STAGING_PREFIX = ".mcugen-staging-"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def replace_files(directory, files: dict[str, bytes | str], remove: tuple[str, ...] = ()) -> list[Path]:
    """Write `files` (paths relative to `directory`) and delete `remove`, all or nothing.
    Creates `directory` (and missing parents) when needed; on failure removes what it made."""
    directory = Path(directory)
    blobs = {Path(rel): text.encode() if isinstance(text, str) else text for rel, text in files.items()}
    _check_targets(directory, blobs, remove)
    created = _make_folder(directory)
    try:
        _swap(directory, blobs, tuple(Path(rel) for rel in remove))
    except OSError as error:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise UserError(f"cannot write to {directory}: {_reason(error)}; nothing was changed, "
                        "choose a folder you can write to") from None
    except BaseException:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
    return [directory / rel for rel in blobs]


def check_writable(directory, names=()) -> None:
    """Before long work: refuse what writing `names` into `directory` would refuse (a file where
    the folder goes, a folder where a file goes, a folder or parent without write permission)."""
    directory = Path(directory)
    _check_targets(directory, {Path(name): b"" for name in names}, ())
    existing = directory
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"cannot write to {directory}: {existing} is a file, where mcugen needs a folder; "
                        "choose another -o")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"cannot write to {directory}: {existing} is not writable; nothing was written, "
                        "choose a folder you can write to")


def _check_targets(directory: Path, blobs: dict[Path, bytes], remove) -> None:
    """Refuse early what no rename could fix: the folder is a file, a file is a folder."""
    if directory.exists() and not directory.is_dir():
        raise UserError(f"{directory} exists and is not a folder; choose another -o")
    for rel in (*blobs, *map(Path, remove)):
        target = directory / rel
        if target.is_dir() and not target.is_symlink():
            raise UserError(f"{target} is a folder, where mcugen writes a file; move it away or choose "
                            "another -o (nothing was changed)")
        for parent in list(rel.parents)[:-1]:
            if (directory / parent).exists() and not (directory / parent).is_dir():
                raise UserError(f"{directory / parent} is a file, where mcugen needs a folder; move it "
                                "away or choose another -o (nothing was changed)")


def _make_folder(directory: Path) -> Path | None:
    """Creates `directory` if missing (umask applies); returns the topmost folder created."""
    if directory.is_dir():
        return None
    missing = directory
    while not missing.parent.exists() and missing.parent != missing:
        missing = missing.parent
    try:
        directory.mkdir(parents=True)
    except OSError as error:
        raise UserError(f"cannot create {directory}: {_reason(error)}; nothing was written, "
                        "choose a folder you can write to") from None
    return missing


def _swap(directory: Path, blobs: dict[Path, bytes], remove: tuple[Path, ...]) -> None:
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=directory))
    done: list[tuple[Path, Path | None]] = []  # (target, its old content's place in staging)
    made_dirs: list[Path] = []
    try:
        for index, data in enumerate(blobs.values()):
            (staging / f"new{index}").write_bytes(data)
        for index, rel in enumerate((*blobs, *remove)):
            target = directory / rel
            backup = staging / f"old{index}"
            for parent in reversed(list(rel.parents)[:-1]):
                if not (directory / parent).exists():
                    (directory / parent).mkdir()
                    made_dirs.append(directory / parent)
            if target.exists() or target.is_symlink():
                os.replace(target, backup)
            else:
                backup = None
            done.append((target, backup))
            if index < len(blobs):
                os.replace(staging / f"new{index}", target)
    except BaseException:
        _undo(done, made_dirs)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _undo(done: list[tuple[Path, Path | None]], made_dirs: list[Path]) -> None:
    for target, backup in reversed(done):
        with contextlib.suppress(OSError):
            if backup is None:
                target.unlink(missing_ok=True)
            else:
                os.replace(backup, target)
    for folder in reversed(made_dirs):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
