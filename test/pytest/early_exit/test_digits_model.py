"""The committed digits B-LeNet (examples/early_exit/): format, QDQ conventions, recorded accuracies.

Needs onnxruntime (the `test` extra), never torch or scikit-learn.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

pytest.importorskip("onnxruntime")

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "early_exit"


def load_evaluate():
    spec = importlib.util.spec_from_file_location("evaluate_digits", EXAMPLE / "evaluate_digits.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["evaluate_digits"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ev():
    return load_evaluate()


@pytest.fixture(scope="module")
def evaluation(ev):
    recorded = json.loads((EXAMPLE / "digits_results.json").read_text())
    thresholds = [row["threshold"] for row in recorded["float"]["early_exit"]]
    return ev.evaluate(EXAMPLE, thresholds), recorded


@pytest.mark.parametrize("name", ["digits_blenet.onnx", "digits_blenet_int8.onnx"])
def test_model_format(name):
    model = onnx.load(str(EXAMPLE / name))
    onnx.checker.check_model(model, full_check=True)
    assert model.ir_version <= 9
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 13)]
    (inp,) = model.graph.input
    assert inp.name == "input"
    assert [d.dim_value for d in inp.type.tensor_type.shape.dim] == [1, 1, 16, 16]
    assert [o.name for o in model.graph.output] == ["exit0", "exit1"]
    for out in model.graph.output:
        assert [d.dim_value for d in out.type.tensor_type.shape.dim] == [1, 10]


def test_int8_model_is_symmetric_power_of_two_qdq():
    model = onnx.load(str(EXAMPLE / "digits_blenet_int8.onnx"))
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    qdq = [n for n in model.graph.node if n.op_type in ("QuantizeLinear", "DequantizeLinear")]
    assert qdq
    for node in qdq:
        scale, zero_point = inits[node.input[1]], inits[node.input[2]]
        assert scale.shape == () and zero_point.shape == ()
        assert int(zero_point) == 0, node.name
        exponent = math.log2(float(scale))
        assert exponent == int(exponent), f"{node.name}: scale {scale} is not a power of two"
    weights = [inits[n.input[0]] for n in qdq if n.input[0] in inits and n.input[0].endswith("weight_quantized")]
    assert weights and all(w.dtype == np.int8 and np.abs(w).max() <= 127 for w in weights)


def test_test_split():
    with np.load(EXAMPLE / "digits_test.npz") as data:
        x, y = data["x"], data["y"]
    assert x.dtype == np.float32 and x.shape[1:] == (1, 16, 16) and x.shape[0] == y.shape[0] >= 500
    assert y.dtype == np.int64 and set(np.unique(y)) == set(range(10))
    assert 0.0 <= x.min() and x.max() <= 1.0


def test_accuracies_match_the_recorded_ones(evaluation):
    fresh, recorded = evaluation
    for kind in ("float", "int8"):
        assert fresh[kind]["exit_accuracy"] == pytest.approx(recorded[kind]["exit_accuracy"], abs=1e-12)
        for a, b in zip(fresh[kind]["early_exit"], recorded[kind]["early_exit"], strict=True):
            assert a["exit_counts"] == b["exit_counts"]
            assert a["accuracy"] == pytest.approx(b["accuracy"], abs=1e-12)


def test_the_network_is_trained(evaluation):
    fresh, _ = evaluation
    for kind in ("float", "int8"):
        assert fresh[kind]["exit_accuracy"]["exit0"] >= 0.95
        assert fresh[kind]["exit_accuracy"]["exit1"] >= 0.97
    # a higher threshold never lets more samples leave early
    shares = [row["exit_counts"][0] for row in fresh["int8"]["early_exit"]]
    assert shares == sorted(shares, reverse=True)
