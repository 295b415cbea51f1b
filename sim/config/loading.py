"""Loading scenarios: YAML text, files, presets and dotted overrides, validated into a Scenario.

Precedence: schema defaults, then the preset's levers, then the file's sections, then ``--set``.
Every error is a ScenarioError whose text is one line naming the source, the key and the problem.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.config.hints import did_you_mean, one_line
from sim.config.presets import PRESETS
from sim.config.schema import Scenario, ScenarioError, _default_segments


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
        raise ScenarioError(
            f"--set {key}: unknown key "
            f"'{key}'{did_you_mean(parts[-1], node if isinstance(node, dict) else ())}"
        )
    node[parts[-1]] = value


def _field_names(loc: tuple[Any, ...]) -> list[str]:
    """Names of the fields allowed where an error points (for the 'did you mean' hint)."""
    model: Any = Scenario
    parts = list(loc[:-1])
    while parts:
        field = model.model_fields.get(parts.pop(0)) if isinstance(model, type) else None
        if field is None:
            return []
        model = field.annotation
        if getattr(model, "__origin__", None) is dict:
            model = model.__args__[1]
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


def validate(data: dict[str, Any], source: str) -> Scenario:
    try:
        return Scenario.model_validate(data)
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
    """Read and validate a scenario YAML file; raises ScenarioError with a one-line message."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: cannot read ({err.__class__.__name__})") from None
    return loads(text, source=str(path))


def loads(text: str, source: str = "<scenario>") -> Scenario:
    """Parse YAML text into a validated scenario (used for uploads and files alike)."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(err, "problem", "") or ""
        detail = f" ({problem})" if problem.startswith("duplicate key") else ""
        raise ScenarioError(f"{source}: (yaml): not valid YAML{where}{detail}") from None
    return from_dict(data, source=source)


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key given twice in one mapping (the last would silently win)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_set(items: list[str]) -> dict[str, Any]:
    """Turn ``key=value`` strings into a dict, values parsed as YAML scalars."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set {item}: expected key=value")
        try:
            out[key.strip()] = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError:
            raise ScenarioError(f"--set {item}: value is not valid YAML") from None
    return out
