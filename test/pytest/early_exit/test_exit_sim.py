"""fpga-sim on early-exit networks: the exit ops' semantics with sample ids, and data-dependent timing.

The timing tests use the digits B-LeNet split at t = 0.9 and sized by size-exit-buffers, unfolded:
stage 0 (conv1, and the exit branch) takes 32,000 cycles per sample, stage 1 (conv2, conv3: 80,000
cycles per frame each) only runs for the samples that continue.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.builtin import IntegerAttr, i64

from fpga_opt.backend.sim import FunctionalModel, elaborate, load_module, run_functional, simulate
from fpga_opt.backend.sim.boundary import prepare_inputs
from fpga_opt.backend.sim.exits import trace_exits
from fpga_opt.dialects.dataflow import ConditionalBufferOp, ExitDecisionOp
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.weights import WeightStore
from fpga_opt.passes.size_exit_buffers import size_exit_buffers
from fpga_opt.passes.split_exit_branches import split_function

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "early_exit"
STAGE0 = 32_000  # conv1's cycles per frame, unfolded


@pytest.fixture(scope="module")
def digits_ir(tmp_path_factory) -> Path:
    from fpga_opt.frontend.onnx_import import import_onnx, write_import

    out = tmp_path_factory.mktemp("digits") / "digits_int8.mlir"
    write_import(import_onnx(EXAMPLE / "digits_blenet_int8.onnx"), out)
    return out


@pytest.fixture(scope="module")
def samples() -> tuple[np.ndarray, np.ndarray]:
    with np.load(EXAMPLE / "digits_test.npz") as data:
        return data["x"], data["y"]


def split(path: Path, threshold: float = 0.9, sized: bool = True):
    module = load_module(path)
    func = next(iter(module.body.block.ops))
    split_function(func, [threshold])
    if sized:
        size_exit_buffers(func)
    return module, func


def exits_report(module, path: Path, **kwargs) -> dict:
    result = simulate(module, None, base_dir=path.parent, **kwargs)
    assert result.timing.exits is not None
    return result


# --------------------------------------------------------------------------
# Functional semantics
# --------------------------------------------------------------------------


def test_trace_carries_sample_ids(digits_ir, samples):
    """The conditional buffer keeps the ids of the samples it forwards; the merge puts each back in place."""
    x = samples[0][:96]
    exits = run_functional(load_module(digits_ir), None, x, base_dir=digits_ir.parent)
    module, func = split(digits_ir)
    net = elaborate(module)
    model = FunctionalModel(net, WeightStore.for_module(module, digits_ir.parent))
    (merged, index), trace = trace_exits(model, prepare_inputs(net, x))
    (decision,) = [op for op in func.walk() if isinstance(op, ExitDecisionOp)]
    leave = decision.rule().decide_batch(exits[0].reshape(len(x), -1))
    assert np.array_equal(trace.reached[0], np.arange(len(x)))
    assert np.array_equal(trace.decisions[0], leave.astype(np.int64))
    assert np.array_equal(trace.exit_of, np.where(leave, 0, 1))
    assert np.array_equal(index.reshape(-1), trace.exit_of)
    assert trace.histogram() == [int(leave.sum()), int((~leave).sum())]
    continuing = np.flatnonzero(~leave)
    assert 0 < len(continuing) < len(x)
    # the final exit's results, computed only for the continuing samples, land at their own ids
    assert np.array_equal(merged[continuing], exits[1][continuing])


def test_a_batch_where_nobody_or_everybody_continues(digits_ir, samples):
    x = samples[0][:8]
    module, _ = split(digits_ir, threshold=1.0)  # nobody is ever that sure: everybody continues
    _, index = run_functional(module, None, x, base_dir=digits_ir.parent)
    assert index.reshape(-1).tolist() == [1] * 8
    module, _ = split(digits_ir, threshold=0.01)  # everybody leaves: stage 1 sees an empty batch
    _, index = run_functional(module, None, x, base_dir=digits_ir.parent)
    assert index.reshape(-1).tolist() == [0] * 8


S4, S1, D = "!dataflow.stream<1x1x4xi8>", "!dataflow.stream<1x1x1xi8>", "!dataflow.stream<1x1x1xi1>"
BAD_JOIN = f"""
func.func @bad(%x: {S4}) -> ({S4}, {S1}) {{
  %f:4 = dataflow.fork %x : {S4} -> {S4}, {S4}, {S4}, {S4}
  %d = dataflow.exit_decision %f#0 {{threshold = 0.9 : f64, scale = 0.25 : f64}} : {S4} -> {D}
  %dd:2 = dataflow.fork %d : {D} -> {D}, {D}
  %k = dataflow.conditional_buffer %f#1, %dd#0 {{depth = 4 : i64}} : {S4}, {D} -> {S4}
  %a = dataflow.add %k, %f#2 {{requant = #dataflow.requant<multiplier = 1, shift = 1>}} : {S4}, {S4} -> {S4}
  %o, %i = dataflow.exit_merge %f#3, %dd#1, %a : ({S4}, {D}, {S4}) -> ({S4}, {S1})
  func.return %o, %i : {S4}, {S1}
}}
"""


def test_a_join_of_different_samples_is_refused():
    """An add of the features before and after a conditional buffer would pair different samples."""
    from fpga_opt.backend.costs.exit_rates import func_exit_structure

    module = parse_text(BAD_JOIN)
    with pytest.raises(FpgaOptError, match="'dataflow.add' joins streams of different samples"):
        func_exit_structure(next(iter(module.body.block.ops)))
    with pytest.raises(FpgaOptError, match="joins streams of different samples"):
        FunctionalModel(elaborate(module), {})


def parse_text(text: str):
    from xdsl.context import Context
    from xdsl.dialects.builtin import Builtin
    from xdsl.dialects.func import Func
    from xdsl.parser import Parser

    from fpga_opt.dialects.dataflow import Dataflow

    ctx = Context()
    for dialect in (Builtin, Func, Dataflow):
        ctx.load_dialect(dialect)
    module = Parser(ctx, text).parse_module()
    module.verify()
    return module


# --------------------------------------------------------------------------
# Data-dependent timing
# --------------------------------------------------------------------------


def test_real_samples_are_routed_by_their_decisions(digits_ir, samples):
    x = samples[0][:64]
    module, _ = split(digits_ir)
    result = simulate(module, None, x, base_dir=digits_ir.parent, frames=128)
    exits = result.timing.exits
    assert result.deadlock is None
    _, index = result.outputs
    assert exits["source"] == "inputs"
    # 128 frames = the batch twice; the histogram counts the samples as they were decided
    counts = np.bincount(index.reshape(-1), minlength=2)
    assert exits["histogram"] == (2 * counts).tolist()
    assert exits["measured_over"] == [63, 127]  # the second pass: the steady state of this batch
    # the few hard samples fit in the later stage's budget: the design runs at stage 0's rate
    assert exits["cycles_per_sample"] == pytest.approx(STAGE0, rel=0.01)
    (buf,) = exits["conditional_buffers"]
    assert buf["producer_blocked_pct"] == 0.0
    assert 320 <= buf["max_occupancy"] <= buf["depth"]
    # stage 1 ran only for the continuing samples: its first conv (80,000 cycles per frame, 2.5x stage 0)
    # would be the bottleneck, busy all the time, if every sample went through it
    ops = {o.name: o for o in result.timing.ops}
    conv2 = next(o for name, o in ops.items() if name.startswith("conv2"))
    frames = 2 * counts[1] + 1  # the continuing samples of both passes, and the guard frame
    assert conv2.busy_pct == pytest.approx(100.0 * frames * 80_000 / result.timing.total_cycles, rel=0.1)


def test_a_burst_of_hard_samples_stalls(digits_ir):
    """8 continuing samples in 32: spread out (every 4th) stage 1 keeps up (4 x 32,000 > 80,000 cycles);
    back to back it needs 8 x 80,000 cycles while stage 0 would deliver them in 8 x 32,000: the backlog and
    the conditional buffer fill, the backbone stalls, and the batch takes longer."""
    module, _ = split(digits_ir)
    spread = simulate(module, None, base_dir=digits_ir.parent, frames=64, exits=[0, 0, 0, 1] * 8).timing
    burst = simulate(module, None, base_dir=digits_ir.parent, frames=64, exits=[1] * 8 + [0] * 24).timing
    assert spread.exits["histogram"] == burst.exits["histogram"] == [48, 16]
    assert spread.exits["cycles_per_sample"] == pytest.approx(STAGE0, rel=0.01)
    assert burst.exits["cycles_per_sample"] > 1.4 * spread.exits["cycles_per_sample"]
    assert spread.exits["conditional_buffers"][0]["producer_blocked_pct"] == 0.0
    assert burst.exits["conditional_buffers"][0]["producer_blocked_pct"] > 10.0
    conv1 = {o.name: o for o in burst.ops}["conv1.conv_Conv"]
    assert conv1.blocked_pct > 10.0  # the stall reaches the first layer


def test_a_conditional_buffer_shorter_than_a_frame_deadlocks(digits_ir):
    module, func = split(digits_ir)
    (buffer,) = [op for op in func.walk() if isinstance(op, ConditionalBufferOp)]
    buffer.properties["depth"] = IntegerAttr(200, i64)  # the frame is 320 elements
    result = simulate(module, None, base_dir=digits_ir.parent, frames=8, exits=[0, 1])
    assert result.deadlock is not None
    assert "exit0.buffer" in result.deadlock.message()
    assert result.timing.exits["cycles_per_sample"] is None


def test_a_conditional_buffer_shorter_than_the_decision_latency_stalls(digits_ir):
    module, func = split(digits_ir)
    (buffer,) = [op for op in func.walk() if isinstance(op, ConditionalBufferOp)]
    sized = simulate(module, None, base_dir=digits_ir.parent, frames=16, exits=[0]).timing.exits
    # the decision comes ~390 elements into the buffered stream (with the next frame's look-ahead)
    buffer.properties["depth"] = IntegerAttr(380, i64)
    short = simulate(module, None, base_dir=digits_ir.parent, frames=16, exits=[0]).timing.exits
    assert sized["conditional_buffers"][0]["producer_blocked_pct"] == 0.0
    assert sized["cycles_per_sample"] == pytest.approx(STAGE0)
    assert short["conditional_buffers"][0]["producer_blocked_pct"] > 1.0
    assert short["cycles_per_sample"] > sized["cycles_per_sample"] * 1.005


def test_unsized_exit_buffers_deadlock_with_a_hint(digits_ir):
    module, _ = split(digits_ir, sized=False)
    result = simulate(module, None, base_dir=digits_ir.parent, frames=8, exits=[0, 1])
    assert result.deadlock is not None
    assert "size-exit-buffers" in result.timing.exits["hint"]


def test_without_inputs_the_recorded_probabilities_are_spread(digits_ir):
    from xdsl.dialects.builtin import ArrayAttr, FloatAttr, f64

    module, func = split(digits_ir)
    func.attributes["dataflow.exit_probabilities"] = ArrayAttr([FloatAttr(0.75, f64), FloatAttr(0.25, f64)])
    exits = simulate(module, None, base_dir=digits_ir.parent, frames=16).timing.exits
    assert exits["source"] == "probabilities" and exits["histogram"] == [12, 4]
    del func.attributes["dataflow.exit_probabilities"]
    exits = simulate(module, None, base_dir=digits_ir.parent, frames=4).timing.exits
    assert exits["source"] == "final" and exits["histogram"] == [0, 4]
    with pytest.raises(FpgaOptError, match="exit 2 does not exist"):
        simulate(module, None, base_dir=digits_ir.parent, frames=4, exits=[0, 2])


def test_folded_for_its_exit_rate_the_design_runs_at_the_model_interval(digits_ir):
    """Exit-aware select-folding's interval (max over ops of q * cycles) is what fpga-sim measures when the
    hard samples come as the probabilities say, evenly spread (with the decoupled FIFOs the model assumes
    elsewhere; size-fifos gives them their depths)."""
    from xdsl.context import Context
    from xdsl.dialects.builtin import ArrayAttr, FloatAttr, f64

    from fpga_opt.backend.costs.exit_rates import effective_interval, spread_exits
    from fpga_opt.passes.select_folding import SelectFoldingPass

    module, func = split(digits_ir)
    probs = [0.875, 0.125]
    func.attributes["dataflow.exit_probabilities"] = ArrayAttr([FloatAttr(p, f64) for p in probs])
    SelectFoldingPass(board="pynqz2").apply(Context(), module)
    interval, _ = effective_interval(func)
    result = simulate(
        module, None, base_dir=digits_ir.parent, frames=64, exits=spread_exits(probs, 32), fifo_depth=None
    )
    exits = result.timing.exits
    assert interval < 2000  # folded: stage 1 (q = 1/8) at 8 x 1000 cycles per frame
    assert exits["cycles_per_sample"] == pytest.approx(interval, rel=0.02)


def test_cli_prints_the_exits(digits_ir, tmp_path, capsys):
    from fpga_opt.tools import fpga_sim

    module, _ = split(digits_ir)
    path = digits_ir.parent / "split_cli.mlir"
    path.write_text(str(module))
    fpga_sim.main([str(path), "--exit-pattern", "0,0,0,1", "--frames", "8", "--report-json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert "early exits    2 exits, route from pattern: exit 0 6 (75.0%), exit 1 2 (25.0%)" in out
    assert "cond. buffer   exit0.buffer: max" in out
    import json

    report = json.loads((tmp_path / "r.json").read_text())
    assert report["exits"]["histogram"] == [6, 2]


def test_three_exits_route_each_stage_its_own_share():
    """Three exits (the split pass's lit test network): stage 1's conv (9,216 cycles per frame) sees the
    samples that pass exit 0, stage 2 those that pass exit 1 too; the second conditional buffer is fed
    only what the first forwards."""
    repo = Path(__file__).resolve().parents[3]
    text = (repo / "test" / "passes" / "split_exit_branches.mlir").read_text().split("// -----")[1]
    module = parse_text("\n".join(line for line in text.splitlines() if not line.startswith("//")))
    func = next(iter(module.body.block.ops))
    split_function(func, [0.8, 0.95])
    size_exit_buffers(func)

    def run(pattern):
        return simulate(module, None, frames=36, exits=pattern, fifo_depth=None).timing.exits

    third = run([0, 1, 2])  # two thirds reach stage 1: 2/3 x 9,216
    assert third["histogram"] == [12, 12, 12]
    assert third["cycles_per_sample"] == pytest.approx(6144)
    assert [b["exit"] for b in third["conditional_buffers"]] == [0, 1]
    assert run([1])["cycles_per_sample"] == pytest.approx(9216)
    assert run([0])["cycles_per_sample"] == pytest.approx(4608)  # stage 0's conv alone
