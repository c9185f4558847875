"""Residual-block analysis: which pixels each stream needs, and how deep a skip FIFO must be.

`minimize-residual-buffers` sizes the FIFO on the short (skip) branch of every
residual join.  Its depth is the largest number of skip-stream elements that
are produced but not yet consumed while the long branch waits for its input.
This module computes that in two parts (docs/passes/resnet.md has the
derivation):

1. **Data dependence, exact and rate-independent.**  For every stream `v`
   downstream of an *origin* stream `x` (the tensor the fork or the first conv
   of the block reads), `need(v)[p]` is the last pixel of `x`, in raster
   order, that must have arrived before pixel `p` of `v` can be produced.  A
   windowed op's output pixel `(i, j)` needs its window's bottom-right input
   pixel `(i*s_h - pad_t + K_h - 1, j*s_w - pad_l + K_w - 1)` (clamped to the
   frame); pointwise ops need the same pixel; global pooling and linear layers
   need the whole frame.  Streams are in raster order, so `need` is a running
   maximum.  When the long branch needs pixel `need_long[p]` of `x` to emit
   its pixel `p`, the skip FIFO holds every skip pixel already available
   (`need_skip[q] <= need_long[p]`) minus the `p` already consumed; the
   largest such count is the depth below which the design deadlocks, at any
   folding.  For two 3x3 'same' convs on a W x C tensor it is about
   `2W + 3` pixels, i.e. `(K-1)*W*C + (K-1)*C + C` elements (DESIGN.md).

2. **Timing slack, from the op cost models.**  After its last input arrives
   the long branch still computes: per layer one output pixel (`per_pixel`
   cycles) plus the multiplier / adder / I/O pipeline.  During that time the
   fork keeps writing the skip stream at the network's steady rate
   (`numel / interval` elements per cycle, the interval being the slowest
   layer's cycles per frame).  Those elements are added to the depth, plus a
   margin of whole skip pixels for the burstiness of pixel-at-a-time
   producers.

The cost numbers come from `layer_costs` below, the one place that maps a
dataflow op onto `passes/analysis/layer_models.py`.  When the ops gain a cost
interface of their own (`passes/analysis/op_costs.py`), only that function
needs to switch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from math import ceil

import numpy as np
from xdsl.dialects.builtin import IntegerType
from xdsl.ir import Block, Operation, OpResult, SSAValue

from fpga_opt.dialects.dataflow import (
    ActivationOp,
    AddOp,
    BufferOp,
    ConcatOp,
    ConditionalBufferOp,
    ConvOp,
    ForkOp,
    GlobalPoolOp,
    LinearOp,
    PoolOp,
    RequantAttr,
    RequantizeOp,
    SoftmaxOp,
    StreamType,
)
from fpga_opt.passes.analysis import layer_models as lm
from fpga_opt.passes.analysis.resources import (
    Resources,
    dsp_per_multiply,
    fifo_resources,
)

# --------------------------------------------------------------------------------------
# Graph helpers
# --------------------------------------------------------------------------------------


def stream_of(value: SSAValue) -> StreamType:
    assert isinstance(value.type, StreamType), value.type
    return value.type


def strip_buffers(value: SSAValue) -> tuple[SSAValue, list[BufferOp]]:
    """Follow `value` back through `dataflow.buffer`s: (the first non-buffer value, the buffers passed).

    The buffers are listed from `value` backwards.
    """
    buffers: list[BufferOp] = []
    while isinstance(value, OpResult) and isinstance(value.op, BufferOp):
        buffers.append(value.op)
        value = value.op.input
    return value, buffers


def fork_of(value: SSAValue) -> ForkOp | None:
    """The fork whose result `value` is (through buffers), if any."""
    source, _ = strip_buffers(value)
    if isinstance(source, OpResult) and isinstance(source.op, ForkOp):
        return source.op
    return None


def single_user(value: SSAValue) -> Operation | None:
    """The one operation reading `value`, or None if it has zero or several uses."""
    if len(value.uses) != 1:
        return None
    return next(iter(value.uses)).operation


def window_props(op: ConvOp | PoolOp) -> tuple[tuple[int, int], tuple[int, int], tuple[int, ...]]:
    kernel = tuple(op.kernel.get_values())
    stride = tuple(op.stride.get_values())
    pad = tuple(op.pad.get_values())
    return kernel, stride, pad  # type: ignore[return-value]


def is_same_window(op: ConvOp) -> bool:
    """An odd kernel whose top/left padding puts the window centre on an input pixel."""
    (kh, kw), _, pad = window_props(op)
    return kh % 2 == 1 and kw % 2 == 1 and pad[0] == kh // 2 and pad[1] == kw // 2


def topological_sort(block: Block) -> None:
    """Reorder `block` so that every operand is defined before its use (stable otherwise).

    Rewrites that move a result onto another op (a side result, a folded skip)
    may leave a user above its new producer; this restores SSA dominance.
    """
    ops = list(block.ops)
    position = {op: i for i, op in enumerate(ops)}
    placed: set[Operation] = set()
    order: list[Operation] = []

    def visit(op: Operation) -> None:
        stack = [(op, False)]
        while stack:
            current, expanded = stack.pop()
            if current in placed:
                continue
            if expanded:
                placed.add(current)
                order.append(current)
                continue
            stack.append((current, True))
            deps = [
                v.op
                for v in current.operands
                if isinstance(v, OpResult) and v.op in position and v.op not in placed
            ]
            for dep in sorted(deps, key=position.__getitem__, reverse=True):
                stack.append((dep, False))

    for op in ops:
        visit(op)
    if order == ops:
        return
    for op in ops:
        op.detach()
    for op in order:
        block.add_op(op)


# --------------------------------------------------------------------------------------
# 1. Pixel dependence
# --------------------------------------------------------------------------------------


def window_need(
    need_in: np.ndarray,
    inp: StreamType,
    out: StreamType,
    kernel: Sequence[int],
    stride: Sequence[int],
    pad: Sequence[int],
) -> np.ndarray:
    """need of a sliding window's output: the need of each window's bottom-right input pixel."""
    h_in, w_in, _ = inp.dims
    h_out, w_out, _ = out.dims
    rows = np.clip(np.arange(h_out) * stride[0] - pad[0] + kernel[0] - 1, 0, h_in - 1)
    cols = np.clip(np.arange(w_out) * stride[1] - pad[1] + kernel[1] - 1, 0, w_in - 1)
    last = (rows[:, None] * w_in + cols[None, :]).ravel()
    return need_in[last]


class PixelDependence:
    """`need(v)`: for each pixel of stream `v`, the last pixel of `origin` it depends on.

    Values that do not depend on the origin give None.  Arrays are running
    maxima (streams are in raster order), of length H*W of the stream.
    """

    def __init__(self, origin: SSAValue):
        self.origin = origin
        self._memo: dict[SSAValue, np.ndarray | None] = {}
        owner = origin.owner
        self._block = owner.parent_block() if isinstance(owner, Operation) else owner
        self._index: dict[Operation, int] = {}
        if isinstance(self._block, Block):
            self._index = {op: i for i, op in enumerate(self._block.ops)}
        self._origin_index = self._index.get(owner, -1) if isinstance(owner, Operation) else -1

    def need(self, value: SSAValue) -> np.ndarray | None:
        if value in self._memo:
            return self._memo[value]
        # Iterative post-order over producers, so deep networks do not hit the recursion limit.
        stack: list[tuple[SSAValue, bool]] = [(value, False)]
        while stack:
            current, ready = stack.pop()
            if current in self._memo:
                continue
            if current == self.origin:
                pixels = stream_of(current).height * stream_of(current).width
                self._memo[current] = np.arange(pixels, dtype=np.int64)
                continue
            inputs = self._inputs(current)
            if inputs is None:
                self._memo[current] = None
                continue
            if not ready:
                stack.append((current, True))
                stack.extend((v, False) for v in inputs if v not in self._memo)
                continue
            self._memo[current] = self._compute(current)
        return self._memo[value]

    def _inputs(self, value: SSAValue) -> list[SSAValue] | None:
        """The operands `value` depends on, or None if it cannot depend on the origin."""
        if not isinstance(value, OpResult):
            return None  # a block argument other than the origin
        op = value.op
        if self._index and self._index.get(op, -1) <= self._origin_index:
            return None  # defined above the origin: independent of it
        if not isinstance(value.type, StreamType):
            return None
        return list(op.operands)

    def _compute(self, value: SSAValue) -> np.ndarray | None:
        assert isinstance(value, OpResult)
        op = value.op
        out = stream_of(value)
        pixels = out.height * out.width

        def dep(v: SSAValue) -> np.ndarray | None:
            return self._memo.get(v)

        result: np.ndarray | None
        if isinstance(op, ConvOp | PoolOp):
            need_in = dep(op.input)
            result = None
            if need_in is not None:
                kernel, stride, pad = window_props(op)
                result = window_need(need_in, stream_of(op.input), out, kernel, stride, pad)
            # The epilogue waits for the skip stream; a side result is emitted with the
            # window (it does not wait for the skip), which is the earlier, conservative time.
            if isinstance(op, ConvOp) and op.skip is not None and value == op.output:
                result = _combine(result, dep(op.skip))
        elif isinstance(op, GlobalPoolOp | LinearOp):
            need_in = dep(op.input)
            result = None if need_in is None else np.full(pixels, need_in[-1], dtype=np.int64)
        else:
            # Pointwise and plumbing ops (fork, buffer, add, concat, requantize, activation,
            # softmax, conditional buffer, ...): pixel p needs pixel p of every operand,
            # or a whole operand when its shape differs (a decision stream).
            result = None
            for v in op.operands:
                need_v = dep(v)
                if need_v is None:
                    continue
                if need_v.shape[0] != pixels:
                    need_v = np.full(pixels, need_v[-1], dtype=np.int64)
                result = _combine(result, need_v)
        if result is not None:
            result = np.maximum.accumulate(result)
        return result


def _combine(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    if b is None:
        return a
    return np.maximum(a, b)


def skip_occupancy_pixels(need_long: np.ndarray, need_skip: np.ndarray) -> int:
    """Most skip pixels ever waiting at the join (the deadlock-free minimum, in pixels).

    When the long branch needs origin pixel `need_long[p]` to produce its pixel
    `p`, every skip pixel `q` with `need_skip[q] <= need_long[p]` must already
    have been accepted, and the join has consumed skip pixels `0..p-1`.
    """
    if need_long.shape != need_skip.shape:
        raise ValueError(f"join operands differ in pixels: {need_long.shape} vs {need_skip.shape}")
    available = np.searchsorted(np.maximum.accumulate(need_skip), need_long, side="right")
    waiting = available - np.arange(need_long.shape[0])
    return max(0, int(waiting.max()))


# --------------------------------------------------------------------------------------
# 2. Cost models of dataflow ops (the one place to switch to an op cost interface)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostOptions:
    """How ops map onto hardware: the board's DSP slice and whether int8 products pack in pairs."""

    dsp_type: str = "DSP48E2"
    packing: bool = True
    allow_uram: bool = False


