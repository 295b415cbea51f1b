"""`--out` survives a kill at any point (issue 16): whichever write the process dies in, a rerun
without --force recognises what sim wrote and replaces it, leaves no temporary file, and still
refuses the user's own files; FIFOs and symlinks in the folder are never sim's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.cli import outputs
from sim.cli.entry import main
from sim.cli.outputs import MANIFEST_NAME, TEMP_SUFFIX, write_outputs

FILES_V1 = {"a.csv": b"one\n", "b.json": b"{}\n"}
FILES_V2 = {"a.csv": b"two\n", "b.json": b'{"x": 2}\n'}


class Killed(BaseException):
    """Stands for the process dying in the middle of a write."""


def _die_at(monkeypatch: pytest.MonkeyPatch, step: int) -> None:
    """Make the ``step``-th atomic write die after leaving its temp file, as kill -9 would."""
    real = outputs.atomic_write_bytes
    calls = {"n": 0}

    def dying(path: Path, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == step:
            (path.parent / f".{path.name}.killed{TEMP_SUFFIX}").write_bytes(data[:1])
            raise Killed
        real(path, data)

    monkeypatch.setattr(outputs, "atomic_write_bytes", dying)


@pytest.mark.parametrize("step", [1, 2, 3, 4])  # the pending manifest, a.csv, b.json, manifest
def test_a_rerun_after_a_kill_at_any_write_replaces_sims_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: int
) -> None:
    write_outputs(tmp_path, FILES_V1)
    with monkeypatch.context() as patch:
        _die_at(patch, step)
        with pytest.raises(Killed):
            write_outputs(tmp_path, FILES_V2)
    write_outputs(tmp_path, FILES_V2)  # no --force: every file is recognised as sim's
    assert {p.name for p in tmp_path.iterdir()} == {*FILES_V2, MANIFEST_NAME}  # no temp left
    assert all((tmp_path / n).read_bytes() == d for n, d in FILES_V2.items())
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text())
    assert "pending" not in manifest and set(manifest["files"]) == set(FILES_V2)
    assert {"python", "numpy", "pandas", "mesa"} <= set(manifest["versions"])


def test_the_users_file_is_still_refused_after_a_kill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_outputs(tmp_path, FILES_V1)
    with monkeypatch.context() as patch:
        _die_at(patch, 2)
        with pytest.raises(Killed):
            write_outputs(tmp_path, FILES_V2)
    (tmp_path / "b.json").write_bytes(b"the user's own edit\n")
    with pytest.raises(outputs.OutputError, match="b.json"):
        write_outputs(tmp_path, FILES_V2)


def test_kill_9_during_sim_run_out_then_rerun(tmp_path: Path) -> None:
    """The real thing: SIGKILL `sim run --out` at a few moments, rerun without --force."""
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "sim.cli.entry", "run", "sales_led", "--months", "12"]
    first = subprocess.run([*argv, "--out", str(out)], capture_output=True, check=False)
    assert first.returncode == 0, first.stderr
    for delay in (0.9, 1.3):
        proc = subprocess.Popen(
            [*argv, "--seed", "1", "--out", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        rerun = subprocess.run(
            [*argv, "--seed", "2", "--out", str(out)], capture_output=True, check=False
        )
        assert rerun.returncode == 0, rerun.stderr
        assert not [p.name for p in out.iterdir() if p.name.endswith(TEMP_SUFFIX)]


def test_fifo_in_the_folder_does_not_hang_and_force_replaces_it(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "summary.json")
    argv = ["run", "sales_led", "--months", "2", "--out", str(tmp_path)]
    assert main(argv) == 2
    assert main([*argv, "--force"]) == 0
    assert (tmp_path / "summary.json").is_file()


def test_dangling_symlink_is_not_replaced_without_force(tmp_path: Path) -> None:
    (tmp_path / "summary.json").symlink_to(tmp_path / "nowhere")
    argv = ["run", "sales_led", "--months", "2", "--out", str(tmp_path)]
    assert main(argv) == 2
    assert (tmp_path / "summary.json").is_symlink()
    assert main([*argv, "--force"]) == 0
    assert not (tmp_path / "summary.json").is_symlink()
    assert not (tmp_path / "nowhere").exists()  # replaced the link, not written through it


def test_empty_out_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", "sales_led", "--months", "2", "--out", ""]) == 2
    assert not list(tmp_path.iterdir())
