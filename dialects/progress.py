"""Progress of long work on stderr (tqdm), shown only where someone watches.

A bar appears only when stderr is a terminal, only after the work has run
for `DELAY_S` seconds (quick runs stay silent), and never when a tool was
given `--quiet` (`set_quiet`) or FPGA_OPT_QUIET=1 is set.  A disabled bar is
tqdm's own no-op, so callers update it unconditionally.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from tqdm import tqdm

DELAY_S = 2.0  # "more than a couple of seconds": shorter work never shows a bar
_quiet = False


def set_quiet(quiet: bool = True) -> None:
    """Turn every bar of this process off (a tool's --quiet)."""
    global _quiet
    _quiet = quiet


def shown() -> bool:
    """Whether bars are drawn: stderr is a terminal and nobody asked for quiet."""
    return not _quiet and os.environ.get("FPGA_OPT_QUIET", "") in ("", "0") and sys.stderr.isatty()


def progress(what: str, total: float | None = None, unit: str = "it") -> tqdm:
    """A bar for `what` (a context manager; `.update(n)`); without `total`, a counter with elapsed time."""
    return tqdm(
        desc=what,
        total=total,
        unit=unit,
        file=sys.stderr,
        disable=not shown(),
        delay=DELAY_S,
        leave=False,
        dynamic_ncols=True,
        mininterval=0.2,
    )


def fraction_reporter(bar: tqdm, steps: int = 100) -> Callable[[float], None]:
    """A `report(fraction)` callback that moves `bar` (whose total is `steps`) to that fraction."""

    def report(fraction: float) -> None:
        bar.update(max(0, round(fraction * steps) - bar.n))

    return report


def step_reporter(bar: tqdm) -> Callable[[str], None]:
    """A `report(text)` callback for a search that takes steps of unknown number: one step, `text` beside it."""

    def report(text: str) -> None:
        bar.set_postfix_str(text, refresh=False)
        bar.update(1)

    return report
