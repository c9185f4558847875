"""The network boundary: input layouts, input quantisation, output layouts and dequantisation.

Inputs
------
A stream `HxWxC` accepts, per sample or batch of B samples:

* NCHW (ONNX's layout): `(C, H, W)` or `(B, C, H, W)`;
* HWC (the stream's own order): `(H, W, C)` or `(B, H, W, C)`;
* for a `1x1xN` stream also a vector `(N,)` or `(B, N)`.

With `layout="auto"` NCHW is tried first, so an array that fits both (when
`(C, H, W) == (H, W, C)`) is read as NCHW; say `layout="hwc"` to override.

An integer stream takes integer arrays as they are (values must fit the
type), or float arrays quantised with the function's `dataflow.input_scales`:
`clamp(round_half_even(x / scale), lo, hi)` in float32, `[lo, hi]` being the
element type's range (-128..127 for i8), as ONNX QuantizeLinear does.  A float
stream takes any real array, converted to its float type.

Outputs
-------
Outputs are batches `(B, H, W, C)` in the stream's element type.  Asked to
dequantise, integer outputs become `q * scale` computed in float32 (as ONNX
DequantizeLinear does) with the function's `dataflow.output_scales`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import IntegerType, ModuleOp

from fpga_opt.backend.sim.dtypes import numpy_dtype
from fpga_opt.backend.sim.graph import INPUT_SCALES_ATTR, OUTPUT_SCALES_ATTR, Network, elaborate
from fpga_opt.dialects.dataflow import StreamType, int_range
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.files import load_arrays

LAYOUTS = ("auto", "nchw", "hwc")


def _dims(t: StreamType) -> str:
    return "x".join(map(str, t.dims))


def to_hwc_batch(array: np.ndarray, stream: StreamType, layout: str = "auto", what: str = "input") -> np.ndarray:
    """`array` as a `(B, H, W, C)` batch for `stream` (see the module docstring for accepted shapes)."""
    if layout not in LAYOUTS:
        raise FpgaOptError(f"unknown layout '{layout}' (choose {', '.join(LAYOUTS)})")
    a = np.asarray(array)
    if a.dtype.kind not in "biuf":
        raise FpgaOptError(f"{what}: array of dtype {a.dtype} is not numeric")
    h, w, c = stream.dims
    shape = a.shape
    if layout in ("auto", "nchw"):
        if shape == (c, h, w):
            return a.transpose(1, 2, 0)[None]
        if len(shape) == 4 and shape[1:] == (c, h, w) and shape[0] >= 1:
            return a.transpose(0, 2, 3, 1)
    if layout in ("auto", "hwc"):
        if shape == (h, w, c):
            return a[None]
        if len(shape) == 4 and shape[1:] == (h, w, c) and shape[0] >= 1:
            return a
    if h == 1 and layout in ("auto", "nchw"):  # a 1-D feature map, NCL: (B, C, L) / (C, L)
        if shape == (c, w):
            return a.transpose(1, 0)[None, None]
        if len(shape) == 3 and shape[1:] == (c, w) and shape[0] >= 1:
            return a.transpose(0, 2, 1)[:, None]
    if h == 1 and w == 1:
        if shape == (c,):
            return a.reshape(1, 1, 1, c)
        if len(shape) == 2 and shape[1] == c and shape[0] >= 1:
            return a.reshape(shape[0], 1, 1, c)
    expected = {
        "auto": f"NCHW (B,{c},{h},{w}) / ({c},{h},{w}) or HWC (B,{h},{w},{c}) / ({h},{w},{c})",
        "nchw": f"NCHW (B,{c},{h},{w}) / ({c},{h},{w})",
        "hwc": f"HWC (B,{h},{w},{c}) / ({h},{w},{c})",
    }[layout]
    raise FpgaOptError(
        f"{what}: array of shape {tuple(shape)} does not fit the stream {_dims(stream)}; expected {expected}"
    )


def quantise(
    batch: np.ndarray, stream: StreamType, scale: float | None, what: str = "input", zero_point: int = 0
) -> np.ndarray:
    """Convert a `(B, H, W, C)` batch to the stream's element type (see the module docstring)."""
    t = stream.element_type
    dtype = numpy_dtype(t)
    if not isinstance(t, IntegerType):
        return batch.astype(dtype)
    lo, hi = int_range(t)
    if batch.dtype.kind in "biu":
        values = batch.astype(np.int64)
        if values.size and (values.min() < lo or values.max() > hi):
            raise FpgaOptError(
                f"{what}: integer values in [{values.min()}, {values.max()}] do not fit the stream type {t} "
                f"[{lo}, {hi}]"
            )
        return values.astype(dtype)
    if scale is None:
        if np.all(np.isfinite(batch)) and np.all(batch == np.rint(batch)):
            return quantise(batch.astype(np.int64), stream, None, what)
        raise FpgaOptError(
            f"{what}: a float array for the integer stream {_dims(stream)}x{t} needs the function attribute "
            f"{INPUT_SCALES_ATTR} (or pass integers)"
        )
    if not np.all(np.isfinite(batch)):
        raise FpgaOptError(f"{what}: the array holds NaN or infinite values")
    q = np.rint(batch.astype(np.float32) / np.float32(scale)) + zero_point
    return np.clip(q, lo, hi).astype(np.int64).astype(dtype)


