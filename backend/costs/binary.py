"""The cost models of the binarised layers, tiled (the HLS kernels) and unrolled (the Verilog backend).

Tiled (`COST_MODELS`): FINN's MVAU and fpgaConvNet's conv with the
multipliers replaced by XNOR gates and the adder trees by popcounts; a LUT
layer evaluates `coarse_out` outputs (all their operators) per cycle over an
input vector held in registers, each operator a table word read from memory
and K input multiplexers.

Unrolled (`unrolled_network_cost`): what the Verilog backend builds, one
piece of logic per element, counted from the structure (docs/lutnet.md,
"Cost model"):

* a popcount of `t` one-bit terms is a balanced binary tree of adders; an
  adder of two values whose larger one needs `w` bits costs `w` LUTs (one per
  bit in front of the carry chain: UG474's CARRY4, yosys' `$alu` mapping),
  and its comparison with a constant threshold one LUT per bit of the count;
* an XNOR with a constant weight is a wire or an inverter (0 LUTs, absorbed
  into the adders); a LUT operator whose truth table depends on two or more of
  its inputs is one LUT (K <= 6), otherwise a wire, an inverter or a constant;
* a comparator of a `w`-bit input against a constant is a function of `w`
  bits: one LUT6 for up to 6, then a chain adding 5 bits per LUT6;
* max pooling of bits is an OR: one LUT6 per 6 inputs, minus one;
* one FF per registered result bit that is not constant; a dot product
  (`2 * count - n`, sign-extended) needs `bits(n) + 2` distinct FFs (synthesis
  merges the copies of its sign);
* logic whose result nothing reads is removed (as synthesis does), so the
  model walks the network backwards from its outputs first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue

from fpga_opt.backend.costs.blocks import (
    CONTROL_FF,
    CONTROL_LUT,
    IO_LATENCY,
    SIMPLE_CONTROL_FF,
    SIMPLE_CONTROL_LUT,
    clog2,
    sliding_window,
    window_fill,
)
from fpga_opt.backend.costs.layer_cost import LayerCost
from fpga_opt.backend.costs.registry import COST_MODELS, CostContext
from fpga_opt.backend.costs.streams import stream_type, value_bits
from fpga_opt.backend.target.resources import Resources, memory_resources
from fpga_opt.dialects import dataflow as df

#: A LUT6 is a 4:1 multiplexer (UG474: one LUT6 per 4:1 mux, MUXF7/MUXF8 combine them).
MUX_INPUTS_PER_LUT = 4
#: A LUT6 ORs (or compares) this many bits.
LUT_INPUTS = 6


# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------


def popcount_luts(terms: int) -> int:
    """LUTs of a balanced adder tree summing `terms` one-bit values (w LUTs per adder, w = its wider operand's bits)."""
    parts = [1] * terms
    luts = 0
    while len(parts) > 1:
        merged = []
        for a, b in zip(parts[0::2], parts[1::2], strict=False):
            luts += max(a, b).bit_length()
            merged.append(a + b)
        if len(parts) % 2:
            merged.append(parts[-1])
        parts = merged
    return luts


def count_bits(terms: int) -> int:
    """Bits of a popcount of `terms` values."""
    return max(1, terms.bit_length())


def popcount_depth(terms: int) -> int:
    """Adder levels of the popcount tree (the tiled kernels register each level)."""
    return clog2(terms)


def compare_luts(bits: int) -> int:
    """LUTs of a comparison of a `bits`-bit value with a constant: a function of `bits` inputs."""
    return 1 if bits <= LUT_INPUTS else 1 + -(-(bits - LUT_INPUTS) // (LUT_INPUTS - 1))


def mux_luts(inputs: int) -> int:
    """LUTs of an `inputs`:1 multiplexer of one bit."""
    return 0 if inputs <= 1 else -(-inputs // MUX_INPUTS_PER_LUT)


def or_luts(inputs: int) -> int:
    """LUTs of an OR of `inputs` bits (a tree of LUT6s)."""
    return 0 if inputs <= 1 else -(-(inputs - 1) // (LUT_INPUTS - 1))


# --------------------------------------------------------------------------
# Tiled: the HLS kernels
# --------------------------------------------------------------------------


@COST_MODELS.register(df.ThresholdOp)
def threshold_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """`coarse` comparators against a per-channel threshold table, one element per lane and cycle."""
    assert isinstance(op, df.ThresholdOp)
    inp = stream_type(op.input)
    lanes = ctx.folding(op)["coarse"]
    bits = value_bits(inp)
    table = memory_resources(bits * lanes, inp.channels // lanes)
    compare = Resources(lut=lanes * -(-bits // 2), ff=lanes)
    control = Resources(lut=SIMPLE_CONTROL_LUT, ff=SIMPLE_CONTROL_FF)
    return LayerCost(inp.numel // lanes, IO_LATENCY + 1, table + compare + control)


def _epilogue(op: df.BinaryLayerOp, lanes: int) -> Resources:
    """Per output lane: the popcount accumulator, and the comparator or the doubling of the dot product."""
    bits = count_bits(op.fan_in)
    out = stream_type(op.results[0])
    thresholds = Resources()
    if op.has_thresholds:
        channels = out.channels
        thresholds = memory_resources(bits * lanes, channels // lanes) + Resources(lut=lanes * bits)
    return Resources(lut=lanes * bits, ff=lanes * (bits + value_bits(out))) + thresholds


@COST_MODELS.register(df.XnorLinearOp)
def xnor_linear_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """FINN's binarised MVAU: (C_out/co) * (N/ci) cycles; per lane ci XNORs and a popcount of ci bits."""
    assert isinstance(op, df.XnorLinearOp)
    f = ctx.folding(op)
    ci, co = f["coarse_in"], f["coarse_out"]
    out = stream_type(op.output)
    n = op.fan_in
    synapse_fold, neuron_fold = n // ci, out.channels // co
    weights = memory_resources(ci * co, n * out.channels // (ci * co), ctx.allow_uram)
    buffer = memory_resources(ci, synapse_fold, ctx.allow_uram, dual_port=True) if neuron_fold > 1 else Resources()
    xnor = Resources(lut=co * (ci + popcount_luts(ci)))
    control = Resources(lut=CONTROL_LUT, ff=CONTROL_FF)
    depth = synapse_fold + popcount_depth(ci) + IO_LATENCY
    return LayerCost(synapse_fold * neuron_fold, depth, weights + buffer + xnor + _epilogue(op, co) + control)


@COST_MODELS.register(df.XnorConvOp)
def xnor_conv_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """fpgaConvNet's conv with XNOR gates: max(H*W*C/ci, Ho*Wo*C_out*C*Kh*Kw/(ci*co*fine)) cycles."""
    assert isinstance(op, df.XnorConvOp)
    f = ctx.folding(op)
    ci, co, fine = f["coarse_in"], f["coarse_out"], f["fine"]
    inp, out = op.window_stream, stream_type(op.output)
    h, w, c = inp.dims
    kh, kw = op.kernel_size
    in_cycles = h * w * c // ci
    compute = out.height * out.width * out.channels * op.fan_in // (ci * co * fine)
    cycles = max(in_cycles, compute)
    lanes = ci * fine
    window = sliding_window(kh=kh, kw=kw, row_words=w, c=c, lanes=ci, bits=1)
    weights = memory_resources(lanes * co, out.channels * op.fan_in // (lanes * co), ctx.allow_uram)
    partial = Resources()
    if c // ci > 1:
        partial = memory_resources(count_bits(op.fan_in) * co, out.channels // co, ctx.allow_uram, dual_port=True)
    xnor = Resources(lut=co * (lanes + popcount_luts(lanes)))
    control = Resources(lut=CONTROL_LUT, ff=CONTROL_FF)
    fill = window_fill(kh=kh, kw=kw, row_words=w, c=c, lanes=ci)
    depth = fill + -(-cycles // (out.height * out.width)) + popcount_depth(lanes) + IO_LATENCY
    return LayerCost(cycles, depth, window + weights + partial + xnor + _epilogue(op, co) + control)


@COST_MODELS.register(df.LutLinearOp)
def lut_linear_cost(op: Operation, ctx: CostContext) -> LayerCost:
    """A tiled LUT layer: N/ci cycles to read the input vector, then C_out/co; per output lane `luts` operators, each a table word
    (2^K:1 multiplexer) addressed by K multiplexers that pick its inputs from the N-bit input register."""
    assert isinstance(op, df.LutLinearOp)
    f = ctx.folding(op)
    ci, co = f["coarse_in"], f["coarse_out"]
    out = stream_type(op.output)
    n, k, luts = op.vector_length, op.lut_inputs, op.luts_per_output
    neuron_fold = out.channels // co
    cycles = n // ci + neuron_fold
    index_bits = max(1, clog2(n))
    tables = memory_resources(co * luts * 2**k, neuron_fold, ctx.allow_uram)
    indices = memory_resources(co * luts * k * index_bits, neuron_fold, ctx.allow_uram)
    operators = co * luts * (k * mux_luts(n) + mux_luts(2**k))
    logic = Resources(lut=operators + co * popcount_luts(luts), ff=n)
    control = Resources(lut=CONTROL_LUT, ff=CONTROL_FF)
    depth = n // ci + popcount_depth(luts) + 2 + IO_LATENCY
    return LayerCost(cycles, depth, tables + indices + logic + _epilogue(op, co) + control)


# --------------------------------------------------------------------------
# Unrolled: the Verilog backend
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class UnrolledLayer:
    """One op of an unrolled design: its predicted LUTs and FFs, and which of its results are live."""

    layer: str
    op: str
    lut: int
    ff: int


def table_inputs(table: np.ndarray, k: int) -> list[int]:
    """The inputs a truth table of 2^K entries really depends on."""
    t = table.reshape((2,) * k)  # axis j of the reshape is address bit k-1-j
    used = []
    for bit in range(k):
        axis = k - 1 - bit
        if not np.array_equal(np.take(t, 0, axis=axis), np.take(t, 1, axis=axis)):
            used.append(bit)
    return used


def _binary_terms(op: Operation, tensors: df.BinaryTensors) -> tuple[list[list[int]], list[int]]:
    """For each output element: the input elements its logic reads, and its non-constant popcount terms."""
    if isinstance(op, df.XnorLinearOp):
        n = op.fan_in
        return [list(range(n))] * tensors.weights.shape[0], [n] * tensors.weights.shape[0]
    if isinstance(op, df.XnorConvOp):
        h, w, c = op.window_stream.dims
        out = stream_type(op.output)
        kh, kw = op.kernel_size
        sh, sw = op.stride_size
        reads, terms = [], []
        for r in range(out.height):
            for q in range(out.width):
                window = [
                    ((r * sh + i) * w + (q * sw + j)) * c + ch for ch in range(c) for i in range(kh) for j in range(kw)
                ]
                reads += [window] * out.channels
                terms += [op.fan_in] * out.channels
        return reads, terms
    assert isinstance(op, df.LutLinearOp)
    k = op.lut_inputs
    reads, terms = [], []
    for o in range(tensors.indices.shape[0]):
        inputs: set[int] = set()
        live = 0
        for m in range(tensors.indices.shape[1]):
            used = table_inputs(tensors.tables[o, m], k)
            inputs.update(int(tensors.indices[o, m, b]) for b in used)
            live += bool(used)
        reads.append(sorted(inputs))
        terms.append(live)
    return reads, terms


def _constant_outputs(op: df.BinaryLayerOp, tensors: df.BinaryTensors, terms: list[int]) -> list[bool]:
    """Thresholded outputs that never or always fire (threshold 0, or above every reachable count)."""
    if tensors.thresholds is None:
        return [False] * len(terms)
    t = np.resize(tensors.thresholds, len(terms))
    return [bool(th <= 0 or th > op.fan_in) for th in t.tolist()]


def unrolled_network_cost(module: ModuleOp, weights: Mapping[str, np.ndarray]) -> list[UnrolledLayer]:
    """The predicted LUTs and FFs of each op of the module's network as the Verilog backend builds it."""
    fn = next(op for op in module.body.block.ops if isinstance(op, func.FuncOp))
    ops = [op for op in fn.body.block.ops if isinstance(op, df.DataflowOp)]
    ret = fn.body.block.last_op
    assert ret is not None
    live: dict[SSAValue, np.ndarray] = {v: np.ones(stream_type(v).numel, bool) for v in ret.operands}
    plans = {}
    for op in reversed(ops):
        result_live = [live.get(r, np.zeros(stream_type(r).numel, bool)) for r in op.results]
        if isinstance(op, df.ForkOp | df.BufferOp):
            need = np.logical_or.reduce(result_live)
            live[op.operands[0]] = live.get(op.operands[0], np.zeros_like(need)) | need
            continue
        alive = result_live[0]
        inp = stream_type(op.operands[0])
        need = np.zeros(inp.numel, bool)
        if isinstance(op, df.BinaryLayerOp):
            tensors = df.load_binary_tensors(op, weights)
            reads, terms = _binary_terms(op, tensors)
            constant = _constant_outputs(op, tensors, terms)
            for e in np.flatnonzero(alive):
                if not constant[e]:
                    need[reads[e]] = True
            plans[op] = (alive, terms, constant, tensors)
        elif isinstance(op, df.ThresholdOp):
            need[:] = alive
            plans[op] = (alive,)
        elif isinstance(op, df.PoolOp):
            out = stream_type(op.output)
            h, w, c = inp.dims
            kh, kw = op.kernel_size
            sh, sw = op.stride_size
            top, left, _, _ = op.padding
            for e in np.flatnonzero(alive):
                r, rest = divmod(int(e), out.width * c)
                q, ch = divmod(rest, c)
                for i in range(kh):
                    for j in range(kw):
                        y, x = r * sh + i - top, q * sw + j - left
                        if 0 <= y < h and 0 <= x < w:
                            need[(y * w + x) * c + ch] = True
            plans[op] = (alive,)
        live[op.operands[0]] = live.get(op.operands[0], np.zeros(inp.numel, bool)) | need
    layers = []
    for op in ops:
        if op not in plans:
            continue
        layers.append(_unrolled_layer(op, plans[op]))
    return layers


def _unrolled_layer(op: df.DataflowOp, plan: tuple) -> UnrolledLayer:
    alive = plan[0]
    out = stream_type(op.results[0])
    bits = value_bits(out)
    if isinstance(op, df.ThresholdOp):
        inp_bits = value_bits(stream_type(op.input))
        n = int(alive.sum())
        return UnrolledLayer(op.layer_name, op.name, n * compare_luts(inp_bits), n)
    if isinstance(op, df.PoolOp):
        kh, kw = op.kernel_size
        n = int(alive.sum())
        return UnrolledLayer(op.layer_name, op.name, n * or_luts(kh * kw), n * bits)
    assert isinstance(op, df.BinaryLayerOp)
    _, terms, constant, tensors = plan
    lut = ff = 0
    operators = 0
    if isinstance(op, df.LutLinearOp):
        k = op.lut_inputs
        per_output = [
            sum(len(table_inputs(tensors.tables[o, m], k)) >= 2 for m in range(op.luts_per_output))
            for o in range(len(terms))
        ]
    for e in np.flatnonzero(alive):
        if constant[e]:
            continue
        t = terms[e]
        lut += popcount_luts(t) + (count_bits(t) if op.has_thresholds else 0)
        ff += bits if op.has_thresholds else min(bits, count_bits(op.fan_in) + 2)
        if isinstance(op, df.LutLinearOp):
            operators += per_output[e]
    return UnrolledLayer(op.layer_name, op.name, lut + operators, ff)
