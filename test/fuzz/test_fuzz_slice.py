"""CI's fixed-seed slice of the fuzzer (`make fuzz N=...` runs as many as asked).

Every family runs, with the same seed as `make fuzz`; the signal family runs
a few real processes.  The slice must keep every promise (see fuzz_runner):
a failure lists each broken case with a command to reproduce it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fuzz_cli import DEFAULT_SEED, describe_failure, format_table, run_all, table  # noqa: E402
from fuzz_families import FAMILIES  # noqa: E402

SLICE_RUNS = 120
"""Cases shared among the in-process families (about 0.2 s each)."""
SIGNAL_RUNS = 6
"""Real processes stopped by a signal (about 2-3 s each)."""


def test_fuzz_slice_keeps_the_promise():
    families = [f for f in FAMILIES if f != "signals"]
    outcomes = run_all(SLICE_RUNS, DEFAULT_SEED, families, timeout=60)
    outcomes += run_all(SIGNAL_RUNS, DEFAULT_SEED, ["signals"], timeout=120)
    rows = table(outcomes)
    print("\n" + format_table(rows))
    failures = [describe_failure(o) for o in outcomes if not o.ok]
    assert not failures, "\n".join(failures)
    assert rows["total"]["runs"] == SLICE_RUNS + SIGNAL_RUNS
    assert all(rows[f]["runs"] >= 1 for f in FAMILIES)
