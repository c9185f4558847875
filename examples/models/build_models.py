#!/usr/bin/env python3
"""Build the example ONNX model corpus of fpga-opt (float and int8 QDQ).

Deterministic: every random number comes from a ``numpy.random.default_rng``
with a fixed seed, models are built with ``onnx.helper`` only and serialised
with the same settings, so rebuilding gives byte-identical files (on the same
numpy/onnx versions).

Usage::

    python examples/models/build_models.py                 # write the 10 models here
    python examples/models/build_models.py --out-dir DIR   # ... or into DIR
    python examples/models/build_models.py --check         # rebuild in a temp dir,
                                                           # compare bytes, run in ORT
    python examples/models/build_models.py --resnet50 OUT.onnx

Every model is described once, as a small "network spec" function that draws
its float parameters and calls layer methods on an emitter. ``FloatEmitter``
turns the calls into a float ONNX graph (Conv + BatchNormalization + Relu ...);
``QDQEmitter`` turns the same calls into an onnxruntime-style QDQ graph: BN is
folded into the conv, weights become int8 initialisers + DequantizeLinear,
biases int32 initialisers + DequantizeLinear, and every activation tensor goes
through QuantizeLinear -> DequantizeLinear with a power-of-two scale chosen by
calibrating the float graph on 16 standard-normal inputs (see ``calibrate``).
The random float weights get a data-dependent initialisation (BN statistics,
classifier scaling; see ``FloatEmitter``) so that the networks' predictions
depend on the input. See README.md for the exact QDQ node patterns.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 8
BN_EPS = 1e-5
MODELS_DIR = Path(__file__).resolve().parent

#: Calibration: this many standard-normal inputs, from this seed.
CALIB_SAMPLES = 16
CALIB_SEED = 1234
#: Data-dependent initialisation (see FloatEmitter): standard-normal inputs
#: from seed (model seed + INIT_SEED_OFFSET).
INIT_SAMPLES = 32
INIT_SEED_OFFSET = 1000

#: Symmetric int8: weights use [-127, 127]; activations saturate to [-128, 127]
#: in QuantizeLinear, but scales are chosen so that 127 * scale covers max |x|.
QMAX = 127


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
def pow2_scale(max_abs: float) -> float:
    """Smallest power-of-two scale s = 2**e with QMAX * s >= max_abs."""
    if not np.isfinite(max_abs):
        raise ValueError(f"non-finite calibration value {max_abs}")
    if max_abs <= 0.0:
        return 2.0**-7
    e = math.ceil(math.log2(max_abs / QMAX))
    # guard against log2 rounding at the boundary
    while QMAX * 2.0**e < max_abs:
        e += 1
    while QMAX * 2.0 ** (e - 1) >= max_abs:
        e -= 1
    return 2.0**e


def fold_bn(w: np.ndarray, b: np.ndarray | None, bn: dict | None):
    """Fold an inference BatchNormalization into the preceding conv."""
    cout = w.shape[0]
    b = np.zeros(cout, np.float32) if b is None else b
    if bn is None:
        return w.astype(np.float32), b.astype(np.float32)
    k = bn["gamma"] / np.sqrt(bn["var"] + np.float32(BN_EPS))
    wf = w * k.reshape(-1, *([1] * (w.ndim - 1)))
    bf = (b - bn["mean"]) * k + bn["beta"]
    return wf.astype(np.float32), bf.astype(np.float32)


def _scalar(value, dtype) -> np.ndarray:
    return np.array(value, dtype=dtype)


class _Graph:
    """Accumulates nodes and initialisers."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: dict[str, onnx.TensorProto] = {}

    def init(self, name: str, array: np.ndarray) -> str:
        assert name not in self.inits, name
        # (np.ascontiguousarray would turn 0-d scalars into shape [1])
        self.inits[name] = numpy_helper.from_array(np.array(array, order="C"), name)
        return name

    def node(self, op: str, inputs: list[str], output: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], name=f"{output}:{op}", **attrs))
        return output

    def rename(self, old: str, new: str) -> None:
        for n in self.nodes:
            for i, v in enumerate(n.input):
                if v == old:
                    n.input[i] = new
            for i, v in enumerate(n.output):
                if v == old:
                    n.output[i] = new


