"""Weight placement in the IR: write a layer's placement and its provider, share the DRAM, cost the result.

The DRAM model (docs/passes/offchip.md): all off-chip traffic of a frame
(network input, output, every streamed layer's reads x weights) shares the
board's derated bandwidth B = bandwidth_gbps * efficiency / clock bytes per
cycle.  Each DRAM port gets the share of its bytes, so every port needs the
same time per frame:

    T_dram = (in_bytes + out_bytes + sum_streams reads * weights * bits / 8) / B

and the design's interval is max(slowest op, T_dram).  The function records
`dataflow.dram = {bytes_per_frame, bytes_per_cycle, cycles}` (fpga-sim paces
the network input at `cycles` per frame); each `dataflow.weight_stream` gets
its `bytes_per_cycle`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, IntegerAttr, StringAttr, f64, i64
from xdsl.dialects.func import FuncOp
from xdsl.ir import Operation
from xdsl.rewriter import InsertPoint, Rewriter

from fpga_opt.backend.costs import CostContext, analyse_network
from fpga_opt.backend.costs.weights import generator_bytes_per_frame, stream_bytes_per_frame
from fpga_opt.backend.sim.first_frame import first_frame_cycles
from fpga_opt.backend.sim.graph import elaborate
from fpga_opt.backend.target.boards import Board
from fpga_opt.backend.target.offchip import dram_bytes_per_cycle
from fpga_opt.dialects.dataflow import (
    ConvOp,
    LinearOp,
    StreamType,
    WeightProviderOp,
    WeightsGeneratorOp,
    WeightStreamOp,
    check_weight_links,
    element_bitwidth,
    weight_placement,
)
from fpga_opt.dialects.dataflow.weights import DRAM_ATTR
from fpga_opt.dialects.errors import FpgaOptError

#: The suffix of a generated tensor's name: `conv1.w` -> `conv1.w.ovsf`.
GENERATED_SUFFIX = ".ovsf"


def weight_layers(func: FuncOp) -> list[Operation]:
    """The layers whose weights can be placed: convs and linears, in program order."""
    return [op for op in func.body.block.ops if isinstance(op, ConvOp | LinearOp)]


def original_tensor(layer: Operation) -> str:
    """The sidecar tensor of a layer's weights (a generated layer names the generator's output instead)."""
    name = layer.properties["weights"].data  # type: ignore[union-attr]
    if weight_placement(layer) == "generated" and name.endswith(GENERATED_SUFFIX):
        return name[: -len(GENERATED_SUFFIX)]
    return name


def _remove_provider(layer: Operation) -> None:
    links = check_weight_links(layer.parent_op())  # type: ignore[arg-type]
    provider = links.get(layer)
    if provider is not None:
        provider.detach()
        provider.erase()


def set_placement(
    layer: Operation,
    placement: str | None,
    *,
    ratio: float = 0.25,
    block: int = 1,
    coef_bits: int = 8,
    coefficients: str = "onchip",
) -> WeightProviderOp | None:
    """Write `placement` on `layer` (None: on chip, the cost model's mapping) and its provider, if any.

    The provider goes right before the layer; a DRAM stream starts with a
    placeholder share (`share_dram` sets the real one).
    """
    from fpga_opt.dialects.dataflow.weights import weight_reads_per_frame

    source = original_tensor(layer)
    if weight_placement(layer) in ("dram", "generated"):
        _remove_provider(layer)
    props = layer.properties
    props["weights"] = StringAttr(source)
    if placement is None:
        props.pop("weight_placement", None)
        return None
    props["weight_placement"] = StringAttr(placement)
    name = getattr(layer, "layer_name", "layer")
    weight_type = props["weight_type"]
    provider: WeightProviderOp | None = None
    if placement == "dram":
        provider = WeightStreamOp(
            weights=source,
            weight_type=weight_type,
            reads=weight_reads_per_frame(layer),
            bytes_per_cycle=1.0,
            layer=f"{name}.dram",
        )
    elif placement == "generated":
        generated = source + GENERATED_SUFFIX
        props["weights"] = StringAttr(generated)
        provider = WeightsGeneratorOp(
            weights=generated,
            source=source,
            weight_type=weight_type,
            ratio=ratio,
            block=block,
            coef_bits=coef_bits,
            coefficients=coefficients,
            layer=f"{name}.gen",
        )
    if provider is not None:
        Rewriter.insert_op(provider, InsertPoint.before(layer))
    return provider


# --------------------------------------------------------------------------
# DRAM traffic and shares
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class DramTraffic:
    """Bytes per frame on each DRAM port of a function, and the time they need."""

    inputs: int
    outputs: int
    streams: dict  # DRAM port (a weight stream, or a generator reading its coefficients from DRAM) -> bytes
    bytes_per_cycle: float

    @property
    def total(self) -> int:
        return self.inputs + self.outputs + sum(self.streams.values())

    @property
    def cycles(self) -> int:
        """T_dram: cycles per frame the DRAM needs for all of it."""
        return math.ceil(self.total / self.bytes_per_cycle) if self.total else 0

    @property
    def weight_share(self) -> float:
        """Fraction of the traffic that is streamed weights."""
        return sum(self.streams.values()) / self.total if self.total else 0.0


def _stream_bytes(values) -> int:
    total = 0
    for v in values:
        t = v.type
        if isinstance(t, StreamType):
            total += math.ceil(t.numel * element_bitwidth(t.element_type) / 8)
    return total


def dram_traffic(func: FuncOp, board: Board) -> DramTraffic:
    """The DRAM bytes per frame of `func` on `board` (its inputs and outputs go through DRAM too)."""
    links = check_weight_links(func)
    streams: dict[WeightProviderOp, int] = {}
    for layer, p in links.items():
        if isinstance(p, WeightStreamOp):
            streams[p] = stream_bytes_per_frame(p, layer)
        elif isinstance(p, WeightsGeneratorOp) and p.coefficients_in_dram:
            streams[p] = generator_bytes_per_frame(p, layer)
    ret = func.body.block.last_op
    outputs = _stream_bytes(ret.operands) if ret is not None else 0
    return DramTraffic(_stream_bytes(func.body.block.args), outputs, streams, dram_bytes_per_cycle(board))


def share_dram(func: FuncOp, board: Board) -> DramTraffic:
    """Give every weight stream the share of the bandwidth its bytes take, record `dataflow.dram` on `func`."""
    traffic = dram_traffic(func, board)
    for provider, nbytes in traffic.streams.items():
        share = traffic.bytes_per_cycle * nbytes / traffic.total
        provider.properties["bytes_per_cycle"] = FloatAttr(share, f64)
    if traffic.streams or traffic.total:
        func.attributes[DRAM_ATTR] = DictionaryAttr(
            {
                "bytes_per_frame": IntegerAttr(traffic.total, i64),
                "bytes_per_cycle": FloatAttr(traffic.bytes_per_cycle, f64),
                "cycles": IntegerAttr(traffic.cycles, i64),
            }
        )
    return traffic


# --------------------------------------------------------------------------
# The analytic model of a placed design
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacedCost:
    """A placed design's figures: compute interval, DRAM time, what binds (its latency: `first_frame_latency`)."""

    compute_interval: int
    dram_cycles: int
    bottleneck: str
    resources: object

    @property
    def interval(self) -> int:
        return max(self.compute_interval, self.dram_cycles)

    @property
    def binding(self) -> str:
        return "bandwidth" if self.dram_cycles > self.compute_interval else f"compute ({self.bottleneck})"


def placed_cost(func: FuncOp, board: Board, ctx: CostContext | None = None) -> PlacedCost:
    """interval = max(slowest op (DRAM ports included), T_dram)."""
    ctx = ctx or CostContext.for_board(board)
    cost = analyse_network(func, ctx)
    ports = set(dram_traffic(func, board).streams)
    layers = {op: c for op, c in cost.layers.items() if op not in ports}
    compute = max((c.cycles for c in layers.values()), default=0)
    slow = max(layers, key=lambda op: layers[op].cycles, default=None)
    name = slow.layer_name if slow is not None else "-"  # type: ignore[attr-defined]
    streams = max((c.cycles for op, c in cost.layers.items() if op in ports), default=0)
    traffic = dram_traffic(func, board)
    return PlacedCost(compute, max(traffic.cycles, streams), name, cost.resources)


def first_frame_latency(func: FuncOp, interval: int) -> int:
    """L = F - I: what the first frame takes beyond the interval, so that B frames take L + B I cycles.

    F is backend/sim/first_frame.py's: every op's own schedule (fill, pipeline depth, body, tail) run
    against when its input arrives (the paced DRAM read of the function's input, the producers' rates,
    streamed weights at their DRAM share).  Not the longest path of pipeline depths, which is when the
    first *element* of the output appears (docs/passes/offchip.md, section 7).  `func` must be in a module.
    """
    module = func.parent_op()
    if module is None:
        raise FpgaOptError(f"first-frame latency: @{func.sym_name.data} is not in a module")
    frame = first_frame_cycles(elaborate(module, func=func.sym_name.data))  # type: ignore[arg-type]
    return max(0, math.ceil(frame - 1e-6) - interval)


def require_links(func: FuncOp, what: str) -> None:
    try:
        check_weight_links(func)
    except FpgaOptError as error:
        raise FpgaOptError(f"{what}: {error}") from None
