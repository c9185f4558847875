"""Functional execution of a dataflow network: bit-exact integers, float64-accurate floats.

`FunctionalModel(network, weights)` prepares one kernel per op (weights loaded,
cast and checked against the op's shapes once), then `run(inputs)` executes a
batch `(B, H, W, C)` through the graph in program order.  Timing plays no part:
the values a streaming design computes do not depend on when it computes them.

The op dispatch is the table `KERNELS` (op class -> kernel builder).  A new op
adds one builder with `@kernel_for(OpClass)` (the early-exit ops do so in `exits.py`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from xdsl.dialects.builtin import AnyFloat, IntegerType, Signedness
from xdsl.ir import Attribute, Operation, SSAValue

from fpga_opt.backend.sim import semantics as sem
from fpga_opt.backend.sim.graph import Network
from fpga_opt.dialects.dataflow import (
    ActivationOp,
    AddOp,
    BufferOp,
    ConcatOp,
    ConvOp,
    ForkOp,
    GlobalPoolOp,
    LinearOp,
    PoolOp,
    RequantizeOp,
    SoftmaxOp,
    StreamType,
    int_range,
)
from fpga_opt.dialects.errors import FpgaOptError

Kernel = Callable[[list[np.ndarray]], list[np.ndarray]]
KernelBuilder = Callable[["FunctionalModel", Operation], Kernel]

#: op class -> builder of the op's kernel.  The one place an op's semantics is looked up.
KERNELS: dict[type[Operation], KernelBuilder] = {}


def kernel_for(*op_types: type[Operation]) -> Callable[[KernelBuilder], KernelBuilder]:
    def register(builder: KernelBuilder) -> KernelBuilder:
        for t in op_types:
            KERNELS[t] = builder
        return builder

    return register


# --------------------------------------------------------------------------
# Element types
# --------------------------------------------------------------------------


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
        return sem.wrap(values, t.width.data, signed).astype(numpy_dtype(t))
    return np.asarray(values).astype(numpy_dtype(t))


def lowest(stream: StreamType):
    t = stream.element_type
    if isinstance(t, IntegerType):
        return int_range(t)[0]
    return -np.inf


def _stype(v: SSAValue) -> StreamType:
    assert isinstance(v.type, StreamType)
    return v.type


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------


class FunctionalModel:
    """A network with its kernels prepared; `run` executes batches of samples."""

    def __init__(self, network: Network, weights: Mapping[str, np.ndarray]):
        self.network = network
        self.weights = weights
        self.kernels: list[tuple[Operation, Kernel]] = []
        for op in network.ops:
            builder = KERNELS.get(type(op))
            if builder is None:
                raise FpgaOptError(f"{self.where(op)}: the simulator has no semantics for '{op.name}'")
            self.kernels.append((op, builder(self, op)))

    def where(self, op: Operation) -> str:
        return f"{op.name} '{self.network.name(op)}'"

    def tensor(self, op: Operation, name: str, shape: tuple[int, ...], integer: bool) -> np.ndarray:
        """A named weight tensor, checked against the shape the op implies."""
        array = np.asarray(self.weights[name])
        if array.shape != shape and [d for d in array.shape if d != 1] != [d for d in shape if d != 1]:
            raise FpgaOptError(
                f"{self.where(op)}: tensor '{name}' has shape {list(array.shape)}, expected {list(shape)}"
            )
        array = array.reshape(shape)
        if integer:
            if not np.issubdtype(array.dtype, np.integer) and not np.issubdtype(array.dtype, np.bool_):
                if not np.all(np.equal(np.mod(array, 1), 0)):
                    raise FpgaOptError(f"{self.where(op)}: tensor '{name}' must hold integers, got {array.dtype}")
            return array.astype(np.int64)
        return array.astype(np.float64)

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Run batches `(B, H, W, C)` (one per argument, already in the streams' types)."""
        env: dict[SSAValue, np.ndarray] = dict(zip(self.network.inputs, inputs, strict=True))
        with _single_threaded_blas():
            for op, kernel in self.kernels:
                results = self.call(op, kernel, [env[v] for v in op.operands])
                for value, array in zip(op.results, results, strict=True):
                    env[value] = array
        return [env[v] for v in self.network.outputs]

    @staticmethod
    def call(op: Operation, kernel: Kernel, args: list[np.ndarray]) -> list[np.ndarray]:
        """`kernel` on its operands' batches; empty batches (after an early exit every sample may have
        left) give empty results without running it."""
        if args and all(len(a) == 0 for a in args):
            return [np.zeros((0, *_stype(r).dims), numpy_dtype(_stype(r).element_type)) for r in op.results]
        return kernel(args)


