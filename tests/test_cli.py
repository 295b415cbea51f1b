"""The `sim` command line: deterministic output, safe --out, one-line errors with exit 2.

Most tests call ``sim.cli.main(argv)`` in-process (it returns the exit code); a few run the
installed console script (``.venv/bin/sim``) through subprocess, as a user or CI would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import dashboard as dashboard_cmd
from sim.cli import run as run_cmd
from sim.cli.common import resolve_scenario
from sim.cli.entry import EXIT_BAD_INPUT, EXIT_EXPECTATION_FAILED, EXIT_OK, main
from sim.cli.outputs import MANIFEST_NAME, atomic_write_bytes, read_manifest, sha256

REPO = Path(__file__).resolve().parent.parent
SIM_SCRIPT = Path(sys.executable).parent / "sim"
QUICK = ["--months", "24"]
TINY = ["--months", "6"]
RUN_FILES = run_cmd.RUN_FILES
SUBPROCESS_TIMEOUT_S = 300


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Call main(argv): (exit code, stdout, stderr)."""
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_bad_input(code: int, err: str, *fragments: str) -> None:
    """Exit 2, exactly one line on stderr, no traceback, and the line names what is wrong."""
    assert code == EXIT_BAD_INPUT, err
    assert err.count("\n") == 1 and err.endswith("\n"), repr(err)
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ============================================================================================
# sim run
# ============================================================================================


def test_run_json_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    first = run_cli(["run", "sales_led", "--seed", "3", "--json", *QUICK], capsys)
    second = run_cli(["run", "sales_led", "--seed", "3", "--json", *QUICK], capsys)
    assert first[0] == EXIT_OK and first == second
    summary = json.loads(first[1])
    assert list(summary) == sorted(summary)
    assert {
        "survived",
        "month_of_death",
        "final_arr_usd",
        "cumulative_revenue_usd",
        "peak_burn_usd",
        "mean_custom_share",
        "spiral",
        "spiral_onset_month",
    } <= set(summary)


def test_run_table_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["run", str(REPO / "scenarios" / "product_led.yaml"), *TINY], capsys)
    assert code == EXIT_OK, err
    for label in (
        "survived",
        "final ARR",
        "cumulative revenue",
        "peak monthly burn",
        "mean custom share",
        "death spiral",
        "death through the pressure loop",
        "with pressure cut: survives",
        "PMF month",
    ):
        assert label in out
    assert "seed 0, 6 months" in out


def test_run_applies_set_and_months(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        ["run", "sales_led", "--json", "--months", "5", "--set", "company.initial_cash=0"], capsys
    )
    summary = json.loads(out)
    assert code == EXIT_OK
    assert summary["survived"] is False and summary["months_run"] <= 5


def test_console_script_matches_in_process_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert SIM_SCRIPT.exists(), f"console script missing: {SIM_SCRIPT} (pip install -e .)"
    argv = ["run", "sales_led", "--seed", "1", "--json", *QUICK]
    proc = subprocess.run(
        [str(SIM_SCRIPT), *argv],
        check=False,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        cwd=REPO,
    )
    assert proc.returncode == EXIT_OK, proc.stderr
    assert proc.stdout == run_cli(argv, capsys)[1]


def test_console_script_bad_input_exit_2_one_line(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yaml", "sales:\n  comission_rate: 0.1\n")
    proc = subprocess.run(
        [str(SIM_SCRIPT), "run", str(bad)],
        check=False,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
    )
    assert_bad_input(
        proc.returncode,
        proc.stderr,
        str(bad),
        "sales.comission_rate",
        "did you mean 'commission_rate'",
    )
    assert proc.stdout == ""


# ============================================================================================
# --out: atomic files, never clobbering what sim did not write
# ============================================================================================


def test_out_writes_files_and_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "new" / "run"
    code, out, err = run_cli(["run", "sales_led", *TINY, "--out", str(out_dir), "--json"], capsys)
    assert code == EXIT_OK, err
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == sorted([*RUN_FILES, MANIFEST_NAME])  # no temp files left behind
    assert json.loads((out_dir / "summary.json").read_text()) == json.loads(out)
    manifest = read_manifest(out_dir)
    assert manifest is not None
    for name in RUN_FILES:
        assert manifest[name] == sha256((out_dir / name).read_bytes())
    header = (out_dir / "series.csv").read_text().splitlines()[0].split(",")
    assert {"month", "cash_usd", "arr_usd", "custom_share", "pmf"} <= set(header)


def test_out_overwrites_its_own_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["run", "sales_led", *TINY, "--out", str(tmp_path)], capsys)[0] == EXIT_OK
    code, _, err = run_cli(["run", "product_led", *TINY, "--out", str(tmp_path)], capsys)
    assert code == EXIT_OK, err
    assert "product_led" in (tmp_path / "scenario.yaml").read_text()


