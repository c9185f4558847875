"""Binarised layers: `dataflow.threshold`, `dataflow.xnor_linear`, `dataflow.xnor_conv`, `dataflow.lut_linear`.

Rationale (docs/lutnet.md has the long form):

* **A bit stands for +-1.**  Binarised activations travel as `ui1` streams:
  bit `b` stands for the value `2b - 1`, so a product of two +-1 values is
  XNOR of their bits and a +-1 dot product over `n` terms is
  `2 * popcount - n`.
* **Batch norm and scales are a threshold.**  Everything between a binarised
  layer's accumulator and the next sign (batch norm, scales, biases) is
  monotone per channel, so it collapses to one integer threshold on the
  popcount (FINN's streamlining).  With `thresholds` a layer emits the bit
  `popcount >= t[c]`; without, it emits the +-1 dot product `2 * popcount - n`
  as an integer (a classifier's last layer).
* **A LUT layer generalises XNOR.**  LUTNet replaces each XNOR by a K-input
  LUT that also sees K-1 other inputs; its truth table is learned.  Output
  `o` of `dataflow.lut_linear` sums `luts` LUT operators, operator `(o, m)`
  reading the inputs `indices[o, m, 0..K-1]` and returning bit
  `tables[o, m, addr]`, `addr = sum_k x[indices[o, m, k]] << k`.

Tensors (in the weight sidecar, checked when loaded by `load_binary_tensors`,
the one reader every concern uses): XNOR weights are bits `[C_out, N]`
(linear, columns in the stream's HWC order) or `[C_out, C_in, Kh, Kw]` (conv),
1 standing for +1; thresholds are integers `[C_out]` in `[0, n + 1]`
(`n + 1`: never fires); LUT indices are integers `[C_out, luts, K]` in
`[0, N)`, truth tables bits `[C_out, luts, 2^K]`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import I64, IntegerAttr, IntegerType, Signedness, StringAttr
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import irdl_op_definition, operand_def, opt_prop_def, prop_def, result_def
from xdsl.utils.exceptions import VerifyException

from fpga_opt.dialects.dataflow.base import (
    ONE,
    STREAM_FORMAT,
    ChannelParallelOp,
    DataflowOp,
    Folding,
    WholeFrameOp,
    WindowedOp,
    check_factor,
    divisors,
    expect_stream,
    fine_values,
    i64_array,
    i64_attr,
    present,
    verify_window,
    who,
)
from fpga_opt.dialects.dataflow.types import StreamType, int_range
from fpga_opt.dialects.errors import FpgaOptError

BIT = IntegerType(1, Signedness.UNSIGNED)
"""The element type of a binarised stream: bit b stands for 2b - 1."""

MAX_LUT_INPUTS = 6
"""K of a LUT operator: 1..6, the inputs of one physical LUT6."""


def is_bit_stream(t: StreamType) -> bool:
    return t.element_type == BIT


def _expect_bits(op: DataflowOp, t: StreamType, what: str) -> None:
    if not is_bit_stream(t):
        raise VerifyException(f"{who(op)}: {what} must be a binarised stream of ui1, got {t.element_type}")


def _verify_binary_result(op: DataflowOp, out: StreamType, n: int, has_thresholds: bool) -> None:
    """With thresholds the result is bits; without, a signed integer holding the dot product [-n, n]."""
    if has_thresholds:
        _expect_bits(op, out, "with thresholds the result")
        return
    t = out.element_type
    if not isinstance(t, IntegerType) or t == BIT:
        raise VerifyException(
            f"{who(op)}: without thresholds the result is the +-1 dot product, an integer type, got {t}"
        )
    lo, hi = int_range(t)
    if lo > -n or hi < n:
        raise VerifyException(f"{who(op)}: result type {t} cannot hold the dot product range [-{n}, {n}]")


class BinaryLayerOp(DataflowOp):
    """What the binarised layers share: a popcount over `fan_in` terms per output, maybe thresholded."""

    thresholds = opt_prop_def(StringAttr)

    @property
    def fan_in(self) -> int:
        """Terms of each output's popcount (n of `2 * popcount - n`)."""
        raise NotImplementedError

    @property
    def has_thresholds(self) -> bool:
        return self.thresholds is not None

    def tensor_properties(self) -> tuple[str, ...]:
        return ("weights", "thresholds", "indices", "tables")

    # coarse_in input bits and coarse_out outputs per cycle, dense and windowed alike
    def input_lanes(self, index: int, folding: Folding | None = None) -> int:
        return self.factors(folding)["coarse_in"]

    def output_lanes(self, index: int, folding: Folding | None = None) -> int:
        return self.factors(folding)["coarse_out"]


