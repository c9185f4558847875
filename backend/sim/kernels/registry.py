"""`KERNELS`: op class -> builder of the op's kernel, the one place an op's semantics is looked up.

A builder runs once per op when a `FunctionalModel` is made (it loads and
checks the weights, reads the attributes) and returns the kernel, which maps
the operands' batches `(B, H, W, C)` to the results' batches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from xdsl.ir import Operation

from fpga_opt.dialects.registry import OpRegistry

if TYPE_CHECKING:
    from fpga_opt.backend.sim.functional import FunctionalModel

Kernel = Callable[[list[np.ndarray]], list[np.ndarray]]
KernelBuilder = Callable[["FunctionalModel", Operation], Kernel]

KERNELS: OpRegistry[KernelBuilder] = OpRegistry("simulator kernel", "backend/sim/kernels")
