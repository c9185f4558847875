"""numpy evaluation of nodes whose inputs are all constant.

Exporters compute shapes at run time (torch's legacy exporter writes
`Shape -> Gather -> Unsqueeze -> Concat -> Reshape` for `x.view(x.size(0), -1)`)
and sometimes transpose or reshape weights with nodes.  With static shapes all
of that is constant: this module folds it so the lowering only ever sees layer
ops.  Each folder takes the node's attributes and its input arrays (None for
an omitted optional input) and returns the output arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from onnx import helper, numpy_helper

from fpga_opt.frontend.issues import Unsupported

Arrays = Sequence[np.ndarray | None]
Folder = Callable[[dict[str, Any], Arrays, int], list[np.ndarray]]


def constant_value(attrs: dict[str, Any]) -> np.ndarray:
    """The tensor a `Constant` node defines, whichever attribute holds it."""
    if "value" in attrs:
        return numpy_helper.to_array(attrs["value"])
    if "value_float" in attrs:
        return np.array(attrs["value_float"], dtype=np.float32)
    if "value_floats" in attrs:
        return np.array(attrs["value_floats"], dtype=np.float32)
    if "value_int" in attrs:
        return np.array(attrs["value_int"], dtype=np.int64)
    if "value_ints" in attrs:
        return np.array(attrs["value_ints"], dtype=np.int64)
    raise Unsupported(f"Constant with attribute(s) {sorted(attrs)} is not supported")


def _axes(attrs: dict[str, Any], inputs: Arrays, index: int, opset: int, since: int) -> list[int] | None:
    """Axes from an attribute (older opsets) or from input `index` (opset >= `since`)."""
    if opset >= since:
        if len(inputs) > index and inputs[index] is not None:
            return [int(a) for a in np.asarray(inputs[index]).reshape(-1)]
        return None
    axes = attrs.get("axes")
    return None if axes is None else [int(a) for a in axes]


def reshape_target(shape: Sequence[int], target: np.ndarray, allowzero: int = 0) -> tuple[int, ...]:
    """ONNX Reshape's rule: 0 copies the input dimension (unless allowzero), -1 is inferred."""
    out = [int(t) for t in np.asarray(target).reshape(-1)]
    for i, t in enumerate(out):
        if t == 0 and not allowzero:
            if i >= len(shape):
                raise Unsupported(f"Reshape target {out} copies dimension {i} of a rank-{len(shape)} tensor")
            out[i] = shape[i]
    total = int(np.prod(shape))
    if out.count(-1) > 1:
        raise Unsupported(f"Reshape target {out} has more than one -1")
    if -1 in out:
        known = int(np.prod([t for t in out if t != -1]))
        if known == 0 or total % known:
            raise Unsupported(f"Reshape target {out} does not fit a tensor of shape {list(shape)}")
        out[out.index(-1)] = total // known
    if int(np.prod(out)) != total:
        raise Unsupported(f"Reshape target {out} does not fit a tensor of shape {list(shape)}")
    return tuple(out)


def flatten_shape(shape: Sequence[int], axis: int) -> tuple[int, int]:
    axis = axis + len(shape) if axis < 0 else axis
    return int(np.prod(shape[:axis])), int(np.prod(shape[axis:]))


def squeeze_shape(shape: Sequence[int], axes: list[int] | None) -> tuple[int, ...]:
    if axes is None:
        return tuple(d for d in shape if d != 1)
    norm = {a + len(shape) if a < 0 else a for a in axes}
    return tuple(d for i, d in enumerate(shape) if i not in norm)


def unsqueeze_shape(shape: Sequence[int], axes: list[int]) -> tuple[int, ...]:
    rank = len(shape) + len(axes)
    norm = sorted(a + rank if a < 0 else a for a in axes)
    out = list(shape)
    for a in norm:
        out.insert(a, 1)
    return tuple(out)


def _slice(attrs, inputs, opset):
    data = inputs[0]
    if opset >= 10:
        starts, ends = inputs[1], inputs[2]
        axes = inputs[3] if len(inputs) > 3 and inputs[3] is not None else range(len(starts))
        steps = inputs[4] if len(inputs) > 4 and inputs[4] is not None else [1] * len(starts)
    else:  # pragma: no cover - opsets below 11 are rejected at load time
        starts, ends, axes, steps = attrs["starts"], attrs["ends"], attrs.get("axes", range(len(attrs["starts"]))), None
    index = [slice(None)] * data.ndim
    for s, e, a, st in zip(starts, ends, axes, steps, strict=True):
        a = int(a) + data.ndim if int(a) < 0 else int(a)
        index[a] = slice(int(s), int(e), int(st))
    return [data[tuple(index)]]


def _gather(attrs, inputs, opset):
    return [np.take(inputs[0], inputs[1].astype(np.int64), axis=int(attrs.get("axis", 0)))]


def _concat(attrs, inputs, opset):
    return [np.concatenate([x for x in inputs if x is not None], axis=int(attrs["axis"]))]


