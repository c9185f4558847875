"""`make fuzz N=2000`: run N generated hostile cases (all families, fixed seed) and print a table.

    python test/fuzz/fuzz_cli.py --runs 2000 [--seed 12] [--families onnx,ir] [--timeout 60]
                                 [--save-failures build/fuzz-failures] [--json build/fuzz.json]

N is shared among the families by `fuzz_families.WEIGHTS`.  Each family's
cases come from hypothesis (seeded: the same N and seed draw the same cases)
and each runs with `fuzz_runner.run_case`.  The table counts, per family, the
runs, how they ended (exit 0 / error exit), and every broken promise:
tracebacks, bugs (the boundary's "internal error" line), hangs, leftover
files, changed inputs, error messages that are not one line, and unexpected
exit codes.  "killed silently" counts signal cases that the signal itself
ended before any handler was in place, with nothing printed (before the
console script's `trap`, or a SIGTERM before the launcher's first line): not
failures, and checked like any other run for leftovers and changed inputs.
A KeyboardInterrupt traceback counts as a traceback, whenever the signal
landed.  Every failing case is listed with a command to reproduce it, and
with `--save-failures` its sandbox (inputs and `repro.sh`) is kept.
Exit code 1 if any promise broke.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

# One BLAS thread per case: the machine is shared, and forking with idle BLAS threads is safe.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fuzz_runner import Case, Outcome, preload, run_case  # noqa: E402

DEFAULT_SEED = 12
DEFAULT_TIMEOUT = 60.0


def plan(runs: int, families: list[str], weights: dict[str, float]) -> dict[str, int]:
    """Runs per family: `runs` shared in proportion to the weights, every family at least one."""
    total = sum(weights.get(f, 1.0) for f in families)
    counts = {f: max(1, int(runs * weights.get(f, 1.0) / total)) for f in families}
    spare = runs - sum(counts.values())
    for f in families:
        if spare <= 0:
            break
        counts[f] += 1
        spare -= 1
    return counts


def generate(strategy, count: int, seed: int) -> list[Case]:
    """`count` cases drawn by hypothesis with a fixed seed (no shrinking: every case is a run)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    cases: list[Case] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(case: Case) -> None:
        cases.append(case)

    draw()
    return cases


def run_all(
    runs: int,
    seed: int,
    families: list[str],
    timeout: float,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    from fuzz_families import FAMILIES, WEIGHTS, warm_corpus

    preload()
    warm_corpus()
    outcomes = []
    for family, count in plan(runs, families, WEIGHTS).items():
        for case in generate(FAMILIES[family], count, seed):
            outcome = run_case(case, timeout)
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
    return outcomes


COLUMNS = (
    "runs",
    "exit 0",
    "exit 1",
    "tracebacks",
    "bugs",
    "hangs",
    "leftovers",
    "changed inputs",
    "multi-line",
    "bad exit",
    "killed silently",
    "seconds",
)
PROBLEM_COLUMN = {
    "traceback": "tracebacks",
    "bug": "bugs",
    "hang": "hangs",
    "leftover": "leftovers",
    "changed-input": "changed inputs",
    "multi-line": "multi-line",
    "exit-code": "bad exit",
}


def table(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {}
    for o in outcomes:
        row = rows.setdefault(o.case.family, dict.fromkeys(COLUMNS, 0))
        row["runs"] += 1
        row["exit 0"] += o.code == 0
        row["exit 1"] += o.code not in (0, None)
        row["killed silently"] += o.killed_silently
        row["seconds"] += o.seconds
        for problem in o.problems:
            row[PROBLEM_COLUMN[problem]] += 1
    total = dict.fromkeys(COLUMNS, 0)
    for row in rows.values():
        for key in COLUMNS:
            total[key] += row[key]
    rows["total"] = total
    return rows


def format_table(rows: dict[str, dict[str, float]]) -> str:
    header = ["family", *COLUMNS]
    body = [[name, *(f"{row[c]:.0f}" for c in COLUMNS)] for name, row in rows.items()]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in body:
        lines.append(
            "| "
            + " | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            + " |"
        )
    return "\n".join(lines)


def describe_failure(o: Outcome) -> str:
    stderr = o.stderr.strip().splitlines()
    shown = " / ".join(stderr[-3:])[:400]
    return f"[{o.case.family}] {', '.join(o.problems)}: {o.case.command()}  ({o.case.note[:120]!r}; exit {o.code}): {shown}"


def save_failure(o: Outcome, folder: Path, index: int) -> None:
    import shlex

    target = folder / f"{index:04d}-{o.case.family}"
    target.mkdir(parents=True, exist_ok=True)
    for rel, data in o.case.files.items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_bytes(data)
    for rel in o.case.dirs:
        (target / rel).mkdir(parents=True, exist_ok=True)
    (target / "repro.sh").write_text(
        "#!/bin/sh\n# "
        + ", ".join(o.problems)
        + '\ncd "$(dirname "$0")" && '
        + " ".join(shlex.quote(a) for a in [o.case.tool, *o.case.argv])
        + "\n"
    )
    (target / "stderr.txt").write_text(o.stderr)


def main(argv: list[str] | None = None) -> int:
    from fuzz_families import FAMILIES

    parser = argparse.ArgumentParser(prog="fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", "-n", type=int, default=400, help="cases in all (shared among the families)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--families", default=",".join(FAMILIES), help="comma-separated subset of: " + ", ".join(FAMILIES)
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="CPU seconds per case before it is a hang (wall: 5 times that)",
    )
    parser.add_argument("--save-failures", metavar="DIR", help="keep each failing case's inputs and repro.sh here")
    parser.add_argument("--json", metavar="FILE", help="write the table and the failures as JSON")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress line")
    args = parser.parse_args(argv)
    families = [f.strip() for f in args.families.split(",") if f.strip()]
    unknown = [f for f in families if f not in FAMILIES]
    if unknown or args.runs < 1:
        parser.error(f"unknown families {unknown}" if unknown else "--runs must be >= 1")

    if args.save_failures:
        import shutil

        shutil.rmtree(args.save_failures, ignore_errors=True)  # this run's failures only
    start = time.perf_counter()
    done = [0]

    def progress(o: Outcome) -> None:
        done[0] += 1
        if not args.quiet:
            mark = "." if o.ok else "F"
            print(mark, end="" if done[0] % 100 else f" {done[0]}\n", flush=True, file=sys.stderr)

    outcomes = run_all(args.runs, args.seed, families, args.timeout, progress)
    failures = [o for o in outcomes if not o.ok]
    rows = table(outcomes)
    print(file=sys.stderr)
    print(
        f"fuzz: {len(outcomes)} runs, seed {args.seed}, timeout {args.timeout:g} s of CPU per run, "
        f"{time.perf_counter() - start:.0f} s in all"
    )
    print(format_table(rows))
    for i, o in enumerate(failures):
        print(describe_failure(o))
        if args.save_failures:
            save_failure(o, Path(args.save_failures), i)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)  # build/ is not there on a fresh clone
        Path(args.json).write_text(
            json.dumps(
                {
                    "runs": len(outcomes),
                    "seed": args.seed,
                    "table": rows,
                    "failures": [
                        {
                            "family": o.case.family,
                            "command": o.case.command(),
                            "problems": o.problems,
                            "exit": o.code,
                            "stderr": o.stderr[-2000:],
                            "note": o.case.note,
                        }
                        for o in failures
                    ],
                },
                indent=2,
            )
            + "\n"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
