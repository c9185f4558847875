"""Bad input of every kind: one FpgaOptError line naming the file and the cause, exit 1, no output file."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper
from onnx_builders import Graph, rand_w, save

from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.frontend.onnx_import import import_onnx, parse_input_shape
from fpga_opt.tools import fpga_translate

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("make_bad_models", HERE / "Inputs" / "make_bad_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_all(tmp_path_factory.mktemp("bad"))


CASES = {
    "corrupt": ["not a valid ONNX file (corrupted protobuf"],
    "empty": ["not a valid ONNX file"],
    "unsupported": [
        "cannot import 3 nodes",
        "MaxPool 'pool_dilated' (opset 13): dilations [2, 2] are not supported for MaxPool",
        "Sin 'sin_1' (opset 13): unsupported op",
        "Cos 'cos_1' (opset 13): unsupported op",
    ],
    "external_missing": ["external data file 'external_missing.bin' of initializer 'w' not found"],
    "external_truncated": ["external data file 'external_truncated.bin' is truncated"],
    "dynamic": ["input 'x' has a dynamic dimension 'height' (axis 2)", "--input-shape x:1x3xNxN"],
    "nonconst": ["Conv 'conv_nonconst' (opset 13): weights 'w' are not constant"],
    "avgpool_ceil": ["AveragePool 'avg_ceil' (opset 13): ceil_mode = 1 changes the output size here"],
    "unconvertible": ["cannot convert opset 9 to 13 at Foo 'foo_1'", "re-export the model with opset 11 or newer"],
}


def test_old_opsets_are_converted(bad):
    """An opset-9 model goes through onnx.version_converter and imports; so does an asymmetric QDQ pair."""
    assert "dataflow.conv" in str(import_onnx(bad["opset9"]).module)
    func = import_onnx(bad["zeropoint"]).func
    assert [a.value.data for a in func.attributes["dataflow.input_zero_points"].data] == [3]


def _error(path, **kwargs) -> str:
    with pytest.raises(FpgaOptError) as info:
        import_onnx(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_model_gives_one_line(case, bad):
    message = _error(bad[case])
    for part in CASES[case]:
        assert part in message


@pytest.mark.parametrize("case", ["corrupt", "unsupported", "external_missing", "dynamic", "nonconst"])
def test_cli_exits_1_and_writes_nothing(case, bad, tmp_path, capsys):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as done:
        fpga_translate.main(["--import-onnx", str(bad[case]), "-o", str(out / "model.mlir")])
    assert done.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("fpga-translate: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())


def test_missing_file(tmp_path):
    message = _error(tmp_path / "nope.onnx")
    assert "cannot read the model" in message


def test_garbage_file(tmp_path):
    path = tmp_path / "garbage.onnx"
    path.write_bytes(b"\x08\x07this is not a model at all" * 10)
    assert "not a valid ONNX file" in _error(path)


def test_input_shape_resolves_the_dynamic_model(bad):
    imported = import_onnx(bad["dynamic"], {"x": (1, 3, 6, 10)})
    assert "6x10x3xf32" in str(imported.func.function_type)


def test_input_shape_errors(bad):
    assert "--input-shape names no graph input 'y'" in _error(bad["dynamic"], input_shapes={"y": (1, 3, 4, 4)})
    assert "gives input 'x' 3 dimensions" in _error(bad["dynamic"], input_shapes={"x": (1, 3, 4)})
    assert "the model fixes it to 3" in _error(bad["dynamic"], input_shapes={"x": (1, 4, 4, 4)})
    with pytest.raises(FpgaOptError, match="expected NAME:DIMS"):
        parse_input_shape("x=1x3")
    assert parse_input_shape("in:put:1x3x32x32") == ("in:put", (1, 3, 32, 32))


def test_fixed_batch_needs_input_shape(tmp_path):
    g = Graph()
    g.node("Relu", ["x"], name="r", outputs=["y"])
    path = save(g.model([("x", [4, 3, 2, 2])], [("y", [4, 3, 2, 2])]), tmp_path / "b4.onnx")
    assert "input 'x' has shape [4, 3, 2, 2]" in _error(path)
    assert "2x2x3xf32" in str(import_onnx(path, {"x": (1, 3, 2, 2)}).func.function_type)


def _qdq_conv(tmp_path, w_scale, name="pc.onnx", axis=0):
    g = Graph()
    x = g.qdq("x", 2**-4, name="in")
    ints = np.ones((2, 3, 1, 1), np.int8)
    w = g.init("w.q", ints)
    s = g.init("w.s", np.asarray(w_scale, np.float32))
    z = g.init("w.z", np.zeros(np.shape(w_scale), np.int8))
    w = g.node("DequantizeLinear", [w, s, z], name="w.dq", axis=axis)
    y = g.node("Conv", [x, w], name="conv_pc")
    g.qdq(y, 2**-3, name="out")
    return save(g.model([("x", [1, 3, 4, 4])], [(g.nodes[-1].output[0], [1, 2, 4, 4])]), tmp_path / name)


def test_per_channel_weight_scales(tmp_path):
    text = str(import_onnx(_qdq_conv(tmp_path, [2**-5, 2**-6])).module)
    assert "multiplier = [2, 1], shift = 7" in text  # 2^-4 * 2^-5 / 2^-3 = 2^-6 and 2^-7
    # equal per-channel scales are a per-tensor scale
    assert "multiplier = 1, shift = 6" in str(import_onnx(_qdq_conv(tmp_path, [2**-5, 2**-5], "equal.onnx")).module)
    # scales along the input channels cannot be a requant
    message = _error(_qdq_conv(tmp_path, [2**-5, 2**-6, 2**-7], "axis1.onnx", axis=1))
    assert "Conv 'conv_pc'" in message and "one per output channel" in message


def test_mixed_float_and_quantised(tmp_path):
    rng = np.random.default_rng(0)
    g = Graph()
    x = g.conv("x", rand_w(rng, 2, 3, 1, 1), None, name="float_conv")
    g.qdq(x, 2**-3, name="q")
    path = save(g.model([("x", [1, 3, 4, 4])], [(g.nodes[-1].output[0], [1, 2, 4, 4])]), tmp_path / "mixed.onnx")
    message = _error(path)
    assert "QuantizeLinear 'q.q'" in message and "computed in float" in message


def test_softmax_in_the_middle_of_a_quantised_graph(tmp_path):
    g = Graph()
    x = g.qdq("x", 2**-3, name="in")
    x = g.node("Softmax", [x], name="sm", axis=1)
    x = g.node("Relu", [x], name="after")
    path = save(g.model([("x", [1, 4])], [(x, [1, 4])]), tmp_path / "sm.onnx")
    message = _error(path)
    assert "Relu 'after'" in message and "Softmax 'sm'" in message


def test_poisoned_values_do_not_repeat_errors(tmp_path):
    """A failed node's consumers stay silent; an unsupported op type is always listed."""
    g = Graph()
    x = g.node("Sin", ["x"], name="first")
    x = g.node("Relu", [x], name="fine")
    x = g.node("Tan", [x], name="second")
    path = save(g.model([("x", [1, 4])], [(x, [1, 4])]), tmp_path / "two.onnx")
    message = _error(path)
    assert "cannot import 2 nodes" in message and "'first'" in message and "'second'" in message


def test_reshape_that_moves_data(tmp_path):
    g = Graph()
    shape = g.init("shape", np.array([1, 2, 8, 2], np.int64))
    x = g.node("Reshape", ["x", shape], name="reshape")
    path = save(g.model([("x", [1, 4, 4, 2])], [(x, [1, 2, 8, 2])]), tmp_path / "rs.onnx")
    assert "Reshape 'reshape' (opset 13): reshapes [1, 4, 4, 2] to [1, 2, 8, 2]" in _error(path)


def test_unsupported_graph_output_of_maxpool_indices(tmp_path):
    g = Graph()
    g.nodes.append(helper.make_node("MaxPool", ["x"], ["y", "idx"], name="mp", kernel_shape=[2, 2]))
    model = g.model([("x", [1, 1, 4, 4])], [("y", [1, 1, 3, 3])])
    model.graph.output.append(helper.make_tensor_value_info("idx", TensorProto.INT64, None))
    message = _error(save(model, tmp_path / "mp.onnx"))
    assert "MaxPool 'mp'" in message and "only its first output" in message
