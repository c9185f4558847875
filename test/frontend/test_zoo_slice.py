"""The CI slice of the zoo (docs/zoo.md): small torch-exported, onnxruntime-quantised CIFAR models.

Committed in examples/zoo/models/ (built by examples/zoo/build_zoo.py; CI has no torch): SqueezeNet
1.1 in all four forms (float, QDQ per tensor, QDQ per channel with uint8 asymmetric activations,
QOperator), MobileNet-v2 (ReLU6, depthwise, inverted residuals), GoogLeNet (Concat, MaxPool
ceil_mode) and ResNet-18 (residual adds, strided 1x1 downsampling) in QOperator form (`make test`
traces all seven; `-m "not slow"` the SqueezeNet ones).  Each must run in fpga-sim as imported (no deadlock, outputs
returned) and pass fpga-trace's thresholds (issue 13) on generated inputs.  The SqueezeNet ones also go
through `fpga-compile` (default pipeline, HLS project, g++ csim against fpga-sim): `make test` the QDQ
per-channel one, `make test-all` (FPGA_OPT_HEAVY=1) the four (docs/zoo.md has every network in every form).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fpga_opt.backend.hls.csim import find_ap_types
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


CSIM_FRAMES = 2
HEAVY = pytest.mark.skipif(
    os.environ.get("FPGA_OPT_HEAVY") != "1",
    reason="one zoo form through csim is in `make test`; `make test-all` (FPGA_OPT_HEAVY=1) runs the other three",
)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("squeezenet1_1.qdq_channel.onnx", id="squeezenet1_1-qdq_channel", marks=pytest.mark.slow),
        pytest.param("squeezenet1_1.qdq_tensor.onnx", id="squeezenet1_1-qdq_tensor", marks=HEAVY),
        pytest.param("squeezenet1_1.qop.onnx", id="squeezenet1_1-qop", marks=HEAVY),
        pytest.param("squeezenet1_1.onnx", id="squeezenet1_1-float", marks=HEAVY),
    ],
)
def test_zoo_model_compiles_and_csim_agrees_with_fpga_sim(name, tmp_path):
    """`fpga-compile --board u250`: the optimised IR checked against the imported one, then the HLS
    project's csim against fpga-sim (integer forms bit for bit, float within the testbench's 1e-4)."""
    if shutil.which("g++") is None:
        pytest.skip("g++ not found: csim needs it")
    if find_ap_types() is None:
        pytest.skip("no ap_types headers (pip install 'fpga-opt[csim]')")
    run = subprocess.run(
        [sys.executable, "-m", "fpga_opt.tools.fpga_compile", str(ZOO / name), "--board", "u250",
         "-o", str(tmp_path), "--frames", str(CSIM_FRAMES)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    values = CSIM_FRAMES * 10
    verdict = "within 0.0001 of expected.bin" if name == "squeezenet1_1.onnx" else "bit-exact against expected.bin"
    assert f"PASS: {CSIM_FRAMES} frame(s), {values} output values {verdict}" in run.stdout
    design = json.loads((tmp_path / "report.json").read_text())["design"]
    assert design["csim_passed"] is True
    simulate = design["simulate"]  # the optimised IR against the imported one
    assert simulate["passed"] and simulate["float"] == (name == "squeezenet1_1.onnx")
    assert simulate["float"] or simulate["exact"]
