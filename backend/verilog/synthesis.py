"""Synthesise an unrolled design with yosys `synth_xilinx` and count what it maps to.

A real synthesis figure, not an estimate: yosys maps the design onto Xilinx
7-series/UltraScale primitives (LUT1..LUT6, CARRY4, MUXF7/MUXF8, FD*), and
`SynthesisReport` counts them, over the whole hierarchy, from `stat -json`.
LUTs are the LUT1..LUT6 cells; FFs the FD* cells.

The hierarchy is kept (no `-flatten`): each output element of a binarised
layer is its own module (emit.py), so ABC maps one popcount at a time.  On
the flattened design ABC's run time grows far faster than the design (a
64 x 64 XNOR layer did not finish in 15 minutes; kept hierarchical it takes
about 45 CPU seconds), and an unrolled layer's neurons share no logic for a
flat mapping to find.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from fpga_opt.backend.verilog.emit import VerilogDesign
from fpga_opt.backend.verilog.tools import find_tool, run_tool
from fpga_opt.dialects.errors import FpgaOptError


@dataclass(frozen=True)
class SynthesisReport:
    """Cell counts of the synthesised design."""

    lut: int
    ff: int
    carry: int
    muxf: int
    cells: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {"lut": self.lut, "ff": self.ff, "carry": self.carry, "muxf": self.muxf, "cells": self.cells}


def count_cells(cells: dict[str, int]) -> SynthesisReport:
    lut = sum(n for c, n in cells.items() if c.startswith("LUT") and c[3:].isdigit())
    ff = sum(n for c, n in cells.items() if c.startswith("FD"))
    carry = sum(n for c, n in cells.items() if c.startswith("CARRY"))
    muxf = sum(n for c, n in cells.items() if c.startswith("MUXF"))
    return SynthesisReport(lut, ff, carry, muxf, dict(sorted(cells.items())))


def synthesize(design: VerilogDesign, timeout: float = 3600.0, workdir: str | Path | None = None) -> SynthesisReport:
    """`synth_xilinx` of the design, hierarchy kept, no I/O buffers (a layer inside a larger design); cell counts."""
    yosys = find_tool("yosys")
    with tempfile.TemporaryDirectory(prefix="fpga-opt-synth-") as tmp:
        work = Path(workdir) if workdir is not None else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        (work / "design.v").write_text(design.text)
        script = f"read_verilog -sv design.v; synth_xilinx -top {design.top} -noiopad; tee -q -o stat.json stat -json"
        start = time.perf_counter()
        run_tool([yosys, "-q", "-p", script], work, "synthesis", timeout)
        seconds = time.perf_counter() - start
        try:
            stat = json.loads((work / "stat.json").read_text())
        except (OSError, ValueError) as error:
            raise FpgaOptError(f"synthesis: cannot read yosys statistics ({error})") from None
    totals = stat.get("design", {}).get("num_cells_by_type")
    if totals is None:
        raise FpgaOptError(f"synthesis: yosys reported no totals for the design '{design.top}'")
    report = count_cells({k.lstrip("\\"): int(v) for k, v in totals.items()})
    return SynthesisReport(report.lut, report.ff, report.carry, report.muxf, report.cells, seconds)
