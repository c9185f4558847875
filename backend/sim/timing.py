"""Streaming timing: ops as concurrent processes joined by bounded FIFOs.

The model (docs/simulator.md has the long form)
------------------------------------------------
* Every dataflow op except `buffer` is one or more *processes* (its entry in
  `PROCESSES`, `processes/`), each running its per-frame schedule
  (`schedule.py`) once per frame, frames back to back.  A schedule is a list
  of segments; in a segment the process, when it runs at full speed, moves
  elements on each port at constant rates.
* Every SSA edge is a FIFO counted in elements.  Without a `dataflow.buffer`
  its capacity is `fifo_depth` (default 2) words, a word being the wider of
  the two ports' lanes; a chain of `dataflow.buffer {depth = d}` ops on the
  edge makes it `sum(d)` elements (at least one word), and a FIFO op that is
  a process (a conditional buffer) adds its own `fifo_depth` to the edge in
  front of it.
* Each process runs at a speed `u` in [0, 1] (fraction of its full rate).
  A process whose input FIFO is empty can go no faster than that FIFO is
  filled; one whose output FIFO is full no faster than it is drained.
  A fork writes all its outputs together, so a full FIFO on any branch slows
  all of them; a join (add, concat, conv with skip) reads all inputs
  together, so an empty one stalls the others.  The speeds are the greatest
  solution of these constraints.
* Time advances from event to event: a segment ends, a FIFO becomes full or
  empty.  Between events all rates are constant, so levels are linear in
  time and every event time is computed exactly.  The network inputs are
  ideal sources (always ready), or with `input_interval` paced sources (one
  frame per interval, evenly), and the outputs ideal sinks (always ready).
* Deadlock: no unfinished process can move.  The simulation stops there and
  reports the cycle, what each stuck process waits for, and the full and empty
  FIFOs.

The approximation is fluid flow inside a segment: elements cross a FIFO as a
continuous stream, so a FIFO's level is exact at the segment's rates, not at
the jitter of individual words (at most one word and one segment run).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects.func import ReturnOp
from xdsl.ir import Operation, SSAValue

from fpga_opt.backend.costs import analyse_network
from fpga_opt.backend.costs.exit_rates import exit_interval
from fpga_opt.backend.sim.graph import Network
from fpga_opt.backend.sim.processes import PROCESSES
from fpga_opt.backend.sim.processes.weights import provider_buffer, with_weight_port
from fpga_opt.backend.sim.rates import OpRate, op_rate
from fpga_opt.backend.sim.schedule import ProcessSpec, Program, Schedule
from fpga_opt.dialects.dataflow import BufferOp, FifoOp, WeightProviderOp, WindowedOp, consumer_of
from fpga_opt.dialects.dataflow.weights import dram_cycles
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.progress import progress

INF = float("inf")
#: Default FIFO depth (in words) of an edge without a dataflow.buffer.
DEFAULT_FIFO_DEPTH = 2
#: Frames simulated when the caller does not say (the steady state of a ResNet-20 settles by frame 3).
DEFAULT_FRAMES = 8
#: A FIFO level within this many elements of 0 / its capacity counts as empty / full.
_LEVEL_EPS = 1e-7
#: Speed iterations before a still-falling speed (a loop whose gain is < 1) is taken to be 0.
_MAX_SWEEPS = 60
RESOLUTIONS = ("coarse", "row", "fine", "exact")


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------


@dataclass
class FifoStats:
    name: str
    producer: str
    consumer: str
    capacity: float
    max_occupancy: float
    buffers: list[str] = field(default_factory=list)
    level: float = 0.0
    full_stall_pct: float = 0.0  # % of cycles its producer lost waiting for space (weighted by lost speed)
    empty_stall_pct: float = 0.0  # % of cycles its consumer lost waiting for data

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "producer": self.producer,
            "consumer": self.consumer,
            "capacity": None if self.capacity == INF else self.capacity,
            "max_occupancy": round(self.max_occupancy, 3),
            "full_stall_pct": round(self.full_stall_pct, 3),
            "empty_stall_pct": round(self.empty_stall_pct, 3),
            "buffers": self.buffers,
        }


@dataclass
class OpStats:
    name: str
    kind: str
    folding: dict[str, int]
    model_cycles: int | None
    model_depth: int | None
    model: str | None
    busy_pct: float | None
    stall_pct: float | None
    starved_pct: float | None
    blocked_pct: float | None
    max_fifo_occupancy: float | None
    fifo_capacity: float | None
    window: dict[str, float] | None = None  # the sliding window (line buffer) process of a conv/pool

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        for key in ("busy_pct", "stall_pct", "starved_pct", "blocked_pct", "max_fifo_occupancy"):
            if d[key] is not None:
                d[key] = round(d[key], 3)
        if d["fifo_capacity"] == INF:
            d["fifo_capacity"] = None
        return d


@dataclass
class Deadlock:
    """No unfinished process can move.

    `waits` lists every stuck process with what it waits on; `loop` is the
    cycle of waits that causes it (each process waits on the next one through
    the FIFO named), the part worth reading first.
    """

    cycle: float
    waits: list[tuple[str, str, str]]  # (process, "cannot write to full FIFO" | "waits on empty FIFO", fifo)
    full: list[str]
    empty: list[str]
    loop: list[tuple[str, str, str]] = field(default_factory=list)

    def message(self) -> str:
        shown = self.loop or self.waits
        text = f"deadlock at cycle {round(self.cycle)}: " + "; ".join(f"'{p}' {how} {fifo}" for p, how, fifo in shown)
        others = len({p for p, _, _ in self.waits} - {p for p, _, _ in shown})
        if others:
            text += f"; {others} more process{'es' if others > 1 else ''} wait{'' if others > 1 else 's'} behind them"
        return text + "; " + self.hint()

    def hint(self) -> str:
        """The fix to try: deeper FIFOs where a full FIFO blocks a fork or a join's faster branch."""
        full = sorted({fifo for _, how, fifo in self.waits if "full" in how})
        where = f" (full: {', '.join(full[:3])}{', ...' if len(full) > 3 else ''})" if full else ""
        return (
            f"try: size the FIFOs (fpga-opt -p minimize-residual-buffers,size-fifos), or put a dataflow.buffer "
            f"holding the whole tensor on the faster branch into the join{where}; fpga-sim --fifo-depth unbounded "
            "shows the design's own rate"
        )

    def as_dict(self) -> dict:
        return {
            "cycle": round(self.cycle),
            "loop": [{"op": p, "state": how, "fifo": f} for p, how, f in self.loop],
            "waits": [{"op": p, "state": how, "fifo": f} for p, how, f in self.waits],
            "full_fifos": self.full,
            "hint": self.hint(),
            "empty_fifos": self.empty,
        }


