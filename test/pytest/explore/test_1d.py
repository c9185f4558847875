"""1-D CNNs (Conv1d, MaxPool1d/AvgPool1d, BatchNorm1d, Linear) through the frontend's lift to height 1.

Models built here with onnx.helper, and the ECG example's torch export and onnxruntime-quantised
model (examples/ecg), must compute in fpga-sim what onnxruntime computes: float within
rounding, integer models bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from fpga_opt.backend.sim import run_functional
from fpga_opt.frontend.lift_1d import is_1d
from fpga_opt.frontend.onnx_import import import_onnx, module_text
from fpga_opt.frontend.requantise import LayerBits, quantisable_layers, requantise

ECG = Path(__file__).resolve().parents[3] / "examples" / "ecg"


def ort_outputs(model: onnx.ModelProto | str, x: np.ndarray) -> np.ndarray:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    data = model if isinstance(model, str) else model.SerializeToString()
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: x[i : i + 1]})[0] for i in range(len(x))])


def sim_outputs(path: Path, x: np.ndarray) -> np.ndarray:
    imported = import_onnx(path)
    out = run_functional(imported.module, dict(imported.weights), x, layout="nchw", dequantize=True)[0]
    return out.reshape(len(x), -1).astype(np.float64)


def one_d_net(reduce: str = "avgpool", opset: int = 13) -> onnx.ModelProto:
    """[1,2,32] -> Conv1d(4,k5,p2)+BN+ReLU -> MaxPool1d(2) -> Conv1d(6,k3,s2,p1)+ReLU -> mean over L -> Gemm(3)."""
    rng = np.random.default_rng(7)
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.4, (4, 2, 5)).astype(np.float32), "w1"),
        numpy_helper.from_array(rng.normal(0, 0.1, 4).astype(np.float32), "b1"),
        numpy_helper.from_array(rng.uniform(0.5, 1.5, 4).astype(np.float32), "g"),
        numpy_helper.from_array(rng.normal(0, 0.1, 4).astype(np.float32), "be"),
        numpy_helper.from_array(rng.normal(0, 0.1, 4).astype(np.float32), "mu"),
        numpy_helper.from_array(rng.uniform(0.5, 1.5, 4).astype(np.float32), "var"),
        numpy_helper.from_array(rng.normal(0, 0.3, (6, 4, 3)).astype(np.float32), "w2"),
        numpy_helper.from_array(rng.normal(0, 0.5, (3, 6)).astype(np.float32), "fc_w"),
        numpy_helper.from_array(rng.normal(0, 0.1, 3).astype(np.float32), "fc_b"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[5], pads=[2, 2]),
        helper.make_node("BatchNormalization", ["c1", "g", "be", "mu", "var"], ["n1"], name="bn1"),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2], strides=[2]),
        helper.make_node("Conv", ["p1", "w2"], ["c2"], name="conv2", kernel_shape=[3], strides=[2], pads=[1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
    ]
    if reduce == "avgpool":
        nodes.append(helper.make_node("AveragePool", ["r2"], ["m"], name="gap", kernel_shape=[8], strides=[8]))
        nodes.append(helper.make_node("Flatten", ["m"], ["f"], name="flat"))
    else:  # ReduceMean over L (torch's mean(dim=-1)), keepdims=0
        nodes.append(helper.make_node("ReduceMean", ["r2"], ["f"], name="mean", axes=[-1], keepdims=0))
    nodes.append(helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["y"], name="fc", transB=1))
    graph = helper.make_graph(
        nodes, "net1d",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
        inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


@pytest.mark.parametrize("reduce", ["avgpool", "reducemean"])
def test_float_1d_net_matches_onnxruntime(tmp_path, reduce):
    model = one_d_net(reduce)
    assert is_1d(model)
    path = tmp_path / "net1d.onnx"
    onnx.save(model, path)
    x = np.random.default_rng(1).standard_normal((5, 2, 32)).astype(np.float32)
    np.testing.assert_allclose(sim_outputs(path, x), ort_outputs(model, x).reshape(5, -1), rtol=1e-4, atol=1e-5)
    text = module_text(import_onnx(path).module)
    assert "kernel = array<i64: 1, 5>" in text and "pad = array<i64: 0, 2, 0, 2>" in text
    assert "stride = array<i64: 1, 2>" in text
    assert "!dataflow.stream<1x32x2xf32>" in text  # a 1-D map is a stream of height 1


@pytest.mark.parametrize("bits", [(8, 8), (4, 6), (2, 3), (5, 2)])
def test_requantised_1d_net_is_bit_exact_with_onnxruntime(tmp_path, bits):
    model = one_d_net()
    rng = np.random.default_rng(3)
    calib = rng.standard_normal((16, 2, 32)).astype(np.float32)
    layers = quantisable_layers(model)
    w, a = bits
    q = requantise(model, {name: LayerBits(w, a) for name in layers}, calib)
    path = tmp_path / "q.onnx"
    onnx.save(q, path)
    x = rng.standard_normal((12, 2, 32)).astype(np.float32)
    np.testing.assert_array_equal(sim_outputs(path, x), ort_outputs(q, x).reshape(12, -1).astype(np.float64))
    text = module_text(import_onnx(path).module)
    assert f"weight_type = i{w}" in text


def test_input_shape_override_takes_the_1d_rank(tmp_path):
    model = one_d_net()
    model.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "L"
    path = tmp_path / "dyn.onnx"
    onnx.save(model, path)
    imported = import_onnx(path, {"x": (1, 2, 32)})
    assert "!dataflow.stream<1x32x2xf32>" in module_text(imported.module)


needs_ecg = pytest.mark.skipif(not (ECG / "ecg_cnn_int8.onnx").exists(), reason="examples/ecg models not built")


@needs_ecg
def test_ecg_torch_export_matches_onnxruntime():
    """torch's Conv1d/BatchNorm1d/MaxPool1d/AvgPool1d/Linear export, float and onnxruntime-quantised."""
    data = np.load(ECG / "ecg_test.npz")
    x = data["x"][:16]
    np.testing.assert_allclose(
        sim_outputs(ECG / "ecg_cnn.onnx", x), ort_outputs(str(ECG / "ecg_cnn.onnx"), x), rtol=1e-3, atol=1e-4
    )
    # quantize_static's scales are not powers of two: the fixed-point requant may differ from the float
    # reference by one step (DESIGN.md, "Real quantised models"); the classes must agree.
    sim = sim_outputs(ECG / "ecg_cnn_int8.onnx", x)
    ref = ort_outputs(str(ECG / "ecg_cnn_int8.onnx"), x)
    scale = np.min(np.diff(np.unique(ref))) if np.unique(ref).size > 1 else 1.0
    assert np.max(np.abs(sim - ref)) <= 1.01 * scale
    assert np.mean(sim.argmax(1) == ref.argmax(1)) >= 0.9