class DenseBinaryOp(WholeFrameOp, BinaryLayerOp):
    """What the dense binarised layers share: the whole input frame as one vector, a 1x1xN result.

    Tiled, `coarse_in` input bits per cycle and `coarse_out` output lanes
    (FINN's SIMD x PE); `fan_in` terms in each output's popcount.
    """

    input = operand_def(StreamType)
    output = result_def(StreamType)
    coarse_in = prop_def(IntegerAttr[I64], default_value=ONE)
    coarse_out = prop_def(IntegerAttr[I64], default_value=ONE)

    @property
    def vector_length(self) -> int:
        """The input bits of one frame (H*W*C)."""
        t = self.input.type
        assert isinstance(t, StreamType)
        return t.numel

    def folding(self) -> dict[str, int]:
        return {"coarse_in": self.coarse_in.value.data, "coarse_out": self.coarse_out.value.data}

    def folding_space(self) -> dict[str, list[int]]:
        out = self.output.type
        assert isinstance(out, StreamType)
        return {"coarse_in": divisors(self.vector_length), "coarse_out": divisors(out.channels)}

    def macs(self) -> int:
        out = self.output.type
        assert isinstance(out, StreamType)
        return self.fan_in * out.channels

    def _verify_dense(self) -> tuple[StreamType, StreamType]:
        """The checks both dense layers make; returns (input, result) for the op's own checks."""
        inp = expect_stream(self.input, self, "input")
        out = expect_stream(self.output, self, "result")
        _expect_bits(self, inp, "input")
        if out.height != 1 or out.width != 1:
            raise VerifyException(f"{who(self)}: result must be 1x1xN, got {'x'.join(map(str, out.dims))}")
        return inp, out

    def _verify_result_and_folding(self, inp: StreamType, out: StreamType) -> None:
        _verify_binary_result(self, out, self.fan_in, self.has_thresholds)
        check_factor(self, "coarse_in", self.coarse_in.value.data, inp.numel, "input features H*W*C")
        check_factor(self, "coarse_out", self.coarse_out.value.data, out.channels, "output features")


@irdl_op_definition
class ThresholdOp(ChannelParallelOp):
    """Binarise a stream: bit `x >= thresholds[c]` per channel (QONNX MultiThreshold, a sign activation).

    The input is any integer or float stream (the quantised pixels of a
    network's input, say); thresholds `[C]` are in the input's domain.
    """

    name = "dataflow.threshold"

    input = operand_def(StreamType)
    output = result_def(StreamType)
    thresholds = prop_def(StringAttr)

    assembly_format = STREAM_FORMAT

    def __init__(self, input: SSAValue, *, thresholds: str, layer: str | None = None):
        t = input.type
        assert isinstance(t, StreamType)
        props = {"thresholds": StringAttr(thresholds), "layer": StringAttr(layer) if layer is not None else None}
        super().__init__(operands=[input], result_types=[StreamType(t.dims, BIT)], properties=present(props))

    def verify_(self) -> None:
        inp = expect_stream(self.input, self, "input")
        out = expect_stream(self.output, self, "result")
        if inp.dims != out.dims:
            raise VerifyException(
                f"{who(self)}: result is {'x'.join(map(str, out.dims))} but the input is {'x'.join(map(str, inp.dims))}"
            )
        _expect_bits(self, out, "the result")
        self._check_coarse(inp.channels)

    def tensor_properties(self) -> tuple[str, ...]:
        return ("thresholds",)