@dataclass
class TimingReport:
    frames: int
    clock_mhz: float
    cycles_per_frame: float | None
    latency_cycles: float | None
    total_cycles: float
    frame_done_cycles: list[float]
    ops: list[OpStats]
    fifos: list[FifoStats]
    deadlock: Deadlock | None
    model_cycles_per_frame: int | None
    model_latency_cycles: int | None
    bottleneck: str | None
    resolution: str
    fifo_depth: int | None
    events: int
    frame_overlap: bool = True
    exits: dict | None = None  # early exits: routing, histogram, conditional buffers (backend/sim/exits.py)

    @property
    def fps(self) -> float | None:
        if not self.cycles_per_frame:
            return None
        return self.clock_mhz * 1e6 / self.cycles_per_frame

    def as_dict(self) -> dict:
        return {
            "cycles_per_frame": None if self.cycles_per_frame is None else round(self.cycles_per_frame, 3),
            "latency_cycles": None if self.latency_cycles is None else round(self.latency_cycles, 3),
            "fps": None if self.fps is None else round(self.fps, 3),
            "clock_mhz": self.clock_mhz,
            "frames": self.frames,
            "total_cycles": round(self.total_cycles, 3),
            "frame_done_cycles": [round(t, 3) for t in self.frame_done_cycles],
            "model_cycles_per_frame": self.model_cycles_per_frame,
            "model_latency_cycles": self.model_latency_cycles,
            "bottleneck": self.bottleneck,
            "resolution": self.resolution,
            "frame_overlap": self.frame_overlap,
            "default_fifo_depth_words": self.fifo_depth,
            "events": self.events,
            "deadlock": None if self.deadlock is None else self.deadlock.as_dict(),
            "ops": [o.as_dict() for o in self.ops],
            "fifos": [f.as_dict() for f in self.fifos],
            **({"exits": self.exits} if self.exits is not None else {}),
        }


# --------------------------------------------------------------------------
# Elaboration: processes and FIFOs
# --------------------------------------------------------------------------


@dataclass
class _Proc:
    name: str
    op: Operation | None  # None: a paced network input
    rate: OpRate | None
    spec: ProcessSpec
    ins: list[int] = field(default_factory=list)  # fifo per input port
    outs: list[list[int]] = field(default_factory=list)  # fifos per output port

    @property
    def program(self) -> Program:
        return self.spec.program


@dataclass
class _Fifo:
    name: str
    producer: int  # process index, -1 = network input
    pport: int
    consumer: int  # process index, -1 = network output (or an unused result)
    cport: int
    capacity: float
    level: float
    buffers: list[str]
    sink: int = -1  # output index for network outputs
    source: int = -1  # input index for network inputs


