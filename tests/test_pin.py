"""Pin test: the exact bytes of `sim run --out` for each preset and a few seeds.

A refactoring must leave these hashes unchanged. A commit that changes the model's numbers on
purpose regenerates them (``SIM_UPDATE_PINS=1 pytest tests/test_pin.py``) and says in its message
why the numbers changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from sim.cli import main

PIN_FILE = Path(__file__).parent / "pins" / "outputs.json"
CASES = [(name, seed) for name in ("sales_led", "product_led", "default") for seed in (0, 1, 7)]
PINNED_FILES = ("series.csv", "summary.json")


def _hashes(tmp_path: Path, name: str, seed: int) -> dict[str, str]:
    out = tmp_path / f"{name}-{seed}"
    target = name
    if name == "default":
        target = str(tmp_path / "default.yaml")
        Path(target).write_text("name: default\n", encoding="utf-8")
    code = main(["run", target, "--seed", str(seed), "--out", str(out)])
    assert code == 0
    return {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in PINNED_FILES}


def test_outputs_match_their_pins(tmp_path: Path) -> None:
    measured = {f"{name}/{seed}": _hashes(tmp_path, name, seed) for name, seed in CASES}
    if os.environ.get("SIM_UPDATE_PINS"):
        PIN_FILE.write_text(json.dumps(measured, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        pytest.skip("pins regenerated")
    pinned = json.loads(PIN_FILE.read_text(encoding="utf-8"))
    changed = sorted(k for k in measured if measured[k] != pinned.get(k))
    assert not changed, f"outputs changed for {changed}: a refactoring must not change numbers"
