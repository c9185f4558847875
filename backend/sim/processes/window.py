"""The sliding window of a `WindowedOp` (conv, pool) and the compute unit behind it, as two processes.

As in fpgaConvNet and in `backend/hls`, a windowed op is a *sliding window*
(reads pixels into its line buffers, emits windows) feeding a *compute unit*
(reads windows and any other operands, writes the results), joined by the
op's own window stream.  The window walks the padded frame in the model's
input cycles (H*W*C / input lanes: padding costs no extra time), with a
segment per run of the raster scan: the line-buffer fill (consume only), the
window columns of each output row (consume and produce), the row ends, the
bottom padding (produce only).  The compute unit takes the rest of the
model's cycles: the model's `cycles` when the op is compute bound, else the
time it needs alone (the family's `compute_alone`), so that
max(window, compute) is the model's cycles.  Frame 0 also waits so that its
first output leaves at the model's pipeline depth.
"""

from __future__ import annotations

from fpga_opt.backend.sim.dtypes import stream_type
from fpga_opt.backend.sim.rates import OpRate
from fpga_opt.backend.sim.schedule import ProcessSpec, Program, Schedule, coarsen, frame_program, uniform
from fpga_opt.dialects.dataflow import WindowedOp


def windowed_processes(
    op: WindowedOp, rate: OpRate, resolution: str, frame_overlap: bool, compute_alone: float
) -> list[ProcessSpec]:
    """The sliding window (`window`) and the compute unit (`main`) of `op`.

    `compute_alone`: the compute unit's cycles per frame when it never waits for a window.
    """
    cycles = float(rate.cycles)
    inp, out = op.window_stream, stream_type(op.results[0])
    windows = out.height * out.width
    in_cycles = inp.numel / rate.in_lanes[0]
    compute = cycles if cycles > in_cycles else min(cycles, compute_alone)
    window_raw = window_schedule(op, min(in_cycles, cycles), exact=resolution == "exact")
    first = next(i for i, p in enumerate(window_raw.prod) if p[0] > 0)
    consuming = [i for i, c in enumerate(window_raw.cons) if c[0] > 0]
    tol = [0.0, 0.0]
    if resolution == "coarse":  # within one row of input pixels and of windows
        tol = [float(inp.width * inp.channels), float(out.width)]
    elif resolution == "row":  # within the window's width: the runs of one row merge
        kw = op.window_extent[1]
        tol = [float(kw * inp.channels), float(kw)]
    window_sched = coarsen(window_raw, tol, {first, consuming[-1] + 1})
    fill = float(sum(window_raw.dur[:first]))
    # one window: the first output leaves after the fill, one window, the compute's latency
    per_window = compute / windows
    first_window = window_raw.dur[first] / max(1.0, window_raw.prod[first][0])
    pause = max(0.0, rate.depth - fill - first_window - per_window)
    return [
        ProcessSpec(
            "window",
            frame_program(window_sched, 0.0, overlap=frame_overlap),
            [("operand", 0)],
            [("internal", 0)],
            [rate.in_lanes[0]],
            [1],
        ),
        ProcessSpec(
            "main",
            _compute_program(op, compute, per_window, pause),
            [("internal", 0)] + [("operand", i) for i in range(1, len(op.operands))],
            [("result", j) for j in range(len(op.results))],
            [1, *rate.in_lanes[1:]],
            list(rate.out_lanes),
        ),
    ]


def _compute_program(op: WindowedOp, compute: float, per_window: float, pause: float) -> Program:
    """The compute unit: windows, the other operands and the results at constant rates over `compute`.

    In frame 0 the first window enters the pipeline, which then takes `pause` cycles to fill.
    """
    out = stream_type(op.results[0])
    windows = out.height * out.width
    cons = [float(windows)] + [float(stream_type(v).numel) for v in op.operands[1:]]
    prod = [float(stream_type(v).numel) for v in op.results]
    main = uniform(compute, cons, prod)
    if windows == 1:
        return Program(frame_program(main, pause).first, main, None)
    one = [1.0] + [0.0] * (len(cons) - 1)
    first = Schedule(
        [per_window, pause, compute - per_window] if pause > 0 else [per_window, compute - per_window],
        [one] + ([[0.0] * len(cons)] if pause > 0 else []) + [[c - o for c, o in zip(cons, one, strict=True)]],
        [[0.0] * len(prod)] + ([[0.0] * len(prod)] if pause > 0 else []) + [prod],
    )
    return Program(first, main, None)


def _runs(op: WindowedOp, exact: bool) -> list[tuple[int, int, int]]:
    """Runs of the padded raster scan: (positions, real input pixels, completed windows).

    Each padded row that completes windows is three runs: the columns before
    the first window, the window columns, the columns after the last one;
    inside the window columns, pixels and windows are spread evenly.  With
    `exact`, a run is a maximal span of positions of one kind (pad or pixel,
    window or not), so nothing is spread.
    """
    h, w, _ = op.window_stream.dims
    out = stream_type(op.results[0])
    ho, wo = out.height, out.width
    pt, pl, pb, pr = op.padding
    kh, kw = op.window_extent  # a dilated window completes at the bottom-right of its extent
    sh, sw = op.stride_size
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


def window_schedule(op: WindowedOp, cycles: float, exact: bool = False) -> Schedule:
    """The sliding window (line buffer): reads pixels, emits windows (1 element = 1 window).

    It walks the padded frame position by position in `cycles`, reading C
    elements at each real pixel and emitting a window wherever one is complete.
    """
    runs = _runs(op, exact)
    per_pos = cycles / sum(r[0] for r in runs)
    c = op.window_stream.channels
    return Schedule(
        [n * per_pos for n, _, _ in runs],
        [[float(n_real * c)] for _, n_real, _ in runs],
        [[float(n_win)] for _, _, n_win in runs],
    )