class _Elaborated:
    """The processes and FIFOs of a network."""

    def __init__(
        self,
        net: Network,
        fifo_depth: int | None,
        resolution: str,
        frames: int,
        frame_overlap: bool = True,
        routing=None,
        input_interval: float | None = None,
    ):
        if resolution not in RESOLUTIONS:
            raise FpgaOptError(f"unknown timing resolution '{resolution}' (choose {', '.join(RESOLUTIONS)})")
        if fifo_depth is not None and fifo_depth < 1:
            raise FpgaOptError(f"the default FIFO depth must be at least 1 word, got {fifo_depth}")
        if input_interval is not None and input_interval <= 0:
            raise FpgaOptError(f"the input interval must be positive, got {input_interval} cycles")
        implicit = INF if fifo_depth is None else float(fifo_depth)
        self.net = net
        self.procs: list[_Proc] = []
        self.fifos: list[_Fifo] = []
        self.buffer_fifos: dict[str, list[int]] = {}
        self.main: dict[Operation, int] = {}
        self.window: dict[Operation, int] = {}
        operand_port: dict[tuple[Operation, int], tuple[int, int]] = {}
        result_port: dict[tuple[Operation, int], tuple[int, int]] = {}
        weights_in: dict[Operation, tuple[int, int]] = {}
        weights_out: dict[Operation, tuple[int, int]] = {}
        # off-chip layers whose provider is in this network (a layer simulated alone, as size-fifos does,
        # reads its weights as if they were on chip)
        fed = {consumer_of(p) for p in net.ops if isinstance(p, WeightProviderOp)}
        for op in net.ops:
            if isinstance(op, BufferOp):
                continue
            rate = op_rate(op)
            internal_out: dict[int, tuple[int, int]] = {}
            internal_in: dict[int, tuple[int, int]] = {}
            overlap = frame_overlap if routing is None else routing.frame_overlap(op, frame_overlap)
            for spec in with_weight_port(op, PROCESSES.get(op)(op, rate, resolution, overlap), fed):
                p = len(self.procs)
                name = net.name(op) if spec.role == "main" else f"{net.name(op)} ({spec.role})"
                self.procs.append(_Proc(name, op, rate, spec, [-1] * len(spec.inputs), [[] for _ in spec.outputs]))
                (self.main if spec.role == "main" else self.window)[op] = p
                for port, (kind, k) in enumerate(spec.inputs):
                    if kind == "weights":  # the words of an off-chip layer (processes/weights.py)
                        weights_in[op] = (p, port)
                        continue
                    (operand_port if kind == "operand" else internal_in)[(op, k) if kind == "operand" else k] = (
                        p,
                        port,
                    )
                for port, (kind, k) in enumerate(spec.outputs):
                    if kind == "weights":
                        weights_out[op] = (p, port)
                        continue
                    (result_port if kind == "result" else internal_out)[(op, k) if kind == "result" else k] = (p, port)
            for k, (q, qport) in internal_out.items():
                r, rport = internal_in[k]
                word = max(self.procs[q].spec.out_lanes[qport], self.procs[r].spec.in_lanes[rport])
                # the op's own window stream: its `window_depth` (conv, pool: set by size-fifos) if given, else
                # DEFAULT_FIFO_DEPTH words, or unbounded in the decoupled design
                own = op.window_depth if isinstance(op, WindowedOp) else None
                if own is not None:
                    inner = float(max(1, own.value.data) * word)
                else:
                    inner = INF if fifo_depth is None else float(DEFAULT_FIFO_DEPTH * word)
                self._add_fifo(
                    _Fifo(f"{self.procs[q].name} -> {self.procs[r].name}", q, qport, r, rport, inner, 0.0, [])
                )

        for provider, (q, qport) in weights_out.items():
            layer = consumer_of(provider)  # type: ignore[arg-type]
            if layer not in weights_in:
                raise FpgaOptError(f"{net.name(provider)}: the layer it feeds is not in @{net.func.sym_name.data}")
            r, rport = weights_in[layer]
            word = self.procs[q].spec.out_lanes[qport]
            cap = INF if fifo_depth is None else max(float(DEFAULT_FIFO_DEPTH * word), provider_buffer(provider))
            self._add_fifo(_Fifo(f"{self.procs[q].name} -> {self.procs[r].name}", q, qport, r, rport, cap, 0.0, []))

        position = {op: i for i, op in enumerate(net.func.body.block.ops)}

        def terminals(value: SSAValue, depth: int | None, bufs: tuple[str, ...]):
            uses = sorted(value.uses, key=lambda u: (position.get(u.operation, 1 << 30), u.index))
            if not uses:
                yield None, -1, depth, bufs
            for use in uses:
                user = use.operation
                if isinstance(user, BufferOp):
                    d = user.depth.value.data
                    new_depth = depth if d == 0 else (depth or 0) + d
                    yield from terminals(user.output, new_depth, bufs + (net.name(user),))
                elif isinstance(user, ReturnOp):
                    yield "sink", use.index, depth, bufs
                else:
                    yield user, use.index, depth, bufs

        def connect(value: SSAValue, producer: int, pport: int, lanes: int, label: str, source: int = -1):
            """FIFOs from `value` (a process's result, or network input `source`) to each of its readers."""
            # an ideal input's whole supply is there from cycle 0; a paced one comes from its process
            supply = float(frames * value.type.numel) if source >= 0 and producer < 0 else 0.0  # type: ignore[attr-defined]
            for user, port, depth, bufs in terminals(value, None, ()):
                if user is None or user == "sink":
                    consumer, cport, word = -1, port, lanes
                    if user is None:
                        cname = "(unused)"
                    else:
                        cname = f"output{port}" if len(net.outputs) > 1 else "output"
                else:
                    consumer, cport = operand_port[(user, port)]
                    word = max(lanes, self.procs[consumer].spec.in_lanes[cport])
                    cname = self.procs[consumer].name
                if consumer < 0 or source >= 0:  # the network's ports: never full
                    cap = INF
                elif depth is None:
                    cap = implicit * word
                else:
                    cap = float(max(depth, word))
                if consumer >= 0 and isinstance(user, FifoOp) and port == 0 and user.fifo_depth:
                    # a FIFO op that is a process (a conditional buffer) holds its stream in front of it
                    cap = float(max((depth or 0) + user.fifo_depth, word))
                fid = self._add_fifo(
                    _Fifo(
                        " -> ".join([label, *bufs, cname]),
                        producer,
                        pport,
                        consumer,
                        cport,
                        cap,
                        supply,
                        list(bufs),
                        sink=port if user == "sink" else -1,
                        source=source,
                    )
                )
                for b in bufs:
                    self.buffer_fifos.setdefault(b, []).append(fid)

        for i, arg in enumerate(net.inputs):
            label = f"input{i}" if len(net.inputs) > 1 else "input"
            lanes = [
                self.procs[operand_port[(u.operation, u.index)][0]].spec.in_lanes[
                    operand_port[(u.operation, u.index)][1]
                ]
                for u in arg.uses
                if (u.operation, u.index) in operand_port
            ]
            producer = -1 if input_interval is None else self._pacer(label, arg, input_interval)
            connect(arg, producer, 0, max(lanes or [1]), label, source=i)
        for op in net.ops:
            for j, res in enumerate(op.results):
                if (op, j) in result_port:
                    p, port = result_port[(op, j)]
                    connect(res, p, port, self.procs[p].spec.out_lanes[port], self.procs[p].name)

    def _pacer(self, label: str, value: SSAValue, interval: float) -> int:
        """A process that offers network input `value` at one frame per `interval` cycles, evenly (a paced DMA)."""
        frame = Schedule([float(interval)], [[]], [[float(value.type.numel)]])  # type: ignore[attr-defined]
        spec = ProcessSpec("main", Program(frame, frame, None), [], [("result", 0)], [], [1])
        self.procs.append(_Proc(label, None, None, spec, [], [[]]))
        return len(self.procs) - 1

    def _add_fifo(self, f: _Fifo) -> int:
        fid = len(self.fifos)
        self.fifos.append(f)
        if f.producer >= 0:
            self.procs[f.producer].outs[f.pport].append(fid)
        if f.consumer >= 0:
            self.procs[f.consumer].ins[f.cport] = fid
        return fid


