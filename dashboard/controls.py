"""The two sides' controls (sidebar): starting scenario, every workshop lever, save and load.

Every control is bound to a URL query parameter (``bind="query-params"``), keyed
``a_<lever>`` / ``b_<lever>`` plus ``a_base`` / ``b_base`` (the starting scenario), ``seeds``
and ``months``. A control at its default (the starting scenario's value) is left out of the URL, so
``?a_base=...&a_contingent_acceptance=80`` is a complete description of side A. An uploaded
scenario travels in the URL too, compressed (``a_upload``), so a bookmark restores it.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import streamlit as st

from sim.config import PRESETS, Scenario, ScenarioError, loads, preset
from sim.config.hints import one_line
from sim.config.loading import read_scenario_text
from sim.config.safe_yaml import MAX_BYTES
from sim.experiment import levers as lv
from sim.experiment.expectations import parse_expectations

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
SIDES = ("A", "B")
DEFAULT_BASES = {"A": "sales_led", "B": "product_led"}
PLAIN_BASE = "default_company"
"""The file of the model's defaults (most lessons start from it): listed right after the presets."""
UPLOADED = "uploaded"
SEED_OPTIONS = (2, 4, 8, 16, 32, 48, 64, 128)
DEFAULT_SEEDS = 32
MONTH_OPTIONS = (6, 12, 24, 36, 48, 60, 72, 96, 120)
DEFAULT_MONTHS = 60
SHORT_NAME_CHARS = 12
"""Longest starting scenario's name a sidebar select box shows whole at 1280 x 720 (a longer one
is written out under the box)."""
RUN_KEYS = ("name", "description", "seeds", "expect")
"""Scenario fields that do not change a run (left out of the cache key)."""


@dataclass(frozen=True)
class Side:
    """One side as the pages use it: its label, the scenario it runs and that scenario's cache
    key."""

    side: str
    scenario: Scenario
    base_label: str
    edited: bool

    @property
    def key(self) -> str:
        return scenario_key(self.scenario)

    @property
    def json(self) -> str:
        return self.scenario.model_dump_json()

    @property
    def label(self) -> str:
        """ "A: Sales-led"; a name that already starts with this side's letter ("L3 A: promises
        up to 12 months out", a lesson's side A on side A) is not prefixed again."""
        name = self.scenario.name
        if not re.match(rf"(?:L\d+\s+)?{self.side}\s*:", name):
            name = f"{self.side}: {name}"
        return name + (" (edited)" if self.edited else "")


def scenario_key(scenario: Scenario) -> str:
    """The canonical JSON of everything that changes a run: the cache key of its results."""
    data = scenario.model_dump(mode="json", exclude=set(RUN_KEYS))
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def widget_key(side: str, name: str) -> str:
    return f"{side.lower()}_{name}"


# --------------------------------------------------------------------------------------------
# Starting scenarios
# --------------------------------------------------------------------------------------------


def _load_file(path: Path) -> tuple[Scenario | None, str | None]:
    """(scenario, None) or (None, the one-line error) for a scenario file (read like the CLI
    reads one: a regular file within the size limit, the same YAML reader)."""
    source = str(path.relative_to(SCENARIO_DIR.parent))
    try:
        return loads(read_scenario_text(path), source=source), None
    except ScenarioError as err:
        return None, str(err).replace(str(path), source)


@st.cache_data(show_spinner=False, max_entries=16)
def _bases(stamp: tuple[tuple[str, float], ...]) -> tuple[dict[str, Scenario], list[str]]:
    """The starting scenarios, cached on the files' names and modification times."""
    out: dict[str, Scenario] = {}
    errors: list[str] = []
    for name, _mtime in stamp:
        scenario, error = _load_file(SCENARIO_DIR / name)
        if error:
            errors.append(error)
        elif scenario is not None:
            out[Path(name).with_suffix("").as_posix()] = (
                scenario  # "sales_led", "lessons/alignment_a"
            )
    for name in PRESETS:  # the presets are always there to start from
        if name not in out:
            out[name] = preset(name)
    ordered = {
        k: out[k]
        for k in sorted(
            out, key=lambda k: (k not in DEFAULT_BASES.values(), k != PLAIN_BASE, "/" in k, k)
        )
    }
    return ordered, errors


