"""Dilated convolutions (ONNX `dilations`) against onnxruntime: float, and quantised by onnxruntime's quantiser.

The graphs are built with onnx.helper (no torch in CI): atrous convs as DeepLab-style networks use
them (3x3 taps 2 and 3 apart, "same" padding), a non-square dilation with stride 2 and asymmetric
padding, and a dilated depthwise conv.  fpga-sim's functional model must match onnxruntime (float:
1e-4 of the largest value; quantised: fpga-trace's issue-13 thresholds with each layer fed the
reference's input; float: the test's own reference evaluator and fpga-sim's functional model), and
the timing model must run the design as imported (no deadlock).
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx_builders import Graph, compare, ort_run, quantise_static, rand_w, save

from fpga_opt.backend.sim import run_functional, simulate
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.frontend.onnx_import import import_onnx
from fpga_opt.tools.fpga_trace import check, trace_model

SHAPE = (1, 3, 12, 11)


def _dilated_net(rng: np.random.Generator) -> onnx.ModelProto:
    g = Graph()
    x = g.conv(
        "input", rand_w(rng, 8, 3, 3, 3), rand_w(rng, 8, scale=0.1), pads=[2, 2, 2, 2], dilations=[2, 2], name="c1"
    )
    x = g.node("Relu", [x], name="r1")
    y = g.conv(x, rand_w(rng, 8, 8, 3, 3, scale=0.15), None, pads=[3, 3, 3, 3], dilations=[3, 3], name="c2")
    x = g.node("Add", [x, y], name="add")
    x = g.node("Relu", [x], name="r2")
    x = g.conv(
        x, rand_w(rng, 8, 1, 3, 3), rand_w(rng, 8, scale=0.1), pads=[2, 1, 2, 1], dilations=[2, 1], group=8, name="dw"
    )
    x = g.node("Relu", [x], name="r3")
    # non-square taps, dilation 3 x 2, stride 2, asymmetric padding: 12x11 -> 5x5
    x = g.conv(
        x,
        rand_w(rng, 6, 8, 3, 2, scale=0.2),
        rand_w(rng, 6, scale=0.1),
        pads=[3, 0, 1, 1],
        dilations=[3, 2],
        strides=[2, 2],
        name="c3",
    )
    x = g.node("Relu", [x], name="r4")
    x = g.node("GlobalAveragePool", [x], name="gap")
    x = g.node("Flatten", [x], name="flat")
    g.node("Gemm", [x, g.init("w", rand_w(rng, 4, 6)), g.init("b", rand_w(rng, 4))], name="fc", transB=1, outputs=["y"])
    return g.model([("input", list(SHAPE))], [("y", [1, 4])])  # fmt: skip


def test_float_dilated_convs_match_onnxruntime_and_run_as_imported(tmp_path):
    imported = compare(_dilated_net(np.random.default_rng(3)), tmp_path, {"input": SHAPE}, n=2)
    convs = [op for op in imported.func.body.block.ops if op.name == "dataflow.conv"]
    assert [op.dilation_size for op in convs] == [(2, 2), (3, 3), (2, 1), (3, 2)]
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    (expected,) = ort_run(save(_dilated_net(np.random.default_rng(3)), tmp_path / "again.onnx"), {"input": x})
    (ours,) = run_functional(imported.module, imported.weights, [x], layout="nchw", dequantize=True)
    assert np.abs(ours.reshape(expected.shape) - expected).max() <= 1e-5 * np.abs(expected).max()
    result = simulate(imported.module, imported.weights, [x], frames=1, layout="nchw")
    assert result.deadlock is None and result.outputs is not None and result.cycles_per_frame > 0


@pytest.mark.parametrize("form", ["qdq_channel", "qop"])
def test_quantised_dilated_convs_pass_the_trace(tmp_path, form):
    """onnxruntime's quantiser: QDQ (per-channel weights, uint8 asymmetric activations) and QOperator."""
    pytest.importorskip("onnxruntime.quantization")
    float_path = save(_dilated_net(np.random.default_rng(4)), tmp_path / "float.onnx")
    q_path = quantise_static(float_path, tmp_path / f"{form}.onnx", form, SHAPE, seed=4)
    if form == "qop":
        assert "QLinearConv" in {n.op_type for n in onnx.load(q_path).graph.node}
    x = np.random.default_rng(5).standard_normal((24, *SHAPE[1:])).astype(np.float32)
    summary = trace_model(q_path, {"input": x})
    assert check(summary) == [], check(summary)
    assert {t["kind"] for t in summary["layers"]} != {"float"}
    imported = import_onnx(q_path)
    assert sum(op.name == "dataflow.conv" and op.dilation_size != (1, 1) for op in imported.func.body.block.ops) == 4
    result = simulate(imported.module, imported.weights, [x[:1]], frames=1, layout="nchw")
    assert result.deadlock is None and result.outputs is not None


def test_dilated_max_pool_is_refused_in_one_line(tmp_path):
    g = Graph()
    g.node("MaxPool", ["x"], name="mp", kernel_shape=[2, 2], dilations=[2, 2], outputs=["y"])
    path = save(g.model([("x", [1, 3, 8, 8])], [("y", [1, 3, 6, 6])]), tmp_path / "m.onnx")
    with pytest.raises(FpgaOptError) as caught:
        import_onnx(path)
    message = str(caught.value)
    assert "\n" not in message
    assert "MaxPool 'mp'" in message and "dilations [2, 2] are not supported for MaxPool" in message


@pytest.mark.slow
def test_fpga_compile_end_to_end_with_csim(tmp_path):
    """The QDQ network through `fpga-compile`: default pipeline, bit-exact check, HLS project, g++ csim."""
    import json

    from fpga_opt.tools.fpga_compile import build_parser, run

    pytest.importorskip("onnxruntime.quantization")
    float_path = save(_dilated_net(np.random.default_rng(4)), tmp_path / "float.onnx")
    q_path = quantise_static(float_path, tmp_path / "qdq_channel.onnx", "qdq_channel", SHAPE, seed=4)
    out = tmp_path / "design"
    assert run(build_parser().parse_args([str(q_path), "-o", str(out), "--board", "u250", "--frames", "2"])) == 0
    design = json.loads((out / "report.json").read_text())["design"]
    assert design["simulate"]["passed"] and design["simulate"]["exact"]  # dilated convs: bit for bit after the passes
    assert design["csim_passed"] and "bit-exact" in design["csim"]
