"""Stream element types as numpy arrays: the dtype that stores each, and the narrowing to it.

The kernels compute in int64 / float64 (`semantics.py`) and narrow only at an
op's result; the network boundary (`boundary.py`) reads and writes the same dtypes.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import AnyFloat, IntegerType, Signedness
from xdsl.ir import Attribute

from fpga_opt.backend.sim import semantics as sem
from fpga_opt.dialects.dataflow import StreamType, int_range
from fpga_opt.dialects.errors import FpgaOptError


def numpy_dtype(t: Attribute) -> np.dtype:
    """The numpy dtype that stores a stream element type."""
    if isinstance(t, IntegerType):
        w = t.width.data
        unsigned = t.signedness.data == Signedness.UNSIGNED
        for bits in (8, 16, 32, 64):
            if w <= bits:
                return np.dtype(f"{'u' if unsigned else ''}int{bits}")
        raise FpgaOptError(f"integer type {t} is wider than 64 bits; the simulator supports up to i64")
    if isinstance(t, AnyFloat):
        return np.dtype({16: np.float16, 32: np.float32, 64: np.float64}.get(t.bitwidth, np.float32))
    raise FpgaOptError(f"unsupported element type {t}")


def narrow(values: np.ndarray, stream: StreamType) -> np.ndarray:
    """Store results in the stream's element type: integers wrap (two's complement), floats round."""
    t = stream.element_type
    if isinstance(t, IntegerType):
        signed = t.signedness.data != Signedness.UNSIGNED
        dtype = numpy_dtype(t)
        if dtype.itemsize * 8 == t.width.data and np.asarray(values).dtype.kind in "iu":
            # numpy's integer casts keep the low bits: two's complement wrap-around, in one pass
            return np.asarray(values).astype(dtype)
        return sem.wrap(values, t.width.data, signed).astype(dtype)
    return np.asarray(values).astype(numpy_dtype(t))


def lowest(stream: StreamType):
    """The stream's smallest value (-inf for floats): what max pooling pads with."""
    t = stream.element_type
    if isinstance(t, IntegerType):
        return int_range(t)[0]
    return -np.inf


def stream_type(value) -> StreamType:
    """The `!dataflow.stream` type of an SSA value (the verifier guarantees it)."""
    assert isinstance(value.type, StreamType)
    return value.type
