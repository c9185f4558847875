#!/usr/bin/env python3
"""fpga-explore's quality and speed: hypervolume against random search and select-folding, and scaling.

    python benchmarks/explore.py [--model examples/ecg/ecg_cnn.onnx] [--budget 60] [--seeds 0,1,2,3,4]
                                 [--objectives a,b,c] [--skip-scaling]

From one run, on the same model, board, space and evaluation budget:

1. quality, for every seed: NSGA-II (the explorer) and random search (the same number of distinct
   evaluations of the same space, starting from the same reference design), and the single-objective
   design: select-folding's throughput-optimal folding at 8-bit weights and activations, the board's
   clock and max-util 0.85 (one design).  Evaluations are deterministic functions of the settings,
   so the runs share one memo of results (a design two runs both visit is measured once); the
   searches do not see it.  The front of every design in the memo is the best one known (the
   reference front).  Hypervolumes are over the objectives searched, each normalised to [0, 1] by
   the ideal and nadir point of that reference front, with the reference point at 1.1 in each: the
   normalisation Ishibuchi et al. recommend for comparing searches ("How to Specify a Reference
   Point in Hypervolume Calculation for Fair Performance Comparison", Evolutionary Computation
   26(3), 2018: the reference point slightly worse than the Pareto front's nadir, r = 1 + 1/H).
   The figure is the median over the seeds of NSGA-II's hypervolume / random search's.  For
   comparison the table also gives the ratio under the box of every feasible point measured (its
   worst value per objective in place of the front's nadir, as this benchmark used before
   2026-12-05): a reference point that far from the front mostly measures the extreme designs
   (Ishibuchi et al.), which random search samples as well as any search.
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
import math
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


def _quality(runs: dict, single, reference_front: list[dict], objectives, box, reference: float = 1.1) -> dict:
    """Hypervolumes of every seed's runs, select-folding's design and the reference front in `box`,
    with the reference point at `reference`."""
    from fpga_opt.tools.explore.front import hypervolume, pareto_front

    lower, upper = box
    hv_known = hypervolume(reference_front, objectives, lower, upper, reference)
    hv_single = hypervolume(single.records, objectives, lower, upper, reference)
    rows = []
    for r in runs.values():
        hv_n = hypervolume(r["nsga2"].records, objectives, lower, upper, reference)
        hv_r = hypervolume(r["random"].records, objectives, lower, upper, reference)
        rows.append({
            "nsga2": hv_n,
            "random": hv_r,
            "ratio": hv_n / hv_r if hv_r > 0 else float("inf"),
            "over_single": hv_n / hv_single if hv_single > 0 else float("inf"),
            "front": len(pareto_front(r["nsga2"].records, objectives)),
            "random_front": len(pareto_front(r["random"].records, objectives)),
        })  # fmt: skip
    ratios = [row["ratio"] for row in rows]
    return {
        "rows": rows,
        "ratio": statistics.median(ratios),
        "min": min(ratios),
        "max": max(ratios),
        "over_single": statistics.median(row["over_single"] for row in rows),
        "single": hv_single,
        "known": hv_known,
        "reached_nsga2": statistics.median(row["nsga2"] / hv_known for row in rows),
        "reached_random": statistics.median(row["random"] / hv_known for row in rows),
    }


def ishibuchi_reference(objectives: int, points: int) -> tuple[float, int]:
    """Ishibuchi et al.'s reference point r = 1 + 1/H (Evolutionary Computation 26(3), 2018), H the
    largest number of divisions whose simplex lattice, C(H + m - 1, m - 1) points, fits in the
    solution sets' size: where a set spread evenly over a linear front gives every point a similar
    hypervolume contribution."""
    h = 1
    while math.comb(h + 1 + objectives - 1, objectives - 1) <= points:
        h += 1
    return 1 + 1 / h, h


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
    from fpga_opt.tools.explore.front import bounds, front_bounds, pareto_front
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
        # The reference front: every distinct design any run measured (the memo).  Its ideal and nadir
        # normalise the objectives; the box of every feasible point is the earlier normalisation.
        known = [{"id": i, "result": res} for i, res in enumerate(memo.results.values())]
        reference_front = pareto_front(known, objectives)
        every = [a.records for r in runs.values() for a in r.values()] + [single.records]
        boxes = {"front": front_bounds(known, objectives), "all points": bounds(every, objectives)}
        summary = {name: _quality(runs, single, reference_front, objectives, box) for name, box in boxes.items()}
        table = []
        for i, seed in enumerate(runs):
            row = summary["front"]["rows"][i]
            table.append([str(seed), f"{row['nsga2']:.4f}", f"{row['random']:.4f}", f"{row['ratio']:.2f}x",
                          f"{summary['all points']['rows'][i]['ratio']:.2f}x", str(row["front"]),
                          f"{row['over_single']:.2f}x"])  # fmt: skip
        print(render(["seed", "NSGA-II HV", "random HV", "ratio", "ratio (all-points box)", "front",
                      "NSGA-II/select-folding"], table, right=range(7)))  # fmt: skip
        front_q, box_q = summary["front"], summary["all points"]
        ratio = front_q["ratio"]
        print(f"hypervolume select-folding {front_q['single']:.4f} (one design: 8-bit, {board_clock:g} MHz, "
              f"max-util 0.85)")  # fmt: skip
        print(f"median over {len(seeds)} seeds: NSGA-II / random search {ratio:.2f}x "
              f"(min {front_q['min']:.2f}x, max {front_q['max']:.2f}x); NSGA-II / select-folding "
              f"{front_q['over_single']:.2f}x")  # fmt: skip
        print(f"reference front: {len(reference_front)} of the {len(known)} distinct designs measured, hypervolume "
              f"{front_q['known']:.4f}; of it, NSGA-II reaches {100 * front_q['reached_nsga2']:.0f}% and random "
              f"search {100 * front_q['reached_random']:.0f}% (medians)")  # fmt: skip
        print(f"under the all-points box (before 2026-12-05): NSGA-II / random search {box_q['ratio']:.2f}x; of the "
              f"reference front's {box_q['known']:.4f}, NSGA-II reaches {100 * box_q['reached_nsga2']:.0f}% and random "
              f"search {100 * box_q['reached_random']:.0f}%")  # fmt: skip
        sizes = [row[k] for row in front_q["rows"] for k in ("front", "random_front")]
        r_ishibuchi, divisions = ishibuchi_reference(len(objectives), int(statistics.median(sizes)))
        sensitivity = {r: _quality(runs, single, reference_front, objectives, boxes["front"], r)["ratio"]
                       for r in sorted({1.5, r_ishibuchi, 2.0})}  # fmt: skip
        print("the same front box, other reference points: " + ", ".join(f"r = {r:.2f}: {v:.2f}x" for r, v in
              sensitivity.items()) + f" (Ishibuchi et al.'s r = 1 + 1/H for {len(objectives)} objectives and fronts of "
              f"{int(statistics.median(sizes))} points: H = {divisions}, r = {r_ishibuchi:.2f})")  # fmt: skip

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