def base_scenarios() -> tuple[dict[str, Scenario], list[str]]:
    """The starting scenarios by option name (file stem), and errors of files that do not load."""
    files = sorted(SCENARIO_DIR.glob("*.y*ml")) if SCENARIO_DIR.is_dir() else []
    files += sorted((SCENARIO_DIR / "lessons").glob("*.y*ml"))  # the lessons' pairs, listed last
    return _bases(tuple((p.relative_to(SCENARIO_DIR).as_posix(), p.stat().st_mtime) for p in files))


@st.cache_data(show_spinner=False, max_entries=64)
def _parse(text: str, source: str) -> Scenario:
    scenario = loads(text, source=source)
    check_budget(scenario, source)
    return scenario


def encode_upload(yaml_text: str) -> str:
    return (
        base64.urlsafe_b64encode(zlib.compress(yaml_text.encode("utf-8"), 9))
        .decode("ascii")
        .rstrip("=")
    )


DASHBOARD_MAX_PROSPECTS = 25_000
"""Largest market an uploaded scenario may bring to the shared server (prospects over the longest
horizon the page offers, times size_scale; the presets have about 5,600). The CLI allows
1,000,000 on your own machine; here one upload must not occupy the workers every session
shares."""


def check_budget(scenario: Scenario, source: str) -> None:
    """ScenarioError when ``scenario``'s market is over the dashboard's budget."""
    market = scenario.market
    months = max(MONTH_OPTIONS)
    prospects = market.size_scale * sum(
        s.initial_prospects + s.arrivals_per_month * months for s in market.segments.values()
    )
    if prospects > DASHBOARD_MAX_PROSPECTS:
        raise ScenarioError(
            f"{source}: market: about {prospects:,.0f} prospects over {months} months, over the "
            f"dashboard's limit of {DASHBOARD_MAX_PROSPECTS:,} (run it with `sim run` instead)"
        )


MAX_TOKEN_CHARS = MAX_BYTES * 2
"""Longest ``a_upload`` link parameter read: a link carries no more than an upload may."""


class LinkError(ValueError):
    """An ``a_upload`` link parameter that does not decode to a scenario text."""


def decode_upload(token: str) -> str:
    """The YAML text a link carries; LinkError when it is not one, or expands past MAX_BYTES
    (decompressed in bounded steps: a small link cannot expand into gigabytes)."""
    if len(token) > MAX_TOKEN_CHARS:
        raise LinkError(f"the link's scenario is over {MAX_TOKEN_CHARS} characters")
    padded = token + "=" * (-len(token) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded.encode("ascii"))
        inflater = zlib.decompressobj()
        data = inflater.decompress(raw, MAX_BYTES + 1)
        if len(data) > MAX_BYTES or inflater.unconsumed_tail:
            raise LinkError(f"the link's scenario expands past the limit of {MAX_BYTES} bytes")
        return data.decode("utf-8")
    except (ValueError, zlib.error, UnicodeError) as err:
        if isinstance(err, LinkError):
            raise
        raise LinkError("the link's scenario is not readable (damaged or cut short)") from None


def _uploaded(side: str) -> Scenario | None:
    """The side's uploaded scenario: from this session, else from the URL (``a_upload``).

    A link that does not decode or validate is reported once on the side (one line), never
    raised: a shared link must not break the page.
    """
    lower = side.lower()
    state_key = f"{lower}_uploaded_yaml"
    text = st.session_state.get(state_key)
    source = f"uploaded scenario {side}"
    if text is None:
        token = st.query_params.get(f"{lower}_upload")
        if token:
            try:
                text = decode_upload(token)
            except LinkError as err:
                st.session_state[f"{lower}_upload_error"] = f"{source} (from the link): {err}"
                return None
            st.session_state[state_key] = text
    if text is None:
        return None
    try:
        return _parse(text, source)
    except ScenarioError as err:
        st.session_state[f"{lower}_upload_error"] = one_line(err)
    except Exception as err:  # noqa: BLE001 - a bug must not replace the page with a traceback
        st.session_state[f"{lower}_upload_error"] = one_line(
            f"{source}: cannot be loaded ({type(err).__name__})"
        )
    st.session_state.pop(state_key, None)
    return None


# --------------------------------------------------------------------------------------------
# Callbacks
# --------------------------------------------------------------------------------------------


def reset_levers(side: str, scenario: Scenario) -> None:
    """Put every lever of a side to the scenario's values (a new starting scenario was picked)."""
    for lever in lv.LEVERS:
        st.session_state[widget_key(side, lever.name)] = lever.to_display(
            lv.get(scenario, lever.key)
        )


