"""Op coverage on tiny graphs built with onnx.helper, each checked against onnxruntime.

Float graphs agree within 1e-4 relative; quantised graphs (power-of-two
scales) agree exactly after dequantising the outputs.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from onnx_builders import Graph, compare, ops, ort_run, rand_w, save, to_onnx_layout
from reference_eval import run_nchw

from fpga_opt.frontend.onnx_import import import_onnx, module_text

pytest.importorskip("onnxruntime")


# float: exporter idioms ------------------------------------------------------------


def test_torch_legacy_idioms(tmp_path):
    """Symbolic batch, initialisers listed as inputs, Constant nodes, Shape->Gather->Unsqueeze->Concat->Reshape."""
    rng = np.random.default_rng(1)
    g = Graph(opset=11)
    x = g.conv("x", rand_w(rng, 8, 3, 3, 3), rand_w(rng, 8), pads=[1, 1, 1, 1], name="/conv1/Conv")
    bn = [g.init(f"bn.{k}", v) for k, v in _bn(rng, 8).items()]
    x = g.node("BatchNormalization", [x, *bn], name="/bn1/BatchNormalization", epsilon=1e-5)
    x = g.node("Relu", [x], name="/relu/Relu")
    x = g.node("MaxPool", [x], name="/pool/MaxPool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    shape = g.node("Shape", [x], name="/Shape")
    zero = g.node("Constant", [], name="/Constant", value=helper.make_tensor("c0", TensorProto.INT64, [], [0]))
    batch = g.node("Gather", [shape, zero], name="/Gather", axis=0)
    batch = g.node("Unsqueeze", [batch], name="/Unsqueeze", axes=[0])
    minus1 = g.node("Constant", [], name="/Constant_1", value=helper.make_tensor("c1", TensorProto.INT64, [1], [-1]))
    target = g.node("Concat", [batch, minus1], name="/Concat", axis=0)
    x = g.node("Reshape", [x, target], name="/Reshape")
    g.init("fc.weight", rand_w(rng, 10, 8 * 4 * 4))
    g.init("fc.bias", rand_w(rng, 10))
    g.node("Gemm", [x, "fc.weight", "fc.bias"], name="/fc/Gemm", transB=1, outputs=["y"])
    inputs = [("x", ["batch", 3, 8, 8])]
    model = g.model(inputs, [("y", ["batch", 10])])
    # older exporters list the initialisers among the graph inputs
    model.graph.input.extend(
        helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in model.graph.initializer
    )
    imported = compare(model, tmp_path, {"x": (1, 3, 8, 8)})
    assert ops(imported) == ["dataflow.conv", "dataflow.pool", "dataflow.linear", "func.return"]
    text = module_text(imported.module)
    assert 'layer = "conv1.Conv"' in text and "batch" not in text
    assert 'activation = #dataflow.act<kind = "relu">' in text


def _bn(rng, c):
    return {
        "scale": rng.uniform(0.5, 1.5, c).astype(np.float32),
        "bias": rng.uniform(-0.3, 0.3, c).astype(np.float32),
        "mean": rng.normal(0, 0.3, c).astype(np.float32),
        "var": rng.uniform(0.5, 2.0, c).astype(np.float32),
    }


def test_dynamo_idioms_opset18(tmp_path):
    """ReduceMean with axes as an input, MatMul + Add bias, LeakyRelu, Clip with only a min."""
    rng = np.random.default_rng(2)
    g = Graph(opset=18)
    x = g.conv("x", rand_w(rng, 6, 3, 3, 3), None, pads=[1, 1, 1, 1], name="conv")
    x = g.node("LeakyRelu", [x], name="leaky", alpha=0.1)
    x = g.conv(x, rand_w(rng, 6, 6, 1, 1), rand_w(rng, 6), name="pw")
    x = g.node("Clip", [x, g.init("lo", np.array(-0.5, np.float32))], name="clip")
    x = g.node("ReduceMean", [x, g.init("axes", np.array([2, 3], np.int64))], name="mean", keepdims=0)
    x = g.node("MatMul", [x, g.init("w", rand_w(rng, 6, 5))], name="matmul")
    y = g.node("Add", [x, g.init("b", rand_w(rng, 5))], name="add", outputs=["y"])
    imported = compare(g.model([("x", [1, 3, 8, 8])], [("y", [1, 5])]), tmp_path, {"x": (1, 3, 8, 8)})
    assert ops(imported) == ["dataflow.conv", "dataflow.conv", "dataflow.global_pool", "dataflow.linear", "func.return"]
    text = module_text(imported.module)
    assert "leaky_relu" in text and 'kind = "clip"' in text
    assert y == "y"


@pytest.mark.parametrize("opset", [11, 13, 15, 17, 18])
def test_opsets(opset, tmp_path):
    """Squeeze/Unsqueeze/ReduceMean axes move from attributes to inputs across opsets."""
    rng = np.random.default_rng(opset)
    g = Graph(opset=opset)
    x = g.conv("x", rand_w(rng, 4, 2, 3, 3), rand_w(rng, 4), auto_pad="SAME_UPPER", name="conv")
    x = g.node("Clip", [x, g.init("lo", np.array(0, np.float32)), g.init("hi", np.array(6, np.float32))], name="relu6")
    if opset >= 18:
        x = g.node("ReduceMean", [x, g.init("axes", np.array([-1, -2], np.int64))], name="mean", keepdims=1)
    else:
        x = g.node("ReduceMean", [x], name="mean", axes=[-1, -2], keepdims=1)
    if opset >= 13:
        x = g.node("Squeeze", [x, g.init("sq", np.array([2, 3], np.int64))], name="squeeze")
    else:
        x = g.node("Squeeze", [x], name="squeeze", axes=[2, 3])
    g.node("Gemm", [x, g.init("w", rand_w(rng, 3, 4))], name="fc", transB=1, outputs=["y"])
    imported = compare(g.model([("x", [1, 2, 6, 6])], [("y", [1, 3])]), tmp_path, {"x": (1, 2, 6, 6)})
    assert 'kind = "relu6"' in module_text(imported.module)


def test_branches_concat_pools_softmax(tmp_path):
    """Fan-out of an input, grouped conv, Concat, padded AveragePool (count_include_pad=1), GlobalMaxPool, Softmax."""
    rng = np.random.default_rng(3)
    g = Graph()
    a = g.conv("x", rand_w(rng, 4, 4, 3, 3), rand_w(rng, 4), pads=[1, 1, 1, 1], name="a")
    b = g.conv("x", rand_w(rng, 8, 2, 1, 1), rand_w(rng, 8), group=2, name="b")
    b = g.node("Relu", [b], name="b_relu")
    c = g.node("Concat", [a, b], name="cat", axis=1)
    c = g.node(
        "AveragePool", [c], name="avg", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1
    )
    d = g.node("GlobalMaxPool", [c], name="gmp")
    d = g.node("Flatten", [d], name="flat", axis=1)
    d = g.node("Gemm", [d, g.init("w", rand_w(rng, 5, 12)), g.init("bb", rand_w(rng, 5))], name="fc", transB=1)
    g.node("Softmax", [d], name="sm", axis=1, outputs=["y"])
    imported = compare(g.model([("x", [1, 4, 8, 8])], [("y", [1, 5])]), tmp_path, {"x": (1, 4, 8, 8)})
    names = ops(imported)
    assert names[0] == "dataflow.fork" and "dataflow.softmax" in names and "dataflow.concat" in names


def test_standalone_bn_sigmoid_residual_identity_dropout(tmp_path):
    """A BN with no conv before it becomes a depthwise 1x1 conv; Identity/Dropout vanish; a float residual Add."""
    rng = np.random.default_rng(4)
    g = Graph()
    bn = [g.init(f"bn.{k}", v) for k, v in _bn(rng, 3).items()]
    x = g.node("BatchNormalization", ["x", *bn], name="bn")
    x = g.node("Identity", [x], name="id")
    y = g.conv(x, rand_w(rng, 3, 3, 3, 3), rand_w(rng, 3), pads=[1, 1, 1, 1], name="c1")
    y = g.node("Sigmoid", [y], name="sig")
    y = g.node("Dropout", [y], name="drop")
    z = g.node("Add", [x, y], name="res")
    g.node("Relu", [z], name="relu", outputs=["y"])
    imported = compare(g.model([("x", [1, 3, 5, 5])], [("y", [1, 3, 5, 5])]), tmp_path, {"x": (1, 3, 5, 5)})
    text = module_text(imported.module)
    assert "groups = 3" in text and 'kind = "sigmoid"' in text
    # the Sigmoid fuses into the conv, the Relu into the add; the skip (the faster branch) gets a FIFO
    # holding the whole 5x5x3 tensor, so that the design runs as imported
    assert ops(imported) == [
        "dataflow.conv", "dataflow.fork", "dataflow.conv", "dataflow.buffer", "dataflow.add", "func.return"
    ]  # fmt: skip
    assert "depth = 75 : i64" in text


def test_bias_add_after_conv_and_linear(tmp_path):
    rng = np.random.default_rng(5)
    g = Graph()
    x = g.conv("x", rand_w(rng, 4, 2, 3, 3), None, name="c")
    x = g.node("Add", [g.init("cb", rand_w(rng, 1, 4, 1, 1)), x], name="cbias")
    x = g.node("Flatten", [x], name="flat")
    x = g.node("MatMul", [x, g.init("w", rand_w(rng, 4 * 4 * 4, 3))], name="mm")
    g.node("Add", [x, g.init("b", rand_w(rng, 3))], name="bias", outputs=["y"])
    imported = compare(g.model([("x", [1, 2, 6, 6])], [("y", [1, 3])]), tmp_path, {"x": (1, 2, 6, 6)})
    assert ops(imported) == ["dataflow.conv", "dataflow.linear", "func.return"]


def test_early_exits_and_feature_map_output(tmp_path):
    rng = np.random.default_rng(6)
    g = Graph()
    x = g.conv("x", rand_w(rng, 4, 1, 3, 3), rand_w(rng, 4), pads=[1, 1, 1, 1], name="c1", outputs=["features"])
    e = g.node("GlobalAveragePool", [x], name="gap")
    e = g.node("Flatten", [e], name="flat")
    g.node("Gemm", [e, g.init("w", rand_w(rng, 3, 4))], name="exit0", transB=1, outputs=["exit0"])
    model = g.model([("x", [1, 1, 6, 6])], [("exit0", [1, 3]), ("features", [1, 4, 6, 6])])
    imported = compare(model, tmp_path, {"x": (1, 1, 6, 6)})
    func = imported.func
    assert [a.data for a in func.attributes["dataflow.output_names"].data] == ["exit0", "features"]
    assert func.attributes["dataflow.exits"].value.data == 2
    assert "6x6x4xf32" in str(func.function_type.outputs.data[1])


def test_input_shape_for_dynamic_dims(tmp_path):
    rng = np.random.default_rng(7)
    g = Graph()
    x = g.conv("x", rand_w(rng, 2, 3, 3, 3), None, pads=[1, 1, 1, 1], name="c")
    g.node("Relu", [x], name="r", outputs=["y"])
    model = g.model([("x", ["N", 3, "H", "W"])], [("y", ["N", 2, "H", "W"])])
    imported = compare(model, tmp_path, {"x": (1, 3, 5, 7)}, input_shapes={"x": (1, 3, 5, 7)})
    assert "5x7x3xf32" in module_text(imported.module)


# quantised ------------------------------------------------------------------------


def _q_weights(rng, *shape, bits=8):
    hi = 2 ** (bits - 1) - 1
    return rng.integers(-hi, hi + 1, size=shape).astype(np.int8)


def test_qcdq_narrow_bit_widths_and_dropped_softmax(tmp_path):
    """Brevitas-style QCDQ: Q -> Clip -> DQ gives 4-bit activations and weights; the final Softmax is dropped."""
    rng = np.random.default_rng(8)
    g = Graph()
    x = g.qdq("x", 2**-3, name="in", clip=(-8, 7))
    w = g.const_dq(_q_weights(rng, 4, 2, 3, 3, bits=4), 2**-4, "c1.w", clip=(-7, 7))
    b = g.const_dq(rng.integers(-200, 200, 4).astype(np.int32), 2**-7, "c1.b")
    x = g.node("Conv", [x, w, b], name="c1", pads=[1, 1, 1, 1])
    x = g.node("Relu", [x], name="c1.relu")
    x = g.qdq(x, 2**-2, name="c1.act", clip=(-8, 7))
    x = g.node("MaxPool", [x], name="pool", kernel_shape=[2, 2], strides=[2, 2])
    x = g.qdq(x, 2**-2, name="pool.act", clip=(-8, 7))
    x = g.node("Flatten", [x], name="flat")
    x = g.qdq(x, 2**-2, name="flat.act", clip=(-8, 7))
    w = g.const_dq(_q_weights(rng, 3, 4 * 3 * 3), 2**-5, "fc.w")
    b = g.const_dq(rng.integers(-(2**17), 2**17, 3).astype(np.int32), 2**-7, "fc.b")
    x = g.node("Gemm", [x, w, b], name="fc", transB=1)
    x = g.qdq(x, 2**-4, name="fc.act")
    g.node("Softmax", [x], name="softmax", axis=1, outputs=["probs"])
    model = g.model([("x", [1, 2, 6, 6])], [("probs", [1, 3])])
    # onnxruntime reference: the same graph without the final Softmax (the import drops it)
    reference = g.model([("x", [1, 2, 6, 6])], [(x, [1, 3])])
    reference.graph.node.pop()
    imported = compare(model, tmp_path, {"x": (1, 2, 6, 6)}, reference=reference, scale=2.0)
    text = module_text(imported.module)
    assert "stream<6x6x4xi4>" in text and "weight_type = i4" in text
    assert "min = 0, max = 7" in text  # relu + 4-bit clip folded into the conv's requant
    assert 'dataflow.dropped_softmax = ["probs"]' in text
    assert imported.weights["fc.b"].dtype == np.int32 and imported.weights["c1.b"].dtype == np.int16
    # the input arrives as i8 (the host quantises to the QuantizeLinear's type); its Clip makes it i4
    assert "-> !dataflow.stream<6x6x2xi4>" in text and "min = -8, max = 7" in text


def test_quantised_concat_add_and_pools(tmp_path):
    """Different scales meet in a Concat and an Add; integer AveragePool/GlobalAveragePool/ReduceMean rescale."""
    rng = np.random.default_rng(9)
    g = Graph()
    x = g.qdq("x", 2**-4, name="in")
    a = g.node("Conv", [x, g.const_dq(_q_weights(rng, 4, 3, 3, 3), 2**-6, "a.w")], name="a", pads=[1, 1, 1, 1])
    a = g.qdq(a, 2**-3, name="a.act")
    b = g.node("Conv", [x, g.const_dq(_q_weights(rng, 4, 3, 1, 1), 2**-5, "b.w")], name="b")
    b = g.node("Relu", [b], name="b.relu")
    b = g.qdq(b, 2**-2, name="b.act")
    s = g.node("Add", [a, b], name="add")
    s = g.qdq(s, 2**-2, name="add.act")
    c = g.node("Concat", [a, b, s], name="cat", axis=1)
    c = g.qdq(c, 2**-2, name="cat.act")
    p = g.node("AveragePool", [c], name="avg", kernel_shape=[2, 2], strides=[2, 2])
    p = g.qdq(p, 2**-3, name="avg.act")
    m = g.node("ReduceMean", [p], name="mean", axes=[2, 3], keepdims=1)
    m = g.qdq(
        m,
        2**-4,
        name="mean.act",
    )
    gp = g.node("GlobalAveragePool", [p], name="gap")
    gp = g.qdq(gp, 2**-4, name="gap.act")
    o = g.node("Add", [m, gp], name="out.add")
    g.qdq(o, 2**-3, name="out")
    out = g.nodes[-1].output[0]
    model = g.model([("x", [1, 3, 8, 8])], [(out, [1, 12, 1, 1])])
    imported = compare(model, tmp_path, {"x": (1, 3, 8, 8)}, scale=2.0)
    names = ops(imported)
    assert "dataflow.requantize" in names  # concat inputs brought to the concat's scale
    assert names.count("dataflow.fork") >= 2
    assert "dataflow.global_pool" in names and "dataflow.pool" in names


def test_qonnx_quant_matches_equivalent_qcdq(tmp_path):
    """QONNX Quant nodes (signed/unsigned, narrow, bit widths) import like the QCDQ graph onnxruntime can run."""
    rng = np.random.default_rng(10)
    w1 = rand_w(rng, 4, 2, 3, 3)
    w2 = rand_w(rng, 3, 4 * 2 * 2)
    b2 = rand_w(rng, 3)
    s_in, s_w1, s_a1, s_w2, s_out = 2**-3, 2**-4, 2**-2, 2**-5, 2**-3

    def build(qonnx: bool):
        g = Graph()
        if qonnx:

            def quant(x, scale, bits, signed=1, narrow=0, name=None):
                return g.node(
                    "Quant",
                    [x, g.init(f"{name}.s", np.array(scale, np.float32)), g.init(f"{name}.z", np.array(0.0, np.float32)),
                     g.init(f"{name}.b", np.array(float(bits), np.float32))],
                    name=name, domain="qonnx.custom_op.general", signed=signed, narrow=narrow, rounding_mode="ROUND",
                )  # fmt: skip
        else:

            def quant(x, scale, bits, signed=1, narrow=0, name=None):
                dtype = np.int8 if signed else np.uint8
                lo = -(2 ** (bits - 1)) + narrow if signed else 0
                hi = 2 ** (bits - 1) - 1 if signed else 2**bits - 1 - narrow
                if x in (n.name for n in g.inits):  # a float weight
                    q = np.clip(np.rint(next(numpy_of(t) for t in g.inits if t.name == x) / scale), lo, hi)
                    return g.const_dq(q.astype(dtype if bits <= 8 else np.int32), scale, name)
                clip = None if (lo, hi) == (np.iinfo(dtype).min, np.iinfo(dtype).max) else (lo, hi)
                return g.qdq(x, scale, dtype, name=name, clip=clip)

        x = quant("x", s_in, 8, name="qin")
        w = quant(g.init("w1", w1), s_w1, 4, narrow=1, name="qw1")
        y = g.node("Conv", [x, w], name="conv1", pads=[1, 1, 1, 1])
        y = g.node("Relu", [y], name="relu1")
        y = quant(y, s_a1, 8, signed=0, name="qa1")  # unsigned activations after the ReLU
        y = g.node("MaxPool", [y], name="pool", kernel_shape=[2, 2], strides=[2, 2])
        y = g.node("Flatten", [y], name="flat")
        w = quant(g.init("w2", w2), s_w2, 8, narrow=1, name="qw2")
        b = quant(g.init("b2", b2), s_a1 * s_w2, 32, name="qb2") if not qonnx else None
        if qonnx:
            b = g.node(
                "Quant",
                [g.init("b2", b2), g.init("qb2.s", np.array(s_a1 * s_w2, np.float32)),
                 g.init("qb2.z", np.array(0.0, np.float32)), g.init("qb2.b", np.array(32.0, np.float32))],
                name="qb2", domain="qonnx.custom_op.general", signed=1, narrow=0, rounding_mode="ROUND",
            )  # fmt: skip
        y = g.node("Gemm", [y, w, b], name="fc", transB=1)
        quant(y, s_out, 8, name="qout")
        out = g.nodes[-1].output[0]
        extra = [("qonnx.custom_op.general", 1)] if qonnx else []
        return g.model([("x", [1, 2, 4, 4])], [(out, [1, 3])], extra_opsets=extra), out

    qonnx_model, out = build(True)
    qcdq_model, out2 = build(False)
    qcdq_model.graph.output[0].name = out2
    imported = compare(qonnx_model, tmp_path, {"x": (1, 2, 4, 4)}, reference=qcdq_model, scale=2.0)
    text = module_text(imported.module)
    assert "weight_type = i4" in text and "xui8>" in text


def numpy_of(tensor):
    from onnx import numpy_helper

    return numpy_helper.to_array(tensor)


def test_fan_out_of_a_quantised_tensor(tmp_path):
    """ORT's quantiser duplicates DequantizeLinear per consumer; one Q output read twice still makes one fork."""
    rng = np.random.default_rng(11)
    g = Graph()
    s = g.init("s", np.array(2**-4, np.float32))
    z = g.init("z", np.array(0, np.int8))
    q = g.node("QuantizeLinear", ["x", s, z], name="q")
    d1 = g.node("DequantizeLinear", [q, s, z], name="dq1")
    d2 = g.node("DequantizeLinear", [q, s, z], name="dq2")
    a = g.node("Conv", [d1, g.const_dq(_q_weights(rng, 3, 3, 1, 1), 2**-6, "a.w")], name="a")
    a = g.qdq(a, 2**-4, name="a.act")
    y = g.node("Add", [a, d2], name="add")
    g.qdq(y, 2**-3, name="out")
    out = g.nodes[-1].output[0]
    imported = compare(g.model([("x", [1, 3, 4, 4])], [(out, [1, 3, 4, 4])]), tmp_path, {"x": (1, 3, 4, 4)})
    assert ops(imported).count("dataflow.fork") == 1


