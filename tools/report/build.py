"""Assemble the HTML report of a design: report data, graph, board capacity, and a short timing simulation.

`html_report` is what `fpga-report --html` and `fpga-compile` call; a
partitioned design gets one graph and one short simulation per partition.  The
simulation is timing only (no weights, no inputs; an early-exit network is
routed by its recorded exit probabilities), over a few frames: seconds on
the example networks, and what the page's "simulated" column shows.
"""

from __future__ import annotations

from typing import Any

from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.func import FuncOp

from fpga_opt.dialects.partitions import partition_funcs
from fpga_opt.tools.report.graph import design_function, design_graph
from fpga_opt.tools.report.page import render_page

DEFAULT_SIM_FRAMES = 8
"""Frames the report simulates: enough for the steady state of the examples' pipelines (fpga-sim's default)."""


def board_capacity(name: str | None) -> dict[str, int] | None:
    """The board's resources by name, or None for a board this build cannot resolve (the page then derives them)."""
    from fpga_opt.backend.target.boards import resolve_board
    from fpga_opt.backend.target.resources import RESOURCE_NAMES
    from fpga_opt.dialects.errors import FpgaOptError

    if not name:
        return None
    try:
        board = resolve_board(name)
    except (FpgaOptError, OSError, KeyError, ValueError):
        return None
    return {key: int(getattr(board, key)) for key in RESOURCE_NAMES}


def simulate_for_report(module: ModuleOp, frames: int, func: FuncOp | None = None) -> dict[str, Any]:
    """fpga-sim's timing report (`as_dict`) of `func` (default: the design function) over `frames` frames."""
    from fpga_opt.backend.sim import simulate

    func = func or design_function(module)
    result = simulate(module, None, None, frames=frames, func=func.sym_name.data)
    return result.timing.as_dict()


def html_report(
    module: ModuleOp,
    data: dict[str, Any],
    *,
    title: str,
    sim_frames: int = DEFAULT_SIM_FRAMES,
    sim: dict[str, Any] | None = None,
    checks: list[dict[str, Any]] | None = None,
) -> str:
    """The page for `module` annotated as `data` (fpga-report's report data); simulates unless `sim` is given or
    `sim_frames` is 0.  A partitioned design is drawn and simulated partition by partition."""
    capacity = board_capacity(data.get("board"))
    if data.get("partitions"):
        funcs = partition_funcs(module)
        rows = iter(data["layers"])
        graphs = [design_graph(module, [next(rows) for _ in range(part["ops"])], func) for part, func in
                  zip(data["partitions"], funcs, strict=True)]  # fmt: skip
        sims = [simulate_for_report(module, sim_frames, func) if sim_frames > 0 else None for func in funcs]
        return render_page(data, graphs, title=title, capacity=capacity, sim=sims, checks=checks)
    if sim is None and sim_frames > 0:
        sim = simulate_for_report(module, sim_frames)
    graph = design_graph(module, data["layers"])
    return render_page(data, graph, title=title, capacity=capacity, sim=sim, checks=checks)
