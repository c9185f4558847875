"""Early exits in the HLS back end: lowering, stage gates, emitted code, and csim bit-exact with fpga-sim.

The C simulations (marked slow; `make test` runs them) check every output value of every frame,
the merged result and the exit index, i.e. every decision, against fpga-sim.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hls_csim_support import REPO, context, csim, network, parse, skip_without_csim
from test_kernels_csim import random_weights

from fpga_opt.backend.hls.emit import build_project, header_text
from fpga_opt.backend.sim import elaborate, load_module, run_functional
from fpga_opt.backend.sim.boundary import prepare_inputs
from fpga_opt.dialects import hls
from fpga_opt.dialects.dataflow import ConditionalBufferOp, ExitDecisionOp
from fpga_opt.dialects.weights import WeightStore
from fpga_opt.passes.lower_dataflow_to_hls import LowerDataflowToHlsPass
from fpga_opt.passes.lower_dataflow_to_hls.exits import kernel_stages
from fpga_opt.passes.size_exit_buffers import size_exit_buffers
from fpga_opt.passes.split_exit_branches import split_function

EXAMPLE = REPO / "examples" / "early_exit"


@pytest.fixture(scope="module")
def digits_ir(tmp_path_factory) -> Path:
    from fpga_opt.frontend.onnx_import import import_onnx, write_import

    out = tmp_path_factory.mktemp("digits") / "digits_int8.mlir"
    write_import(import_onnx(EXAMPLE / "digits_blenet_int8.onnx"), out)
    return out


def digits_split(path: Path, threshold: float = 0.99, fold: bool = False):
    from xdsl.context import Context

    from fpga_opt.passes.select_folding import SelectFoldingPass

    module = load_module(path)
    func = next(iter(module.body.block.ops))
    split_function(func, [threshold])
    if fold:  # exit-aware: stage 1 gets less parallelism than stage 0, so the merge needs lane adapters
        SelectFoldingPass(board="pynqz2", exit_probabilities=(0.8, 0.2)).apply(Context(), module)
    else:
        size_exit_buffers(func)
    return module, func


def lowered_design(module) -> hls.DesignOp:
    LowerDataflowToHlsPass().apply(context(), module)
    module.verify()
    return next(op for op in module.body.block.ops if isinstance(op, hls.DesignOp))


def test_stage_one_kernels_are_gated_by_the_conditional_buffer(digits_ir):
    module, func = digits_split(digits_ir)
    (decision,) = [op for op in func.walk() if isinstance(op, ExitDecisionOp)]
    (buffer,) = [op for op in func.walk() if isinstance(op, ConditionalBufferOp)]
    rule, depth = decision.rule(), buffer.depth.value.data
    design = lowered_design(module)
    kernels = {k.instance.data: k for k in design.kernels()}
    stages = kernel_stages(design)
    (cb,) = [k for k in design.kernels() if k.kernel.data.startswith("conditional_buffer")]
    later = [k for k in design.kernels() if stages[k] == 1]
    # every stage-1 kernel (the backbone after the exit and the final classifier, with their line buffers)
    # reads a gate of its own from the conditional buffer; stage 0 and the merge are not gated
    assert {k.instance.data.split("_")[0] for k in later} >= {"conv2", "pool2", "conv3", "pool3", "fc1", "exit1"}
    assert all(k.gated and k.ins[-1].type == hls.GATE_TYPE for k in later)
    assert not any(k.gated for k in design.kernels() if stages[k] == 0)
    assert cb.kernel.data == "conditional_buffer" and len(cb.outs) == 1 + len(later)
    assert kernels["exit_merge"].kernel.data == "exit_merge" and stages[kernels["exit_merge"]] == 0
    # the decision's table and limit are the rule's, the buffer's depth is on its input stream
    (dk,) = [k for k in design.kernels() if k.kernel.data == "exit_decision"]
    assert list(dk.params.data["TABLE"].get_values()) == list(rule.table)
    assert dk.int_param("LIMIT") == rule.limit and dk.int_param("SHIFT") == rule.shift
    frame = next(s for s in design.streams() if s.result is cb.ins[0])
    assert frame.depth.value.data == 2 + depth
    assert frame.attributes["sized_for"].data == "conditional_buffer"


def test_emitted_wrappers_skip_the_samples_that_left(digits_ir):
    module, _ = digits_split(digits_ir)
    store = WeightStore.for_module(module, digits_ir.parent)
    design = lowered_design(module)
    top = build_project(module, store).files["top.cpp"]
    for k in design.kernels():
        if k.gated:
            assert f"static void {k.instance.data}_gated(" in top
            assert f"    {k.instance.data}_gated(" in top
            assert f"if ({k.ins[-1].name_hint}.read().data[0] != 0) fpga_opt::{k.kernel.data}<" in top
    assert "#pragma HLS INLINE off" in top
    assert "static long long TABLE(int i) { static const long long v[" in top
    assert "fpga_opt::exit_merge<exit_merge_cfg>(" in top


def test_exit_kernels_carry_their_pragmas():
    from test_emitted_code import function_bodies

    bodies = function_bodies(header_text("exits.h"))
    for kernel in ("exit_decision", "conditional_buffer", "merge_frame"):
        assert "#pragma HLS PIPELINE II=1" in bodies[kernel], kernel
    for merge in ("exit_merge", "exit_merge_chain"):  # both pass frames on through the pipelined loop
        assert "merge_frame<C>(" in bodies[merge], merge
    assert "#pragma HLS INLINE" in bodies["merge_frame"]
    assert "conditional_buffer_gated" in bodies
    assert '#include "exits.h"' in header_text("kernels.h")


THREE = (REPO / "test" / "passes" / "split_exit_branches.mlir").read_text().split("// -----")[1]


def three_exit_module(thresholds=(0.8, 0.95)):
    module = parse("\n".join(line for line in THREE.splitlines() if not line.startswith("//")))
    split_function(network(module), list(thresholds))
    size_exit_buffers(network(module))
    return module


def test_three_exits_chain_the_merge_and_gate_the_second_buffer():
    design = lowered_design(three_exit_module())
    stages = kernel_stages(design)
    by_kind = {}
    for k in design.kernels():
        by_kind.setdefault(k.kernel.data, []).append(k)
    (first,), (second,) = by_kind["conditional_buffer"], by_kind["conditional_buffer_gated"]
    assert stages[first] == 0 and stages[second] == 1
    assert len(second.ins) == 3 and second.ins[2] in first.outs  # its reach is a gate of exit 0's buffer
    assert all(g in second.outs for k in design.kernels() if stages[k] == 2 for g in k.ins[-1:])
    (inner,), (outer,) = by_kind["exit_merge"], by_kind["exit_merge_chain"]
    assert stages[inner] == 1 and inner.gated and inner.int_param("EXIT") == 1 and inner.int_param("LATER") == 2
    assert stages[outer] == 0 and not outer.gated and outer.int_param("EXIT") == 0
    assert outer.ins[2] is inner.outs[0] and outer.ins[3] is inner.outs[1]


# --------------------------------------------------------------------------
# C simulation
# --------------------------------------------------------------------------


@pytest.mark.slow
def test_digits_csim_is_bit_exact_with_fpga_sim(digits_ir, tmp_path):
    """The committed digits model, exit-aware folded, on 60 real test samples (t = 0.99: some continue)."""
    skip_without_csim()
    from fpga_opt.backend.hls.csim import run_csim

    with np.load(EXAMPLE / "digits_test.npz") as data:
        x = data["x"][:60]
    module, _ = digits_split(digits_ir, fold=True)
    store = WeightStore.for_module(module, digits_ir.parent)
    net = elaborate(module)
    inputs = prepare_inputs(net, x)[0]
    expected = run_functional(module, store, x)
    taken = np.bincount(expected[1].reshape(-1), minlength=2)
    assert taken.min() >= 5, taken  # both exits are exercised
    LowerDataflowToHlsPass().apply(context(), module)
    project = build_project(
        module,
        store,
        inputs=[[inputs[i]] for i in range(len(x))],
        expected=[[o[i] for o in expected] for i in range(len(x))],
    )
    project.write(tmp_path / "hls")
    result = run_csim(tmp_path / "hls")
    assert result.passed, result.output[-2000:]
    assert result.verdict == "PASS: 60 frame(s), 660 output values bit-exact against expected.bin"


@pytest.mark.slow
def test_three_exit_csim_is_bit_exact_with_fpga_sim(tmp_path):
    """Three exits and a residual join after the second: the chained merge and the gated second buffer."""
    rng = np.random.default_rng(3)
    module = three_exit_module()
    weights = random_weights(module)
    x = rng.integers(-128, 128, size=(48, 8, 8, 2)).astype(np.int8)
    # thresholds that send about a third of these samples out of each exit
    unsplit = parse("\n".join(line for line in THREE.splitlines() if not line.startswith("//")))
    logits = run_functional(unsplit, weights, [x], layout="hwc")
    conf = []
    for k, scale in ((0, 0.25), (1, 0.125)):
        z = logits[k].reshape(len(x), -1).astype(np.float64) * scale
        p = np.exp(z - z.max(axis=1, keepdims=True))
        conf.append((p / p.sum(axis=1, keepdims=True)).max(axis=1))
    t0 = float(np.quantile(conf[0], 0.67))
    t1 = float(np.quantile(conf[1][conf[0] < t0], 0.5))
    module = three_exit_module((t0, t1))
    expected = run_functional(module, weights, [x], layout="hwc")
    taken = np.bincount(expected[1].reshape(-1), minlength=3)
    assert taken.min() >= 5, taken
    run = csim(module, weights, [x], tmp_path / "hls", expected=expected)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PASS: 48 frame(s), 240 output values bit-exact" in run.stdout
