"""Safe output files: atomic writes, and a manifest so `sim` never clobbers what it did not write.

Atomic write: the bytes go to a temporary file in the target's own directory, are flushed and
fsynced, then ``os.replace`` moves them over the target in one step. A reader sees the old file or
the new one, never half of either; a crash leaves at most a stray ``.<name>.*.tmp`` file.

Ownership: an output directory holds a manifest, ``.sim-run`` (JSON), listing every file `sim`
wrote there with the SHA-256 of the bytes it wrote. A file counts as `sim`'s own when it is in the
manifest *and* still has those bytes. Anything else - a file that was there before, or one of
ours edited since - is someone else's, and ``write_outputs`` refuses to replace it unless told to
(``force``). The manifest itself is rewritten atomically, before the files it lists.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

MANIFEST_NAME = ".sim-run"
MANIFEST_TOOL = "sim"
MANIFEST_VERSION = 1
TEMP_SUFFIX = ".tmp"
DEFAULT_FILE_MODE = 0o666  # before the process umask, as open() would create it


class OutputError(ValueError):
    """An output directory cannot be used as asked; ``str(err)`` is one line naming the path."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same directory, fsync, replace)."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, _file_mode(path))
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _file_mode(path: Path) -> int:
    """Keep an existing file's mode; a new file gets the usual mode under the current umask."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return DEFAULT_FILE_MODE & ~umask


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable where the platform allows it (no-op where directories can't open)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def read_manifest(directory: Path) -> dict[str, str] | None:
    """Files `sim` wrote in ``directory`` (name -> sha256); {} if no manifest, None if foreign."""
    path = Path(directory) / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("tool") != MANIFEST_TOOL:
        return None
    files = data.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        return None
    return dict(files)


def foreign_files(directory: Path, names: list[str]) -> list[str]:
    """Which of ``names`` exist in ``directory`` but are not `sim`'s own (see module docstring)."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    foreign = [MANIFEST_NAME] if manifest is None else []
    owned = manifest or {}
    for name in names:
        path = directory / name
        if path.exists() and owned.get(name) != _digest_of(path):
            foreign.append(name)
    return foreign


def _digest_of(path: Path) -> str | None:
    try:
        return sha256(path.read_bytes())
    except OSError:
        return None


def prepare_directory(directory: Path) -> Path:
    """Create ``directory`` (with parents) if needed; OutputError if it is not a usable
    directory."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"--out {directory}: exists and is not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(
            f"--out {directory}: cannot create directory ({err.strerror or err.__class__.__name__})"
        ) from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(f"--out {directory}: directory is not writable")
    return directory


def check_outputs(directory: Path, names: list[str], force: bool = False) -> Path:
    """Make sure ``names`` may be written into ``directory`` (created if missing); OutputError if
    not.

    Cheap: call it before a long computation, so a bad --out fails at once. ``write_outputs``
    checks again just before writing.
    """
    directory = prepare_directory(directory)
    _check_names(directory, names)
    foreign = foreign_files(directory, names)
    if foreign and not force:
        listed = ", ".join(foreign)
        raise OutputError(
            f"--out {directory}: would overwrite {listed}, not written by sim (use --force)"
        )
    return directory


def write_outputs(directory: Path, files: dict[str, bytes], force: bool = False) -> list[Path]:
    """Write ``files`` (name -> bytes) into ``directory`` atomically and record them in the
    manifest.

    Refuses (OutputError, nothing written) when any target exists and is not `sim`'s own, unless
    ``force``. Returns the paths written, manifest last.
    """
    directory = check_outputs(directory, list(files), force)
    manifest = read_manifest(directory) or {}
    manifest.update({name: sha256(data) for name, data in files.items()})
    try:
        atomic_write_text(directory / MANIFEST_NAME, _manifest_text(manifest))
        written = []
        for name, data in files.items():
            atomic_write_bytes(directory / name, data)
            written.append(directory / name)
    except OSError as err:
        raise OutputError(
            f"--out {directory}: cannot write ({err.strerror or err.__class__.__name__})"
        ) from None
    return [*written, directory / MANIFEST_NAME]


def _check_names(directory: Path, names: list[str]) -> None:
    for name in names:
        if name == MANIFEST_NAME or Path(name).name != name:
            raise OutputError(
                f"--out {directory}: refusing to write '{name}' (not a plain file name)"
            )
        if (directory / name).is_dir():
            raise OutputError(f"--out {directory}: {name} is a directory")


def _manifest_text(files: dict[str, str]) -> str:
    data: dict[str, Any] = {
        "tool": MANIFEST_TOOL,
        "version": MANIFEST_VERSION,
        "note": "files the `sim` command wrote here, with the SHA-256 of what it wrote; "
        "sim replaces only these, unchanged, unless --force",
        "files": dict(sorted(files.items())),
    }
    return json.dumps(data, indent=2) + "\n"
