"""The hostile corpus of issue 16: scenario files and command lines a red team tried, each a
`sim` command line (``argv``) built in a scratch folder.

``build(folder)`` writes the files and returns the cases; ``python tests/hostile_corpus.py
FOLDER`` runs every case through ``sim.cli.entry.main`` in a forked child (warm imports, an
address-space limit, a timeout) and prints one JSON line per case: name, exit code, seconds,
stderr. tests/test_hostile.py runs it and asserts that no case is an internal error (exit 3), a
hang or a traceback; run by hand against an older checkout (``PYTHONPATH=...``) it measures
the before.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_S = 10.0  # per case: a case still running then is killed and counted as a hang
MAX_CASE_SECONDS = 5.0  # what tests/test_hostile.py accepts for one case
MEMORY_LIMIT = 3 * 1024**3  # address space of one case (bytes)

BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
"""The billion-laughs alias bomb (about 400 bytes; 387 million strings when expanded)."""

BOMB_IN_EXPECT = (
    "expect:\n  - vs:\n"
    + "".join(f"      {line}\n" for line in BOMB.splitlines())
    + "    check: survival_rate diff > 0\n"
)

MB = 1024 * 1024
SECRET = "TOPSECRET-b7e1"
"""Text of a YAML file outside the scenario's folder: no message may quote it."""


@dataclass(frozen=True)
class Case:
    name: str
    argv: list[str]


