"""What an ONNX tensor becomes while the importer walks the graph.

Every ONNX tensor name maps to one of these values:

* `Const`: a numpy array known at import time (initialisers, `Constant`
  nodes, folded shape computations, integer weights before dequantisation).
* `QConst`: a dequantised constant, `ints * scale` (the weights and biases of
  a quantised layer; the integers are what the hardware stores).
* `Stream`: a materialised `!dataflow.stream` SSA value.  `shape` is the
  tensor's ONNX shape (NCHW, batch 1), `dims` the stream's H x W x C.  An
  integer stream carries its quantisation: `scale`, its element `itype`, and
  `dq`, whether the ONNX tensor is the dequantised float `q * scale` (after a
  DequantizeLinear) or the integers themselves (after a QuantizeLinear).
* `Pending`: a layer op not emitted yet because a later node may still fold
  into its epilogue (BatchNormalization, a bias Add, an activation, the
  requantisation of a QuantizeLinear).  It is emitted when it is consumed.
* `IntVal`: the integer output of a QuantizeLinear whose producer is not
  emitted yet; a following integer Clip may still narrow its range.
* `DroppedSoftmax`: a Softmax at the end of a quantised graph (dropped).
* `Poison`: the output of a node that could not be imported (its error is
  already recorded; consumers stay silent).
* `Unreadable`: an extra output of a node (only the first is supported).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.dialects.builtin import IntegerType, Signedness
from xdsl.ir import SSAValue


@dataclass(frozen=True)
class IntType:
    """An integer element type: `bits` wide, two's complement when `signed`."""

    bits: int
    signed: bool = True

    @property
    def lo(self) -> int:
        return -(2 ** (self.bits - 1)) if self.signed else 0

    @property
    def hi(self) -> int:
        return 2 ** (self.bits - 1) - 1 if self.signed else 2**self.bits - 1

    def xdsl(self) -> IntegerType:
        """Signed integers are signless `iN` (the dialect's convention), unsigned ones `uiN`."""
        if self.signed:
            return IntegerType(self.bits)
        return IntegerType(self.bits, Signedness.UNSIGNED)

    def __str__(self) -> str:
        return f"{'i' if self.signed else 'ui'}{self.bits}"

    @staticmethod
    def for_range(lo: int, hi: int, signed: bool) -> IntType:
        """The narrowest type of the given signedness holding [lo, hi]."""
        if signed or lo < 0:
            bits = 1
            while not (-(2 ** (bits - 1)) <= lo and hi <= 2 ** (bits - 1) - 1):
                bits += 1
            return IntType(max(bits, 2), True)
        bits = max(1, int(hi).bit_length())
        return IntType(bits, False)


ACC = IntType(32)
"""Accumulators (and raw, un-requantised integer results) are i32."""

NUMPY_INT_TYPES = {
    np.dtype(np.int8): IntType(8),
    np.dtype(np.uint8): IntType(8, False),
    np.dtype(np.int16): IntType(16),
    np.dtype(np.uint16): IntType(16, False),
    np.dtype(np.int32): IntType(32),
    np.dtype(np.uint32): IntType(32, False),
    np.dtype(np.int64): IntType(64),
}


class Value:
    """Base class of what an ONNX tensor maps to."""


@dataclass(eq=False)
class Const(Value):
    array: np.ndarray
    qrange: tuple[int, int] | None = None
    """For integer arrays narrowed by a Clip (QCDQ): the declared range."""


@dataclass(eq=False)
class QConst(Value):
    ints: np.ndarray
    scale: np.ndarray
    """float64; a scalar (per tensor) or a 1-D array along `axis` (per channel)."""
    itype: IntType
    axis: int = 1

    @property
    def per_tensor_scale(self) -> float | None:
        flat = np.unique(self.scale.reshape(-1))
        return float(flat[0]) if flat.size == 1 else None

    def dequantised(self) -> np.ndarray:
        scale = self.scale
        if scale.ndim == 1 and self.ints.ndim > 1 and scale.size > 1:
            shape = [1] * self.ints.ndim
            shape[self.axis] = -1
            scale = scale.reshape(shape)
        return (self.ints.astype(np.float64) * scale).astype(np.float32)


