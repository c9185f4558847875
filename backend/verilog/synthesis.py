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

`synthesize_per_module` gives the same counts in pieces, for designs too large
for one run: the units (one per output element), a batch per yosys run, then
the top module with the units as black boxes; the total is the sum.  Kept
hierarchical, no logic crosses a unit's boundary, so the sum equals the
whole-design count (test_verilog_backend.py checks it).  Each unit's counts
are cached by the hash of its text (name aside), yosys's version and the
script, so a rerun -- or a unit another model shares -- is not synthesised
again, and a stopped run keeps the batches it finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable
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


def _run_synth(text: str, top: str, work: Path, timeout: float) -> tuple[dict, float]:
    """One yosys `synth_xilinx` run of `text`; its `stat -json` and the seconds it took."""
    yosys = find_tool("yosys")
    work.mkdir(parents=True, exist_ok=True)
    (work / "design.v").write_text(text)
    script = f"read_verilog -sv design.v; synth_xilinx -top {top} -noiopad; tee -q -o stat.json stat -json"
    start = time.perf_counter()
    run_tool([yosys, "-q", "-p", script], work, "synthesis", timeout)
    seconds = time.perf_counter() - start
    try:
        return json.loads((work / "stat.json").read_text()), seconds
    except (OSError, ValueError) as error:
        raise FpgaOptError(f"synthesis: cannot read yosys statistics ({error})") from None


def _cells(stat: dict, section: str, name: str) -> dict[str, int]:
    """The cell histogram of `stat[section]` (`design`, or one module of `modules`)."""
    entry = stat.get(section, {})
    if section == "modules":
        entry = entry.get(f"\\{name}", entry.get(name, {}))
    totals = entry.get("num_cells_by_type")
    if totals is None:
        raise FpgaOptError(f"synthesis: yosys reported no cell counts for '{name}'")
    return {k.lstrip("\\"): int(v) for k, v in totals.items()}


def synthesize(design: VerilogDesign, timeout: float = 3600.0, workdir: str | Path | None = None) -> SynthesisReport:
    """`synth_xilinx` of the design, hierarchy kept, no I/O buffers (a layer inside a larger design); cell counts."""
    with tempfile.TemporaryDirectory(prefix="fpga-opt-synth-") as tmp:
        stat, seconds = _run_synth(design.text, design.top, Path(workdir) if workdir else Path(tmp), timeout)
    report = count_cells(_cells(stat, "design", design.top))
    return SynthesisReport(report.lut, report.ff, report.carry, report.muxf, report.cells, seconds)


_HEADER = re.compile(r"module (\w+) \(([^\n]*)\);")
CACHE_FORMAT = 1
"""Bump when the script or what a cache entry holds changes."""


def _yosys_version() -> str:
    done = subprocess.run([find_tool("yosys"), "-V"], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def _split_unit(text: str) -> tuple[str, str, str]:
    """(name, port list, body after the header) of a unit module's text."""
    match = _HEADER.match(text)
    if match is None:  # pragma: no cover - emit.py writes every unit this way
        raise AssertionError(f"synthesis: unexpected unit header: {text[:80]!r}")
    return match.group(1), match.group(2), text[match.end() :]


def synthesize_per_module(
    design: VerilogDesign,
    cache: str | Path | None = None,
    batch: int = 32,
    timeout: float = 3600.0,
    progress: Callable[[str], None] | None = None,
) -> SynthesisReport:
    """The whole design's cell counts, synthesised unit by unit (a batch per yosys run) plus the top.

    `cache`: a folder for each unit's counts, keyed by its content hash
    (created if missing); None keeps them for this call only.  `progress`
    gets one line per yosys run.  `seconds` is the time spent in yosys here
    (0 for what the cache held).
    """
    version = _yosys_version()
    folder = Path(cache) if cache is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    units = [_split_unit(text) for text in design.units]
    keys = [
        hashlib.sha256(f"{CACHE_FORMAT}\n{version}\n{ports}\n{body}".encode()).hexdigest()[:32]
        for _, ports, body in units
    ]
    known: dict[str, dict[str, int]] = {}
    for key in set(keys):
        entry = _read_entry(folder / f"{key}.json") if folder is not None else None
        if entry is not None:
            known[key] = entry
    todo = sorted({key: unit for key, unit in zip(keys, units, strict=True) if key not in known}.items())
    seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="fpga-opt-synth-") as tmp:
        for first in range(0, len(todo), batch):
            chunk = todo[first : first + batch]
            modules, ports, instances = [], [], []
            for j, (key, (_, port_list, body)) in enumerate(chunk):
                modules.append(f"module u_{key} ({port_list});{body}")
                in_bits, out_decl = _port_widths(port_list)
                ports += [f"input [{in_bits - 1}:0] x{j}", f"output {out_decl} y{j}"]
                instances.append(f"  u_{key} i{j} (.x(x{j}), .y(y{j}));")
            wrapper = "\n".join([f"module batch_top ({', '.join(ports)});", *instances, "endmodule", ""])
            stat, took = _run_synth("\n".join([*modules, wrapper]), "batch_top", Path(tmp) / f"b{first}", timeout)
            seconds += took
            for key, _ in chunk:
                known[key] = _cells(stat, "modules", f"u_{key}")
                if folder is not None:  # written whole or not at all: a stopped run leaves no torn entry
                    part = folder / f"{key}.json.part"
                    part.write_text(json.dumps(known[key], sort_keys=True) + "\n")
                    os.replace(part, folder / f"{key}.json")
            if progress is not None:
                progress(f"{design.top}: {min(first + batch, len(todo))}/{len(todo)} units synthesised ({took:.0f} s)")
        names = frozenset(name for name, _, _ in units)
        stubs = [f"(* blackbox *)\nmodule {name} ({port_list});\nendmodule\n" for name, port_list, _ in units]
        stat, took = _run_synth("\n".join([*stubs, design.top_text]), design.top, Path(tmp) / "top", timeout)
        seconds += took
    cells: dict[str, int] = dict(_cells(stat, "modules", design.top))
    for name in names:
        cells.pop(name, None)
    for key in keys:
        for cell, n in known[key].items():
            cells[cell] = cells.get(cell, 0) + n
    report = count_cells(cells)
    return SynthesisReport(report.lut, report.ff, report.carry, report.muxf, report.cells, seconds)


def _read_entry(path: Path) -> dict[str, int] | None:
    """A cached unit's cell counts; None if missing or unreadable (it is synthesised again)."""
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or not all(isinstance(n, int) for n in entry.values()):
        return None
    return entry


def _port_widths(port_list: str) -> tuple[int, str]:
    """(input bits, the output's declaration after `output`) of a unit's `input [N:0] x, output ... y`."""
    match = re.fullmatch(r"input \[(\d+):0\] x, output (.*) y", port_list)
    if match is None:  # pragma: no cover - emit.py writes every unit this way
        raise AssertionError(f"synthesis: unexpected unit ports: {port_list!r}")
    return int(match.group(1)) + 1, match.group(2)
