"""Helpers for the frontend tests: tiny ONNX graphs, onnxruntime runs, import-and-compare."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from reference_eval import run_nchw

from fpga_opt.dialects.dataflow import BufferOp, ForkOp
from fpga_opt.frontend.builder import sanitise
from fpga_opt.frontend.handlers import FAN_OUT, IMPORTED, JOIN, handler_key
from fpga_opt.frontend.onnx_import import ImportedModel, import_onnx

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "examples" / "models"


class Graph:
    """Accumulates nodes and initialisers; `model()` wraps them up."""

    def __init__(self, opset: int = 13):
        self.opset = opset
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._n = 0

    def init(self, name: str, array) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op: str, inputs: Sequence[str], outputs: int | Sequence[str] = 1, name: str | None = None, **attrs):
        self._n += 1
        name = name or f"{op.lower()}{self._n}"
        outs = [f"{name}_out{i}" for i in range(outputs)] if isinstance(outputs, int) else list(outputs)
        domain = attrs.pop("domain", "")
        self.nodes.append(helper.make_node(op, list(inputs), outs, name=name, domain=domain, **attrs))
        return outs[0] if len(outs) == 1 else outs

    # common layers --------------------------------------------------------
    def conv(self, x, w, b=None, name=None, **attrs):
        ins = [x, self.init(f"{name or 'c'}{self._n}.w", w)]
        if b is not None:
            ins.append(self.init(f"{name or 'c'}{self._n}.b", b))
        return self.node("Conv", ins, name=name, **attrs)

    def qdq(self, x, scale: float, dtype=np.int8, name: str | None = None, clip: tuple[int, int] | None = None) -> str:
        """x -> QuantizeLinear -> [Clip on the integers] -> DequantizeLinear."""
        self._n += 1
        tag = name or f"t{self._n}"
        s = self.init(f"{tag}.s", np.array(scale, np.float32))
        z = self.init(f"{tag}.z", np.array(0, dtype))
        q = self.node("QuantizeLinear", [x, s, z], name=f"{tag}.q")
        if clip is not None:
            lo = self.init(f"{tag}.lo", np.array(clip[0], dtype))
            hi = self.init(f"{tag}.hi", np.array(clip[1], dtype))
            q = self.node("Clip", [q, lo, hi], name=f"{tag}.clip")
        return self.node("DequantizeLinear", [q, s, z], name=f"{tag}.dq")

    def const_dq(self, ints: np.ndarray, scale: float, name: str, clip: tuple[int, int] | None = None) -> str:
        """An integer initializer -> [Clip (QCDQ's bit width)] -> DequantizeLinear."""
        zdtype = ints.dtype
        q = self.init(f"{name}.q", ints)
        if clip is not None:
            lo = self.init(f"{name}.lo", np.array(clip[0], zdtype))
            hi = self.init(f"{name}.hi", np.array(clip[1], zdtype))
            q = self.node("Clip", [q, lo, hi], name=f"{name}.clip")
        ins = [q, self.init(f"{name}.s", np.array(scale, np.float32)), self.init(f"{name}.z", np.array(0, zdtype))]
        return self.node("DequantizeLinear", ins, name=f"{name}.dq")

    def model(self, inputs, outputs, name: str = "tiny", ir_version: int = 8, extra_opsets=()) -> onnx.ModelProto:
        def info(spec, elem=TensorProto.FLOAT):
            if isinstance(spec, onnx.ValueInfoProto):
                return spec
            n, shape = spec
            return helper.make_tensor_value_info(n, elem, shape)

        graph = helper.make_graph(
            self.nodes, name, [info(i) for i in inputs], [info(o) for o in outputs], initializer=self.inits
        )
        opsets = [helper.make_opsetid("", self.opset), *[helper.make_opsetid(d, v) for d, v in extra_opsets]]
        m = helper.make_model(graph, opset_imports=opsets, producer_name="fpga-opt tests")
        m.ir_version = ir_version
        return m


def rand_w(rng, *shape, scale=0.3) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def save(model: onnx.ModelProto, path: Path) -> Path:
    path.write_bytes(model.SerializeToString())
    return path


def ort_run(model: onnx.ModelProto | Path, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    import onnxruntime as ort

    data = model.read_bytes() if isinstance(model, Path) else model.SerializeToString()
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return sess.run(None, dict(feeds))


def quantise_static(float_path: Path, out: Path, form: str, shape: tuple[int, ...], seed: int) -> Path:
    """onnxruntime's `quantize_static` of a one-input ("input") model, calibrated on 8 seeded noise images.

    `form`: "qdq_channel" (QDQ, per-channel int8 weights, uint8 asymmetric activations) or "qop"
    (QOperator: QLinearConv..., per-channel weights, int8 activations).
    """
    from onnxruntime import quantization

    rng = np.random.default_rng(seed)

    class Reader(quantization.CalibrationDataReader):
        def __init__(self):
            self.data = iter({"input": rng.standard_normal(shape).astype(np.float32)} for _ in range(8))

        def get_next(self):
            return next(self.data, None)

    qdq = form == "qdq_channel"
    quantization.quantize_static(
        str(float_path),
        str(out),
        Reader(),
        quant_format=quantization.QuantFormat.QDQ if qdq else quantization.QuantFormat.QOperator,
        activation_type=quantization.QuantType.QUInt8 if qdq else quantization.QuantType.QInt8,
        weight_type=quantization.QuantType.QInt8,
        per_channel=True,
    )
    return out


def to_onnx_layout(y: np.ndarray, like: np.ndarray) -> np.ndarray:
    """An H x W x C result in the layout of the ONNX output `like`."""
    if like.ndim == 4:
        return y.transpose(2, 0, 1)[None]
    return y.reshape(like.shape)


def compare(
    model: onnx.ModelProto,
    tmp_path: Path,
    shapes: Mapping[str, tuple[int, ...]],
    *,
    reference: onnx.ModelProto | None = None,
    input_shapes: Mapping[str, tuple[int, ...]] | None = None,
    n: int = 3,
    seed: int = 0,
    scale: float = 1.0,
) -> ImportedModel:
    """Import `model`, run it and onnxruntime (on `reference` or the model) on random inputs, compare.

    Quantised graphs (with dataflow.output_scales) must match exactly, float ones within 1e-4 relative.
    """
    path = save(model, tmp_path / "model.onnx")
    imported = import_onnx(path, input_shapes)
    assert_declared(model, imported)
    quantised = "dataflow.output_scales" in imported.func.attributes
    rng = np.random.default_rng(seed)
    for _ in range(n):
        feeds = {name: (rng.standard_normal(shape) * scale).astype(np.float32) for name, shape in shapes.items()}
        expected = ort_run(reference or model, feeds)
        got = run_nchw(imported.module, imported.weights, [feeds[name] for name in shapes])
        assert len(got) == len(expected)
        for y, ref in zip(got, expected, strict=True):
            y = to_onnx_layout(y, ref)
            if quantised:
                np.testing.assert_array_equal(y, ref.astype(np.float64))
            else:
                np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4 * float(np.max(np.abs(ref)) + 1e-30))
    return imported


def ops(imported: ImportedModel) -> list[str]:
    return [op.name for op in imported.func.body.block.ops]


def assert_declared(model: onnx.ModelProto, imported: ImportedModel) -> None:
    """Every dataflow op of the import is declared (`produces`) by the ONNX op of the node it is named after.

    An op's `layer` is its node's sanitised name, made unique with `_1`, ... or extended with `.fork`,
    `.in<i>`, `.act`: the longest node name it starts with is its node.  A fork comes from fan-out, a
    buffer from a join.
    """
    nodes = {sanitise(node.name): handler_key(node) for node in model.graph.node if node.name}
    wrong = []
    for op in imported.func.body.block.ops:
        layer = op.properties.get("layer")
        if layer is None:
            continue
        if isinstance(op, ForkOp):
            source = FAN_OUT
        elif isinstance(op, BufferOp):
            source = JOIN
        else:
            named = [n for n in nodes if layer.data == n or layer.data.startswith((n + ".", n + "_"))]
            assert named, f"{op.name} '{layer.data}' is named after no node of the model"
            source = nodes[max(named, key=len)]
        if source not in IMPORTED.entries.get(type(op), ()):
            wrong.append(f"{op.name} '{layer.data}' from {source}")
    assert not wrong, "emitted but not declared by the handler of their node: " + "; ".join(wrong)
