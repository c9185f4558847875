#!/usr/bin/env python3
"""Write one ONNX file per kind of bad input into a directory (used by the lit and pytest error tests).

python make_bad_models.py OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.external_data_helper import convert_model_to_external_data


def _model(nodes, inputs, outputs, inits, opset=13, name="bad"):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def _vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _t(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def _conv_model(opset=13, name="conv", x_shape=(1, 3, 8, 8)):
    w = _t("w", np.ones((4, 3, 3, 3), np.float32))
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv1", pads=[1, 1, 1, 1])]
    return _model(nodes, [_vi("x", list(x_shape))], [_vi("y", None)], [w], opset=opset, name=name)


def write_all(out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def write(key: str, model: onnx.ModelProto) -> Path:
        path = out / f"{key}.onnx"
        path.write_bytes(model.SerializeToString())
        files[key] = path
        return path

    good = _conv_model().SerializeToString()
    files["corrupt"] = out / "corrupt.onnx"
    files["corrupt"].write_bytes(good[: len(good) // 2])
    files["empty"] = out / "empty.onnx"
    files["empty"].write_bytes(b"")

    # three nodes that cannot be imported, around supported ones
    w = _t("w", np.ones((4, 3, 3, 3), np.float32))
    nodes = [
        helper.make_node("MaxPool", ["x"], ["c"], name="pool_dilated", kernel_shape=[2, 2], dilations=[2, 2]),
        helper.make_node("Sin", ["c"], ["s"], name="sin_1"),
        helper.make_node("Relu", ["s"], ["r"], name="relu_ok"),
        helper.make_node("Cos", ["r"], ["y"], name="cos_1"),
    ]
    write("unsupported", _model(nodes, [_vi("x", [1, 3, 8, 8])], [_vi("y", None)], [w]))

    # weights in an external file, which is then deleted / truncated
    for key in ("external_missing", "external_truncated"):
        model = _conv_model()
        convert_model_to_external_data(model, all_tensors_to_one_file=True, location=f"{key}.bin", size_threshold=0)
        onnx.save_model(model, str(out / f"{key}.onnx"))
        files[key] = out / f"{key}.onnx"
    (out / "external_missing.bin").unlink()
    data = (out / "external_truncated.bin").read_bytes()
    (out / "external_truncated.bin").write_bytes(data[:10])

    write("dynamic", _conv_model(x_shape=("N", 3, "height", "width")))

    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_nonconst")]
    write("nonconst", _model(nodes, [_vi("x", [1, 3, 8, 8]), _vi("w", [4, 3, 3, 3])], [_vi("y", None)], []))

    s, z = _t("s", np.array(0.5, np.float32)), _t("z", np.array(3, np.int8))
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="quant_in"),
        helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dequant_in"),
    ]
    write("zeropoint", _model(nodes, [_vi("x", [1, 3, 8, 8])], [_vi("y", None)], [s, z]))

    # an opset-9 model with an op the version converter does not know
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="relu_ok"), helper.make_node("Foo", ["r"], ["y"], name="foo_1")]
    write("unconvertible", _model(nodes, [_vi("x", [1, 3, 8, 8])], [_vi("y", None)], [], opset=9))

    # ceil_mode on an average pool, where it changes the output size (3x3 stride 2 on 8x8: 4x4, not 3x3)
    nodes = [
        helper.make_node("AveragePool", ["x"], ["y"], name="avg_ceil", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    ]
    write("avgpool_ceil", _model(nodes, [_vi("x", [1, 3, 8, 8])], [_vi("y", None)], []))

    write("opset9", _conv_model(opset=9))
    return files


if __name__ == "__main__":
    write_all(Path(sys.argv[1]))
