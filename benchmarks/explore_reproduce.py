#!/usr/bin/env python3
"""Rebuild every point of an fpga-explore front with its own fpga-compile command, and check it.

    python benchmarks/explore_reproduce.py FRONT.json [--csim all|none|goals|N] [--limit N] [--out DIR]

For each point: runs the `compile` command line stored in FRONT.json (into DIR/point-ID, with
--no-csim unless the point is among those C-simulated), then fpga-sim's cycle-level timing of
the optimised IR it wrote, and compares that frame rate with the front's throughput (must be
within 5%).  `--csim N` C-simulates the first N points (all: every point; goals: the points
the design goals picked, which are rebuilt first).  An early-exit point (fpga-compile
--exit-data) is timed by the fpga-sim run fpga-compile makes on the real samples, each routed
by its exit decision (report.json's early_exit.exit_design.sim_cycles), since its rate depends
on the route; when fpga-compile fell back to the design without exits, that design's.  Prints
a line per point on stderr as it goes, then one row per point and a closing line `reproduce: N/N points within 5%, C/C csim passed`.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from fpga_opt.tools.tables import render

TOLERANCE = 0.05


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("front", type=Path)
    parser.add_argument(
        "--csim", default="all", help="all, none, goals (the design goals' points), or a number of points"
    )
    parser.add_argument("--out", type=Path, default=None, help="where to build (default: a temporary folder)")
    parser.add_argument("--frames", type=int, default=4, help="frames for fpga-sim's timing")
    parser.add_argument(
        "--limit", type=int, default=0, help="rebuild only the first N points (the goals' first; default: all)"
    )
    opts = parser.parse_args()

    from fpga_opt.backend.sim import simulate
    from fpga_opt.dialects.parsing import load_module

    doc = json.loads(opts.front.read_text())
    points = doc["points"]
    goal_ids = {g["id"] for g in doc.get("goals", {}).values()}
    if opts.csim == "goals":
        simulated = goal_ids
    else:
        n = len(points) if opts.csim == "all" else 0 if opts.csim == "none" else int(opts.csim)
        simulated = {p["id"] for p in points[:n]}
    base = opts.front.parent
    within = csim_ok = csim_run = 0
    with tempfile.TemporaryDirectory(prefix="explore-reproduce-") as tmp:
        out_root = opts.out or Path(tmp)
        table = []
        # the design goals' points first: they are the ones C-simulated with --csim goals
        order = sorted(points, key=lambda q: q["id"] not in goal_ids)
        rebuilt = order[: opts.limit] if opts.limit > 0 else order
        for point in rebuilt:
            argv = shlex.split(point["compile"])
            argv[1] = str(base / point["design"])  # the design file, relative to the front
            argv[argv.index("-o") + 1] = str(out_root / f"point-{point['id']}")
            if point["id"] not in simulated:
                argv.append("--no-csim")
            cmd = [str(Path(sys.executable).with_name("fpga-compile")), *argv[1:]]
            done = subprocess.run(cmd, capture_output=True, text=True)
            out_dir = out_root / f"point-{point['id']}"
            verdict = "skipped"
            if point["id"] in simulated:
                csim_run += 1
                report = json.loads((out_dir / "report.json").read_text()) if (out_dir / "report.json").exists() else {}
                passed = report.get("design", {}).get("csim_passed")  # report.json: {"design": ..., "run": ...}
                verdict = "passed" if done.returncode == 0 and passed else "FAILED"
                csim_ok += verdict == "passed"
            if done.returncode != 0 and point["id"] not in simulated:
                table.append([f"{point['id']}", "", "", "", "", "", f"fpga-compile failed: {done.stderr.strip()[-200:]}"])
                continue
            if "exits" in point:
                section = json.loads((out_dir / "report.json").read_text())["design"]["early_exit"]
                cycles = section["baseline" if section["fell_back"] else "exit_design"]["sim_cycles"]
                fps = point["clock_mhz"] * 1e6 / cycles
            else:
                opt = next(out_dir.glob("*.opt.mlir"))
                timing = simulate(load_module(opt), None, None, frames=opts.frames, base_dir=opt.parent).timing
                fps = timing.fps or 0.0
            front_fps = point["objectives"]["throughput"]
            diff = (fps - front_fps) / front_fps
            within += abs(diff) <= TOLERANCE
            table.append([f"{point['id']}", point["board"], f"{point['clock_mhz']:g}", f"{front_fps:,.1f}", f"{fps:,.1f}",
                          f"{100 * diff:.2f}%", verdict])  # fmt: skip
            print(f"point {point['id']}: fpga-sim {fps:,.1f} FPS, front {front_fps:,.1f} ({100 * diff:+.2f}%), csim {verdict}",
                  file=sys.stderr, flush=True)  # fmt: skip  # the table comes at the end; a cut-short run keeps these
    header = ["id", "board", "MHz", "front FPS", "fpga-sim FPS", "diff", "csim"]
    print(render(header, table, right={0, 2, 3, 4, 5}))
    of = "" if len(rebuilt) == len(points) else f" (the first {len(rebuilt)} of the front's {len(points)}: --limit)"
    print(f"reproduce: {within}/{len(rebuilt)} points within 5%{of}, {csim_ok}/{csim_run} csim passed")
    return 0 if within == len(rebuilt) and csim_ok == csim_run else 1


if __name__ == "__main__":
    raise SystemExit(main())