def on_base_change(side: str) -> None:
    bases, _ = base_scenarios()
    choice = st.session_state.get(widget_key(side, "base"))
    scenario = _uploaded(side) if choice == UPLOADED else bases.get(choice)
    if scenario is not None:
        reset_levers(side, scenario)


def _on_upload(side: str, uploader_key: str) -> None:
    file = st.session_state.get(uploader_key)
    error_key = f"{side.lower()}_upload_error"
    if file is None:
        return
    name = one_line(file.name)[:120]
    if file.size > MAX_BYTES:
        st.session_state[error_key] = (
            f"{name}: {file.size} bytes, over the limit of {MAX_BYTES} bytes for a scenario"
        )
        return
    try:
        text = file.getvalue().decode("utf-8")
    except UnicodeDecodeError:
        st.session_state[error_key] = f"{name}: cannot read (not UTF-8 text)"
        return
    try:
        scenario = loads(text, source=name)
        parse_expectations(list(scenario.expect), name)  # as `sim run` checks it (nothing runs)
        check_budget(scenario, name)
    except ScenarioError as err:
        st.session_state[error_key] = str(err)
        return
    except Exception as err:  # noqa: BLE001 - a bug must not replace the page with a traceback
        st.session_state[error_key] = f"{name}: cannot be loaded ({type(err).__name__})"
        return
    st.session_state.pop(error_key, None)
    yaml_text = scenario.to_yaml()
    st.session_state[f"{side.lower()}_uploaded_yaml"] = yaml_text
    st.session_state[f"{side.lower()}_upload_name"] = name
    st.query_params[f"{side.lower()}_upload"] = encode_upload(yaml_text)
    st.session_state[widget_key(side, "base")] = UPLOADED
    reset_levers(side, scenario)
    # The horizon and ensemble size are shared by both sides (the charts share their axes): take
    # the file's when the controls offer them, and say so when they do not.
    notes = []
    for key, value, options in (
        ("months", scenario.months, MONTH_OPTIONS),
        ("seeds", scenario.seeds, SEED_OPTIONS),
    ):
        if value in options:
            st.session_state[key] = value
        else:
            notes.append(f"{key}: {value}")
    note_key = f"{side.lower()}_upload_note"
    if notes:
        st.session_state[note_key] = (
            f"{name} asks for {', '.join(notes)}; the dashboard offers "
            f"{', '.join(map(str, MONTH_OPTIONS))} months and "
            f"{', '.join(map(str, SEED_OPTIONS))} runs per side."
        )
    else:
        st.session_state.pop(note_key, None)
    # A fresh uploader, so the same file can be loaded again after edits.
    counter = f"{side.lower()}_upload_counter"
    st.session_state[counter] = st.session_state.get(counter, 0) + 1


LIVE_FRAGMENT = "sidebar_live_fragment"
"""Session state: the key of the fragment (``@st.fragment(key=...)``) that draws everything a
lever changes on the page shown, or absent. Set by that page at each full run (``sidebar()``
clears it first)."""


FRAGMENT_RERUNS_ENV = "SIM_DASHBOARD_FRAGMENT_RERUNS"
"""``0``: a lever's move reruns the whole app, as for any widget; default ``1``: only the page's
live fragment (below), unless the move changes what the sidebar itself shows besides the lever
(``sidebar_look``: a note under a governed lever, the greyed "Focus segment", an error).

History: the fragment rerun sends about half the messages of a whole rerun (no sidebar), yet it
first measured no faster: Streamlit's full garbage collection after every script run (130-170
ms, off since ``ui-speed-4``, .streamlit/config.toml) came between the callback and the
fragment, and then the nine charts of the first stage arriving in one burst were drawn in one
long browser task either way. With the top row drawn first (``views.compare.TOP_ROW``) the
sidebar's redraw is on the first redraw's path: the server draws it (35-140 ms under load)
before the page asks for its first stage, and the browser renders its ~110 deltas while the
workers compute (benchmarks/README.md, "redraw"). The sidebar's scenario download gives the
settings the levers show when clicked (``DOWNLOAD_SIDES``), not those of its last full run.
Streamlit's AppTest keeps only a rerun fragment's elements in its element tree: after a move a
test no longer finds the sidebar's widgets (a browser keeps them); the AppTest suites run with
``0`` unless a test asks for ``1`` (tests/conftest.py)."""


