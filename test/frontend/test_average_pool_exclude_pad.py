"""AveragePool with pads and `count_include_pad = 0` (ONNX's default) against onnxruntime.

Each window is divided by its real pixels (a corner 3x3 window by 4, an edge one by 6): the op's
`exclude_pad`.  Float graphs (onnx.helper; Inception-v2 and ShuffleNet from the onnx wheel use it)
must match onnxruntime within 1e-5 of the largest value; graphs quantised by onnxruntime's own
quantiser (QDQ with uint8 asymmetric activations, and QOperator's QLinearAveragePool) must pass
fpga-trace's issue-13 thresholds with each layer fed the reference's input; the QDQ one computes its
mean in the reference's float32 arithmetic (`qdq_scales`) and equals it on every value.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx_builders import Graph, ort_run, quantise_static, rand_w, save

from fpga_opt.backend.sim import run_functional, simulate
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.frontend.onnx_import import import_onnx
from fpga_opt.tools.fpga_trace import check, trace_model

SHAPE = (1, 3, 9, 10)


def _net(rng: np.random.Generator, shape: tuple[int, ...] = SHAPE) -> onnx.ModelProto:
    g = Graph()
    x = g.conv("input", rand_w(rng, 8, 3, 3, 3), rand_w(rng, 8, scale=0.1), pads=[1, 1, 1, 1], name="c1")
    x = g.node("Relu", [x], name="r1")
    # 3x3 stride 1, pads 1: every border window is short
    x = g.node("AveragePool", [x], name="ap1", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    x = g.conv(x, rand_w(rng, 8, 8, 1, 1), rand_w(rng, 8, scale=0.1), name="c2")
    # 3x2 stride 2 with asymmetric pads: short windows at the top and on both sides
    x = g.node(
        "AveragePool", [x], name="ap2", kernel_shape=[3, 2], strides=[2, 2], pads=[2, 1, 0, 1], count_include_pad=0
    )
    x = g.node("Relu", [x], name="r2")
    x = g.node("GlobalAveragePool", [x], name="gap")
    x = g.node("Flatten", [x], name="flat")
    g.node("Gemm", [x, g.init("w", rand_w(rng, 5, 8)), g.init("b", rand_w(rng, 5))], name="fc", transB=1, outputs=["y"])
    return g.model([("input", list(shape))], [("y", [1, 5])])  # fmt: skip


def _pools(imported) -> list:
    return [op for op in imported.func.body.block.ops if op.name == "dataflow.pool"]


def test_window_counts():
    imported = import_onnx(save(_net(np.random.default_rng(0)), _tmp() / "counts.onnx"))
    ap1, ap2 = _pools(imported)
    counts = ap1.window_counts()
    assert counts.shape == (9, 10) and counts[0, 0] == 4 and counts[0, 5] == 6 and counts[4, 5] == 9
    # ap2: rows start at -2, 0, 2, 4, 6 (3 rows of 9), columns at -1, 1, ..., 9 (2 columns of 10; right pad 1)
    assert ap2.window_counts()[:, 0].tolist() == [1, 3, 3, 3, 3] and ap2.window_counts()[1].tolist() == [
        3,
        6,
        6,
        6,
        6,
        3,
    ]


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp())


def test_float_average_pools_exclude_the_padding_like_onnxruntime(tmp_path):
    model = _net(np.random.default_rng(1))
    path = save(model, tmp_path / "float.onnx")
    imported = import_onnx(path)
    assert [op.exclude_pad is not None for op in _pools(imported)] == [True, True]
    rng = np.random.default_rng(2)
    for _ in range(2):
        x = rng.standard_normal(SHAPE).astype(np.float32)
        (expected,) = ort_run(path, {"input": x})
        (ours,) = run_functional(imported.module, imported.weights, [x], layout="nchw", dequantize=True)
        assert np.abs(ours.reshape(expected.shape) - expected).max() <= 1e-5 * np.abs(expected).max()
    result = simulate(imported.module, imported.weights, [x], frames=1, layout="nchw")
    assert result.deadlock is None and result.outputs is not None


@pytest.mark.parametrize("form", ["qdq_channel", "qop"])
def test_quantised_average_pools_exclude_the_padding_and_pass_the_trace(tmp_path, form):
    pytest.importorskip("onnxruntime.quantization")
    float_path = save(_net(np.random.default_rng(3)), tmp_path / "float.onnx")
    q_path = quantise_static(float_path, tmp_path / f"{form}.onnx", form, SHAPE, seed=3)
    if form == "qop":
        assert "QLinearAveragePool" in {n.op_type for n in onnx.load(q_path).graph.node}
    imported = import_onnx(q_path)
    pools = _pools(imported)
    assert [p.exclude_pad is not None for p in pools] == [True, True]
    assert all(not p.requant.per_channel for p in pools)
    # DQ -> AveragePool -> Q: the mean in the reference's float32 arithmetic; QLinearAveragePool: exact
    assert [p.reference_scales is not None for p in pools] == [form == "qdq_channel"] * 2
    x = np.random.default_rng(4).standard_normal((24, *SHAPE[1:])).astype(np.float32)
    summary = trace_model(q_path, {"input": x})
    assert check(summary) == []
    if form == "qdq_channel":  # ap1 keeps its input's scale: its exact means have ties, decided as onnxruntime does
        (ap1,) = [t for t in summary["layers"] if t["layer"] == "ap1"]
        assert ap1["isolated"]["equal"] == 1.0
    assert {t["kind"] for t in summary["layers"]} != {"float"}
    result = simulate(imported.module, imported.weights, [x[:1]], frames=1, layout="nchw")
    assert result.deadlock is None and result.outputs is not None


def test_qdq_exclusive_average_equals_the_reference_even_at_exact_ties(tmp_path):
    """DQ -> AveragePool(count_include_pad = 0) -> Q with one scale (as onnxruntime's quantiser makes it).

    The exact mean over the real pixels is a tie (x.5) where a sum of 6 values is 3 mod 6, of 4 is
    2 mod 4; the QDQ reference decides those in float32, on either side.  The importer gives the op
    `qdq_scales`, so fpga-sim computes the reference's float32 mean (its order of additions) and
    equals onnxruntime on every value, ties included; without them (the exact rule, QLinearAveragePool's)
    it is the exact mean rounded half to even everywhere, which differs from the reference at ties.
    """
    import onnxruntime as ort

    scale = 0.05
    g = Graph()
    x = g.qdq("x", scale, np.uint8, name="in")
    y = g.node("AveragePool", [x], name="ap", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    g.qdq(y, scale, np.uint8, name="out")
    shape = (1, 4, 7, 8)
    path = save(g.model([("x", list(shape))], [("out.dq_out0", list(shape))]), tmp_path / "m.onnx")
    imported = import_onnx(path)
    exact_rule = import_onnx(path)
    (pool,) = _pools(exact_rule)
    del pool.properties["qdq_scales"]
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    counts = pool.window_counts()
    rng = np.random.default_rng(6)
    ties = exact_differs = 0
    for _ in range(20):
        q = rng.integers(0, 256, size=shape)
        x = (q * np.float32(scale)).astype(np.float32)  # quantises back to q exactly
        (theirs,) = session.run(None, {"x": x})
        theirs = np.rint(theirs / np.float32(scale)).astype(np.int64)

        def ours(design) -> np.ndarray:
            (y,) = run_functional(design.module, design.weights, [x], layout="nchw", dequantize=True)
            return np.rint(y.transpose(0, 3, 1, 2) / scale).astype(np.int64)  # fpga-sim's outputs are NHWC

        np.testing.assert_array_equal(ours(imported), theirs)
        padded = np.pad(q, ((0, 0), (0, 0), (1, 1), (1, 1)))
        sums = sum(padded[:, :, i : i + 7, j : j + 8] for i in range(3) for j in range(3))
        n = counts[None, None]
        exact = np.clip(np.round(sums / n), 0, 255)  # numpy rounds half to even
        np.testing.assert_array_equal(ours(exact_rule), exact)
        tie = ((2 * sums) % n == 0) & (((2 * sums) // n) % 2 == 1)
        assert not np.any((exact != theirs) & ~tie)
        ties, exact_differs = ties + int(tie.sum()), exact_differs + int((exact != theirs).sum())
    # the grid has short windows of 4 and 6 pixels: ties occur, and the reference rounds some of them
    # away from the even neighbour, so the exact rule alone would not match it
    assert ties > 0 and exact_differs > 0


def test_an_integer_exclusive_average_without_a_quantize_after_it_is_refused(tmp_path):
    g = Graph()
    x = g.qdq("x", 0.05, np.uint8, name="in")
    g.node("AveragePool", [x], name="ap", kernel_shape=[3, 3], pads=[1, 1, 1, 1], outputs=["y"])
    path = save(g.model([("x", [1, 2, 5, 5])], [("y", [1, 2, 5, 5])]), tmp_path / "m.onnx")
    with pytest.raises(FpgaOptError) as caught:
        import_onnx(path)
    message = str(caught.value)
    assert "\n" not in message and "output 'y'" in message
    assert "an integer AveragePool with pads and count_include_pad = 0 needs a QuantizeLinear after it" in message


@pytest.mark.slow
def test_fpga_compile_end_to_end_with_csim(tmp_path):
    """The QDQ network through `fpga-compile`: default pipeline, bit-exact check, HLS project, g++ csim."""
    import json

    from fpga_opt.tools.fpga_compile import build_parser, run

    pytest.importorskip("onnxruntime.quantization")
    # a 36x40 map: the float32 mean's pipeline (about 90 cycles deep) is short beside a frame, as in a
    # real network (on the 9x10 map a frame is shorter than that pipeline, and size-fifos cannot get
    # the sized design within 2% of the decoupled rate)
    shape = (1, 3, 36, 40)
    float_path = save(_net(np.random.default_rng(3), shape), tmp_path / "float.onnx")
    q_path = quantise_static(float_path, tmp_path / "qdq_channel.onnx", "qdq_channel", shape, seed=3)
    assert all(p.reference_scales is not None for p in _pools(import_onnx(q_path)))
    out = tmp_path / "design"
    assert run(build_parser().parse_args([str(q_path), "-o", str(out), "--board", "u250", "--frames", "2"])) == 0
    design = json.loads((out / "report.json").read_text())["design"]
    assert (
        design["simulate"]["passed"] and design["simulate"]["exact"]
    )  # exclude_pad average pools: bit for bit after the passes
    assert design["csim_passed"] and "bit-exact" in design["csim"]