def test_onnxruntime_quantizer_output(tmp_path):
    """A QDQ model from onnxruntime's own quantiser (arbitrary scales, `Q -> DQ -> Relu -> Q` chains).

    Scales are not powers of two, so requants are 31-bit approximations: results may differ from
    onnxruntime by one LSB where its float rounding and the integer requant disagree on a tie.
    """
    quantization = pytest.importorskip("onnxruntime.quantization")
    rng = np.random.default_rng(12)
    g = Graph()
    x = g.conv("input", rand_w(rng, 8, 3, 3, 3), rand_w(rng, 8, scale=0.1), pads=[1, 1, 1, 1], name="c1")
    x = g.node("Relu", [x], name="r1")
    y = g.conv(x, rand_w(rng, 8, 8, 3, 3, scale=0.15), rand_w(rng, 8, scale=0.1), pads=[1, 1, 1, 1], name="c2")
    x = g.node("Add", [x, y], name="add")
    x = g.node("Relu", [x], name="r2")
    x = g.node("GlobalAveragePool", [x], name="gap")
    x = g.node("Flatten", [x], name="flat")
    g.node("Gemm", [x, g.init("w", rand_w(rng, 4, 8)), g.init("b", rand_w(rng, 4))], name="fc", transB=1, outputs=["y"])
    float_path = save(g.model([("input", [1, 3, 8, 8])], [("y", [1, 4])]), tmp_path / "float.onnx")

    class Reader(quantization.CalibrationDataReader):
        def __init__(self):
            self.data = iter({"input": rng.standard_normal((1, 3, 8, 8)).astype(np.float32)} for _ in range(8))

        def get_next(self):
            return next(self.data, None)

    q_path = tmp_path / "int8.onnx"
    quantization.quantize_static(
        str(float_path), str(q_path), Reader(), quant_format=quantization.QuantFormat.QDQ,
        activation_type=quantization.QuantType.QInt8, weight_type=quantization.QuantType.QInt8,
        extra_options={"ActivationSymmetric": True, "WeightSymmetric": True},
    )  # fmt: skip
    imported = import_onnx(q_path)
    assert "dataflow.requantize" not in ops(imported)  # the Relu's Q -> DQ -> Relu -> Q folded into the requant
    scale = imported.func.attributes["dataflow.output_scales"].data[0].value.data
    model = onnx.load(q_path)
    for _ in range(4):
        x = rng.standard_normal((1, 3, 8, 8)).astype(np.float32)
        (ref,) = ort_run(model, {"input": x})
        (got,) = run_nchw(imported.module, imported.weights, [x])
        lsb = np.abs(to_onnx_layout(got, ref) - ref) / scale
        assert lsb.max() <= 1 + 1e-6


