"""The model graphs that ship with the onnx wheel (`onnx/backend/test/data/light/`) and qonnx (mnist-conv).

Each either imports and simulates (fpga-sim's functional model agrees with onnxruntime, graph
optimisation disabled, within 1e-4 of the output's largest value) or is refused in one line that
names the op that stops it.  The test walks the wheel's folder, so a model added by a later onnx
release fails here until it is listed below.  Light models are opset 9 and below: each goes
through onnx.version_converter first.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import onnx
import pytest

from fpga_opt.backend.sim import run_functional
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.frontend.loader import load_graph
from fpga_opt.frontend.onnx_import import import_onnx

LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"

REFUSED = {
    "light_bvlc_alexnet": {"LRN"},
    "light_inception_v1": {"LRN"},
    "light_zfnet512": {"LRN"},
    "light_shufflenet": {"Reshape"},  # the channel shuffle's 5-D reshape
}
"""Models refused today, and the ONNX ops their one-line error must name."""

SLOW = {"light_resnet50", "light_vgg19", "light_densenet121"}
"""Import + simulation over 10 s each on a shared 2-core machine: `make test-all` runs them."""


def _models() -> list:
    paths = sorted(LIGHT.glob("light_*.onnx"))
    return [pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if p.stem in SLOW else []) for p in paths]


def test_the_wheel_ships_light_models():
    assert len(sorted(LIGHT.glob("light_*.onnx"))) >= 9, f"no light models in {LIGHT}"


@pytest.mark.parametrize("path", _models())
def test_light_model_imports_and_simulates_or_is_refused_naming_the_op(path: Path):
    import onnxruntime as ort

    if path.stem in REFUSED:
        with pytest.raises(FpgaOptError) as caught:
            import_onnx(path)
        message = str(caught.value)
        assert "\n" not in message, message
        named = set(re.findall(r"(\w+) '[^']*' \(opset \d+\)", message))
        assert named == REFUSED[path.stem], message
        return
    imported = import_onnx(path)
    graph = load_graph(path)
    (name, shape, _), *_ = graph.inputs
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ours = run_functional(imported.module, imported.weights, [x], layout="nchw", dequantize=True)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    theirs = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]).run(None, {name: x})
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs, strict=True):
        o = o.reshape(t.shape)
        assert np.isfinite(o).all()
        assert np.abs(o - t).max() <= 1e-4 * max(float(np.abs(t).max()), 1e-30), path.stem


def test_qonnx_mnist_conv_matches_its_own_test_data():
    """qonnx ships onnx/models' MNIST CNN (opset 8, float) with an input and the expected output."""
    qonnx = pytest.importorskip(
        "qonnx", reason="qonnx (the test extra) is not installed: its mnist-conv is not checked"
    )
    folder = Path(qonnx.__file__).parent / "data" / "onnx" / "mnist-conv"
    data = folder / "test_data_set_0"
    x = onnx.numpy_helper.to_array(onnx.load_tensor(str(data / "input_0.pb")))
    expected = onnx.numpy_helper.to_array(onnx.load_tensor(str(data / "output_0.pb")))
    imported = import_onnx(folder / "model.onnx")
    (ours,) = run_functional(imported.module, imported.weights, [x], layout="nchw", dequantize=True)
    ours = ours.reshape(expected.shape)
    assert np.abs(ours - expected).max() <= 1e-4 * float(np.abs(expected).max())
    assert ours.argmax() == expected.argmax()
