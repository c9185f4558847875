"""Re-quantising a float ONNX model to chosen bit widths, layer by layer (QCDQ form).

fpga-explore searches per-layer weight and activation bit widths (2-8); this module makes the
model of one choice, as an ordinary ONNX file that onnxruntime runs and the frontend imports, so
every design the explorer reports can be rebuilt and checked by the normal flow.

The rule (docs/explore.md, "Re-quantising a model"):

* The layers are the Conv, Gemm and MatMul nodes, in graph order.  Layer i has weight bits
  `w_i` and output activation bits `a_i`.
* Weights: symmetric, narrow range, per tensor: `q = clip(round(W / s_w), -(2^(w-1) - 1), 2^(w-1) - 1)`
  with `s_w` the power of two at or above `max|W| / (2^(w-1) - 1)`; stored as an int8
  initialiser -> Clip -> DequantizeLinear (the Clip's bounds give the frontend the bit width).
  A bias becomes int32 at scale `s_in * s_w`.  A BatchNormalization right after a Conv is folded
  into its weights and bias first.
* Activations: `QuantizeLinear (int8, zero point 0) -> Clip [-2^(a-1), 2^(a-1) - 1] -> DequantizeLinear`
  (QCDQ; the Clip is left out at 8 bits) on the graph input and after every node that rescales
  (Conv, Gemm, MatMul, Add, AveragePool, GlobalAveragePool, ReduceMean), placed after the Relu
  when a Relu is the only consumer.  The scale is the power of two at or above
  `max|x| / (2^(a-1) - 1)` over the calibration inputs (float model, onnxruntime).  Rescaling
  ops other than layers (Add, pooling) use the widest bits of their inputs; MaxPool, Relu,
  Flatten and Reshape pass the integers through.
* Power-of-two scales make every requantisation a shift, so fpga-sim, g++ csim and onnxruntime
  agree bit for bit on the re-quantised model.

The input stays at `input_bits` (default 8).  Everything is deterministic: same model, bits and
calibration data give the same bytes.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from fpga_opt.dialects.errors import FpgaOptError

LAYER_OPS = ("Conv", "Gemm", "MatMul")
RESCALING_OPS = ("Conv", "Gemm", "MatMul", "Add", "AveragePool", "GlobalAveragePool", "ReduceMean")
MIN_BITS, MAX_BITS = 2, 8


@dataclass(frozen=True)
class LayerBits:
    """Bit widths of one layer: its weights and its output activations."""

    weights: int = 8
    activations: int = 8


def quantisable_layers(model: onnx.ModelProto) -> list[str]:
    """Names of the layers (Conv/Gemm/MatMul with a constant weight), in graph order; unnamed nodes get `op_i`."""
    inits = {t.name for t in model.graph.initializer}
    return [name for node, name in _layer_names(model) if len(node.input) > 1 and node.input[1] in inits]


def output_layers(model: onnx.ModelProto) -> list[str]:
    """The last layer before each graph output, in output order (found through single-input ops such as
    Relu, Flatten or Softmax): the layers whose activation bits set an output's element type."""
    names = {node.output[0]: name for node, name in _layer_names(model)}  # a layer by the tensor it makes
    producer = {out: node for node in model.graph.node for out in node.output}
    found = []
    for output in model.graph.output:
        tensor = output.name
        while tensor not in names and tensor in producer and producer[tensor].input:
            tensor = producer[tensor].input[0]
        if tensor in names:
            found.append(names[tensor])
    return found


def _layer_names(model: onnx.ModelProto) -> list[tuple[onnx.NodeProto, str]]:
    """(node, name) of every Conv/Gemm/MatMul; an unnamed one is `<op>_<k>`, k counting layers only
    (so folding a BatchNormalization away does not rename it)."""
    return [
        (node, node.name or f"{node.op_type.lower()}_{k}")
        for k, node in enumerate(n for n in model.graph.node if n.op_type in LAYER_OPS)
    ]


def is_float_model(model: onnx.ModelProto) -> bool:
    """A model with no quantisation nodes (only those can be re-quantised)."""
    quant = {"QuantizeLinear", "DequantizeLinear", "Quant", "QLinearConv", "QLinearMatMul"}
    return not any(node.op_type in quant for node in model.graph.node)