def prepare_inputs(
    net: Network,
    inputs: np.ndarray | Sequence[np.ndarray] | Mapping[str, np.ndarray],
    layout: str = "auto",
) -> list[np.ndarray]:
    """One `(B, H, W, C)` batch per function argument, in the streams' element types."""
    n = len(net.inputs)
    if isinstance(inputs, Mapping):
        arrays = select_arrays(dict(inputs), n, "inputs", net.input_names)
    elif isinstance(inputs, np.ndarray):
        arrays = [inputs]
    else:
        arrays = list(inputs)
    if len(arrays) != n:
        raise FpgaOptError(f"the function takes {n} input(s), got {len(arrays)}")
    batches = []
    for i, (a, t) in enumerate(zip(arrays, net.input_types, strict=True)):
        what = f"input {i}" if n > 1 else "input"
        b = to_hwc_batch(a, t, layout, what)
        scale = net.input_scales[i] if net.input_scales is not None else None
        zero_point = net.input_zero_points[i] if net.input_zero_points is not None else 0
        batches.append(quantise(b, t, scale, what, zero_point))
    sizes = {b.shape[0] for b in batches}
    if len(sizes) > 1:
        raise FpgaOptError(f"the inputs have different batch sizes {sorted(sizes)}")
    return batches


def select_arrays(
    arrays: dict[str, np.ndarray], n: int, where: str, names: Sequence[str] | None = None
) -> list[np.ndarray]:
    """The arrays for `n` arguments from a name->array mapping (the .npz key convention).

    Argument i is found under its port name (`dataflow.input_names`, the ONNX
    input name), else `input<i>`, else (one argument) `input`, `x` (the samples
    of an `x`/`y` data set, as fpga-profile-exits reads them) or the only array.
    """
    chosen = []
    for i in range(n):
        keys = ([names[i]] if names else []) + [f"input{i}"] + (["input", "x"] if n == 1 else [])
        key = next((k for k in keys if k in arrays), None)
        if key is None and n == 1 and len(arrays) == 1:
            key = next(iter(arrays))
        if key is None:
            raise FpgaOptError(
                f"{where}: no array for input {i} (looked for {', '.join(repr(k) for k in keys)}; "
                f"found {', '.join(repr(k) for k in sorted(arrays)) or 'none'})"
            )
        chosen.append(arrays[key])
    return chosen


def load_inputs(path: str | Path) -> dict[str, np.ndarray] | np.ndarray:
    """An `.npy` array or the arrays of an `.npz`; errors are one line."""
    return load_arrays(path, "input")


MAX_BATCH_ELEMENTS = 2**28
"""Most elements of one generated input batch (frames x H x W x C): 2 GiB as float64, so that a
large --frames is a clear error instead of a MemoryError or minutes of swapping."""


def check_batch(frames: int, stream: StreamType, what: str = "--frames") -> None:
    """A one-line error if `frames` frames of `stream` exceed MAX_BATCH_ELEMENTS."""
    elements = frames * stream.numel
    if elements > MAX_BATCH_ELEMENTS:
        raise FpgaOptError(
            f"{what}: {frames} frames of {_dims(stream)} are {elements:,} elements, more than the "
            f"{MAX_BATCH_ELEMENTS:,} one batch may hold; use fewer frames"
        )


def dequantise(outputs: list[np.ndarray], net: Network) -> list[np.ndarray]:
    """Integer outputs times the function's `dataflow.output_scales`, as float32."""
    result = []
    for i, (y, t) in enumerate(zip(outputs, net.output_types, strict=True)):
        if not t.is_integer:
            result.append(y.astype(np.float32))
            continue
        scale = net.output_scales[i] if net.output_scales is not None else None
        if scale is None:
            raise FpgaOptError(f"cannot dequantise output {i}: the function has no {OUTPUT_SCALES_ATTR} for it")
        # float32 arithmetic, as ONNX DequantizeLinear computes (q - zero_point) * scale
        zero_point = net.output_zero_points[i] if net.output_zero_points is not None else 0
        result.append((y.astype(np.int64) - zero_point).astype(np.float32) * np.float32(scale))
    return result


def to_layout(batch: np.ndarray, layout: str) -> np.ndarray:
    """A `(B, H, W, C)` batch in `layout` ("hwc" unchanged, "nchw" transposed)."""
    if layout == "nchw":
        return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))
    return batch


def random_inputs(module: ModuleOp, frames: int, seed: int) -> list[np.ndarray]:
    """`frames` normal(0, 1) images per input, quantised with the input scale: (B, H, W, C) batches."""
    net = elaborate(module)
    for t in net.input_types:
        check_batch(frames, t)
    rng = np.random.default_rng(seed)
    floats = [rng.standard_normal((frames, *t.dims)).astype(np.float32) for t in net.input_types]
    try:
        return prepare_inputs(net, floats, layout="hwc")
    except FpgaOptError:
        # No input scale: integers over the type's range instead.
        batches = []
        for t in net.input_types:
            lo, hi = int_range(t.element_type)
            batches.append(rng.integers(lo, hi + 1, size=(frames, *t.dims)))
        return prepare_inputs(net, batches, layout="hwc")
