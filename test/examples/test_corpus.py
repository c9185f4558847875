"""Tests of the example model corpus in examples/models/ (built by build_models.py)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

ort = pytest.importorskip("onnxruntime")

MODELS_DIR = Path(__file__).resolve().parents[2] / "examples" / "models"

# name -> (input shape, graph output names); every output is [1, 10]
FLOAT_MODELS = {
    "lenet5": ((1, 1, 28, 28), ["output"]),
    "resnet8": ((1, 3, 32, 32), ["output"]),
    "resnet20": ((1, 3, 32, 32), ["output"]),
    "mobilenet_block": ((1, 16, 32, 32), ["output"]),
    "blenet": ((1, 1, 28, 28), ["exit0", "exit1"]),
}
ALL_MODELS = [*FLOAT_MODELS, *(f"{n}_int8" for n in FLOAT_MODELS)]

# Minimum fraction of inputs on which the int8 model's argmax equals the float
# model's (per output), and minimum Pearson correlation between the float and
# int8 log-softmax outputs. Measured on the 32 test inputs: agreement 0.72
# (resnet8) ... 1.0, correlation 0.95 (mobilenet_block, resnet20) ... 0.99;
# over 400 inputs the agreement is lenet5 0.91, resnet8 0.85, resnet20 0.74,
# mobilenet_block 0.70, blenet 0.93 / 0.88, with the float argmax spread over
# all ten classes (chance ~0.1). Deliberately broken int8 models (bias scale
# s_w instead of s_x*s_w, weight scales off by 2, activation scales 4x too
# small, biases dropped) reach at most 0.44 agreement / 0.49 correlation.
MIN_AGREEMENT = 0.5
MIN_CORRELATION = 0.85
N_INPUTS = 32


def _load_builder():
    spec = importlib.util.spec_from_file_location("fpga_opt_build_models", MODELS_DIR / "build_models.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _base(name: str) -> str:
    return name.removesuffix("_int8")


_sessions: dict[str, object] = {}


def _session(name: str):
    if name not in _sessions:
        _sessions[name] = ort.InferenceSession(str(MODELS_DIR / f"{name}.onnx"), providers=["CPUExecutionProvider"])
    return _sessions[name]


def _inputs(name: str, n: int, seed: int) -> list[np.ndarray]:
    shape = FLOAT_MODELS[_base(name)][0]
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape, dtype=np.float32) for _ in range(n)]


@pytest.mark.parametrize("name", ALL_MODELS)
def test_model_loads_checks_and_runs(name):
    model = onnx.load(MODELS_DIR / f"{name}.onnx")
    onnx.checker.check_model(model, full_check=True)
    assert model.ir_version == 8
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 13)]
    shape, outputs = FLOAT_MODELS[_base(name)]
    assert [i.name for i in model.graph.input] == ["input"]
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert tuple(dims) == shape
    assert [o.name for o in model.graph.output] == outputs

    sess = _session(name)
    (x,) = _inputs(name, 1, seed=42)
    results = sess.run(None, {"input": x})
    assert [o.name for o in sess.get_outputs()] == outputs
    for r in results:
        assert r.shape == (1, 10)
        assert r.dtype == np.float32
        assert np.all(np.isfinite(r))
    if name == "lenet5":  # float LeNet ends with Softmax
        np.testing.assert_allclose(results[0].sum(), 1.0, rtol=1e-5)


def _is_pow2(v: float) -> bool:
    m, _ = math.frexp(v)
    return v > 0 and m == 0.5


@pytest.mark.parametrize("name", [n for n in ALL_MODELS if n.endswith("_int8")])
def test_int8_qdq_structure(name):
    model = onnx.load(MODELS_DIR / f"{name}.onnx")
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    ops = [n.op_type for n in model.graph.node]
    assert "BatchNormalization" not in ops and "Softmax" not in ops
    n_q = 0
    for node in model.graph.node:
        if node.op_type not in ("QuantizeLinear", "DequantizeLinear"):
            continue
        n_q += 1
        scale, zp = inits[node.input[1]], inits[node.input[2]]
        assert scale.shape == () and scale.dtype == np.float32
        assert _is_pow2(float(scale)), f"{node.name}: scale {float(scale)} is not 2^-k"
        assert zp.shape == () and int(zp) == 0
        if node.op_type == "QuantizeLinear" or node.input[0] not in inits:
            assert zp.dtype == np.int8  # activations
        else:
            q = inits[node.input[0]]
            assert q.dtype in (np.int8, np.int32) and zp.dtype == q.dtype
            if q.dtype == np.int8:
                assert np.abs(q.astype(np.int32)).max() <= 127
    assert n_q > 0
    # every Conv/Gemm takes its weight and bias from a DequantizeLinear of an
    # int8 / int32 initialiser, the bias scale being s_input * s_weight
    producer = {o: n for n in model.graph.node for o in n.output}
    for node in model.graph.node:
        if node.op_type not in ("Conv", "Gemm"):
            continue
        x_dq, w_dq, b_dq = (producer[i] for i in node.input)
        assert {x_dq.op_type, w_dq.op_type, b_dq.op_type} == {"DequantizeLinear"}
        assert inits[w_dq.input[0]].dtype == np.int8
        assert inits[b_dq.input[0]].dtype == np.int32
        s_x, s_w, s_b = (float(inits[n.input[1]]) for n in (x_dq, w_dq, b_dq))
        assert s_b == s_x * s_w
        if node.op_type == "Gemm":
            assert any(a.name == "transB" and a.i == 1 for a in node.attribute)
    # graph outputs are DequantizeLinear outputs
    for out in model.graph.output:
        assert producer[out.name].op_type == "DequantizeLinear"


def _log_softmax(v: np.ndarray) -> np.ndarray:
    v = v.astype(np.float64)
    v = v - v.max(axis=-1, keepdims=True)
    return v - np.log(np.exp(v).sum(axis=-1, keepdims=True))


@pytest.mark.parametrize("name", list(FLOAT_MODELS))
def test_int8_agrees_with_float(name):
    f_sess, q_sess = _session(name), _session(f"{name}_int8")
    n_out = len(FLOAT_MODELS[name][1])
    agree = np.zeros(n_out)
    f_all, q_all = [], []
    for x in _inputs(name, N_INPUTS, seed=7):
        f_outs = f_sess.run(None, {"input": x})
        q_outs = q_sess.run(None, {"input": x})
        for j, (f, q) in enumerate(zip(f_outs, q_outs, strict=True)):
            agree[j] += int(np.argmax(f) == np.argmax(q))
            # float LeNet outputs probabilities, its int8 version logits
            f_all.append(np.log(f) if name == "lenet5" else _log_softmax(f))
            q_all.append(_log_softmax(q))
    agree /= N_INPUTS
    f_all, q_all = np.concatenate(f_all).ravel(), np.concatenate(q_all).ravel()
    corr = np.corrcoef(f_all, q_all)[0, 1]
    assert np.all(agree >= MIN_AGREEMENT), f"argmax agreement {agree}"
    assert corr >= MIN_CORRELATION, f"correlation {corr:.3f}"


def _without_initializer_data(model: onnx.ModelProto) -> bytes:
    """The model with every initializer's values removed: its graph, attributes, names, types and shapes."""
    stripped = onnx.ModelProto()
    stripped.CopyFrom(model)
    for init in stripped.graph.initializer:
        init.ClearField("raw_data")
        for field in ("float_data", "int32_data", "int64_data", "double_data"):
            init.ClearField(field)
    return stripped.SerializeToString(deterministic=True)