# --------------------------------------------------------------------------
# Emitters
# --------------------------------------------------------------------------
class _Emitter:
    """Layer-level interface shared by the float and QDQ emitters.

    Layers are addressed by *handles* (strings). A layer's handle is its
    ``tag``; in the float graph the layer's final tensor is named exactly
    ``tag`` (so calibration can read it), in the QDQ graph the tag names the
    DequantizeLinear output of that layer.
    """

    def __init__(self, input_shape: tuple[int, ...]) -> None:
        self.g = _Graph()
        self.input_shape = tuple(input_shape)
        self.shape: dict[str, tuple[int, ...]] = {"input": self.input_shape}
        self.macs = 0
        self.outputs: list[tuple[str, tuple[int, ...]]] = []
        self.handles: list[str] = ["input"]

    # shape bookkeeping -------------------------------------------------
    def _new(self, tag: str, shape: tuple[int, ...]) -> None:
        assert tag not in self.shape, f"duplicate tag {tag}"
        self.shape[tag] = tuple(int(d) for d in shape)
        self.handles.append(tag)

    @staticmethod
    def _pool_hw(h: int, k: int, s: int, p: int) -> int:
        return (h + 2 * p - k) // s + 1

    def _conv_shape(self, x, w, stride, pad):
        n, _, h, wd = self.shape[x]
        cout, _, kh, kw = w.shape
        ho = (h + 2 * pad - kh) // stride + 1
        wo = (wd + 2 * pad - kw) // stride + 1
        return (n, cout, ho, wo)

    # layers (shape part; subclasses emit nodes) ------------------------
    def conv(self, x, tag, w, bias=None, bn=None, stride=1, pad=0, group=1, act=None):
        shape = self._conv_shape(x, w, stride, pad)
        assert self.shape[x][1] == w.shape[1] * group
        self.macs += int(np.prod(shape[1:])) * int(np.prod(w.shape[1:]))
        self._new(tag, shape)
        self._conv(x, tag, w, bias, bn, stride, pad, group, act)
        return tag

    def gemm(self, x, tag, w, bias, act=None, center=False):
        n, k = self.shape[x]
        assert w.shape[1] == k
        self.macs += int(w.shape[0] * w.shape[1])
        self._new(tag, (n, w.shape[0]))
        self._gemm(x, tag, w, bias, act, center)
        return tag

    def add(self, a, b, tag, act=None):
        assert self.shape[a] == self.shape[b]
        self._new(tag, self.shape[a])
        self._add(a, b, tag, act)
        return tag

    def maxpool(self, x, tag, k, s, pad=0):
        n, c, h, w = self.shape[x]
        self._new(tag, (n, c, self._pool_hw(h, k, s, pad), self._pool_hw(w, k, s, pad)))
        self._pool(
            "MaxPool",
            x,
            tag,
            same_scale=True,
            kernel_shape=[k, k],
            strides=[s, s],
            pads=[pad] * 4,
        )
        return tag

    def avgpool(self, x, tag, k, s):
        n, c, h, w = self.shape[x]
        self._new(tag, (n, c, self._pool_hw(h, k, s, 0), self._pool_hw(w, k, s, 0)))
        self._pool("AveragePool", x, tag, same_scale=False, kernel_shape=[k, k], strides=[s, s])
        return tag

    def global_avgpool(self, x, tag):
        n, c, _, _ = self.shape[x]
        self._new(tag, (n, c, 1, 1))
        self._pool("GlobalAveragePool", x, tag, same_scale=False)
        return tag

    def reduce_mean(self, x, tag):
        n, c, _, _ = self.shape[x]
        self._new(tag, (n, c, 1, 1))
        self._pool("ReduceMean", x, tag, same_scale=False, axes=[2, 3], keepdims=1)
        return tag

    def flatten(self, x, tag):
        n = self.shape[x][0]
        self._new(tag, (n, int(np.prod(self.shape[x][1:]))))
        self._pool("Flatten", x, tag, same_scale=True, axis=1)
        return tag

    def softmax(self, x, tag):
        raise NotImplementedError

    def output(self, x, name):
        raise NotImplementedError

    # model -------------------------------------------------------------
    def model(self, name: str, doc: str) -> onnx.ModelProto:
        inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, list(self.input_shape))
        outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, list(s)) for o, s in self.outputs]
        graph = helper.make_graph(self.g.nodes, name, [inp], outs, initializer=list(self.g.inits.values()))
        m = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="fpga-opt examples/models/build_models.py",
            doc_string=doc,
        )
        m.ir_version = IR_VERSION
        return m