# --------------------------------------------------------------------------
# The event loop
# --------------------------------------------------------------------------


def simulate_timing(
    net: Network,
    *,
    frames: int = DEFAULT_FRAMES,
    clock_mhz: float | None = None,
    fifo_depth: int | None = DEFAULT_FIFO_DEPTH,
    resolution: str = "row",
    frame_overlap: bool = True,
    max_events: int = 5_000_000,
    routing=None,
    input_interval: float | None = None,
) -> TimingReport:
    """Run `frames` frames through the network's processes and FIFOs; see the module docstring.

    `fifo_depth`: words per edge without a `dataflow.buffer` (None: unbounded, every layer decoupled).
    `resolution`: "row" (default), "coarse", "fine" or "exact" (docs/simulator.md, section 3.6).
    `frame_overlap`: line buffers take the next frame's first rows while they emit the current
    frame's last windows (the analytical model's assumption); False: they do not
    (backend/hls/sliding_window.h).
    `routing`: the samples of an early-exit network (`exits.Routing`): how many frames each op
    processes and, per frame, which of its ports move data; None: every op processes every frame.
    `input_interval`: offer each network input at one frame per `input_interval` cycles, evenly, as a
    paced DMA would (never back-pressured); None: ideal inputs, every element offered at cycle 0.
    """
    if frames < 1:
        raise FpgaOptError(f"frames must be at least 1, got {frames}")
    clock = float(clock_mhz if clock_mhz is not None else (net.clock_mhz or 200.0))
    if clock <= 0:
        raise FpgaOptError(f"the clock must be positive, got {clock} MHz")
    # One guard frame follows the N measured ones, so that frame N-1 still sees the back-pressure of a
    # continuing stream instead of draining into an idle pipeline.
    measured, frames = frames, frames + 1
    if input_interval is None:
        input_interval = dram_cycles(net.func) or None  # a placed design reads its input from DRAM
    el = _Elaborated(net, fifo_depth, resolution, frames, frame_overlap, routing, input_interval)
    procs, fifos = el.procs, el.fifos
    n_p, n_f = len(procs), len(fifos)

    # ---- state.  Index n_p is a dummy process (speed 0, no progress) standing for the network's
    # ideal inputs and its outputs, so every FIFO has a producer and a consumer index.
    cap = np.array([f.capacity for f in fifos], dtype=np.float64)
    finite = np.isfinite(cap)
    base = np.array([f.level for f in fifos], dtype=np.float64)  # a network input's whole supply
    prod_of = np.array([f.producer if f.producer >= 0 else n_p for f in fifos], dtype=np.int64)
    cons_of = np.array([f.consumer if f.consumer >= 0 else n_p for f in fifos], dtype=np.int64)
    real_prod = prod_of < n_p
    ins = [p.ins for p in procs]
    outs = [[(j, fid) for j, fids in enumerate(p.outs) for fid in fids] for p in procs]

    Segment = tuple[float, list[float], list[float], list[float], list[float]]  # dur, a, b, cons, prod

    def segments(s: Schedule) -> list[Segment]:
        return [
            (d, [c / d for c in cs], [x / d for x in ps], cs, ps)
            for d, cs, ps in zip(s.dur, s.cons, s.prod, strict=True)
        ]

    # period k of a process runs: k == 0 -> program.first, 1 <= k < frames -> steady, k == frames -> final
    tmpl_first = [segments(p.program.first) for p in procs]
    tmpl_steady = [segments(p.program.steady) for p in procs]
    tmpl_final = [segments(p.program.final) if p.program.final is not None else None for p in procs]

    # frames each process runs (early exits: only the samples that reach its stage, guard included)
    # (a paced input offers every frame)
    nfr = [frames if routing is None or p.op is None else routing.frames_of(p.op, frames) for p in procs]
    masks = [None if routing is None or p.op is None else routing.mask_of(p.op) for p in procs]

    def template(p: int, k: int) -> list[Segment] | None:
        n = nfr[p]
        if k == 0:
            tmpl = tmpl_first[p]
        elif k < n:
            tmpl = tmpl_steady[p]
        elif k == n:
            return tmpl_final[p]
        else:
            return None
        mask = masks[p]
        if mask is not None:  # this frame's data-dependent ports (a dropped frame, an exit not taken)
            scale = mask(k)
            if scale is not None:
                ci, po = scale
                tmpl = [
                    (
                        d,
                        [x * m for x, m in zip(a, ci, strict=True)],
                        [x * m for x, m in zip(b, po, strict=True)],
                        [x * m for x, m in zip(c, ci, strict=True)],
                        [x * m for x, m in zip(q, po, strict=True)],
                    )
                    for d, a, b, c, q in tmpl
                ]
        return tmpl

    seg = [0] * n_p
    period = [0] * n_p
    active = [True] * n_p
    dur = np.zeros(n_p + 1)
    rem = np.zeros(n_p + 1)
    a_cur: list[list[float]] = [[] for _ in range(n_p)]
    b_cur: list[list[float]] = [[] for _ in range(n_p)]
    fin_nom = np.zeros(n_f)  # producer's write rate into the FIFO at full speed
    fout_nom = np.zeros(n_f)  # consumer's read rate at full speed
    # Elements moved by completed segments, exactly: levels are recomputed from these, so rounding
    # never accumulates over a long run.
    moved_in = np.zeros(n_f)
    moved_out = np.zeros(n_f)

    def enter(p: int, segment: Segment) -> None:
        d, a, b, _, _ = segment
        dur[p] = rem[p] = d
        a_cur[p], b_cur[p] = a, b
        for port, f in enumerate(ins[p]):
            fout_nom[f] = a[port]
        for port, f in outs[p]:
            fin_nom[f] = b[port]

    for p in range(n_p):
        enter(p, template(p, 0)[0])  # type: ignore[index]

    u = np.zeros(n_p + 1)
    busy = np.zeros(n_p + 1)
    starved = np.zeros(n_p + 1)
    blocked = np.zeros(n_p + 1)
    maxlev = np.zeros(n_f)
    held_full = np.zeros(n_f)  # cycles (weighted by lost speed) a producer waited on this FIFO being full
    held_empty = np.zeros(n_f)  # ... a consumer waited on it being empty

    sinks = [f for f in range(n_f) if fifos[f].sink >= 0]
    sink_numel = {f: float(net.outputs[fifos[f].sink].type.numel) for f in sinks}  # type: ignore[attr-defined]
    sink_next = {f: 1 for f in sinks}  # next frame threshold index
    sink_done: dict[int, list[float]] = {f: [] for f in sinks}
    first_out = INF

    def levels() -> np.ndarray:
        progress = dur - rem
        return base + moved_out + fin_nom * progress[prod_of] - moved_in - fout_nom * progress[cons_of]

    bind_kind = np.full(n_p + 1, -1, dtype=np.int64)  # 0 starved, 1 blocked, -1 running free
    bind_fifo = np.zeros(n_p + 1, dtype=np.int64)

    def solve(level: np.ndarray) -> None:
        """The greatest speeds that keep every empty FIFO non-negative and every full one within capacity.

        Only FIFOs at a bound constrain: an empty one (read at a positive rate) caps its reader at the
        writer's rate, a full one caps its writer at the reader's.  Speeds start at 1 and only fall;
        a worklist propagates each fall to the processes constrained by it.
        """
        u[:n_p] = active
        u[n_p] = 0.0
        bind_kind[:] = -1
        empty = np.flatnonzero((level <= _LEVEL_EPS) & (fout_nom > 0.0))
        full = np.flatnonzero(finite & (level >= cap - _LEVEL_EPS) & (fin_nom > 0.0))
        if not len(empty) and not len(full):
            return
        constraints: dict[int, list[tuple[int, float, int, int]]] = {}  # p -> (q, gain, fifo, kind)
        dependents: dict[int, list[int]] = {}
        for f, p, q, g in zip(
            empty.tolist(),
            cons_of[empty].tolist(),
            prod_of[empty].tolist(),
            (fin_nom[empty] / fout_nom[empty]).tolist(),
            strict=True,
        ):
            constraints.setdefault(p, []).append((q, g, f, 0))
            dependents.setdefault(q, []).append(p)
        for f, p, q, g in zip(
            full.tolist(),
            prod_of[full].tolist(),
            cons_of[full].tolist(),
            (fout_nom[full] / fin_nom[full]).tolist(),
            strict=True,
        ):
            constraints.setdefault(p, []).append((q, g, f, 1))
            dependents.setdefault(q, []).append(p)
        queue = deque(p for p in constraints if p < n_p and active[p])
        queued = set(queue)
        updates: dict[int, int] = {}
        while queue:
            p = queue.popleft()
            queued.discard(p)
            up = u[p]
            v, why = up, None
            for q, g, f, kind in constraints[p]:
                lim = g * u[q]
                if lim < v:
                    v, why = lim, (kind, f)
            if why is None or v >= up * (1.0 - 1e-12):
                continue
            n = updates.get(p, 0) + 1
            updates[p] = n
            # a speed still falling after many rounds sits on a loop of tight FIFOs whose gain is below 1
            u[p] = 0.0 if v < 1e-12 or n > _MAX_SWEEPS else v
            bind_kind[p], bind_fifo[p] = why
            for r in dependents.get(p, ()):
                if r < n_p and r not in queued and u[r] > 0.0:
                    queue.append(r)
                    queued.add(r)

    t = 0.0
    events = 0
    deadlock: Deadlock | None = None
    level = levels()
    bar = progress("timing simulation", total=measured, unit=" frames")
    with bar, np.errstate(divide="ignore", invalid="ignore"):
        while any(active):
            level = levels()
            solve(level)
            events += 1
            if events > max_events:
                raise FpgaOptError(f"timing simulation exceeded {max_events} events at cycle {round(t)}")
            # ---- the next event: a segment ends, a FIFO fills or empties
            moving = u > 0.0
            dt = float(np.min(rem[moving] / u[moving])) if moving.any() else INF
            fin = fin_nom * u[prod_of]
            fout = fout_nom * u[cons_of]
            net_rate = fin - fout
            net_rate[np.abs(net_rate) <= 1e-12 * (fin + fout)] = 0.0
            filling = (net_rate > 0.0) & finite & (level < cap - _LEVEL_EPS)
            if filling.any():
                dt = min(dt, float(np.min((cap[filling] - level[filling]) / net_rate[filling])))
            draining = (net_rate < 0.0) & (level > _LEVEL_EPS)
            if draining.any():
                dt = min(dt, float(np.min(level[draining] / -net_rate[draining])))
            if dt == INF:
                deadlock = _deadlock(t, procs, fifos, active, a_cur, b_cur, level.tolist(), cap.tolist())
                break
            # ---- advance
            for f in sinks:
                d = float(net_rate[f])
                if d > 0.0:
                    before = float(level[f])
                    after = before + d * dt
                    if first_out == INF and after >= 1.0:
                        first_out = t + max(0.0, 1.0 - before) / d
                    k = sink_next[f]
                    while k * sink_numel[f] <= after + _LEVEL_EPS:
                        sink_done[f].append(t + max(0.0, k * sink_numel[f] - before) / d)
                        k += 1
                    sink_next[f] = k
            if sinks and len(sink_done[sinks[0]]) > bar.n:
                bar.update(min(len(sink_done[sinks[0]]), measured) - bar.n)
            np.maximum(
                maxlev, np.where(real_prod, np.minimum(level + np.maximum(net_rate, 0.0) * dt, cap), 0.0), out=maxlev
            )
            t += dt
            run = np.array(active + [False])
            busy += u * dt
            lost = np.where(run, (1.0 - u) * dt, 0.0)
            is_blocked = bind_kind == 1
            blocked += np.where(is_blocked, lost, 0.0)
            starved += np.where(is_blocked, 0.0, lost)
            bound = np.flatnonzero(lost > 0.0)
            for p in bound.tolist():
                if bind_kind[p] == 1:
                    held_full[bind_fifo[p]] += lost[p]
                elif bind_kind[p] == 0:
                    held_empty[bind_fifo[p]] += lost[p]
            rem -= u * dt
            finished = np.flatnonzero(moving & (rem <= 1e-9 * dur))
            for p in finished.tolist():
                if p == n_p:
                    continue
                # the segment is done: book its exact flows, move on (to the next period after the last one)
                tmpl = template(p, period[p])
                assert tmpl is not None
                _, _, _, cons, prod = tmpl[seg[p]]
                for port, f in enumerate(ins[p]):
                    moved_in[f] += cons[port]
                for port, f in outs[p]:
                    moved_out[f] += prod[port]
                k = seg[p] + 1
                if k == len(tmpl):
                    k = 0
                    period[p] += 1
                    tmpl = template(p, period[p])
                    if tmpl is None and period[p] == nfr[p]:
                        period[p] += 1  # no final tail
                    if period[p] > nfr[p]:
                        active[p] = False
                        enter(p, (0.0, [0.0] * len(a_cur[p]), [0.0] * len(b_cur[p]), [], []))
                        continue
                assert tmpl is not None
                seg[p] = k
                enter(p, tmpl[k])
    level = levels()
    busy, starved, blocked = busy.tolist(), starved.tolist(), blocked.tolist()
    maxlev, held_full, held_empty, level = maxlev.tolist(), held_full.tolist(), held_empty.tolist(), level.tolist()

    # ---- results
    model_interval, model_latency, bottleneck = _model_figures(el)
    done_all = (
        [max(sink_done[f][k] for f in sinks) for k in range(frames)]
        if sinks and all(len(sink_done[f]) >= frames for f in sinks)
        else []
    )
    done = done_all[:measured]
    latency = first_out if first_out != INF else None
    cpf = None
    if deadlock is None and len(done_all) == frames:
        # steady state: the mean interval between output frames over the second half of the run (the first
        # half, at least frame 0's pipeline fill, is warm-up)
        first = measured // 2 if measured >= 3 else 0
        last = measured - 1 if measured >= 2 else 1
        cpf = (done_all[last] - done_all[first]) / (last - first)
    total = t
    report = TimingReport(
        frames=measured,
        clock_mhz=clock,
        cycles_per_frame=cpf,
        latency_cycles=latency,
        total_cycles=total,
        frame_done_cycles=done,
        ops=_op_stats(el, busy, starved, blocked, maxlev, total),
        fifos=[
            FifoStats(
                f.name,
                _end(el, f.producer, f),
                _end(el, f.consumer, f, out=True),
                f.capacity,
                maxlev[i],
                f.buffers,
                level[i],
                100.0 * held_full[i] / t if t else 0.0,
                100.0 * held_empty[i] / t if t else 0.0,
            )
            for i, f in enumerate(fifos)
        ],
        deadlock=deadlock,
        model_cycles_per_frame=model_interval,
        model_latency_cycles=model_latency,
        bottleneck=bottleneck,
        resolution=resolution,
        fifo_depth=fifo_depth,
        events=events,
        frame_overlap=frame_overlap,
    )
    if routing is not None:
        report.exits = routing.summarize(report, done_all)
    return report