@irdl_op_definition
class XnorLinearOp(DenseBinaryOp):
    """A binarised fully connected layer: per output, popcount(XNOR(x, w)) over the H*W*C input bits.

    Weights are bits `[C_out, H*W*C]` (HWC column order).  Hardware (tiled):
    `coarse_in` XNORs per output lane and cycle, `coarse_out` output lanes
    (FINN's SIMD x PE), a popcount accumulator and a comparator per lane.
    """

    name = "dataflow.xnor_linear"

    weights = prop_def(StringAttr)

    assembly_format = STREAM_FORMAT

    def __init__(
        self,
        input: SSAValue,
        result_type: StreamType,
        *,
        weights: str,
        thresholds: str | None = None,
        layer: str | None = None,
    ):
        props = {
            "weights": StringAttr(weights),
            "thresholds": StringAttr(thresholds) if thresholds is not None else None,
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(operands=[input], result_types=[result_type], properties=present(props))

    @property
    def fan_in(self) -> int:
        return self.vector_length

    def verify_(self) -> None:
        self._verify_result_and_folding(*self._verify_dense())


@irdl_op_definition
class XnorConvOp(WindowedOp, BinaryLayerOp):
    """A binarised 2-D convolution: per output pixel and channel, popcount(XNOR(window, w)).

    Weights are bits `[C_out, C_in, Kh, Kw]`.  No padding: a binarised stream
    has no zero to pad with (FINN's CNV pads none either).  Hardware (tiled):
    the sliding window feeds `coarse_in * fine` XNORs per output lane,
    `coarse_out` lanes, fpgaConvNet's schedule with the multipliers replaced by
    XNOR gates and the adders by a popcount.
    """

    name = "dataflow.xnor_conv"

    input = operand_def(StreamType)
    output = result_def(StreamType)
    weights = prop_def(StringAttr)
    coarse_in = prop_def(IntegerAttr[I64], default_value=ONE)
    coarse_out = prop_def(IntegerAttr[I64], default_value=ONE)
    fine = prop_def(IntegerAttr[I64], default_value=ONE)

    assembly_format = STREAM_FORMAT

    def __init__(
        self,
        input: SSAValue,
        result_type: StreamType,
        *,
        kernel: Sequence[int],
        weights: str,
        stride: Sequence[int] = (1, 1),
        thresholds: str | None = None,
        layer: str | None = None,
    ):
        props = {
            "kernel": i64_array(kernel),
            "stride": i64_array(stride),
            "pad": i64_array((0, 0, 0, 0)),
            "weights": StringAttr(weights),
            "thresholds": StringAttr(thresholds) if thresholds is not None else None,
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(operands=[input], result_types=[result_type], properties=present(props))

    @property
    def fan_in(self) -> int:
        kh, kw = self.kernel_size
        return self.window_stream.channels * kh * kw

    def folding(self) -> dict[str, int]:
        return {
            "coarse_in": self.coarse_in.value.data,
            "coarse_out": self.coarse_out.value.data,
            "fine": self.fine.value.data,
        }

    def folding_space(self) -> dict[str, list[int]]:
        out = self.output.type
        assert isinstance(out, StreamType)
        kh, kw = self.kernel_size
        return {
            "coarse_in": divisors(self.window_stream.channels),
            "coarse_out": divisors(out.channels),
            "fine": fine_values(kh, kw),
        }

    def macs(self) -> int:
        out = self.output.type
        assert isinstance(out, StreamType)
        return out.height * out.width * out.channels * self.fan_in

    def verify_(self) -> None:
        inp = expect_stream(self.input, self, "input")
        out = expect_stream(self.output, self, "result")
        _expect_bits(self, inp, "input")
        verify_window(self, inp, out)
        if any(self.padding):
            raise VerifyException(
                f"{who(self)}: pad must be [0, 0, 0, 0], got {list(self.padding)}: "
                "a binarised stream has no zero to pad with"
            )
        _verify_binary_result(self, out, self.fan_in, self.has_thresholds)
        kh, kw = self.kernel_size
        check_factor(self, "coarse_in", self.coarse_in.value.data, inp.channels, "input channels")
        check_factor(self, "coarse_out", self.coarse_out.value.data, out.channels, "output channels")
        check_factor(self, "fine", self.fine.value.data, kh * kw, "kernel size Kh*Kw")


@irdl_op_definition
class LutLinearOp(DenseBinaryOp):
    """A LUTNet layer: output `o` is the popcount of `luts` K-input LUT operators over the input bits.

    Operator `(o, m)` reads inputs `indices[o, m, :]` (K of them) and returns
    `tables[o, m, addr]`, `addr = sum_k bit(x[indices[o, m, k]]) << k`.
    Unrolled, each operator is one physical LUT; tiled, `coarse_out` outputs
    (all their operators) are evaluated per cycle over an input vector held
    in registers.
    """

    name = "dataflow.lut_linear"

    k = prop_def(IntegerAttr[I64])
    luts = prop_def(IntegerAttr[I64])
    indices = prop_def(StringAttr)
    tables = prop_def(StringAttr)

    assembly_format = STREAM_FORMAT

    def __init__(
        self,
        input: SSAValue,
        result_type: StreamType,
        *,
        k: int,
        luts: int,
        indices: str,
        tables: str,
        thresholds: str | None = None,
        layer: str | None = None,
    ):
        props: dict[str, Attribute | None] = {
            "k": i64_attr(k),
            "luts": i64_attr(luts),
            "indices": StringAttr(indices),
            "tables": StringAttr(tables),
            "thresholds": StringAttr(thresholds) if thresholds is not None else None,
            "layer": StringAttr(layer) if layer is not None else None,
        }
        super().__init__(operands=[input], result_types=[result_type], properties=present(props))

    @property
    def lut_inputs(self) -> int:
        return self.k.value.data

    @property
    def luts_per_output(self) -> int:
        return self.luts.value.data

    @property
    def fan_in(self) -> int:
        return self.luts_per_output

    def verify_(self) -> None:
        inp, out = self._verify_dense()
        k = self.lut_inputs
        if not 1 <= k <= MAX_LUT_INPUTS:
            raise VerifyException(f"{who(self)}: k must be in [1, {MAX_LUT_INPUTS}] (inputs of one LUT), got {k}")
        if k > inp.numel:
            raise VerifyException(f"{who(self)}: k = {k} exceeds the {inp.numel} input bits")
        if self.luts_per_output < 1:
            raise VerifyException(f"{who(self)}: luts must be >= 1, got {self.luts_per_output}")
        self._verify_result_and_folding(inp, out)


# --------------------------------------------------------------------------
# The tensors of a binarised layer, loaded and checked once for every concern
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class BinaryTensors:
    """A binarised layer's tensors as the hardware sees them (uint8 bits, int64 indices and thresholds)."""

    weights: np.ndarray | None = None
    """XNOR layers: bits `[C_out, N]` (linear) or `[C_out, C_in, Kh, Kw]` (conv)."""
    indices: np.ndarray | None = None
    """LUT layers: `[C_out, luts, K]`."""
    tables: np.ndarray | None = None
    """LUT layers: bits `[C_out, luts, 2^K]`."""
    thresholds: np.ndarray | None = None
    """`[C_out]` popcount thresholds (or `[C]` input-domain thresholds of `dataflow.threshold`)."""


def _tensor(op: DataflowOp, store: Mapping[str, np.ndarray], name: str, shape: tuple[int, ...], what: str):
    try:
        array = np.asarray(store[name])
    except KeyError:
        raise FpgaOptError(f"{who(op)}: {what} tensor '{name}' not found") from None
    if array.shape != shape:
        raise FpgaOptError(f"{who(op)}: {what} tensor '{name}' has shape {list(array.shape)}, expected {list(shape)}")
    return array


def _integers(op: DataflowOp, array: np.ndarray, name: str, what: str) -> np.ndarray:
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.bool_)):
        if not np.all(np.isfinite(array)) or not np.all(np.mod(array, 1) == 0):
            raise FpgaOptError(f"{who(op)}: {what} tensor '{name}' must hold integers, got {array.dtype}")
    return array.astype(np.int64)