def test_out_refuses_foreign_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = write(tmp_path / "series.csv", "my precious data\n")
    code, _, err = run_cli(["run", "sales_led", *TINY, "--out", str(tmp_path)], capsys)
    assert_bad_input(code, err, "series.csv", "--force", str(tmp_path))
    assert mine.read_text() == "my precious data\n"
    assert not (tmp_path / "summary.json").exists() and not (tmp_path / MANIFEST_NAME).exists()


def test_out_refuses_before_running_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sim.experiment.runner

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model ran although --out was refused")

    monkeypatch.setattr(sim.experiment.runner, "run", must_not_run)
    write(tmp_path / "summary.json", "{}")
    code, _, err = run_cli(["run", "sales_led", "--out", str(tmp_path)], capsys)
    assert_bad_input(code, err, "summary.json")


def test_out_force_overwrites_foreign_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "series.csv", "my precious data\n")
    code, _, err = run_cli(["run", "sales_led", *TINY, "--out", str(tmp_path), "--force"], capsys)
    assert code == EXIT_OK, err
    assert (tmp_path / "series.csv").read_text().startswith("month,")
    assert "series.csv" in (read_manifest(tmp_path) or {})


def test_out_refuses_own_file_edited_since(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["run", "sales_led", *TINY, "--out", str(tmp_path)], capsys)[0] == EXIT_OK
    with (tmp_path / "summary.json").open("a", encoding="utf-8") as handle:
        handle.write("\n# my notes\n")
    code, _, err = run_cli(["run", "sales_led", *TINY, "--out", str(tmp_path)], capsys)
    assert_bad_input(code, err, "summary.json")


def test_out_refuses_foreign_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / MANIFEST_NAME, "not ours")
    code, _, err = run_cli(["run", "sales_led", *TINY, "--out", str(tmp_path)], capsys)
    assert_bad_input(code, err, MANIFEST_NAME)