# numpy reference of the layers (used only for data-dependent initialisation)
def np_act(y: np.ndarray, act: str | None) -> np.ndarray:
    if act is None:
        return y
    if act == "relu":
        return np.maximum(y, 0)
    if act == "relu6":
        return np.clip(y, 0, 6)
    raise ValueError(act)


def np_conv(x, w, b, stride, pad, group):
    n, _, _, _ = x.shape
    cout, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    win = win[:, :, ::stride, ::stride]  # n, c, ho, wo, kh, kw
    ho, wo = win.shape[2:4]
    win = win.reshape(n, group, cg, ho, wo, kh, kw)
    wg = w.reshape(group, cout // group, cg, kh, kw)
    y = np.einsum("ngchwij,gocij->ngohw", win, wg, optimize=True).reshape(n, cout, ho, wo)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def np_pool(op, x, attrs):
    if op in ("GlobalAveragePool", "ReduceMean"):
        return x.mean(axis=(2, 3), keepdims=True)
    if op == "Flatten":
        return x.reshape(x.shape[0], -1)
    k, s = attrs["kernel_shape"][0], attrs["strides"][0]
    pad = attrs.get("pads", [0])[0]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::s, ::s]
    return win.max(axis=(4, 5)) if op == "MaxPool" else win.mean(axis=(4, 5))


class FloatEmitter(_Emitter):
    """Float graph: Conv [+ BatchNormalization] [+ Relu/Clip], Gemm, ...

    With ``init_x`` (a batch of sample inputs) the emitter also runs the
    layers in numpy as it goes and uses the activations for a data-dependent
    initialisation, so that the random networks behave like trained ones
    (normalised activations, input-dependent logits):

    * BatchNormalization: mean = mu + jitter * sigma, var = sigma**2 * factor,
      where mu/sigma are the per-channel statistics of the conv output on
      ``init_x`` and jitter/factor are the spec's random ``mean``/``var``;
    * ``gemm(..., center=True)`` (classifiers): rows of W and the bias are
      rescaled/shifted so that every logit has zero mean and unit standard
      deviation over ``init_x`` (no class dominates the argmax).

    The parameters actually used are recorded in ``params`` for the QDQEmitter.
    """

    def __init__(self, input_shape, init_x: np.ndarray | None = None) -> None:
        super().__init__(input_shape)
        self.val: dict[str, np.ndarray] | None = None if init_x is None else {"input": init_x}
        self.params: dict[str, tuple] = {}

    def _act(self, src, tag, act):
        if act is None:
            return
        if act == "relu":
            self.g.node("Relu", [src], tag)
        elif act == "relu6":
            if "clip_min" not in self.g.inits:
                self.g.init("clip_min", _scalar(0.0, np.float32))
                self.g.init("clip_max", _scalar(6.0, np.float32))
            self.g.node("Clip", [src, "clip_min", "clip_max"], tag)
        else:
            raise ValueError(act)

    def _conv(self, x, tag, w, bias, bn, stride, pad, group, act):
        if self.val is not None:
            y = np_conv(self.val[x], w, bias, stride, pad, group)
            if bn is not None:
                mu = y.mean(axis=(0, 2, 3), dtype=np.float64)
                sd = y.std(axis=(0, 2, 3), dtype=np.float64)
                bn = dict(bn)
                bn["mean"] = (mu + bn["mean"] * sd).astype(np.float32)
                bn["var"] = (sd**2 * bn["var"]).astype(np.float32)
                wf, bf = fold_bn(w, bias, bn)
                y = np_conv(self.val[x], wf, bf, stride, pad, group)
            self.val[tag] = np_act(y, act)
        self.params[tag] = (w, bias, bn)
        ins = [x, self.g.init(f"{tag}.weight", w)]
        if bias is not None:
            ins.append(self.g.init(f"{tag}.bias", bias))
        conv_out = tag if (bn is None and act is None) else f"{tag}/conv"
        self.g.node(
            "Conv",
            ins,
            conv_out,
            kernel_shape=list(w.shape[2:]),
            strides=[stride, stride],
            pads=[pad] * 4,
            group=group,
        )
        cur = conv_out
        if bn is not None:
            bn_out = tag if act is None else f"{tag}/bn"
            p = [self.g.init(f"{tag}.bn.{k}", bn[k]) for k in ("gamma", "beta", "mean", "var")]
            self.g.node("BatchNormalization", [cur, *p], bn_out, epsilon=BN_EPS)
            cur = bn_out
        self._act(cur, tag, act)

    def _gemm(self, x, tag, w, bias, act, center):
        if self.val is not None:
            y = self.val[x] @ w.T
            if center:
                # standardise each logit over init_x: zero mean, unit std
                sd = y.std(axis=0, dtype=np.float64)
                w = (w / sd[:, None]).astype(np.float32)
                bias = (bias - y.mean(axis=0, dtype=np.float64) / sd).astype(np.float32)
                y = self.val[x] @ w.T
            self.val[tag] = np_act(y + bias, act)
        self.params[tag] = (w, bias, None)
        ins = [x, self.g.init(f"{tag}.weight", w), self.g.init(f"{tag}.bias", bias)]
        out = tag if act is None else f"{tag}/gemm"
        self.g.node("Gemm", ins, out, transB=1)
        self._act(out, tag, act)

    def _add(self, a, b, tag, act):
        if self.val is not None:
            self.val[tag] = np_act(self.val[a] + self.val[b], act)
        out = tag if act is None else f"{tag}/add"
        self.g.node("Add", [a, b], out)
        self._act(out, tag, act)

    def _pool(self, op, x, tag, same_scale, **attrs):
        if self.val is not None:
            self.val[tag] = np_pool(op, self.val[x], attrs)
        self.g.node(op, [x], tag, **attrs)

    def softmax(self, x, tag):
        self._new(tag, self.shape[x])
        self.g.node("Softmax", [x], tag, axis=1)
        return tag

    def output(self, x, name):
        if x != name:
            self.g.rename(x, name)
            self.shape[name] = self.shape[x]
        self.outputs.append((name, self.shape[name]))