def _end(el: _Elaborated, p: int, f: _Fifo, out: bool = False) -> str:
    if p >= 0:
        return el.procs[p].name
    if out:
        if f.sink < 0:
            return "(unused)"
        return f"output{f.sink}" if len(el.net.outputs) > 1 else "output"
    return f"input{f.source}" if len(el.net.inputs) > 1 else "input"


def _deadlock(t, procs, fifos, active, a_cur, b_cur, level, cap) -> Deadlock:
    blocked: list[tuple[str, str, str]] = []
    starved: list[tuple[str, str, str]] = []
    full: set[int] = set()
    empty: set[int] = set()
    waits_on: dict[int, list[tuple[int, tuple[str, str, str]]]] = {}  # process -> (process it waits for, why)
    for p, proc in enumerate(procs):
        if not active[p]:
            continue
        for port, fids in enumerate(proc.outs):
            for f in fids:
                if b_cur[p][port] > 0 and level[f] >= cap[f] - _LEVEL_EPS:
                    why = (
                        proc.name,
                        "cannot write to full FIFO",
                        f"'{fifos[f].name}' ({_fmt(level[f])}/{_fmt(cap[f])} elements)",
                    )
                    blocked.append(why)
                    full.add(f)
                    waits_on.setdefault(p, []).append((fifos[f].consumer, why))
        for port, f in enumerate(proc.ins):
            if a_cur[p][port] > 0 and level[f] <= _LEVEL_EPS:
                why = (proc.name, "waits on empty FIFO", f"'{fifos[f].name}'")
                starved.append(why)
                empty.add(f)
                waits_on.setdefault(p, []).append((fifos[f].producer, why))
    # Follow the waits from a process blocked by a full FIFO until one repeats: that is the loop.
    # (A full FIFO sends the walk downstream, an empty one upstream.)
    loop: list[tuple[str, str, str]] = []
    blocked_procs = [p for p, ws in waits_on.items() if any(w[1] == "cannot write to full FIFO" for _, w in ws)]
    for start in blocked_procs + [p for p in waits_on if p not in blocked_procs]:
        path: list[int] = []
        reasons: list[tuple[str, str, str]] = []
        p = start
        while p >= 0 and p in waits_on and p not in path:
            path.append(p)
            # a blocked process waits downstream first: that is where the loop closes
            options = sorted(waits_on[p], key=lambda w: w[1][1] != "cannot write to full FIFO")
            nxt, why = options[0]
            reasons.append(why)
            p = nxt
        if p >= 0 and p in path:
            loop = reasons[path.index(p) :]
            break
    return Deadlock(
        cycle=t,
        waits=blocked + starved,
        full=[f"'{fifos[f].name}' ({_fmt(level[f])}/{_fmt(cap[f])})" for f in sorted(full)],
        empty=[f"'{fifos[f].name}'" for f in sorted(empty)],
        loop=loop,
    )