def test_out_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = write(tmp_path / "file", "x")
    code, _, err = run_cli(["run", "sales_led", *TINY, "--out", str(target)], capsys)
    assert_bad_input(code, err, str(target), "not a directory")


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "old")
    atomic_write_bytes(path, b"new contents")
    assert path.read_bytes() == b"new contents"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_write_failure_leaves_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "a.txt", "old")

    def fail_replace(src: str, dst: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", fail_replace)
    with pytest.raises(OSError):
        atomic_write_bytes(path, b"new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


# ============================================================================================
# Bad input: exit 2, one line, never a traceback
# ============================================================================================


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, Path]:
    return {
        "yaml": write(tmp_path / "broken.yaml", "sales: [1, 2\n"),
        "key": write(tmp_path / "typo.yaml", "preset: sales_led\nsales: {promise_horizon: 3}\n"),
        "value": write(tmp_path / "bounds.yaml", "sales: {commission_rate: 7}\n"),
        "preset": write(tmp_path / "preset.yaml", "preset: sales-led\n"),
        "list": write(tmp_path / "list.yaml", "- a\n- b\n"),
    }


@pytest.mark.parametrize(
    "kind,fragments",
    [
        ("yaml", ["broken.yaml", "not valid YAML", "line"]),
        ("key", ["typo.yaml", "sales.promise_horizon", "did you mean 'promise_horizon_months'"]),
        ("value", ["bounds.yaml", "sales.commission_rate", "(got 7)"]),
        ("preset", ["preset.yaml", "unknown preset 'sales-led'", "did you mean 'sales_led'"]),
        ("list", ["list.yaml", "expected a mapping"]),
    ],
)
def test_invalid_file_exit_2(
    kind: str, fragments: list[str], bad_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["run", str(bad_files[kind]), *TINY], capsys)
    assert_bad_input(code, err, *fragments)
    assert out == ""


@pytest.mark.parametrize(
    "argv,fragments",
    [
        (["run", "no/such/file.yaml"], ["no/such/file.yaml", "file not found"]),
        (["run", "sales_led", "--set", "sales.commission_rate"], ["--set", "key=value"]),
        (
            ["run", "sales_led", "--set", "sales.comission_rate=0.1"],
            ["did you mean 'commission_rate'"],
        ),
        (["run", "sales_led", "--set", "sales.commission_rate=lots"], ["sales.commission_rate"]),
        (["run", "sales_led", "--set", "x=[1"], ["--set", "not valid YAML"]),
        (["run", "sales_led", "--months", "0"], ["--months"]),
        (["run", "sales_led", "--months", "9999"], ["--months", "months"]),
        (["run", "sales_led", "--seeds", "many"], ["--seeds"]),
        (["run"], ["SCENARIO"]),
        (["run", "sales_led", "--bogus"], ["--bogus"]),
        (["launch"], ["launch", "invalid choice"]),
        ([], ["COMMAND"]),
        (["compare", "sales_led", "no/such.yaml"], ["no/such.yaml", "file not found"]),
        (["run", "sales_lead"], ["sales_lead", "nor a preset", "did you mean 'sales_led'"]),
        (["compare", "sales_led", "prodcut_led"], ["prodcut_led", "did you mean 'product_led'"]),
        (["run", "growth"], ["growth", "presets: sales_led, product_led"]),
        (["compare", "sales_led"], ["B"]),
        (["check", "no/such/dir"], ["no/such/dir", "file not found"]),
        (["dashboard", "--port", "99999"], ["--port"]),
    ],
)
def test_bad_arguments_exit_2(
    argv: list[str], fragments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(argv, capsys)
    assert_bad_input(code, err, *fragments)


@pytest.mark.parametrize("spelling", ["sales-led", "Sales_Led", " sales_led"])
def test_preset_spelled_as_the_dashboard_shows_it(spelling: str) -> None:
    """The dashboard writes 'Sales-led': the CLI takes that spelling for the same preset."""
    assert resolve_scenario(spelling) == resolve_scenario("sales_led")


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["run", "--help"], capsys)
    assert code == EXIT_OK
    assert MANIFEST_NAME in out and "--force" in out and "exit codes" in out


# ============================================================================================
# sim schema, sim dashboard, sim check (validation only)
# ============================================================================================


def test_schema_is_valid_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["schema"], capsys)
    schema = json.loads(out)
    assert code == EXIT_OK
    assert {"company", "market", "sales", "product", "policy"} <= set(schema["properties"])


def test_schema_through_console_script() -> None:
    proc = subprocess.run(
        [str(SIM_SCRIPT), "schema"],
        check=False,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
    )
    assert proc.returncode == EXIT_OK, proc.stderr
    assert json.loads(proc.stdout)["type"] == "object"


@pytest.mark.parametrize(
    "env,platform,headless",
    [
        ({"CI": "true", "DISPLAY": ":0"}, "linux", True),
        ({}, "linux", True),
        ({"DISPLAY": ":0"}, "linux", False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({}, "darwin", False),
        ({}, "win32", False),
    ],
)
def test_dashboard_headless_rule(env: dict[str, str], platform: str, headless: bool) -> None:
    assert dashboard_cmd.needs_headless(env, platform) is headless


def test_dashboard_command_passes_port_and_headless() -> None:
    command = dashboard_cmd.dashboard_command(8600, headless=True)
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert command[4] == str(REPO / "dashboard" / "app.py")
    assert "--server.port" in command and "8600" in command
    assert command[command.index("--server.headless") + 1] == "true"


def test_dashboard_dry_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["dashboard", "--dry-run", "--port", "8765", "--headless"], capsys)
    if not dashboard_cmd.DASHBOARD_APP.is_file():
        assert_bad_input(code, err, "dashboard/app.py", "not found")
        return
    assert code == EXIT_OK and "streamlit run" in out and "8765" in out


