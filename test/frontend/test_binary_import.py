"""Binarised networks from other tools, imported and run in fpga-sim, bit-exact with QONNX's reference executor.

The Brevitas models (Inputs/binary/, written by Brevitas' own `export_qonnx`
with make_brevitas_binary.py) carry BipolarQuant activations and weights with
batch norms between them (some with negative scales); the importer streamlines
each into an XNOR-popcount layer with integer thresholds.  The example's
models (examples/lutnet/models/, written by train.py) add the 5-bit `Quant`
input and `MultiThreshold`.  QONNX executes the original graphs node by node
in float: its outputs divided by the graph's output scale must be fpga-sim's
integers exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from fpga_opt.backend.sim import run_functional
from fpga_opt.frontend.onnx_import import import_onnx

onnx_exec = pytest.importorskip("qonnx.core.onnx_exec", reason="qonnx (the reference executor) is not installed")
from qonnx.core.modelwrapper import ModelWrapper  # noqa: E402
from qonnx.transformation.infer_shapes import InferShapes  # noqa: E402

INPUTS = Path(__file__).resolve().parent / "Inputs" / "binary"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lutnet" / "models"


def qonnx_outputs(path: Path, x: np.ndarray) -> np.ndarray:
    model = ModelWrapper(onnx.load(str(path))).transform(InferShapes())  # torch's exports leave inner shapes open
    i, o = model.graph.input[0].name, model.graph.output[0].name
    return np.stack([onnx_exec.execute_onnx(model, {i: x[n : n + 1]})[o][0] for n in range(len(x))])


def fpga_sim_integers(path: Path, x: np.ndarray) -> tuple[np.ndarray, float]:
    imported = import_onnx(path)
    out = run_functional(imported.module, imported.weights, x)[0].reshape(len(x), -1)
    scale = imported.func.attributes["dataflow.output_scales"].data[0].value.data
    return out, scale


@pytest.mark.parametrize("name, shape", [("brevitas_bnn_mlp", (32,)), ("brevitas_bnn_cnn", (2, 8, 8))])
def test_brevitas_binary_networks_match_qonnx(name, shape):
    path = INPUTS / f"{name}.onnx"
    x = np.random.default_rng(0).standard_normal((24, *shape)).astype(np.float32)
    x[0] = 0.0  # BipolarQuant(0) = +1: the boundary of every input sign
    x[1] = -0.0
    got, scale = fpga_sim_integers(path, x)
    ref = qonnx_outputs(path, x)
    assert np.array_equal(got, np.rint(ref / scale).astype(np.int64))
    assert np.abs(ref / scale - np.rint(ref / scale)).max() < 1e-3  # QONNX's outputs are integer multiples
    assert len({tuple(r) for r in got.tolist()}) > 10  # the inputs reach many different outputs


@pytest.mark.parametrize("name", ["lfc_xnor", "cnv_xnor"])
def test_example_binarised_networks_match_qonnx(name):
    path = EXAMPLE / f"{name}.onnx"
    data = np.load(EXAMPLE / "digits_test.npz")
    x = data["x"][:30]
    got, scale = fpga_sim_integers(path, x)
    ref = qonnx_outputs(path, x)
    assert np.array_equal(got, np.rint(ref / scale).astype(np.int64))
    assert (got.argmax(1) == data["y"][:30]).mean() > 0.6  # a trained network, not noise
