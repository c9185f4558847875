"""From ONNX's NCHW tensors and attributes to the dialect's HWC streams and layouts.

* A feature map `[1, C, H, W]` is the stream `H x W x C`; a vector `[1, N]`
  (or `[1, N, 1, 1]`) is `1 x 1 x N`.
* Sliding windows: `pad` is `[top, left, bottom, right]`, which is also
  ONNX's `pads` order for 2-D (`[x1_begin, x2_begin, x1_end, x2_end]`);
  `auto_pad` is resolved here.
* A linear layer reads its input stream in HWC order, while ONNX flattens a
  feature map in CHW order: the weight columns are permuted to match
  (`[N, C*H*W]` in CHW order becomes `[N, H*W*C]` in HWC order).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from fpga_opt.frontend.issues import Unsupported


def stream_dims(shape: Sequence[int], what: str = "tensor") -> tuple[int, int, int]:
    """H x W x C of a batch-1 tensor of rank 2 (`[1, N]`) or 4 (`[1, C, H, W]`)."""
    shape = tuple(int(d) for d in shape)
    if len(shape) == 4 and shape[0] == 1:
        _, c, h, w = shape
        return h, w, c
    if len(shape) == 2 and shape[0] == 1:
        return 1, 1, shape[1]
    raise Unsupported(
        f"{what} has shape {list(shape)}; fpga-opt streams batch-1 feature maps [1, C, H, W] and vectors [1, N] "
        "(a fixed batch size can be overridden with --input-shape NAME:1x...)"
    )


def chw_to_hwc_columns(weights: np.ndarray, dims: tuple[int, int, int]) -> np.ndarray:
    """Permute the columns of `[N, C*H*W]` (CHW flatten order) to HWC order."""
    h, w, c = dims
    n = weights.shape[0]
    return weights.reshape(n, c, h, w).transpose(0, 2, 3, 1).reshape(n, h * w * c)


def dilations(attrs: dict) -> list[int]:
    """The ONNX `dilations` of a 2-D window ([1, 1] when absent)."""
    return [int(d) for d in attrs.get("dilations", [1, 1])]


def window(
    attrs: dict,
    in_hw: tuple[int, int],
    kernel: Sequence[int],
    what: str,
    ceil_padding: bool = False,
    dilated: bool = False,
) -> tuple[list[int], list[int], list[int], tuple[int, int]]:
    """(kernel, stride, pad, output H x W) of a 2-D sliding window, from ONNX attributes.

    `ceil_padding`: `ceil_mode = 1` becomes extra end padding (right for max pooling, whose padding
    never wins); otherwise a ceil mode that changes the output size is refused.  `dilated`: the op
    takes `dilations` (the caller reads them with `dilations()`); the geometry uses the window's
    extent, the kernel spread by the dilation.  Otherwise a dilation other than 1 is refused.
    """
    taps = [int(k) for k in kernel]
    if len(taps) != 2:
        raise Unsupported(f"{what} has a {len(taps)}-D kernel; only 2-D windows are supported")
    strides = [int(s) for s in attrs.get("strides", [1, 1])]
    spread = dilations(attrs)
    if len(spread) != 2 or min(spread) < 1:
        raise Unsupported(f"dilations {spread} are not supported")
    if any(d != 1 for d in spread) and not dilated:
        raise Unsupported(f"dilations {spread} are not supported for {what} (only 1; Conv takes any)")
    kernel = [d * (k - 1) + 1 for k, d in zip(taps, spread, strict=True)]
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else str(auto_pad)
    ceil_mode = int(attrs.get("ceil_mode", 0))
    if auto_pad in ("NOTSET", ""):
        pads = [int(p) for p in attrs.get("pads", [0, 0, 0, 0])]
    elif auto_pad == "VALID":
        pads = [0, 0, 0, 0]
    elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        pads = [0, 0, 0, 0]
        for axis in range(2):
            out = math.ceil(in_hw[axis] / strides[axis])
            total = max(0, (out - 1) * strides[axis] + kernel[axis] - in_hw[axis])
            small, big = total // 2, total - total // 2
            before, after = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
            pads[axis], pads[axis + 2] = before, after
    else:
        raise Unsupported(f"auto_pad '{auto_pad}' is not supported")
    if len(pads) != 4 or min(pads) < 0:
        raise Unsupported(f"pads {pads} are not supported")
    out = []
    for axis in range(2):
        span = in_hw[axis] + pads[axis] + pads[axis + 2] - kernel[axis]
        if span < 0:
            raise Unsupported(f"the {kernel[0]}x{kernel[1]} window does not fit the padded {in_hw[0]}x{in_hw[1]} input")
        floor_size = span // strides[axis] + 1
        if ceil_mode:
            ceil_size = -(-span // strides[axis]) + 1
            # ONNX drops a last window that would start in the end padding
            if (ceil_size - 1) * strides[axis] >= in_hw[axis] + pads[axis]:
                ceil_size -= 1
            if ceil_size != floor_size:
                if not ceil_padding:
                    raise Unsupported("ceil_mode = 1 changes the output size here; only floor mode is supported")
                # the last window reaches past the end: more end padding gives the same windows (max pooling
                # pads with the lowest value, so the padding never wins)
                pads[axis + 2] += (
                    (ceil_size - 1) * strides[axis] + kernel[axis] - (in_hw[axis] + pads[axis] + pads[axis + 2])
                )
                floor_size = ceil_size
        out.append(floor_size)
    if pads[0] >= kernel[0] or pads[2] >= kernel[0] or pads[1] >= kernel[1] or pads[3] >= kernel[1]:
        raise Unsupported(f"pads {pads} are not smaller than the kernel {kernel}")
    return taps, strides, pads, (out[0], out[1])
