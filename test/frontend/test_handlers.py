"""The frontend's registry: every dataflow op is imported from some ONNX op or exempt with a reason."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx_builders import MODELS, Graph, assert_declared, compare

from fpga_opt.dialects.dataflow import ActivationOp, BufferOp, ConvOp, Dataflow, ForkOp, RequantizeOp
from fpga_opt.frontend.handlers import FAN_OUT, HANDLERS, IMPORTED, JOIN
from fpga_opt.frontend.onnx_import import import_onnx


def test_every_dataflow_op_is_imported_or_exempt():
    assert IMPORTED.missing(Dataflow.operations) == []


def test_no_op_is_both_imported_and_exempt():
    assert not set(IMPORTED.entries) & set(IMPORTED.exemptions)
    assert all(reason.strip() for reason in IMPORTED.exemptions.values())


def test_sources_are_handled_onnx_ops():
    for op_type, sources in IMPORTED.entries.items():
        assert sources, op_type.name
        assert set(sources) <= set(HANDLERS) | {FAN_OUT, JOIN}, op_type.name


def test_what_the_frontend_produces():
    assert set(IMPORTED.entries[ConvOp]) == {"Conv", "BatchNormalization", "Mul", "Add", "QLinearConv"}
    assert IMPORTED.entries[ForkOp] == (FAN_OUT,)
    assert {"QuantizeLinear", "qonnx.Quant", "Concat"} <= set(IMPORTED.entries[RequantizeOp])
    assert IMPORTED.entries[BufferOp] == (JOIN,)  # the faster branches into a join get a full-tensor FIFO


@pytest.mark.parametrize("name", ["resnet8", "resnet20_int8", "mobilenet_block_int8", "blenet", "lenet5_int8"])
def test_corpus_emits_only_declared_ops(name):
    path = MODELS / f"{name}.onnx"
    if not path.exists():
        pytest.skip(f"{path} not built (run examples/models/build_models.py)")
    assert_declared(onnx.load(path, load_external_data=False), import_onnx(path))


def test_a_float_relu_alone_is_an_activation_of_its_own(tmp_path):
    g = Graph()
    g.node("Relu", ["x"], name="relu", outputs=["y"])
    imported = compare(g.model([("x", [1, 2, 3, 3])], [("y", [1, 2, 3, 3])]), tmp_path, {"x": (1, 2, 3, 3)})
    assert [type(op) for op in imported.func.body.block.ops][:1] == [ActivationOp]


def test_a_clip_between_two_scales_is_a_requantize(tmp_path):
    g = Graph()
    x = g.qdq("x", 0.125, name="in")
    x = g.node("Clip", [x, g.init("lo", np.float32(0.0)), g.init("hi", np.float32(1.0))], name="clip")
    g.node("Identity", [g.qdq(x, 0.25, name="out")], name="id", outputs=["y"])
    imported = compare(g.model([("x", [1, 2, 3, 3])], [("y", [1, 2, 3, 3])]), tmp_path, {"x": (1, 2, 3, 3)})
    assert [type(op) for op in imported.func.body.block.ops][:1] == [RequantizeOp]


def test_a_relu_after_an_integer_average_pool_without_requant_is_named_after_the_pool(tmp_path):
    g = Graph()
    x = g.node("AveragePool", [g.qdq("x", 0.125, name="in")], name="avg", kernel_shape=[2, 2], strides=[2, 2])
    g.node("Relu", [x], name="relu", outputs=["y"])
    imported = compare(g.model([("x", [1, 2, 4, 4])], [("y", [1, 2, 2, 2])]), tmp_path, {"x": (1, 2, 4, 4)})
    layers = [op.properties["layer"].data for op in imported.func.body.block.ops if "layer" in op.properties]
    assert layers == ["avg", "avg.act"]