class QDQEmitter(_Emitter):
    """ONNX Runtime style QDQ graph, symmetric int8, power-of-two scales.

    ``calib`` maps each float-graph handle to the observed max |x|.
    """

    def __init__(self, input_shape, calib: dict[str, float], params: dict[str, tuple]) -> None:
        super().__init__(input_shape)
        self.calib = calib
        self.params = params  # FloatEmitter.params: the float parameters actually used
        self.scale: dict[str, float] = {}
        self.tensor: dict[str, str] = {}  # handle -> QDQ graph tensor name
        self.max_acc = 0  # worst-case |int32 accumulator| over conv/gemm layers
        self._qdq("input", "input", pow2_scale(calib["input"]), out="input/dq")

    def _qdq(self, src: str, tag: str, scale: float, out: str | None = None) -> None:
        """src (float) -> QuantizeLinear -> DequantizeLinear -> out (= tag)."""
        out = tag if out is None else out
        s = self.g.init(f"{tag}.scale", _scalar(scale, np.float32))
        z = self.g.init(f"{tag}.zero_point", _scalar(0, np.int8))
        self.g.node("QuantizeLinear", [src, s, z], f"{tag}/q")
        self.g.node("DequantizeLinear", [f"{tag}/q", s, z], out)
        self.scale[tag] = scale
        self.tensor[tag] = out

    def _const_dq(self, name: str, q: np.ndarray, scale: float) -> str:
        zp_dtype = np.int8 if q.dtype == np.int8 else np.int32
        ins = [
            self.g.init(f"{name}_quantized", q),
            self.g.init(f"{name}_scale", _scalar(scale, np.float32)),
            self.g.init(f"{name}_zero_point", _scalar(0, zp_dtype)),
        ]
        return self.g.node("DequantizeLinear", ins, f"{name}/dq")

    def _weights(self, x, tag, w, b):
        sx = self.scale[x]
        sw = pow2_scale(float(np.max(np.abs(w))))
        wq = np.clip(np.round(w / sw), -QMAX, QMAX).astype(np.int8)
        sb = sx * sw
        bq = np.clip(np.round(b.astype(np.float64) / sb), -(2**31), 2**31 - 1).astype(np.int32)
        k = int(np.prod(w.shape[1:]))
        self.max_acc = max(self.max_acc, k * 128 * QMAX + int(np.max(np.abs(bq))))
        return self._const_dq(f"{tag}.weight", wq, sw), self._const_dq(f"{tag}.bias", bq, sb)

    def _act(self, src, tag, act):
        if act is None:
            return src
        if act == "relu":
            return self.g.node("Relu", [src], f"{tag}/relu")
        if act == "relu6":
            if "clip_min" not in self.g.inits:
                self.g.init("clip_min", _scalar(0.0, np.float32))
                self.g.init("clip_max", _scalar(6.0, np.float32))
            return self.g.node("Clip", [src, "clip_min", "clip_max"], f"{tag}/clip")
        raise ValueError(act)

    def _conv(self, x, tag, w, bias, bn, stride, pad, group, act):
        w, bias, bn = self.params[tag]
        wf, bf = fold_bn(w, bias, bn)
        wdq, bdq = self._weights(x, tag, wf, bf)
        out = self.g.node(
            "Conv",
            [self.tensor[x], wdq, bdq],
            f"{tag}/conv",
            kernel_shape=list(w.shape[2:]),
            strides=[stride, stride],
            pads=[pad] * 4,
            group=group,
        )
        self._qdq(self._act(out, tag, act), tag, pow2_scale(self.calib[tag]))

    def _gemm(self, x, tag, w, bias, act, center):
        w, bias, _ = self.params[tag]
        wdq, bdq = self._weights(x, tag, w, bias)
        out = self.g.node("Gemm", [self.tensor[x], wdq, bdq], f"{tag}/gemm", transB=1)
        self._qdq(self._act(out, tag, act), tag, pow2_scale(self.calib[tag]))

    def _add(self, a, b, tag, act):
        out = self.g.node("Add", [self.tensor[a], self.tensor[b]], f"{tag}/add")
        self._qdq(self._act(out, tag, act), tag, pow2_scale(self.calib[tag]))

    def _pool(self, op, x, tag, same_scale, **attrs):
        out = self.g.node(op, [self.tensor[x]], f"{tag}/{op.lower()}", **attrs)
        scale = self.scale[x] if same_scale else pow2_scale(self.calib[tag])
        self._qdq(out, tag, scale)

    def softmax(self, x, tag):
        # The int8 model drops the final Softmax: its output is the logits.
        return x

    def output(self, x, name):
        if self.tensor[x] != name:
            self.g.rename(self.tensor[x], name)
            self.tensor[x] = name
        self.outputs.append((name, self.shape[x]))


