"""The Pareto front: non-dominated points, hypervolume, the HALF design goals, JSON and CSV.

All objectives are compared as minimisation (maximised ones negated).  A point dominates
another when it is no worse in every objective and better in one; the front is the feasible
points no other feasible point dominates.  Ties (the same objective vector twice) keep the
first evaluated.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import numpy as np

from fpga_opt.tools.explore.evaluate import OBJECTIVES

#: The HALF paper's design goals and the objective each minimises (after the accuracy floor).
GOALS = {"low-energy": "energy", "low-power": "power", "high-throughput": "throughput"}


def as_minimised(metrics: dict, objectives: Sequence[str]) -> np.ndarray:
    return np.array([-metrics[o] if OBJECTIVES[o][0] == "max" else metrics[o] for o in objectives], dtype=float)


def non_dominated(points: np.ndarray) -> list[int]:
    """Indices of the non-dominated rows of `points` (minimisation), first of duplicates only."""
    keep: list[int] = []
    for i, p in enumerate(points):
        dominated = False
        for j, q in enumerate(points):
            if j == i:
                continue
            if np.all(q <= p) and (np.any(q < p) or j < i):
                dominated = True
                break
        if not dominated:
            keep.append(i)
    return keep


def pareto_front(records: Sequence[dict], objectives: Sequence[str]) -> list[dict]:
    feasible = [r for r in records if r["result"].get("feasible")]
    if not feasible:
        return []
    points = np.stack([as_minimised(r["result"]["metrics"], objectives) for r in feasible])
    front = [feasible[i] for i in non_dominated(points)]
    return sorted(front, key=lambda r: (-r["result"]["metrics"]["throughput"], r["id"]))


def hypervolume(
    records: Sequence[dict], objectives: Sequence[str], lower: np.ndarray, upper: np.ndarray, reference: float = 1.1
) -> float:
    """Hypervolume of the feasible points, objectives normalised to [0, 1] by (lower, upper), with the
    reference point at `reference` in every objective (1.1: slightly worse than the nadir)."""
    from pymoo.indicators.hv import HV

    feasible = [r for r in records if r["result"].get("feasible")]
    if not feasible:
        return 0.0
    points = np.stack([as_minimised(r["result"]["metrics"], objectives) for r in feasible])
    span = np.where(upper - lower > 0, upper - lower, 1.0)
    normalised = np.clip((points - lower) / span, 0.0, reference)
    return float(HV(ref_point=np.full(len(objectives), reference))(normalised))


def bounds(record_sets: Sequence[Sequence[dict]], objectives: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(ideal, nadir) over every feasible point of the given runs: the common normalisation."""
    points = [
        as_minimised(r["result"]["metrics"], objectives)
        for records in record_sets
        for r in records
        if r["result"].get("feasible")
    ]
    stacked = np.stack(points)
    return stacked.min(axis=0), stacked.max(axis=0)


def front_bounds(records: Sequence[dict], objectives: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(ideal, nadir) of the Pareto front of `records`: the nadir is the front's worst value per
    objective, not the worst of every point, so a hypervolume with reference 1.1 measures the front
    and not the dominated designs around it (Ishibuchi et al., Evolutionary Computation 26(3), 2018)."""
    return bounds([pareto_front(records, objectives)], objectives)


def design_goals(
    front: Sequence[dict], accuracy_tolerance: float, accuracy_target: float | None = None
) -> dict[str, dict]:
    """The front point each HALF goal picks: among points reaching `accuracy_target` (default: within
    `accuracy_tolerance` of the best accuracy; all points when there is no accuracy), the lowest
    energy, the lowest power, the highest throughput (ties: the more accurate, then the lower energy)."""
    if not front:
        return {}
    with_acc = [r for r in front if "accuracy" in r["result"]["metrics"]]
    pool = list(front)
    floor = None
    if with_acc:
        best = max(r["result"]["metrics"]["accuracy"] for r in with_acc)
        floor = best - accuracy_tolerance if accuracy_target is None else min(accuracy_target, best)
        pool = [r for r in with_acc if r["result"]["metrics"]["accuracy"] >= floor - 1e-12]
    picks = {}
    for goal, objective in GOALS.items():
        best = min(pool, key=lambda r: _goal_key(r["result"]["metrics"], objective) + (r["id"],))
        picks[goal] = {"id": best["id"], "objective": objective, "accuracy_floor": floor}
    return picks


def _goal_key(metrics: dict, objective: str) -> tuple[float, ...]:
    """The goal's objective first; among equals, the more accurate, then the less energy."""
    sign = -1.0 if OBJECTIVES[objective][0] == "max" else 1.0
    return (sign * metrics[objective], -metrics.get("accuracy", 0.0), metrics["energy"])


CSV_FIXED = ["id", "board", "clock_mhz", "max_util", "parallelism", "bits", "knobs", "model"]


def to_csv(front: Sequence[dict], objectives: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIXED + list(objectives) + ["dsp", "bram18", "uram", "lut", "ff"])
    for r in front:
        res, s = r["result"], r["result"]["settings"]
        bits = " ".join(f"{k}:{w}/{a}" for k, (w, a) in (s.get("bits") or {}).items())
        knobs = " ".join(f"{k}={v}" for k, v in (s.get("knobs") or {}).items())
        pins = ",".join(str(k) for k in s.get("parallelism") or [])  # select-folding's layer-parallelism
        used = res["resources_used"]
        writer.writerow(
            [r["id"], res["board_name"], res["clock_mhz"], s["max_util"], pins, bits, knobs, r.get("design", "")]
            + [f"{res['metrics'][o]:.6g}" for o in objectives]
            + [used[k] for k in ("dsp", "bram18", "uram", "lut", "ff")]
        )
    return out.getvalue()
