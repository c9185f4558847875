"""`dataflow.pool` and `dataflow.global_pool`: max and average pooling."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import (
    DenseArrayBase,
    StringAttr,
    UnitAttr,
    f32,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
)
from xdsl.utils.exceptions import VerifyException

from fpga_opt.dialects.dataflow.attrs import RequantAttr
from fpga_opt.dialects.dataflow.base import (
    STREAM_FORMAT,
    ChannelParallelOp,
    WholeFrameOp,
    WindowedOp,
    check_requant,
    check_same_kind,
    expect_stream,
    i64_array,
    present,
    verify_window,
    who,
)
from fpga_opt.dialects.dataflow.types import StreamType

POOL_MODES = ("max", "avg")


@irdl_op_definition
class PoolOp(WindowedOp, ChannelParallelOp):
    """Max or average pooling over a sliding window.

    Average pooling divides by Kh*Kw (padding counts) in float; on integers
    it emits the window *sum* (so the result must be wide enough, or carry a
    `requant` whose multiplier includes 1/(Kh*Kw)): division is a rescale.
    Max pooling pads with the type's lowest value.  The optional
    `window_depth` is the depth, in windows, of the stream between the
    sliding window and the reduction (absent: the default 2-deep stream).

    `exclude_pad` (average pooling; ONNX `count_include_pad = 0`) divides each
    window by the real pixels in it (`window_counts()`), not Kh*Kw: floats
    divide by that count; integers need a per-tensor requant, whose rounding
    divides by the count exactly: `round((sum + offset) * multiplier /
    (count * 2**shift))` (the multiplier carries the scale ratio only).

    `qdq_scales = array<f32: s_in, s_out>` (with exclude_pad, on integers) makes
    the mean the QDQ reference's own float32 arithmetic instead of the exact
    one, so that ties (x.5) land where onnxruntime puts them: each pixel
    `(q - pad_value) * s_in`, each window column summed top to bottom, the
    column sums left to right, `/ count`, `/ s_out`, rounded half to even, then
    the requant's zero point and saturation (its multiplier is not used).
    """

    name = "dataflow.pool"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    mode = prop_def(StringAttr)
    requant = opt_prop_def(RequantAttr)
    exclude_pad = opt_prop_def(UnitAttr)
    qdq_scales = opt_prop_def(DenseArrayBase)

    assembly_format = STREAM_FORMAT

    def __init__(
        self,
        input: SSAValue,
        result_type: StreamType,
        *,
        mode: str,
        kernel: Sequence[int],
        stride: Sequence[int] | None = None,
        pad: Sequence[int] = (0, 0, 0, 0),
        requant: RequantAttr | None = None,
        exclude_pad: bool = False,
        qdq_scales: tuple[float, float] | None = None,
        layer: str | None = None,
    ):
        props: dict[str, Attribute | None] = {
            "mode": StringAttr(mode),
            "kernel": i64_array(kernel),
            "stride": i64_array(stride if stride is not None else kernel),
            "pad": i64_array(pad),
            "requant": requant,
            "exclude_pad": UnitAttr() if exclude_pad else None,
            "qdq_scales": DenseArrayBase.from_list(f32, list(qdq_scales)) if qdq_scales is not None else None,
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(operands=[input], result_types=[result_type], properties=present(props))

    def window_counts(self) -> np.ndarray:
        """(Ho, Wo): the real (not padding) input pixels in each output pixel's window."""
        (kh, kw), (sh, sw) = self.kernel_size, self.stride_size
        top, left, _, _ = self.padding
        h, w, _ = self.window_stream.dims
        out = self.output.type
        assert isinstance(out, StreamType)

        def span(n_out: int, stride: int, before: int, k: int, size: int) -> np.ndarray:
            start = np.arange(n_out) * stride - before
            return np.minimum(start + k, size) - np.maximum(start, 0)

        return np.outer(span(out.height, sh, top, kh, h), span(out.width, sw, left, kw, w))

    @property
    def reference_scales(self) -> tuple[float, float] | None:
        """(s_in, s_out) of a mean computed in the QDQ reference's float32 arithmetic, or None."""
        if self.qdq_scales is None:
            return None
        s_in, s_out = self.qdq_scales.get_values()
        return float(s_in), float(s_out)

    def verify_(self) -> None:
        inp = expect_stream(self.input, self, "input")
        out = expect_stream(self.output, self, "result")
        if self.mode.data not in POOL_MODES:
            raise VerifyException(f"{who(self)}: mode must be 'max' or 'avg', got '{self.mode.data}'")
        verify_window(self, inp, out)
        if inp.channels != out.channels:
            raise VerifyException(
                f"{who(self)}: pooling keeps channels ({inp.channels}) but the result has {out.channels}"
            )
        self._check_coarse(inp.channels)
        check_same_kind(self, inp, out, "input and result")
        if self.mode.data == "max":
            if self.requant is not None:
                raise VerifyException(f"{who(self)}: max pooling does not rescale; remove 'requant'")
            if out.element_type != inp.element_type:
                raise VerifyException(f"{who(self)}: max pooling keeps the element type {inp.element_type}")
            if self.exclude_pad is not None:
                raise VerifyException(f"{who(self)}: exclude_pad is for average pooling (max pooling never counts)")
        self._check_qdq_scales(out)
        if self.exclude_pad is None or not out.is_integer:
            check_requant(self, self.requant, out)
            return
        if self.requant is None:
            raise VerifyException(
                f"{who(self)}: an integer average with exclude_pad needs a requant (it divides each window's "
                "sum by its count of real pixels)"
            )
        check_requant(self, self.requant, out)

    def _check_qdq_scales(self, out: StreamType) -> None:
        if self.qdq_scales is None:
            return
        if self.exclude_pad is None or not out.is_integer or self.requant is None:
            raise VerifyException(
                f"{who(self)}: qdq_scales is for an integer average with exclude_pad and a requant "
                "(it computes that mean in the QDQ reference's float32 arithmetic)"
            )
        values = self.qdq_scales.get_values()
        if self.qdq_scales.get_element_type() != f32 or len(values) != 2:
            raise VerifyException(f"{who(self)}: qdq_scales must be array<f32: s_in, s_out>")
        if not all(np.isfinite(v) and v > 0 for v in values):
            raise VerifyException(f"{who(self)}: qdq_scales must be positive and finite, got {list(values)}")
        if self.requant.per_channel:
            raise VerifyException(f"{who(self)}: qdq_scales needs a per-tensor requant")