# --------------------------------------------------------------------------
# Parameter initialisation
# --------------------------------------------------------------------------
def conv_w(rng, cout, cin_per_group, k):
    std = math.sqrt(2.0 / (cin_per_group * k * k))
    return (rng.standard_normal((cout, cin_per_group, k, k)) * std).astype(np.float32)


def bn_p(rng, c, gamma=(0.5, 1.5)):
    """Random BatchNormalization parameters. Under data-dependent init
    (FloatEmitter with init_x) ``mean`` is a jitter in units of the channel's
    standard deviation and ``var`` a factor on its variance."""
    return {
        "gamma": rng.uniform(*gamma, c).astype(np.float32),
        "beta": rng.uniform(-0.3, 0.3, c).astype(np.float32),
        "mean": rng.normal(0.0, 0.3, c).astype(np.float32),
        "var": rng.uniform(0.5, 2.0, c).astype(np.float32),
    }


def gemm_p(rng, n, k, gain=2.0):
    w = (rng.standard_normal((n, k)) * math.sqrt(gain / k)).astype(np.float32)
    b = rng.uniform(-0.1, 0.1, n).astype(np.float32)
    return w, b


def conv_b(rng, c):
    return rng.uniform(-0.1, 0.1, c).astype(np.float32)


# --------------------------------------------------------------------------
# Network specs
# --------------------------------------------------------------------------
def lenet5(e: _Emitter, rng) -> None:
    x = e.conv("input", "conv1", conv_w(rng, 6, 1, 5), bias=conv_b(rng, 6), pad=2, act="relu")
    x = e.maxpool(x, "pool1", 2, 2)
    x = e.conv(x, "conv2", conv_w(rng, 16, 6, 5), bias=conv_b(rng, 16), act="relu")
    x = e.maxpool(x, "pool2", 2, 2)
    x = e.flatten(x, "flatten")
    x = e.gemm(x, "fc1", *gemm_p(rng, 120, 400), act="relu")
    x = e.gemm(x, "fc2", *gemm_p(rng, 84, 120), act="relu")
    x = e.gemm(x, "fc3", *gemm_p(rng, 10, 84, gain=1.0), center=True)
    x = e.softmax(x, "output")
    e.output(x, "output")


#: gamma range of the BN that closes a residual branch (smaller than the other
#: BNs, as in trained ResNets; keeps the random networks from amplifying
#: quantisation noise block after block)
RES_GAMMA = (0.2, 0.6)


