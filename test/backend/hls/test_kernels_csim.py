"""Every HLS kernel, under many folding factors, against fpga-sim (the golden model), in C simulation.

One design per test holds many independent one- or two-op networks (one
input and one output port each), so a single g++ build covers them all.
Weights and inputs are random over the types' whole ranges.
"""

from __future__ import annotations

import numpy as np
import pytest
from hls_csim_support import csim, network, parse, random_inputs
from xdsl.dialects.builtin import IntegerType

from fpga_opt.dialects import dataflow as df


def random_weights(module, seed: int = 1) -> dict[str, np.ndarray]:
    """Random tensors of the right shape for every conv and linear of `module`."""
    rng = np.random.default_rng(seed)
    tensors: dict[str, np.ndarray] = {}

    def make(name: str, shape: tuple[int, ...], integer: bool, bias: bool) -> None:
        if integer:
            lo, hi = (-3000, 3000) if bias else (-128, 127)
            tensors[name] = rng.integers(lo, hi + 1, size=shape).astype(np.int32 if bias else np.int8)
        else:
            tensors[name] = (rng.standard_normal(shape) * (0.5 if bias else 0.3)).astype(np.float32)

    for op in network(module).body.block.ops:
        if isinstance(op, df.ConvOp):
            inp, out = op.input.type, op.output.type
            integer = isinstance(op.weight_type, IntegerType)
            kh, kw = op.kernel_size
            make(op.weights.data, (out.channels, inp.channels // op.groups.value.data, kh, kw), integer, False)
            if op.bias is not None:
                make(op.bias.data, (out.channels,), integer, True)
            if op.side_weights is not None:
                side = op.side.type
                make(op.side_weights.data, (side.channels, inp.channels, 1, 1), integer, False)
                if op.side_bias is not None:
                    make(op.side_bias.data, (side.channels,), integer, True)
        elif isinstance(op, df.LinearOp):
            integer = isinstance(op.weight_type, IntegerType)
            make(op.weights.data, (op.output.type.channels, op.input.type.numel), integer, False)
            if op.bias is not None:
                make(op.bias.data, (op.output.type.channels,), integer, True)
    return tensors


def _ty(dims: str) -> str:
    return f"!dataflow.stream<{dims}>"


# Each case: (argument types, result types, body using %a<i>... and returning via %r<j>...).
# The cases are assembled into one function; names are made unique by a prefix.
K3 = "kernel = array<i64: 3, 3>"
S1 = "stride = array<i64: 1, 1>"
S2 = "stride = array<i64: 2, 2>"
P1 = "pad = array<i64: 1, 1, 1, 1>"
P0 = "pad = array<i64: 0, 0, 0, 0>"

INT_CASES: list[tuple[list[str], list[str], str]] = [
    # conv 3x3, coarse_in 2, coarse_out 3, fine 3, half_up requant, relu
    (
        ["6x6x4xi8"],
        ["6x6x6xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "c1.w", bias = "c1.b", weight_type = i8,
              requant = #dataflow.requant<multiplier = 3, shift = 9, rounding = "half_up">,
              activation = #dataflow.act<kind = "relu">, coarse_in = 2 : i64, coarse_out = 3 : i64, fine = 3 : i64}}
              : ({_ty("6x6x4xi8")}) -> {_ty("6x6x6xi8")}""",
    ),
    # conv 3x3 stride 2, asymmetric pad, fine 9 (all positions), floor requant, clip
    (
        ["7x7x3xi8"],
        ["3x3x4xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S2}, pad = array<i64: 1, 1, 0, 0>, weights = "c2.w", bias = "c2.b",
              weight_type = i8, requant = #dataflow.requant<multiplier = 5, shift = 11, rounding = "floor">,
              activation = #dataflow.act<kind = "clip", lo = -20.0, hi = 50.0>,
              coarse_in = 3 : i64, coarse_out = 2 : i64, fine = 9 : i64}}
              : ({_ty("7x7x3xi8")}) -> {_ty("3x3x4xi8")}""",
    ),
    # conv 5x5 unpadded, fine 5, no bias, half_away with a large multiplier
    (
        ["9x9x2xi8"],
        ["5x5x3xi8"],
        f"""%r0 = dataflow.conv %a0 {{kernel = array<i64: 5, 5>, {S1}, {P0}, weights = "c3.w", weight_type = i8,
              requant = #dataflow.requant<multiplier = 1234567, shift = 30, rounding = "half_away">, fine = 5 : i64}}
              : ({_ty("9x9x2xi8")}) -> {_ty("5x5x3xi8")}""",
    ),
    # per-channel multipliers and a fine bias (a QDQ bias at its exact value), a zero point, two lanes out
    (
        ["6x6x4xi8"],
        ["6x6x4xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "cfb.w", bias = "cfb.b", weight_type = i8,
              requant = #dataflow.requant<multiplier = [1234567, 987654, 1500000, 1111111], shift = 30,
              fine_bias = [123456789, -98765432, 5, -536870911], zero_point = 3>, coarse_out = 2 : i64}}
              : ({_ty("6x6x4xi8")}) -> {_ty("6x6x4xi8")}""",
    ),
    # depthwise 3x3 stride 2, four groups in parallel
    (
        ["8x8x8xi8"],
        ["4x4x8xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S2}, {P1}, groups = 8 : i64, weights = "c4.w", bias = "c4.b",
              weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, coarse_group = 4 : i64}}
              : ({_ty("8x8x8xi8")}) -> {_ty("4x4x8xi8")}""",
    ),
    # grouped conv, groups 2, channels of a group split in two
    (
        ["5x5x8xi8"],
        ["5x5x8xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, groups = 2 : i64, weights = "c5.w", bias = "c5.b",
              weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>,
              coarse_in = 2 : i64, coarse_out = 2 : i64}}
              : ({_ty("5x5x8xi8")}) -> {_ty("5x5x8xi8")}""",
    ),
    # grouped conv, two whole groups in parallel
    (
        ["4x4x8xi8"],
        ["4x4x8xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, groups = 4 : i64, weights = "c6.w", weight_type = i8,
              requant = #dataflow.requant<multiplier = 1, shift = 7>,
              coarse_in = 2 : i64, coarse_out = 2 : i64, coarse_group = 2 : i64}}
              : ({_ty("4x4x8xi8")}) -> {_ty("4x4x8xi8")}""",
    ),
    # 1x1 conv (no line buffer), coarse_in 4, coarse_out 2
    (
        ["4x4x8xi8"],
        ["4x4x6xi8"],
        f"""%r0 = dataflow.conv %a0 {{kernel = array<i64: 1, 1>, {S1}, {P0}, weights = "c7.w", bias = "c7.b",
              weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>,
              coarse_in = 4 : i64, coarse_out = 2 : i64}}
              : ({_ty("4x4x8xi8")}) -> {_ty("4x4x6xi8")}""",
    ),
    # 1x1 conv stride 2 (a sub-sampling window)
    (
        ["6x6x4xi8"],
        ["3x3x4xi8"],
        f"""%r0 = dataflow.conv %a0 {{kernel = array<i64: 1, 1>, {S2}, {P0}, weights = "c8.w", weight_type = i8,
              requant = #dataflow.requant<multiplier = 1, shift = 5>}}
              : ({_ty("6x6x4xi8")}) -> {_ty("3x3x4xi8")}""",
    ),
    # conv emitting its raw accumulator (i32)
    (
        ["4x4x3xi8"],
        ["4x4x2xi32"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "c9.w", bias = "c9.b", weight_type = i8}}
              : ({_ty("4x4x3xi8")}) -> {_ty("4x4x2xi32")}""",
    ),
    # conv with a skip input: requant, y*acc_mult + skip*skip_mult, skip requant, clip
    (
        ["5x5x4xi8", "5x5x6xi8"],
        ["5x5x6xi8"],
        f"""%r0 = dataflow.conv %a0, %a1 {{{K3}, {S1}, {P1}, weights = "c10.w", bias = "c10.b", weight_type = i8,
              requant = #dataflow.requant<multiplier = 1, shift = 8>, acc_mult = 3 : i64, skip_mult = -2 : i64,
              skip_requant = #dataflow.requant<multiplier = 1, shift = 1, rounding = "floor">,
              activation = #dataflow.act<kind = "clip", lo = 0.0, hi = 100.0>, coarse_in = 2 : i64, coarse_out = 2 : i64}}
              : ({_ty("5x5x4xi8")}, {_ty("5x5x6xi8")}) -> {_ty("5x5x6xi8")}""",
    ),
    # conv forwarding its window centre on a side stream
    (
        ["6x6x4xi8"],
        ["6x6x4xi8", "6x6x4xi8"],
        f"""%r0, %r1 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "c11.w", weight_type = i8,
              requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, coarse_in = 2 : i64, coarse_out = 2 : i64}}
              : ({_ty("6x6x4xi8")}) -> ({_ty("6x6x4xi8")}, {_ty("6x6x4xi8")})""",
    ),
    # stride-2 conv with a merged 1x1 downsample conv on the side
    (
        ["8x8x4xi8"],
        ["4x4x8xi8", "4x4x8xi8"],
        f"""%r0, %r1 = dataflow.conv %a0 {{{K3}, {S2}, {P1}, weights = "c12.w", bias = "c12.b", weight_type = i8,
              requant = #dataflow.requant<multiplier = 1, shift = 8, min = 0>,
              side_weights = "c12.sw", side_bias = "c12.sb",
              side_requant = #dataflow.requant<multiplier = 3, shift = 8, rounding = "half_up">,
              coarse_in = 2 : i64, coarse_out = 4 : i64}}
              : ({_ty("8x8x4xi8")}) -> ({_ty("4x4x8xi8")}, {_ty("4x4x8xi8")})""",
    ),
    # skip input and merged side conv with more side chunks than main iterations
    (
        ["4x4x4xi8", "4x4x2xi8"],
        ["4x4x2xi8", "4x4x6xi8"],
        f"""%r0, %r1 = dataflow.conv %a0, %a1 {{{K3}, {S1}, {P1}, weights = "c13.w", weight_type = i8,
              requant = #dataflow.requant<multiplier = 1, shift = 8>,
              skip_requant = #dataflow.requant<multiplier = 1, shift = 0, min = 0>,
              side_weights = "c13.sw", side_requant = #dataflow.requant<multiplier = 1, shift = 7>,
              fine = 9 : i64, coarse_in = 2 : i64}}
              : ({_ty("4x4x4xi8")}, {_ty("4x4x2xi8")}) -> ({_ty("4x4x2xi8")}, {_ty("4x4x6xi8")})""",
    ),
    # max pool 3x3 stride 2 pad 1 (pads with -128), coarse 2
    (
        ["7x7x4xi8"],
        ["4x4x4xi8"],
        f"""%r0 = dataflow.pool %a0 {{mode = "max", {K3}, {S2}, {P1}, coarse = 2 : i64}}
              : {_ty("7x7x4xi8")} -> {_ty("4x4x4xi8")}""",
    ),
    # average pool: integer sum, then requant
    (
        ["6x6x4xi8"],
        ["3x3x4xi8"],
        f"""%r0 = dataflow.pool %a0 {{mode = "avg", kernel = array<i64: 2, 2>, {S2}, {P0}, coarse = 4 : i64,
              requant = #dataflow.requant<multiplier = 1, shift = 2>}}
              : {_ty("6x6x4xi8")} -> {_ty("3x3x4xi8")}""",
    ),
    # global average pool with requant, and global max
    (
        ["4x4x8xi8"],
        ["1x1x8xi8"],
        f"""%r0 = dataflow.global_pool %a0 {{mode = "avg", coarse = 4 : i64,
              requant = #dataflow.requant<multiplier = 1, shift = 4>}} : {_ty("4x4x8xi8")} -> {_ty("1x1x8xi8")}""",
    ),
    (
        ["3x3x4xi8"],
        ["1x1x4xi8"],
        f"""%r0 = dataflow.global_pool %a0 {{mode = "max", coarse = 2 : i64}} : {_ty("3x3x4xi8")} -> {_ty("1x1x4xi8")}""",
    ),
    # global average pool emitting the raw sum
    (
        ["5x5x2xi8"],
        ["1x1x2xi32"],
        f"""%r0 = dataflow.global_pool %a0 {{mode = "avg"}} : {_ty("5x5x2xi8")} -> {_ty("1x1x2xi32")}""",
    ),
    # linear SIMD 4 x PE 2 with bias and requant; linear emitting i32
    (
        ["3x3x4xi8"],
        ["1x1x6xi8"],
        f"""%r0 = dataflow.linear %a0 {{weights = "l1.w", bias = "l1.b", weight_type = i8,
              requant = #dataflow.requant<multiplier = 1, shift = 8, rounding = "half_up">,
              activation = #dataflow.act<kind = "relu">, coarse_in = 4 : i64, coarse_out = 2 : i64}}
              : {_ty("3x3x4xi8")} -> {_ty("1x1x6xi8")}""",
    ),
    (
        ["1x1x10xi8"],
        ["1x1x4xi32"],
        f"""%r0 = dataflow.linear %a0 {{weights = "l2.w", bias = "l2.b", weight_type = i8, coarse_in = 5 : i64,
              coarse_out = 4 : i64}} : {_ty("1x1x10xi8")} -> {_ty("1x1x4xi32")}""",
    ),
    # add with multipliers, requant and relu, coarse 2
    (
        ["4x4x6xi8", "4x4x6xi8"],
        ["4x4x6xi8"],
        f"""%r0 = dataflow.add %a0, %a1 {{lhs_mult = 3 : i64, rhs_mult = -2 : i64, coarse = 2 : i64,
              requant = #dataflow.requant<multiplier = 1, shift = 2>, activation = #dataflow.act<kind = "relu">}}
              : {_ty("4x4x6xi8")}, {_ty("4x4x6xi8")} -> {_ty("4x4x6xi8")}""",
    ),
    # three-way concat (a chain of two-input concats), coarse 2
    (
        ["3x3x2xi8", "3x3x4xi8", "3x3x2xi8"],
        ["3x3x8xi8"],
        f"""%r0 = dataflow.concat %a0, %a1, %a2 {{coarse = 2 : i64}}
              : ({_ty("3x3x2xi8")}, {_ty("3x3x4xi8")}, {_ty("3x3x2xi8")}) -> {_ty("3x3x8xi8")}""",
    ),
    # lane adapters: conv writes 3 lanes, the pool reads 2, the linear 8
    (
        ["4x4x2xi8"],
        ["1x1x3xi8"],
        f"""%t0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "c20.w", weight_type = i8,
              requant = #dataflow.requant<multiplier = 1, shift = 6>, coarse_out = 3 : i64, coarse_in = 2 : i64}}
              : ({_ty("4x4x2xi8")}) -> {_ty("4x4x6xi8")}
            %t1 = dataflow.pool %t0 {{mode = "max", kernel = array<i64: 2, 2>, {S2}, {P0}, coarse = 2 : i64}}
              : {_ty("4x4x6xi8")} -> {_ty("2x2x6xi8")}
            %r0 = dataflow.linear %t1 {{weights = "l20.w", weight_type = i8, coarse_in = 8 : i64,
              requant = #dataflow.requant<multiplier = 1, shift = 7>}} : {_ty("2x2x6xi8")} -> {_ty("1x1x3xi8")}""",
    ),
    # standalone requantise in every rounding mode, on the whole i32 range and on small values
    *[
        (
            ["2x3x4xi32"],
            ["2x3x4xi8"],
            f"""%r0 = dataflow.requantize %a0 {{requant = #dataflow.requant<multiplier = {m}, shift = {s},
                  zero_point = {z}, rounding = "{r}">, coarse = 2 : i64}} : {_ty("2x3x4xi32")} -> {_ty("2x3x4xi8")}""",
        )
        for r in ("floor", "half_up", "half_away", "half_even")
        for (m, s, z) in ((2147483647, 55, 3), (1, 1, 0), (3, 2, -5))
    ],
    (
        ["4x4x4xi16"],
        ["4x4x4xi8"],
        f"""%r0 = dataflow.requantize %a0 {{requant = #dataflow.requant<multiplier = 1, shift = 3, rounding = "half_even">}}
              : {_ty("4x4x4xi16")} -> {_ty("4x4x4xi8")}""",
    ),
    # standalone integer clip (bounds rounded inwards) and relu
    (
        ["3x3x4xi8"],
        ["3x3x4xi8"],
        f"""%t0 = dataflow.activation %a0 {{activation = #dataflow.act<kind = "clip", lo = -3.5, hi = 40.2>, coarse = 2 : i64}}
              : {_ty("3x3x4xi8")} -> {_ty("3x3x4xi8")}
            %r0 = dataflow.activation %t0 {{activation = #dataflow.act<kind = "relu">}} : {_ty("3x3x4xi8")} -> {_ty("3x3x4xi8")}""",
    ),
    # implicit fan-out (a value read twice), an explicit fork and a buffer
    (
        ["4x4x4xi8"],
        ["4x4x4xi8", "4x4x4xi8"],
        f"""%t0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "c24.w", weight_type = i8,
              requant = #dataflow.requant<multiplier = 1, shift = 7>}} : ({_ty("4x4x4xi8")}) -> {_ty("4x4x4xi8")}
            %t1 = dataflow.add %t0, %t0 {{requant = #dataflow.requant<multiplier = 1, shift = 1>}}
              : {_ty("4x4x4xi8")}, {_ty("4x4x4xi8")} -> {_ty("4x4x4xi8")}
            %t2, %t3 = dataflow.fork %t1 {{coarse = 2 : i64}} : {_ty("4x4x4xi8")} -> {_ty("4x4x4xi8")}, {_ty("4x4x4xi8")}
            %t4 = dataflow.buffer %t3 {{depth = 10 : i64}} : {_ty("4x4x4xi8")} -> {_ty("4x4x4xi8")}
            %r0 = dataflow.add %t2, %t4 {{rhs_mult = 2 : i64, requant = #dataflow.requant<multiplier = 1, shift = 1>}}
              : {_ty("4x4x4xi8")}, {_ty("4x4x4xi8")} -> {_ty("4x4x4xi8")}
            %r1 = dataflow.requantize %t0 {{requant = #dataflow.requant<multiplier = 1, shift = 0, min = 0>}}
              : {_ty("4x4x4xi8")} -> {_ty("4x4x4xi8")}""",
    ),
    # average pooling with count_include_pad = 0: the requant divides each window by its real pixels
    (
        ["6x7x4xi8"],
        ["6x7x4xi8"],
        f"""%r0 = dataflow.pool %a0 {{mode = "avg", {K3}, {S1}, {P1},
              requant = #dataflow.requant<multiplier = 5, shift = 3, offset = -45, zero_point = 2, rounding = "half_even">,
              exclude_pad, pad_value = 5 : i64, coarse = 2 : i64}} : {_ty("6x7x4xi8")} -> {_ty("6x7x4xi8")}""",
    ),
    # the same, 3x2 windows, stride 2, asymmetric pads, rounding half away from zero (negative sums)
    (
        ["9x10x2xi8"],
        ["5x6x2xi8"],
        f"""%r0 = dataflow.pool %a0 {{mode = "avg", kernel = array<i64: 3, 2>, {S2}, pad = array<i64: 2, 1, 0, 1>,
              requant = #dataflow.requant<multiplier = 7, shift = 1, rounding = "half_away">, exclude_pad}}
              : {_ty("9x10x2xi8")} -> {_ty("5x6x2xi8")}""",
    ),
    # the same mean in the QDQ reference's float32 arithmetic (qdq_scales: ties land where onnxruntime
    # puts them), uint8 with a zero point, 2 lanes; then 3x2 windows, stride 2, asymmetric pads, int8
    (
        ["6x7x4xui8"],
        ["6x7x4xui8"],
        f"""%r0 = dataflow.pool %a0 {{mode = "avg", {K3}, {S1}, {P1},
              requant = #dataflow.requant<multiplier = 1, shift = 0, offset = -1170, zero_point = 130, rounding = "half_even", min = 0, max = 255>,
              exclude_pad, pad_value = 130 : i64, qdq_scales = array<f32: 0.131022722, 0.131022722>, coarse = 2 : i64}}
              : {_ty("6x7x4xui8")} -> {_ty("6x7x4xui8")}""",
    ),
    (
        ["9x10x2xi8"],
        ["5x6x2xi8"],
        f"""%r0 = dataflow.pool %a0 {{mode = "avg", kernel = array<i64: 3, 2>, {S2}, pad = array<i64: 2, 1, 0, 1>,
              requant = #dataflow.requant<multiplier = 3, shift = 2, zero_point = -3, rounding = "half_even">,
              exclude_pad, qdq_scales = array<f32: 0.0126129379, 0.00547560444>}}
              : {_ty("9x10x2xi8")} -> {_ty("5x6x2xi8")}""",
    ),
    # dilated conv (taps 2 rows, 3 columns apart), asymmetric zero point in the padding, folded
    (
        ["9x8x4xi8"],
        ["9x8x4xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, pad = array<i64: 2, 3, 2, 3>, dilation = array<i64: 2, 3>,
              pad_value = 3 : i64, weights = "cd1.w", bias = "cd1.b", weight_type = i8,
              requant = #dataflow.requant<multiplier = 7, shift = 12, rounding = "half_even">,
              coarse_in = 2 : i64, coarse_out = 2 : i64, fine = 3 : i64}}
              : ({_ty("9x8x4xi8")}) -> {_ty("9x8x4xi8")}""",
    ),
    # dilated depthwise conv, stride 2, end padding cut off, two groups in parallel
    (
        ["10x10x4xi8"],
        ["4x4x4xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S2}, pad = array<i64: 1, 1, 0, 0>, dilation = array<i64: 2, 2>,
              groups = 4 : i64, weights = "cd2.w", bias = "cd2.b", weight_type = i8,
              requant = #dataflow.requant<multiplier = 3, shift = 8, rounding = "half_up">,
              activation = #dataflow.act<kind = "relu">, coarse_group = 2 : i64}}
              : ({_ty("10x10x4xi8")}) -> {_ty("4x4x4xi8")}""",
    ),
]

FLOAT_CASES: list[tuple[list[str], list[str], str]] = [
    (
        ["6x6x3xf32"],
        ["3x3x4xf32"],
        f"""%t0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "f1.w", bias = "f1.b", weight_type = f32,
              activation = #dataflow.act<kind = "leaky_relu", alpha = 0.1>, coarse_in = 3 : i64, coarse_out = 2 : i64}}
              : ({_ty("6x6x3xf32")}) -> {_ty("6x6x4xf32")}
            %r0 = dataflow.pool %t0 {{mode = "max", kernel = array<i64: 2, 2>, {S2}, {P0}}}
              : {_ty("6x6x4xf32")} -> {_ty("3x3x4xf32")}""",
    ),
    (
        ["4x4x4xf32", "4x4x4xf32"],
        ["1x1x5xf32"],
        f"""%t0 = dataflow.add %a0, %a1 {{activation = #dataflow.act<kind = "relu6">}}
              : {_ty("4x4x4xf32")}, {_ty("4x4x4xf32")} -> {_ty("4x4x4xf32")}
            %t1 = dataflow.pool %t0 {{mode = "avg", kernel = array<i64: 2, 2>, {S2}, {P0}, coarse = 2 : i64}}
              : {_ty("4x4x4xf32")} -> {_ty("2x2x4xf32")}
            %t2 = dataflow.linear %t1 {{weights = "f2.w", bias = "f2.b", weight_type = f32, coarse_in = 2 : i64}}
              : {_ty("2x2x4xf32")} -> {_ty("1x1x5xf32")}
            %r0 = dataflow.softmax %t2 : {_ty("1x1x5xf32")} -> {_ty("1x1x5xf32")}""",
    ),
    (
        ["3x3x4xf32"],
        ["1x1x4xf32"],
        f"""%t0 = dataflow.activation %a0 {{activation = #dataflow.act<kind = "sigmoid">}} : {_ty("3x3x4xf32")} -> {_ty("3x3x4xf32")}
            %t1 = dataflow.activation %t0 {{activation = #dataflow.act<kind = "clip", lo = 0.25, hi = 0.75>}}
              : {_ty("3x3x4xf32")} -> {_ty("3x3x4xf32")}
            %r0 = dataflow.global_pool %t1 {{mode = "avg"}} : {_ty("3x3x4xf32")} -> {_ty("1x1x4xf32")}""",
    ),
    # average pooling with count_include_pad = 0: each window divided by its real pixels
    (
        ["5x5x3xf32"],
        ["3x3x3xf32"],
        f"""%r0 = dataflow.pool %a0 {{mode = "avg", {K3}, {S2}, {P1}, exclude_pad}} : {_ty("5x5x3xf32")} -> {_ty("3x3x3xf32")}""",
    ),
    # dilated conv with a non-square kernel, dilation along the rows only
    (
        ["7x7x3xf32"],
        ["4x7x2xf32"],
        f"""%r0 = dataflow.conv %a0 {{kernel = array<i64: 2, 3>, {S1}, pad = array<i64: 0, 1, 0, 1>,
              dilation = array<i64: 3, 1>, weights = "fd1.w", bias = "fd1.b", weight_type = f32, fine = 2 : i64}}
              : ({_ty("7x7x3xf32")}) -> {_ty("4x7x2xf32")}""",
    ),
]


RQ = 'requant = #dataflow.requant<multiplier = 3, shift = 9, rounding = "half_up">'

# Padded passes (coarse_out / fine that do not divide) and temporal reuse: every kernel path of
# conv.h that the folding search can pick, against fpga-sim.
FOLDING_CASES: list[tuple[list[str], list[str], str]] = [
    # 16 channels in passes of 3 (the last one padded; 4-lane result), 9 positions in passes of 5
    (
        ["6x6x4xi8"],
        ["6x6x16xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "p1.w", bias = "p1.b", weight_type = i8, {RQ},
              activation = #dataflow.act<kind = "relu">, coarse_in = 2 : i64, coarse_out = 3 : i64, fine = 5 : i64}}
              : ({_ty("6x6x4xi8")}) -> {_ty("6x6x16xi8")}""",
    ),
    # 10 channels in passes of 4 (5-lane result), positions in passes of 2
    (
        ["5x5x8xi8"],
        ["5x5x10xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "p2.w", weight_type = i8, {RQ},
              coarse_in = 4 : i64, coarse_out = 4 : i64, fine = 2 : i64}}
              : ({_ty("5x5x8xi8")}) -> {_ty("5x5x10xi8")}""",
    ),
    # padded passes with a skip input (unpacked from 6-lane tokens into passes of 5)
    (
        ["5x5x4xi8", "5x5x12xi8"],
        ["5x5x12xi8"],
        f"""%r0 = dataflow.conv %a0, %a1 {{{K3}, {S1}, {P1}, weights = "p3.w", bias = "p3.b", weight_type = i8,
              requant = #dataflow.requant<multiplier = 1, shift = 8>, acc_mult = 3 : i64, skip_mult = -2 : i64,
              skip_requant = #dataflow.requant<multiplier = 1, shift = 1, rounding = "floor">,
              coarse_in = 2 : i64, coarse_out = 5 : i64, fine = 3 : i64}}
              : ({_ty("5x5x4xi8")}, {_ty("5x5x12xi8")}) -> {_ty("5x5x12xi8")}""",
    ),
    # grouped conv, 5 channels a group in passes of 2
    (
        ["5x5x8xi8"],
        ["5x5x10xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, groups = 2 : i64, weights = "p4.w", bias = "p4.b",
              weight_type = i8, {RQ}, coarse_in = 2 : i64, coarse_out = 2 : i64}}
              : ({_ty("5x5x8xi8")}) -> {_ty("5x5x10xi8")}""",
    ),
    # 1x1 conv, 7 channels in passes of 3
    (
        ["4x4x8xi8"],
        ["4x4x7xi8"],
        f"""%r0 = dataflow.conv %a0 {{kernel = array<i64: 1, 1>, {S1}, {P0}, weights = "p5.w", bias = "p5.b",
              weight_type = i8, {RQ}, coarse_in = 8 : i64, coarse_out = 3 : i64}}
              : ({_ty("4x4x8xi8")}) -> {_ty("4x4x7xi8")}""",
    ),
    # temporal reuse 2 with two input passes (two window tokens a pixel)
    (
        ["6x6x4xi8"],
        ["6x6x6xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "p6.w", bias = "p6.b", weight_type = i8, {RQ},
              coarse_in = 2 : i64, coarse_out = 2 : i64, fine = 3 : i64, reuse = 2 : i64}}
              : ({_ty("6x6x4xi8")}) -> {_ty("6x6x6xi8")}""",
    ),
    # reuse 2 with an odd coarse_out (the last lane pairs across the two pixels), padded passes
    (
        ["4x4x4xi8"],
        ["4x4x8xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "p7.w", bias = "p7.b", weight_type = i8, {RQ},
              coarse_in = 4 : i64, coarse_out = 3 : i64, fine = 9 : i64, reuse = 2 : i64}}
              : ({_ty("4x4x4xi8")}) -> {_ty("4x4x8xi8")}""",
    ),
    # reuse 3 (odd) with one output lane
    (
        ["6x6x2xi8"],
        ["6x6x4xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "p8.w", weight_type = i8, {RQ},
              coarse_in = 2 : i64, fine = 9 : i64, reuse = 3 : i64}}
              : ({_ty("6x6x2xi8")}) -> {_ty("6x6x4xi8")}""",
    ),
    # reuse with a skip input and a forwarded centre pixel
    (
        ["4x4x4xi8", "4x4x4xi8"],
        ["4x4x4xi8", "4x4x4xi8"],
        f"""%r0, %r1 = dataflow.conv %a0, %a1 {{{K3}, {S1}, {P1}, weights = "p9.w", weight_type = i8,
              requant = #dataflow.requant<multiplier = 1, shift = 8>,
              skip_requant = #dataflow.requant<multiplier = 1, shift = 0, min = 0>,
              coarse_in = 4 : i64, coarse_out = 2 : i64, fine = 3 : i64, reuse = 2 : i64}}
              : ({_ty("4x4x4xi8")}, {_ty("4x4x4xi8")}) -> ({_ty("4x4x4xi8")}, {_ty("4x4x4xi8")})""",
    ),
    # reuse 2 on a stride-2 conv, and a depthwise conv with two groups in parallel
    (
        ["8x8x4xi8"],
        ["4x4x8xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S2}, {P1}, weights = "p10.w", bias = "p10.b", weight_type = i8, {RQ},
              coarse_in = 4 : i64, coarse_out = 4 : i64, fine = 9 : i64, reuse = 2 : i64}}
              : ({_ty("8x8x4xi8")}) -> {_ty("4x4x8xi8")}""",
    ),
    (
        ["6x6x4xi8"],
        ["6x6x4xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, groups = 4 : i64, weights = "p11.w", weight_type = i8, {RQ},
              coarse_group = 2 : i64, fine = 9 : i64, reuse = 2 : i64}}
              : ({_ty("6x6x4xi8")}) -> {_ty("6x6x4xi8")}""",
    ),
    # unsigned 8-bit activations: packed chains of 4 (255 * 128 per product)
    (
        ["6x6x3xui8"],
        ["6x6x4xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "p12.w", bias = "p12.b", weight_type = i8, {RQ},
              coarse_in = 3 : i64, coarse_out = 2 : i64, fine = 9 : i64}}
              : ({_ty("6x6x3xui8")}) -> {_ty("6x6x4xi8")}""",
    ),
]

# Flattened passes (terms): a pass takes `terms` products of the channel-major window, the last
# pass padded, in every kernel path of conv.h (plain, padded output passes with a skip input,
# reuse with an even and an odd coarse_out, two groups in parallel, a 1x1 conv).
FLATTENED_CASES: list[tuple[list[str], list[str], str]] = [
    # the ResNet-style block's conv: 8 channels, 7 passes of 11 of the 72 products (the last one 6)
    (
        ["6x6x8xi8"],
        ["6x6x8xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "f1.w", bias = "f1.b", weight_type = i8, {RQ},
              activation = #dataflow.act<kind = "relu">, coarse_in = 8 : i64, coarse_out = 8 : i64, terms = 11 : i64}}
              : ({_ty("6x6x8xi8")}) -> {_ty("6x6x8xi8")}""",
    ),
    # reuse 2 with passes of 5 products (15 passes for two pixels)
    (
        ["4x4x8xi8"],
        ["4x4x8xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "f2.w", bias = "f2.b", weight_type = i8, {RQ},
              coarse_in = 8 : i64, coarse_out = 8 : i64, reuse = 2 : i64, terms = 5 : i64}}
              : ({_ty("4x4x8xi8")}) -> {_ty("4x4x8xi8")}""",
    ),
    # reuse 4 with an odd coarse_out (the last lane pairs across pixels) and padded output passes
    (
        ["4x4x3xi8"],
        ["4x4x5xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "f3.w", bias = "f3.b", weight_type = i8, {RQ},
              coarse_in = 3 : i64, coarse_out = 3 : i64, reuse = 4 : i64, terms = 7 : i64}}
              : ({_ty("4x4x3xi8")}) -> {_ty("4x4x5xi8")}""",
    ),
    # padded output passes with a skip input
    (
        ["5x5x4xi8", "5x5x6xi8"],
        ["5x5x6xi8"],
        f"""%r0 = dataflow.conv %a0, %a1 {{{K3}, {S1}, {P1}, weights = "f4.w", bias = "f4.b", weight_type = i8,
              requant = #dataflow.requant<multiplier = 1, shift = 8>, acc_mult = 3 : i64, skip_mult = -2 : i64,
              skip_requant = #dataflow.requant<multiplier = 1, shift = 1, rounding = "floor">,
              coarse_in = 4 : i64, coarse_out = 4 : i64, terms = 13 : i64}}
              : ({_ty("5x5x4xi8")}, {_ty("5x5x6xi8")}) -> {_ty("5x5x6xi8")}""",
    ),
    # two groups in parallel, 4 channels a group, passes of 7 of a group's 36 products
    (
        ["5x5x8xi8"],
        ["5x5x8xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, groups = 2 : i64, weights = "f5.w", bias = "f5.b",
              weight_type = i8, {RQ}, coarse_group = 2 : i64, coarse_in = 4 : i64, coarse_out = 4 : i64,
              terms = 7 : i64}}
              : ({_ty("5x5x8xi8")}) -> {_ty("5x5x8xi8")}""",
    ),
    # a 1x1 conv: 3 passes of 3 of the 8 channels (a padded coarse_in)
    (
        ["4x4x8xi8"],
        ["4x4x6xi8"],
        f"""%r0 = dataflow.conv %a0 {{kernel = array<i64: 1, 1>, {S1}, {P0}, weights = "f6.w", bias = "f6.b",
              weight_type = i8, {RQ}, coarse_in = 8 : i64, coarse_out = 6 : i64, terms = 3 : i64}}
              : ({_ty("4x4x8xi8")}) -> {_ty("4x4x6xi8")}""",
    ),
]

FLOAT_FLATTENED_CASES: list[tuple[list[str], list[str], str]] = [
    (
        ["4x4x3xf32"],
        ["4x4x5xf32", "4x4x4xf32"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "g1.w", bias = "g1.b", weight_type = f32,
              coarse_in = 3 : i64, coarse_out = 2 : i64, terms = 4 : i64}}
              : ({_ty("4x4x3xf32")}) -> {_ty("4x4x5xf32")}
            %r1 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "g2.w", weight_type = f32,
              coarse_in = 3 : i64, coarse_out = 4 : i64, reuse = 2 : i64, terms = 10 : i64}}
              : ({_ty("4x4x3xf32")}) -> {_ty("4x4x4xf32")}""",
    ),
]

