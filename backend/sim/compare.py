"""A per-layer comparison of fpga-sim's functional model with reference tensors (onnxruntime's, usually).

For every layer that has a reference tensor (`References`: layer -> the
tensor, batch first, NCHW or `[B, N]`, and how to read it), two figures:

* **isolated**: the layer run on the reference's own input tensors (each
  operand taken from the reference where its producer has one), so it
  measures this layer's arithmetic alone;
* **chained**: the layer's output when the whole network runs on the sim's own
  values, which shows how differences propagate.

An integer layer is compared in LSBs of its output scale: exactly with the
reference's integers (`int`), or with `ref / scale + zero_point` for a
dequantised float reference (`dq`, equal when less than half an LSB apart; for a
raw 32-bit accumulator, also when within FLOAT_TOLERANCE of the largest value,
the reference's own float32 summation error: docs/frontend.md).
A float layer is compared relative to the largest reference value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from xdsl.ir import SSAValue

from fpga_opt.backend.sim.dtypes import numpy_dtype, stream_type
from fpga_opt.backend.sim.functional import FunctionalModel, _call, _single_threaded_blas
from fpga_opt.dialects.dataflow import FifoOp, ForkOp, StreamType
from fpga_opt.dialects.dataflow.types import int_range
from fpga_opt.dialects.progress import progress

FLOAT_TOLERANCE = 1e-5
"""A float value counts as equal when within this much of the largest reference value (relative)."""


@dataclass(frozen=True)
class Reference:
    array: np.ndarray
    """Batch first: `[B, C, H, W]` or `[B, N]`."""
    kind: str
    """`int` (the integers), `dq` (`(q - zero_point) * scale` floats) or `float`."""
    scale: float = 0.0
    zero_point: int = 0
    tensor: str = ""
    """The reference's name for it (an ONNX tensor)."""


References = Mapping[str, Reference]


@dataclass
class Agreement:
    """How one layer's output agrees with its reference."""

    max_diff: float
    """Integers: the largest difference in LSBs; floats: relative to the largest reference value."""
    equal: float
    """Share of values equal (integers: the same integer; floats: within FLOAT_TOLERANCE)."""
    values: int
    ref_max: float = 0.0
    """Floats: the largest reference value `max_diff` is relative to (0 for integers)."""

    @staticmethod
    def combine(parts: Sequence[Agreement]) -> Agreement:
        """The agreement over all of `parts`' values (the same layer on several chunks of inputs).

        A float difference becomes relative to the largest reference value of all the chunks, as one
        batch would have it.  A float value counted equal stays counted against its own chunk's
        largest value, at most the overall one: the share equal can only come out lower than one
        batch's, never higher.
        """
        total = sum(a.values for a in parts)
        equal = sum(a.equal * a.values for a in parts) / total if total else 1.0
        ref_max = max((a.ref_max for a in parts), default=0.0)
        if ref_max > 0:
            worst = max(a.max_diff * a.ref_max for a in parts) / ref_max
        else:
            worst = max((a.max_diff for a in parts), default=0.0)
        return Agreement(worst, equal, total, ref_max)


@dataclass
class LayerTrace:
    layer: str
    op: str
    tensor: str
    kind: str
    isolated: Agreement
    chained: Agreement


@dataclass
class Trace:
    layers: list[LayerTrace] = field(default_factory=list)

    def first_divergence(self, mode: str) -> str | None:
        """The first layer (program order) whose `mode` ("isolated"/"chained") output is not all equal."""
        for t in self.layers:
            if getattr(t, mode).equal < 1.0:
                return t.layer
        return None

    def worst(self, mode: str) -> tuple[float, float]:
        """(lowest share equal, largest integer difference in LSB) over the integer layers."""
        ints = [getattr(t, mode) for t in self.layers if t.kind != "float"]
        if not ints:
            return 1.0, 0.0
        return min(a.equal for a in ints), max(a.max_diff for a in ints)

    @staticmethod
    def combine(parts: Sequence[Trace]) -> Trace:
        """One trace over the inputs of all `parts` (the same network traced on chunks of inputs)."""
        if not parts:
            return Trace()
        layers = []
        for same in zip(*(p.layers for p in parts), strict=True):
            first = same[0]
            layers.append(
                LayerTrace(
                    first.layer,
                    first.op,
                    first.tensor,
                    first.kind,
                    Agreement.combine([t.isolated for t in same]),
                    Agreement.combine([t.chained for t in same]),
                )
            )
        return Trace(layers)

    def as_dict(self) -> dict:
        return {
            "layers": [asdict(t) for t in self.layers],
            "first_divergence": {m: self.first_divergence(m) for m in ("isolated", "chained")},
        }


