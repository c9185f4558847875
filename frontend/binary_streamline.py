"""Streamlining binarised networks before the walk: each binarised layer and its sign become one node.

A binarised layer in QONNX (Brevitas' binary layers, FINN's streamlined
graphs, fpga-opt's LUTNet trainer) is a MatMul/Gemm/Conv of +-1 activations
with +-1 weights (or a LUTNet `LutDense`), then float ops that are monotone
per channel (BatchNormalization, Mul, Add, Sub, Div by constants), then a
sign: `BipolarQuant` (x >= 0 -> +1), a one-step `MultiThreshold` to +-1, or
`Sign`.  As FINN does, the float ops collapse into one integer threshold per
channel on the popcount -- computed here exactly, by running the float32 ops
on every popcount the layer can produce and finding where the sign flips
(batch norm in onnxruntime's order: `x * (gamma / sqrt(var + eps)) +
(beta - mean * gamma / sqrt(var + eps))`).  A channel whose sign falls as
the popcount rises gets its weights (or LUT tables) complemented, which
mirrors the popcount, so every threshold reads `popcount >= t`.

Each such chain is replaced by one node of the domain `fpga_opt.binary`
(`XnorLayer` or `LutLayer`) whose handler (handlers/binary.py) emits
`dataflow.xnor_linear`, `xnor_conv` or `lut_linear` on bit streams.  A
binarised layer without a sign after it (a classifier's last layer) keeps
its +-1 dot product; only a positive per-tensor scale may follow it.

The rewrite only touches graphs with binarised tensors; everything else is
left to the walk (lowering.py).  Errors are `Unsupported` against the node
that cannot be streamlined.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper

from fpga_opt.frontend import constant_fold
from fpga_opt.frontend.handlers.binary import bipolar_quant
from fpga_opt.frontend.handlers.registry import handler_key
from fpga_opt.frontend.issues import IssueLog, Unsupported
from fpga_opt.frontend.loader import OnnxGraph

BINARY_DOMAIN = "fpga_opt.binary"
"""The domain of the nodes this rewrite writes (`XnorLayer`, `LutLayer`)."""

LUTNET_DOMAIN = "lutnet"
"""The domain of fpga-opt's LUTNet trainer's `LutDense` node (examples/lutnet)."""

SIGNS = ("qonnx.BipolarQuant", "qonnx.MultiThreshold", "Sign")
AFFINE = ("BatchNormalization", "Mul", "Add", "Sub", "Div")
PASS_THROUGH = ("MaxPool", "Flatten", "Reshape", "Identity", "Squeeze", "Unsqueeze")
LAYERS = ("MatMul", "Gemm", "Conv", f"{LUTNET_DOMAIN}.LutDense")


@dataclass
class _Layer:
    """A binarised layer found in the graph, ready to be replaced."""

    node: onnx.NodeProto
    kind: str
    """dense, conv or lut."""
    n: int
    """Terms per output (its popcount's range is 0..n)."""
    channels: int
    acc_scale: np.ndarray
    """Per output channel: the float value of one unit of the +-1 dot product."""
    bits: np.ndarray | None = None
    """XNOR weights as bits, [C_out, N] (dense, ONNX column order) or [C_out, C_in, Kh, Kw]."""
    indices: np.ndarray | None = None
    tables: np.ndarray | None = None


class _Graph:
    """The graph's nodes, constants and readers, as the rewrite sees them."""

    def __init__(self, graph: OnnxGraph):
        self.graph = graph
        self.nodes = list(graph.nodes)
        self.consts: dict[str, np.ndarray] = {}
        self.readers: dict[str, list[onnx.NodeProto]] = {}
        self.new_inits: dict[str, np.ndarray] = {}
        self.folded: set[str] = set()
        """Outputs of the constant BipolarQuant nodes removed from the graph (they become initialisers)."""
        self._fold_constants()
        for node in self.nodes:
            for name in node.input:
                if name:
                    self.readers.setdefault(name, []).append(node)

    def const(self, name: str) -> np.ndarray | None:
        if name in self.consts:
            return self.consts[name]
        if name in self.graph.initialisers:
            self.consts[name] = self.graph.constant(name)
            return self.consts[name]
        return None

    def _fold_constants(self) -> None:
        """Evaluate BipolarQuant (and the layout ops) on constants: the weights of binarised layers."""
        kept = []
        for node in self.nodes:
            key = handler_key(node)
            inputs = [self.const(n) if n else None for n in node.input]
            constant = bool(node.input) and all(v is not None for v, n in zip(inputs, node.input, strict=True) if n)
            if constant and key == "qonnx.BipolarQuant":
                self.consts[node.output[0]] = bipolar_quant(inputs[0], inputs[1])
                self.folded.add(node.output[0])
                continue
            if constant and key in constant_fold.LAYOUT_FOLDERS and inputs and inputs[0] is not None:
                attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
                try:
                    out = constant_fold.fold(node.op_type, attrs, inputs, self.graph.opset(node.domain))
                except Unsupported:
                    kept.append(node)
                    continue
                for o, v in zip(node.output, out, strict=False):
                    self.consts[o] = v
                kept.append(node)  # the walk folds it again
                continue
            kept.append(node)
        self.nodes = kept

    def single_reader(self, name: str) -> onnx.NodeProto | None:
        readers = self.readers.get(name, [])
        if len(readers) != 1 or name in self.graph.outputs:
            return None
        return readers[0]


def _attrs(node: onnx.NodeProto) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _bipolar_scale(values: np.ndarray, axis: int, what: str) -> np.ndarray | None:
    """Per slice along `axis`: s when every value of the slice is +-s (s > 0); None if the tensor is not so."""
    moved = np.moveaxis(np.asarray(values, dtype=np.float64), axis, 0)
    flat = np.abs(moved.reshape(moved.shape[0], -1))
    scale = flat.max(axis=1)
    if np.any(scale <= 0) or not np.all(flat == scale[:, None]):
        return None
    return scale


# --------------------------------------------------------------------------
# Which tensors are binarised
# --------------------------------------------------------------------------


def _sign_output_scale(g: _Graph, node: onnx.NodeProto) -> float:
    """The s of a sign node's +-s output (BipolarQuant's scale, MultiThreshold's out_scale / 2)."""
    key = handler_key(node)
    if key == "qonnx.BipolarQuant":
        scale = g.const(node.input[1])
        if scale is None or scale.size != 1 or float(scale.reshape(-1)[0]) <= 0:
            raise Unsupported("BipolarQuant needs one constant positive scale")
        return float(scale.reshape(-1)[0])
    if key == "qonnx.MultiThreshold":
        attrs = _attrs(node)
        out_scale, out_bias = float(attrs.get("out_scale", 1.0)), float(attrs.get("out_bias", 0.0))
        thresholds = g.const(node.input[1])
        if thresholds is None or thresholds.ndim != 2 or thresholds.shape[1] != 1:
            raise Unsupported(
                "MultiThreshold with more than one step per channel is not a binarisation (only one threshold per channel is supported)"
            )
        if out_scale <= 0 or out_bias != -out_scale / 2:
            raise Unsupported(
                f"MultiThreshold to {{{out_bias:g}, {out_bias + out_scale:g}}}: only a bipolar output "
                "(out_bias = -out_scale/2: -s and +s) feeds binarised layers"
            )
        return out_scale / 2
    return 1.0  # Sign


def _find_bipolar(g: _Graph) -> dict[str, float]:
    """Every tensor that holds +-s values, with its s: sign outputs, and what pooling/reshaping keeps of them."""
    bipolar: dict[str, float] = {}
    for node in g.nodes:
        key = handler_key(node)
        if key in SIGNS and node.input and g.const(node.input[0]) is None:
            try:
                bipolar[node.output[0]] = _sign_output_scale(g, node)
            except Unsupported:
                continue
        elif key in PASS_THROUGH and node.input and node.input[0] in bipolar:
            bipolar[node.output[0]] = bipolar[node.input[0]]
    return bipolar


# --------------------------------------------------------------------------
# The layers
# --------------------------------------------------------------------------


def _layer(g: _Graph, node: onnx.NodeProto, bipolar: dict[str, float]) -> _Layer | None:
    """The binarised layer `node` is, or None when it is not one (its input or weights are not +-1)."""
    key = handler_key(node)
    if key not in LAYERS or not node.input or node.input[0] not in bipolar:
        return None
    s_in = bipolar[node.input[0]]
    attrs = _attrs(node)
    if key == f"{LUTNET_DOMAIN}.LutDense":
        indices, tables = g.const(node.input[1]), g.const(node.input[2])
        if indices is None or tables is None or indices.ndim != 3 or tables.ndim != 3:
            raise Unsupported("LutDense needs constant indices [C_out, luts, K] and tables [C_out, luts, 2^K]")
        c_out, luts, k = indices.shape
        if tables.shape != (c_out, luts, 2**k):
            raise Unsupported(f"LutDense tables have shape {list(tables.shape)}, expected {[c_out, luts, 2**k]}")
        bits = (np.asarray(tables) > 0).astype(np.uint8)
        return _Layer(node, "lut", luts, c_out, np.ones(c_out), indices=indices.astype(np.int64), tables=bits)
    w = g.const(node.input[1]) if len(node.input) > 1 else None
    if w is None:
        return None
    if key == "Conv":
        if w.ndim != 4:
            return None
        if (
            int(attrs.get("group", 1)) != 1
            or any(int(p) for p in attrs.get("pads", []))
            or any(int(d) != 1 for d in attrs.get("dilations", []))
        ):
            raise Unsupported(
                "a binarised Conv must have group 1, no padding (a +-1 stream has no zero) and no dilation"
            )
        scale = _bipolar_scale(w, 0, "weights")
        if scale is None:
            return None
        if len(node.input) > 2 and node.input[2]:
            raise Unsupported("a binarised Conv with a bias: fold the bias into the batch norm after it")
        return _Layer(node, "conv", int(np.prod(w.shape[1:])), w.shape[0], s_in * scale, bits=(w > 0).astype(np.uint8))
    if key == "Gemm":
        if int(attrs.get("transA", 0)) or (len(node.input) > 2 and node.input[2]):
            raise Unsupported("a binarised Gemm needs transA = 0 and no bias C")
        rows = w if int(attrs.get("transB", 0)) else w.T
        alpha = float(attrs.get("alpha", 1.0))
    else:
        rows, alpha = w.T, 1.0
    if rows.ndim != 2:
        return None
    scale = _bipolar_scale(rows, 0, "weights")
    if scale is None or alpha <= 0:
        return None
    return _Layer(node, "dense", rows.shape[1], rows.shape[0], s_in * scale * alpha, bits=(rows > 0).astype(np.uint8))


def _affine_fn(g: _Graph, node: onnx.NodeProto, channels: int, rank: int) -> Callable[[np.ndarray], np.ndarray]:
    """A per-channel float32 function of a `[C, values]` array, as the node computes it."""
    key = handler_key(node)
    if key == "BatchNormalization":
        attrs = _attrs(node)
        if int(attrs.get("training_mode", 0)):
            raise Unsupported("training_mode = 1 is not supported (export in eval mode)")
        gamma, beta, mean, var = (g.const(n) for n in node.input[1:5])
        if any(v is None for v in (gamma, beta, mean, var)):
            raise Unsupported("batch norm parameters must be constants")
        eps = np.float32(attrs.get("epsilon", 1e-5))
        inv_std = np.float32(1) / np.sqrt(var.astype(np.float32) + eps)
        k = (inv_std * gamma.astype(np.float32)).astype(np.float32)
        b = (beta.astype(np.float32) - mean.astype(np.float32) * k).astype(np.float32)
        return lambda x: (x * k[:, None] + b[:, None]).astype(np.float32)
    data = [i for i, n in enumerate(node.input) if g.const(n) is None]
    if len(data) != 1:
        raise Unsupported(f"{node.op_type} between a binarised layer and its sign must have one constant operand")
    c = g.const(node.input[1 - data[0]]).astype(np.float32)
    padded = c.reshape((1,) * (rank - c.ndim) + c.shape) if c.ndim <= rank else None
    if padded is None or any(padded.shape[a] != 1 for a in range(rank) if a != 1):
        raise Unsupported(
            f"{node.op_type} by a constant of shape {list(c.shape)}: only per-channel constants fold into thresholds"
        )
    vec = np.broadcast_to(padded.reshape(-1) if padded.shape[1] != 1 else padded.reshape(1), (channels,)).astype(
        np.float32
    )
    v = vec[:, None]
    lhs = data[0] == 0
    ops = {
        "Mul": lambda x: x * v,
        "Add": lambda x: x + v,
        "Sub": (lambda x: x - v) if lhs else (lambda x: v - x),
        "Div": (lambda x: x / v) if lhs else (lambda x: v / x),
    }
    fn = ops[key]
    return lambda x: fn(x).astype(np.float32)


def _thresholds(
    layer: _Layer, chain: list[Callable[[np.ndarray], np.ndarray]], sign: onnx.NodeProto, g: _Graph
) -> tuple[np.ndarray, np.ndarray]:
    """Popcount thresholds and which channels to mirror, from the float ops between the layer and its sign."""
    n = layer.n
    acc = np.arange(-n, n + 1, 2, dtype=np.float32)  # every +-1 dot product; popcount p = (acc + n) / 2
    x = (acc[None, :] * layer.acc_scale.astype(np.float32)[:, None]).astype(np.float32)
    for fn in chain:
        x = fn(x)
    key = handler_key(sign)
    if key == "qonnx.BipolarQuant":
        fires = x >= 0
    elif key == "qonnx.MultiThreshold":
        t = g.const(sign.input[1]).astype(np.float32).reshape(-1)
        fires = x >= (t[:, None] if t.size > 1 else t[0])
    else:  # Sign: 0 maps to 0, which a bit cannot carry
        if np.any(x == 0):
            raise Unsupported(
                "Sign of a value that can be exactly 0 (Sign maps it to 0, which a binarised stream cannot carry); "
                "use BipolarQuant (0 -> +1) instead"
            )
        fires = x > 0
    thresholds = np.empty(layer.channels, dtype=np.int64)
    mirror = np.zeros(layer.channels, dtype=bool)
    for c in range(layer.channels):
        f = fires[c]
        rising = np.all(f[1:] >= f[:-1])
        falling = np.all(f[1:] <= f[:-1])
        if rising:
            thresholds[c] = int(np.argmax(f)) if f.any() else n + 1
        elif falling:
            mirror[c] = True
            last = int(np.flatnonzero(f)[-1])  # fires for popcounts 0..last: mirrored, p' = n - p >= n - last
            thresholds[c] = n - last
        else:
            raise Unsupported(
                f"the float ops between '{layer.node.name or layer.node.op_type}' and this sign are not monotone "
                f"in channel {c}'s popcount, so they are not one threshold"
            )
    return thresholds, mirror


def _mirror(layer: _Layer, mirror: np.ndarray) -> None:
    if not mirror.any():
        return
    if layer.kind == "lut":
        layer.tables = np.where(mirror[:, None, None], 1 - layer.tables, layer.tables).astype(np.uint8)
    else:
        shape = (-1,) + (1,) * (layer.bits.ndim - 1)
        layer.bits = np.where(mirror.reshape(shape), 1 - layer.bits, layer.bits).astype(np.uint8)


# --------------------------------------------------------------------------
# The rewrite
# --------------------------------------------------------------------------


def streamline_binary(graph: OnnxGraph, issues: IssueLog) -> OnnxGraph:
    """`graph` with every binarised layer and its sign as one `fpga_opt.binary` node (see the module docstring)."""
    keys = {handler_key(n) for n in graph.nodes}
    if not keys & {"qonnx.BipolarQuant", "qonnx.MultiThreshold", f"{LUTNET_DOMAIN}.LutDense"}:
        return graph
    g = _Graph(graph)
    bipolar = _find_bipolar(g)
    replaced: dict[int, onnx.NodeProto | None] = {}
    for node in g.nodes:
        if id(node) in replaced:
            continue
        try:
            layer = _layer(g, node, bipolar)
            if layer is None:
                _check_reader(g, node, bipolar)
                continue
            _replace(g, layer, bipolar, replaced)
        except Unsupported as error:
            issues.add(node.op_type, node.name or node.op_type, graph.opset(node.domain), str(error))
    nodes = [replaced.get(id(n), n) for n in g.nodes if replaced.get(id(n), n) is not None]
    initialisers = dict(graph.initialisers)
    for name, array in g.new_inits.items():
        initialisers[name] = numpy_helper.from_array(array, name)
    for name in g.folded:
        initialisers[name] = numpy_helper.from_array(np.asarray(g.consts[name]), name)
    uses: Counter[str] = Counter()
    for node in nodes:
        uses.update(name for name in node.input if name)
    uses.update(graph.outputs)
    return dataclasses.replace(graph, nodes=nodes, initialisers=initialisers, uses=uses)


def _check_reader(g: _Graph, node: onnx.NodeProto, bipolar: dict[str, float]) -> None:
    """A +-1 tensor may only be read by binarised layers, pooling/reshaping and signs: anything else would
    misread the bits (bit b stands for 2b - 1)."""
    key = handler_key(node)
    if key in PASS_THROUGH or key in SIGNS:
        return
    for name in node.input:
        if name in bipolar:
            raise Unsupported(
                f"reads the binarised tensor '{name}'; binarised tensors feed only binarised layers "
                "(+-1 weights), MaxPool, Flatten/Reshape and graph outputs"
            )


def _replace(g: _Graph, layer: _Layer, bipolar: dict[str, float], replaced: dict[int, onnx.NodeProto | None]) -> None:
    """Replace the layer, its float ops and its sign by one node."""
    rank = 4 if layer.kind == "conv" else 2
    chain_nodes: list[onnx.NodeProto] = []
    chain: list[Callable[[np.ndarray], np.ndarray]] = []
    tensor = layer.node.output[0]
    sign = None
    while True:
        reader = g.single_reader(tensor)
        if reader is None:
            break
        key = handler_key(reader)
        if key in AFFINE:
            chain.append(_affine_fn(g, reader, layer.channels, rank))
            chain_nodes.append(reader)
            tensor = reader.output[0]
            continue
        if key in SIGNS:
            sign = reader
        break
    name = layer.node.name or f"{layer.kind}_{layer.node.output[0]}"
    inputs = [layer.node.input[0]]
    attrs: dict[str, object] = {"kind": layer.kind}
    if sign is not None:
        thresholds, mirror = _thresholds(layer, chain, sign, g)
        _mirror(layer, mirror)
        out_name = sign.output[0]
        attrs["scale"] = _sign_output_scale(g, sign)
        bipolar[out_name] = float(attrs["scale"])
    else:
        scale = layer.acc_scale.astype(np.float64)
        for node in chain_nodes:
            factor = _positive_scale(g, node)
            scale = scale * factor if handler_key(node) == "Mul" else scale / factor
        if not np.allclose(scale, scale[0], rtol=0, atol=0):
            raise Unsupported(
                "the last binarised layer has per-channel scales (a batch norm before the output?); its +-1 dot "
                "products can only carry one per-tensor scale"
            )
        thresholds = None
        out_name = tensor
        attrs["scale"] = float(scale[0])
    prefix = f"{name}.binary"
    if layer.kind == "lut":
        g.new_inits[f"{prefix}.indices"] = layer.indices
        g.new_inits[f"{prefix}.tables"] = layer.tables
        inputs += [f"{prefix}.indices", f"{prefix}.tables"]
        op_type = "LutLayer"
    else:
        g.new_inits[f"{prefix}.weights"] = layer.bits
        inputs.append(f"{prefix}.weights")
        op_type = "XnorLayer"
        if layer.kind == "conv":
            a = _attrs(layer.node)
            attrs["strides"] = [int(s) for s in a.get("strides", [1, 1])]
    if thresholds is not None:
        g.new_inits[f"{prefix}.thresholds"] = thresholds
        inputs.append(f"{prefix}.thresholds")
    fused = helper.make_node(op_type, inputs, [out_name], name=name, domain=BINARY_DOMAIN, **attrs)
    replaced[id(layer.node)] = fused
    for node in chain_nodes:
        replaced[id(node)] = None
    if sign is not None:
        replaced[id(sign)] = None


def _positive_scale(g: _Graph, node: onnx.NodeProto) -> float:
    key = handler_key(node)
    consts = [g.const(n) for n in node.input]
    values = [c for c in consts if c is not None]
    if key not in ("Mul", "Div") or len(values) != 1 or values[0].size != 1 or float(values[0].reshape(-1)[0]) <= 0:
        raise Unsupported(
            f"{node.op_type} after the last binarised layer: only a positive per-tensor scale (Mul/Div by a "
            "constant) may follow a binarised layer without a sign"
        )
    if key == "Div" and g.const(node.input[0]) is not None:
        raise Unsupported("Div of a constant by a binarised layer's output is not a scale")
    return float(values[0].reshape(-1)[0])