def fragment_reruns() -> bool:
    """Whether a lever's move reruns only the page's live fragment (``FRAGMENT_RERUNS_ENV``)."""
    return os.environ.get(FRAGMENT_RERUNS_ENV, "1") != "0"


SIDEBAR_LOOK = "sidebar_look"
"""Session state: side -> ``sidebar_look`` of the settings the sidebar's last full run drew, or
None for a side whose levers did not apply (it shows an error)."""


def sidebar_look(scenario: Scenario) -> tuple:
    """What a side's sidebar shows, besides the levers themselves, that follows the levers'
    values: the note under each governed lever (``lv.governed_note``) and whether "Focus
    segment" is greyed (``FOCUS_IDLE``). A move that changes it reruns the whole app."""
    notes = tuple(lv.governed_note(scenario, rule.key) for rule in lv.GOVERNED)
    return notes, lv.get(scenario, "sales.targeting") == "any"


DOWNLOAD_SIDES = "sidebar_download_sides"
"""Session state: side -> the scenario its "Download scenario" button gives. One dict for the
session's life, updated in place by each full run's sidebar and by ``current_sides()`` in a
fragment rerun: the button's file is made when clicked, outside any script run, so it reads the
dict it was given, not ``st.session_state``."""


def _download_sides() -> dict[str, Scenario]:
    holder = st.session_state.get(DOWNLOAD_SIDES)
    if not isinstance(holder, dict):
        holder = st.session_state[DOWNLOAD_SIDES] = {}
    return holder


def _scenario_yaml(holder: Mapping[str, Scenario], side: str) -> str:
    """The side's scenario as YAML, as the levers show it now (a download's file)."""
    return holder[side].to_yaml()


SIDEBAR_DOWNLOADS = "sidebar-downloads"
"""The key of the fragments that hold the sides' "Download scenario" buttons
(``_scenario_download``), rerun with the page's live fragment after a lever's move. Streamlit
forgets a session's files (a download's made-when-clicked callable too) when a script run
starts as a whole run; a lever's callback turns that run into a fragment rerun only after, so
a sidebar not drawn again would keep a button whose file is gone ("Deferred file ... not
found" in the server's log, nothing downloaded). Drawing the two buttons again registers them
again."""


@st.fragment(key=SIDEBAR_DOWNLOADS)
def _scenario_download(side: str) -> None:
    """A side's "Download scenario" button: the scenario the levers show (``DOWNLOAD_SIDES``),
    as YAML, made when clicked."""
    holder = _download_sides()
    st.download_button(
        f"Download scenario {side} (YAML)",
        # Made when clicked: dumping both sides' YAML at every script run was ~35 ms of
        # each slider move's rerun, before the move's runs were asked for.
        data=partial(_scenario_yaml, holder, side),
        file_name=f"scenario_{side.lower()}_{_slug(holder[side].name)}.yaml",
        mime="text/yaml",
        on_click="ignore",
        key=f"{side.lower()}_download_yaml",
    )


LIVE_PREFETCH = "sidebar_live_prefetch"
"""Session state: a function of the sides that asks for the first runs the page shown will want
(the Compare page's ``prefetch``), or absent. Set by that page at each full run (``sidebar()``
clears it first); a lever's callback calls it with the sides the widgets describe now."""


def _on_lever_change() -> None:
    """A lever moved: ask for the page's first runs at once (``LIVE_PREFETCH``: the workers start
    while the script runs), and rerun only the page's live fragment when it has one (the Compare
    page's results; ``FRAGMENT_RERUNS_ENV``) and the sidebar would look the same apart from the
    lever itself (``sidebar_look``). The sidebar then keeps its elements: the server does not
    send them again and the browser does not draw them again (about half the messages of a move,
    and the sliders' React rendering). The fragment reads the sides from the widgets' state
    (``current_sides``)."""
    try:
        sides = current_sides()
    except NeedsFullRun:  # the sidebar will say why; the page asks for its runs itself
        return
    prefetch = st.session_state.get(LIVE_PREFETCH)
    if prefetch is not None:
        try:
            prefetch(sides)
        except Exception:  # only a head start: the page asks for its runs anyway
            logging.getLogger("dashboard").exception("prefetch after a lever's move failed")
    target = st.session_state.get(LIVE_FRAGMENT)
    drawn = st.session_state.get(SIDEBAR_LOOK) or {}
    same_look = all(drawn.get(side) == sidebar_look(sides[side].scenario) for side in SIDES)
    if target and same_look and fragment_reruns():
        st.rerun(scope=[SIDEBAR_DOWNLOADS, target])  # the two small ones first