@irdl_op_definition
class GlobalPoolOp(WholeFrameOp, ChannelParallelOp):
    """Global max or average pooling to `1x1xC` (the end of most CNNs).

    As for `dataflow.pool`, integer averaging emits the sum (or its requant).
    """

    name = "dataflow.global_pool"

    input = operand_def(StreamType)
    output = result_def(StreamType)

    mode = prop_def(StringAttr)
    requant = opt_prop_def(RequantAttr)

    assembly_format = STREAM_FORMAT

    def __init__(
        self,
        input: SSAValue,
        result_type: StreamType,
        *,
        mode: str = "avg",
        requant: RequantAttr | None = None,
        layer: str | None = None,
    ):
        props: dict[str, Attribute | None] = {
            "mode": StringAttr(mode),
            "requant": requant,
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(operands=[input], result_types=[result_type], properties=present(props))

    def verify_(self) -> None:
        inp = expect_stream(self.input, self, "input")
        out = expect_stream(self.output, self, "result")
        if self.mode.data not in POOL_MODES:
            raise VerifyException(f"{who(self)}: mode must be 'max' or 'avg', got '{self.mode.data}'")
        if out.dims != (1, 1, inp.channels):
            raise VerifyException(f"{who(self)}: result must be 1x1x{inp.channels}, got {'x'.join(map(str, out.dims))}")
        self._check_coarse(inp.channels)
        check_same_kind(self, inp, out, "input and result")
        if self.mode.data == "max" and self.requant is not None:
            raise VerifyException(f"{who(self)}: max pooling does not rescale; remove 'requant'")
        check_requant(self, self.requant, out)