def test_check_file_without_expectations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "plain.yaml", "name: plain\npreset: sales_led\n")
    code, out, err = run_cli(["check", str(path)], capsys)
    assert code == EXIT_OK, err
    assert "no expectations" in out and "0 assertion(s)" in out


def test_check_validates_every_file_in_a_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "a.yaml", "preset: product_led\n")
    write(tmp_path / "b.yaml", "preset: product_led\nsales: {targetting: focus}\n")
    code, _, err = run_cli(["check", str(tmp_path)], capsys)
    assert_bad_input(code, err, "b.yaml", "did you mean 'targeting'")


# ============================================================================================
# Ensembles: run --seeds, compare, check
# ============================================================================================

ENSEMBLE = ["--seeds", "2", "--months", "12"]
CHECK_HEADER = "name: quick\npreset: sales_led\nmonths: 12\nseeds: 2\n"


def test_run_seeds_prints_ensemble_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["run", "sales_led", *ENSEMBLE, "--json"], capsys)
    summary = json.loads(out)
    assert code == EXIT_OK, err
    assert summary["runs"] == 2
    assert summary["survival_ci_low"] <= summary["survival_rate"] <= summary["survival_ci_high"]
    code, out, _ = run_cli(["run", "sales_led", *ENSEMBLE], capsys)
    assert "survival (95% CI)" in out and "2 seeds (0-1)" in out


def test_run_seeds_out_writes_ensemble_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        ["run", "product_led", *ENSEMBLE, "--seed", "5", "--out", str(tmp_path)], capsys
    )
    assert code == EXIT_OK, err
    assert {"summaries.csv", "bands.csv", "summary.json", "scenario.yaml"} <= set(
        read_manifest(tmp_path) or {}
    )
    seeds = [
        line.split(",")[0] for line in (tmp_path / "summaries.csv").read_text().splitlines()[1:]
    ]
    assert seeds == ["5", "6"]


def test_compare_json_difference_is_a_minus_b(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["compare", "sales_led", "product_led", *ENSEMBLE, "--json"], capsys)
    data = json.loads(out)
    assert code == EXIT_OK, err
    a, b = data["a"]["summary"], data["b"]["summary"]
    assert data["seeds"] == [0, 1]
    assert data["difference"]["survival_rate"] == pytest.approx(
        a["survival_rate"] - b["survival_rate"]
    )
    assert data["difference"]["median_final_arr_usd"] == pytest.approx(
        a["median_final_arr_usd"] - b["median_final_arr_usd"]
    )


def test_compare_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        ["compare", "sales_led", "product_led", *ENSEMBLE, "--set", "company.initial_cash=2000000"],
        capsys,
    )
    assert code == EXIT_OK, err
    for label in (
        "A - B",
        "survival (95% CI)",
        "death spiral",
        "died through the pressure loop (95% CI)",
        "median month of death",
        "median final ARR",
        "median cumulative revenue",
        "median peak monthly burn",
        "mean custom share",
    ):
        assert label in out


def test_check_holds_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(
        tmp_path / "good.yaml",
        CHECK_HEADER + "expect:\n  - runs == 2\n  - survival_rate >= 0\n"
        "  - {vs: {sales.commission_rate: 0.05}, check: survival_rate diff >= -1}\n",
    )
    code, out, err = run_cli(["check", str(tmp_path / "good.yaml")], capsys)
    assert code == EXIT_OK, err
    assert (
        out.count("holds") >= 3
        and "3 assertion(s): 3 hold, 0 known gap(s) that do not hold yet, 0 fail" in out
        and " s)" in out
    )
    write(tmp_path / "bad.yaml", CHECK_HEADER + "expect: [survival_rate > 1]\n")
    code, out, _ = run_cli(["check", str(tmp_path)], capsys)
    assert code == EXIT_EXPECTATION_FAILED
    assert (
        "FAILS" in out
        and "4 assertion(s): 3 hold, 0 known gap(s) that do not hold yet, 1 fail" in out
    )