# --------------------------------------------------------------------------------------------
# Widgets
# --------------------------------------------------------------------------------------------


COMPACT_TITLES: dict[str, str] = {
    "product.customizable_architecture": "Customisable architecture",
    "policy.feedback_meetings": "Monthly sales-product meeting",
}
"""The sidebar's titles where the lever's own is too long for a column (about 140 pixels wide at
1280 x 720, where a switch's label ended in "…"); the help names the lever in full."""

COMPACT_CHOICES: dict[str, dict[str, str]] = {
    "company.hiring": {
        "plan": "on the plan",
        "on_pressure": "when behind",
        "after_pmf": "after PMF",
    },
    "sales.commission_timing": {"immediate": "day one", "after_pmf": "after PMF"},
    "sales.targeting": {"any": "anyone", "focus": "one segment"},
    "sales.focus_segment": {"smb": "small firms", "midmarket": "mid-market"},
    "sales.commission_basis": {"booking": "signed deal", "cash": "cash in", "clawback": "clawback"},
    "policy.custom_decider": {"sales": "sales", "product": "product"},
    "product.bet_style": {"few_big": "few big bets", "many_small": "many small"},
}
"""The sidebar's short names of a choice lever's values (a closed select box shows about 11
characters at 1280 x 720: "when behind the revenue plan" was cut to "when behin"); the help
lists each in full, and the Play page keeps the long ones. A link made with the long names
still opens (``translate_old_links``)."""


def compact_title(lever: lv.Lever) -> str:
    """The lever's title as the sidebar shows it."""
    return COMPACT_TITLES.get(lever.key, lever.title)


def compact_choice(lever: lv.Lever, value: str) -> str:
    """A choice lever's value as the sidebar shows it (and a link carries it)."""
    return COMPACT_CHOICES.get(lever.key, {}).get(value) or lever.choice_label(value)


def compact_help(lever: lv.Lever, options: list[str] | None = None) -> str:
    """The lever's help, plus what the sidebar shortened: the full title, each short value's
    meaning."""
    text = lever.help
    if compact_title(lever) != lever.title:
        text = f"{lever.title}: {text}"
    shortened = [
        f"*{compact_choice(lever, o)}*: {lever.choice_label(o)}"
        for o in options or []
        if compact_choice(lever, o) != lever.choice_label(o)
    ]
    if shortened:
        text += ". " + "; ".join(shortened) + "."
    return text


def translate_old_links() -> None:
    """A link from before the short names (``?a_hiring=when behind the revenue plan``) opens as it
    did: its long value names become the short ones in the URL, then the script runs again
    (before any widget is drawn; a bound widget reads the URL as the run starts, and would drop
    a name that is not one of its options)."""
    changed = False
    for lever in lv.LEVERS:
        if lever.kind != "choice" or lever.key not in COMPACT_CHOICES:
            continue
        long_to_short = {
            lever.choice_label(v): compact_choice(lever, v)
            for v in lever.choice_labels
            if lever.choice_label(v) != compact_choice(lever, v)
        }
        for side in SIDES:
            key = widget_key(side, lever.name)
            raw = st.query_params.get(key)
            if raw in long_to_short and key not in st.session_state:
                st.query_params[key] = long_to_short[raw]
                changed = True
    if changed:
        st.rerun()


def _number(x: float, integer: bool) -> int | float:
    return round(x) if integer else float(x)


