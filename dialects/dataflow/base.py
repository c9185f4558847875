"""What every `dataflow` op shares: the base classes, their traits and the verification helpers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from math import gcd
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    DenseArrayBase,
    IntegerAttr,
    IntegerType,
    StringAttr,
    i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    opt_prop_def,
    prop_def,
)
from xdsl.utils.exceptions import VerifyException

from fpga_opt.dialects.dataflow.attrs import ActivationAttr, RequantAttr
from fpga_opt.dialects.dataflow.types import StreamType, int_range

# --------------------------------------------------------------------------
# Shared verification helpers
# --------------------------------------------------------------------------


def expect_stream(value: SSAValue, op: IRDLOperation, what: str) -> StreamType:
    if not isinstance(value.type, StreamType):
        raise VerifyException(f"{who(op)}: {what} must be a !dataflow.stream, got {value.type}")
    return value.type


def who(op: IRDLOperation) -> str:
    layer = op.properties.get("layer")
    if isinstance(layer, StringAttr):
        return f"'{op.name}' op \"{layer.data}\""
    return f"'{op.name}' op"


def int_prop(op: IRDLOperation, name: str, default: int = 1) -> int:
    attr = op.properties.get(name)
    if attr is None:
        return default
    assert isinstance(attr, IntegerAttr)
    return attr.value.data


_INT_VALUES: dict[int, tuple[DenseArrayBase, tuple[int, ...]]] = {}


def int_values(attr: DenseArrayBase) -> tuple[int, ...]:
    """The integers of an (immutable) dense array attribute, decoded once: the search and the
    simulator ask for kernels and strides many thousand times.  Keyed by identity (hashing an
    attribute costs more than decoding it); the entry keeps the attribute alive."""
    hit = _INT_VALUES.get(id(attr))
    if hit is not None and hit[0] is attr:
        return hit[1]
    values = tuple(attr.get_values())  # type: ignore[arg-type]
    if len(_INT_VALUES) < 65536:
        _INT_VALUES[id(attr)] = (attr, values)
    return values


def array_prop(op: IRDLOperation, name: str) -> tuple[int, ...]:
    attr = op.properties[name]
    assert isinstance(attr, DenseArrayBase)
    return attr.get_values()  # type: ignore[return-value]


def check_factor(op: IRDLOperation, name: str, value: int, total: int, of: str) -> None:
    if value < 1:
        raise VerifyException(f"{who(op)}: {name} must be >= 1, got {value}")
    if total % value != 0:
        raise VerifyException(f"{who(op)}: {name} = {value} does not divide {of} = {total}")


def check_same_kind(op: IRDLOperation, a: StreamType, b: StreamType, what: str) -> None:
    """Integer streams stay integer and float streams stay float across an op."""
    if a.is_integer != b.is_integer:
        raise VerifyException(
            f"{who(op)}: {what} mixes integer and float element types ({a.element_type} vs {b.element_type})"
        )


def check_requant(
    op: IRDLOperation, requant: RequantAttr | None, out: StreamType, prop: str = "requant", per_channel: bool = False
) -> None:
    """`requant` fits the result type; a per-channel one only where the op allows it, one multiplier per channel."""
    if requant is None:
        return
    if requant.channelwise and not per_channel:
        what = "per-channel multipliers" if requant.per_channel else "a fine bias"
        raise VerifyException(
            f"{who(op)}: '{prop}' has {what}; only a conv's or linear's requant may (per-channel weight scales, biases)"
        )
    problem = requant.check_channels(out.channels)
    if problem is not None:
        raise VerifyException(f"{who(op)}: '{prop}' {problem}")
    if not out.is_integer:
        raise VerifyException(f"{who(op)}: '{prop}' needs an integer result, got {out.element_type}")
    if not requant.fits(out.element_type):
        raise VerifyException(
            f"{who(op)}: '{prop}' saturates to [{requant.min.data}, {requant.max.data}], "
            f"which does not fit the result type {out.element_type}"
        )


def check_activation(op: IRDLOperation, act: ActivationAttr | None, out: StreamType) -> None:
    if act is None:
        return
    if out.is_integer and act.kind.data not in ("relu", "clip"):
        raise VerifyException(f"{who(op)}: activation '{act.kind.data}' has no integer form; fold it before quantising")


def window_output_size(size: int, kernel: int, stride: int, pad_before: int, pad_after: int) -> int:
    """Output length of a sliding window along one axis (floor mode)."""
    return (size + pad_before + pad_after - kernel) // stride + 1


def dilated_extent(kernel: int, dilation: int) -> int:
    """Input rows (or columns) a window spans: the taps are `dilation` apart."""
    return dilation * (kernel - 1) + 1


def verify_window(op: IRDLOperation, inp: StreamType, out: StreamType) -> None:
    """Check kernel/stride/pad properties and the output H x W they imply."""
    kernel = array_prop(op, "kernel")
    stride = array_prop(op, "stride")
    pad = array_prop(op, "pad")
    if len(kernel) != 2 or min(kernel) < 1:
        raise VerifyException(f"{who(op)}: kernel must be two positive integers [Kh, Kw], got {list(kernel)}")
    if len(stride) != 2 or min(stride) < 1:
        raise VerifyException(f"{who(op)}: stride must be two positive integers [Sh, Sw], got {list(stride)}")
    if len(pad) != 4 or min(pad) < 0:
        raise VerifyException(
            f"{who(op)}: pad must be four non-negative integers [top, left, bottom, right], got {list(pad)}"
        )
    dilation = array_prop(op, "dilation") if op.properties.get("dilation") is not None else [1, 1]
    if len(dilation) != 2 or min(dilation) < 1:
        raise VerifyException(f"{who(op)}: dilation must be two positive integers [Dh, Dw], got {list(dilation)}")
    span = [dilated_extent(k, d) for k, d in zip(kernel, dilation, strict=True)]
    extent = f"kernel {list(kernel)}" + (f" (dilation {list(dilation)}: spans {span})" if span != list(kernel) else "")
    if pad[0] >= span[0] or pad[2] >= span[0] or pad[1] >= span[1] or pad[3] >= span[1]:
        raise VerifyException(f"{who(op)}: pad {list(pad)} must be smaller than the {extent}")
    h, w, _ = inp.dims
    if span[0] > h + pad[0] + pad[2] or span[1] > w + pad[1] + pad[3]:
        raise VerifyException(f"{who(op)}: {extent} is larger than the padded input {h}x{w}")
    want = (
        window_output_size(h, span[0], stride[0], pad[0], pad[2]),
        window_output_size(w, span[1], stride[1], pad[1], pad[3]),
    )
    if (out.height, out.width) != want:
        raise VerifyException(
            f"{who(op)}: result is {out.height}x{out.width} but {extent}, "
            f"stride {list(stride)} and pad {list(pad)} on a {h}x{w} input give {want[0]}x{want[1]}"
        )
    pad_value = op.properties.get("pad_value")
    if isinstance(pad_value, IntegerAttr):
        if not isinstance(inp.element_type, IntegerType):
            raise VerifyException(f"{who(op)}: pad_value needs an integer input, got {inp.element_type}")
        lo, hi = int_range(inp.element_type)
        if not lo <= pad_value.value.data <= hi:
            raise VerifyException(
                f"{who(op)}: pad_value {pad_value.value.data} does not fit the input type {inp.element_type}"
            )
    depth = op.properties.get("window_depth")
    if isinstance(depth, IntegerAttr) and depth.value.data < 1:
        raise VerifyException(f"{who(op)}: window_depth must be >= 1 window, got {depth.value.data}")


def i64_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, values)


def i64_attr(value: int) -> IntegerAttr:
    return IntegerAttr(value, i64)


def present(props: dict[str, Attribute | None]) -> dict[str, Attribute]:
    """Builder properties that were given (optional ones left as None are omitted)."""
    return {k: v for k, v in props.items() if v is not None}


# Weight placement of a conv/linear (the weights family: dialects/dataflow/weights.py).
ON_CHIP_PLACEMENTS = ("bram", "uram", "lutram")
OFF_CHIP_PLACEMENTS = ("dram", "generated")
PLACEMENTS = ON_CHIP_PLACEMENTS + OFF_CHIP_PLACEMENTS


def weight_placement(op: IRDLOperation) -> str | None:
    """A layer's `weight_placement` (None: on chip, the cost model's mapping)."""
    attr = op.properties.get("weight_placement")
    return attr.data if isinstance(attr, StringAttr) else None


def is_off_chip(op: IRDLOperation) -> bool:
    """Whether the layer's weights come from a provider (DRAM stream or generator)."""
    return weight_placement(op) in OFF_CHIP_PLACEMENTS


