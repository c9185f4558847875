"""Semantics of the weights family: providers compute no stream, they provide a layer's weight tensor.

A `dataflow.weight_stream` moves the sidecar tensor unchanged (the layer
reads it by name).  A `dataflow.weights_generator` provides the tensor its
OVSF form reconstructs (`WeightsGeneratorOp.reconstruct`, dialects/ovsf.py),
under its own name, before any layer kernel is built (`FunctionalModel`
builds providers first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation

from fpga_opt.backend.sim.kernels.registry import KERNELS, Kernel
from fpga_opt.dialects.dataflow import WeightsGeneratorOp, WeightStreamOp, consumer_of
from fpga_opt.dialects.dataflow.weights import weight_shape
from fpga_opt.dialects.errors import FpgaOptError

if TYPE_CHECKING:
    from fpga_opt.backend.sim.functional import FunctionalModel


def _nothing(args: list[np.ndarray]) -> list[np.ndarray]:
    return []


@KERNELS.register(WeightStreamOp)
def weight_stream_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    """The layer reads the sidecar tensor itself: nothing to compute."""
    return _nothing


@KERNELS.register(WeightsGeneratorOp)
def weights_generator_kernel(model: FunctionalModel, op: Operation) -> Kernel:
    """Reconstruct the layer's weights from the OVSF form of `source` and provide them as `weights`."""
    assert isinstance(op, WeightsGeneratorOp)
    layer = consumer_of(op)
    if layer is None:
        raise FpgaOptError(f"{model.where(op)}: no off-chip layer reads tensor '{op.tensor}'")
    original = model.tensor(op, op.source.data, weight_shape(layer), integer=True)
    model.provide(op.tensor, op.reconstruct(original))
    return _nothing
