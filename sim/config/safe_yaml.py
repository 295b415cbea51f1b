"""The one YAML reader of every scenario source: files, ``--set`` values, uploads, links, ``vs:``
baselines and lessons' scenario pairs.

Scenario files are plain data, so the reader accepts plain data only and refuses, with one line
(``ScenarioError``) naming the source, the line and the problem:

* input over ``MAX_BYTES`` (checked before parsing);
* aliases (``*name``): an alias bomb expands a few hundred bytes into gigabytes, and a recursive
  alias never ends; anchors alone (``&name``) are harmless and allowed;
* explicit tags (``!!int abc``, ``!!binary``, ``!!str 5``, ``!custom``): a scenario's values are
  typed by the schema, not by the file;
* nesting deeper than ``MAX_DEPTH`` (deep nesting exhausts Python's recursion);
* keys that are not scalars (``? [a, b]``: a list or a mapping as a key) and a key given twice;
* strings with control characters (other than tab and newline): an ANSI escape in a name would be
  echoed to the terminal.

It is PyYAML's ``SafeLoader`` with the composer and constructor narrowed, not a parser of our own.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from yaml.nodes import MappingNode, ScalarNode

from sim.config.schema import ScenarioError

MAX_BYTES = 256 * 1024
"""Largest scenario text accepted (bytes of UTF-8): the largest real file is under 4 KB."""
MAX_DEPTH = 12
"""Deepest nesting of lists and mappings accepted (a scenario file needs 5)."""
YAML_TAG = "tag:yaml.org,2002:"
ALLOWED_CONTROLS = frozenset("\t\n\r")


class _Refused(yaml.YAMLError):
    """A construct the scenario reader refuses; ``problem`` says which, ``mark`` where."""

    def __init__(self, problem: str, mark: Any, duplicate: bool = False) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark
        self.duplicate = duplicate


class ScenarioLoader(yaml.SafeLoader):
    """SafeLoader for plain data: no aliases, no tags, bounded depth, scalar unique keys."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise _Refused("aliases (*name) are not allowed in a scenario", event.start_mark)
        tag = getattr(event, "tag", None)
        if isinstance(event, (ScalarEvent, CollectionStartEvent)) and tag is not None:
            raise _Refused(
                f"explicit tags ({tag.replace(YAML_TAG, '!!')}) are not allowed in a scenario",
                event.start_mark,
            )
        if isinstance(event, CollectionStartEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _Refused(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode):
                raise _Refused(
                    "a key must be a plain name, not a list or a mapping", key_node.start_mark
                )
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _Refused(f"duplicate key '{clean(key)}'", key_node.start_mark, duplicate=True)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_scalar(self, node: Any) -> Any:
        value = super().construct_scalar(node)
        if isinstance(value, str):
            bad = next((c for c in value if _is_control(c)), None)
            if bad is not None:
                raise _Refused(
                    f"control character U+{ord(bad):04X} not allowed in text", node.start_mark
                )
        return value


# Numbers written the YAML 1.2 way (``1e9``, ``5E-3``) are numbers: YAML 1.1, PyYAML's dialect,
# reads them as strings, and the schema (strict: no string is a number) would then refuse them.
ScenarioLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf") and char not in ALLOWED_CONTROLS


def clean(value: object, limit: int = 60) -> str:
    """``value`` as text safe for one terminal line: control characters escaped, cut to
    ``limit`` characters."""
    text = "".join(
        c if not _is_control(c) and c not in ALLOWED_CONTROLS else repr(c)[1:-1]
        for c in str(value)[: limit + 1]
    )
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_yaml(text: str, source: str, line_offset: int = 0) -> Any:
    """Parse scenario YAML ``text`` into plain data; ScenarioError with one line when refused."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_BYTES:
        raise ScenarioError(
            f"{source}: (yaml): {size} bytes, over the limit of {MAX_BYTES} bytes for a scenario"
        )
    try:
        return yaml.load(text, Loader=ScenarioLoader)
    except (ValueError, OverflowError, TypeError) as err:  # e.g. a date 2024-13-45, 5000 digits
        raise ScenarioError(
            f"{source}: (yaml): cannot read a value ({type(err).__name__})"
        ) from None
    except RecursionError:  # belt and braces: MAX_DEPTH stops nesting long before this
        raise ScenarioError(f"{source}: (yaml): nested too deeply") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1 + line_offset}" if mark else ""
        if isinstance(err, _Refused) and err.duplicate:  # the message tests and users know
            raise ScenarioError(
                f"{source}: (yaml): not valid YAML{where} ({err.problem})"
            ) from None
        if isinstance(err, _Refused):
            raise ScenarioError(f"{source}: (yaml){where}: {err.problem}") from None
        problem = clean(getattr(err, "problem", "") or "")
        detail = f" ({problem})" if problem else ""
        raise ScenarioError(f"{source}: (yaml): not valid YAML{where}{detail}") from None
