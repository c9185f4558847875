"""What every `dataflow` op shares: the base classes, their traits and the verification helpers."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    I64,
    DenseArrayBase,
    IntegerAttr,
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
from fpga_opt.dialects.dataflow.types import StreamType

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


def check_requant(op: IRDLOperation, requant: RequantAttr | None, out: StreamType, prop: str = "requant") -> None:
    if requant is None:
        return
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
    if pad[0] >= kernel[0] or pad[2] >= kernel[0] or pad[1] >= kernel[1] or pad[3] >= kernel[1]:
        raise VerifyException(f"{who(op)}: pad {list(pad)} must be smaller than the kernel {list(kernel)}")
    h, w, _ = inp.dims
    if kernel[0] > h + pad[0] + pad[2] or kernel[1] > w + pad[1] + pad[3]:
        raise VerifyException(f"{who(op)}: kernel {list(kernel)} is larger than the padded input {h}x{w}")
    want = (
        window_output_size(h, kernel[0], stride[0], pad[0], pad[2]),
        window_output_size(w, kernel[1], stride[1], pad[1], pad[3]),
    )
    if (out.height, out.width) != want:
        raise VerifyException(
            f"{who(op)}: result is {out.height}x{out.width} but kernel {list(kernel)}, "
            f"stride {list(stride)} and pad {list(pad)} on a {h}x{w} input give {want[0]}x{want[1]}"
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


ONE = IntegerAttr(1, i64)
STREAM_FORMAT = "$input attr-dict `:` type($input) `->` type($output)"
GENERAL_FORMAT = "operands attr-dict `:` functional-type(operands, results)"


class DataflowOp(IRDLOperation):
    """Base of every hardware layer: an optional `layer` name for reports."""

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


class ChannelParallelOp(DataflowOp):
    """An op that processes `coarse` channels in parallel."""

    coarse = prop_def(IntegerAttr[I64], default_value=ONE)

    def folding(self) -> dict[str, int]:
        return {"coarse": self.coarse.value.data}

    def _check_coarse(self, channels: int) -> None:
        check_factor(self, "coarse", self.coarse.value.data, channels, "channels")