def check_placement(op: IRDLOperation) -> None:
    """The verifier's check of a layer's `weight_placement` value."""
    placement = weight_placement(op)
    if placement is not None and placement not in PLACEMENTS:
        raise VerifyException(f"{who(op)}: weight_placement must be one of {', '.join(PLACEMENTS)}, got '{placement}'")


ONE = IntegerAttr(1, i64)
STREAM_FORMAT = "$input attr-dict `:` type($input) `->` type($output)"
GENERAL_FORMAT = "operands attr-dict `:` functional-type(operands, results)"


Folding = Mapping[str, int]
"""Folding factors by name (`{"coarse_in": 4, ...}`): an op's own, or a search's candidate."""


def divisors(n: int) -> list[int]:
    """The positive divisors of `n`, ascending."""
    return list(_divisors(n))


@lru_cache(maxsize=4096)
def _divisors(n: int) -> tuple[int, ...]:
    small, large = [], []
    d = 1
    while d * d <= n:
        if n % d == 0:
            small.append(d)
            if d * d != n:
                large.append(n // d)
        d += 1
    return (*small, *large[::-1])


def fine_values(kh: int, kw: int) -> list[int]:
    """`fine` values the ResNet HLS flow implements: 1, one kernel row (Kw) or column (Kh), the whole Kh*Kw."""
    return sorted({1, kw, kh, kh * kw})


def chunks(total: int, lanes: int) -> int:
    """How many passes of `lanes` cover `total` (the last one padded when `lanes` does not divide it)."""
    return -(-total // lanes)


#: Padded lane counts are offered for up to this many passes (`padded_values`).
PADDED_MAX_PASSES = 16


def padded_values(total: int) -> list[int]:
    """The lane counts worth trying for a dimension of `total` when lanes need not divide it, ascending.

    With padded lanes a rate step is a number of passes k = ceil(total/lanes); for each k the
    fewest lanes that reach it, ceil(total/k), is the cheapest way there (for 16 channels:
    1, 2, 3, 4, 6, 8, 16 -- 6 lanes take 3 passes, where divisors jump from 2 to 4).  Padded
    values are offered up to PADDED_MAX_PASSES passes, where one pass more or less moves the
    rate by 1/16 or more; beyond, the divisors (and the other factors) step finely enough,
    and a 2048-channel layer keeps 28 values instead of 90.
    """
    padded = {chunks(total, k) for k in range(1, min(total, PADDED_MAX_PASSES) + 1)}
    return sorted(padded | set(_divisors(total)))


def port_lanes(total: int, lanes: int) -> int:
    """The width of a stream carrying `total` channels per pixel from `lanes`-wide passes: the
    smallest divisor of `total` that is at least `lanes` (`lanes` itself when it divides)."""
    return next(d for d in _divisors(total) if d >= lanes)


class DataflowOp(IRDLOperation):
    """Base of every hardware layer: an optional `layer` name for reports, and the op's own facts.

    Every concern outside the dialect (cost models, the simulator, the HLS
    lowering, the passes) asks these methods instead of re-deriving them:

    * `folding()` / `folding_space()`: the op's folding factors and their legal values;
    * `input_lanes(i)` / `output_lanes(j)`: elements per cycle on operand `i` / result `j`
      at a folding (the op's own unless one is given);
    * `macs()`: multiply-accumulates per frame.

    Sliding-window ops add the `WindowedOp` facts; FIFOs are `FifoOp`s.
    """

    # Properties print in the attribute dictionary, so the custom form stays
    # `dataflow.conv %x {kernel = ..., coarse_in = 4 : i64} : ...`.
    irdl_options = (ParsePropInAttrDict(),)

    layer = opt_prop_def(StringAttr)

    @property
    def layer_name(self) -> str:
        return self.layer.data if self.layer is not None else self.name.split(".")[1]

    def folding(self) -> dict[str, int]:
        """The op's folding factors by name (empty when it has none)."""
        return {}

    def folding_space(self) -> dict[str, list[int]]:
        """The legal values of each folding factor (empty when it has none)."""
        return {}

    def folding_error(self, folding: Folding) -> str | None:
        """Why `folding` (a point of `folding_space()`) cannot be built, or None when it can.

        The space is a product of per-factor values; a rule that ties factors
        together (a factor that only some values of another allow) lives here,
        so the verifier and the search apply the same rule.
        """
        return None

    def worth_searching(self, folding: Folding) -> bool:
        """Whether a search should cost `folding` (a legal point of the space): False for
        foldings another one beats at the same rate (the op knows which of its factors is
        the last resort)."""
        return True

    def searched_foldings(self, names: Sequence[str], configs: Sequence[tuple[int, ...]]) -> list[tuple[int, ...]]:
        """The points of `configs` (values of `names`) a search should cost: legal
        (`folding_error`) and worth it (`worth_searching`); the all-ones folding always."""
        kept = []
        for config in configs:
            folding = dict(zip(names, config, strict=True))
            if all(v == 1 for v in config) or (self.folding_error(folding) is None and self.worth_searching(folding)):
                kept.append(config)
        return kept

    def set_folding(self, folding: Folding) -> None:
        """Write `folding`'s factors on the op (what `select-folding` chose)."""
        for name, value in folding.items():
            self.properties[name] = IntegerAttr(value, i64)

    #: The names of the op's folding factors (the keys of `folding()`).
    FOLDING_NAMES: ClassVar[tuple[str, ...]] = ()

    def factors(self, folding: Folding | None = None) -> Mapping[str, int]:
        """The op's folding with `folding`'s factors (a search's candidate) put over it.

        A complete candidate (every name of `FOLDING_NAMES`) is returned as it is: the search
        asks thousands of times, and reading the op's own properties is the slow part.
        """
        if folding and all(name in folding for name in self.FOLDING_NAMES):
            return folding
        own = self.folding()
        return own if not folding else {**own, **folding}

    def input_lanes(self, index: int, folding: Folding | None = None) -> int:
        """Elements per cycle the op reads on operand `index` at full rate."""
        return 1

    def output_lanes(self, index: int, folding: Folding | None = None) -> int:
        """Elements per cycle the op writes on result `index` at full rate."""
        return 1

    def macs(self) -> int:
        """Multiply-accumulates of one frame (0 for ops that do not multiply)."""
        return 0

    def tensor_names(self) -> list[str]:
        """The sidecar tensors the op reads: the names in its tensor properties (`tensor_properties`)."""
        names = []
        for prop in self.tensor_properties():
            value = self.properties.get(prop)
            if isinstance(value, StringAttr):
                names.append(value.data)
        return names

    def tensor_properties(self) -> tuple[str, ...]:
        """The properties that name sidecar tensors (weights, biases, tables...)."""
        return ("weights", "bias", "side_weights", "side_bias")


class ChannelParallelOp(DataflowOp):
    """An op that processes `coarse` channels in parallel on every port."""

    FOLDING_NAMES: ClassVar[tuple[str, ...]] = ("coarse",)

    coarse = prop_def(IntegerAttr[I64], default_value=ONE)

    def folding(self) -> dict[str, int]:
        return {"coarse": self.coarse.value.data}

    def folding_space(self) -> dict[str, list[int]]:
        channels = 0
        for value in self.operands:
            if isinstance(value.type, StreamType):
                channels = gcd(channels, value.type.channels)
        return {"coarse": divisors(channels)}

    def input_lanes(self, index: int, folding: Folding | None = None) -> int:
        return self.factors(folding)["coarse"]

    def output_lanes(self, index: int, folding: Folding | None = None) -> int:
        return self.factors(folding)["coarse"]

    def _check_coarse(self, channels: int) -> None:
        check_factor(self, "coarse", self.coarse.value.data, channels, "channels")


class FifoOp(DataflowOp):
    """A FIFO on one stream (`dataflow.buffer`, `dataflow.conditional_buffer`).

    It moves its stream at the width of the op that drives it, so it has no
    lanes of its own: analyses look through it to that op (`lanes_driver`).
    Operand 0 is the stream it holds; `fifo_depth` is its capacity in elements.
    """

    @property
    def fifo_depth(self) -> int:
        return self.depth.value.data  # type: ignore[attr-defined]


class WindowedOp(DataflowOp):
    """A sliding-window op (conv, pool): a line buffer over operand 0 feeds a compute unit.

    Owns the window geometry every concern needs: the kernel, stride and
    padding, whether a line buffer exists at all (an unpadded 1x1 stride-1
    window is the pixel itself), and the window fill: the elements that must
    enter the line buffer before the first window is complete,
    `((Kh-1)(W+pad_l+pad_r) + (Kw-1)) * C` (fpgaConvNet's sliding-window
    depth, DESIGN.md).  `window_depth` (set by `size-fifos`) is the depth in
    windows of the stream between the window and the compute unit.
    """

    kernel = prop_def(DenseArrayBase[I64])
    stride = prop_def(DenseArrayBase[I64])
    pad = prop_def(DenseArrayBase[I64])
    window_depth = opt_prop_def(IntegerAttr[I64])
    pad_value = opt_prop_def(IntegerAttr[I64])
    """The integer the padding holds (absent: 0): an asymmetric input's zero point, the real 0.0."""

    @property
    def padding_value(self) -> int:
        return self.pad_value.value.data if self.pad_value is not None else 0

    @property
    def kernel_size(self) -> tuple[int, int]:
        kh, kw = int_values(self.kernel)
        return kh, kw

    @property
    def dilation_size(self) -> tuple[int, int]:
        """Distance between the window's taps, (1, 1) unless the op has a `dilation` property (conv)."""
        d = self.properties.get("dilation")
        if d is None:
            return 1, 1
        assert isinstance(d, DenseArrayBase)
        dh, dw = d.get_values()
        return int(dh), int(dw)

    @property
    def window_extent(self) -> tuple[int, int]:
        """Input rows x columns one window spans: the kernel, spread by the dilation."""
        (kh, kw), (dh, dw) = self.kernel_size, self.dilation_size
        return dilated_extent(kh, dh), dilated_extent(kw, dw)

    @property
    def stride_size(self) -> tuple[int, int]:
        sh, sw = int_values(self.stride)
        return sh, sw

    @property
    def padding(self) -> tuple[int, int, int, int]:
        """[top, left, bottom, right]."""
        top, left, bottom, right = int_values(self.pad)
        return top, left, bottom, right

    @property
    def window_stream(self) -> StreamType:
        """The stream the window slides over (operand 0)."""
        t = self.operands[0].type
        assert isinstance(t, StreamType)
        return t

    @property
    def has_line_buffer(self) -> bool:
        """False for an unpadded 1x1 stride-1 window: each window is one input pixel."""
        return not (self.kernel_size == (1, 1) and self.stride_size == (1, 1) and not any(self.padding))

    @property
    def window_positions(self) -> int:
        """Pixels in one window as the compute unit sees it (1 without a line buffer)."""
        kh, kw = self.kernel_size
        return kh * kw if self.has_line_buffer else 1

    @property
    def padded_width(self) -> int:
        _, left, _, right = self.padding
        return self.window_stream.width + left + right

    def window_fill_elements(self) -> int:
        """Elements that enter the line buffer before the first window: ((Kh-1)(W+pads) + (Kw-1)) * C
        (Kh, Kw: the window's extent, the kernel spread by any dilation)."""
        kh, kw = self.window_extent
        return ((kh - 1) * self.padded_width + (kw - 1)) * self.window_stream.channels

    def window_fill_cycles(self, folding: Folding | None = None) -> int:
        """Cycles to fill the line buffer at the op's input lanes."""
        return self.window_fill_elements() // self.input_lanes(0, folding)

    def window_last_inputs(self) -> np.ndarray:
        """For each output pixel (raster order), the raster index of the input pixel that completes its window.

        That is the window's bottom-right corner, clamped to the frame (a
        corner in the padding needs the last real row / column before it).
        """
        kh, kw = self.window_extent
        sh, sw = self.stride_size
        top, left, _, _ = self.padding
        h, w, _ = self.window_stream.dims
        out = self.results[0].type
        assert isinstance(out, StreamType)
        rows = np.clip(np.arange(out.height) * sh - top + kh - 1, 0, h - 1)
        cols = np.clip(np.arange(out.width) * sw - left + kw - 1, 0, w - 1)
        return (rows[:, None] * w + cols[None, :]).ravel()


class WholeFrameOp(DataflowOp):
    """An op that reads its whole input frame before its first output (linear, global pooling).

    Its first output pixel depends on the last input pixel, so it delays a
    stream by a frame: residual and join analyses treat it as such.
    """
