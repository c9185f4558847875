"""The CI slice of the zoo (docs/zoo.md): small torch-exported, onnxruntime-quantised CIFAR models.

Committed in examples/zoo/models/ (built by examples/zoo/build_zoo.py; CI has no torch): SqueezeNet
1.1 in all four forms (float, QDQ per tensor, QDQ per channel with uint8 asymmetric activations,
QOperator), MobileNet-v2 (ReLU6, depthwise, inverted residuals), GoogLeNet (Concat, MaxPool
ceil_mode) and ResNet-18 (residual adds, strided 1x1 downsampling) in QOperator form; CI runs the
SqueezeNet ones, `make test-all` all.  Each must run in fpga-sim as imported (no deadlock, outputs
returned) and pass fpga-trace's thresholds (issue 13) on generated inputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fpga_opt.backend.sim import simulate
from fpga_opt.frontend.onnx_import import import_onnx
from fpga_opt.tools.fpga_trace import check, trace_model

ZOO = Path(__file__).resolve().parents[2] / "examples" / "zoo" / "models"
SAMPLES = 32

MODELS = [
    pytest.param("squeezenet1_1.onnx", id="squeezenet1_1-float"),
    pytest.param("squeezenet1_1.qdq_tensor.onnx", id="squeezenet1_1-qdq_tensor"),
    pytest.param("squeezenet1_1.qdq_channel.onnx", id="squeezenet1_1-qdq_channel"),
    pytest.param("squeezenet1_1.qop.onnx", id="squeezenet1_1-qop"),
    pytest.param("mobilenet_v2.qop.onnx", id="mobilenet_v2-qop", marks=pytest.mark.slow),
    pytest.param("googlenet.qop.onnx", id="googlenet-qop", marks=pytest.mark.slow),
    pytest.param("resnet18.qop.onnx", id="resnet18-qop", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("name", MODELS)
def test_zoo_model_runs_as_imported_and_passes_the_trace(name):
    path = ZOO / name
    x = np.random.default_rng(5).standard_normal((SAMPLES, 3, 32, 32)).astype(np.float32)
    imported = import_onnx(path)
    result = simulate(imported.module, imported.weights, [x[:1]], frames=1, layout="nchw")
    assert result.deadlock is None and result.outputs is not None and result.cycles_per_frame > 0
    summary = trace_model(path, {"input": x})
    assert check(summary) == [], check(summary)
    kinds = {t["kind"] for t in summary["layers"]}
    assert kinds == {"float"} if name == "squeezenet1_1.onnx" else "float" not in kinds
    assert len(summary["layers"]) >= 10
