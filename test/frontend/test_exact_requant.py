"""Integer layers round as the QDQ formula does in exact arithmetic (docs/frontend.md).

A QDQ bias is `q_b * s_b` with `s_b` the float32 rounding of `s_in * s_w` (what onnxruntime's
quantiser stores), not `s_in * s_w` itself.  The integer bias in the accumulator drops the
difference; the requant's fine bias puts it back.  The graph below is built so that, in each
of its four channels, the exact value of one output lies a few 1e-6 of an LSB from a half: the
integer bias alone rounds it the other way (checked here too, so the test can fail), the fine
bias rounds it as the exact value does.  The constants were found by a search over the bias
(`q_b`) for such near-ties at input 255.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from fpga_opt.backend.sim import FunctionalModel, elaborate
from fpga_opt.backend.sim.boundary import prepare_inputs
from fpga_opt.frontend.onnx_import import import_onnx

REPO = Path(__file__).resolve().parents[2]

S_IN, Z_IN, S_OUT = np.float32(0.02), 128, np.float32(0.05)
S_W = np.array([0.01346531044691801, 0.00794483907520771, 0.017333010211586952, 0.0029008453711867332], np.float32)
Q_B = np.array([35056, 68943, 18407, 189042], np.int32)
S_B = (S_IN * S_W).astype(np.float32)  # float32(s_in * s_w), as the quantiser writes it


def _model(path):
    c = len(S_W)
    inits = [
        numpy_helper.from_array(np.array(S_IN, np.float32), "s_in"),
        numpy_helper.from_array(np.array(Z_IN, np.uint8), "z_in"),
        numpy_helper.from_array(np.ones((c, 1, 1, 1), np.int8), "w_q"),
        numpy_helper.from_array(S_W, "s_w"),
        numpy_helper.from_array(np.zeros(c, np.int8), "z_w"),
        numpy_helper.from_array(Q_B, "b_q"),
        numpy_helper.from_array(S_B, "s_b"),
        numpy_helper.from_array(np.zeros(c, np.int32), "z_b"),
        numpy_helper.from_array(np.array(S_OUT, np.float32), "s_out"),
        numpy_helper.from_array(np.array(0, np.uint8), "z_out"),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s_in", "z_in"], ["x_q"]),
        helper.make_node("DequantizeLinear", ["x_q", "s_in", "z_in"], ["x_dq"]),
        helper.make_node("DequantizeLinear", ["w_q", "s_w", "z_w"], ["w"], axis=0),
        helper.make_node("DequantizeLinear", ["b_q", "s_b", "z_b"], ["b"], axis=0),
        helper.make_node("Conv", ["x_dq", "w", "b"], ["y"], name="conv"),
        helper.make_node("QuantizeLinear", ["y", "s_out", "z_out"], ["y_q"]),
        helper.make_node("DequantizeLinear", ["y_q", "s_out", "z_out"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes,
        "near_ties",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 16, 16])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, c, 16, 16])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return path


def _round_half_even(v: Fraction) -> int:
    return round(v)  # Fraction rounds half to even


def test_qdq_bias_rounds_as_the_exact_formula(tmp_path):
    imported = import_onnx(_model(tmp_path / "near_ties.onnx"))
    assert "fine_bias = [" in str(imported.module)
    k = np.arange(256).reshape(16, 16)  # every uint8 input value once
    x = ((k - Z_IN) * np.float64(S_IN)).astype(np.float32)[None, None]
    net = elaborate(imported.module)
    model = FunctionalModel(net, imported.weights)
    values = model.evaluate(prepare_inputs(net, [x], layout="nchw"))
    got = values[net.outputs[0]][0].astype(np.int64)  # (16, 16, C)

    s_in, s_out = Fraction(float(S_IN)), Fraction(float(S_OUT))
    flips = 0
    for c in range(len(S_W)):
        s_w, bias = Fraction(float(S_W[c])), int(Q_B[c]) * Fraction(float(S_B[c]))
        int_bias = round(bias / (s_in * s_w))  # the integer bias alone, at the accumulator's scale
        for kk in range(256):
            acc = kk - Z_IN
            exact = min(max(_round_half_even((acc * s_in * s_w + bias) / s_out), 0), 255)
            assert got[kk // 16, kk % 16, c] == exact, (c, kk)
            alone = min(max(_round_half_even((acc + int_bias) * s_in * s_w / s_out), 0), 255)
            flips += alone != exact
    assert flips == len(S_W)  # each channel's near-tie: the integer bias alone rounds it the other way


# An add of two uint8 tensors with unrelated scales (seeded search: two of the 65536 input pairs lie
# within 1e-5 LSB of a half, where a common scale of 22-bit operand multipliers rounds the wrong way).
ADD_SCALES = (0.047227587550878525, 214, 0.04750247672200203, 55, 0.0511021688580513)  # sa, za, sb, zb, s_out


def _add_model(path):
    sa, za, sb, zb, so = ADD_SCALES
    inits = [
        numpy_helper.from_array(np.array(sa, np.float32), "sa"),
        numpy_helper.from_array(np.array(za, np.uint8), "za"),
        numpy_helper.from_array(np.array(sb, np.float32), "sb"),
        numpy_helper.from_array(np.array(zb, np.uint8), "zb"),
        numpy_helper.from_array(np.array(so, np.float32), "so"),
        numpy_helper.from_array(np.array(0, np.uint8), "zo"),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["a", "sa", "za"], ["a_q"]),
        helper.make_node("DequantizeLinear", ["a_q", "sa", "za"], ["a_dq"]),
        helper.make_node("QuantizeLinear", ["b", "sb", "zb"], ["b_q"]),
        helper.make_node("DequantizeLinear", ["b_q", "sb", "zb"], ["b_dq"]),
        helper.make_node("Add", ["a_dq", "b_dq"], ["y"], name="add"),
        helper.make_node("QuantizeLinear", ["y", "so", "zo"], ["y_q"]),
        helper.make_node("DequantizeLinear", ["y_q", "so", "zo"], ["out"]),
    ]
    shape = [1, 1, 256, 256]
    graph = helper.make_graph(
        nodes,
        "add_near_ties",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in ("a", "b")],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, shape)],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return path


def test_add_of_unrelated_scales_rounds_as_the_exact_formula(tmp_path):
    from fpga_opt.frontend.handlers.eltwise import _align
    from fpga_opt.frontend.requant import multiplier_shift

    sa, za, sb, zb, so = ADD_SCALES
    imported = import_onnx(_add_model(tmp_path / "add.onnx"))
    col, row = np.meshgrid(np.arange(256), np.arange(256))  # every pair (a, b) of uint8 values once
    a = ((col - za) * np.float64(np.float32(sa))).astype(np.float32)[None, None]
    b = ((row - zb) * np.float64(np.float32(sb))).astype(np.float32)[None, None]
    net = elaborate(imported.module)
    model = FunctionalModel(net, imported.weights)
    values = model.evaluate(prepare_inputs(net, [a, b], layout="nchw"))
    got = values[net.outputs[0]][0, :, :, 0].astype(np.int64)

    fa, fb, fo = (Fraction(float(np.float32(s))) for s in (sa, sb, so))
    lm, rm, common = _align(float(np.float32(sa)), float(np.float32(sb)))  # the 22-bit common scale
    m, shift = multiplier_shift(common / float(np.float32(so)))
    wrong = 0
    for ai in range(256):
        for bi in range(256):
            exact = min(max(_round_half_even(((ai - za) * fa + (bi - zb) * fb) / fo), 0), 255)
            assert got[bi, ai] == exact, (ai, bi)
            aligned = Fraction(((ai - za) * lm + (bi - zb) * rm) * m, 2**shift)
            wrong += min(max(_round_half_even(aligned), 0), 255) != exact
    assert wrong == 2  # the two near-ties: a common 22-bit scale rounds them the other way


def test_exact_qdq_script_finds_the_near_ties(tmp_path):
    """examples/zoo/exact_qdq.py (the evidence behind docs/zoo.md's top-1 analysis) evaluates the
    near-tie conv above as the exact formula does, where the integer bias alone would not."""
    import sys

    import pytest

    pytest.importorskip("torch", reason="exact_qdq.py convolves with torch (CPU), which CI does not install")
    sys.path.insert(0, str(REPO / "examples" / "zoo"))
    try:
        from exact_qdq import ExactQDQ
    finally:
        sys.path.pop(0)
    k = np.arange(256).reshape(16, 16)
    x = ((k - Z_IN) * np.float64(S_IN)).astype(np.float32)[None, None]
    got = ExactQDQ(_model(tmp_path / "near_ties.onnx")).run(x)[0]  # (C, 16, 16)
    s_in, s_out = Fraction(float(S_IN)), Fraction(float(S_OUT))
    for c in range(len(S_W)):
        s_w, bias = Fraction(float(S_W[c])), int(Q_B[c]) * Fraction(float(S_B[c]))
        want = [min(max(round(((kk - Z_IN) * s_in * s_w + bias) / s_out), 0), 255) for kk in range(256)]
        assert got[c].reshape(-1).tolist() == want, c
