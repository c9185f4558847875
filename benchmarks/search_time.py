#!/usr/bin/env python3
"""How long select-folding searches, and fpga-compile's whole optimisation pipeline takes (median of 3).

    python benchmarks/search_time.py [--board kv260] [--repeat 3] [--models resnet8_int8,resnet20_int8] [--json FILE]

Each model is imported once by the ONNX frontend; every run then applies
`select-folding{algorithm=...}` to a fresh parse of that IR, and the time of
the pass alone is measured (the search, its cost evaluations and writing the
factors back), plus the end-to-end `fpga-opt` command line for reference
(interpreter start, parse, search, print).  The targets are < 2 s (greedy)
and < 30 s (anneal) for ResNet-20 on a 2-core machine.

Then the *default pipeline*: fpga-compile's optimisation step
(`tools/fpga_compile.py` DEFAULT_PIPELINE: dataflow-canonicalize, select-folding,
merge-loops, minimize-residual-buffers, size-fifos{refold=true},
estimate-resources) applied to a fresh parse, timed as a whole and pass by pass
(median of the runs per pass, wall and CPU).  Issue 16's target: < 3 s for ResNet-20 int8 on
KV260.  The machine's load average is printed beside it (other work on the
cores slows every figure).  Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "examples" / "models"


def ir_text(model: str) -> str:
    from fpga_opt.frontend.onnx_import import import_onnx, module_text

    return module_text(import_onnx(MODELS / f"{model}.onnx").module)


def parse(text: str):
    from xdsl.context import Context
    from xdsl.dialects.builtin import Builtin
    from xdsl.dialects.func import Func
    from xdsl.parser import Parser

    from fpga_opt.dialects.dataflow import Dataflow

    ctx = Context()
    for dialect in (Builtin, Func, Dataflow):
        ctx.load_dialect(dialect)
    return Parser(ctx, text).parse_module()


def time_pass(text: str, board: str, algorithm: str, repeat: int) -> tuple[float, list[float], int]:
    from xdsl.context import Context

    from fpga_opt.backend.costs import CostContext, analyse_network
    from fpga_opt.backend.target.boards import get_board
    from fpga_opt.passes.select_folding import SelectFoldingPass

    times, interval = [], 0
    for _ in range(repeat):
        module = parse(text)
        start = time.perf_counter()
        SelectFoldingPass(board=board, algorithm=algorithm).apply(Context(), module)
        times.append(time.perf_counter() - start)
        interval = analyse_network(module, CostContext.for_board(get_board(board))).interval
    return statistics.median(times), times, interval


def time_pipeline(text: str, board: str, repeat: int) -> dict[str, object]:
    """fpga-compile's default optimisation pipeline on fresh parses: wall and CPU medians, runs, median per pass.

    The CPU time (this process's) is printed beside the wall time: on a machine shared with other
    work the wall time grows with the load, the CPU time much less."""
    from xdsl.context import Context
    from xdsl.passes import PassPipeline

    from fpga_opt.passes import registry
    from fpga_opt.tools.fpga_compile import DEFAULT_PIPELINE, pipeline_specs

    specs, _ = pipeline_specs(DEFAULT_PIPELINE, board)
    totals, cpus = [], []
    per_pass: dict[str, list[float]] = {spec.split("{", 1)[0]: [] for spec in specs}
    per_pass_cpu: dict[str, list[float]] = {name: [] for name in per_pass}
    for _ in range(repeat):
        module = parse(text)
        start, cpu = time.perf_counter(), time.process_time()
        for spec in specs:
            begin, begin_cpu = time.perf_counter(), time.process_time()
            PassPipeline.parse_spec(registry(), spec).apply(Context(), module)
            per_pass[spec.split("{", 1)[0]].append(time.perf_counter() - begin)
            per_pass_cpu[spec.split("{", 1)[0]].append(time.process_time() - begin_cpu)
        totals.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return {
        "median_s": statistics.median(totals),
        "cpu_median_s": statistics.median(cpus),
        "runs_s": totals,
        "cpu_runs_s": cpus,
        "per_pass_s": {name: statistics.median(t) for name, t in per_pass.items()},
        "per_pass_cpu_s": {name: statistics.median(t) for name, t in per_pass_cpu.items()},
    }


def time_cli(text: str, board: str, algorithm: str, repeat: int) -> float:
    fpga_opt = Path(sys.executable).with_name("fpga-opt")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "net.mlir"
        path.write_text(text)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            subprocess.run(
                [
                    str(fpga_opt),
                    str(path),
                    "-p",
                    f"select-folding{{board={board} algorithm={algorithm}}}",
                    "-o",
                    os.devnull,
                ],
                check=True,
            )
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def print_tables(rows: list[dict], pipelines: list[dict], repeat: int) -> None:
    from fpga_opt.tools.tables import render

    header = ["model", "ops", "algorithm", "pass", "fpga-opt", "interval"]
    table = [
        [
            r["model"], f"{r['ops']}", r["algorithm"], f"{r['pass_median_s']:.2f}s",
            "-" if r["cli_median_s"] is None else f"{r['cli_median_s']:.2f}s", f"{r['interval']}",
        ]
        for r in rows
    ]  # fmt: skip
    print(render(header, table, right={1, 3, 4, 5}))
    if pipelines:
        print(f"\nfpga-compile's default pipeline (median of {repeat}; load average {os.getloadavg()[0]:.1f}):")
        table = []
        for p in pipelines:
            table.append([p["model"], "whole pipeline", f"{p['median_s']:.2f}s", f"{p['cpu_median_s']:.2f}s"])
            table += [
                ["", name, f"{sec:.2f}s", f"{p['per_pass_cpu_s'][name]:.2f}s"] for name, sec in p["per_pass_s"].items()
            ]
        print(render(["model", "pass", "wall", "cpu"], table, right={2, 3}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="kv260")
    parser.add_argument("--models", default="resnet8_int8,resnet20_int8")
    parser.add_argument("--algorithms", default="greedy,anneal")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-cli", action="store_true", help="skip the end-to-end fpga-opt timing")
    parser.add_argument("--no-pipeline", action="store_true", help="skip the default-pipeline timing")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    rows, pipelines = [], []
    for model in args.models.split(","):
        text = ir_text(model)
        if not args.no_pipeline:
            pipelines.append({"model": model, "board": args.board, **time_pipeline(text, args.board, args.repeat)})
            print(f"  timed {model} default pipeline", file=sys.stderr, flush=True)
        n_ops = sum(1 for line in text.splitlines() if "= dataflow." in line)
        for algorithm in args.algorithms.split(","):
            median, times, interval = time_pass(text, args.board, algorithm, args.repeat)
            cli = None if args.no_cli else time_cli(text, args.board, algorithm, args.repeat)
            rows.append(
                {
                    "model": model,
                    "ops": n_ops,
                    "algorithm": algorithm,
                    "board": args.board,
                    "pass_median_s": median,
                    "pass_runs_s": times,
                    "cli_median_s": cli,
                    "interval": interval,
                }
            )
            print(f"  timed {model} {algorithm}", file=sys.stderr, flush=True)
    print(f"board {args.board}, median of {args.repeat} runs, {os.cpu_count()} CPUs\n")
    print_tables(rows, pipelines, args.repeat)
    if args.json:
        args.json.write_text(json.dumps({"select_folding": rows, "default_pipeline": pipelines}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