def _bits(t: StreamType) -> int:
    return t.bitwidth


def _is_float(t: StreamType) -> bool:
    return not isinstance(t.element_type, IntegerType)


def _int(attr) -> int:  # IntegerAttr property
    return attr.value.data


def requant_resources(
    requant: RequantAttr | None, lanes: int, in_bits: int, out_bits: int, dsp_type: str = "DSP48E2"
) -> tuple[Resources, int]:
    """One fused rescale stage per lane: (resources, latency).

    A power-of-two multiplier is a shift (no multiply); otherwise the
    `in_bits` x `bits(multiplier)` product on DSPs.  Then a rounding adder and
    a saturating clamp (two comparators and a multiplexer).
    """
    if requant is None:
        return Resources(), 0
    m = requant.multiplier.data
    mult_bits = m.bit_length() + 1  # signed operand
    product_bits = in_bits + mult_bits
    res = lm._adders(lanes, product_bits) + Resources(lut=lanes * 3 * out_bits, ff=lanes * out_bits)
    latency = 2
    if m & (m - 1):
        res += Resources(dsp=lanes * dsp_per_multiply(in_bits, mult_bits, dsp_type))
        latency += lm.DSP_MULTIPLY_LATENCY
    return res, latency


def _const_multiply(value: int, lanes: int, bits: int) -> Resources:
    """Multiplying a stream by an integer constant: free for 1, a shift for a power of two,
    else shift-and-add in LUTs (one adder per extra set bit)."""
    if value in (0, 1) or value & (value - 1) == 0:
        return Resources()
    return lm._adders(lanes * (bin(value).count("1") - 1), bits + value.bit_length())


