"""`hall simulate`: a whole day (or ten thousand hours) of the hall on the real engine, in seconds.

    hall simulate --config hall.toml --scenario scenario.toml [--seed N] [--json]
    hall simulate --arrivals-per-hour 30 --mean-service-min 5 --counters 3 --hours 10000 [--json]

The first form plays a scenario file (docs/simulate.md) on a hall; the second is the textbook
M/M/c queue (Poisson arrivals, exponential service, identical counters), handy to check the
engine against queueing theory and to size a hall roughly. `--json` prints one JSON object;
otherwise a short summary for a person. Bad input: one sentence on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from hall import config
from simulators import day, scenario

MAX_HOURS = 100_000
MAX_TICKETS = 999_999  # the simple case's day never resets: one service, six-digit numbers
MAX_COUNTERS = 999  # counter numbers have at most three digits


class UsageError(Exception):
    """A bad flag, a bad file: the user's to fix; the message is one sentence."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(message)


def _number(low: float, high: float, whole: bool = False):
    def check(text: str):
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'a whole number' if whole else 'a number'}, got {text!r}"
            ) from None
        if not low <= value <= high or value != value:
            raise argparse.ArgumentTypeError(f"must be from {low:g} to {high:g}, got {text}")
        return value

    return check


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="hall simulate", description="Simulate the hall on the real dispatch engine.")
    p.add_argument("--config", metavar="HALL_TOML", help="the hall file (with --scenario)")
    p.add_argument("--scenario", metavar="SCENARIO_TOML", help="the day to simulate (docs/simulate.md)")
    p.add_argument(
        "--arrivals-per-hour",
        type=_number(0.001, 1_000_000),
        metavar="R",
        help="simple case: Poisson arrivals at R tickets per hour",
    )
    p.add_argument(
        "--mean-service-min",
        type=_number(0.1, 24 * 60),
        metavar="S",
        help="simple case: exponential service times with mean S minutes",
    )
    p.add_argument(
        "--counters",
        type=_number(1, MAX_COUNTERS, whole=True),
        metavar="C",
        help="simple case: C identical counters, all open",
    )
    p.add_argument(
        "--hours",
        type=_number(0.01, MAX_HOURS),
        default=1000.0,
        metavar="H",
        help="simple case: simulated hours (default 1000)",
    )
    p.add_argument(
        "--target-wait-min",
        type=_number(1, 24 * 60),
        default=20.0,
        metavar="T",
        help="simple case: the target wait, for the share served within it (default 20)",
    )
    p.add_argument(
        "--seed",
        type=_number(0, 2**63, whole=True),
        default=1,
        metavar="N",
        help="random seed: the same seed gives the same result (default 1)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    return p


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
        result = run(args)
    except (UsageError, scenario.ScenarioError, config.ConfigError) as e:
        print(f"hall simulate: {e}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else render_summary(result))
    return 0


def run(args: argparse.Namespace) -> dict:
    simple = [args.arrivals_per_hour, args.mean_service_min, args.counters]
    if args.config or args.scenario:
        if any(v is not None for v in simple):
            raise UsageError("use either --config with --scenario, or the simple flags, not both")
        if not (args.config and args.scenario):
            raise UsageError("--config and --scenario go together: the scenario describes a day at that hall")
        hall = _hall(args.config)
        plan = day.plan_day(hall, scenario.load(args.scenario, hall))
        return day.simulate(hall, plan, args.seed)
    if any(v is None for v in simple):
        raise UsageError(
            "give --config and --scenario, or all of --arrivals-per-hour, --mean-service-min and --counters"
        )
    expected = args.arrivals_per_hour * args.hours
    if expected > MAX_TICKETS:
        raise UsageError(
            f"--arrivals-per-hour times --hours asks for about {expected:,.0f} tickets; at most "
            f"{MAX_TICKETS:,} fit in memory, as the engine keeps every ticket of a day that never ends"
        )
    hall = day.simple_hall(args.counters, args.mean_service_min, args.target_wait_min)
    plan = day.plan_simple(hall, args.arrivals_per_hour, args.mean_service_min, args.hours)
    result = day.simulate(hall, plan, args.seed)
    result["parameters"] = {
        "arrivals_per_hour": args.arrivals_per_hour,
        "mean_service_min": args.mean_service_min,
        "counters": args.counters,
        "hours": args.hours,
    }
    result["theory"] = day.erlang_c(args.arrivals_per_hour, args.mean_service_min, args.counters)
    return result


def _hall(path: str) -> config.Hall:
    try:
        return config.load(path)
    except config.ConfigError as e:
        raise UsageError(str(e) if path in str(e) else f"{path}: {e}") from None


# --- the summary for a person (pure) ---------------------------------------------------------


def render_summary(r: dict) -> str:
    t = r["tickets"]
    lines = [
        f"Hall {r['hall']}, {r['started'].replace('T', ' ')[:16]} to {r['ended'].replace('T', ' ')[:16]}"
        f" ({r['duration_s'] / 3600:.1f} h simulated), seed {r['seed']}",
        f"Tickets: {t['issued']} issued, {t['served']} served, {t['no_shows']} no-shows, "
        f"{t['never_called']} never called" + (f", {t['turned_away']} turned away" if t["turned_away"] else ""),
        "",
        f"{'wait (minutes)':<18}{'called':>8}{'mean':>7}{'p50':>7}{'p95':>7}{'max':>7}{'in target':>11}",
    ]
    w = r["wait"]
    rows = [("all", w["overall"])] + [(s, f) for s, f in w["by_service"].items()]
    rows += [(f"class {k}", f) for k, f in w["by_class"].items()] if len(w["by_class"]) > 1 else []
    for name, f in rows:
        if f["called"]:
            lines.append(
                f"  {name:<16}{f['called']:>8}{_min(f['mean_s'])}{_min(f['p50_s'])}{_min(f['p95_s'])}"
                f"{_min(f['max_s'])}{_pct(f['within_target']):>11}"
            )
    c = r["counters"]
    each = ", ".join(f"{n}: {_pct(f['utilisation'])}" for n, f in c["by_counter"].items())
    lines += [
        "",
        f"Counters busy {_pct(c['utilisation'])} of their open time ({each})",
        f"Waiting on average: {r['queue']['mean_waiting']:.1f} tickets",
    ]
    p = r["ewt"]
    if p["tickets"]:
        lines.append(
            f"Wait printed on tickets: off by {p['mae_s'] / 60:.1f} min on average, "
            f"{_pct(p['relative_mae'])} of the mean wait of {p['mean_wait_s'] / 60:.1f} min "
            f"({'+' if p['bias_s'] >= 0 else ''}{p['bias_s'] / 60:.1f} min bias)"
        )
    g = r["ratings"]
    if g["rated"]:
        mix = ", ".join(f"{level}: {n}" for level, n in g["levels"].items())
        lines.append(
            f"Ratings: {_pct(g['participation'])} of served citizens rated, {_pct(g['satisfaction'])} "
            f"satisfied (levels {mix})"
        )
    theory = r.get("theory")
    if theory:
        if theory["stable"]:
            lines.append(
                f"M/M/{r['parameters']['counters']} theory: mean wait {theory['mean_wait_s'] / 60:.2f} min, "
                f"utilisation {_pct(theory['utilisation'])}, {_pct(theory['p_wait'])} wait at all"
            )
        else:
            lines.append(
                f"M/M/{r['parameters']['counters']} theory: offered load {theory['utilisation']:.2f} per "
                "counter is 1 or more, so the queue grows without end"
            )
    return "\n".join(lines)


def _min(seconds: float | None) -> str:
    return f"{'-':>7}" if seconds is None else f"{seconds / 60:>7.1f}"


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}%"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
