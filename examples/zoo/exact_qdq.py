"""The QDQ reference definition in exact arithmetic: which top-1 class is right when fpga-sim and
onnxruntime disagree?

    python examples/zoo/exact_qdq.py build/zoo/imagenet/resnet18.qdq_channel.onnx --samples 200 --seed 1

A QDQ graph defines each quantised tensor as `clamp(round_half_even(y / s) + z)`, `y` the float op
on dequantised inputs.  onnxruntime (graph optimisation disabled) evaluates `y` in float32;
fpga-sim in integers with 31-bit multipliers (docs/frontend.md).  This script evaluates the same
definition with no rounding but the QuantizeLinear's own: integer accumulators (exact in float64
below 2^53), then `y / s` in float64, and wherever that lands within 1e-9 of a half, the exact
rational value of the stored float32 constants (Python fractions).  It runs the three on the same
inputs (the zoo's: seeded normal noise) and prints, per model, how often each agrees with the
exact top-1 and with the others, and every input where any two differ; `--json` writes them.

Ops: QuantizeLinear, DequantizeLinear, Conv, Gemm, Add, MaxPool, GlobalAveragePool, Flatten,
Relu, as onnxruntime's quantiser writes ResNets and VGGs; any other op is refused by name.
Weights stay per-channel or per-tensor as the model has them.  An evidence tool, not part of
fpga-opt: it needs torch (CPU) for the convolutions.
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

NEAR_HALF = 1e-9
"""Values of `y / s` within this of a half are rounded from their exact rational value."""


class Exact:
    """A float tensor of the graph not yet quantised: float64 values, and how to get one exactly."""

    def __init__(self, approx: np.ndarray, exact):
        self.approx = approx
        self.exact = exact  # index tuple -> Fraction


class Quantised:
    """A dequantised tensor `(q - z) * s`, kept as its integers."""

    def __init__(self, q: np.ndarray, s: np.ndarray, z: np.ndarray):
        self.q, self.s, self.z = q.astype(np.int64), s, z.astype(np.int64)


def _f(x) -> Fraction:
    return Fraction(float(x))


def _channel(a: np.ndarray, ndim: int, axis: int = 1) -> np.ndarray:
    """A per-channel vector shaped to broadcast on `axis` of an ndim tensor (a scalar stays a scalar)."""
    if a.size == 1:
        return a.reshape(())
    shape = [1] * ndim
    shape[axis] = a.size
    return a.reshape(shape)


class ExactQDQ:
    def __init__(self, path: Path):
        import torch  # noqa: F401 - fail early, with the import error, if it is missing

        self.model = onnx.load(str(path))
        g = self.model.graph
        self.inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        self.nodes = list(g.node)
        self.input = next(i.name for i in g.input if i.name not in self.inits)
        self.output = g.output[0].name
        known = {"QuantizeLinear", "DequantizeLinear", "Conv", "Gemm", "Add", "MaxPool", "GlobalAveragePool",
                 "Flatten", "Relu"}  # fmt: skip
        for n in self.nodes:
            if n.op_type not in known:
                raise SystemExit(f"exact_qdq.py: error: {n.op_type} '{n.name}' is not supported here")

    def _attrs(self, n):
        return {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}

    def run(self, x: np.ndarray) -> np.ndarray:
        """The integers of the graph output's QuantizeLinear for one input batch `x` (NCHW float32)."""
        import torch
        import torch.nn.functional as tf

        env: dict[str, object] = {self.input: x}
        last_q = None
        for n in self.nodes:
            a = self._attrs(n)

            def get(i: int, n=n):
                return env[n.input[i]] if n.input[i] in env else self.inits[n.input[i]]

            op = n.op_type
            if op == "QuantizeLinear":
                s = self.inits[n.input[1]]
                z = self.inits[n.input[2]]
                lo, hi = (0, 255) if z.dtype == np.uint8 else (-128, 127)
                v = get(0)
                if isinstance(v, np.ndarray):  # the graph input, quantised as onnxruntime does
                    q = np.clip(np.rint(v.astype(np.float32) / np.float32(s)) + int(z), lo, hi)
                    env[n.output[0]] = q.astype(np.int64)
                    continue
                if isinstance(v, Quantised):
                    v = Exact((v.q - v.z) * v.s.astype(np.float64), None) if _same(v, s, z) else _dq_exact(v)
                    if v.exact is None:
                        env[n.output[0]] = get(0).q
                        continue
                q = _round(v, float(s)) + int(z)
                env[n.output[0]] = np.clip(q, lo, hi)
                last_q = n.output[0]
            elif op == "DequantizeLinear":
                q = get(0)
                s = self.inits[n.input[1]]
                z = self.inits[n.input[2]] if len(n.input) > 2 else np.zeros((), np.int64)
                axis = a.get("axis", 1)
                nd = np.asarray(q).ndim
                env[n.output[0]] = Quantised(np.asarray(q), _channel(s, nd, axis), _channel(z, nd, axis))
            elif op == "Conv":
                x_, w_, b_ = get(0), get(1), (get(2) if len(n.input) > 2 else None)
                pads = a.get("pads", [0, 0, 0, 0])
                xi = np.pad(x_.q - x_.z, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
                acc = tf.conv2d(
                    torch.from_numpy(xi.astype(np.float64)),
                    torch.from_numpy((w_.q - w_.z).astype(np.float64)),
                    stride=a.get("strides", [1, 1]),
                    dilation=a.get("dilations", [1, 1]),
                    groups=a.get("group", 1),
                ).numpy()
                env[n.output[0]] = _affine(acc, x_.s.reshape(()), w_.s.reshape(-1), b_, 4)
            elif op == "Gemm":
                x_, w_, b_ = get(0), get(1), (get(2) if len(n.input) > 2 else None)
                assert a.get("transB", 0) == 1 and a.get("alpha", 1.0) == 1.0 and a.get("beta", 1.0) == 1.0
                acc = (x_.q - x_.z).astype(np.float64) @ (w_.q - w_.z).astype(np.float64).reshape(w_.q.shape[0], -1).T
                env[n.output[0]] = _affine(acc, x_.s.reshape(()), w_.s.reshape(-1), b_, 2)
            elif op == "Add":
                p, r = get(0), get(1)
                sp, sr = float(p.s), float(r.s)
                ip, ir = p.q - p.z, r.q - r.z
                fp, fr = _f(sp), _f(sr)
                env[n.output[0]] = Exact(
                    ip * sp + ir * sr, lambda i, ip=ip, ir=ir, fp=fp, fr=fr: int(ip[i]) * fp + int(ir[i]) * fr
                )
            elif op == "Relu":
                v = get(0)
                env[n.output[0]] = Exact(np.maximum(v.approx, 0), lambda i, v=v: max(v.exact(i), Fraction(0)))
            elif op == "MaxPool":
                v = get(0)
                pads = a.get("pads", [0, 0, 0, 0])
                assert pads[:2] == pads[2:], "asymmetric MaxPool pads"
                m = tf.max_pool2d(
                    torch.from_numpy(v.q.astype(np.float64)),
                    a["kernel_shape"],
                    a.get("strides", [1, 1]),
                    pads[:2],
                    ceil_mode=bool(a.get("ceil_mode", 0)),
                ).numpy()
                env[n.output[0]] = Quantised(m.astype(np.int64), v.s, v.z)
            elif op == "GlobalAveragePool":
                v = get(0)
                total = (v.q - v.z).sum(axis=(2, 3), keepdims=True)
                hw = v.q.shape[2] * v.q.shape[3]
                s = float(v.s)
                env[n.output[0]] = Exact(total * s / hw, lambda i, t=total, fs=Fraction(s), hw=hw: int(t[i]) * fs / hw)
            elif op == "Flatten":
                v = get(0)
                env[n.output[0]] = Quantised(v.q.reshape(v.q.shape[0], -1), v.s, v.z)
        if last_q is None:
            raise SystemExit("exact_qdq.py: error: the graph has no QuantizeLinear")
        return env[last_q]


def _same(v: Quantised, s, z) -> bool:
    return v.s.size == 1 and float(v.s) == float(s) and int(v.z.reshape(-1)[0]) == int(z)


def _dq_exact(v: Quantised) -> Exact:
    d = v.q - v.z
    s = _f(v.s)
    return Exact(d * float(v.s), lambda i, d=d, s=s: int(d[i]) * s)


def _affine(acc: np.ndarray, sx: np.ndarray, sw: np.ndarray, bias, ndim: int) -> Exact:
    """`acc * sx * sw[c] + b_q[c] * s_b[c]` (channels on axis 1), approximately and exactly."""
    fsx = _f(sx)
    fsw = [_f(v) for v in sw]
    sxw = (np.float64(sx) * sw.astype(np.float64)).reshape(_shape(sw.size, ndim))
    approx = acc * sxw
    fb = None
    if bias is not None:
        bq, bs = (bias.q - bias.z).reshape(-1), bias.s.reshape(-1)
        fb = [int(q) * _f(bs[i if bs.size > 1 else 0]) for i, q in enumerate(bq)]
        approx = approx + (bq * bs.astype(np.float64)).reshape(_shape(bq.size, ndim))

    def exact(i, acc=acc, fsx=fsx, fsw=fsw, fb=fb):
        c = i[1]
        v = int(acc[i]) * fsx * fsw[c if len(fsw) > 1 else 0]
        return v + fb[c] if fb is not None else v

    return Exact(approx, exact)


def _shape(n: int, ndim: int) -> tuple[int, ...]:
    return (1, n) + (1,) * (ndim - 2) if n > 1 else ()


def _round(v: Exact, s: float) -> np.ndarray:
    """round_half_even(y / s): float64, and the exact value where float64 cannot tell."""
    y = v.approx / s
    r = np.rint(y)
    near = np.abs(np.abs(y - np.floor(y)) - 0.5) < NEAR_HALF * np.maximum(1.0, np.abs(y))
    fs = _f(s)
    for i in zip(*np.nonzero(near), strict=True):
        r[i] = round(v.exact(i) / fs)  # Fraction: half to even
    return r.astype(np.int64)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model")
    p.add_argument("--samples", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--indices", help="only these inputs of the seeded batch (comma-separated)")
    p.add_argument("--json")
    args = p.parse_args(argv)

    from fpga_opt.backend.sim import FunctionalModel, elaborate
    from fpga_opt.backend.sim.boundary import prepare_inputs
    from fpga_opt.frontend.onnx_import import import_onnx
    from fpga_opt.frontend.reference import ReferenceSession

    path = Path(args.model)
    ex = ExactQDQ(path)
    shape = [d.dim_value or 1 for d in ex.model.graph.input[0].type.tensor_type.shape.dim]
    x_all = np.random.default_rng(args.seed).standard_normal((args.samples, *shape[1:])).astype(np.float32)
    idx = [int(i) for i in args.indices.split(",")] if args.indices else list(range(args.samples))
    imported = import_onnx(path)
    net = elaborate(imported.module)
    sim = FunctionalModel(net, imported.weights)
    q_out = next(n.input[0] for n in ex.nodes if n.op_type == "DequantizeLinear" and n.output[0] == ex.output)
    ort = ReferenceSession(path, [q_out])
    rows = []
    for i in idx:
        x = x_all[i : i + 1]
        exact = ex.run(x).reshape(-1)
        ref = ort.run({ex.input: x})[q_out].astype(np.int64).reshape(-1)
        ours = sim.evaluate(prepare_inputs(net, [x], layout="nchw"))[net.outputs[0]].astype(np.int64).reshape(-1)
        row = {
            "input": i,
            "exact": int(exact.argmax()),
            "fpga_sim": int(ours.argmax()),
            "onnxruntime": int(ref.argmax()),
            "fpga_sim_logits_off_exact": int((ours != exact).sum()),
            "onnxruntime_logits_off_exact": int((ref != exact).sum()),
        }
        rows.append(row)
        if len({row["exact"], row["fpga_sim"], row["onnxruntime"]}) > 1:
            print(json.dumps(row), flush=True)
    n = len(rows)
    agree = lambda a, b: sum(r[a] == r[b] for r in rows)  # noqa: E731
    summary = {
        "model": str(path),
        "inputs": n,
        "seed": args.seed,
        "top1_fpga_sim_eq_exact": agree("fpga_sim", "exact"),
        "top1_onnxruntime_eq_exact": agree("onnxruntime", "exact"),
        "top1_fpga_sim_eq_onnxruntime": agree("fpga_sim", "onnxruntime"),
        "inputs_with_fpga_sim_logits_off_exact": sum(r["fpga_sim_logits_off_exact"] > 0 for r in rows),
        "inputs_with_onnxruntime_logits_off_exact": sum(r["onnxruntime_logits_off_exact"] > 0 for r in rows),
        "rows": rows,
    }
    print(json.dumps({k: v for k, v in summary.items() if k != "rows"}))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
