"""`hall plan`: how many counters to open, hour by hour, to keep waits within target.

    hall plan --arrivals-per-hour 60 --mean-service-min 6 --target-wait-min 10 --within 0.8 [--json]
    hall plan --config hall.toml --scenario scenario.toml --within 0.8 [--chart plan.png] [--json]
    hall plan --config hall.toml --journal var/journal.db --weeks 4 --weekday tue --within 0.8

The first form is one service with identical counters (the M/M/c queue), answered by simulation
and checked against Erlang C. The others plan a whole day at a hall on its real engine: the day
of a scenario file, or a day built from the hall's own journal (tickets by hour on that weekday
over the last weeks, its real service times). The targets: a share `--within` of tickets called
within their service's target wait, and a 95th-percentile wait at most `--p95-multiple` times the
target. Lives with the simulators because it is one: it plays days on the engine
(simulators/day.py), and the controller never imports it. Bad input: one sentence, exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from hall import clock as hall_clock
from hall import config
from hall_controller.journal import JournalError
from simulators import plan, plan_chart, scenario
from simulators.simulate_cli import UsageError, _number

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(message)


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="hall plan", description="Counters to open, hour by hour, to keep waits within target.")
    p.add_argument("--config", metavar="HALL_TOML", help="the hall file (with --scenario or --journal)")
    p.add_argument("--scenario", metavar="SCENARIO_TOML", help="the day to plan (docs/simulate.md)")
    p.add_argument("--journal", metavar="DB", help="plan from the hall's own journal (read only)")
    p.add_argument(
        "--weeks",
        type=_number(1, 52, whole=True),
        default=4,
        metavar="N",
        help="with --journal: the last N weeks (default 4)",
    )
    p.add_argument("--weekday", choices=WEEKDAYS, help="with --journal: the weekday to plan (default: tomorrow's)")
    p.add_argument(
        "--arrivals-per-hour", type=_number(0.01, 100_000), metavar="R", help="simple case: tickets per hour"
    )
    p.add_argument(
        "--mean-service-min", type=_number(0.1, 24 * 60), metavar="S", help="simple case: mean service minutes"
    )
    p.add_argument(
        "--target-wait-min",
        type=_number(1, 24 * 60),
        default=20.0,
        metavar="T",
        help="simple case: the target wait in minutes (default 20)",
    )
    p.add_argument(
        "--within",
        type=_number(0.01, 1),
        default=0.8,
        metavar="P",
        help="share of tickets to call within the target, 0 to 1 (default 0.8)",
    )
    p.add_argument(
        "--p95-multiple",
        type=_number(0.1, 20),
        default=2.0,
        metavar="K",
        help="the 95th-percentile wait may be at most K times the target (default 2)",
    )
    p.add_argument(
        "--seeds",
        type=_number(1, 20, whole=True),
        default=3,
        metavar="N",
        help="simulate each staffing with seeds 1..N (default 3)",
    )
    p.add_argument(
        "--policies",
        action="store_true",
        help="also compare dispatch policies: today's head start against interleave 2:1",
    )
    p.add_argument("--chart", metavar="PNG", help="write a chart: arrivals, counters planned and open today, by hour")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    hall_clock.add_argument(p)
    return p


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
        hall_clock.apply_argument(args.clock)
        result = run(args)
        if args.chart:
            plan_chart.write_png(result, args.chart)
    except (UsageError, scenario.ScenarioError, config.ConfigError, JournalError) as e:
        print(f"hall plan: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"hall plan: cannot write the chart {args.chart}: {e.strerror}", file=sys.stderr)
        return 2
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else render_table(result))
    return 0


def run(args: argparse.Namespace) -> dict:
    seeds = tuple(range(1, args.seeds + 1))
    simple = [args.arrivals_per_hour, args.mean_service_min]
    if args.config or args.scenario or args.journal:
        if any(v is not None for v in simple):
            raise UsageError("use either --config with --scenario or --journal, or the simple flags, not both")
        if not args.config:
            raise UsageError("--scenario and --journal plan a day at a hall: give its --config too")
        if bool(args.scenario) == bool(args.journal):
            raise UsageError("give --scenario or --journal (one of them) with --config")
        hall = _hall(args.config)
        if args.scenario:
            day = scenario.load(args.scenario, hall)
        else:
            from simulators import plan_journal

            day = plan_journal.scenario_from_journal(args.journal, hall, args.weeks, args.weekday, hall_clock.now())
        result = plan.by_hour(hall, day, args.within, args.p95_multiple, seeds)
        if args.policies:
            result["policies"] = plan.compare_policies(hall, day, seeds)
        return result
    if any(v is None for v in simple):
        raise UsageError(
            "give --config with --scenario or --journal, or both --arrivals-per-hour and --mean-service-min"
        )
    if args.policies:
        raise UsageError("--policies compares dispatch at a hall: give --config with --scenario or --journal")
    if args.chart:
        raise UsageError("--chart draws a day's plan by the hour: give --config with --scenario or --journal")
    if args.arrivals_per_hour * args.mean_service_min / 60 > 200:
        raise UsageError("the simple case plans up to 200 counters' worth of work; split the hall into services")
    return plan.simple(
        args.arrivals_per_hour, args.mean_service_min, args.target_wait_min, args.within, args.p95_multiple, seeds
    )


def _hall(path: str) -> config.Hall:
    try:
        return config.load(path)
    except config.ConfigError as e:
        raise UsageError(str(e) if path in str(e) else f"{path}: {e}") from None


# --- the table for a person (pure) -----------------------------------------------------------


def render_table(r: dict) -> str:
    p = r["parameters"]
    if r["mode"] == "simple":
        e = r["erlang_c"]
        lines = [
            f"{p['arrivals_per_hour']:g} tickets an hour, {p['mean_service_min']:g} min each, target "
            f"{p['target_wait_min']:g} min for {_pct(p['within'])} (95th percentile at most "
            f"{p['p95_multiple']:g}x the target), seeds {', '.join(map(str, p['seeds']))}",
            "",
            f"{'counters':>9}{'in target':>11}{'p95 (min)':>11}{'mean (min)':>12}",
        ]
        for t in r["tried"]:
            lines.append(
                f"{t['counters']:>9}{_pct(t['within_target']):>11}{_min(t['p95_s']):>11}{_min(t['mean_wait_s']):>12}"
            )
        lines += [
            "",
            f"Open {r['counters']} counters. Erlang C says {e['counters']} "
            f"({_pct(e['within_target'])} in target, p95 {_min(e['p95_s'])} min).",
        ]
        return "\n".join(lines)
    lines = [
        f"Hall {r['hall']}, {r['date']}: a share {_pct(p['within'])} called within target, 95th percentile "
        f"at most {p['p95_multiple']:g}x the target; seeds {', '.join(map(str, p['seeds']))}",
        "",
        f"{'hour':<7}{'arrivals':>9}{'counters':>9}{'today':>7}{'in target':>11}{'p95':>6}"
        f"{'today':>8}{'p95':>6}  open counters",
    ]
    for h in r["hours"]:
        t = h["today"]
        lines.append(
            f"{h['hour']:02d}:00  {h['arrivals_per_hour']:>8.1f}{h['counters']['average']:>9.1f}"
            f"{t['counters_open']:>7.1f}{_pct(h['within_target']):>11}{_min(h['p95_s']):>6}"
            f"{_pct(t['within_target']):>8}{_min(t['p95_s']):>6}  "
            f"{' '.join(map(str, h['counters']['open']))}{'' if h['meets'] else '  (short even so)'}"
        )
    a, b = r["plan"], r["today"]
    lines += [
        "",
        "(counters: open on average over the hour; in target: tickets taken in that hour; p95 in minutes;"
        " today: the scenario's own rota)",
        f"Planned: {_pct(a['within_target'])} in target, p95 {_min(a['p95_s'])} min, "
        f"{r['counter_hours']['plan']:g} counter-hours",
        f"Today:   {_pct(b['within_target'])} in target, p95 {_min(b['p95_s'])} min, "
        f"{r['counter_hours']['today']:g} counter-hours",
    ]
    if r["p95_falls_by_s"] is not None and r["p95_falls_by_s"] >= 0:
        lines.append(f"The 95th-percentile wait falls by {r['p95_falls_by_s'] / 60:.1f} min against today.")
    elif r["p95_falls_by_s"] is not None:
        lines.append(
            f"The 95th-percentile wait is {-r['p95_falls_by_s'] / 60:.1f} min longer than today's, "
            "still within the targets, with fewer counter-hours."
        )
    short = [h["hour"] for h in r["hours"] if not h["meets"]]
    if short:
        lines.append(
            f"Hours {', '.join(f'{h:02d}' for h in short)}: even every counter of the hall misses the "
            "targets; open more counters, or spread the arrivals (appointments)."
        )
    for name, row in (r.get("policies") or {}).items():
        each = ", ".join(f"{k} p95 {_min(f['p95_s'])} min" for k, f in row["by_class"].items())
        lines.append(f"Policy {name}: {_pct(row['within_target'])} in target; {each}")
    return "\n".join(lines)


def _min(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f}"


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f}%"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
