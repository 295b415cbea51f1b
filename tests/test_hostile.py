"""Hostile input through the `sim` entry point (issue 16): the corpus of tests/hostile_corpus.py
and generated input (hypothesis). Every input ends in exit 0, 1 or 2 within a few seconds, never
3 (internal error), never a hang, never a traceback, and no message quotes a file outside the
scenario's folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hostile_corpus import MAX_CASE_SECONDS, SECRET
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli.entry import main
from sim.config import Scenario

CORPUS = Path(__file__).parent / "hostile_corpus.py"
ALLOWED = {0, 1, 2}
VALID_CASES = {  # the corpus's inputs that are fine: everything else must be refused (exit 2)
    "run vs_self.yaml",
    "run empty.yaml",
    "run only_doc_marker.yaml",
    "run bom.yaml",
    "run valid_small.yaml",
    "run valid_with_expect.yaml",
    "check valid_with_expect.yaml",
}


def _passwd_lines() -> list[str]:
    try:
        lines = Path("/etc/passwd").read_text().splitlines()
    except OSError:
        return []
    return [line for line in lines if len(line) > 12]


@pytest.fixture(scope="module")
def corpus_results(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    work = tmp_path_factory.mktemp("hostile")
    done = subprocess.run(
        [sys.executable, str(CORPUS), str(work / "corpus")],
        check=False,
        cwd=work,  # `--out ""` would write here if it were accepted
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_corpus_has_no_internal_error_hang_or_traceback(corpus_results: list[dict]) -> None:
    assert len(corpus_results) >= 130
    bad = [
        (r["name"], r["rc"], r["seconds"], r["stderr"][:200])
        for r in corpus_results
        if r["rc"] not in ALLOWED or r["seconds"] > MAX_CASE_SECONDS
    ]
    assert not bad, f"internal errors or hangs: {bad}"
    for r in corpus_results:
        assert "Traceback" not in r["stderr"], r["name"]
        assert r["stderr"].count("\n") <= 1, (r["name"], r["stderr"][:300])
        assert "\x1b" not in r["stderr"], r["name"]


def test_corpus_refuses_what_it_should(corpus_results: list[dict]) -> None:
    names = {r["name"] for r in corpus_results}
    assert VALID_CASES <= names
    wrong = [
        (r["name"], r["rc"], r["stderr"][:120])
        for r in corpus_results
        if (r["rc"] == 0) != (r["name"] in VALID_CASES)
    ]
    assert not wrong, f"accepted bad input or refused good input: {wrong}"


def test_no_message_quotes_a_file_outside_the_scenario(corpus_results: list[dict]) -> None:
    secrets = _passwd_lines()
    for r in corpus_results:
        assert not any(line in r["stderr"] for line in secrets), r["name"]
        assert "root:" not in r["stderr"], r["name"]
        assert SECRET not in r["stderr"], r["name"]


# --------------------------------------------------------------------------------------------
# Generated input
# --------------------------------------------------------------------------------------------

KEYS = sorted(
    {
        *Scenario.model_fields,
        "company.initial_cash",
        "company.max_engineers",
        "company.initial_engineers",
        "company.plan_start_month",
        "market.size_scale",
        "market.segments.smb.initial_prospects",
        "sales.commission_rate",
        "expect",
        "vs",
        "check",
    }
)
YAML_BITS = st.sampled_from(
    [
        "&a ",
        "*a",
        "!!int ",
        "!!str ",
        "!x ",
        "? ",
        ": ",
        "- ",
        "[",
        "]",
        "{",
        "}",
        ",",
        "\n",
        "  ",
        "#",
        "'",
        '"',
        "|",
        ">",
        "%TAG ! x\n",
        "---\n",
        "...\n",
        "\t",
        "\x1b",
        "\x00",
        "true",
        "1e9",
        ".nan",
        "-.inf",
        "99999999999999999999",
        "/dev/zero",
        "../../etc/passwd",
        "expect:",
        "vs:",
        "months:",
        "company:",
        "market:",
        "segments:",
        "smb:",
        "seeds:",
        "preset: sales_led\n",
        "name:",
        "2024-13-45",
    ]
)
yaml_texts = st.lists(st.one_of(YAML_BITS, st.text(max_size=8)), max_size=40).map("".join)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["sales_led", "product_led", "/dev/zero", "a.yaml", "survival_rate > 0"]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), inner, max_size=4),
    ),
    max_leaves=20,
)
FUZZ = settings(
    max_examples=120,
    deadline=5000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _check(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(argv)
    err = capsys.readouterr().err
    assert code in ALLOWED, (argv[:3], err)
    assert err.count("\n") <= 1 and "Traceback" not in err and "\x1b" not in err, err


@FUZZ
@given(text=yaml_texts)
def test_fuzz_yaml_text(text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _check(["run", str(path), "--months", "2"], capsys)


@FUZZ
@given(data=documents)
def test_fuzz_documents(data: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    _check(["run", str(path), "--months", "2"], capsys)


@FUZZ
@given(key=st.sampled_from(KEYS), value=yaml_texts)
def test_fuzz_set(key: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    _check(["run", "sales_led", "--months", "2", "--set", f"{key}={value}"], capsys)
