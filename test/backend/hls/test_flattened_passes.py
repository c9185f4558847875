"""Flattened passes (`terms`) on a trained network exported by torch: onnxruntime = fpga-sim = csim.

The early-exit ResNet of examples/early_exit/ (torch-exported, int8 QDQ, trained on scikit-learn's
digits) is where the kernel-position form ran out of steps: block 1's 3x3 convs of 8 channels go
from 8 passes to 6.  Here its convs take the flattened foldings the exit-aware search picks on the
Pynq-Z2 and ZC706 (7 passes of 11 products; two pixels in 15 passes of 5; eight pixels in 15
passes of 5), and every other conv with more than one input channel a flattened folding of its
own (with padded output passes where its channels allow), on real held-out images:

* onnxruntime's outputs, both exits, equal fpga-sim's dequantised ones exactly (int8);
* fpga-sim's timing, FIFOs unbounded, runs each conv at the cycles its cost model gives for the
  flattened folding (which differ from the imported folding's: the folding is in effect);
* (slow) the emitted HLS project's `make csim` is bit-exact against fpga-sim.
"""

from __future__ import annotations

import numpy as np
import pytest
from hls_csim_support import REPO, csim

from fpga_opt.backend.costs import op_cost
from fpga_opt.backend.sim import elaborate, run_functional, simulate_timing
from fpga_opt.backend.sim.boundary import to_layout
from fpga_opt.dialects.dataflow import ConvOp
from fpga_opt.dialects.dataflow.conv import flattened_values
from fpga_opt.frontend.onnx_import import import_onnx

ort = pytest.importorskip("onnxruntime")

EXAMPLE = REPO / "examples" / "early_exit"
MODEL = EXAMPLE / "digits_resnet_int8.onnx"

#: The foldings the exit-aware search picks for block 1 (docs/passes/early_exit.md, Results).
BLOCK1 = {
    "b1c1.conv_Conv": {"coarse_in": 8, "coarse_out": 8, "terms": 11},  # 7 passes, the last one 6 products
    "b1c2.conv_Conv": {"coarse_in": 8, "coarse_out": 8, "terms": 5, "reuse": 2},  # 15 passes for 2 pixels
}


def flattened_design():
    """The imported network with every conv that has a flattened folding set to one; the convs changed."""
    imported = import_onnx(MODEL)
    changed = {}
    for op in imported.module.walk():
        if not isinstance(op, ConvOp):
            continue
        c_in, c_out, groups, positions = op.shape_facts()
        values = flattened_values(c_in // groups, positions)
        if not values:
            continue
        folding = BLOCK1.get(op.layer_name)
        if folding is None:
            cout_g = c_out // groups
            co = 3 if cout_g % 3 else 2  # padded output passes where 3 does not divide
            folding = {"coarse_in": c_in // groups, "coarse_out": co, "terms": values[len(values) // 2]}
        before = op_cost(op).cycles
        op.set_folding({"fine": 1, "coarse_group": 1, "reuse": 1, **folding})
        assert op.folding_error(op.folding()) is None, op.layer_name
        changed[op.layer_name] = (before, op_cost(op).cycles)
    imported.module.verify()
    return imported, changed


def digits(n: int) -> np.ndarray:
    return np.load(EXAMPLE / "digits_test.npz")["x"][:n].astype(np.float32)


def test_flattened_design_matches_onnxruntime_and_its_cost_model():
    imported, changed = flattened_design()
    assert set(BLOCK1) <= set(changed) and len(changed) >= 5  # block 1 and the later blocks' convs
    xs = digits(24)
    session = ort.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    runs = [session.run(None, {name: xs[i : i + 1]}) for i in range(len(xs))]
    expected = [np.concatenate([r[k] for r in runs]) for k in range(len(runs[0]))]
    got = run_functional(imported.module, imported.weights, xs, dequantize=True)
    assert len(got) == len(expected) == 2  # both exits
    for y, ref in zip(got, expected, strict=True):
        np.testing.assert_array_equal(to_layout(y, "nchw").reshape(ref.shape), ref)

    # The flattened folding is in effect: every changed conv runs at other cycles than as imported, and
    # fpga-sim (FIFOs unbounded, so each layer runs at its own rate) meets the cost model's interval.
    assert all(before != after for before, after in changed.values())
    report = simulate_timing(elaborate(imported.module), frames=4, fifo_depth=None)
    assert report.deadlock is None
    assert report.cycles_per_frame == pytest.approx(report.model_cycles_per_frame, rel=0.05)


@pytest.mark.slow
def test_flattened_design_csim_is_bit_exact(tmp_path):
    imported, _changed = flattened_design()
    net = elaborate(imported.module)
    from fpga_opt.backend.sim.boundary import prepare_inputs

    inputs = prepare_inputs(net, digits(6))
    result = csim(imported.module, imported.weights, inputs, tmp_path / "flattened")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS: 6 frame(s)" in result.stdout and "bit-exact" in result.stdout
