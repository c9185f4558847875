"""A model builder for the tests (no torch): a 1-D CNN whose width is a knob, weights drawn, not trained."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

KNOBS = {"width": [2, 4], "kernel": [3, 5]}


def build_onnx(knobs: dict, out_path, data: dict, epochs: int = 1, seed: int = 0) -> None:
    width, k = int(knobs["width"]), int(knobs["kernel"])
    c_in, length = data["x"].shape[1], data["x"].shape[2]
    classes = int(data["y"].max()) + 1
    rng = np.random.default_rng(seed + width * 10 + k)
    inits = [
        numpy_helper.from_array(rng.normal(0, 0.5, (width, c_in, k)).astype(np.float32), "w1"),
        numpy_helper.from_array(rng.normal(0, 0.5, (classes, width)).astype(np.float32), "fc"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c"], name="conv", kernel_shape=[k], pads=[k // 2, k // 2]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("AveragePool", ["r"], ["p"], name="gap", kernel_shape=[length]),
        helper.make_node("Flatten", ["p"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "fc"], ["y"], name="head", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c_in, length])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, classes])],
        inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(out_path))
