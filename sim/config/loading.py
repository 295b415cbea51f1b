"""Loading scenarios: YAML text, files, presets and dotted overrides, validated into a Scenario.

Precedence: schema defaults, then the preset's levers, then the file's sections, then ``--set``.
Every error is a ScenarioError whose text is one line naming the source, the key and the problem.
"""

from __future__ import annotations

import copy
import difflib
import json
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.config.hints import did_you_mean, one_line
from sim.config.presets import PRESETS
from sim.config.safe_yaml import MAX_BYTES, clean, load_yaml
from sim.config.schema import Scenario, ScenarioError, _default_segments

SCENARIO_LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"
"""The project's scenario library (a source checkout's scenarios/): baselines may point there."""


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node: Any = data
    for depth, part in enumerate(parts[:-1]):
        if not isinstance(node, dict) or part not in node:
            known = node if isinstance(node, dict) else ()
            raise ScenarioError(
                f"--set {key}: unknown key '{'.'.join(parts[: depth + 1])}'"
                f"{did_you_mean(part, known)}"
            )
        node = node[part]
    if not isinstance(node, dict) or parts[-1] not in node:
        known = node if isinstance(node, dict) else ()
        hint = did_you_mean(parts[-1], known)
        if not hint and len(parts) == 1:  # a lever named without its section
            hint = did_you_mean(key, _dotted_levers(data, key))
        raise ScenarioError(f"--set {key}: unknown key '{key}'{hint}")
    node[parts[-1]] = value


def _dotted_levers(data: dict[str, Any], name: str) -> dict[str, None]:
    """``section.lever`` for the lever closest to ``name`` in each section (the choices a
    ``did_you_mean`` hint picks from when a lever is named without its section)."""
    found: dict[str, None] = {}
    for section, levers in data.items():
        if isinstance(levers, dict):
            for lever in difflib.get_close_matches(name, [str(k) for k in levers], n=1):
                found[f"{section}.{lever}"] = None
    return found


def _field_names(loc: tuple[Any, ...]) -> list[str]:
    """Names of the fields allowed where an error points (for the 'did you mean' hint)."""
    model: Any = Scenario
    parts = list(loc[:-1])
    while parts:
        field = model.model_fields.get(parts.pop(0)) if isinstance(model, type) else None
        if field is None:
            return []
        model = field.annotation
        if getattr(model, "__origin__", None) in (dict, list):
            model = model.__args__[-1]
            if parts:
                parts.pop(0)
    return (
        list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []
    )


def _format_error(err: ValidationError, source: str) -> str:
    errors = sorted(err.errors(), key=_error_rank)
    first = errors[0]
    loc = tuple(first["loc"])
    key = one_line(".".join(str(p) for p in loc))
    if first["type"] == "extra_forbidden":
        hint = did_you_mean(loc[-1], _field_names(loc))
        msg = f"unknown key{hint}"
    else:
        msg = first["msg"].removeprefix("Value error, ")
        if "input" in first and first["type"] not in ("missing", "value_error"):
            msg += f" (got {json.dumps(first['input'], default=str)[:60]})"
    more = f" [+{len(err.errors()) - 1} more]" if len(err.errors()) > 1 else ""
    return one_line(f"{source}: {key + ': ' if key else ''}{msg}{more}")


def _error_rank(error: dict[str, Any]) -> int:
    """Unknown keys first: a typo explains the 'missing' errors that follow it."""
    return 0 if error["type"] == "extra_forbidden" else 1


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "expect":
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _plain(value: Any) -> Any:
    """``value`` with numpy scalars turned into Python numbers: the schema is strict (a bool or a
    string is not a number), and a script's ``np.int64(3)`` is still the number 3."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def validate(data: dict[str, Any], source: str) -> Scenario:
    try:
        return Scenario.model_validate(_plain(data))
    except ValidationError as err:
        raise ScenarioError(_format_error(err, source)) from None


_DEFAULTS: dict[str, Any] = {
    "market": {"segments": {k: v.model_dump() for k, v in _default_segments().items()}}
}


def from_dict(data: Any, source: str = "<scenario>") -> Scenario:
    """Build a scenario from parsed YAML: the preset's levers first, then the file's sections."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{source}: (top level): expected a mapping of keys, got {type(data).__name__}"
        )
    preset = data.get("preset")
    if preset is not None and (not isinstance(preset, str) or preset not in PRESETS):
        hint = did_you_mean(preset, PRESETS) or f" (choose one of {', '.join(PRESETS)})"
        raise ScenarioError(f"{source}: preset: unknown preset '{preset}'{hint}")
    merged = _merge(_merge(_DEFAULTS, PRESETS.get(preset, {}) if preset else {}), data)
    return validate(merged, source)


def preset(name: str) -> Scenario:
    """The named preset with every other lever at its default."""
    return from_dict({"preset": name, "name": name}, source=f"preset {name}")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file; raises ScenarioError with a one-line message.

    Only a regular file is read (not a device, a FIFO or a directory), and at most ``MAX_BYTES``.
    """
    return loads(read_scenario_text(path), source=str(path))


def read_scenario_text(path: str | Path) -> str:
    """The text of a scenario file: a regular file of at most ``MAX_BYTES``, UTF-8."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ScenarioError(f"{clean(path, 200)}: file not found") from None
    except OSError as err:
        raise ScenarioError(f"{clean(path, 200)}: cannot read ({err.__class__.__name__})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError(f"{clean(path, 200)}: is a directory, not a scenario file")
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError(
            f"{clean(path, 200)}: not a regular file (a device, pipe or socket is not read)"
        )
    if info.st_size > MAX_BYTES:
        raise ScenarioError(
            f"{clean(path, 200)}: {info.st_size} bytes, over the limit of {MAX_BYTES} bytes "
            "for a scenario"
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{clean(path, 200)}: cannot read ({err.__class__.__name__})") from None
    if len(data) > MAX_BYTES:  # it grew after the stat
        raise ScenarioError(
            f"{clean(path, 200)}: over the limit of {MAX_BYTES} bytes for a scenario"
        )
    return text


def loads(text: str, source: str = "<scenario>") -> Scenario:
    """Parse YAML text into a validated scenario (used for uploads and files alike)."""
    return from_dict(load_yaml(text, source), source=source)


def parse_set(items: list[str]) -> dict[str, Any]:
    """Turn ``key=value`` strings into a dict, values parsed as YAML scalars."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set {item}: expected key=value")
        try:
            out[key.strip()] = load_yaml(raw, f"--set {key.strip()}") if raw.strip() else None
        except ScenarioError as err:
            raise ScenarioError(
                str(err).replace("(yaml): not valid YAML", "value is not valid YAML", 1)
            ) from None
    return out


def dotted_items(mapping: Mapping[str, Any], prefix: str = "") -> tuple[tuple[str, Any], ...]:
    """Nested mappings become dotted keys: ``{sales: {a: 1}}`` -> ``(("sales.a", 1),)``; an empty
    mapping is kept as a value."""
    out: list[tuple[str, Any]] = []
    for key, value in mapping.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.extend(dotted_items(value, f"{dotted}."))
        else:
            out.append((dotted, value))
    return tuple(out)
