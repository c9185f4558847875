"""The ONNX node handlers, one module per op family: conv, linear, pool, eltwise, stream, shape, quant,
qlinear (onnxruntime's QOperator format).

Importing this package imports every family module, which registers its
handlers, so `HANDLERS` and `IMPORTED` (registry.py) are complete:

    from fpga_opt.frontend.handlers import IMPORTED
    IMPORTED.entries[ConvOp]        # ('Conv', 'BatchNormalization'): the ONNX ops that yield it
    IMPORTED.exemptions[BufferOp]   # why the frontend never emits it

`inputs.py` holds what the layer handlers share (reading weights, feature maps, scales).
"""

from fpga_opt.frontend.handlers import binary, conv, eltwise, linear, pool, qlinear, quant, shape, stream  # noqa: F401  (registers them)
from fpga_opt.frontend.handlers.registry import FAN_OUT, HANDLERS, IMPORTED, JOIN, handler_key

__all__ = ["FAN_OUT", "HANDLERS", "IMPORTED", "JOIN", "handler_key"]