FLOAT_FOLDING_CASES: list[tuple[list[str], list[str], str]] = [
    (
        ["4x4x3xf32"],
        ["4x4x5xf32", "4x4x6xf32"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "q1.w", bias = "q1.b", weight_type = f32,
              coarse_in = 3 : i64, coarse_out = 2 : i64, fine = 5 : i64}}
              : ({_ty("4x4x3xf32")}) -> {_ty("4x4x5xf32")}
            %r1 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "q2.w", weight_type = f32,
              coarse_out = 3 : i64, fine = 2 : i64, reuse = 2 : i64}}
              : ({_ty("4x4x3xf32")}) -> {_ty("4x4x6xf32")}""",
    ),
]


# Temporal reuse as three dataflow processes (gather -> MAC -> drain, conv.h): every frame's
# groups go through the same one-deep FIFOs, so several frames check that no token of one frame
# is taken for the next's (the first group's windows, the last group's results).
REUSE_FRAME_CASES: list[tuple[list[str], list[str], str]] = [
    # the ResNet-style early-exit network's block conv on ZC706: eight pixels in 15 passes of 5
    (
        ["16x16x8xi8"],
        ["16x16x8xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S1}, {P1}, weights = "rf1.w", bias = "rf1.b", weight_type = i8, {RQ},
              activation = #dataflow.act<kind = "relu">, coarse_in = 8 : i64, coarse_out = 8 : i64, reuse = 8 : i64,
              terms = 5 : i64}}
              : ({_ty("16x16x8xi8")}) -> {_ty("16x16x8xi8")}""",
    ),
    # two window tokens a pixel (T = 2), a skip input read by the drain and a centre pixel
    # forwarded by the gather
    (
        ["4x4x4xi8", "4x4x4xi8"],
        ["4x4x4xi8", "4x4x4xi8"],
        f"""%r0, %r1 = dataflow.conv %a0, %a1 {{{K3}, {S1}, {P1}, weights = "rf2.w", weight_type = i8,
              requant = #dataflow.requant<multiplier = 1, shift = 8>,
              skip_requant = #dataflow.requant<multiplier = 1, shift = 0, min = 0>,
              coarse_in = 2 : i64, coarse_out = 2 : i64, fine = 3 : i64, reuse = 2 : i64}}
              : ({_ty("4x4x4xi8")}, {_ty("4x4x4xi8")}) -> ({_ty("4x4x4xi8")}, {_ty("4x4x4xi8")})""",
    ),
    # stride 2, reuse 4 across a whole output row, partial sums over two input passes
    (
        ["8x8x4xi8"],
        ["4x4x6xi8"],
        f"""%r0 = dataflow.conv %a0 {{{K3}, {S2}, {P1}, weights = "rf3.w", bias = "rf3.b", weight_type = i8, {RQ},
              coarse_in = 2 : i64, coarse_out = 3 : i64, fine = 9 : i64, reuse = 4 : i64}}
              : ({_ty("8x8x4xi8")}) -> {_ty("4x4x6xi8")}""",
    ),
]