def _cast(attrs, inputs, opset):
    return [inputs[0].astype(helper.tensor_dtype_to_np_dtype(int(attrs["to"])))]


def _constant_of_shape(attrs, inputs, opset):
    value = numpy_helper.to_array(attrs["value"]) if "value" in attrs else np.zeros(1, np.float32)
    return [np.full([int(d) for d in inputs[0]], value.reshape(-1)[0], dtype=value.dtype)]


def _binary(fn):
    def fold(attrs, inputs, opset):
        a, b = inputs[0], inputs[1]
        out = fn(a, b)
        return [np.asarray(out).astype(np.result_type(a, b), copy=False)]

    return fold


def _div(a, b):
    if np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer):
        return np.trunc(a / b).astype(np.result_type(a, b))
    return a / b


def _reduce(fn):
    def fold(attrs, inputs, opset):
        axes = _axes(attrs, inputs, 1, opset, 18 if fn is not np.sum else 13)
        keep = bool(attrs.get("keepdims", 1))
        data = inputs[0]
        if axes is None and attrs.get("noop_with_empty_axes", 0):
            return [data]
        return [np.asarray(fn(data, axis=None if axes is None else tuple(axes), keepdims=keep)).astype(data.dtype)]

    return fold


def _unary(fn):
    return lambda attrs, inputs, opset: [np.asarray(fn(inputs[0])).astype(inputs[0].dtype)]


def _shape_op_folders() -> dict[str, Folder]:
    def reshape(attrs, inputs, opset):
        return [inputs[0].reshape(reshape_target(inputs[0].shape, inputs[1], int(attrs.get("allowzero", 0))))]

    def flatten(attrs, inputs, opset):
        return [inputs[0].reshape(flatten_shape(inputs[0].shape, int(attrs.get("axis", 1))))]

    def squeeze(attrs, inputs, opset):
        return [inputs[0].reshape(squeeze_shape(inputs[0].shape, _axes(attrs, inputs, 1, opset, 13)))]

    def unsqueeze(attrs, inputs, opset):
        return [inputs[0].reshape(unsqueeze_shape(inputs[0].shape, _axes(attrs, inputs, 1, opset, 13) or []))]

    def transpose(attrs, inputs, opset):
        perm = attrs.get("perm")
        return [np.transpose(inputs[0], None if perm is None else [int(p) for p in perm])]

    return {
        "Identity": lambda attrs, inputs, opset: [inputs[0]],
        "Reshape": reshape,
        "Flatten": flatten,
        "Squeeze": squeeze,
        "Unsqueeze": unsqueeze,
        "Transpose": transpose,
    }


LAYOUT_FOLDERS = _shape_op_folders()
"""Folders that only move elements: they also apply to the integers of a dequantised constant."""

FOLDERS: dict[str, Folder] = {
    **LAYOUT_FOLDERS,
    "Constant": lambda attrs, inputs, opset: [constant_value(attrs)],
    "Shape": lambda attrs, inputs, opset: [np.array(inputs[0].shape, dtype=np.int64)],
    "Size": lambda attrs, inputs, opset: [np.array(inputs[0].size, dtype=np.int64)],
    "Gather": _gather,
    "Concat": _concat,
    "Slice": _slice,
    "Cast": _cast,
    "ConstantOfShape": _constant_of_shape,
    "Add": _binary(np.add),
    "Sub": _binary(np.subtract),
    "Mul": _binary(np.multiply),
    "Div": _binary(_div),
    "Pow": _binary(np.power),
    "Min": _binary(np.minimum),
    "Max": _binary(np.maximum),
    "Equal": lambda attrs, inputs, opset: [np.equal(inputs[0], inputs[1])],
    "Where": lambda attrs, inputs, opset: [np.where(inputs[0], inputs[1], inputs[2])],
    "Expand": lambda attrs, inputs, opset: [inputs[0] * np.ones([int(d) for d in inputs[1]], dtype=inputs[0].dtype)],
    "Range": lambda attrs, inputs, opset: [np.arange(inputs[0], inputs[1], inputs[2]).astype(inputs[0].dtype)],
    "Neg": _unary(np.negative),
    "Abs": _unary(np.abs),
    "Sqrt": _unary(np.sqrt),
    "Reciprocal": _unary(np.reciprocal),
    "Floor": _unary(np.floor),
    "Ceil": _unary(np.ceil),
    "ReduceProd": _reduce(np.prod),
    "ReduceSum": _reduce(np.sum),
    "ReduceMax": _reduce(np.max),
    "ReduceMin": _reduce(np.min),
}


def fold(op_type: str, attrs: dict[str, Any], inputs: Arrays, opset: int) -> list[np.ndarray]:
    """Evaluate a node on constant inputs (raises Unsupported when the numbers do not fit the op)."""
    try:
        return FOLDERS[op_type](attrs, inputs, opset)
    except Unsupported:
        raise
    except (ValueError, IndexError, TypeError, KeyError) as error:
        raise Unsupported(f"cannot evaluate on its constant inputs: {error}") from None
