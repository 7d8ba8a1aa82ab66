"""`hall simulate` as a person runs it: real subprocesses for the exit codes and the output,
`main(argv)` in-process for the rest."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from simulators import simulate_cli

from .conftest import HALL_TOML, REPO, SCENARIO_TOML


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "simulators.simulate_cli", *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_simple_case_prints_json_and_exits_0():
    p = run(
        "--arrivals-per-hour",
        "30",
        "--mean-service-min",
        "5",
        "--counters",
        "3",
        "--hours",
        "100",
        "--seed",
        "4",
        "--json",
    )
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert r["mode"] == "simple" and r["seed"] == 4
    assert r["parameters"] == {"arrivals_per_hour": 30.0, "mean_service_min": 5.0, "counters": 3, "hours": 100.0}
    assert r["theory"]["stable"] and r["theory"]["utilisation"] == pytest.approx(30 * 5 / 60 / 3, abs=1e-4)
    assert 2500 < r["tickets"]["issued"] < 3500
    assert p.stderr == ""


def test_scenario_prints_json_and_exits_0():
    p = run("--config", str(HALL_TOML), "--scenario", str(SCENARIO_TOML), "--json")
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert r["mode"] == "scenario" and r["hall"] == "xinhua" and r["date"] == "2026-03-17"
    assert set(r["wait"]["by_service"]) == {"social", "property", "fund", "tax", "business"}
    for key in ("tickets", "wait", "queue", "counters", "promised_wait", "ratings"):
        assert key in r


def test_the_same_seed_prints_the_same_json_in_another_process():
    args = ("--arrivals-per-hour", "20", "--mean-service-min", "6", "--counters", "2", "--hours", "20", "--json")
    assert run(*args).stdout == run(*args).stdout


@pytest.mark.parametrize(
    "args, needle",
    [
        (("--arrivals-per-hour", "30", "--mean-service-min", "5", "--counters", "zero"), "--counters"),
        (("--arrivals-per-hour", "-5", "--mean-service-min", "5", "--counters", "3"), "--arrivals-per-hour"),
        (("--arrivals-per-hour", "30", "--mean-service-min", "5", "--counters", "3", "--hours", "1e9"), "--hours"),
        (("--arrivals-per-hour", "30", "--counters", "3"), "--mean-service-min"),
        (("--arrivals-per-hour", "30", "--mean-service-min", "5", "--counters", "3", "--colour", "red"), "--colour"),
        (("--config", str(HALL_TOML)), "--scenario"),
    ],
)
def test_a_bad_flag_exits_2_with_one_sentence(args, needle):
    p = run(*args)
    assert p.returncode == 2
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hall simulate: ") and needle in lines[0], p.stderr


def test_a_bad_scenario_exits_2_naming_the_field(tmp_path):
    bad = tmp_path / "scenario.toml"
    bad.write_text(
        SCENARIO_TOML.read_text(encoding="utf-8").replace("participation = 0.8", "participation = 80"), encoding="utf-8"
    )
    p = run("--config", str(HALL_TOML), "--scenario", str(bad))
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.strip() == f"hall simulate: {bad}: ratings.participation: 80 is above the maximum 1"


def test_a_bad_hall_file_exits_2_naming_the_file(tmp_path, capsys):
    bad = tmp_path / "hall.toml"
    bad.write_text(HALL_TOML.read_text(encoding="utf-8").replace('prefix = "A"', 'prefix = "a"'), encoding="utf-8")
    assert simulate_cli.main(["--config", str(bad), "--scenario", str(SCENARIO_TOML)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"hall simulate: {bad}: services[0].prefix") and "\n" not in err


def test_the_summary_reads_like_a_report(capsys):
    assert simulate_cli.main(["--config", str(HALL_TOML), "--scenario", str(SCENARIO_TOML), "--seed", "2"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Hall xinhua, 2026-03-17 08:30 to 2026-03-17 ")
    for words in (
        "Tickets:",
        "issued",
        "no-shows",
        "social",
        "class priority",
        "Counters busy",
        "Wait printed on tickets",
        "Ratings:",
        "satisfied",
    ):
        assert words in text, words
    assert "{" not in text


def test_the_simple_summary_names_the_theory(capsys):
    assert (
        simulate_cli.main(["--arrivals-per-hour", "30", "--mean-service-min", "5", "--counters", "3", "--hours", "50"])
        == 0
    )
    assert "M/M/3 theory: mean wait 7.02 min" in capsys.readouterr().out
    assert (
        simulate_cli.main(["--arrivals-per-hour", "40", "--mean-service-min", "5", "--counters", "3", "--hours", "5"])
        == 0
    )
    assert "grows without end" in capsys.readouterr().out
