"""compress-weights with data: each layer's OVSF ratio chosen under an accuracy budget measured on real samples.

The network is the early-exit digits network (examples/early_exit, trained on scikit-learn's digits, which
the package ships); a fixed slice of its held-out samples keeps the test to seconds.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.func import FuncOp

from fpga_opt.backend.sim import run_functional
from fpga_opt.dialects import make_context
from fpga_opt.dialects.dataflow import WeightsGeneratorOp, consumer_of, weight_placement
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.parsing import load_module
from fpga_opt.dialects.weights import WeightStore
from fpga_opt.frontend.onnx_import import import_onnx
from fpga_opt.passes.compress_weights import BUDGET_ATTR, CompressWeightsPass

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "early_exit"
SAMPLES = 160
DIGITS_DIR: list[Path] = []  # the folder with the imported network (the fixture writes it)


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    folder = tmp_path_factory.mktemp("digits")
    fpga_opt = Path(sys.executable).parent / "fpga-opt"
    subprocess.run(
        [str(fpga_opt), str(EXAMPLES / "digits_blenet_int8.onnx"), "-o", str(folder / "digits.mlir")], check=True
    )
    data = np.load(EXAMPLES / "digits_test.npz")
    path = folder / "samples.npz"
    np.savez(path, x=data["x"][:SAMPLES], y=data["y"][:SAMPLES])
    np.savez(folder / "unlabelled.npz", x=data["x"][:SAMPLES])
    DIGITS_DIR[:] = [folder]
    return path, folder / "unlabelled.npz", data["x"][:SAMPLES], data["y"][:SAMPLES]


def _compressed(data: Path, **options):
    """The digits network (IR and weights sidecar written by fpga-opt next to the samples), compressed."""
    folder = Path(data).parent if Path(data).parent.joinpath("digits.mlir").exists() else DIGITS_DIR[0]
    module = load_module(folder / "digits.mlir")
    weights = WeightStore.for_module(module, folder)
    reference = module.clone()
    CompressWeightsPass(data=str(data), weights_dir=str(folder), **options).apply(make_context(), module)
    module.verify()
    return module, reference, weights


def _top1(module, weights, x):
    return run_functional(module, weights, x)[-1].reshape(len(x), -1).argmax(axis=1)


def test_ratios_per_layer_stay_within_the_accuracy_budget(digits):
    path, _, x, y = digits
    module, reference, weights = _compressed(path, budget=0.02, ratios="0.125,0.25,0.5")
    record = module.attributes[BUDGET_ATTR].data
    baseline = float(np.mean(_top1(reference, weights, x) == y))
    accuracy = float(np.mean(_top1(module, weights, x) == y))  # measured again, independently of the pass
    assert record["metric"].data == "accuracy" and record["samples"].value.data == SAMPLES
    assert record["baseline"].value.data == pytest.approx(baseline, abs=1e-6)
    assert record["achieved"].value.data == pytest.approx(accuracy, abs=1e-6)
    assert accuracy >= baseline - 0.02
    generators = [op for op in module.walk() if isinstance(op, WeightsGeneratorOp)]
    ratios = {consumer_of(g).layer_name: g.ratio_value for g in generators}
    assert ratios and set(ratios.values()) <= {0.125, 0.25, 0.5}
    # the ratios differ per layer: the classifier compresses, conv1 stays on chip (5x5 blocks, L = 32: ratio 0.5
    # keeps 16 codes of 8 + 5 bits, 208 bits for 200 bits of weights, never smaller; 0.25 costs too much accuracy)
    assert ratios.get("fc1.gemm_Gemm", 1.0) < 1.0
    func = next(op for op in module.walk() if isinstance(op, FuncOp))
    conv1 = [op for op in func.body.block.ops if getattr(op, "layer_name", "") == "conv1.conv_Conv"]
    assert len(conv1) == 1 and weight_placement(conv1[0]) is None
    # compressing every layer at the smallest ratio it got would break the budget: the choice is per layer
    uniform, _, _ = _compressed_uniform(min(ratios.values()))
    assert float(np.mean(_top1(uniform, weights, x) == y)) < baseline - 0.02


def _compressed_uniform(ratio: float):
    imported = import_onnx(EXAMPLES / "digits_blenet_int8.onnx")
    CompressWeightsPass(ratio=ratio).apply(make_context(), imported.module)
    return imported.module, None, None


def test_without_labels_the_budget_is_agreement_with_the_uncompressed_network(digits):
    _, unlabelled, x, _ = digits
    module, reference, weights = _compressed(unlabelled, budget=0.0, ratios="0.125,0.25")
    record = module.attributes[BUDGET_ATTR].data
    assert record["metric"].data == "agreement" and record["baseline"].value.data == 1.0
    assert np.array_equal(_top1(module, weights, x), _top1(reference, weights, x))  # a zero budget: same answers


def test_bad_data_is_refused_in_one_line(tmp_path, digits):
    path, _, _, _ = digits
    with pytest.raises(FpgaOptError, match=r"no such data file"):
        _compressed(tmp_path / "missing.npz")
    with pytest.raises(FpgaOptError, match=r"^compress-weights: budget must be in \[0, 1\], got 2"):
        _compressed(path, budget=2)
    with pytest.raises(FpgaOptError, match=r"^compress-weights: ratios must be in \(0, 1\]"):
        _compressed(path, ratios="0.5,2")
    np.savez(tmp_path / "short.npz", x=np.zeros((4, 1, 16, 16), np.float32), y=np.zeros(3, np.int64))
    with pytest.raises(FpgaOptError, match=r"^compress-weights: .*short.npz: 3 labels for 4 samples"):
        _compressed(tmp_path / "short.npz")