def _bits(op: DataflowOp, array: np.ndarray, name: str, what: str) -> np.ndarray:
    ints = _integers(op, array, name, what)
    if ints.size and (ints.min() < 0 or ints.max() > 1):
        raise FpgaOptError(
            f"{who(op)}: {what} tensor '{name}' must hold bits 0/1, found {int(ints.min())}..{int(ints.max())}"
        )
    return ints.astype(np.uint8)


def load_binary_tensors(op: DataflowOp, store: Mapping[str, np.ndarray]) -> BinaryTensors:
    """The op's tensors from `store`, checked against its shapes and ranges (a one-line error if not)."""
    if isinstance(op, ThresholdOp):
        t = op.input.type
        assert isinstance(t, StreamType)
        th = _tensor(op, store, op.thresholds.data, (t.channels,), "thresholds")
        if t.is_integer:
            th = _integers(op, th, op.thresholds.data, "thresholds")
        else:
            th = th.astype(np.float32)
        return BinaryTensors(thresholds=th)
    assert isinstance(op, BinaryLayerOp)
    out = op.results[0].type
    assert isinstance(out, StreamType)
    c_out, n = out.channels, op.fan_in
    thresholds = None
    if op.thresholds is not None:
        name = op.thresholds.data
        thresholds = _integers(op, _tensor(op, store, name, (c_out,), "thresholds"), name, "thresholds")
        if thresholds.size and (thresholds.min() < 0 or thresholds.max() > n + 1):
            raise FpgaOptError(
                f"{who(op)}: thresholds tensor '{name}' must lie in [0, {n + 1}] (popcounts of {n} terms), "
                f"found {int(thresholds.min())}..{int(thresholds.max())}"
            )
    if isinstance(op, XnorLinearOp):
        name = op.weights.data
        w = _bits(op, _tensor(op, store, name, (c_out, n), "weights"), name, "weights")
        return BinaryTensors(weights=w, thresholds=thresholds)
    if isinstance(op, XnorConvOp):
        kh, kw = op.kernel_size
        name = op.weights.data
        shape = (c_out, op.window_stream.channels, kh, kw)
        w = _bits(op, _tensor(op, store, name, shape, "weights"), name, "weights")
        return BinaryTensors(weights=w, thresholds=thresholds)
    assert isinstance(op, LutLinearOp)
    k, luts, n_in = op.lut_inputs, op.luts_per_output, op.vector_length
    idx_name, tab_name = op.indices.data, op.tables.data
    indices = _integers(op, _tensor(op, store, idx_name, (c_out, luts, k), "indices"), idx_name, "indices")
    if indices.size and (indices.min() < 0 or indices.max() >= n_in):
        raise FpgaOptError(
            f"{who(op)}: indices tensor '{idx_name}' must lie in [0, {n_in}) (the input bits), "
            f"found {int(indices.min())}..{int(indices.max())}"
        )
    tables = _bits(op, _tensor(op, store, tab_name, (c_out, luts, 2**k), "tables"), tab_name, "tables")
    return BinaryTensors(indices=indices, tables=tables, thresholds=thresholds)
