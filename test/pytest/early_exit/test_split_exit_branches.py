"""split-exit-branches on the digits B-LeNet: structure, buffer sizing, and (with fpga-sim running the exit ops)
the differential check that the split network returns what the unsplit one's exits say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fpga_opt.dialects.dataflow import ConditionalBufferOp, DataflowOp, ExitDecisionOp, ExitMergeOp, ForkOp
from fpga_opt.passes.split_exit_branches import conditional_buffer_depth, split_function, stage_of

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "early_exit"


@pytest.fixture(scope="module")
def digits_ir(tmp_path_factory) -> Path:
    from fpga_opt.frontend.onnx_import import import_onnx, write_import

    out = tmp_path_factory.mktemp("digits") / "digits_int8.mlir"
    write_import(import_onnx(EXAMPLE / "digits_blenet_int8.onnx"), out)
    return out


def load(path: Path):
    from fpga_opt.backend.sim import load_module

    module = load_module(path)
    return module, next(iter(module.body.block.ops))


def test_structure(digits_ir):
    module, func = load(digits_ir)
    split_function(func, [0.9])
    module.verify()
    ops = [op for op in func.body.block.ops if isinstance(op, DataflowOp)]
    assert all(stage_of(op) is not None for op in ops)
    (decision,) = [op for op in ops if isinstance(op, ExitDecisionOp)]
    (buffer,) = [op for op in ops if isinstance(op, ConditionalBufferOp)]
    (merge,) = [op for op in ops if isinstance(op, ExitMergeOp)]
    assert decision.threshold_value == 0.9 and decision.scale_value == 0.5
    assert decision.rule() is not None and decision.rule().shift == 0
    assert buffer.depth.value.data >= buffer.input.type.numel
    assert stage_of(merge) == 0 and merge.num_exits == 2
    # every value has exactly one reader: fan-out stays explicit
    for op in ops:
        for r in op.results:
            assert len(list(r.uses)) == 1, op
    # stage 1 = the backbone after the buffer: the last three convs/pools and both linears
    assert sorted(op.layer_name.split(".")[0] for op in ops if stage_of(op) == 1) == [
        "conv2",
        "conv3",
        "exit1",
        "fc1",
        "pool2",
        "pool3",
    ]


def test_buffer_depth_grows_when_the_backbone_delivers_faster(digits_ir):
    from xdsl.dialects.builtin import IntegerAttr, i64

    module, func = load(digits_ir)
    split_function(func, [0.9])
    (buffer,) = [op for op in func.walk() if isinstance(op, ConditionalBufferOp)]
    frame = buffer.input.type.numel
    slow = conditional_buffer_depth(buffer)
    conv1 = next(op for op in func.walk() if getattr(op, "layer_name", "").startswith("conv1"))
    conv1.properties["coarse_out"] = IntegerAttr(5, i64)  # the backbone now delivers 5x faster
    fast = conditional_buffer_depth(buffer)
    assert frame <= slow < fast
    exit_conv = next(op for op in func.walk() if getattr(op, "layer_name", "").startswith("exit0.conv"))
    exit_conv.properties["coarse_out"] = IntegerAttr(10, i64)  # ... and the exit branch decides sooner
    assert frame <= conditional_buffer_depth(buffer) < fast


def test_split_network_equals_per_sample_choice(digits_ir):
    """Differential: the split network's (result, exit index) equal the unsplit exits routed by exit_rule."""
    from fpga_opt.backend.sim import run_functional

    with np.load(EXAMPLE / "digits_test.npz") as data:
        x = data["x"][:64]
    module, func = load(digits_ir)
    exits = run_functional(module, None, x, base_dir=digits_ir.parent)
    split_function(func, [0.9])
    merged, index = run_functional(module, None, x, base_dir=digits_ir.parent)
    (decision,) = [op for op in func.walk() if isinstance(op, ExitDecisionOp)]
    leave = decision.rule().decide_batch(exits[0].reshape(len(x), -1))
    assert np.array_equal(index.reshape(-1), np.where(leave, 0, 1))
    assert np.array_equal(merged, np.where(leave[:, None, None, None], exits[0], exits[1]))


def test_forks_have_two_outputs_after_the_split(digits_ir):
    module, func = load(digits_ir)
    split_function(func, [0.5])
    forks = [op for op in func.walk() if isinstance(op, ForkOp)]
    assert {op.layer.data for op in forks} == {"exit0.fork", "exit0.logits_fork", "exit0.decision_fork"}


def test_the_documented_example_is_what_the_pass_produces():
    """docs/passes/early_exit.md shows a function before and after the split: they must stay true."""
    import re
    from io import StringIO

    from xdsl.context import Context
    from xdsl.dialects.builtin import Builtin
    from xdsl.dialects.func import Func
    from xdsl.parser import Parser
    from xdsl.printer import Printer

    from fpga_opt.dialects.dataflow import Dataflow

    doc = (Path(__file__).resolve().parents[3] / "docs" / "passes" / "early_exit.md").read_text()
    before, after = re.findall(r"```mlir\n(.*?)```", doc, re.DOTALL)[:2]

    def parse(text):
        ctx = Context()
        for dialect in (Builtin, Func, Dataflow):
            ctx.load_dialect(dialect)
        return Parser(ctx, text).parse_module()

    def show(module):
        out = StringIO()
        Printer(out).print_op(module)
        return out.getvalue()

    module = parse(before)
    split_function(next(iter(module.body.block.ops)), [0.9])
    module.verify()
    assert show(module) == show(parse(after))