def _pow2_scale(max_abs: float, qmax: int) -> float:
    if max_abs <= 0 or not math.isfinite(max_abs):
        return 1.0
    return float(2.0 ** math.ceil(math.log2(max_abs / qmax)))


def _fold_batchnorm(model: onnx.ModelProto) -> None:
    """Fold BatchNormalization nodes that directly follow a single-use Conv into its weights and bias."""
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    uses: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            uses[name] = uses.get(name, 0) + 1
    producers = {out: node for node in graph.node for out in node.output}
    for bn in [n for n in graph.node if n.op_type == "BatchNormalization"]:
        conv = producers.get(bn.input[0])
        if conv is None or conv.op_type != "Conv" or uses.get(bn.input[0], 0) != 1:
            continue
        if conv.input[1] not in inits or not all(name in inits for name in bn.input[1:5]):
            continue
        gamma, beta, mean, var = (numpy_helper.to_array(inits[n]).astype(np.float64) for n in bn.input[1:5])
        eps = next((a.f for a in bn.attribute if a.name == "epsilon"), 1e-5)
        k = gamma / np.sqrt(var + eps)
        w = numpy_helper.to_array(inits[conv.input[1]]).astype(np.float64)
        b = (
            numpy_helper.to_array(inits[conv.input[2]]).astype(np.float64)
            if len(conv.input) > 2 and conv.input[2]
            else 0
        )
        w_name, b_name = f"{conv.input[1]}__bnfold", f"{conv.output[0]}__bnfold_bias"
        folded_w = (w * k.reshape((-1,) + (1,) * (w.ndim - 1))).astype(np.float32)
        folded_b = ((b - mean) * k + beta).astype(np.float32)
        graph.initializer.extend([numpy_helper.from_array(folded_w, w_name), numpy_helper.from_array(folded_b, b_name)])
        inits[w_name], inits[b_name] = graph.initializer[-2], graph.initializer[-1]
        conv.input[1] = w_name
        if len(conv.input) > 2:
            conv.input[2] = b_name
        else:
            conv.input.append(b_name)
        conv.output[0] = bn.output[0]
        graph.node.remove(bn)


#: Calibrations already run in this process, by (float model, tensors, inputs).  The maxima do not
#: depend on the bit widths, so an exploration re-quantising one model to hundreds of bit-width
#: choices runs onnxruntime over the calibration inputs once per worker, not once per candidate.
_CALIBRATED: dict[str, dict[str, float]] = {}


def _calibrate(model: onnx.ModelProto, names: Sequence[str], inputs: np.ndarray) -> dict[str, float]:
    """max |x| of each named tensor over the calibration inputs (onnxruntime on the float model)."""
    h = hashlib.sha256(model.SerializeToString(deterministic=True))
    h.update("\0".join(names).encode())
    h.update(np.ascontiguousarray(inputs, dtype=np.float32).tobytes())
    key = h.hexdigest()
    if key not in _CALIBRATED:
        _CALIBRATED[key] = _run_calibration(model, names, inputs)
    return dict(_CALIBRATED[key])


def _run_calibration(model: onnx.ModelProto, names: Sequence[str], inputs: np.ndarray) -> dict[str, float]:
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    existing = {o.name for o in probe.graph.output}
    for name in names:
        if name not in existing:
            probe.graph.output.append(helper.make_empty_tensor_value_info(name))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feed = session.get_inputs()[0].name
    maxima = dict.fromkeys(names, 0.0)
    for start in range(0, len(inputs), 64):
        batch = inputs[start : start + 64].astype(np.float32)
        for sample in batch:  # batch 1: the graph may fix the batch dimension
            outs = session.run(list(names), {feed: sample[None]})
            for name, value in zip(names, outs, strict=True):
                maxima[name] = max(maxima[name], float(np.max(np.abs(value))) if value.size else 0.0)
    return maxima