def conv_layer_cost(op: ConvOp, options: CostOptions = CostOptions()) -> lm.LayerCost:
    """A conv, fused forms included.

    * the plain conv: `layer_models.conv_cost`, plus its requant stage;
    * `skip`: per output lane two constant multiplies (acc_mult, skip_mult),
      an `acc_bits` adder and the skip_requant stage, in the epilogue;
    * `side` forward: one output register per lane (the centre pixel is
      already in the window registers);
    * `side` with side_weights: a 1x1 conv of the centre pixel with the conv's
      own coarse_in x coarse_out lanes (the dialect ties the side conv's
      folding to the main conv's), its weights, bias and requant, but no
      window, no line buffer and no control of its own.
    `reuse` (temporal reuse, if the op has it) divides the compute term and
    multiplies the multipliers; see `apply_reuse`.
    """
    inp, out = stream_of(op.input), stream_of(op.output)
    (kh, kw), (sh, sw), pad = window_props(op)
    float32 = _is_float(out)
    in_bits = 32 if float32 else _bits(inp)
    weight_bits = 32 if float32 else _weight_bits(op)
    acc_bits = 32
    folding = op.folding()
    cost = lm.conv_cost(
        h_in=inp.height,
        w_in=inp.width,
        c_in=inp.channels,
        c_out=out.channels,
        kh=kh,
        kw=kw,
        stride_h=sh,
        stride_w=sw,
        pad_t=pad[0],
        pad_l=pad[1],
        pad_b=pad[2],
        pad_r=pad[3],
        groups=_int(op.groups),
        in_bits=in_bits,
        weight_bits=weight_bits,
        acc_bits=acc_bits,
        bias_bits=(32 if op.bias is not None else 0),
        coarse_in=folding["coarse_in"],
        coarse_out=folding["coarse_out"],
        coarse_group=folding["coarse_group"],
        fine=folding["fine"],
        packing=options.packing,
        allow_uram=options.allow_uram,
        dsp_type=options.dsp_type,
        float32=float32,
    )
    cost = apply_reuse(op, cost, in_bits=in_bits, weight_bits=weight_bits, options=options)
    lanes = folding["coarse_out"] * folding["coarse_group"]
    extra = Resources()
    latency = 0
    cycles = cost.cycles
    if not float32:
        first_out_bits = _bits(out) if op.skip is None else acc_bits
        res, lat = requant_resources(op.requant, lanes, acc_bits, first_out_bits, options.dsp_type)
        extra, latency = extra + res, latency + lat
    if op.skip is not None:
        skip = stream_of(op.skip)
        extra += _const_multiply(_int(op.acc_mult), lanes, acc_bits)
        extra += _const_multiply(_int(op.skip_mult), lanes, _bits(skip))
        if float32:
            extra += Resources(dsp=lanes * 2, lut=lanes * lm.FLOAT32_ADD_LUT, ff=lanes * lm.FLOAT32_ADD_FF)
            latency += lm.FLOAT32_ADD_LATENCY
        else:
            extra += lm._adders(lanes, acc_bits)
            res, lat = requant_resources(op.skip_requant, lanes, acc_bits, _bits(out), options.dsp_type)
            extra, latency = extra + res, latency + 1 + lat
        extra += Resources(ff=lanes * _bits(skip))  # skip input register
    if op.side is not None:
        side = stream_of(op.side)
        if op.side_weights is None:
            extra += Resources(ff=folding["coarse_in"] * folding["coarse_group"] * _bits(side))
        else:
            side_cost = lm.conv_cost(
                h_in=side.height,
                w_in=side.width,
                c_in=inp.channels,
                c_out=side.channels,
                kh=1,
                kw=1,
                in_bits=in_bits,
                weight_bits=weight_bits,
                acc_bits=acc_bits,
                bias_bits=(32 if op.side_bias is not None else 0),
                coarse_in=folding["coarse_in"],
                coarse_out=folding["coarse_out"],
                packing=options.packing,
                allow_uram=options.allow_uram,
                dsp_type=options.dsp_type,
                float32=float32,
            )
            extra += side_cost.resources + Resources(lut=-lm.CONTROL_LUT, ff=-lm.CONTROL_FF)
            if not float32:
                res, _ = requant_resources(op.side_requant, folding["coarse_out"], acc_bits, _bits(side), options.dsp_type)
                extra += res
            cycles = max(cycles, side_cost.cycles)
    return lm.LayerCost(cycles, cost.pipeline_depth + latency, cost.resources + extra)


