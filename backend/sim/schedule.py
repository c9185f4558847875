"""Per-op timing: the rate model of each op and its consumption/production schedule.

`op_rate(op)` is the single place the simulator asks how fast an op is: busy
cycles per frame, pipeline depth, and the lanes (elements per cycle) of each
port.  It asks `backend/costs/op_costs.py` (the layer models of
`layer_models.py` plus fused epilogues: the same numbers folding selection
uses) and falls back to the fpgaConvNet formulas of DESIGN.md only for an op
that has no cost model.

`op_schedule(op, rate)` turns that into a per-frame *schedule*: a list of
segments, each a span of busy cycles during which the op consumes and produces
given numbers of elements on each port at constant rates.  Windowed ops
(conv, pool) get a segment per run of the padded raster scan (see
docs/simulator.md): the line-buffer fill (consume only), the window columns of
each output row (consume and produce), the row ends, and the bottom padding
(produce only).  The fill runs at the input rate of the model's fill
((Kh-1)(W+pads)+(Kw-1) pixels), the rest of the frame shares the remaining
cycles, so a frame takes exactly the model's `cycles`.  Frame 0 also waits
(pipeline depth - fill) cycles before its first output, so that the first
output leaves at the model's pipeline depth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from xdsl.ir import Operation

from fpga_opt.dialects.dataflow import (
    ConcatOp,
    ConvOp,
    GlobalPoolOp,
    LinearOp,
    PoolOp,
    SoftmaxOp,
    StreamType,
)

try:  # the rate model folding selection uses (backend/costs/op_costs.py over layer_models.py)
    from fpga_opt.backend import costs as _op_costs
except ImportError:  # pragma: no cover - only while that module is absent
    _op_costs = None

#: Input/output register stages of a kernel, used by the fallback formulas.
_FALLBACK_IO_LATENCY = 2


@dataclass(frozen=True)
class OpRate:
    """How fast one op is, per frame, in clock cycles."""

    cycles: int
    depth: int
    in_lanes: tuple[int, ...]
    out_lanes: tuple[int, ...]
    model: str  # "op_costs" or "fallback"


@dataclass
class Schedule:
    """Segments of one frame: `dur[k]` busy cycles moving `cons[k][i]` / `prod[k][o]` elements."""

    dur: list[float]
    cons: list[list[float]]
    prod: list[list[float]]

    def __len__(self) -> int:
        return len(self.dur)

    @property
    def cycles(self) -> float:
        return float(sum(self.dur))


def _s(v) -> StreamType:
    assert isinstance(v.type, StreamType)
    return v.type


def _int(op: Operation, name: str, default: int = 1) -> int:
    attr = op.properties.get(name)
    return default if attr is None else attr.value.data  # type: ignore[union-attr]


def _bits(t: StreamType) -> int:
    return t.bitwidth


# --------------------------------------------------------------------------
# Rates
# --------------------------------------------------------------------------


def op_rate(op: Operation) -> OpRate:
    """Busy cycles per frame, pipeline depth and port lanes of `op` (the one function to repoint).

    The numbers are `passes.analysis.op_costs.op_rate`, i.e. the layer models with
    the op's fused epilogue, exactly what folding selection and the cost report use.
    """
    lanes_in, lanes_out = port_lanes(op)
    if _op_costs is not None and _op_costs.has_cost_model(op):
        cycles, depth = _op_costs.op_rate(op)
        return OpRate(int(cycles), int(depth), lanes_in, lanes_out, "op_costs")
    cycles, depth = _fallback_cost(op, lanes_in, lanes_out)
    return OpRate(cycles, depth, lanes_in, lanes_out, "fallback")


def port_lanes(op: Operation) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Elements per cycle each input / output port moves."""
    if isinstance(op, ConvOp):
        cg = op.coarse_group.value.data
        ci, co = op.coarse_in.value.data * cg, op.coarse_out.value.data * cg
        ins = (ci,) + ((co,) if op.skip is not None else ())
        outs = (co,) + ((op.coarse_out.value.data if op.side_weights is not None else ci,) if op.side else ())
        return ins, outs
    if isinstance(op, LinearOp):
        return (op.coarse_in.value.data,), (op.coarse_out.value.data,)
    coarse = _int(op, "coarse")
    return tuple(coarse for _ in op.operands), tuple(coarse for _ in op.results)


