"""FIFO occupancy from fpga-sim, for `size-fifos`: which FIFOs a design has and how full they get.

A streaming design reaches the analytical interval (the slowest layer's
cycles per frame) only when its layers are decoupled: every FIFO between two
processes must absorb the difference between when its producer writes and
when its consumer reads.  The layers are periodic but not smooth (a folded
linear reads its whole input during its first output fold, a stride-2 window
emits windows on every other row, a line buffer refills at every frame start),
so a 2-deep stream stalls one side while the other waits.  This module
measures, with `fpga-sim`'s timing simulation (`backend/sim`, no weights),
how deep each FIFO has to be, as FINN's `set_fifo_depths` does with RTL
simulation.

**Sites.**  The FIFOs `size-fifos` can deepen (`Site`):

* every *edge* from an op's result to an op's operand (through any
  `dataflow.buffer`s on it; fpga-sim makes the edge one FIFO of the summed
  depth, or 2 words without a buffer);
* the *window stream* of every conv and pool: between its sliding window
  and its compute unit (the `window_depth` property, in windows; absent: 2).

Edges from a function argument or to a `func.return` are the design's ports:
the simulator treats them as ideal (an input is always ready, an output
always drained), so they are not sites.

**Runs** (`measure`), each on a copy of the design, never on the design:

1. *decoupled*: every site unbounded, the inputs ideal (offered at once).  Its
   cycles per frame is what the layers sustain when nothing stalls them
   (within ~1% of the model interval, docs/simulator.md section 5).
2. *paced*: every site unbounded, each input offered at the decoupled rate (one
   frame per decoupled interval, evenly: `simulate_timing`'s `input_interval`).
   With ideal inputs the FIFOs in front of the slowest layer would grow by a
   fraction of a frame every frame; paced, every FIFO's level is periodic and
   its maximum is what that FIFO must hold for nobody to stall.
3. *check* (`simulate_sites`): the design as it is (the depths written on it,
   every other stream 2 words), ideal inputs, as `fpga-sim` runs it.

Why 2 gives 3: with every FIFO at least as deep as its occupancy in run 2,
run 2's schedule is a valid schedule of the bounded design (no bound was ever
reached), and offering the inputs earlier (ideal instead of paced) can only
make every event earlier in a dataflow network of FIFOs (its timing is
monotone in its inputs' arrival times).  So the sized design runs at least
at the paced rate, i.e. the decoupled interval.  The simulator's fluid
approximation is exact at segment boundaries but not at word jitter; the
pass's `margin` and its check-and-grow loop cover the difference.

Early-exit networks: every run follows the route of the recorded exit
probabilities, spread evenly (`exit_routing`), so each stage sees the frames
of the samples that reach it, as in the hardware (`exit_frames` makes the run
long enough for the later stages to see some); without recorded probabilities
every sample takes the final exit, the worst case, and `size-fifos` warns.

Every run is tagged: a depth-0 `dataflow.buffer` (a wire, no capacity)
named after the site sits in front of each edge's consumer in the copy, so
the simulator's FIFO report names the site it measured.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from fpga_opt.backend.costs import REFERENCE_CONTEXT, analyse_network, window_fifo_cost
from fpga_opt.backend.sim import elaborate, simulate_timing
from fpga_opt.backend.sim.exits import exit_routing
from fpga_opt.backend.target.resources import Resources
from fpga_opt.dialects.dataflow import BufferOp, DataflowOp, StreamType, WindowedOp
from fpga_opt.dialects.errors import FpgaOptError

#: Depth, in words, of a stream without a `dataflow.buffer` (fpga-sim's and Vitis HLS's default).
DEFAULT_WORDS = 2
#: A FIFO level within this fraction of a word of a bound counts as at the bound.
_EPS = 1e-6
#: Depth (elements or windows) standing for "unbounded" in a measured copy.
UNBOUNDED = 1 << 40
#: The layer-name prefix of the tag buffers in the measured copies.
_TAG = "size-fifos.site"

# --------------------------------------------------------------------------------------
# Sites
# --------------------------------------------------------------------------------------


@dataclass(eq=False)
class Site:
    """One FIFO of the design that can be deepened.

    kind "edge": from `source` (an op's result) through `buffers` (producer side first)
    to operand `operand` of `consumer`; depths in elements, `word` elements per word.
    kind "window": the window stream of the conv/pool `consumer`; depths in windows
    (`word` = 1).
    """

    key: int
    kind: str
    consumer: Operation
    operand: int
    source: SSAValue | None
    buffers: list[BufferOp]
    word: int
    name: str

    @property
    def depth(self) -> int:
        """The site's capacity now, in elements (edge) or windows (window)."""
        if self.kind == "window":
            own = self.consumer.properties.get("window_depth")
            return own.value.data if isinstance(own, IntegerAttr) else DEFAULT_WORDS
        total = sum(b.depth.value.data for b in self.buffers)
        return max(total, self.word) if self.buffers and total > 0 else DEFAULT_WORDS * self.word

    @property
    def explicit(self) -> bool:
        """Whether the design states this FIFO's depth (a buffer on the edge, a window_depth)."""
        if self.kind == "window":
            return "window_depth" in self.consumer.properties
        return any(b.depth.value.data > 0 for b in self.buffers)


def _layer(op: Operation) -> str:
    return op.layer_name if isinstance(op, DataflowOp) else op.name


def _paths(value: SSAValue, buffers: list[BufferOp]) -> Iterator[tuple[Operation, int, list[BufferOp]]]:
    """(consumer, operand index, buffers on the way) for every reader of `value`, through buffers."""
    for use in list(value.uses):
        user = use.operation
        if isinstance(user, BufferOp):
            yield from _paths(user.output, buffers + [user])
        else:
            yield user, use.index, buffers


def sites_of(block: Block) -> list[Site]:
    """Every edge between two ops, and every window stream, in program order."""
    sites: list[Site] = []
    position = {op: i for i, op in enumerate(block.ops)}
    for op in block.ops:
        if not isinstance(op, DataflowOp) or isinstance(op, BufferOp):
            continue
        for j, result in enumerate(op.results):
            paths = sorted(_paths(result, []), key=lambda p: (position.get(p[0], len(position)), p[1]))
            for consumer, index, buffers in paths:
                if not isinstance(consumer, DataflowOp):
                    continue  # a function result: an ideal port
                word = max(op.output_lanes(j), consumer.input_lanes(index))
                name = f"{_layer(op)} -> {_layer(consumer)}"
                if len(consumer.operands) > 1:
                    name += f" (operand {index})"
                sites.append(Site(len(sites), "edge", consumer, index, result, buffers, word, name))
        if isinstance(op, WindowedOp):
            sites.append(Site(len(sites), "window", op, -1, None, [], 1, f"{_layer(op)} (window)"))
    return sites


def fifo_resources(root: Operation, ctx=None) -> Resources:
    """Every FIFO of the design under `root`: the default 2-word streams, the `dataflow.buffer`s and the
    deepened window streams (`window_depth`), as the cost models costs them."""
    ctx = ctx or REFERENCE_CONTEXT
    net = analyse_network(root, ctx)
    total = net.fifo_resources
    for op, cost in net.layers.items():
        if isinstance(op, BufferOp):
            total += cost.resources
        elif isinstance(op, WindowedOp):
            total += window_fifo_cost(op, ctx)
    return total


# --------------------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------------------


@dataclass
class SiteStats:
    """What one run saw at one site: its capacity, highest level, and the cycles its writer lost to it being full."""

    capacity: float
    max_occupancy: float
    full_stall_pct: float
    empty_stall_pct: float
    reader_blocked_pct: float = 0.0  # % of the run its reader itself waited on a full FIFO further on


@dataclass
class Run:
    """One simulation of a copy of the design."""

    cycles_per_frame: float | None
    deadlock: str | None
    stats: dict[int, SiteStats] = field(default_factory=dict)  # site key -> stats


#: `auto_resolution` simulates at row resolution up to this frame height, coarse above.
AUTO_ROW_MAX_HEIGHT = 64


def auto_resolution(func: FuncOp) -> str:
    """fpga-sim's resolution for timing runs of `func`: row up to AUTO_ROW_MAX_HEIGHT-row frames, coarse
    above (its FIFO levels are within a row of the row resolution's; a ResNet-50's 224-row frames cost
    about 7x less)."""
    heights = [v.type.height for op in func.body.block.ops for v in op.operands if isinstance(v.type, StreamType)]
    return "row" if max(heights, default=0) <= AUTO_ROW_MAX_HEIGHT else "coarse"


def functions(module: ModuleOp) -> list[FuncOp]:
    return [op for op in module.walk() if isinstance(op, FuncOp) and not op.is_declaration]


def simulate_sites(
    module: ModuleOp,
    func: FuncOp,
    sites: list[Site],
    *,
    edges: str = "design",
    windows: str = "design",
    pace: int | None = None,
    frames: int = 4,
    resolution: str = "row",
) -> Run:
    """Simulate a tagged copy of `module` (function `func`) and read every site's FIFO.

    `edges`, `windows`: "design" (the depths written on the design, 2 words where none is) or
    "unbounded" (no limit: buffers and window depths on the design are ignored).  `pace`: offer
    each input at one frame per `pace` cycles instead of all at once.
    """
    copy = module.clone()
    twin: dict[Operation, Operation] = dict(zip(module.walk(), copy.walk(), strict=True))
    tags: dict[str, Site] = {}
    rewriter = Rewriter()
    for site in sites:
        consumer = twin[site.consumer]
        if site.kind == "window":
            if windows == "unbounded":
                consumer.properties["window_depth"] = IntegerAttr(UNBOUNDED, i64)
            continue
        if edges == "unbounded":
            for b in site.buffers:
                twin[b].depth = IntegerAttr(0, i64)  # type: ignore[attr-defined]
        tag = f"{_TAG}{site.key}"
        wire = BufferOp(consumer.operands[site.operand], UNBOUNDED if edges == "unbounded" else 0, layer=tag)
        rewriter.insert_op(wire, InsertPoint.before(consumer))
        operands = list(consumer.operands)
        operands[site.operand] = wire.output
        consumer.operands = operands
        tags[tag] = site
    copy_func = twin[func]
    assert isinstance(copy_func, FuncOp)
    net = elaborate(copy, copy_func.sym_name.data)
    report = simulate_timing(
        net,
        frames=frames,
        fifo_depth=DEFAULT_WORDS,
        resolution=resolution,
        input_interval=pace,
        routing=exit_routing(net, frames),
    )
    by_window = {
        (f"{net.names[twin[s.consumer]]} (window)", net.names[twin[s.consumer]]): s for s in sites if s.kind == "window"
    }
    run = Run(report.cycles_per_frame, report.deadlock.message() if report.deadlock is not None else None)
    blocked: dict[str, float] = {}
    for stats in report.ops:
        blocked[stats.name] = stats.blocked_pct or 0.0
        if stats.window is not None:
            blocked[f"{stats.name} (window)"] = stats.window.get("blocked_pct", 0.0)
    for fifo in report.fifos:
        site = next((tags[b] for b in fifo.buffers if b in tags), None)
        if site is None and not fifo.buffers:
            site = by_window.get((fifo.producer, fifo.consumer))
        if site is None:
            continue
        capacity = math.inf if fifo.capacity >= UNBOUNDED else fifo.capacity
        run.stats[site.key] = SiteStats(
            capacity,
            fifo.max_occupancy,
            fifo.full_stall_pct,
            fifo.empty_stall_pct,
            blocked.get(fifo.consumer, 0.0),
        )
    return run


# --------------------------------------------------------------------------------------
# Window streams: one conv/pool alone
# --------------------------------------------------------------------------------------


def _alone(op: Operation, window_depth: int | None) -> ModuleOp:
    """A module of one function running a copy of `op` alone, every operand a function argument."""
    block = Block(arg_types=[v.type for v in op.operands])
    copy = op.clone()
    copy.operands = block.args
    if window_depth is None:
        copy.properties.pop("window_depth", None)
    else:
        copy.properties["window_depth"] = IntegerAttr(window_depth, i64)
    block.add_op(copy)
    block.add_op(ReturnOp(*copy.results))
    func = FuncOp("alone", ([v.type for v in op.operands], [r.type for r in op.results]), Region(block))
    return ModuleOp([func])


def window_depth_needed(
    op: Operation, pace: int, *, frames: int, resolution: str, tolerance: float
) -> tuple[int | None, float]:
    """Windows the window stream of conv/pool `op` must hold to keep up with inputs paced at `pace`.

    The op alone, fed at one frame per `pace` cycles: if it keeps that pace (within `tolerance`)
    with its window stream as it is (2 windows, or its `window_depth`), None.  Otherwise the highest
    level of an unbounded window stream at that pace.  Data waiting for a busy compute unit is better
    held in front of the sliding window (C elements a pixel) than behind it (Kh*Kw*C a window): the
    window stream is deepened only where the burst of windows itself stalls the compute unit (a
    stride-2 window emits every other row; a balanced window and compute unit idle on padding).
    Returns (windows or None, the op's cycles per frame alone at its current depth).
    """
    own = op.properties.get("window_depth")
    current = own.value.data if isinstance(own, IntegerAttr) else None
    timing = {"frames": frames, "fifo_depth": DEFAULT_WORDS, "resolution": resolution, "input_interval": pace}
    bounded = simulate_timing(elaborate(_alone(op, current)), **timing)
    cycles = bounded.cycles_per_frame if bounded.cycles_per_frame is not None else math.inf
    if cycles <= pace * (1 + tolerance):
        return None, cycles
    net = elaborate(_alone(op, UNBOUNDED))
    free = simulate_timing(net, **timing)
    name = net.names[net.ops[-1]]
    level = max(
        (f.max_occupancy for f in free.fifos if f.producer == f"{name} (window)" and f.consumer == name), default=0.0
    )
    return max(DEFAULT_WORDS, math.ceil(level - _EPS)), cycles


def decoupled_run(module: ModuleOp, func: FuncOp, sites: list[Site], *, frames: int, resolution: str) -> Run:
    """Run 1: every site unbounded, inputs ideal; fails clearly if even that does not run."""
    run = simulate_sites(
        module, func, sites, edges="unbounded", windows="unbounded", frames=frames, resolution=resolution
    )
    if run.cycles_per_frame is None:
        raise FpgaOptError(f"size-fifos: @{func.sym_name.data} does not run even with unbounded FIFOs: {run.deadlock}")
    return run


def paced_run(module: ModuleOp, func: FuncOp, sites: list[Site], pace: int, *, frames: int, resolution: str) -> Run:
    """Run 2: edges unbounded, window streams as designed, every input paced at `pace` cycles per frame."""
    return simulate_sites(module, func, sites, edges="unbounded", pace=pace, frames=frames, resolution=resolution)


#: Most frames a sizing run of an early-exit network streams (so that the later stages see some).
MAX_EXIT_FRAMES = 128


def exit_frames(func: FuncOp, frames: int) -> int:
    """Frames a sizing run of `func` needs: `frames`, or, in an early-exit network, enough for every stage
    reached by a fraction q of the samples to see about two of them (at most MAX_EXIT_FRAMES)."""
    from fpga_opt.backend.costs.exit_rates import func_exit_structure, reach_fractions, recorded_probabilities

    if func_exit_structure(func) is None:
        return frames
    probs = recorded_probabilities(func)
    if probs is None:
        return frames
    reach = [q for q in reach_fractions(probs) if 0.0 < q < 1.0]
    if not reach:
        return frames
    return max(frames, min(MAX_EXIT_FRAMES, math.ceil(2.0 / min(reach))))