@dataclass(eq=False)
class Stream(Value):
    ssa: SSAValue
    shape: tuple[int, ...]
    dims: tuple[int, int, int]
    scale: float | None = None
    itype: IntType | None = None
    dq: bool = True
    zero_point: int = 0
    """The integer standing for 0.0 (asymmetric quantisation: the value is `(q - zero_point) * scale`)."""

    @property
    def is_int(self) -> bool:
        return self.itype is not None

    def viewed(self, scale: float, zero_point: int, dq: bool = True) -> Stream:
        """The same integers read with another scale and zero point (a DequantizeLinear's)."""
        return Stream(self.ssa, self.shape, self.dims, scale, self.itype, dq, zero_point)

    @property
    def flat(self) -> bool:
        """A feature map seen through a Flatten: its ONNX order (CHW) is not the stream order (HWC)."""
        return len(self.shape) == 2 and self.dims[0] * self.dims[1] > 1


@dataclass(eq=False)
class Pending(Value):
    kind: str
    """conv, linear, add, pool, global_pool, requantize or concat."""
    layer: str
    shape: tuple[int, ...]
    dims: tuple[int, int, int]
    inputs: list[Stream]
    scale: float | np.ndarray | None = None
    """Integer pending ops: the scale of the accumulator, one per output channel with per-channel weight scales
    (`None`: a float op)."""
    params: dict[str, Any] = field(default_factory=dict)
    weights: np.ndarray | None = None
    weight_type: IntType | None = None
    bias: np.ndarray | None = None
    activation: Any = None
    """Float ops: the fused `#dataflow.act`."""
    lo: float = -math.inf
    hi: float = math.inf
    """Integer ops: bounds (in the float domain) of a fused Relu/Clip."""
    result: Stream | None = None

    @property
    def is_int(self) -> bool:
        return self.scale is not None

    @property
    def per_channel(self) -> bool:
        return isinstance(self.scale, np.ndarray) and np.unique(self.scale).size > 1

    @property
    def has_epilogue(self) -> bool:
        return self.activation is not None or self.lo != -math.inf or self.hi != math.inf

    def copy(self, **changes: Any) -> Pending:
        return dataclasses.replace(self, result=None, **changes)


@dataclass(eq=False)
class IntVal(Value):
    source: Stream | Pending
    scale: float
    itype: IntType
    qmin: int
    qmax: int
    rounding: str
    layer: str
    result: Stream | None = None
    zero_point: int = 0

    @property
    def shape(self) -> tuple[int, ...]:
        return self.source.shape


@dataclass(eq=False)
class GraphInput(Value):
    """A graph input before its first reader decides its type (float, or the integers of a QuantizeLinear)."""

    name: str
    index: int
    shape: tuple[int, ...]
    stream: Stream | None = None


@dataclass(eq=False)
class DroppedSoftmax(Value):
    inner: Value
    node: str


class Poison(Value):
    """The output of a node that failed to import."""


POISON = Poison()


class Unreadable(Value):
    """An extra output nobody may read (MaxPool's indices, Dropout's mask, BN's running stats).

    Reading it is an error recorded against the producing node.
    """

    def __init__(self, op: str, node: str, opset: int, output: str):
        self.op = op
        self.node = node
        self.opset = opset
        self.output = output


def is_int(value: Value) -> bool:
    """Whether a value lives in the integer (quantised) domain."""
    if isinstance(value, Stream | Pending):
        return value.is_int
    return isinstance(value, IntVal)


def onnx_shape(value: Value) -> tuple[int, ...] | None:
    """The ONNX shape of a value, when it is known."""
    if isinstance(value, Const):
        return tuple(value.array.shape)
    if isinstance(value, QConst):
        return tuple(value.ints.shape)
    if isinstance(value, Stream | Pending | IntVal | GraphInput):
        return value.shape
    if isinstance(value, DroppedSoftmax):
        return onnx_shape(value.inner)
    return None
