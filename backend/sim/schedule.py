"""Schedules: what a process of the timing simulation does in each frame, at constant rates per segment.

A process (`ProcessSpec`) runs a per-frame *schedule*: a list of segments,
each a span of busy cycles during which it consumes and produces given
numbers of elements on each port at constant rates.  `frame_program` turns a
schedule into what the process runs frame after frame (`Program`: the first
frame pays the pipeline fill, a sliding window's tail overlaps the next
frame's fill), and `coarsen` merges segments within a tolerance (the
simulation's resolution).  Which processes an op has, and their schedules,
is the op's entry in `PROCESSES` (`processes/`, one module per op family).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Schedule:
    """Segments of one frame: `dur[k]` busy cycles moving `cons[k][i]` / `prod[k][o]` elements."""

    dur: list[float]
    cons: list[list[float]]
    prod: list[list[float]]

    def __len__(self) -> int:
        return len(self.dur)


@dataclass
class Program:
    """What a process runs: `first` for frame 0, `steady` for frames 1..N-1, then `final`.

    A sliding window's frame is [fill][body][tail]: the fill reads the first
    (Kh-1) rows + (Kw-1) pixels before any window is complete, the tail
    emits the last windows after the last input pixel.  The line buffer takes
    the next frame's first rows into the slots the window frees while it
    finishes the current frame, so from frame 1 on the previous frame's tail
    and this frame's fill share one segment ([tail || fill], same total time):
    `first` = fill, pipeline pause, body; `steady` = [tail || fill], body;
    `final` = the last frame's tail.  A process without fill or tail runs
    the same schedule every frame (`final` is None).
    """

    first: Schedule
    steady: Schedule
    final: Schedule | None


@dataclass
class ProcessSpec:
    """One hardware process of an op.

    `inputs`/`outputs` name what each port connects to: `("operand", i)`,
    `("result", j)` or `("internal", k)` (a FIFO between two processes of
    the same op: a conv's window stream); `in_lanes`/`out_lanes` are the
    elements per cycle of each port (a window is one element).
    """

    role: str  # "main" or "window"
    program: Program
    inputs: list[tuple[str, int]]
    outputs: list[tuple[str, int]]
    in_lanes: list[int]
    out_lanes: list[int]


def uniform(cycles: float, cons: list[float], prod: list[float]) -> Schedule:
    """One segment: every port at a constant rate over the frame's `cycles`."""
    return Schedule([float(cycles)], [list(map(float, cons))], [list(map(float, prod))])


def coarsen(sched: Schedule, tolerance: list[float], keep: set[int]) -> Schedule:
    """Merge consecutive segments into uniform ones while every port's cumulative count stays
    within `tolerance[port]` elements of the exact schedule at every merged breakpoint.

    Ports are inputs then outputs.  Breakpoints in `keep` (segment start indices) are never merged
    away.  A tolerance of 0 merges only segments with identical rates.
    """
    n = len(sched)
    if n <= 1:
        return sched
    flows = np.array([c + p for c, p in zip(sched.cons, sched.prod, strict=True)], dtype=np.float64)
    t = np.concatenate([[0.0], np.cumsum(sched.dur)])
    x = np.vstack([np.zeros((1, flows.shape[1])), np.cumsum(flows, axis=0)])  # (n+1, ports)
    tol = np.asarray(tolerance, dtype=np.float64) + 1e-9 * (1.0 + np.abs(x[-1]))
    cuts = [0]
    a, b = 0, 1  # the current group covers segments [a, b)
    while b < n:
        if b in keep:
            cuts.append(b)
            a, b = b, b + 1
            continue
        nb = b + 1
        span = t[nb] - t[a]
        inner = slice(a + 1, nb)
        frac = (t[inner] - t[a]) / span if span > 0 else np.zeros(nb - a - 1)
        interp = x[a] + (x[nb] - x[a]) * frac[:, None]
        if np.all(np.abs(x[inner] - interp) <= tol):
            b = nb
        else:
            cuts.append(b)
            a, b = b, b + 1
    cuts.append(n)
    n_in = len(sched.cons[0])
    dur, cons, prod = [], [], []
    for s, e in zip(cuts[:-1], cuts[1:], strict=True):
        dur.append(float(t[e] - t[s]))
        total = x[e] - x[s]
        cons.append([float(v) for v in total[:n_in]])
        prod.append([float(v) for v in total[n_in:]])
    return Schedule(dur, cons, prod)


def _slice(s: Schedule, a: int, b: int) -> Schedule:
    return Schedule(s.dur[a:b], s.cons[a:b], s.prod[a:b])


def _join(*parts: Schedule) -> Schedule:
    return Schedule(
        [d for p in parts for d in p.dur], [c for p in parts for c in p.cons], [x for p in parts for x in p.prod]
    )


def _total(s: Schedule, n_in: int, n_out: int) -> Schedule:
    cons = [sum(c[i] for c in s.cons) for i in range(n_in)]
    prod = [sum(p[o] for p in s.prod) for o in range(n_out)]
    return Schedule([float(sum(s.dur))], [cons], [prod])


def frame_program(sched: Schedule, pause: float, overlap: bool = True) -> Program:
    """The per-frame program of a process (see `Program`); `pause` idles frame 0 before its first output.

    Without `overlap` every frame runs fill, body, tail in turn (as backend/hls/sliding_window.h does:
    it reads nothing while it emits the last row's windows).
    """
    n = len(sched)
    n_in, n_out = len(sched.cons[0]), len(sched.prod[0])
    first_prod = next(i for i, p in enumerate(sched.prod) if p[0] > 0)
    idle = Schedule([pause], [[0.0] * n_in], [[0.0] * n_out]) if pause > 0 else Schedule([], [], [])
    consuming = [i for i, c in enumerate(sched.cons) if n_in and c[0] > 0]
    last_cons = consuming[-1] if consuming else -1
    if not overlap or not consuming or first_prod > last_cons or (first_prod == 0 and last_cons == n - 1):
        first = _join(_slice(sched, 0, first_prod), idle, _slice(sched, first_prod, n))
        return Program(first, sched, None)
    fill = _slice(sched, 0, first_prod)
    body = _slice(sched, first_prod, last_cons + 1)
    tail = _slice(sched, last_cons + 1, n)
    first = _join(fill, idle, body)
    if not len(fill) and not len(tail):
        return Program(first, body, None)
    steady = _join(_total(_join(tail, fill), n_in, n_out), body)
    return Program(first, steady, tail if len(tail) else None)