_BLAS_CONTROLLER: list = []


def _single_threaded_blas():
    """Run BLAS on one thread (if threadpoolctl is installed).

    The layers' matrix products are small (a ResNet-20 conv is 1024 x 144 x 16): a
    multi-threaded BLAS spends more time waking threads than computing, 20-50x more
    on a loaded 2-core machine.
    """
    if not _BLAS_CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController

            _BLAS_CONTROLLER.append(ThreadpoolController())
        except Exception:  # noqa: BLE001 - optional: any failure means "leave BLAS alone"
            _BLAS_CONTROLLER.append(None)
    controller = _BLAS_CONTROLLER[0]
    if controller is None:
        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api="blas")


# --------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------


def _epilogue_act(y: np.ndarray, act, integer: bool) -> np.ndarray:
    return sem.activate(y, act, integer) if act is not None else y


def _ints(x: np.ndarray) -> np.ndarray:
    return x.astype(np.int64)


@kernel_for(ConvOp)
def _conv(model: FunctionalModel, op: Operation) -> Kernel:
    assert isinstance(op, ConvOp)
    inp, out = _stype(op.input), _stype(op.output)
    integer = out.is_integer
    groups = op.groups.value.data
    kh, kw = op.kernel_size
    stride = tuple(op.stride.get_values())
    pad = tuple(op.pad.get_values())
    c_in, c_out = inp.channels, out.channels
    w = model.tensor(op, op.weights.data, (c_out, c_in // groups, kh, kw), integer)
    bias = model.tensor(op, op.bias.data, (c_out,), integer) if op.bias is not None else None
    out_hw = (out.height, out.width)
    requant, skip_requant, act = op.requant, op.skip_requant, op.activation
    acc_mult, skip_mult = op.acc_mult.value.data, op.skip_mult.value.data
    has_skip = op.skip is not None

    side_kernel = None
    if op.side is not None:
        side = _stype(op.side)
        if op.side_weights is None:

            def side_kernel(x: np.ndarray) -> np.ndarray:
                return sem.centre_pixels(x, (kh, kw), stride, pad, out_hw).copy()
        else:
            sw = model.tensor(op, op.side_weights.data, (side.channels, c_in, 1, 1), integer)
            sb = model.tensor(op, op.side_bias.data, (side.channels,), integer) if op.side_bias is not None else None
            side_rq = op.side_requant

            def side_kernel(x: np.ndarray) -> np.ndarray:
                centre = sem.centre_pixels(x, (kh, kw), stride, pad, out_hw)
                y = sem.conv2d(centre, sw, stride=(1, 1), pad=(0, 0, 0, 0), groups=1, out_hw=out_hw, integer=integer)
                if sb is not None:
                    y = y + sb
                if integer and side_rq is not None:
                    y = sem.requantize(y, side_rq)
                return narrow(y, side)

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        x = args[0]
        acc = sem.conv2d(x, w, stride=stride, pad=pad, groups=groups, out_hw=out_hw, integer=integer)
        if bias is not None:
            acc = acc + bias
        y = acc
        if integer and requant is not None:
            y = sem.requantize(y, requant)
        if has_skip:
            skip = _ints(args[1]) if integer else args[1].astype(np.float64)
            y = y * acc_mult + skip * skip_mult
            if integer and skip_requant is not None:
                y = sem.requantize(y, skip_requant)
        y = _epilogue_act(y, act, integer)
        results = [narrow(y, out)]
        if side_kernel is not None:
            results.append(side_kernel(x))
        return results

    return run


@kernel_for(LinearOp)
def _linear(model: FunctionalModel, op: Operation) -> Kernel:
    assert isinstance(op, LinearOp)
    inp, out = _stype(op.input), _stype(op.output)
    integer = out.is_integer
    n = out.channels
    w = model.tensor(op, op.weights.data, (n, inp.numel), integer)
    bias = model.tensor(op, op.bias.data, (n,), integer) if op.bias is not None else None
    requant, act = op.requant, op.activation
    wt = w.T[None]  # (1, HWC, N)

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        x = args[0]
        flat = x.reshape(1, x.shape[0], -1)  # HWC order: the stream order
        y = sem.grouped_matmul(flat, wt, integer)[0]
        if bias is not None:
            y = y + bias
        if integer and requant is not None:
            y = sem.requantize(y, requant)
        y = _epilogue_act(y, act, integer)
        return [narrow(y.reshape(x.shape[0], 1, 1, n), out)]

    return run


@kernel_for(PoolOp)
def _pool(model: FunctionalModel, op: Operation) -> Kernel:
    assert isinstance(op, PoolOp)
    inp, out = _stype(op.input), _stype(op.output)
    integer = out.is_integer
    mode = op.mode.data
    kernel = tuple(op.kernel.get_values())
    stride = tuple(op.stride.get_values())
    pad = tuple(op.pad.get_values())
    requant = op.requant
    area = kernel[0] * kernel[1]
    low = lowest(inp)

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        x = args[0]
        if not integer:
            x = x.astype(np.float64)
        y = sem.pool2d(
            x,
            mode=mode,
            kernel=kernel,
            stride=stride,
            pad=pad,
            out_hw=(out.height, out.width),
            integer=integer,
            lowest=low,
        )
        if mode == "avg":
            if integer:
                if requant is not None:
                    y = sem.requantize(y, requant)
            else:
                y = y / area
        return [narrow(y, out)]

    return run


@kernel_for(GlobalPoolOp)
def _global_pool(model: FunctionalModel, op: Operation) -> Kernel:
    assert isinstance(op, GlobalPoolOp)
    out = _stype(op.output)
    integer = out.is_integer
    mode = op.mode.data
    requant = op.requant

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        x = args[0]
        if mode == "max":
            y = x.max(axis=(1, 2), keepdims=True)
        elif integer:
            y = x.sum(axis=(1, 2), keepdims=True, dtype=np.int64)
            if requant is not None:
                y = sem.requantize(y, requant)
        else:
            y = x.astype(np.float64).mean(axis=(1, 2), keepdims=True)
        return [narrow(y, out)]

    return run


@kernel_for(AddOp)
def _add(model: FunctionalModel, op: Operation) -> Kernel:
    assert isinstance(op, AddOp)
    out = _stype(op.output)
    integer = out.is_integer
    lm, rm = op.lhs_mult.value.data, op.rhs_mult.value.data
    requant, act = op.requant, op.activation

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        if integer:
            y = _ints(args[0]) * lm + _ints(args[1]) * rm
            if requant is not None:
                y = sem.requantize(y, requant)
        else:
            y = args[0].astype(np.float64) + args[1].astype(np.float64)
        return [narrow(_epilogue_act(y, act, integer), out)]

    return run


@kernel_for(ConcatOp)
def _concat(model: FunctionalModel, op: Operation) -> Kernel:
    out = _stype(op.results[0])

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        return [narrow(np.concatenate(args, axis=-1), out)]

    return run


@kernel_for(ForkOp)
def _fork(model: FunctionalModel, op: Operation) -> Kernel:
    n = len(op.results)

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        return [args[0]] * n  # arrays are never written in place

    return run


@kernel_for(BufferOp)
def _buffer(model: FunctionalModel, op: Operation) -> Kernel:
    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        return [args[0]]

    return run


@kernel_for(RequantizeOp)
def _requantize(model: FunctionalModel, op: Operation) -> Kernel:
    assert isinstance(op, RequantizeOp)
    out = _stype(op.output)
    requant = op.requant

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        return [narrow(sem.requantize(_ints(args[0]), requant), out)]

    return run


@kernel_for(ActivationOp)
def _activation(model: FunctionalModel, op: Operation) -> Kernel:
    assert isinstance(op, ActivationOp)
    out = _stype(op.output)
    integer = out.is_integer
    act = op.activation

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        x = _ints(args[0]) if integer else args[0].astype(np.float64)
        return [narrow(sem.activate(x, act, integer), out)]

    return run


@kernel_for(SoftmaxOp)
def _softmax(model: FunctionalModel, op: Operation) -> Kernel:
    out = _stype(op.results[0])

    def run(args: list[np.ndarray]) -> list[np.ndarray]:
        return [narrow(sem.softmax_channels(args[0].astype(np.float64)), out)]

    return run


# The early-exit ops (exit_decision, conditional_buffer, exit_merge) register their kernels in
# backend/sim/exits.py (imported by the package).