def lever_widget(
    side: str,
    lever: lv.Lever,
    scenario: Scenario,
    *,
    value: Any = ...,
    key: str | None = None,
    bind: bool = True,
    compact: bool = False,
    disabled: bool = False,
) -> Any:
    """One control, bound to the URL, defaulting to the starting scenario's value (or
    ``value``, in scenario units, None included; ``key`` and ``bind=False``: the play page's
    form). ``compact``: the sidebar's short title and value names (``COMPACT_TITLES``,
    ``COMPACT_CHOICES``), the full ones in the help.

    Returns the scenario value (scenario units) the control now shows.
    """
    key = key or widget_key(side, lever.name)
    base_value = lv.get(scenario, lever.key) if value is ... else value
    shown = lever.to_display(base_value)
    title = compact_title(lever) if compact else lever.title
    common: dict[str, Any] = {
        "key": key,
        "help": compact_help(lever) if compact else lever.help,
        "disabled": disabled,
    }
    if bind:
        common["bind"] = "query-params"
        common["on_change"] = _on_lever_change
    if lever.kind == "slider":
        low, high = lever.slider_range(base_value)
        integer = all(float(v).is_integer() for v in (low, high, lever.step or 1, shown))
        if bind and key in st.session_state:  # keep a URL value of the other number type valid
            st.session_state[key] = _number(st.session_state[key], integer)
        fmt = (
            "%d"
            if integer
            else ("%.2f" if (lever.step or 1) < 0.1 else "%.1f" if (lever.step or 1) < 1 else "%g")
        )
        if lever.scale == 1e6:
            fmt = "%.2f"
        value = st.slider(
            title,
            min_value=_number(low, integer),
            max_value=_number(high, integer),
            value=_number(float(shown), integer),
            step=_number(lever.step or 1, integer),
            format=fmt,
            **common,
        )
    elif lever.kind == "choice":
        options = lever.choices(scenario)
        if shown not in options:
            options.append(shown)
        if compact:
            common["help"] = compact_help(lever, options)
        value = st.selectbox(
            title,
            options,
            index=options.index(shown),
            format_func=partial(compact_choice, lever) if compact else lever.choice_label,
            **common,
        )
    elif lever.kind == "toggle":
        value = st.toggle(title, value=bool(shown), **common)
    else:  # steps
        options = lever.step_options(base_value)
        value = st.select_slider(
            title,
            options=options,
            value=shown,
            format_func=lambda s: s if s == lv.NO_CAP else f"${s}k",
            **common,
        )
    return lever.from_display(value)


def side_controls(
    side: str,
    container: Any,
    months: int = DEFAULT_MONTHS,
    seeds: int = DEFAULT_SEEDS,
    notes_out: dict[str, tuple[Any, str | None]] | None = None,
) -> Side:
    """Draw one side's controls in ``container`` and return the scenario they describe: the
    starting scenario, the levers on top of it, then saving and loading. ``notes_out`` receives
    each place a note may take and the note drawn there (``align_notes``)."""
    with container:
        st.markdown(
            f'<div class="side-head side-{side.lower()}">{side}</div>', unsafe_allow_html=True
        )
        start = starting_scenario(side, notes_out)
        st.session_state[_start_key(side)] = start
        scenario, edited = levers(side, start.scenario, notes_out)
        scenario = _with_horizon(scenario, months, seeds)
        save_load(side, scenario, uploaded_chosen=start.uploaded)
        for message in start.errors:
            st.warning(message)
    return Side(side=side, scenario=scenario, base_label=start.label, edited=edited)


def _with_horizon(scenario: Scenario, months: int, seeds: int) -> Scenario:
    if (scenario.months, scenario.seeds) != (months, seeds):
        # the downloaded YAML reproduces the page
        scenario = scenario.with_overrides({"months": int(months), "seeds": int(seeds)})
    return scenario


def _start_key(side: str) -> str:
    return f"sidebar_start_{side.lower()}"


@dataclass(frozen=True)
class Start:
    """The starting scenario a side's "Start from" box picked."""

    scenario: Scenario
    label: str
    uploaded: bool
    errors: tuple[str, ...]


def starting_scenario(
    side: str, notes_out: dict[str, tuple[Any, str | None]] | None = None
) -> Start:
    """The "Start from" box (a scenario file, a preset, or the side's uploaded file) and the
    chosen scenario's description; errors are the files that do not load."""
    bases, errors = base_scenarios()
    uploaded = _uploaded(side)
    options = list(bases) + ([UPLOADED] if uploaded is not None else [])
    default = (
        DEFAULT_BASES[side]
        if DEFAULT_BASES[side] in options
        else options[min(SIDES.index(side), len(options) - 1)]
    )

    def label(option: str) -> str:
        if option == UPLOADED and uploaded is not None:
            return f"uploaded: {uploaded.name}"
        return bases[option].name if option in bases else option

    choice = st.selectbox(
        "Start from",
        options,
        index=options.index(default),
        format_func=label,
        key=widget_key(side, "base"),
        bind="query-params",
        on_change=on_base_change,
        args=(side,),
        help="a scenario file from scenarios/ (or one you uploaded); the "
        "controls below start at its values",
    )
    is_uploaded = choice == UPLOADED and uploaded is not None
    base = uploaded if is_uploaded else bases[choice]
    name_place = st.empty()
    long_name = label(choice) if len(label(choice)) > SHORT_NAME_CHARS else None
    if long_name:  # the closed box cuts it at 1280 x 720
        name_place.caption(long_name)
    if notes_out is not None:
        notes_out["start"] = (name_place, long_name)
    if base.description:
        with st.expander("What this scenario is"):
            st.markdown(base.description)
    return Start(base, label(choice), choice == UPLOADED, tuple(errors))


