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

import argparse
import glob
import hashlib
import importlib.metadata
import json
import os
import platform
import stat
import tempfile
from pathlib import Path
from typing import Any

MANIFEST_NAME = ".sim-run"
MANIFEST_TOOL = "sim"
MANIFEST_VERSION = 1
TEMP_SUFFIX = ".tmp"
MANIFEST_MAX_BYTES = 1024 * 1024
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


def _read_manifest_data(directory: Path) -> dict[str, Any] | None:
    """The manifest as JSON: {} if there is none, None if it is not ours (or not a plain file)."""
    path = Path(directory) / MANIFEST_NAME
    if not os.path.lexists(path):
        return {}
    data_bytes = _read_regular(path, MANIFEST_MAX_BYTES)
    if data_bytes is None:
        return None
    try:
        data = json.loads(data_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("tool") != MANIFEST_TOOL:
        return None
    for key in ("files", "pending"):
        table = data.get(key, {})
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            return None
    return data


def read_manifest(directory: Path) -> dict[str, str] | None:
    """Files `sim` wrote in ``directory`` (name -> sha256); {} if no manifest, None if foreign."""
    data = _read_manifest_data(directory)
    return None if data is None else dict(data.get("files", {}))


def _owned(directory: Path) -> dict[str, set[str]] | None:
    """Every digest each file may have and still be sim's: what it wrote (``files``) and what
    an interrupted write was about to write (``pending``); None if the manifest is foreign."""
    data = _read_manifest_data(directory)
    if data is None:
        return None
    owned: dict[str, set[str]] = {}
    for key in ("files", "pending"):
        for name, digest in data.get(key, {}).items():
            owned.setdefault(name, set()).add(digest)
    return owned


def foreign_files(directory: Path, names: list[str]) -> list[str]:
    """Which of ``names`` exist in ``directory`` but are not `sim`'s own (see module docstring).

    A symlink (dangling or not), a FIFO, a device or anything but a regular file is never ours.
    """
    directory = Path(directory)
    owned = _owned(directory)
    foreign = [MANIFEST_NAME] if owned is None else []
    owned = owned or {}
    for name in names:
        path = directory / name
        if os.path.lexists(path) and _digest_of(path) not in owned.get(name, set()):
            foreign.append(name)
    return foreign


def _read_regular(path: Path, limit: int | None = None) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (not a symlink, FIFO or device), else None.

    Opened without following a symlink and without blocking, so a FIFO cannot hang us.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read() if limit is None else handle.read(limit + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return None if limit is not None and len(data) > limit else data


def _digest_of(path: Path) -> str | None:
    data = _read_regular(path)
    return None if data is None else sha256(data)


def out_dir(text: str) -> Path:
    """argparse type of --out: a folder path, not empty (``--out ""`` would mean the current
    folder by accident)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder path, got an empty one")
    if "\x00" in text:
        raise argparse.ArgumentTypeError("the path contains a NUL character")
    return Path(text)


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


def write_outputs(
    directory: Path,
    files: dict[str, bytes],
    force: bool = False,
    versions: dict[str, str] | None = None,
) -> list[Path]:
    """Write ``files`` (name -> bytes) into ``directory`` atomically and record them in the
    manifest.

    Refuses (OutputError, nothing written) when any target exists and is not `sim`'s own, unless
    ``force``. Returns the paths written, manifest last.

    Survives a kill at any point: the manifest first records the new digests as ``pending``
    (the old ones stay in ``files``), then each file is replaced, then the manifest records the
    new digests as ``files``. Whenever the process dies, every file holds its old bytes or its
    new ones, and both are recognised as sim's, so a rerun without --force replaces them; the
    temporary files a kill leaves behind are removed by the next write.
    """
    directory = check_outputs(directory, list(files), force)
    old = read_manifest(directory) or {}
    new = {name: sha256(data) for name, data in files.items()}
    try:
        _remove_stale_temps(directory, [*files, MANIFEST_NAME])
        atomic_write_text(
            directory / MANIFEST_NAME, _manifest_text(old, pending=new, versions=versions)
        )
        written = []
        for name, data in files.items():
            atomic_write_bytes(directory / name, data)
            written.append(directory / name)
        atomic_write_text(directory / MANIFEST_NAME, _manifest_text(old | new, versions=versions))
    except OSError as err:
        raise OutputError(
            f"--out {directory}: cannot write ({err.strerror or err.__class__.__name__})"
        ) from None
    return [*written, directory / MANIFEST_NAME]


def _remove_stale_temps(directory: Path, names: list[str]) -> None:
    """Remove the temporary files an interrupted write of ``names`` left (``.<name>.*.tmp``)."""
    for name in names:
        for stale in directory.glob(f".{glob.escape(name)}.*{TEMP_SUFFIX}"):
            if stale.is_file() and not stale.is_symlink():
                stale.unlink(missing_ok=True)


def _check_names(directory: Path, names: list[str]) -> None:
    for name in names:
        if name == MANIFEST_NAME or Path(name).name != name:
            raise OutputError(
                f"--out {directory}: refusing to write '{name}' (not a plain file name)"
            )
        if (directory / name).is_dir():
            raise OutputError(f"--out {directory}: {name} is a directory")


def _manifest_text(
    files: dict[str, str],
    pending: dict[str, str] | None = None,
    versions: dict[str, str] | None = None,
) -> str:
    data: dict[str, Any] = {
        "tool": MANIFEST_TOOL,
        "version": MANIFEST_VERSION,
        "note": "files the `sim` command wrote here, with the SHA-256 of what it wrote; "
        "sim replaces only these, unchanged, unless --force",
        "files": dict(sorted(files.items())),
    }
    if pending:
        data["pending"] = dict(sorted(pending.items()))
    data["versions"] = dict(sorted((versions or library_versions()).items()))
    return json.dumps(data, indent=2) + "\n"


VERSIONED = ("sim", "mesa", "numpy", "pandas", "scipy", "pydantic", "pyyaml", "joblib")
"""The distributions whose versions decide the bytes sim writes (recorded in the manifest)."""


def library_versions() -> dict[str, str]:
    """Python's and the libraries' versions, as the manifest records them."""
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
