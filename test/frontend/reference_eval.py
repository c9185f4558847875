"""A small numpy evaluator of the `dataflow` dialect, for the frontend's numerical tests.

It implements the op semantics written in dialects/dataflow.py's docstrings,
one frame at a time, on H x W x C arrays: float ops in float64, integer ops
exactly in int64 (requant with its rounding mode and saturation).  It is a
test oracle only; the real interpreter is `fpga_opt.backend.sim`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from xdsl.dialects.builtin import FloatAttr, IntegerType, ModuleOp
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import SSAValue

from fpga_opt.dialects import dataflow as df


def requantize(x: np.ndarray, rq: df.RequantAttr) -> np.ndarray:
    """`clamp(round(x * multiplier / 2**shift) + zero_point, min, max)`, exactly."""
    prod = np.asarray(x, dtype=object) * int(rq.multiplier.data)
    shift = int(rq.shift.data)
    mode = rq.rounding.data
    if shift == 0:
        q = prod
    else:
        d = 1 << shift
        floor = prod // d
        rem = prod - floor * d  # in [0, d)
        if mode == "floor":
            q = floor
        elif mode == "half_up":
            q = (prod + (d >> 1)) // d
        elif mode == "half_even":
            up = (2 * rem > d) | ((2 * rem == d) & (floor % 2 == 1))
            q = floor + up.astype(object)
        elif mode == "half_away":
            neg = prod < 0
            mag = np.where(neg, -prod, prod)
            qm = (mag + (d >> 1)) // d
            q = np.where(neg, -qm, qm)
        else:
            raise ValueError(mode)
    q = q + int(rq.zero_point.data)
    return np.clip(q, int(rq.min.data), int(rq.max.data)).astype(np.int64)


def activation(x: np.ndarray, act: df.ActivationAttr | None) -> np.ndarray:
    if act is None:
        return x
    kind = act.kind.data
    if kind == "relu":
        return np.maximum(x, 0)
    if kind == "relu6":
        return np.clip(x, 0, 6)
    if kind == "clip":
        lo, hi = act.lo_value, act.hi_value
        if np.issubdtype(x.dtype, np.integer):
            return np.clip(x, int(lo), int(hi))
        return np.clip(x, lo, hi)
    if kind == "leaky_relu":
        return np.where(x >= 0, x, x * act.alpha_value)
    if kind == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    raise ValueError(kind)


def _window_view(x: np.ndarray, kernel, stride, pad, fill) -> np.ndarray:
    """(Ho, Wo, C, Kh, Kw) windows of an H x W x C array."""
    top, left, bottom, right = pad
    xp = np.pad(x, ((top, bottom), (left, right), (0, 0)), constant_values=fill)
    win = np.lib.stride_tricks.sliding_window_view(xp, tuple(kernel), axis=(0, 1))
    return win[:: stride[0], :: stride[1]]


def _is_int(value: SSAValue) -> bool:
    return isinstance(value.type.element_type, IntegerType)


def _low(value: SSAValue):
    t = value.type.element_type
    return df.int_range(t)[0] if isinstance(t, IntegerType) else -np.inf


class Evaluator:
    """Runs the function of a module on H x W x C numpy arrays."""

    def __init__(self, module: ModuleOp, weights: Mapping[str, np.ndarray]):
        self.func = next(op for op in module.ops if isinstance(op, FuncOp))
        self.weights = weights

    def w(self, name, integer: bool) -> np.ndarray:
        array = np.asarray(self.weights[name.data])
        return array.astype(np.int64) if integer else array.astype(np.float64)

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        env: dict[SSAValue, np.ndarray] = {}
        for arg, x in zip(self.func.body.block.args, inputs, strict=True):
            env[arg] = x.astype(np.int64) if _is_int(arg) else x.astype(np.float64)
        for op in self.func.body.block.ops:
            if isinstance(op, ReturnOp):
                return [env[v] for v in op.operands]
            outs = self.eval(op, [env[v] for v in op.operands])
            for result, value in zip(op.results, outs, strict=True):
                env[result] = value
        raise AssertionError("no func.return")

    def eval(self, op, ins: list[np.ndarray]) -> list[np.ndarray]:
        integer = bool(op.results) and _is_int(op.results[0])
        if isinstance(op, df.ConvOp):
            return self._conv(op, ins, integer)
        if isinstance(op, df.LinearOp):
            x = ins[0].reshape(-1)
            y = self.w(op.weights, integer) @ x
            if op.bias is not None:
                y = y + self.w(op.bias, integer)
            if op.requant is not None:
                y = requantize(y, op.requant)
            return [activation(y, op.activation).reshape(1, 1, -1)]
        if isinstance(op, df.PoolOp):
            kernel, stride, pad = (list(getattr(op, p).get_values()) for p in ("kernel", "stride", "pad"))
            if op.mode.data == "max":
                win = _window_view(ins[0], kernel, stride, pad, _low(op.input))
                return [win.max(axis=(3, 4))]
            win = _window_view(ins[0], kernel, stride, pad, 0)
            if integer:
                y = win.sum(axis=(3, 4))
                return [requantize(y, op.requant) if op.requant is not None else y]
            return [win.mean(axis=(3, 4))]
        if isinstance(op, df.GlobalPoolOp):
            x = ins[0]
            if op.mode.data == "max":
                y = x.max(axis=(0, 1))
            elif integer:
                y = x.sum(axis=(0, 1))
                if op.requant is not None:
                    y = requantize(y, op.requant)
            else:
                y = x.mean(axis=(0, 1))
            return [y.reshape(1, 1, -1)]
        if isinstance(op, df.AddOp):
            if integer:
                y = ins[0] * op.lhs_mult.value.data + ins[1] * op.rhs_mult.value.data
                if op.requant is not None:
                    y = requantize(y, op.requant)
            else:
                y = ins[0] + ins[1]
            return [activation(y, op.activation)]
        if isinstance(op, df.ConcatOp):
            return [np.concatenate(ins, axis=2)]
        if isinstance(op, df.ForkOp):
            return [ins[0]] * len(op.outputs)
        if isinstance(op, df.BufferOp):
            return [ins[0]]
        if isinstance(op, df.RequantizeOp):
            return [requantize(ins[0], op.requant)]
        if isinstance(op, df.ActivationOp):
            return [activation(ins[0], op.activation)]
        if isinstance(op, df.SoftmaxOp):
            e = np.exp(ins[0] - ins[0].max(axis=2, keepdims=True))
            return [e / e.sum(axis=2, keepdims=True)]
        raise NotImplementedError(op.name)

    def _conv(self, op: df.ConvOp, ins, integer: bool) -> list[np.ndarray]:
        kernel, stride, pad = (list(getattr(op, p).get_values()) for p in ("kernel", "stride", "pad"))
        groups = op.groups.value.data
        w = self.w(op.weights, integer)
        c_out, cg = w.shape[:2]
        if op.dilation is not None:  # a dilated kernel is the undilated one with zeros between its taps
            dh, dw = op.dilation.get_values()
            kernel = [dh * (kernel[0] - 1) + 1, dw * (kernel[1] - 1) + 1]
            spread = np.zeros((*w.shape[:2], *kernel), w.dtype)
            spread[:, :, ::dh, ::dw] = w
            w = spread
        win = _window_view(ins[0], kernel, stride, pad, 0)  # Ho, Wo, C, Kh, Kw
        ho, wo = win.shape[:2]
        win = win.reshape(ho, wo, groups, cg, kernel[0], kernel[1])
        wg = w.reshape(groups, c_out // groups, cg, kernel[0], kernel[1])
        y = np.einsum("hwgcij,gocij->hwgo", win, wg, optimize=True).reshape(ho, wo, c_out)
        if op.bias is not None:
            y = y + self.w(op.bias, integer)
        if op.requant is not None and op.skip is None:
            y = requantize(y, op.requant)
        if op.skip is not None:
            if op.requant is not None:
                y = requantize(y, op.requant)
            y = y * op.acc_mult.value.data + ins[1] * op.skip_mult.value.data
            if op.skip_requant is not None:
                y = requantize(y, op.skip_requant)
        outs = [activation(y, op.activation)]
        if op.side is not None:
            raise NotImplementedError("side results")
        return outs


def float_attr_list(func: FuncOp, name: str) -> list[float] | None:
    attr = func.attributes.get(name)
    if attr is None:
        return None
    return [a.value.data for a in attr.data if isinstance(a, FloatAttr)]


def run_nchw(module: ModuleOp, weights: Mapping[str, np.ndarray], inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Feed ONNX-layout float inputs, get ONNX-layout float outputs (quantising/dequantising at the ports)."""
    ev = Evaluator(module, weights)
    func = ev.func
    in_scales = float_attr_list(func, "dataflow.input_scales")
    out_scales = float_attr_list(func, "dataflow.output_scales")
    feeds = []
    for i, (arg, x) in enumerate(zip(func.body.block.args, inputs, strict=True)):
        hwc = x[0].transpose(1, 2, 0) if x.ndim == 4 else x.reshape(1, 1, -1)
        if _is_int(arg):
            lo, hi = df.int_range(arg.type.element_type)
            hwc = np.clip(np.rint(hwc.astype(np.float64) / in_scales[i]), lo, hi)
        feeds.append(hwc)
    outs = []
    for i, (y, result_type) in enumerate(zip(ev.run(feeds), func.function_type.outputs.data, strict=True)):
        if isinstance(result_type.element_type, IntegerType):
            y = y.astype(np.float64) * out_scales[i]
        outs.append(y)
    return outs