def to_stream(ref: Reference, t: StreamType) -> np.ndarray:
    """A reference tensor as the stream's values: `(B, H, W, C)` in its element type."""
    a = np.asarray(ref.array)
    b = a.shape[0]
    hwc = a.transpose(0, 2, 3, 1) if a.ndim == 4 else a.reshape(b, *t.dims)
    hwc = hwc.reshape(b, *t.dims)
    if not t.is_integer:
        return hwc.astype(numpy_dtype(t.element_type))
    if ref.kind == "dq":
        hwc = np.rint(hwc.astype(np.float64) / ref.scale) + ref.zero_point
    lo, hi = int_range(t.element_type)
    return np.clip(hwc, lo, hi).astype(np.int64).astype(numpy_dtype(t.element_type))


def agreement(y: np.ndarray, ref: Reference, t: StreamType) -> Agreement:
    """How the sim's `y` (B, H, W, C) agrees with `ref`."""
    a = np.asarray(ref.array)
    b = a.shape[0]
    r = (a.transpose(0, 2, 3, 1) if a.ndim == 4 else a).reshape(b, *t.dims).astype(np.float64)
    if t.is_integer:
        if ref.kind == "dq":
            r /= ref.scale
            r += ref.zero_point
            d = y - r  # in place from here: these are millions of values per sample at 224x224
            np.abs(d, out=d)
            same = d < 0.5
            if int_range(t.element_type)[1] > 2**15:
                # A raw accumulator read as float (a last layer with no QuantizeLinear after it): the
                # reference sums float32 products, so its own rounding moves it by a fraction of an
                # LSB of a large value; within FLOAT_TOLERANCE of the largest value counts as equal.
                top = float(np.abs(r - ref.zero_point).max(initial=0.0))
                same |= d <= FLOAT_TOLERANCE * top
            return Agreement(float(d.max(initial=0.0)), float(np.mean(same)) if d.size else 1.0, int(d.size))
        d = np.abs(y - r)
        return Agreement(float(d.max(initial=0.0)), float(np.mean(d == 0)) if d.size else 1.0, int(d.size))
    d = np.abs(y.astype(np.float64) - r)
    top = float(np.abs(r).max(initial=0.0)) or 1.0
    return Agreement(float(d.max(initial=0.0)) / top, float(np.mean(d <= FLOAT_TOLERANCE * top)), int(d.size), top)


def _source(value: SSAValue) -> SSAValue:
    """Look through forks and FIFOs: the value that really feeds `value`."""
    while True:
        owner = value.owner
        if isinstance(owner, ForkOp | FifoOp):
            value = owner.operands[0]
            continue
        return value


def trace(
    model: FunctionalModel,
    inputs: Sequence[np.ndarray],
    references: References,
    chained: Mapping[SSAValue, np.ndarray] | None = None,
) -> Trace:
    """Compare every layer with a reference (see the module docstring); `inputs` are prepared batches.

    `chained`: the network's values on `inputs` (`model.evaluate`), if the caller has them already.
    """
    net = model.network
    if chained is None:
        chained = model.evaluate(inputs)
    iso: dict[SSAValue, np.ndarray] = dict(zip(net.inputs, inputs, strict=True))
    result = Trace()
    ref_of: dict[SSAValue, Reference] = {}
    for op in net.ops:
        layer = net.name(op)
        if layer in references and op.results:
            ref_of[op.results[0]] = references[layer]
    bar = progress("trace: layers", total=len(model.kernels), unit=" layers")  # silent off a terminal
    with _single_threaded_blas(), bar:
        for op, kernel in model.kernels:
            bar.update(1)
            args = []
            for v in op.operands:
                src = _source(v)
                ref = ref_of.get(src)
                args.append(to_stream(ref, stream_type(src)) if ref is not None else iso[v])
            outs = _call(op, kernel, args)
            for value, array in zip(op.results, outs, strict=True):
                iso[value] = array
            layer = net.name(op)
            ref = references.get(layer)
            if ref is None or not op.results:
                continue
            t = stream_type(op.results[0])
            result.layers.append(
                LayerTrace(
                    layer,
                    op.name,
                    ref.tensor,
                    ref.kind,
                    agreement(outs[0], ref, t),
                    agreement(chained[op.results[0]], ref, t),
                )
            )
    return result