def window_fill_cycles(*, kh: int, kw: int, row_words: int, c: int, lanes: int) -> int:
    """Cycles to bring the first window into the line buffers: ((Kh-1)(W+pads) + (Kw-1)) * C / lanes."""
    return ((kh - 1) * row_words + (kw - 1)) * c // lanes


def _fallback_cost(op: Operation, lanes_in: tuple[int, ...], lanes_out: tuple[int, ...]) -> tuple[int, int]:
    """fpgaConvNet's formulas (docs/DESIGN.md) for when the layer models are unavailable."""
    if isinstance(op, ConvOp):
        inp, out = _s(op.input), _s(op.output)
        kh, kw = op.kernel_size
        groups = op.groups.value.data
        mult = op.coarse_in.value.data * op.coarse_out.value.data * op.coarse_group.value.data * op.fine.value.data
        in_cycles = inp.numel // lanes_in[0]
        compute = out.height * out.width * (inp.channels // groups) * out.channels * kh * kw // mult
        cycles = max(in_cycles, compute)
        pt, pl, pb, pr = op.pad.get_values()
        fill = window_fill_cycles(kh=kh, kw=kw, row_words=inp.width + pl + pr, c=inp.channels, lanes=lanes_in[0])
        return cycles, fill + -(-cycles // (out.height * out.width)) + _FALLBACK_IO_LATENCY
    if isinstance(op, PoolOp):
        inp, out = _s(op.input), _s(op.output)
        kh, kw = op.kernel.get_values()
        pt, pl, pb, pr = op.pad.get_values()
        cycles = inp.numel // lanes_in[0]
        fill = window_fill_cycles(kh=kh, kw=kw, row_words=inp.width + pl + pr, c=inp.channels, lanes=lanes_in[0])
        return cycles, fill + -(-cycles // (out.height * out.width)) + _FALLBACK_IO_LATENCY
    if isinstance(op, LinearOp):
        inp, out = _s(op.input), _s(op.output)
        synapse = inp.numel // lanes_in[0]
        return synapse * (out.channels // lanes_out[0]), synapse + _FALLBACK_IO_LATENCY
    if isinstance(op, GlobalPoolOp):
        inp = _s(op.input)
        cycles = inp.numel // lanes_in[0]
        return cycles, cycles - inp.channels // lanes_in[0] + 1 + _FALLBACK_IO_LATENCY
    if isinstance(op, SoftmaxOp):
        inp = _s(op.input)
        cycles = inp.numel // lanes_in[0]
        return cycles, 2 * (inp.channels // lanes_in[0]) + _FALLBACK_IO_LATENCY
    words_in = [_s(v).numel // max(1, n) for v, n in zip(op.operands, lanes_in, strict=False)]
    words_out = [_s(v).numel // max(1, n) for v, n in zip(op.results, lanes_out, strict=False)]
    if isinstance(op, ConcatOp):
        cycles = sum(words_in)
    else:
        cycles = max(words_in + words_out + [1])
    return cycles, _FALLBACK_IO_LATENCY


# --------------------------------------------------------------------------
# Schedules
# --------------------------------------------------------------------------


def _runs_windowed(
    *,
    h: int,
    w: int,
    pad: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    ho: int,
    wo: int,
    exact: bool = False,
) -> list[tuple[int, int, int]]:
    """Runs of the padded raster scan: (positions, real input pixels, completed windows).

    Each padded row that completes windows is three runs: the columns before
    the first window, the window columns, the columns after the last one;
    inside the window columns, pixels and windows are spread evenly.  With
    `exact`, a run is a maximal span of positions of one kind (pad or pixel,
    window or not), so nothing is spread.
    """
    pt, pl, pb, pr = pad
    kh, kw = kernel
    sh, sw = stride
    hp, wp = h + pt + pb, w + pl + pr
    c_first = kw - 1
    c_last = (wo - 1) * sw + kw - 1
    runs: list[tuple[int, int, int]] = []

    def real(r: int, c0: int, c1: int) -> int:  # real pixels among columns [c0, c1) of padded row r
        if not pt <= r < pt + h:
            return 0
        return max(0, min(c1, pl + w) - max(c0, pl))

    for r in range(hp):
        k = r - (kh - 1)
        if not (k >= 0 and k % sh == 0 and k // sh < ho):
            runs.append((wp, real(r, 0, wp), 0))
            continue
        if exact:
            row_real = pt <= r < pt + h
            classes = [
                (row_real and pl <= c < pl + w, c >= c_first and (c - c_first) % sw == 0 and (c - c_first) // sw < wo)
                for c in range(wp)
            ]
            start = 0
            for c in range(1, wp + 1):
                if c == wp or classes[c] != classes[start]:
                    is_real, is_window = classes[start]
                    n = c - start
                    runs.append((n, n if is_real else 0, n if is_window else 0))
                    start = c
            continue
        runs.append((c_first, real(r, 0, c_first), 0))
        runs.append((c_last + 1 - c_first, real(r, c_first, c_last + 1), wo))
        runs.append((wp - c_last - 1, real(r, c_last + 1, wp), 0))
    return [run for run in runs if run[0] > 0]


def window_schedule(op: Operation, cycles: float, exact: bool = False) -> Schedule:
    """The sliding window (line buffer) of a conv/pool: reads pixels, emits windows (1 element = 1 window).

    It walks the padded frame position by position in `cycles` (the model's
    input cycles: padding costs no extra time), reading C elements at each
    real pixel and emitting a window wherever one is complete.
    """
    inp, out = _s(op.operands[0]), _s(op.results[0])
    runs = _runs_windowed(
        h=inp.height,
        w=inp.width,
        pad=tuple(op.pad.get_values()),
        kernel=tuple(op.kernel.get_values()),
        stride=tuple(op.stride.get_values()),
        ho=out.height,
        wo=out.width,
        exact=exact,
    )
    per_pos = cycles / sum(r[0] for r in runs)
    c = inp.channels
    return Schedule(
        [n * per_pos for n, _, _ in runs],
        [[float(n_real * c)] for _, n_real, _ in runs],
        [[float(n_win)] for _, _, n_win in runs],
    )


@dataclass
class ProcessSpec:
    """One hardware process of an op.

    `inputs`/`outputs` name what each port connects to: `("operand", i)`,
    `("result", j)` or `("internal", k)` (a FIFO between two processes of
    the same op, counted in `internal_word` units).
    """

    role: str  # "main" or "window"
    program: Program
    inputs: list[tuple[str, int]]
    outputs: list[tuple[str, int]]
    in_lanes: list[int]
    out_lanes: list[int]
    cycles: float


def _uniform(cycles: float, cons: list[float], prod: list[float]) -> Schedule:
    return Schedule([float(cycles)], [list(map(float, cons))], [list(map(float, prod))])


def _pure_compute_cycles(op: Operation, rate: OpRate) -> float:
    """Cycles per frame of a windowed op's compute unit alone (its windows at the folding's parallelism)."""
    inp, out = _s(op.operands[0]), _s(op.results[0])
    if isinstance(op, ConvOp):
        kh, kw = op.kernel_size
        groups = op.groups.value.data
        mult = op.coarse_in.value.data * op.coarse_out.value.data * op.coarse_group.value.data * op.fine.value.data
        return out.height * out.width * (inp.channels // groups) * out.channels * kh * kw / mult
    return out.numel / rate.out_lanes[0]


def op_processes(op: Operation, rate: OpRate, resolution: str = "row", frame_overlap: bool = True) -> list[ProcessSpec]:
    """The processes that implement `op` in the timing simulation.

    conv/pool: a sliding window (`window`, reads the input, fills its line
    buffers, emits windows) feeding the compute unit (`main`, reads windows
    and the skip stream, writes the result and side streams), as in
    fpgaConvNet.  The window walks the frame in the model's input cycles
    (H*W*C / input lanes), the compute unit in the rest of the model's cycles:
    the model's `cycles` when the op is compute bound, else its MAC time.
    Every other op is one process with its whole frame in `cycles`, unless
    `PROCESS_BUILDERS` has a builder for its class (the early-exit ops: exits.py).
    """
    builder = PROCESS_BUILDERS.get(type(op))
    if builder is not None:
        return builder(op, rate, resolution, frame_overlap)
    cycles = float(rate.cycles)
    n_in, n_out = len(op.operands), len(op.results)
    operands = [("operand", i) for i in range(n_in)]
    results = [("result", j) for j in range(n_out)]
    if isinstance(op, ConvOp | PoolOp):
        inp, out = _s(op.operands[0]), _s(op.results[0])
        windows = out.height * out.width
        in_cycles = inp.numel / rate.in_lanes[0]
        compute = cycles if cycles > in_cycles else min(cycles, _pure_compute_cycles(op, rate))
        window_raw = window_schedule(op, min(in_cycles, cycles), exact=resolution == "exact")
        first = next(i for i, p in enumerate(window_raw.prod) if p[0] > 0)
        consuming = [i for i, c in enumerate(window_raw.cons) if c[0] > 0]
        tol = [0.0, 0.0]
        if resolution == "coarse":  # within one row of input pixels and of windows
            tol = [float(inp.width * inp.channels), float(out.width)]
        elif resolution == "row":  # within the kernel's width: the runs of one row merge
            kw = int(op.kernel.get_values()[1])
            tol = [float(kw * inp.channels), float(kw)]
        window_sched = coarsen(window_raw, tol, {first, consuming[-1] + 1})
        fill = float(sum(window_raw.dur[:first]))
        # one window: the first output leaves after the fill, one window, the compute's latency
        per_window = compute / windows
        first_window = window_raw.dur[first] / max(1.0, window_raw.prod[first][0])
        pause = max(0.0, rate.depth - fill - first_window - per_window)
        cons = [float(windows)] + [float(_s(v).numel) for v in op.operands[1:]]
        prod = [float(_s(v).numel) for v in op.results]
        main = _uniform(compute, cons, prod)
        # frame 0: the first window enters the pipeline, which then takes `pause` cycles to fill
        one = [1.0] + [0.0] * (len(cons) - 1)
        first = Schedule(
            [per_window, pause, compute - per_window] if pause > 0 else [per_window, compute - per_window],
            [one] + ([[0.0] * len(cons)] if pause > 0 else []) + [[c - o for c, o in zip(cons, one, strict=True)]],
            [[0.0] * len(prod)] + ([[0.0] * len(prod)] if pause > 0 else []) + [prod],
        )
        if windows == 1:
            first = frame_program(main, pause).first
        return [
            ProcessSpec(
                "window",
                frame_program(window_sched, 0.0, overlap=frame_overlap),
                [("operand", 0)],
                [("internal", 0)],
                [rate.in_lanes[0]],
                [1],
                min(in_cycles, cycles),
            ),
            ProcessSpec(
                "main",
                Program(first, main, None),
                [("internal", 0)] + operands[1:],
                results,
                [1, *rate.in_lanes[1:]],
                list(rate.out_lanes),
                compute,
            ),
        ]
    if isinstance(op, GlobalPoolOp):
        inp = _s(op.input)
        c, n = inp.channels, inp.numel
        last = cycles * c / n
        sched = _uniform(cycles, [n], [c])
        if n > c:
            sched = Schedule([cycles - last, last], [[float(n - c)], [float(c)]], [[0.0], [float(c)]])
        pause = max(0.0, rate.depth - (cycles - last) - last * min(1.0, rate.out_lanes[0] / c))
        return [
            ProcessSpec(
                "main",
                frame_program(sched, pause),
                operands,
                results,
                list(rate.in_lanes),
                list(rate.out_lanes),
                cycles,
            )
        ]
    if isinstance(op, LinearOp):
        inp, out = _s(op.input), _s(op.output)
        n_in_el, n_out_el = float(inp.numel), float(out.channels)
        synapse = n_in_el / rate.in_lanes[0]
        fold = float(rate.out_lanes[0])
        sched = _uniform(cycles, [n_in_el], [n_out_el])
        if n_out_el > fold and synapse < cycles:
            sched = Schedule([synapse, cycles - synapse], [[n_in_el], [0.0]], [[fold], [n_out_el - fold]])
        first_out = synapse if len(sched) > 1 else cycles * min(1.0, fold / n_out_el)
        return [
            ProcessSpec(
                "main",
                frame_program(sched, max(0.0, rate.depth - first_out)),
                operands,
                results,
                list(rate.in_lanes),
                list(rate.out_lanes),
                cycles,
            )
        ]
    sched = _uniform(cycles, [_s(v).numel for v in op.operands], [_s(v).numel for v in op.results])
    word = rate.out_lanes[0] if rate.out_lanes else 1
    first_out = cycles * min(1.0, word / max(1, _s(op.results[0]).numel))
    return [
        ProcessSpec(
            "main",
            frame_program(sched, max(0.0, rate.depth - first_out)),
            operands,
            results,
            list(rate.in_lanes),
            list(rate.out_lanes),
            cycles,
        )
    ]


#: op class -> builder of its processes `(op, rate, resolution, frame_overlap) -> [ProcessSpec]`, for ops
#: whose per-frame schedule is not one of the above (registered by backend/sim/exits.py).
PROCESS_BUILDERS: dict[type, Callable[..., list[ProcessSpec]]] = {}


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
