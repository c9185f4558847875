"""Whole designs: every op's cost, the default FIFOs on the edges, the interval and the latency.

A design is a `builtin.module` of one or more functions, or one `func.func`:
its interval is the slowest op's cycles per frame (fpgaConvNet: the slowest
layer sets the rate), its latency the longest path of pipeline depths from
an input to an output, and its resources every op plus every FIFO.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import networkx as nx
from xdsl.ir import Operation, OpResult, SSAValue

from fpga_opt.backend.costs.layer_cost import LayerCost
from fpga_opt.backend.costs.registry import REFERENCE_CONTEXT, CostContext, op_cost
from fpga_opt.backend.costs.streams import default_fifo_cost
from fpga_opt.backend.target.boards import Board
from fpga_opt.backend.target.resources import Resources
from fpga_opt.dialects.dataflow import DataflowOp, FifoOp, StreamType


@dataclass(frozen=True)
class Edge:
    """A stream between a producer (or a function argument) and one consumer, with its default FIFO."""

    value: SSAValue
    consumer: Operation
    resources: Resources


@dataclass(frozen=True)
class NetworkCost:
    """The cost of a whole design.

    `layers`: every op that has a cost model, in program order, with its
    `LayerCost`.  `fifos`: the default FIFOs on edges without a
    `dataflow.buffer`.  `resources`: layers + fifos.  `interval`: the slowest
    layer's cycles per frame (the design's initiation interval).
    `latency`: the longest path of pipeline depths from an input to an
    output.  `bottleneck`: the (first) slowest layer.
    """

    layers: dict[Operation, LayerCost]
    fifos: tuple[Edge, ...]
    fifo_resources: Resources
    resources: Resources
    interval: int
    latency: int
    bottleneck: Operation | None

    def fps(self, clock_mhz: float) -> float:
        return clock_mhz * 1e6 / self.interval if self.interval else float("inf")

    def utilisation(self, board: Board) -> dict[str, float]:
        return self.resources.utilisation(board)


def design_ops(root: Operation) -> Iterator[DataflowOp]:
    """The ops with a cost model under `root` (a module, a function or one block's parent), in program order."""
    for op in root.walk():
        if op is not root and isinstance(op, DataflowOp):
            yield op


def _edge_uses(values: Iterable[SSAValue]) -> Iterator[tuple[SSAValue, Operation]]:
    for value in values:
        if not isinstance(value.type, StreamType):
            continue
        for use in value.uses:
            yield value, use.operation


def _needs_default_fifo(value: SSAValue, consumer: Operation) -> bool:
    """Whether the edge gets an implicit depth-2 stream: not when a FIFO op is at either end."""
    if isinstance(value, OpResult) and isinstance(value.op, FifoOp):
        return False
    return not isinstance(consumer, FifoOp)


def design_edges(root: Operation) -> list[tuple[SSAValue, Operation]]:
    """Every (stream, consumer) pair under `root` that gets a default FIFO."""
    edges: list[tuple[SSAValue, Operation]] = []
    for op in root.walk():
        if op is root:
            continue
        for region in op.regions:
            for block in region.blocks:
                edges.extend((v, c) for v, c in _edge_uses(block.args) if _needs_default_fifo(v, c))
        if isinstance(op, DataflowOp):
            edges.extend((v, c) for v, c in _edge_uses(op.results) if _needs_default_fifo(v, c))
    return edges


_INPUTS = "inputs"
"""The node every op hangs from in `longest_path`'s graph: the design's inputs, ready at cycle 0."""


def longest_path(layers: Mapping[Operation, LayerCost]) -> int:
    """The longest path of pipeline depths through the ops of `layers`.

    An op starts when its last operand's producer has produced its first
    output: the graph has an edge from each producer to each consumer,
    weighted by the consumer's depth, and one from the inputs to every op.
    """
    graph = nx.DiGraph()
    for op, cost in layers.items():
        graph.add_edge(_INPUTS, op, depth=cost.pipeline_depth)
        for value in op.operands:
            if isinstance(value, OpResult) and value.op in layers:
                graph.add_edge(value.op, op, depth=cost.pipeline_depth)
    return nx.dag_longest_path_length(graph, weight="depth")


def analyse_network(root: Operation, ctx: CostContext = REFERENCE_CONTEXT) -> NetworkCost:
    """Cost the design under `root` (a `builtin.module` of one or more functions, or one `func.func`).

    Several functions in one module are one design: their resources add up
    and the interval is the slowest op of any of them.
    """
    layers = {op: op_cost(op, ctx) for op in design_ops(root)}
    edges = tuple(Edge(v, c, default_fifo_cost(v, ctx)) for v, c in design_edges(root))
    fifo_res = sum((e.resources for e in edges), Resources())
    total = sum((c.resources for c in layers.values()), Resources())
    bottleneck = None
    interval = 0
    for op, cost in layers.items():
        if cost.cycles > interval:
            interval, bottleneck = cost.cycles, op
    return NetworkCost(
        layers=layers,
        fifos=edges,
        fifo_resources=fifo_res,
        resources=total + fifo_res,
        interval=interval,
        latency=longest_path(layers),
        bottleneck=bottleneck,
    )


def macs_per_frame(root: Operation) -> int:
    """Multiply-accumulates of one frame: every op's `macs()` (convs with their side 1x1 convs, linears)."""
    return sum(op.macs() for op in design_ops(root))


def roofline_fps(dsp: int, macs_per_dsp_per_cycle: float, clock_mhz: float, macs_per_frame: int) -> float:
    """The compute roof: dsp * macs_per_dsp_per_cycle * clock / macs_per_frame frames per second.

    `macs_per_dsp_per_cycle` is 1, or 2 with int8 packing on a DSP48E2.
    """
    if dsp < 0 or macs_per_dsp_per_cycle <= 0 or clock_mhz <= 0 or macs_per_frame <= 0:
        raise ValueError(
            f"roofline_fps needs dsp >= 0 and positive rates, got {dsp}, {macs_per_dsp_per_cycle}, "
            f"{clock_mhz}, {macs_per_frame}"
        )
    return dsp * macs_per_dsp_per_cycle * clock_mhz * 1e6 / macs_per_frame
