"""The first frame's completion time, analytically: each process's schedule run against its inputs' arrival.

Why: a design run on a batch of B frames takes F + (B - 1) I cycles, F the
first frame's completion time and I the interval.  The cost model's latency
(`analyse_network`: the longest path of op pipeline depths) is when the first
*element* of the output appears; F is when the *last* one does, and it is not
that latency plus I.  An op cannot finish a frame before its input has
arrived, and what it does after its last input (its tail) comes on top:

* a linear layer (FINN's MVAU) reads the whole vector before it writes its
  first output fold, then computes the other (C_out/PE - 1) folds, (C_in/SIMD)
  cycles each, without reading: its last output is its producer's last output
  plus (C_out/PE - 1) (C_in/SIMD) cycles, however fast the op itself is;
* a sliding window (conv, pool) fills (K-1) rows + K pixels of its line
  buffer at its *producer's* rate, and its last windows come after the
  frame's last pixel;
* a layer fed by a paced DRAM read (a placed design, a partition) gets its
  input over T_dram cycles, not at cycle 0; a streamed layer's weights come at
  their DRAM share's rate.

The model: every process (an op's entry in `PROCESSES`, elaborated as fpga-sim
elaborates it, with decoupled FIFOs, the analytic model's assumption) runs
its per-frame segments (duration d_k, c_k elements consumed and p_k produced
on each port at constant rates), frame 0 then frame 1, in processing order
(producers first).  A producer's output is a piecewise-linear arrival curve
A(t), elements out by time t; a(x) is when element x has arrived.  A
segment starting at e_{k-1} and reading elements (X_{k-1}, X_k] of an input
ends at

    e_k = max(e_{k-1} + d_k,  max_{x in [X_{k-1}, X_k]} a(x+) + (X_k - x) d_k / c_k)

(full rate unless it has caught up with its input, then the input's; the max
over x is at the input's breakpoints), the max over its inputs when it reads
several (a join, a streamed layer's weights); without input, e_k = e_{k-1} +
d_k.  Between two breakpoints of its inputs, its progress is the least of
straight lines (full rate from where it is, each input's arrival), and its
output follows it: its curve is exact too, for the next process.  F is when
the network's outputs have one frame.  Frame 1 is run because a line buffer
emits frame 0's last windows while it takes frame 1's first rows (and a paced
input gives those rows at T_dram per frame).  No constant is fitted: the
segments are the ops' own (fill, pipeline depth, body, tail), the arrival
curves follow from them, and the result is what fpga-sim's event loop finds
with unbounded FIFOs, without its speeds, FIFO levels or events.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque

from fpga_opt.backend.sim.graph import Network
from fpga_opt.backend.sim.timing import _Elaborated
from fpga_opt.dialects.dataflow.weights import dram_cycles
from fpga_opt.dialects.errors import FpgaOptError

#: Relative tolerance on element counts: a curve's levels are sums of floats.
_EPS = 1e-9
#: Cut points of a segment closer than this fraction of its elements are one (0.4 elements of ResNet-50's
#: largest feature map: far below a cycle).
_FRACTION_EPS = 1e-6
#: Frames each process runs: frame 0, and frame 1 whose first segment carries frame 0's line-buffer tail.
FRAMES = 2


class Curve:
    """Cumulative elements out of a port against time: breakpoints (t, x), both non-decreasing."""

    def __init__(self) -> None:
        self.t: list[float] = [0.0]
        self.x: list[float] = [0.0]

    def extend(self, points) -> None:
        for t, x in points:
            self.t.append(t)
            self.x.append(x)

    def arrival(self, x: float) -> float:
        """When element `x` has arrived: the first time the curve reaches `x` (inf: never)."""
        i = bisect_left(self.x, x - _EPS * max(1.0, x))  # counts summed in a different order: not exact
        if i >= len(self.x):
            return float("inf")
        if i == 0 or self.x[i] <= x or self.x[i] == self.x[i - 1]:
            return self.t[i]
        x0, x1, t0, t1 = self.x[i - 1], self.x[i], self.t[i - 1], self.t[i]
        return t0 + (t1 - t0) * (x - x0) / (x1 - x0)

    def departure(self, x: float) -> float:
        """When the curve leaves `x` upwards: a(x+), the time the element after `x` starts to arrive."""
        i = bisect_right(self.x, x + _EPS * max(1.0, x))
        if i >= len(self.x):  # at the last level: it has arrived, and the curve never rises past it
            return self.t[-1]
        if self.x[i - 1] < x - _EPS * max(1.0, x):  # inside a rising piece: it leaves `x` as it reaches it
            return self.arrival(x)
        return self.t[i - 1]

    def levels_between(self, lo: float, hi: float) -> list[float]:
        """The breakpoint levels in [lo, hi)."""
        return self.x[bisect_left(self.x, lo) : bisect_left(self.x, hi)]


def _segment(
    ins: list[Curve], lo: list[float], cons: list[float], start: float, dur: float
) -> list[tuple[float, float]]:
    """A segment's progress, as (time, fraction done) breakpoints from (start', 0) to (end, 1).

    It reads cons[i] elements of input i (from lo[i] on) at a constant rate over `dur` cycles at full speed.
    Between two consecutive breakpoints of its inputs' curves every input arrives at a constant rate, and the
    progress is the lower envelope of straight lines (full speed from where it is; each input's arrival),
    so its breakpoints are where those lines cross: exact for piecewise-linear inputs.
    """
    ports = [i for i, c in enumerate(cons) if c > 0]
    cuts = {0.0, 1.0}
    for i in ports:
        cuts.update((level - lo[i]) / cons[i] for level in ins[i].levels_between(lo[i], lo[i] + cons[i]))
    fractions = [0.0]
    for f in sorted(cuts):  # levels a float's rounding apart are one level
        if fractions[-1] + _FRACTION_EPS < f < 1.0 - _FRACTION_EPS:
            fractions.append(f)
    fractions.append(1.0)
    points = [(start, 0.0)]
    t = start
    for a, b in zip(fractions, fractions[1:], strict=False):
        # each input's line over [a, b]: it leaves level a at `dep`, has level b at `arr`
        lines = [(ins[i].departure(lo[i] + a * cons[i]), ins[i].arrival(lo[i] + b * cons[i])) for i in ports]
        if any(arr == float("inf") for _, arr in lines):
            return [*points, (float("inf"), 1.0)]
        own = dur * (b - a)  # cycles for [a, b] at full speed
        t = max([t, *(dep for dep, _ in lines)])  # it waits at a until every input has moved past a

        def done(time: float, t0: float = t, a: float = a, b: float = b, own: float = own, lines=lines) -> float:
            """The fraction done at `time` >= t0: the least of full speed from (t0, a) and every input's arrival."""
            value = b if own <= 0 else min(b, a + (time - t0) * (b - a) / own)
            for dep, arr in lines:
                if time < arr:
                    value = min(value, a + (time - dep) * (b - a) / (arr - dep))
            return value

        end = max([t + own, *(arr for _, arr in lines)])
        if t > points[-1][0]:
            points.append((t, a))
        times = {end, *(arr for _, arr in lines)}
        slopes = [(t, own)] + [(dep, arr - dep) for dep, arr in lines]  # (where the line leaves a, its duration)
        for k, (t1, d1) in enumerate(slopes):
            for t2, d2 in slopes[k + 1 :]:
                if d1 != d2 and d1 > 0 and d2 > 0:  # a + (x - t1)/d1 (b-a) == a + (x - t2)/d2 (b-a)
                    times.add((t2 * d1 - t1 * d2) / (d1 - d2))
        for x in sorted(x for x in times if t < x < end):
            points.append((x, done(x)))
        points.append((end, b))
        t = end
    return points


def _order(el: _Elaborated) -> list[int]:
    """The processes, producers before consumers (the FIFOs are a DAG in a feed-forward design)."""
    n = len(el.procs)
    preds = [set() for _ in range(n)]
    for f in el.fifos:
        if f.producer >= 0 and f.consumer >= 0:
            preds[f.consumer].add(f.producer)
    succs: list[list[int]] = [[] for _ in range(n)]
    for p, ps in enumerate(preds):
        for q in ps:
            succs[q].append(p)
    count = [len(ps) for ps in preds]
    ready = deque(p for p in range(n) if count[p] == 0)
    order = []
    while ready:
        p = ready.popleft()
        order.append(p)
        for r in succs[p]:
            count[r] -= 1
            if count[r] == 0:
                ready.append(r)
    if len(order) != n:
        raise FpgaOptError("first-frame latency: the process graph has a cycle")
    return order


def first_frame_cycles(net: Network, input_interval: float | None = None) -> float:
    """Cycles from the start until the network's outputs hold one whole frame (see the module docstring).

    `input_interval`: the network inputs arrive one frame per that many cycles, evenly (a paced DRAM read);
    default: the function's DRAM time if it has one (a placed design, a partition), else all at cycle 0.
    """
    if input_interval is None:
        input_interval = dram_cycles(net.func) or None
    el = _Elaborated(net, None, "row", FRAMES, True, None, input_interval)
    out_curves: dict[tuple[int, int], Curve] = {}
    source: dict[int, Curve] = {}  # network-input FIFOs: their whole supply at cycle 0
    for fid, f in enumerate(el.fifos):
        if f.producer < 0:
            curve = Curve()
            curve.extend([(0.0, f.level)])
            source[fid] = curve

    def input_curve(fid: int) -> Curve:
        f = el.fifos[fid]
        return source[fid] if f.producer < 0 else out_curves[(f.producer, f.pport)]

    for p in _order(el):
        proc = el.procs[p]
        program = proc.program
        schedules = [program.first] + [program.steady] * (FRAMES - 1)
        if program.final is not None:
            schedules.append(program.final)
        ins = [input_curve(fid) for fid in proc.ins]
        outs = [Curve() for _ in proc.spec.outputs]
        consumed = [0.0] * len(ins)
        produced = [0.0] * len(outs)
        end = 0.0
        for sched in schedules:
            for dur, cons, prod in zip(sched.dur, sched.cons, sched.prod, strict=True):
                points = _segment(ins, consumed, cons, end, dur)
                end = points[-1][0]
                if end == float("inf"):
                    raise FpgaOptError(f"first-frame latency: {proc.name} waits for input that never comes")
                for port, c in enumerate(cons):
                    consumed[port] += c
                for port, c in enumerate(prod):
                    if c > 0:
                        outs[port].extend((time, produced[port] + c * fraction) for time, fraction in points)
                        produced[port] += c
        for port, curve in enumerate(outs):
            out_curves[(p, port)] = curve
    done = 0.0
    for fid, f in enumerate(el.fifos):
        if f.sink >= 0:
            done = max(done, input_curve(fid).arrival(float(net.outputs[f.sink].type.numel)))  # type: ignore[attr-defined]
    return done