def levers(
    side: str, base: Scenario, notes_out: dict[str, tuple[Any, str | None]] | None = None
) -> tuple[Scenario, bool]:
    """Every workshop lever of a side (the rarer ones under "More levers"), starting at ``base``'s
    values; the scenario they describe and whether any differs from ``base``. ``notes_out``
    receives the place under each control that may carry a note, and the note drawn there."""
    settings: dict[str, Any] = {}
    notes: dict[str, Any] = {}  # a place under each control another lever may govern
    governed = {rule.key for rule in lv.GOVERNED}
    drawn: dict[str, tuple[Any, str | None]] = {}
    for lever in lv.LEVERS:
        if not lever.more:
            idle = lever.key == "sales.focus_segment" and settings.get("sales.targeting") == "any"
            settings[lever.key] = lever_widget(side, lever, base, compact=True, disabled=idle)
            if lever.key == "sales.focus_segment":
                place = st.empty()
                if idle:  # greyed, not hidden: a hidden widget would forget its value and the URL's
                    place.caption(FOCUS_IDLE)
                drawn[lever.key] = (place, FOCUS_IDLE if idle else None)
            if lever.key in governed:
                notes[lever.key] = st.empty()
    with st.expander("More levers"):
        for lever in lv.LEVERS:
            if lever.more:
                settings[lever.key] = lever_widget(side, lever, base, compact=True)
    looks = st.session_state.setdefault(SIDEBAR_LOOK, {})
    try:
        scenario = lv.apply(base, settings)
        looks[side] = sidebar_look(scenario)
    except ScenarioError as err:  # e.g. a focus segment the market lacks
        st.error(str(err))
        scenario = base
        looks[side] = None  # the error must go when a move fixes it: a whole rerun
    for key, place in notes.items():  # the governing lever may sit below, under More levers
        note = lv.governed_note(scenario, key)
        if note:
            place.caption(note)
        drawn[key] = (place, note)
    if notes_out is not None:
        notes_out.update(drawn)
    return scenario, bool(lv.changed(base, settings))


NOTE_SPACER = "note_spacer"
"""Key prefix of a hidden copy of the other side's note (CSS: invisible, same height)."""


def align_notes(
    a: Mapping[str, tuple[Any, str | None]], b: Mapping[str, tuple[Any, str | None]]
) -> None:
    """Keep A's and B's controls on the same rows: where only one side draws a note under a
    control, the other side's empty place gets an invisible copy of it, as tall."""
    for key in a.keys() & b.keys():
        (place_a, note_a), (place_b, note_b) = a[key], b[key]
        for place, mine, theirs, side in (
            (place_a, note_a, note_b, "a"),
            (place_b, note_b, note_a, "b"),
        ):
            if theirs and not mine:
                with place.container(key=f"{NOTE_SPACER}_{side}_{key.replace('.', '_')}"):
                    st.caption(theirs)


FOCUS_IDLE = "Used only when sales chases one segment."
"""The note under the greyed "Focus segment" of a side whose sales chase anyone who will buy."""


FULL_RUN = "sidebar_full_run"
"""Session state: True from ``sidebar()`` until the page's live fragment takes it
(``page_sides``): whether this run drew the sidebar."""


def page_sides(drawn: Mapping[str, Side]) -> Mapping[str, Side]:
    """The sides for a live fragment (see ``LIVE_FRAGMENT``): ``drawn`` (the sidebar's, given
    to the page) in a full run; in a fragment rerun (the sidebar not drawn) the sides its
    widgets describe now. A fragment rerun whose levers do not apply reruns the whole app, so
    the sidebar says why."""
    if st.session_state.pop(FULL_RUN, False):
        return drawn
    try:
        return current_sides()
    except NeedsFullRun:
        st.rerun()


