#!/usr/bin/env python3
"""fpga-explore's quality and speed: hypervolume against random search and select-folding, and scaling.

    python benchmarks/explore.py [--model examples/ecg/ecg_cnn.onnx] [--budget 60] [--seed 0] [--objectives a,b,c]

From one run, on the same model, board, space and evaluation budget:

1. NSGA-II (the explorer) on a Dask LocalCluster of 2 workers;
2. random search (the same number of distinct evaluations, the same space);
3. the single-objective design: select-folding's throughput-optimal folding of the model at
   8-bit weights and activations, at the board's clock and max-util 0.85 (one design);
4. NSGA-II again on a Dask LocalCluster of 1 worker: the speed-up of 2 workers over 1 (the
   cluster start-up is excluded, the search timed alone) and a check that the front is the same.

Hypervolumes are over all objectives, each normalised to [0, 1] by the ideal and nadir of every
feasible point the three searches found (reference point 1.1 in each).  The machine's load
average is printed before and after: the 2-worker speed-up needs two idle cores.
Ends with the line `explore: hypervolume <R>x random search, <S>x speed-up on 2 workers`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "examples/ecg/ecg_cnn.onnx"))
    parser.add_argument("--data", default=str(ROOT / "examples/ecg/ecg_test.npz"))
    parser.add_argument("--train-data", default=str(ROOT / "examples/ecg/ecg_train.npz"))
    parser.add_argument("--board", default="kv260")
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-samples", type=int, default=200)
    parser.add_argument("--objectives", default=None, help="the objectives searched and measured (default: all six)")
    parser.add_argument("--skip-scaling", action="store_true", help="leave out the 1-worker run")
    opts = parser.parse_args()

    from fpga_opt.tools import fpga_explore
    from fpga_opt.tools.explore.engines import DaskEngine, PoolEngine
    from fpga_opt.tools.explore.front import bounds, hypervolume, pareto_front
    from fpga_opt.tools.explore.search import Archive, nsga2, random_search

    argv = [opts.model, "--board", opts.board, "--data", opts.data, "--budget", str(opts.budget),
            "--seed", str(opts.seed), "--eval-samples", str(opts.eval_samples), "-o", "unused.json", "--quiet"]  # fmt: skip
    if opts.train_data:
        argv += ["--train-data", opts.train_data]
    if opts.objectives:
        argv += ["--objectives", opts.objectives]
    args = fpga_explore.build_parser().parse_args(argv)
    population = max(4, min(16, opts.budget // 4))
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (1 min) before the runs")
    with tempfile.TemporaryDirectory(prefix="explore-bench-") as workdir:
        _, evaluator, space, objectives, _, n = fpga_explore.prepare(args, workdir)
        print(f"model {Path(opts.model).name} on {opts.board}: {space.size} genes, {space.cardinality():.3g} designs; "
              f"objectives {', '.join(objectives)}; accuracy on {n} samples; budget {opts.budget}")  # fmt: skip

        def timed(label, run, engine):
            load_before = os.getloadavg()[0]
            try:
                start = time.perf_counter()
                archive = run(engine)
                seconds = time.perf_counter() - start
            finally:
                engine.close()
            print(f"{label:<28} {len(archive.records):>4} evaluations in {seconds:7.1f} s "
                  f"({len(archive.records) / seconds:.2f} evaluations/s; load average "
                  f"{load_before:.1f} -> {os.getloadavg()[0]:.1f})")  # fmt: skip
            return archive, seconds

        def run_nsga(engine):
            return nsga2(space, objectives, engine, opts.budget, opts.seed, population, True)

        explorer, t2 = timed("NSGA-II, Dask 2 workers", run_nsga, DaskEngine(evaluator, "local", 2))
        random, _ = timed("random search, 2 processes", lambda e: random_search(
            space, objectives, e, opts.budget, opts.seed, population, True), PoolEngine(evaluator, 2))  # fmt: skip
        single = Archive(space, tuple(objectives))
        board_clock = None
        eight = {"bits": {layer: [8, 8] for layer in space.layers}} if space.layers else {}
        from fpga_opt.backend.target.boards import resolve_board

        board_clock = resolve_board(opts.board).clock_mhz
        settings = {"board": opts.board, "clock_mhz": board_clock, "max_util": 0.85, **eight}
        single.add((-1,), evaluator(settings))
        lower, upper = bounds([explorer.records, random.records, single.records], objectives)
        hv = {name: hypervolume(a.records, objectives, lower, upper)
              for name, a in (("nsga2", explorer), ("random", random), ("select-folding", single))}  # fmt: skip
        front = pareto_front(explorer.records, objectives)
        print(f"front: {len(front)} non-dominated points of {len(explorer.records)}")
        print(f"hypervolume NSGA-II        {hv['nsga2']:.4f}")
        print(f"hypervolume random search  {hv['random']:.4f}")
        print(
            f"hypervolume select-folding {hv['select-folding']:.4f} (one design: 8-bit, {board_clock:g} MHz, max-util 0.85)"
        )
        ratio = hv["nsga2"] / hv["random"] if hv["random"] > 0 else float("inf")
        over_single = hv["nsga2"] / hv["select-folding"] if hv["select-folding"] > 0 else float("inf")
        print(f"NSGA-II / random search: {ratio:.2f}x; NSGA-II / select-folding: {over_single:.2f}x")
        speedup = float("nan")
        if not opts.skip_scaling:
            one, t1 = timed("NSGA-II, Dask 1 worker", run_nsga, DaskEngine(evaluator, "local", 1))
            same = [r["result"]["metrics"] for r in one.records] == [r["result"]["metrics"] for r in explorer.records]
            speedup = t1 / t2
            print(f"speed-up 2 workers / 1 worker: {speedup:.2f}x (same archive with 1 and 2 workers: {same})")
    print(f"machine: load average {os.getloadavg()[0]:.2f} (1 min) after the runs")
    print(f"explore: hypervolume {ratio:.2f}x random search, {speedup:.2f}x speed-up on 2 workers")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
