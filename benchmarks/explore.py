#!/usr/bin/env python3
"""fpga-explore's quality and speed: hypervolume against random search and select-folding, and scaling.

    python benchmarks/explore.py [--model examples/ecg/ecg_cnn.onnx] [--budget 60] [--seeds 0,1,2,3,4]
                                 [--objectives a,b,c] [--skip-scaling]

From one run, on the same model, board, space and evaluation budget:

1. quality, for every seed: NSGA-II (the explorer) and random search (the same number of distinct
   evaluations of the same space, starting from the same reference design), and the single-objective
   design: select-folding's throughput-optimal folding at 8-bit weights and activations, the board's
   clock and max-util 0.85 (one design).  Hypervolumes are over the objectives searched, each
   normalised to [0, 1] by the ideal and nadir of every feasible point any run found (reference 1.1
   in each).  The figure is the median over the seeds of NSGA-II's hypervolume / random search's.
   Evaluations are deterministic functions of the settings, so the runs share one memo of results
   (a design two runs both visit is measured once); the searches do not see it.  The front of every
   design in the memo is the best one known: the share of its hypervolume each search reaches
   bounds the ratio any search could reach over random search.
2. speed, on the distributed engine (a Dask LocalCluster): the batch fpga-explore sends first (seed 0's
   first generation: `--population` distinct candidates, each re-quantised afresh) evaluated by 1 worker
   and by 2 workers, alternately, `--repeats` times each; the speed-up is the median 1-worker time over
   the median 2-worker time (cluster start-up excluded; a warm-up generation first).  Evaluations per second are the 2-worker median's.  The load average is printed around
   every timed batch: two cores shared with other work cannot give 2x.

Ends with the line `explore: hypervolume <R>x random search, <S>x speed-up on 2 workers`.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from fpga_opt.tools.tables import render

ROOT = Path(__file__).resolve().parents[1]


class Memo:
    """An engine that measures each distinct settings once and hands back copies after that."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.results: dict[str, dict] = {}
        self.measured = 0

    def map(self, batch, done=None):
        keys = [json.dumps(s, sort_keys=True) for s in batch]
        missing = [k for k in dict.fromkeys(keys) if k not in self.results]
        if missing:
            for k, r in zip(missing, self.engine.map([json.loads(k) for k in missing]), strict=True):
                self.results[k] = r
            self.measured += len(missing)
        out = []
        for i, k in enumerate(keys):
            out.append(copy.deepcopy(self.results[k]))
            if done:
                done(i, out[-1])
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "examples/ecg/ecg_cnn.onnx"))
    parser.add_argument("--data", default=str(ROOT / "examples/ecg/ecg_test.npz"))
    parser.add_argument("--train-data", default=str(ROOT / "examples/ecg/ecg_train.npz"))
    parser.add_argument("--board", default="kv260")
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--seeds", default="0,1,2,3,4", help="search seeds; the figure is the median over them")
    parser.add_argument("--algorithm", default="nsga2", help="fpga-explore's --algorithm (nsga2, smsemoa, nsga3)")
    parser.add_argument("--population", type=int, default=0, help="NSGA-II population (default fpga-explore's)")
    parser.add_argument("--eval-samples", type=int, default=200)
    parser.add_argument("--parallelism", default="layers", help="fpga-explore's --parallelism (layers, search)")
    parser.add_argument("--objectives", default=None, help="the objectives searched and measured (default: all six)")
    parser.add_argument("--repeats", type=int, default=3, help="timed batches per worker count")
    parser.add_argument("--skip-scaling", action="store_true", help="leave out the speed-up measurement")
    opts = parser.parse_args()
    seeds = [int(s) for s in opts.seeds.split(",") if s.strip()]

    from fpga_opt.backend.target.boards import resolve_board
    from fpga_opt.tools import fpga_explore
    from fpga_opt.tools.explore.engines import DaskEngine
    from fpga_opt.tools.explore.front import bounds, hypervolume, pareto_front
    from fpga_opt.tools.explore.search import Archive, explore, first_population, population_for, random_search

    argv = [opts.model, "--board", opts.board, "--data", opts.data, "--budget", str(opts.budget),
            "--eval-samples", str(opts.eval_samples), "--parallelism", opts.parallelism,
            "-o", "unused.json", "--quiet"]  # fmt: skip
    if opts.train_data:
        argv += ["--train-data", opts.train_data]
    if opts.objectives:
        argv += ["--objectives", opts.objectives]
    args = fpga_explore.build_parser().parse_args(argv)
    population = opts.population or population_for(opts.budget)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (1 min) before the runs")
    with tempfile.TemporaryDirectory(prefix="explore-bench-") as workdir:
        _, evaluator, space, objectives, _, n = fpga_explore.prepare(args, workdir)
        print(f"model {Path(opts.model).name} on {opts.board}: {space.size} genes, {space.cardinality():.3g} designs; "
              f"objectives {', '.join(objectives)}; accuracy on {n} samples; budget {opts.budget}, "
              f"{opts.algorithm} population {population}; seeds {seeds}")  # fmt: skip

        # 1. Quality.
        engine = DaskEngine(evaluator, "local", 2)
        memo = Memo(engine)
        runs: dict[int, dict[str, Archive]] = {}
        start = time.perf_counter()
        try:
            for seed in seeds:
                runs[seed] = {
                    "nsga2": explore(space, objectives, memo, opts.budget, seed, population, True, opts.algorithm),
                    "random": random_search(space, objectives, memo, opts.budget, seed, population, True),
                }
                print(f"  seed {seed}: done ({memo.measured} distinct designs measured so far, "
                      f"{time.perf_counter() - start:.0f} s, load average {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
            board_clock = resolve_board(opts.board).clock_mhz
            eight = {"bits": {layer: [8, 8] for layer in space.layers}} if space.layers else {}
            single = Archive(space, tuple(objectives))
            single.add((-1,), memo.map([{"board": opts.board, "clock_mhz": board_clock, "max_util": 0.85, **eight}])[0])
        finally:
            engine.close()
        every = [a.records for r in runs.values() for a in r.values()] + [single.records]
        lower, upper = bounds(every, objectives)
        hv_single = hypervolume(single.records, objectives, lower, upper)
        # The best front known: every distinct design any run measured (the memo), as a yardstick of how
        # much of it each search reached, and so how far above random search any search could be.
        known = [{"id": i, "result": res} for i, res in enumerate(memo.results.values())]
        hv_known = hypervolume(pareto_front(known, objectives), objectives, lower, upper)
        ratios, over_single, table, reached = [], [], [], {"nsga2": [], "random": []}
        for seed, r in runs.items():
            hv_n = hypervolume(r["nsga2"].records, objectives, lower, upper)
            hv_r = hypervolume(r["random"].records, objectives, lower, upper)
            reached["nsga2"].append(hv_n / hv_known)
            reached["random"].append(hv_r / hv_known)
            ratios.append(hv_n / hv_r if hv_r > 0 else float("inf"))
            over_single.append(hv_n / hv_single if hv_single > 0 else float("inf"))
            front = pareto_front(r["nsga2"].records, objectives)
            table.append([str(seed), f"{hv_n:.4f}", f"{hv_r:.4f}", f"{ratios[-1]:.2f}x", str(len(front)),
                          f"{over_single[-1]:.2f}x"])  # fmt: skip
        print(render(["seed", "NSGA-II HV", "random HV", "ratio", "front", "NSGA-II/select-folding"], table,
                     right=range(6)))  # fmt: skip
        ratio = statistics.median(ratios)
        print(f"hypervolume select-folding {hv_single:.4f} (one design: 8-bit, {board_clock:g} MHz, max-util 0.85)")
        print(f"median over {len(seeds)} seeds: NSGA-II / random search {ratio:.2f}x "
              f"(min {min(ratios):.2f}x, max {max(ratios):.2f}x); NSGA-II / select-folding "
              f"{statistics.median(over_single):.2f}x")  # fmt: skip
        got_n, got_r = statistics.median(reached["nsga2"]), statistics.median(reached["random"])
        print(f"every design measured ({len(known)} distinct): hypervolume {hv_known:.4f}; of it, NSGA-II reaches "
              f"{100 * got_n:.0f}% and random search {100 * got_r:.0f}% (medians), so no search could be more than "
              f"{1 / got_r:.2f}x random search's median here")  # fmt: skip

        # 2. Speed.
        speedup = float("nan")
        if not opts.skip_scaling:
            # The batch fpga-explore sends first: seed 0's first generation (the reference design and a
            # Latin hypercube), all distinct; the warm-up batch is the same for seed 1 (workers started,
            # modules imported, the calibration of the float model run).
            timed_batch = [space.decode(g) for g in first_population(space, population, np.random.default_rng(0))]
            warm = [space.decode(g) for g in first_population(space, population, np.random.default_rng(1))]
            models = Path(evaluator.source.workdir)
            clusters = {w: DaskEngine(evaluator, "local", w) for w in (1, 2)}
            times: dict[int, list[float]] = {1: [], 2: []}
            try:
                for engine in clusters.values():
                    engine.map(warm)
                for _ in range(opts.repeats):
                    for w, engine in clusters.items():
                        for old in models.glob("q-*.onnx"):  # every timed candidate re-quantises its model
                            old.unlink()
                        load = os.getloadavg()[0]
                        t0 = time.perf_counter()
                        results = engine.map(timed_batch)
                        times[w].append(time.perf_counter() - t0)
                        assert all(r.get("feasible") is not None for r in results)
                        print(f"  {len(timed_batch)} evaluations on {w} Dask worker(s): {times[w][-1]:.1f} s "
                              f"(load average {load:.1f} -> {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
            finally:
                for engine in clusters.values():
                    engine.close()
            t1, t2 = statistics.median(times[1]), statistics.median(times[2])
            speedup = t1 / t2
            print(f"evaluations per second: {len(timed_batch) / t2:.2f} on 2 workers, {len(timed_batch) / t1:.2f} on 1")
            print(f"speed-up 2 workers / 1 worker: {speedup:.2f}x (medians of {opts.repeats} batches of "
                  f"{len(timed_batch)} evaluations, {t1:.1f} s against {t2:.1f} s)")  # fmt: skip
    print(f"machine: load average {os.getloadavg()[0]:.2f} (1 min) after the runs")
    scaling = "speed-up not measured (--skip-scaling)" if opts.skip_scaling else f"{speedup:.2f}x speed-up on 2 workers"
    print(f"explore: hypervolume {ratio:.2f}x random search, {scaling}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