def assemble(cases: list[tuple[list[str], list[str], str]], name: str) -> str:
    """One function holding every case, with unique value names."""
    args, results, body = [], [], []
    for i, (ins, outs, text) in enumerate(cases):
        for j, t in enumerate(ins):
            args.append(f"%a{j}_{i}: {_ty(t)}")
        for j, t in enumerate(outs):
            results.append((f"%r{j}_{i}", _ty(t)))
        renamed = text
        for j in range(len(ins)):
            renamed = renamed.replace(f"%a{j}", f"%a{j}_{i}")
        for j in range(len(outs)):
            renamed = renamed.replace(f"%r{j}", f"%r{j}_{i}")
        for j in range(6):
            renamed = renamed.replace(f"%t{j}", f"%t{j}_{i}")
        body.append(renamed)
    signature = ", ".join(args)
    result_types = ", ".join(t for _, t in results)
    ret = f"func.return {', '.join(v for v, _ in results)} : {result_types}"
    return f"func.func @{name}({signature}) -> ({result_types}) {{\n  " + "\n  ".join(body) + f"\n  {ret}\n}}\n"


def csim_cases(tmp_path, cases, name: str, frames: int, seeds: tuple[int, int] = (1, 0), exact: bool = True):
    """Every case of `cases` in one design through g++ csim against fpga-sim: PASS, and bit for bit when
    `exact` (float kernels pass within the testbench's tolerance)."""
    module = parse(assemble(cases, name))
    weights = random_weights(module, seed=seeds[0])
    inputs = random_inputs(module, frames=frames, seed=seeds[1])
    result = csim(module, weights, inputs, tmp_path / name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS" in result.stdout
    if exact:
        assert "bit-exact" in result.stdout


@pytest.mark.slow
def test_integer_kernels_bit_exact(tmp_path):
    csim_cases(tmp_path, INT_CASES, "int_kernels", frames=3)


@pytest.mark.slow
def test_float_kernels_within_tolerance(tmp_path):
    csim_cases(tmp_path, FLOAT_CASES, "float_kernels", frames=3, exact=False)


@pytest.mark.slow
def test_a_wrong_expectation_fails_with_its_location(tmp_path):
    """The testbench reports the first mismatch with its frame, port, index and h/w/c."""
    module = parse(assemble(INT_CASES[:1], "mismatch"))
    weights = random_weights(module)
    inputs = random_inputs(module, frames=2)
    from fpga_opt.backend.sim import run_functional

    expected = run_functional(module, weights, inputs, layout="hwc")
    expected[0] = expected[0].copy()
    expected[0][1, 2, 3, 4] ^= 1
    result = csim(module, weights, inputs, tmp_path / "mismatch", expected=expected)
    assert result.returncode != 0
    assert "FAIL: 1 of 432 values differ; first at frame 1, output 'out0' index 94 (h=2 w=3 c=4)" in result.stdout


@pytest.mark.slow
def test_padded_passes_and_reuse_bit_exact(tmp_path):
    """Padded passes, temporal reuse and int8 packing in the conv kernel agree with fpga-sim bit for bit."""
    csim_cases(tmp_path, FOLDING_CASES, "folding_kernels", frames=3, seeds=(3, 4))


@pytest.mark.slow
def test_float_padded_passes_and_reuse(tmp_path):
    csim_cases(tmp_path, FLOAT_FOLDING_CASES, "float_folding_kernels", frames=2, seeds=(5, 6), exact=False)


@pytest.mark.slow
def test_flattened_passes_bit_exact(tmp_path):
    """Flattened passes (terms) in every conv kernel path agree with fpga-sim bit for bit."""
    csim_cases(tmp_path, FLATTENED_CASES, "flattened_kernels", frames=3, seeds=(7, 8))


@pytest.mark.slow
def test_float_flattened_passes(tmp_path):
    csim_cases(tmp_path, FLOAT_FLATTENED_CASES, "float_flattened_kernels", frames=2, seeds=(9, 10), exact=False)


@pytest.mark.slow
def test_reuse_convs_over_several_frames_bit_exact(tmp_path):
    """The reuse kernel's gather, MAC and drain processes agree with fpga-sim bit for bit on five frames."""
    csim_cases(tmp_path, REUSE_FRAME_CASES, "reuse_frames", frames=5, seeds=(11, 12))
