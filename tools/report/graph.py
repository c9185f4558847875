"""The dataflow graph of a design, as a networkx DiGraph the report can lay out and draw.

One node per design op (`dataflow.*`), per function argument (an input port)
and per function result (an output port); one edge per stream, from its
producer to each reader.  Every node carries what the drawing shows, taken
from the IR and the report data: its kind (`layer`, `fifo`, `skip`,
`exit_buffer`, `fork`, `decision`, `merge`, `weight_stream`, `generator`,
`input`, `output`), its cost annotation, folding, FIFO depth, where a
layer's weights come from and, in an early-exit network, the fraction of
samples that reach it.  A weight provider (a DRAM stream or an on-chip
generator, docs/passes/offchip.md) has no stream operand: its edge goes to
the layer that reads its words.  A partitioned design is drawn one
partition (one function) at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import BlockArgument, Operation, OpResult, SSAValue

from fpga_opt.backend.costs.exit_rates import func_exit_structure, op_reach, recorded_probabilities
from fpga_opt.dialects.dataflow import (
    AddOp,
    ConditionalBufferOp,
    ConvOp,
    DataflowOp,
    ExitDecisionOp,
    ExitMergeOp,
    FifoOp,
    ForkOp,
    StreamType,
    WeightProviderOp,
    WeightsGeneratorOp,
    WeightStreamOp,
    weight_placement,
)
from fpga_opt.dialects.dataflow.weights import consumer_of


@dataclass
class NodeInfo:
    """What the report knows about one node of the graph."""

    key: str
    kind: str
    name: str
    op: str = ""
    """The op name without the dialect (`conv`, `buffer`, ...); empty for ports."""
    shape: str = ""
    """The stream shape it produces (ports: the port's), e.g. `32x32x16xi8`."""
    layer: dict[str, Any] = field(default_factory=dict)
    """The layer's row of the report data (cycles, resources, folding...); empty for ports."""
    depth: int | None = None
    """FIFOs: capacity in elements."""
    reach: float | None = None
    """Early exits: the fraction of network samples this op processes."""
    threshold: float | None = None
    """Exit decisions: the confidence threshold."""
    exit_index: int | None = None
    """Exit decisions and exit buffers: which exit."""
    leave: float | None = None
    """Exit decisions: the fraction of network samples leaving at this exit (the merge: at the final exit)."""
    placement: str | None = None
    """Layers: where the weights come from when not the cost model's on-chip memory (`dram`, `generated`...)."""
    provider: dict[str, Any] = field(default_factory=dict)
    """Weight providers: what the drawing says of them (reads per frame, DRAM bytes per frame, ratio...)."""
    bottleneck: bool = False
    """The op with the most cycles per network sample (the first of equals): it sets the interval."""

    @property
    def per_sample(self) -> float:
        """Cycles per network sample: the op's cycles, scaled by the fraction of samples reaching it."""
        if "per_sample" in self.layer:
            return float(self.layer["per_sample"])
        return float(self.layer.get("cycles", 0)) * (1.0 if self.reach is None else self.reach)


def _stream_shape(value: SSAValue) -> str:
    stream = value.type
    if isinstance(stream, StreamType):
        return "x".join(str(d.data) for d in stream.shape.data) + f"x{stream.element_type}"
    return str(stream)


def _feeds_residual_join(fifo: Operation) -> bool:
    """Whether the FIFO holds a residual branch: it feeds a conv's skip operand, or an add from a fork
    (or from a conv's forwarded side output), whatever the importer or a pass named it."""
    source = fifo.operands[0] if fifo.operands else None
    from_branch = isinstance(source, OpResult) and (isinstance(source.op, ForkOp) or source.index > 0)
    return any(
        (isinstance(use.operation, ConvOp) and use.index > 0) or (isinstance(use.operation, AddOp) and from_branch)
        for result in fifo.results
        for use in result.uses
    )


def _kind(op: Operation) -> str:
    if isinstance(op, WeightStreamOp):
        return "weight_stream"
    if isinstance(op, WeightsGeneratorOp):
        return "generator"
    if isinstance(op, ConditionalBufferOp):
        return "exit_buffer"
    if isinstance(op, FifoOp):
        layer = op.layer_name
        named_skip = ".skip" in layer or "skip" in layer.rsplit(".", 1)[-1]
        return "skip" if named_skip or _feeds_residual_join(op) else "fifo"
    if isinstance(op, ForkOp):
        return "fork"
    if isinstance(op, ExitDecisionOp):
        return "decision"
    if isinstance(op, ExitMergeOp):
        return "merge"
    return "layer"


def design_function(module: ModuleOp) -> FuncOp:
    """The function the report draws: the first one holding dataflow ops (else the first)."""
    funcs = [op for op in module.walk() if isinstance(op, FuncOp)]
    for func in funcs:
        if any(isinstance(op, DataflowOp) for op in func.body.block.ops):
            return func
    if not funcs:
        from fpga_opt.dialects.errors import FpgaOptError

        raise FpgaOptError("the module has no func.func to draw")
    return funcs[0]


def _port_names(func: FuncOp, attr: str, count: int, default: str) -> list[str]:
    names = func.attributes.get(attr)
    texts = [getattr(a, "data", "") for a in getattr(names, "data", ())]
    if len(texts) != count:
        texts = [f"{default}{i}" if count > 1 else default for i in range(count)]
    return texts


def design_graph(module: ModuleOp, layers: list[dict[str, Any]], func: FuncOp | None = None) -> nx.DiGraph:
    """The drawn graph of `func` (default: the module's design function); `layers` are fpga-report's rows of
    its ops, in op order."""
    func = func or design_function(module)
    graph = nx.DiGraph()
    block = func.body.block
    inputs = _port_names(func, "dataflow.input_names", len(block.args), "input")
    for i, arg in enumerate(block.args):
        graph.add_node(f"in{i}", info=NodeInfo(f"in{i}", "input", inputs[i], shape=_stream_shape(arg)))
    reach = _reach(func)
    rows = iter(layers)
    keys: dict[Operation, str] = {}
    decisions = 0
    for index, op in enumerate(block.ops):
        if isinstance(op, ReturnOp) or not isinstance(op, DataflowOp):
            continue
        key = f"op{index}"
        keys[op] = key
        info = NodeInfo(key, _kind(op), op.layer_name, op.name.removeprefix("dataflow."))
        info.layer = next(rows, {})
        info.shape = _stream_shape(op.results[0]) if op.results else ""
        info.reach = reach.get(op)
        if isinstance(op, FifoOp):
            info.depth = op.fifo_depth
        if isinstance(op, WeightProviderOp):
            info.provider = _provider_facts(op)
        else:
            info.placement = weight_placement(op)
        if isinstance(op, ExitDecisionOp):
            info.threshold = op.threshold_value
            info.exit_index = decisions
            decisions += 1
        graph.add_node(key, info=info)
        for value in op.operands:
            source = _source_key(value, keys)
            if source is not None:
                graph.add_edge(source, key, shape=_stream_shape(value))
    returns = [op for op in block.ops if isinstance(op, ReturnOp)]
    results = list(returns[0].operands) if returns else []
    outputs = _port_names(func, "dataflow.output_names", len(results), "output")
    for i, value in enumerate(results):
        graph.add_node(f"out{i}", info=NodeInfo(f"out{i}", "output", outputs[i], shape=_stream_shape(value)))
        source = _source_key(value, keys)
        if source is not None:
            graph.add_edge(source, f"out{i}", shape=_stream_shape(value))
    for op, key in keys.items():  # a provider's words go to the layer that reads them
        layer = consumer_of(op) if isinstance(op, WeightProviderOp) else None
        if layer is not None and layer in keys:
            graph.add_edge(key, keys[layer], shape=str(op.weight_type), weights=True)
    _number_exit_buffers(graph)
    _mark_exit_rates(graph, _probabilities(func))
    graph.graph["interval"] = _mark_bottleneck(graph)
    return graph


def _provider_facts(op: WeightProviderOp) -> dict[str, Any]:
    """Reads per frame and DRAM bytes per frame of a weight stream; ratio, block and where the coefficients
    live for a generator (its DRAM bytes when they are read from DRAM)."""
    from fpga_opt.backend.costs.weights import generator_bytes_per_frame, stream_bytes_per_frame

    layer = consumer_of(op)
    facts: dict[str, Any] = {"tensor": op.tensor}
    if isinstance(op, WeightStreamOp):
        facts.update(reads=op.reads_per_frame, bytes_per_cycle=op.share)
        if layer is not None:
            facts["dram_bytes_per_frame"] = stream_bytes_per_frame(op, layer)
    elif isinstance(op, WeightsGeneratorOp):
        facts.update(ratio=op.ratio_value, block=op.block_channels, coefficients=op.coefficients.data)
        if op.coefficients_in_dram:
            facts["bytes_per_cycle"] = op.share
            if layer is not None:
                facts["dram_bytes_per_frame"] = generator_bytes_per_frame(op, layer)
    return facts


def _mark_bottleneck(graph: nx.DiGraph) -> float:
    """Flag the op with the most cycles per sample and return them (the interval the bars are drawn against)."""
    costed = [data["info"] for _, data in graph.nodes(data=True) if data["info"].layer]
    if not costed:
        return 0.0
    slowest = max(costed, key=lambda info: info.per_sample)  # max keeps the first of equals
    slowest.bottleneck = True
    return slowest.per_sample


def _probabilities(func: FuncOp) -> list[float] | None:
    try:
        return recorded_probabilities(func)
    except Exception:  # malformed rates are drawn as absent
        return None


def _mark_exit_rates(graph: nx.DiGraph, probabilities: list[float] | None) -> None:
    if not probabilities:
        return
    for _, data in graph.nodes(data=True):
        info: NodeInfo = data["info"]
        if info.kind == "decision" and info.exit_index is not None and info.exit_index < len(probabilities):
            info.leave = probabilities[info.exit_index]
        elif info.kind == "merge":
            info.leave = probabilities[-1]


def _source_key(value: SSAValue, keys: dict[Operation, str]) -> str | None:
    if isinstance(value, BlockArgument):
        return f"in{value.index}"
    if isinstance(value, OpResult):
        return keys.get(value.op)
    return None


def _reach(func: FuncOp) -> dict[Operation, float]:
    """Each op's share of the network's samples in a split early-exit function (empty otherwise)."""
    try:
        structure = func_exit_structure(func)
    except Exception:  # a malformed exit structure is drawn without reach, not refused
        return {}
    probabilities = _probabilities(func)
    if structure is None or probabilities is None or len(probabilities) != structure.num_exits:
        return {}
    return op_reach(structure, probabilities)


def _number_exit_buffers(graph: nx.DiGraph) -> None:
    """Exit buffers take the index of the decision they read (exit k's buffer holds stage k+1's features)."""
    for key, data in graph.nodes(data=True):
        info: NodeInfo = data["info"]
        if info.kind != "exit_buffer":
            continue
        for ancestor in nx.ancestors(graph, key):
            other: NodeInfo = graph.nodes[ancestor]["info"]
            if other.kind == "decision" and other.exit_index is not None:
                info.exit_index = max(info.exit_index or 0, other.exit_index)


def exit_probabilities(module: ModuleOp) -> list[float] | None:
    """The recorded fraction of samples leaving at each exit (None: not an early-exit network, or not profiled)."""
    return _probabilities(design_function(module))
