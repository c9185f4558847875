"""Python-level checks of the dataflow dialect: builders, accessors, verifiers."""

import pytest
from xdsl.dialects.builtin import IntegerType, f32, i8, i32
from xdsl.ir import Block
from xdsl.utils.exceptions import VerifyException

from fpga_opt.dialects.dataflow import (
    ActivationAttr,
    AddOp,
    BufferOp,
    ConvOp,
    ForkOp,
    LinearOp,
    PoolOp,
    RequantAttr,
    StreamType,
    int_range,
    window_output_size,
)


def stream(h, w, c, t=i8):
    return StreamType((h, w, c), t)


def block_arg(t):
    return Block(arg_types=[t]).args[0]


def test_stream_type_accessors():
    s = stream(32, 16, 8)
    assert s.dims == (32, 16, 8)
    assert (s.height, s.width, s.channels, s.numel, s.bitwidth) == (32, 16, 8, 4096, 8)
    assert s.is_integer and not stream(1, 1, 1, f32).is_integer


def test_int_range():
    assert int_range(i8) == (-128, 127)
    assert int_range(IntegerType(4)) == (-8, 7)
    from xdsl.dialects.builtin import Signedness

    assert int_range(IntegerType(8, Signedness.UNSIGNED)) == (0, 255)


@pytest.mark.parametrize(
    "size,kernel,stride,before,after,expected",
    [(32, 3, 1, 1, 1, 32), (32, 3, 2, 1, 1, 16), (28, 5, 1, 0, 0, 24), (7, 2, 2, 0, 0, 3), (8, 1, 2, 0, 0, 4)],
)
def test_window_output_size(size, kernel, stride, before, after, expected):
    assert window_output_size(size, kernel, stride, before, after) == expected


def test_conv_builder_verifies_and_reports_folding():
    x = block_arg(stream(8, 8, 4))
    conv = ConvOp(
        x,
        stream(4, 4, 8),
        kernel=(3, 3),
        stride=(2, 2),
        pad=(1, 1, 1, 1),
        weights="c.w",
        weight_type=i8,
        requant=RequantAttr(3, 9, min=0),
        layer="conv1",
    )
    conv.verify()
    assert conv.folding() == {"coarse_in": 1, "coarse_out": 1, "fine": 1, "coarse_group": 1, "reuse": 1, "terms": 1}
    assert conv.kernel_size == (3, 3)
    assert conv.layer_name == "conv1"
    assert not conv.has_forward


def test_conv_rejects_bad_coarse_out_with_layer_name():
    x = block_arg(stream(8, 8, 4))
    conv = ConvOp(x, stream(8, 8, 6, i32), kernel=(3, 3), pad=(1, 1, 1, 1), weights="w", weight_type=i8, layer="c7")
    conv.coarse_out = conv.coarse_in.__class__(4, conv.coarse_in.type)
    conv.verify()  # padded passes: 6 channels in passes of 4, the last one padded
    assert conv.output_lanes(0) == 6  # the result stream: the smallest divisor of 6 that is >= 4
    conv.coarse_out = conv.coarse_in.__class__(7, conv.coarse_in.type)
    with pytest.raises(VerifyException, match=r'"c7": coarse_out = 7 must be in \[1, 6\]'):
        conv.verify()


def test_linear_requires_vector_result():
    x = block_arg(stream(2, 2, 4))
    with pytest.raises(VerifyException, match="result must be 1x1xN"):
        LinearOp(x, stream(2, 1, 10, i32), weights="w", weight_type=i8).verify()
    LinearOp(x, stream(1, 1, 10, i32), weights="w", weight_type=i8).verify()


def test_pool_default_stride_is_kernel():
    x = block_arg(stream(8, 8, 4))
    pool = PoolOp(x, stream(4, 4, 4), mode="max", kernel=(2, 2))
    pool.verify()
    assert pool.stride.get_values() == (2, 2)


def test_fork_buffer_add_builders():
    x = block_arg(stream(4, 4, 2))
    fork = ForkOp(x, 3)
    fork.verify()
    assert len(fork.outputs) == 3 and all(r.type == x.type for r in fork.outputs)
    buf = BufferOp(fork.outputs[0], 16)
    buf.verify()
    add = AddOp(buf.output, fork.outputs[1], x.type, lhs_mult=2, requant=RequantAttr(1, 1))
    add.verify()
    assert add.lhs_mult.value.data == 2


def test_float_add_rejects_multipliers():
    x = block_arg(stream(4, 4, 2, f32))
    with pytest.raises(VerifyException, match="lhs_mult/rhs_mult apply to integer streams only"):
        AddOp(x, x, x.type, lhs_mult=2).verify()


def test_requant_attr_verifies_fields():
    RequantAttr(5, 10)  # valid
    with pytest.raises(VerifyException, match="shift must be in"):
        RequantAttr(1, 70)
    with pytest.raises(VerifyException, match="multiplier must be in"):
        RequantAttr(0, 3)
    with pytest.raises(VerifyException, match="min .* greater than max"):
        RequantAttr(1, 1, min=5, max=4)
    assert RequantAttr(1, 1).fits(i8) and not RequantAttr(1, 1, min=-200).fits(i8)


def test_activation_attr():
    act = ActivationAttr("clip", lo=0.0, hi=6.0)
    assert (act.lo_value, act.hi_value) == (0.0, 6.0)
    with pytest.raises(VerifyException, match="kind must be one of"):
        ActivationAttr("gelu")
    with pytest.raises(VerifyException, match="lo .* > hi"):
        ActivationAttr("clip", lo=1.0, hi=0.0)