def _basic_block(e, rng, x, tag, cin, cout, stride):
    y = e.conv(x, f"{tag}.conv1", conv_w(rng, cout, cin, 3), bn=bn_p(rng, cout), stride=stride, pad=1, act="relu")
    # smaller gamma on the last BN of the residual branch, as in trained ResNets
    y = e.conv(y, f"{tag}.conv2", conv_w(rng, cout, cout, 3), bn=bn_p(rng, cout, RES_GAMMA), pad=1)
    if stride != 1 or cin != cout:
        x = e.conv(x, f"{tag}.downsample", conv_w(rng, cout, cin, 1), bn=bn_p(rng, cout), stride=stride)
    return e.add(y, x, f"{tag}.add", act="relu")


def resnet8(e: _Emitter, rng) -> None:
    x = e.conv("input", "stem", conv_w(rng, 16, 3, 3), bn=bn_p(rng, 16), pad=1, act="relu")
    cin = 16
    for i, (c, s) in enumerate([(16, 1), (32, 2), (64, 2)]):
        x = _basic_block(e, rng, x, f"stack{i + 1}", cin, c, s)
        cin = c
    x = e.avgpool(x, "avgpool", 8, 8)
    x = e.flatten(x, "flatten")
    x = e.gemm(x, "output", *gemm_p(rng, 10, 64, gain=1.0), center=True)
    e.output(x, "output")


def resnet20(e: _Emitter, rng) -> None:
    x = e.conv("input", "stem", conv_w(rng, 16, 3, 3), bn=bn_p(rng, 16), pad=1, act="relu")
    cin = 16
    for si, c in enumerate([16, 32, 64]):
        for bi in range(3):
            s = 2 if (si > 0 and bi == 0) else 1
            x = _basic_block(e, rng, x, f"layer{si + 1}.{bi}", cin, c, s)
            cin = c
    x = e.global_avgpool(x, "gap")
    x = e.flatten(x, "flatten")
    x = e.gemm(x, "output", *gemm_p(rng, 10, 64, gain=1.0), center=True)
    e.output(x, "output")


def mobilenet_block(e: _Emitter, rng) -> None:
    x = e.conv("input", "dw1", conv_w(rng, 16, 1, 3), bn=bn_p(rng, 16), pad=1, group=16, act="relu6")
    x = e.conv(x, "pw1", conv_w(rng, 32, 16, 1), bn=bn_p(rng, 32), act="relu")
    x = e.conv(x, "dw2", conv_w(rng, 32, 1, 3), bn=bn_p(rng, 32), stride=2, pad=1, group=32, act="relu6")
    x = e.conv(x, "pw2", conv_w(rng, 64, 32, 1), bn=bn_p(rng, 64), act="relu")
    x = e.reduce_mean(x, "mean")
    x = e.flatten(x, "flatten")
    x = e.gemm(x, "output", *gemm_p(rng, 10, 64, gain=1.0), center=True)
    e.output(x, "output")


def blenet(e: _Emitter, rng) -> None:
    x = e.conv("input", "conv1", conv_w(rng, 5, 1, 5), bias=conv_b(rng, 5), pad=2, act="relu")
    x = e.maxpool(x, "pool1", 2, 2)  # 14x14
    # exit 0 branch
    b = e.conv(x, "exit0.conv", conv_w(rng, 10, 5, 3), bias=conv_b(rng, 10), pad=1, act="relu")
    b = e.avgpool(b, "exit0.pool", 2, 2)  # 7x7
    b = e.flatten(b, "exit0.flatten")
    b = e.gemm(b, "exit0", *gemm_p(rng, 10, 490, gain=1.0), center=True)
    e.output(b, "exit0")
    # backbone continues
    x = e.conv(x, "conv2", conv_w(rng, 10, 5, 5), bias=conv_b(rng, 10), pad=2, act="relu")
    x = e.maxpool(x, "pool2", 2, 2)  # 7x7
    x = e.conv(x, "conv3", conv_w(rng, 20, 10, 5), bias=conv_b(rng, 20), pad=2, act="relu")
    x = e.maxpool(x, "pool3", 2, 2)  # 7 -> 3 (floor, last row/column dropped)
    x = e.flatten(x, "flatten")
    x = e.gemm(x, "fc1", *gemm_p(rng, 84, 180), act="relu")
    x = e.gemm(x, "exit1", *gemm_p(rng, 10, 84, gain=1.0), center=True)
    e.output(x, "exit1")