def requantise(
    float_model: onnx.ModelProto,
    bits: Mapping[str, LayerBits] | Sequence[LayerBits],
    calibration: np.ndarray,
    input_bits: int = 8,
) -> onnx.ModelProto:
    """The QCDQ model of `float_model` with each layer at its bits (see the module docstring)."""
    if not is_float_model(float_model):
        raise FpgaOptError("re-quantising needs a float model (this one already has quantisation nodes)")
    model = onnx.ModelProto()
    model.CopyFrom(float_model)
    _fold_batchnorm(model)
    graph = model.graph
    layers = quantisable_layers(model)
    if not isinstance(bits, Mapping):
        if len(bits) != len(layers):
            raise FpgaOptError(f"{len(bits)} bit-width choices for {len(layers)} layers ({', '.join(layers)})")
        bits = dict(zip(layers, bits, strict=True))
    for name, b in bits.items():
        if name not in layers:
            raise FpgaOptError(f"no layer '{name}' to re-quantise (the layers are {', '.join(layers)})")
        for value in (b.weights, b.activations):
            if not MIN_BITS <= value <= MAX_BITS:
                raise FpgaOptError(f"layer '{name}': bit width {value} is outside [{MIN_BITS}, {MAX_BITS}]")
    if not MIN_BITS <= input_bits <= MAX_BITS:
        raise FpgaOptError(f"input bit width {input_bits} is outside [{MIN_BITS}, {MAX_BITS}]")
    inits = {t.name: t for t in graph.initializer}
    real_inputs = [v.name for v in graph.input if v.name not in inits]
    if len(real_inputs) != 1:
        raise FpgaOptError(f"re-quantising needs a model with one input, this one has {len(real_inputs)}")

    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    layer_of = {id(node): name for node, name in _layer_names(model)}

    # Which tensors get an activation QCDQ, and at how many bits.
    tensor_bits: dict[str, int] = {real_inputs[0]: input_bits}
    quantised: list[str] = [real_inputs[0]]
    for node in graph.node:
        in_bits = [tensor_bits[n] for n in node.input if n in tensor_bits]
        if not in_bits:
            continue
        out = node.output[0]
        if node.op_type in RESCALING_OPS:
            layer = layer_of.get(id(node))
            width = bits.get(layer, LayerBits()).activations if layer in layers else max(in_bits)
            users = consumers.get(out, [])
            if len(users) == 1 and users[0].op_type == "Relu":
                out = users[0].output[0]
            quantised.append(out)
            tensor_bits[out] = width
            tensor_bits[node.output[0]] = width
        else:
            for o in node.output:
                tensor_bits.setdefault(o, max(in_bits))

    maxima = _calibrate(model, quantised, calibration)
    scales = {name: _pow2_scale(maxima[name], 2 ** (tensor_bits[name] - 1) - 1) for name in quantised}

    new_nodes: list[onnx.NodeProto] = []
    renamed: dict[str, str] = {}
    extra_inits: list[TensorProto] = []

    def const(name: str, array: np.ndarray) -> str:
        extra_inits.append(numpy_helper.from_array(array, name))
        return name

    def qcdq(tensor: str) -> None:
        a = tensor_bits[tensor]
        s = np.float32(scales[tensor])
        zp = const(f"{tensor}__zp", np.array(0, dtype=np.int8))
        sc = const(f"{tensor}__scale", np.array(s, dtype=np.float32))
        q = f"{tensor}__q"
        new_nodes.append(helper.make_node("QuantizeLinear", [tensor, sc, zp], [q], name=f"{tensor}__quant"))
        if a < 8:
            lo = const(f"{tensor}__lo", np.array(-(2 ** (a - 1)), dtype=np.int8))
            hi = const(f"{tensor}__hi", np.array(2 ** (a - 1) - 1, dtype=np.int8))
            clipped = f"{tensor}__c"
            new_nodes.append(helper.make_node("Clip", [q, lo, hi], [clipped], name=f"{tensor}__clip"))
            q = clipped
        dq = f"{tensor}__dq"
        new_nodes.append(helper.make_node("DequantizeLinear", [q, sc, zp], [dq], name=f"{tensor}__dequant"))
        renamed[tensor] = dq

    def input_scale(name: str) -> float:
        return scales[name] if name in scales else scales[_origin(name)]

    producers = {o: n for n in graph.node for o in n.output}

    def _origin(name: str) -> str:
        """The quantised tensor whose scale a pass-through tensor carries."""
        seen = set()
        while name not in scales:
            node = producers.get(name)
            if node is None or name in seen:
                raise FpgaOptError(f"re-quantising: cannot tell the scale of '{name}'")
            seen.add(name)
            name = next(o for o in (_unrenamed(n, renamed) for n in node.input) if o in tensor_bits)
        return name

    if real_inputs[0] in scales:
        qcdq(real_inputs[0])
    for node in graph.node:
        node.input[:] = [renamed.get(n, n) for n in node.input]
        layer = layer_of.get(id(node))
        if layer in layers and node.input[1] in inits:
            wb = bits.get(layer, LayerBits()).weights
            qmax = 2 ** (wb - 1) - 1
            w = numpy_helper.to_array(inits[node.input[1]]).astype(np.float64)
            s_w = _pow2_scale(float(np.max(np.abs(w))), qmax)
            w_int = np.clip(np.round(w / s_w), -qmax, qmax).astype(np.int8)
            x_name = next(n for n in node.input[:1])
            s_x = input_scale(_unrenamed(x_name, renamed))
            base = f"{layer}__w"
            wq = const(f"{base}_int", w_int)
            lo = const(f"{base}_lo", np.array(-qmax, dtype=np.int8))
            hi = const(f"{base}_hi", np.array(qmax, dtype=np.int8))
            new_nodes.append(helper.make_node("Clip", [wq, lo, hi], [f"{base}_c"], name=f"{base}_clip"))
            sw = const(f"{base}_scale", np.array(s_w, dtype=np.float32))
            zw = const(f"{base}_zp", np.array(0, dtype=np.int8))
            new_nodes.append(
                helper.make_node("DequantizeLinear", [f"{base}_c", sw, zw], [f"{base}_dq"], name=f"{base}_dequant")
            )
            node.input[1] = f"{base}_dq"
            if len(node.input) > 2 and node.input[2] in inits:
                b = numpy_helper.to_array(inits[node.input[2]]).astype(np.float64)
                s_b = s_x * s_w
                bq = const(f"{layer}__b_int", np.round(b / s_b).astype(np.int32))
                sb = const(f"{layer}__b_scale", np.array(s_b, dtype=np.float32))
                zb = const(f"{layer}__b_zp", np.array(0, dtype=np.int32))
                new_nodes.append(
                    helper.make_node("DequantizeLinear", [bq, sb, zb], [f"{layer}__b_dq"], name=f"{layer}__b_dequant")
                )
                node.input[2] = f"{layer}__b_dq"
        new_nodes.append(node)
        for out in node.output:
            if out in scales and out != real_inputs[0]:
                qcdq(out)
    # graph outputs keep their names: the last QCDQ of an output feeds an Identity named like it
    outputs = {o.name for o in graph.output}
    final_nodes = []
    for node in new_nodes:
        final_nodes.append(node)
    for name in outputs:
        if name in renamed:
            for node in final_nodes:
                node.output[:] = [f"{name}__float" if o == name else o for o in node.output]
                node.input[:] = [f"{name}__float" if i == name else i for i in node.input]
            for node in final_nodes:
                node.output[:] = [name if o == renamed[name] else o for o in node.output]
    del graph.node[:]
    graph.node.extend(final_nodes)
    graph.initializer.extend(extra_inits)
    used = {name for node in graph.node for name in node.input}
    kept = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    for value in [v for v in graph.input if v.name not in used and v.name != real_inputs[0]]:
        graph.input.remove(value)
    del graph.value_info[:]
    opsets = [o for o in model.opset_import if o.domain not in ("", "ai.onnx")]
    del model.opset_import[:]
    model.opset_import.extend([*opsets, helper.make_opsetid("", max(13, _opset(float_model)))])
    onnx.checker.check_model(model)
    return model


def _unrenamed(name: str, renamed: dict[str, str]) -> str:
    for original, new in renamed.items():
        if new == name:
            return original
    return name


def _opset(model: onnx.ModelProto) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
