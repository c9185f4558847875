"""fpga-compile's C simulation step, as a check report.json can trust: passed, failed, or skipped with its reason.

One place for what the main flow, the partitioned flow and the early-exit
flow all do: skip with a reason (--no-csim, no g++/make, no HLS headers) or
build and run each project in order, stopping at the first failure (its
output goes to `log`).  A skipped run is `passed = None`, never true.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class CsimOutcome:
    verdict: str
    """What the console prints: `PASS: ...`, `p0: PASS: ...; p1: FAIL: ...`, or `skipped: <reason>`."""
    passed: bool | None
    """None: skipped."""
    reason: str = ""
    build_seconds: float = 0.0
    run_seconds: float = 0.0

    @property
    def check(self) -> dict[str, Any]:
        """report.json's entry in `checks`."""
        if self.passed is None:
            return {"name": "csim", "status": "skipped", "reason": self.reason}
        return {"name": "csim", "status": "passed" if self.passed else "failed", "detail": self.verdict}


def run_csim_check(projects: list[Path], *, no_csim: bool, jobs: int, opt: str, log: Path) -> CsimOutcome:
    """C simulation of `projects` in order (one: its verdict alone; several: `p<i>: verdict` each)."""
    from fpga_opt.backend.hls.csim import INSTALL_HINT, find_ap_types, have_compiler, run_csim
    from fpga_opt.dialects.files import write_atomically

    if no_csim:
        return CsimOutcome("skipped (--no-csim)", None, "--no-csim")
    if not have_compiler():
        return CsimOutcome("skipped: no g++/make on PATH", None, "no g++/make on PATH")
    if find_ap_types() is None:
        reason = f"no ap_int.h/hls_stream.h; {INSTALL_HINT}"
        return CsimOutcome(f"skipped: {reason}", None, reason)
    outcome = CsimOutcome("", True)
    verdicts = []
    for index, project in enumerate(projects):
        result = run_csim(project, jobs=jobs, opt=opt)
        outcome.build_seconds += result.build_seconds
        outcome.run_seconds += result.run_seconds
        verdicts.append(result.verdict if len(projects) == 1 else f"p{index}: {result.verdict}")
        if not result.passed:
            outcome.passed = False
            write_atomically(log, result.output)
            break
    outcome.verdict = "; ".join(verdicts)
    return outcome