def test_check_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "a.yaml", CHECK_HEADER + "expect: [runs == 2]\n")
    code, out, _ = run_cli(["check", str(tmp_path), "--json"], capsys)
    data = json.loads(out)
    assert code == EXIT_OK
    assert data["failed"] == 0 and data["files"][0]["results"][0]["holds"] is True


def test_check_seed_moves_the_seeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--seed S`` checks the same claims on seeds S.. (held-out seeds): other worlds, other
    numbers, and the output says which seeds."""
    write(tmp_path / "a.yaml", CHECK_HEADER + "expect: [mean_final_arr_usd >= 0]\n")
    values = {}
    for first in (0, 1000):
        code, out, err = run_cli(["check", str(tmp_path), "--json", "--seed", str(first)], capsys)
        assert code == EXIT_OK, err
        report = json.loads(out)["files"][0]
        assert report["first_seed"] == first and report["seeds"] == 2
        values[first] = report["results"][0]["measured"]
    assert values[0] != values[1000]
    code, out, _ = run_cli(["check", str(tmp_path), "--seed", "1000"], capsys)
    assert code == EXIT_OK and "2 seeds from 1000)" in out
    code, _, err = run_cli(["check", str(tmp_path), "--seed", "-1"], capsys)
    assert code == EXIT_BAD_INPUT and "--seed" in err and "Traceback" not in err


def test_check_defaults_to_scenarios_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "scenarios" / "lessons").mkdir(parents=True)
    (tmp_path / "scenarios" / ".hidden").mkdir()
    write(tmp_path / "scenarios" / "x.yaml", "name: x\n")
    write(tmp_path / "scenarios" / "lessons" / "y.yml", "name: y\n")
    write(tmp_path / "scenarios" / ".hidden" / "z.yaml", "not: valid\n")
    write(tmp_path / "scenarios" / "notes.txt", "not a scenario\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["check"], capsys)
    assert code == EXIT_OK, err
    assert "x.yaml: no expectations" in out and "y.yml: no expectations" in out
    assert "2 file(s)" in out


@pytest.mark.parametrize(
    "expect,fragments",
    [
        ("[survival_rat < 0.3]", ["expect[0]", "did you mean 'survival_rate'"]),
        ("[survival_rate < lots]", ["expect[0]", "expected a number"]),
        (
            "[{vs: missing.yaml, check: survival_rate diff > 0}]",
            ["expect[0]", "missing.yaml", "file not found"],
        ),
        (
            "[{vs: {sales.comission_rate: 0.1}, check: survival_rate diff > 0}]",
            ["expect[0]", "comission_rate"],
        ),
    ],
)
def test_check_bad_expectations_exit_2_before_running(
    expect: str, fragments: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "e.yaml", CHECK_HEADER + f"expect: {expect}\n")
    code, out, err = run_cli(["check", str(path)], capsys)
    assert_bad_input(code, err, str(path), *fragments)
    assert out == ""


def test_exit_codes_are_distinct() -> None:
    assert len({EXIT_OK, EXIT_EXPECTATION_FAILED, EXIT_BAD_INPUT}) == 3


def test_dashboard_serves_this_machine_only_unless_shared(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def flag(command: list[str], name: str) -> str:
        return command[command.index(name) + 1]

    local = dashboard_cmd.dashboard_command(8600, headless=True)
    assert flag(local, "--server.address") == "127.0.0.1"
    assert flag(local, "--server.maxUploadSize") == "1"
    assert flag(local, "--client.showErrorDetails") == "none"
    code, out, _ = run_cli(["dashboard", "--dry-run", "--headless"], capsys)
    assert code == EXIT_OK and "--server.address 127.0.0.1" in out
    code, out, _ = run_cli(["dashboard", "--dry-run", "--headless", "--share"], capsys)
    assert code == EXIT_OK and "--server.address 0.0.0.0" in out
    code, _, err = run_cli(["dashboard", "--share", "--address", "10.0.0.1"], capsys)
    assert code == 2 and "--address" in err