def _files(folder: Path) -> dict[str, str | bytes]:
    deep = 600
    return {
        "complex_key_list.yaml": "? [a, b]\n: 1\n",
        "complex_key_map.yaml": "? {a: 1}\n: 1\n",
        "complex_key_flow.yaml": "{[1, 2]: 3}\n",
        "complex_key_in_section.yaml": "company:\n  ? [initial_cash]\n  : 5\n",
        "deep_lists.yaml": "months: " + "[" * deep + "]" * deep + "\n",
        "deep_maps.yaml": "".join("  " * i + "a:\n" for i in range(deep)) + "  " * deep + "1\n",
        "deep_flow_maps.yaml": "x: " + "{a: " * deep + "1" + "}" * deep + "\n",
        "deep_expect.yaml": "expect:\n  - vs: " + "{a: " * deep + "1" + "}" * deep + "\n",
        "recursive_alias.yaml": "a: &a [*a]\n",
        "recursive_alias_map.yaml": "company: &c {x: *c}\n",
        "alias_bomb.yaml": BOMB,
        "alias_bomb_in_expect.yaml": BOMB_IN_EXPECT,
        "alias_simple.yaml": "company: &c {initial_cash: 5}\nmarket: *c\n",
        "tag_int.yaml": "months: !!int abc\n",
        "tag_float.yaml": "company: {initial_cash: !!float xyz}\n",
        "tag_bool.yaml": "company: {low_burn_until_pmf: !!bool maybe}\n",
        "tag_binary.yaml": "name: !!binary aGVsbG8=\n",
        "tag_str.yaml": "name: !!str 5\n",
        "tag_python.yaml": "name: !!python/object/apply:os.system ['true']\n",
        "tag_custom.yaml": "name: !custom x\n",
        "tag_directive.yaml": "%TAG !e! tag:example.com,2000:\n---\nname: !e!x y\n",
        "tag_timestamp.yaml": "name: !!timestamp 2024-13-45\n",
        "tag_set.yaml": "expect: !!set {a, b}\n",
        "bad_date.yaml": "name: 2024-13-45\n",
        "date_name.yaml": "name: 2024-01-01\n",
        "huge_int.yaml": "months: " + "9" * 5000 + "\n",
        "huge_int_seeds.yaml": "seeds: " + "9" * 40 + "\n",
        "nan.yaml": "company: {initial_cash: .nan}\n",
        "inf.yaml": "company: {initial_cash: .inf}\n",
        "neg_inf.yaml": "market: {win_base_logit: -.inf}\n",
        "long_comment.yaml": "# " + "x" * (10 * MB) + "\nname: big\n",
        "many_unknown_keys.yaml": "".join(f"k{i}: {i}\n" for i in range(700_000)),
        "long_expect.yaml": "expect:\n" + "  - survival_rate < 0.5\n" * 500_000,
        "just_over_limit.yaml": "name: x\n# " + "x" * (256 * 1024) + "\n",
        "many_segments.yaml": "market:\n  segments:\n"
        + "".join(
            f"    s{i}: {{initial_prospects: 1, arrivals_per_month: 0, price_per_seat_usd: 1, "
            "seats_mean: 1, budget_ratio: 1, cost_to_serve_per_seat_usd: 0, "
            "sales_cycle_months: 1, churn_monthly: 0, custom_request_share: 0, honesty: 0, "
            "custom_effort_em: 1, contingent_first_order: 1, need_mix: 0}\n"
            for i in range(2000)
        ),
        "bool_plan_start.yaml": "company: {plan_start_month: true}\n",
        "bool_runway.yaml": "company: {pressure_runway_months: true}\n",
        "bool_acceptance.yaml": "sales: {contingent_acceptance: true}\n",
        "bool_reps.yaml": "company: {initial_reps: true}\n",
        "bool_price.yaml": "market: {segments: {smb: {price_per_seat_usd: true}}}\n",
        "bool_months.yaml": "months: false\n",
        "string_months.yaml": "months: '12'\n",
        "string_cash.yaml": "company: {initial_cash: '1e6'}\n",
        "max_below_initial.yaml": "company: {max_engineers: 1, initial_engineers: 200}\n",
        "max_reps_below.yaml": "company: {max_reps: 0, initial_reps: 5}\n",
        "ansi_name.yaml": 'name: "\\e[31mred\\e[0m\\e]0;pwned\\a"\n',
        "ansi_description.yaml": 'description: "\\e[2J"\n',
        "ansi_segment.yaml": 'sales: {focus_segment: "\\e[31mx"}\n',
        "bidi_name.yaml": 'name: "\\u202eevil"\n',
        "nul_name.yaml": 'name: "a\\0b"\n',
        "malformed_expect.yaml": "expect: [{vs: nowhere.yaml}, 7, {check: 1}]\n",
        "expect_not_list.yaml": "expect: {a: 1}\n",
        "expect_bad_metric.yaml": "expect: ['no_such_metric > 1']\n",
        "huge_market.yaml": "market:\n  size_scale: 100\n  segments:\n    smb:\n"
        "      initial_prospects: 200000\n",
        "vs_dev_zero.yaml": "expect:\n  - {vs: /dev/zero, check: survival_rate diff > 0}\n",
        "vs_dev_urandom.yaml": "expect:\n  - {vs: /dev/urandom, check: survival_rate diff > 0}\n",
        "vs_etc_passwd.yaml": "expect:\n  - {vs: ../../../../../../etc/passwd, "
        "check: survival_rate diff > 0}\n",
        "vs_absolute.yaml": "expect:\n  - {vs: /etc/passwd, check: survival_rate diff > 0}\n",
        "vs_proc.yaml": "expect:\n  - {vs: /proc/self/environ, check: survival_rate diff > 0}\n",
        "vs_fifo.yaml": "expect:\n  - {vs: fifo, check: survival_rate diff > 0}\n",
        "vs_dir.yaml": "expect:\n  - {vs: sub, check: survival_rate diff > 0}\n",
        "vs_symlink_out.yaml": "expect:\n  - {vs: link_passwd.yaml, "
        "check: survival_rate diff > 0}\n",
        "vs_outside.yaml": "expect:\n  - {vs: ../outside/secret.yaml, "
        "check: survival_rate diff > 0}\n",
        "vs_outside_absolute.yaml": f"expect:\n  - {{vs: {folder.parent}/outside/secret.yaml, "
        "check: survival_rate diff > 0}\n",
        "vs_self.yaml": "expect:\n  - {vs: vs_self.yaml, check: survival_rate diff > 0}\n",
        "vs_bomb.yaml": "expect:\n  - {vs: alias_bomb.yaml, check: survival_rate diff > 0}\n",
        "vs_deep.yaml": "expect:\n  - {vs: deep_maps.yaml, check: survival_rate diff > 0}\n",
        "vs_big.yaml": "expect:\n  - {vs: long_comment.yaml, check: survival_rate diff > 0}\n",
        "duplicate_key.yaml": "name: a\nname: b\n",
        "int_key.yaml": "1: 2\n",
        "null_key.yaml": "~: 1\n",
        "bool_key.yaml": "company: {true: 1}\n",
        "float_key_section.yaml": "company: {1.5: 1}\n",
        "list_top.yaml": "- a\n- b\n",
        "scalar_top.yaml": "42\n",
        "empty.yaml": "",
        "only_doc_marker.yaml": "---\n",
        "multi_doc.yaml": "name: a\n---\nname: b\n",
        "not_utf8.yaml": b"name: \xff\xfe\n",
        "bom.yaml": "\ufeffname: bom\nmonths: 2\n",
        "nul_byte.yaml": b"name: a\x00b\n",
        "tabs.yaml": "company:\n\tinitial_cash: 5\n",
        "preset_list.yaml": "preset: [sales_led]\n",
        "preset_map.yaml": "preset: {a: 1}\n",
        "preset_bomb.yaml": BOMB + "preset: *i\n",
        "segments_list.yaml": "market: {segments: [1, 2]}\n",
        "segment_name_int.yaml": "market: {segments: {1: {}}}\n",
        "seeds_huge.yaml": "seeds: 100000\n",
        "months_huge.yaml": "months: 1000000\n",
        "valid_small.yaml": "name: fine\nmonths: 2\nseeds: 2\n",
        "valid_with_expect.yaml": "name: fine\nmonths: 2\nseeds: 2\n"
        "expect: ['survival_rate >= 0']\n",
    }


