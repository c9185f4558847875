"""`lower-dataflow-to-hls`: turn a dataflow network into an `vhls.design`.

Every decision about the C++ is made here, so that it can be read in the IR,
tested with FileCheck and changed by a researcher; the emitter only prints.
One module per job (docs/backend/hls.md, "The lowering"):

* `lowering.py`: the walk over the network in program order, and what every op
  lowering uses: names, ports, streams as wide as their writer's lanes, `squeeze`
  adapters for readers that want another width, a `fork` for a value read more
  than once, weight tables laid out for the kernel (`ARRAY_RESHAPE` to one memory
  word, `BIND_STORAGE` on LUTRAM or BRAM as the cost model decides);
* `numerics.py`: exact integer accumulators and the 64-bit epilogue's limits;
* one module per op family, registering in `LOWERINGS` and naming the headers of
  its kernels: `conv.py`, `linear.py`, `pool.py`, `eltwise.py`, `stream.py`,
  `exits.py` (early exits, and the stage gates that run on the finished design);
* `window.py`: the sliding window in front of a `WindowedOp`'s compute kernel;
* `join_fifos.py`: `skip-fifo=frame`, deadlock-free FIFOs on join inputs.

Not supported (a one-line error): grouped convs that fold several groups
(`coarse_group > 1`) while also splitting a group's channels; temporal reuse.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from fpga_opt.backend.target.boards import resolve_target
from fpga_opt.dialects import hls
from fpga_opt.dialects.errors import FpgaOptError

# The op families register their lowerings in LOWERINGS when imported.
from fpga_opt.passes.lower_dataflow_to_hls import binary, conv, eltwise, exits, linear, pool, stream, weights  # noqa: F401
from fpga_opt.passes.lower_dataflow_to_hls.join_fifos import size_join_fifos
from fpga_opt.passes.lower_dataflow_to_hls.lowering import Lowering


@dataclass(frozen=True)
class LowerDataflowToHlsPass(ModulePass):
    """Lower a dataflow network to an vhls.design: kernel instances, streams with depths, weight tables, ports.

    Options are the decisions a researcher may want to change; everything
    else follows from the dataflow ops' properties (see the module docstring).
    """

    name = "lower-dataflow-to-hls"

    board: str = ""
    """Target board (name or .toml file) for the part number and default clock; default: the module's dataflow.board_file or dataflow.board, else kv260."""

    clock_mhz: int | float = 0
    """Target clock in MHz; 0 means the module's dataflow.clock_mhz, else the board's clock."""

    fifo_depth: int = 2
    """Depth in tokens of every stream between kernels (a dataflow.buffer adds to it)."""

    skip_fifo: str = "frame"
    """FIFOs on join inputs fed from a fork: "frame" (deadlock-free, whole frame) or "none" (fifo-depth)."""

    board_file: str = ""
    """A TOML board file (overrides board); see examples/boards/my_board.toml."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.fifo_depth < 1:
            raise FpgaOptError(f"{self.name}: fifo-depth must be >= 1, got {self.fifo_depth}")
        if self.skip_fifo not in ("frame", "none"):
            raise FpgaOptError(f'{self.name}: skip-fifo must be "frame" or "none", got "{self.skip_fifo}"')
        # An unknown board is reported before any rewriting.
        board, _spec = resolve_target(op, self.board, self.board_file, float(self.clock_mhz), self.name)
        funcs = [o for o in op.body.block.ops if isinstance(o, func.FuncOp)]
        if any(isinstance(o, hls.DesignOp) for o in op.body.block.ops) and not funcs:
            return  # already lowered
        if len(funcs) != 1:
            raise FpgaOptError(f"{self.name}: expected one func.func (the network), found {len(funcs)}")
        func_op = funcs[0]
        lowering = Lowering(func_op, board, self.fifo_depth)
        design = lowering.run()
        if self.skip_fifo == "frame":
            size_join_fifos(func_op, lowering)
        func_op.detach()
        op.body.block.add_op(design)
        func_op.erase()