def _bottleneck(e, rng, x, tag, cin, width, stride):
    cout = 4 * width
    y = e.conv(x, f"{tag}.conv1", conv_w(rng, width, cin, 1), bn=bn_p(rng, width), act="relu")
    y = e.conv(y, f"{tag}.conv2", conv_w(rng, width, width, 3), bn=bn_p(rng, width), stride=stride, pad=1, act="relu")
    y = e.conv(y, f"{tag}.conv3", conv_w(rng, cout, width, 1), bn=bn_p(rng, cout, RES_GAMMA))
    if stride != 1 or cin != cout:
        x = e.conv(x, f"{tag}.downsample", conv_w(rng, cout, cin, 1), bn=bn_p(rng, cout), stride=stride)
    return e.add(y, x, f"{tag}.add", act="relu")


def _resnet50(e: _Emitter, rng) -> None:
    x = e.conv("input", "stem", conv_w(rng, 64, 3, 7), bn=bn_p(rng, 64), stride=2, pad=3, act="relu")
    x = e.maxpool(x, "stem.pool", 3, 2, pad=1)
    cin = 64
    for si, (width, blocks) in enumerate([(64, 3), (128, 4), (256, 6), (512, 3)]):
        for bi in range(blocks):
            s = 2 if (si > 0 and bi == 0) else 1
            x = _bottleneck(e, rng, x, f"layer{si + 1}.{bi}", cin, width, s)
            cin = 4 * width
    x = e.global_avgpool(x, "gap")
    x = e.flatten(x, "flatten")
    x = e.gemm(x, "output", *gemm_p(rng, 1000, 2048, gain=1.0), center=True)
    e.output(x, "output")


# name -> (spec, input shape, seed, description)
MODELS: dict[str, tuple[Callable, tuple[int, ...], int, str]] = {
    "lenet5": (lenet5, (1, 1, 28, 28), 5, "LeNet-5 (random weights)"),
    "resnet8": (resnet8, (1, 3, 32, 32), 8, "MLPerf Tiny ResNet-8 topology (random weights)"),
    "resnet20": (resnet20, (1, 3, 32, 32), 20, "CIFAR ResNet-20 (random weights)"),
    "mobilenet_block": (
        mobilenet_block,
        (1, 16, 32, 32),
        3,
        "Two MobileNet depthwise-separable blocks (random weights)",
    ),
    "blenet": (blenet, (1, 1, 28, 28), 7, "Two-exit B-LeNet / BranchyNet (random weights)"),
}


# --------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------
def build_float(name: str) -> tuple[onnx.ModelProto, FloatEmitter]:
    spec, shape, seed, doc = MODELS[name]
    init_x = sample_inputs(shape, INIT_SAMPLES, seed + INIT_SEED_OFFSET)
    e = FloatEmitter(shape, init_x)
    spec(e, np.random.default_rng(seed))
    return e.model(name, doc + "; float32"), e