def test_external_data(tmp_path):
    from onnx.external_data_helper import convert_model_to_external_data

    rng = np.random.default_rng(13)
    g = Graph()
    x = g.conv("x", rand_w(rng, 4, 2, 3, 3), rand_w(rng, 4), pads=[1, 1, 1, 1], name="c")
    g.node("Relu", [x], name="r", outputs=["y"])
    model = g.model([("x", [1, 2, 5, 5])], [("y", [1, 4, 5, 5])])
    reference = onnx.ModelProto()
    reference.CopyFrom(model)
    convert_model_to_external_data(model, all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    onnx.save_model(model, str(tmp_path / "model.onnx"))
    assert (tmp_path / "weights.bin").exists()
    imported = import_onnx(tmp_path / "model.onnx")
    x = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    (ref,) = ort_run(reference, {"x": x})
    (got,) = run_nchw(imported.module, imported.weights, [x])
    np.testing.assert_allclose(to_onnx_layout(got, ref), ref, rtol=1e-4, atol=1e-5)


def test_several_inputs_keep_their_order(tmp_path):
    """Arguments follow the graph's input order even when a later input is read first; an unread input stays."""
    rng = np.random.default_rng(14)
    g = Graph()
    b = g.conv("b", rand_w(rng, 2, 2, 1, 1), None, name="cb")
    a = g.conv("a", rand_w(rng, 2, 2, 1, 1), None, name="ca")
    g.node("Add", [b, a], name="add", outputs=["y"])
    model = g.model(
        [("a", [1, 2, 3, 3]), ("b", [1, 2, 3, 3]), ("unused", [1, 5])], [("y", [1, 2, 3, 3]), ("a", [1, 2, 3, 3])]
    )
    path = save(model, tmp_path / "m.onnx")
    imported = import_onnx(path)
    func = imported.func
    assert [a.name_hint for a in func.body.block.args] == ["a", "b", "unused"]
    assert [str(t) for t in func.function_type.inputs.data][2] == "!dataflow.stream<1x1x5xf32>"
    assert ops(imported)[0] == "dataflow.fork"  # input 'a' feeds a conv and is an output too
    rng = np.random.default_rng(0)
    feeds = {
        n: rng.standard_normal(s).astype(np.float32)
        for n, s in (("a", (1, 2, 3, 3)), ("b", (1, 2, 3, 3)), ("unused", (1, 5)))
    }
    expected = ort_run(model, feeds)
    got = run_nchw(imported.module, imported.weights, [feeds["a"], feeds["b"], feeds["unused"]])
    for y, ref in zip(got, expected, strict=True):
        np.testing.assert_allclose(to_onnx_layout(y, ref), ref, rtol=1e-4, atol=1e-5)