def build(folder: Path) -> list[Case]:
    """Write the corpus into ``folder`` and return its cases."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in _files(folder).items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    outside = folder.parent / "outside"  # another folder: a scenario may not read it
    outside.mkdir(exist_ok=True)
    (outside / "secret.yaml").write_text(
        f"name: {SECRET * 10}\ndescription: {SECRET * 300}\n", encoding="utf-8"
    )
    fifo = folder / "fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    (folder / "sub").mkdir(exist_ok=True)
    link = folder / "link_passwd.yaml"
    if not link.is_symlink():
        link.symlink_to("/etc/passwd")
    out_fifo = folder / "out_fifo"
    out_fifo.mkdir(exist_ok=True)
    if not (out_fifo / "summary.json").exists():
        os.mkfifo(out_fifo / "summary.json")
    dangling = folder / "out_dangling"
    dangling.mkdir(exist_ok=True)
    if not (dangling / "summary.json").is_symlink():
        (dangling / "summary.json").symlink_to(folder / "no_such_target")

    cases = [
        Case(f"run {name}", ["run", str(folder / name), "--months", "2"]) for name in _files(folder)
    ]
    cases += [
        Case(f"check {name}", ["check", str(folder / name), "--seeds", "2"])
        for name in (
            "alias_bomb_in_expect.yaml",
            "vs_etc_passwd.yaml",
            "vs_dev_zero.yaml",
            "vs_fifo.yaml",
            "vs_outside.yaml",
            "vs_outside_absolute.yaml",
            "vs_symlink_out.yaml",
            "malformed_expect.yaml",
            "deep_expect.yaml",
            "valid_with_expect.yaml",
        )
    ]
    small = ["run", "sales_led", "--months", "2"]
    cases += [
        Case("scenario path /dev/zero", ["run", "/dev/zero"]),
        Case("scenario path /dev/urandom", ["run", "/dev/urandom"]),
        Case("scenario path fifo", ["run", str(folder / "fifo")]),
        Case("scenario path directory", ["run", str(folder / "sub")]),
        Case("scenario path symlink to /etc/passwd", ["run", str(link)]),
        Case("scenario path /etc/passwd", ["run", "/etc/passwd"]),
        Case("check /dev/zero", ["check", "/dev/zero"]),
        Case("compare /dev/zero", ["compare", "sales_led", "/dev/zero", "--seeds", "2"]),
        Case("seed 2**32", [*small, "--seed", str(2**32)]),
        Case("seed 2**63", [*small, "--seed", str(2**63)]),
        Case("seed 2**32-1 ensemble", [*small, "--seed", str(2**32 - 1), "--seeds", "2"]),
        Case("seed negative", [*small, "--seed", "-1"]),
        Case("seed 10**100", [*small, "--seed", "1" + "0" * 100]),
        Case("seed 5000 digits", [*small, "--seed", "9" * 5000]),
        Case("seeds 100000", [*small, "--seeds", "100000"]),
        Case("workers 200", [*small, "--seeds", "2", "--workers", "200"]),
        Case("months 10**30", ["run", "sales_led", "--months", "1" + "0" * 30]),
        Case("set recursive", [*small, "--set", "name=&a [*a]"]),
        Case("set bomb", [*small, "--set", "name=" + BOMB.replace("\n", " ")]),
        Case("set deep", [*small, "--set", "name=" + "[" * 600 + "]" * 600]),
        Case("set tag", [*small, "--set", "months=!!int abc"]),
        Case("set bool number", [*small, "--set", "company.plan_start_month=true"]),
        Case("set string months", [*small, "--set", "months='12'"]),
        Case("set ansi name", [*small, "--set", "name=\x1b[31mred"]),
        Case("set ansi key", [*small, "--set", "\x1b[31mname=x"]),
        Case("set complex key", [*small, "--set", "company={[a]: 1}"]),
        Case(
            "set huge market",
            [
                *small,
                "--set",
                "market.size_scale=100",
                "--set",
                "market.segments.smb.initial_prospects=200000",
            ],
        ),
        Case("set max below initial", [*small, "--set", "company.max_engineers=1"]),
        Case("set dotted into list", [*small, "--set", "expect.0=x"]),
        Case("set preset", [*small, "--set", "preset=product_led"]),
        Case(
            "set expect vs passwd",
            [*small, "--set", "expect=[{vs: /etc/passwd, check: survival_rate diff > 0}]"],
        ),
        Case("out empty", [*small, "--out", ""]),
        Case("out fifo", [*small, "--seeds", "2", "--out", str(out_fifo)]),
        Case("out dangling symlink", [*small, "--seeds", "2", "--out", str(dangling)]),
        Case("out /dev/null", [*small, "--out", "/dev/null"]),
        Case("out a file", [*small, "--out", str(folder / "valid_small.yaml")]),
        Case("explain seed 2**63", ["explain", "sales_led", "--seed", str(2**63)]),
        Case("explain /dev/zero", ["explain", "/dev/zero"]),
    ]
    return cases


def run_case(case: Case) -> dict[str, object]:
    """Run one case in a forked child: exit code, seconds, stderr (a hang is killed)."""
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: limits, then the command
        os.close(read_fd)
        os.dup2(write_fd, 2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        code = 99
        try:
            from sim.cli.entry import main

            code = main(case.argv)
        except BaseException as err:  # noqa: BLE001 - report what escaped main
            os.write(2, f"ESCAPED {type(err).__name__}: {err}".encode()[:2000])
            code = 98
        finally:
            os._exit(code if isinstance(code, int) else 97)
    os.close(write_fd)
    chunks: list[bytes] = []
    rc: int | None = None
    deadline = started + TIMEOUT_S
    while True:
        ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
        if ready:
            chunk = os.read(read_fd, 65536)
            if chunk:
                chunks.append(chunk)
                continue
            _, status = os.waitpid(pid, 0)
            rc = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            rc = None  # a hang
            break
    os.close(read_fd)
    return {
        "name": case.name,
        "rc": rc,
        "seconds": round(time.monotonic() - started, 2),
        "stderr": b"".join(chunks).decode("utf-8", "replace")[:4000],
    }


def main(folder: str) -> None:
    import sim.cli.entry
    import sim.experiment.runner  # noqa: F401

    for case in build(Path(folder)):
        print(json.dumps(run_case(case)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