def sample_inputs(shape: tuple[int, ...], n: int = CALIB_SAMPLES, seed: int = CALIB_SEED) -> np.ndarray:
    """n inputs drawn from the standard normal distribution (i.e. images
    normalised to zero mean / unit variance), stacked along the batch axis."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, *shape[1:]), dtype=np.float32)


def calibrate(model: onnx.ModelProto, handles: list[str], shape) -> dict[str, float]:
    """max |x| of every handle tensor over the calibration inputs.

    Runs the float graph with onnx.reference.ReferenceEvaluator (numpy). The
    whole calibration set is fed as one batch: every op in these graphs is
    batch-agnostic (Flatten uses axis=1).
    """
    from onnx.reference import ReferenceEvaluator

    m = onnx.ModelProto()
    m.CopyFrom(model)
    graph_outs = {o.name for o in m.graph.output}
    del m.graph.input[:]
    m.graph.input.append(helper.make_tensor_value_info("input", TensorProto.FLOAT, None))
    del m.graph.output[:]
    for h in handles:
        m.graph.output.append(helper.make_tensor_value_info(h, TensorProto.FLOAT, None))
    x = sample_inputs(shape)
    names = [h for h in handles if h != "input"]
    vals = ReferenceEvaluator(m).run(names, {"input": x})
    out = {"input": float(np.max(np.abs(x)))}
    for h, v in zip(names, vals, strict=True):
        out[h] = float(np.max(np.abs(v)))
    assert graph_outs <= set(out), graph_outs - set(out)
    return out


def build_int8(name: str, fmodel: onnx.ModelProto, fe: FloatEmitter) -> tuple[onnx.ModelProto, QDQEmitter]:
    spec, shape, seed, doc = MODELS[name]
    handles = [h for h in fe.handles if h in _tensor_names(fmodel)]
    calib = calibrate(fmodel, handles, shape)
    e = QDQEmitter(shape, calib, fe.params)
    spec(e, np.random.default_rng(seed))
    return e.model(f"{name}_int8", doc + "; int8 QDQ, power-of-two scales"), e


def _tensor_names(model: onnx.ModelProto) -> set[str]:
    names = {"input"}
    for n in model.graph.node:
        names.update(n.output)
    return names


def count_params(model: onnx.ModelProto) -> int:
    """Elements of all non-scalar initialisers (weights, biases, BN params)."""
    return sum(int(np.prod(t.dims)) for t in model.graph.initializer if len(t.dims) > 0)


def serialize(model: onnx.ModelProto) -> bytes:
    return model.SerializeToString(deterministic=True)


def build_all(out_dir: Path, verbose: bool = True) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written, summary = {}, []
    for name in MODELS:
        fm, fe = build_float(name)
        qm, qe = build_int8(name, fm, fe)
        for fname, m, e in ((name, fm, fe), (f"{name}_int8", qm, qe)):
            onnx.checker.check_model(m, full_check=True)
            path = out_dir / f"{fname}.onnx"
            data = serialize(m)
            path.write_bytes(data)
            written[fname] = path
            if verbose:
                extra = ""
                if isinstance(e, QDQEmitter):
                    extra = f"2^{math.log2(e.max_acc):.1f}"
                summary.append([fname, f"{count_params(m):,d}", f"{e.macs:,d}", f"{len(data):,d}", extra])
    if verbose:
        from fpga_opt.tools.tables import render

        print(render(["model", "params", "MACs", "bytes", "worst-case |acc|"], summary, right={1, 2, 3}))
    return written


def _build_resnet50(seed: int) -> tuple[onnx.ModelProto, FloatEmitter]:
    e = FloatEmitter((1, 3, 224, 224))  # no data-dependent init: plain random BN
    _resnet50(e, np.random.default_rng(seed))
    return e.model("resnet50_like", "ResNet-50 topology (random weights); float32"), e


def resnet50_like(seed: int = 0) -> onnx.ModelProto:
    """Float ResNet-50 topology for import-speed benchmarks: 1x3x224x224 input,
    7x7/2 stem + 3x3/2 MaxPool, bottleneck blocks [3, 4, 6, 3] (stride on the
    3x3 conv, 1x1 conv + BN downsample on each stage's first block), 53 convs
    each followed by BatchNormalization, GlobalAveragePool, Flatten, Gemm 1000.
    Random weights, ~25.6 M parameters (~100 MB): not written by default."""
    return _build_resnet50(seed)[0]


def run_ort(model_bytes: bytes, x: np.ndarray) -> list[np.ndarray]:
    import onnxruntime as ort

    sess = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return sess.run(None, {"input": x})


def check(ref_dir: Path) -> int:
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        written = build_all(Path(tmp), verbose=False)
        for fname, path in written.items():
            new = path.read_bytes()
            ref_path = ref_dir / path.name
            if not ref_path.exists():
                print(f"MISSING   {ref_path}")
                bad += 1
                continue
            if ref_path.read_bytes() != new:
                print(f"MISMATCH  {ref_path} differs from a fresh build")
                bad += 1
                continue
            shape = MODELS[fname.removesuffix("_int8")][1]
            x = np.random.default_rng(0).random(shape, dtype=np.float32)
            try:
                outs = run_ort(new, x)
            except Exception as exc:  # noqa: BLE001 - report any runtime failure
                print(f"ORT FAIL  {ref_path}: {exc}")
                bad += 1
                continue
            print(f"ok        {ref_path.name}: outputs {[o.shape for o in outs]}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", type=Path, default=MODELS_DIR)
    ap.add_argument("--check", action="store_true", help="rebuild into a temp dir, compare with --out-dir, run in ORT")
    ap.add_argument(
        "--resnet50", type=Path, metavar="OUT", help="write the (large) ResNet-50-like float model to OUT and exit"
    )
    args = ap.parse_args(argv)
    if args.resnet50 is not None:
        m, e = _build_resnet50(0)
        data = serialize(m)
        args.resnet50.write_bytes(data)
        print(f"resnet50_like  params {count_params(m):,d}  MACs {e.macs:,d}  size {len(data):,d} B")
        return 0
    if args.check:
        return check(args.out_dir)
    build_all(args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
