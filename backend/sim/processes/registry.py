"""`PROCESSES`: op class -> builder of the hardware processes that run the op in the timing simulation.

A builder `(op, rate, resolution, frame_overlap) -> [ProcessSpec]` gives the
op's processes and their per-frame schedules at the op's `rate`
(`rates.op_rate`): one `main` process, plus a `window` process for a
sliding window.  `resolution` is the timing granularity of a sliding window
(docs/simulator.md, section 3.6); `frame_overlap` whether its line buffer takes
the next frame's first rows while it finishes a frame.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.ir import Operation

from fpga_opt.backend.sim.rates import OpRate
from fpga_opt.backend.sim.schedule import ProcessSpec
from fpga_opt.dialects.dataflow import BufferOp
from fpga_opt.dialects.registry import OpRegistry

ProcessBuilder = Callable[[Operation, OpRate, str, bool], list[ProcessSpec]]

PROCESSES: OpRegistry[ProcessBuilder] = OpRegistry("timing process", "backend/sim/processes")
PROCESSES.exempt(BufferOp, "a FIFO, not a process: its depth deepens the edge it sits on (timing.py)")