def _fmt(x: float) -> str:
    return str(int(round(x))) if abs(x - round(x)) < 1e-6 else f"{x:.2f}"


def _op_stats(el: _Elaborated, busy, starved, blocked, maxlev, total) -> list[OpStats]:
    stats = []
    pct = 100.0 / total if total > 0 else 0.0
    for op in el.net.ops:
        name = el.net.name(op)
        kind = op.name.split(".", 1)[1]
        folding = op.folding()
        if isinstance(op, BufferOp):
            fids = el.buffer_fifos.get(name, [])
            occ = max((maxlev[f] for f in fids), default=None)
            capacity = max((el.fifos[f].capacity for f in fids), default=None)
            stats.append(OpStats(name, kind, folding, None, None, None, None, None, None, None, occ, capacity))
            continue
        i = el.main[op]
        p = el.procs[i]
        procs = [i] + ([el.window[op]] if op in el.window else [])
        fids = [
            f
            for q in procs
            for f in el.procs[q].ins
            if f >= 0 and el.fifos[f].producer >= 0 and el.fifos[f].producer not in procs
        ]
        occ = max((maxlev[f] for f in fids), default=None)
        capacity = max((el.fifos[f].capacity for f in fids), default=None)
        entry = OpStats(
            name,
            kind,
            folding,
            p.rate.cycles,
            p.rate.depth,
            "op_costs",  # where the rates come from: every op's cost model (backend/costs)
            busy[i] * pct,
            (starved[i] + blocked[i]) * pct,
            starved[i] * pct,
            blocked[i] * pct,
            occ,
            capacity,
        )
        if op in el.window:
            w = el.window[op]
            entry.window = {
                "busy_pct": round(busy[w] * pct, 3),
                "starved_pct": round(starved[w] * pct, 3),
                "blocked_pct": round(blocked[w] * pct, 3),
            }
        stats.append(entry)
    return stats


def _model_figures(el: _Elaborated) -> tuple[int | None, int | None, str | None]:
    """The analytical interval, latency and bottleneck (`backend.costs.analyse_network`)."""
    if not el.main:
        return None, None, None
    cost = analyse_network(el.net.func)
    interval, bottleneck = cost.interval, cost.bottleneck
    exits = exit_interval(el.net.func, {op: c.cycles for op, c in cost.layers.items()})
    if exits is not None:  # early exits: per network sample, each op scaled by the samples reaching it
        interval, bottleneck = exits.interval, exits.bottleneck
    name = el.net.name(bottleneck) if bottleneck in el.net.names else None
    return interval, cost.latency, name