def test_rebuild_is_deterministic_and_matches_the_committed_models(tmp_path):
    """Two builds on one machine are byte-identical; the committed models are the same graphs.

    Their float initialisers may differ from the committed ones in the last
    float32 bits: the calibration statistics (batch-norm means and variances,
    the head's standardisation) come from BLAS reductions whose summation order
    depends on the CPU.  Integer tensors (the int8 models' weights) must match
    exactly; float ones to 1e-5 of their largest value.
    """
    bm = _load_builder()
    first = bm.build_all(tmp_path / "a", verbose=False)
    second = bm.build_all(tmp_path / "b", verbose=False)
    assert sorted(first) == sorted(ALL_MODELS)
    for name, path in first.items():
        assert path.read_bytes() == second[name].read_bytes(), f"{name}.onnx: two builds differ"
        fresh, committed = onnx.load(path), onnx.load(MODELS_DIR / f"{name}.onnx")
        assert _without_initializer_data(fresh) == _without_initializer_data(committed), f"{name}: graphs differ"
        for a, b in zip(fresh.graph.initializer, committed.graph.initializer, strict=True):
            x, y = numpy_helper.to_array(a), numpy_helper.to_array(b)
            if np.issubdtype(x.dtype, np.integer):
                assert np.array_equal(x, y), f"{name}: integer initializer {a.name} differs"
            else:
                scale = max(float(np.abs(y).max()), 1e-30)
                assert np.abs(x.astype(np.float64) - y).max() <= 1e-5 * scale, f"{name}: {a.name} differs"


def test_resnet50_like_topology():
    bm = _load_builder()
    model = bm.resnet50_like()
    onnx.checker.check_model(model, full_check=True)
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("Conv") == 53 and ops.count("BatchNormalization") == 53
    assert ops.count("Add") == 16 and ops.count("Gemm") == 1
    dims = [d.dim_value for d in model.graph.output[0].type.tensor_type.shape.dim]
    assert dims == [1, 1000]
