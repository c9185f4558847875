"""Functional execution of a dataflow network: bit-exact integers, float64-accurate floats.

`FunctionalModel(network, weights)` prepares one kernel per op (weights loaded,
cast and checked against the op's shapes once), then `run(inputs)` executes a
batch `(B, H, W, C)` through the graph in program order.  Timing plays no part:
the values a streaming design computes do not depend on when it computes them.

Each op's kernel comes from `KERNELS` (`kernels/`, one module per op family).
"""

from __future__ import annotations

import contextlib
from collections import ChainMap
from collections.abc import Mapping, Sequence

import numpy as np
from xdsl.ir import Operation, SSAValue

from fpga_opt.backend.sim.dtypes import numpy_dtype, stream_type
from fpga_opt.backend.sim.graph import Network
from fpga_opt.backend.sim.kernels import KERNELS, Kernel
from fpga_opt.dialects.dataflow import WeightProviderOp
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.progress import progress


class FunctionalModel:
    """A network with its kernels prepared; `run` executes batches of samples."""

    def __init__(self, network: Network, weights: Mapping[str, np.ndarray]):
        self.network = network
        self.provided: dict[str, np.ndarray] = {}
        self.weights = ChainMap(self.provided, weights)  # type: ignore[arg-type]
        # Weight providers first: a generator provides the tensor its layer's kernel loads.
        built = {op: KERNELS.get(op)(self, op) for op in network.ops if isinstance(op, WeightProviderOp)}
        built.update({op: KERNELS.get(op)(self, op) for op in network.ops if op not in built})
        self.kernels: list[tuple[Operation, Kernel]] = [(op, built[op]) for op in network.ops]

    def provide(self, name: str, array: np.ndarray) -> None:
        """Make tensor `name` (a weights generator's output) available to the layers' kernels."""
        self.provided[name] = array

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
        """Run batches `(B, H, W, C)` (one per argument, already in the streams' types); the outputs."""
        values = self.evaluate(inputs)
        return [values[v] for v in self.network.outputs]

    def evaluate(self, inputs: Sequence[np.ndarray]) -> dict[SSAValue, np.ndarray]:
        """Run batches like `run`; the batch of every value of the network (for tracing, as `exits.py` does)."""
        values: dict[SSAValue, np.ndarray] = dict(zip(self.network.inputs, inputs, strict=True))
        samples = len(inputs[0]) if inputs else 0
        bar = progress(f"functional simulation of {samples} sample(s)", total=len(self.kernels), unit=" layers")
        with _single_threaded_blas(), bar:
            for op, kernel in self.kernels:
                bar.update(1)
                results = _call(op, kernel, [values[v] for v in op.operands])
                for value, array in zip(op.results, results, strict=True):
                    values[value] = array
        return values


def _call(op: Operation, kernel: Kernel, args: list[np.ndarray]) -> list[np.ndarray]:
    """`kernel` on its operands' batches; empty batches (after an early exit every sample may have
    left) give empty results without running it."""
    if args and all(len(a) == 0 for a in args):
        return [np.zeros((0, *stream_type(r).dims), numpy_dtype(stream_type(r).element_type)) for r in op.results]
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