class NeedsFullRun(Exception):
    """The widgets' state describes a side the sidebar must draw itself (an error to show)."""


def current_sides() -> dict[str, Side]:
    """The sides as the sidebar's widgets describe them now, without drawing the sidebar: what
    ``sidebar()`` would return, for a fragment rerun after a lever moved (``_on_lever_change``).
    The starting scenarios are the ones the last full run drew. Records them as ``LAST_SIDES``.

    NeedsFullRun when the sidebar has not been drawn yet or a side's levers do not apply (the
    sidebar shows why).
    """
    seeds = int(st.session_state.get("seeds", DEFAULT_SEEDS))
    months = int(st.session_state.get("months", DEFAULT_MONTHS))
    sides = {}
    for side in SIDES:
        start = st.session_state.get(_start_key(side))
        if start is None:
            raise NeedsFullRun(side)
        settings: dict[str, Any] = {}
        for lever in lv.LEVERS:
            key = widget_key(side, lever.name)
            if key not in st.session_state:
                raise NeedsFullRun(key)
            settings[lever.key] = lever.from_display(st.session_state[key])
        try:
            scenario = lv.apply(start.scenario, settings)
        except ScenarioError as err:
            raise NeedsFullRun(side) from err
        sides[side] = Side(
            side=side,
            scenario=_with_horizon(scenario, months, seeds),
            base_label=start.label,
            edited=bool(lv.changed(start.scenario, settings)),
        )
    st.session_state[LAST_SIDES] = sides
    _download_sides().update({side: sides[side].scenario for side in sides})
    return sides


def save_load(side: str, scenario: Scenario, uploaded_chosen: bool = False) -> None:
    """Download the side's scenario as YAML, or load a scenario file into the side; the upload's
    error or note, if any."""
    lower = side.lower()
    _download_sides()[side] = scenario
    with st.expander("Save or load this scenario"):
        _scenario_download(side)
        counter = st.session_state.get(f"{lower}_upload_counter", 0)
        uploader_key = f"{lower}_uploader_{counter}"
        st.file_uploader(
            f"Load a scenario file into {side}",
            type=["yaml", "yml"],
            key=uploader_key,
            on_change=_on_upload,
            args=(side, uploader_key),
            help="a YAML scenario file; it is checked like `sim run` checks it",
        )
    error = st.session_state.get(f"{lower}_upload_error")
    if error:
        st.error(error)
    note = st.session_state.get(f"{lower}_upload_note")
    if note and uploaded_chosen:
        st.info(note)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_") or "scenario"


def global_controls(container: Any) -> tuple[int, int]:
    """Runs per side and the horizon (shared by both sides: the charts share their axes)."""
    with container:
        left, right = st.columns(2)
        seeds = left.selectbox(
            "Companies simulated per side",
            SEED_OPTIONS,
            index=SEED_OPTIONS.index(DEFAULT_SEEDS),
            key="seeds",
            bind="query-params",
            help="each is the same company with different luck (a different random seed)",
        )
        months = right.selectbox(
            "Months simulated",
            MONTH_OPTIONS,
            index=MONTH_OPTIONS.index(DEFAULT_MONTHS),
            key="months",
            bind="query-params",
            help="the horizon of every run, both sides",
        )
    return int(seeds), int(months)


LAST_SIDES = "sidebar_sides"
"""Session state: the sides the page drew last (the sidebar's, or ``current_sides()``'s in a
fragment rerun). A record for tests and debugging only: the pages get the sides as an argument
(``PageContext``) or from ``current_sides()``, never from here."""


def sidebar() -> tuple[dict[str, Side], int, int]:
    """The whole sidebar: global controls, then A and B side by side."""
    st.session_state.pop(LIVE_FRAGMENT, None)  # the page sets it again if it has one
    st.session_state.pop(LIVE_PREFETCH, None)  # likewise
    st.session_state[FULL_RUN] = True
    translate_old_links()
    sb = st.sidebar
    seeds, months = global_controls(sb)
    col_a, col_b = sb.columns(2, gap="medium")
    places: dict[str, dict[str, tuple[Any, str | None]]] = {"A": {}, "B": {}}
    sides = {
        "A": side_controls("A", col_a, months, seeds, places["A"]),
        "B": side_controls("B", col_b, months, seeds, places["B"]),
    }
    align_notes(places["A"], places["B"])
    st.session_state[LAST_SIDES] = sides
    return sides, seeds, months