def _weight_bits(op: ConvOp | LinearOp) -> int:
    t = op.weight_type
    return t.width.data if isinstance(t, IntegerType) else 32


def conv_reuse(op: ConvOp) -> int:
    """The op's temporal-reuse factor (1 when the dialect has no `reuse` property)."""
    attr = op.properties.get("reuse")
    return 1 if attr is None else attr.value.data  # type: ignore[union-attr]


def apply_reuse(
    op: ConvOp, cost: lm.LayerCost, *, in_bits: int, weight_bits: int, options: CostOptions
) -> lm.LayerCost:
    """Temporal reuse R: each weight word read serves R consecutive output pixels of a row.

    The R windows are computed side by side: R times the multipliers and
    adder trees (the R products of one weight share that operand, so with
    int8 packing two of them fill one DSP48E2 even when coarse_out = 1), the
    window registers widen by (R-1)*stride_w columns, but the weight memory
    is read once per R pixels: its width and depth do not change.  Compute
    cycles divide by R; the input term (every input element is read once)
    does not.  The first output waits for (R-1)*stride_w more input pixels.
    """
    reuse = conv_reuse(op)
    if reuse == 1:
        return cost
    inp, out = stream_of(op.input), stream_of(op.output)
    (kh, kw), (sh, sw), pad = window_props(op)
    f = op.folding()
    in_lanes = f["coarse_in"] * f["coarse_group"]
    groups = _int(op.groups)
    mult_lanes = f["coarse_in"] * f["coarse_out"] * f["coarse_group"] * f["fine"]
    in_cycles = inp.numel // in_lanes
    compute = out.height * out.width * (inp.channels // groups) * out.channels * kh * kw // mult_lanes
    cycles = max(in_cycles, -(-compute // reuse))
    # (reuse - 1) more copies of the MAC array.  Products of one weight share that operand, so
    # with int8 packing on DSP48E2 any two products (along coarse_out or along reuse) fill one DSP.
    extra_mults = mult_lanes * (reuse - 1)
    if options.packing and options.dsp_type == "DSP48E2" and max(in_bits, weight_bits) <= 8:
        per_in_lane = f["coarse_in"] * f["fine"] * f["coarse_group"]
        dsp_total = per_in_lane * -(-(f["coarse_out"] * reuse) // 2)
        extra_dsp = max(0, dsp_total - cost.resources.dsp)
    else:
        extra_dsp = extra_mults * dsp_per_multiply(in_bits, weight_bits, options.dsp_type)
    product_bits = in_bits + weight_bits
    extra = Resources(dsp=extra_dsp) + lm._adders(extra_mults, product_bits + 4)
    window_bits = kh * (reuse - 1) * sw * in_lanes * in_bits
    extra += Resources(lut=lm.WINDOW_LUT_PER_BIT * window_bits, ff=window_bits)
    depth = cost.pipeline_depth + (reuse - 1) * sw * inp.channels // in_lanes
    return lm.LayerCost(cycles, depth, cost.resources + extra)


def layer_costs(op: Operation, options: CostOptions = CostOptions()) -> lm.LayerCost | None:
    """The cost of one dataflow op (None for ops without a hardware model, e.g. func.return).

    This is the adapter between the IR and `layer_models`; swap it for the ops'
    own cost interface once that exists.
    """
    if isinstance(op, ConvOp):
        return conv_layer_cost(op, options)
    if not op.results or not isinstance(op.results[0].type, StreamType):
        return None
    out = stream_of(op.results[0])
    coarse = op.folding().get("coarse", 1) if hasattr(op, "folding") else 1
    h, w, c = out.dims
    if isinstance(op, LinearOp):
        inp = stream_of(op.input)
        float32 = _is_float(out)
        cost = lm.linear_cost(
            c_in=inp.numel,
            c_out=out.channels,
            in_bits=32 if float32 else inp.bitwidth,
            weight_bits=32 if float32 else _weight_bits(op),
            bias_bits=32 if op.bias is not None else 0,
            coarse_in=_int(op.coarse_in),
            coarse_out=_int(op.coarse_out),
            packing=options.packing,
            allow_uram=options.allow_uram,
            dsp_type=options.dsp_type,
            float32=float32,
        )
        if not float32:
            res, lat = requant_resources(op.requant, _int(op.coarse_out), 32, out.bitwidth, options.dsp_type)
            cost = lm.LayerCost(cost.cycles, cost.pipeline_depth + lat, cost.resources + res)
        return cost
    if isinstance(op, PoolOp):
        inp = stream_of(op.input)
        (kh, kw), (sh, sw), pad = window_props(op)
        cost = lm.pool_cost(
            h_in=inp.height,
            w_in=inp.width,
            c=inp.channels,
            kh=kh,
            kw=kw,
            stride_h=sh,
            stride_w=sw,
            pad_t=pad[0],
            pad_l=pad[1],
            pad_b=pad[2],
            pad_r=pad[3],
            bits=inp.bitwidth,
            coarse=coarse,
            kind=op.mode.data,
            allow_uram=options.allow_uram,
            dsp_type=options.dsp_type,
        )
        res, lat = requant_resources(op.requant, coarse, 32, out.bitwidth, options.dsp_type) if out.is_integer else (Resources(), 0)
        return lm.LayerCost(cost.cycles, cost.pipeline_depth + lat, cost.resources + res)
    if isinstance(op, GlobalPoolOp):
        inp = stream_of(op.input)
        cost = lm.global_pool_cost(
            h=inp.height,
            w=inp.width,
            c=inp.channels,
            bits=inp.bitwidth,
            coarse=coarse,
            kind=op.mode.data,
            allow_uram=options.allow_uram,
            dsp_type=options.dsp_type,
        )
        res, lat = requant_resources(op.requant, coarse, 32, out.bitwidth, options.dsp_type) if out.is_integer else (Resources(), 0)
        return lm.LayerCost(cost.cycles, cost.pipeline_depth + lat, cost.resources + res)
    if isinstance(op, AddOp):
        lhs, rhs = stream_of(op.lhs), stream_of(op.rhs)
        bits = 32 if _is_float(out) else max(lhs.bitwidth, rhs.bitwidth) + 8
        cost = lm.add_cost(h=h, w=w, c=c, bits=bits, coarse=coarse)
        res = Resources()
        lat = 0
        if out.is_integer:
            res += _const_multiply(_int(op.lhs_mult), coarse, lhs.bitwidth)
            res += _const_multiply(_int(op.rhs_mult), coarse, rhs.bitwidth)
            r, lat = requant_resources(op.requant, coarse, bits, out.bitwidth, options.dsp_type)
            res += r
        else:
            res += Resources(dsp=2 * coarse)
        return lm.LayerCost(cost.cycles, cost.pipeline_depth + lat, cost.resources + res)
    if isinstance(op, ForkOp):
        return lm.fork_cost(h=h, w=w, c=c, bits=out.bitwidth, coarse=coarse, n_outputs=len(op.outputs))
    if isinstance(op, BufferOp):
        return buffer_cost(op, lanes=1, options=options)
    if isinstance(op, ConcatOp):
        channels = [stream_of(v).channels for v in op.inputs]
        return lm.concat_cost(h=h, w=w, channels=channels, bits=out.bitwidth, coarse=coarse)
    if isinstance(op, RequantizeOp):
        inp = stream_of(op.input)
        res, lat = requant_resources(op.requant, coarse, inp.bitwidth, out.bitwidth, options.dsp_type)
        control = Resources(lut=lm.SIMPLE_CONTROL_LUT, ff=lm.SIMPLE_CONTROL_FF)
        return lm.LayerCost(h * w * c // coarse, lat + lm.IO_LATENCY, res + control)
    if isinstance(op, ActivationOp):
        kind = op.activation.kind.data
        if not out.is_integer:
            return lm.LayerCost(h * w * c // coarse, 2 + lm.IO_LATENCY, Resources(lut=coarse * 3 * 32 + 40, ff=40))
        return lm.activation_cost(h=h, w=w, c=c, bits=out.bitwidth, coarse=coarse, kind=kind)
    if isinstance(op, SoftmaxOp | ConditionalBufferOp):
        return lm.LayerCost(h * w * c // coarse, lm.IO_LATENCY, Resources(lut=lm.SIMPLE_CONTROL_LUT))
    return None


def buffer_cost(op: BufferOp, *, lanes: int = 1, options: CostOptions = CostOptions()) -> lm.LayerCost:
    """A FIFO of `depth` elements stored as words of `lanes` elements."""
    s = stream_of(op.output)
    depth = _int(op.depth)
    words = -(-depth // lanes)
    res = fifo_resources(s.bitwidth * lanes, words, options.allow_uram) if depth else Resources()
    return lm.LayerCost(s.numel // lanes, 1, res)


def network_interval(ops: Iterable[Operation], options: CostOptions = CostOptions()) -> int:
    """Cycles per frame of the slowest op: the steady-state interval of the whole pipeline."""
    worst = 1
    for op in ops:
        cost = layer_costs(op, options)
        if cost is not None:
            worst = max(worst, cost.cycles)
    return worst


def post_window_latency(op: Operation, options: CostOptions = CostOptions()) -> int:
    """Cycles from an op's last needed input to its output: its depth minus the window fill.

    The window fill is already counted, exactly, by the pixel dependence; what
    remains is computing one output pixel and the arithmetic/I-O pipeline.
    """
    cost = layer_costs(op, options)
    if cost is None:
        return 0
    if isinstance(op, ConvOp | PoolOp):
        inp = stream_of(op.input)
        (kh, kw), _, pad = window_props(op)
        lanes = op.folding().get("coarse_in", op.folding().get("coarse", 1)) * op.folding().get("coarse_group", 1)
        row = inp.width + pad[1] + pad[3]
        fill = ((kh - 1) * row + (kw - 1)) * inp.channels // lanes
        return max(0, cost.pipeline_depth - fill)
    if isinstance(op, GlobalPoolOp | LinearOp):
        return lm.IO_LATENCY + lm.DSP_MULTIPLY_LATENCY
    return cost.pipeline_depth


# --------------------------------------------------------------------------------------
# Skip FIFO sizing
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkipSizing:
    """How a skip FIFO's depth was computed (all counts in elements of the skip stream)."""

    depth: int
    occupancy: int
    """Elements waiting at the join at the worst moment (data dependence, rate-independent)."""
    slack: int
    """Elements the fork writes while the long branch computes its last pixel (timing)."""
    margin: int
    """Extra whole pixels (burstiness)."""
    full_tensor: int
    """H*W*C of the skip stream: what a naive design buffers."""


def branch_ops(long_value: SSAValue, origin: SSAValue) -> list[Operation]:
    """The ops on the long branch, walking back from `long_value` to `origin` along first operands."""
    ops: list[Operation] = []
    value = long_value
    seen: set[Operation] = set()
    while value != origin and isinstance(value, OpResult) and value.op not in seen:
        seen.add(value.op)
        ops.append(value.op)
        if not value.op.operands:
            break
        value = value.op.operands[0]
    return ops


def size_skip_fifo(
    origin: SSAValue,
    long_value: SSAValue,
    skip_value: SSAValue,
    *,
    interval: int,
    lanes: int = 1,
    margin_pixels: int = 1,
    options: CostOptions = CostOptions(),
) -> SkipSizing | None:
    """Depth of a FIFO placed on `skip_value` just before the join that also reads `long_value`.

    `origin` is the stream both branches descend from; `interval` the network's
    cycles per frame.  Returns None if either branch does not depend on the origin.
    """
    deps = PixelDependence(origin)
    need_long = deps.need(long_value)
    need_skip = deps.need(skip_value)
    if need_long is None or need_skip is None:
        return None
    skip = stream_of(skip_value)
    occupancy = skip_occupancy_pixels(need_long, need_skip) * skip.channels
    latency = sum(post_window_latency(op, options) for op in branch_ops(long_value, origin))
    slack = ceil(latency * skip.numel / max(1, interval))
    margin = margin_pixels * skip.channels
    depth = occupancy + slack + margin
    depth = max(2, -(-depth // lanes) * lanes)
    return SkipSizing(depth, occupancy, slack, margin, skip.numel)
