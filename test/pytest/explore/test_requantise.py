"""Re-quantising a float model to per-layer bit widths (frontend/requantise.py): bit-exact, typed, checked."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import onnx
import pytest
from test_1d import ort_outputs, sim_outputs

from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.frontend.onnx_import import import_onnx, module_text
from fpga_opt.frontend.requantise import LayerBits, quantisable_layers, requantise

MODELS = Path(__file__).resolve().parents[3] / "examples" / "models"


def _calib(model: onnx.ModelProto, n: int, seed: int) -> np.ndarray:
    dims = [d.dim_value or 1 for d in model.graph.input[0].type.tensor_type.shape.dim][1:]
    return np.random.default_rng(seed).standard_normal((n, *dims)).astype(np.float32)


def test_resnet8_mixed_widths_bit_exact_with_onnxruntime(tmp_path):
    """ResNet-8 (residual adds, a downsample branch) with a different width per layer."""
    model = onnx.load(MODELS / "resnet8.onnx")
    layers = quantisable_layers(model)
    assert len(layers) == 10
    widths = [(2 + i % 7, 8 - i % 5) for i in range(len(layers))]
    q = requantise(
        model, {name: LayerBits(w, a) for name, (w, a) in zip(layers, widths, strict=True)}, _calib(model, 16, 0)
    )
    path = tmp_path / "r8.onnx"
    onnx.save(q, path)
    x = _calib(model, 6, 1)
    np.testing.assert_array_equal(sim_outputs(path, x), ort_outputs(q, x).reshape(6, -1).astype(np.float64))
    text = module_text(import_onnx(path).module)
    weight_types = set(re.findall(r"weight_type = (i\d+)", text))
    assert {f"i{w}" for w, _ in widths} == weight_types


def test_deterministic_bytes():
    model = onnx.load(MODELS / "lenet5.onnx")
    layers = quantisable_layers(model)
    calib = _calib(model, 8, 0)
    a = requantise(model, {n: LayerBits(4, 5) for n in layers}, calib).SerializeToString()
    b = requantise(model, {n: LayerBits(4, 5) for n in layers}, calib).SerializeToString()
    assert a == b


def test_errors_name_the_problem():
    model = onnx.load(MODELS / "lenet5.onnx")
    calib = _calib(model, 4, 0)
    with pytest.raises(FpgaOptError, match="outside \\[2, 8\\]"):
        requantise(model, {quantisable_layers(model)[0]: LayerBits(9, 8)}, calib)
    with pytest.raises(FpgaOptError, match="no layer 'nope'"):
        requantise(model, {"nope": LayerBits(4, 4)}, calib)
    with pytest.raises(FpgaOptError, match="needs a float model"):
        requantise(onnx.load(MODELS / "lenet5_int8.onnx"), {}, calib)
    with pytest.raises(FpgaOptError, match="bit-width choices for 5 layers"):
        requantise(model, [LayerBits()], calib)
