#!/usr/bin/env python3
"""What size-fifos buys and costs: fpga-sim against the model on every corpus network, before and after.

    python benchmarks/fifo_sizing.py [--boards kv260|all|a,b] [--models a,b] [--designs default,selected]
                                     [--frames 4] [--json FILE]

For each corpus network (examples/models/*.onnx, imported by the ONNX frontend), two designs:

  default   the imported folding (every factor 1), minimize-residual-buffers
  selected  fpga-compile's pipeline: select-folding{board}, merge-loops, minimize-residual-buffers

and for each: the model's interval (the cost models), fpga-sim's cycles per frame with the default 2-word
streams ("-": deadlock) and after `size-fifos` (refold=true for the selected design, as fpga-compile
runs it; the board's budget applies), their ratios to the model, what the FIFOs cost (BRAM18, LUT
and FF the pass adds, over the design's total), how many buffers it wrote or deepened and window
streams it deepened, and how long the pass took.

*No loss to sizing* (issue 16): for every selected design, the frames per second at the board
clock of the select-folding design before sizing, simulated with unbounded FIFOs (the most any
FIFO depths can give it), against the sized design's in fpga-sim as it would be built (2-word
streams elsewhere), and whether sizing kept it: the sized design runs within size-fifos'
`tolerance` (2%) of the unsized one and no refold gave up a level of folding.  `--boards all`
runs every built-in board; the summary names every design that lost and why.  Figures only:
nothing here asserts (test/pytest/passes/test_size_fifos.py does).  docs/passes/folding.md
records a run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: size-fifos' default tolerance: a sized design may run this much slower than with unbounded FIFOs.
TOLERANCE = 0.02
MODELS = REPO / "examples" / "models"


def design(model: str, kind: str, board: str):
    from xdsl.context import Context

    from fpga_opt.frontend.onnx_import import import_onnx
    from fpga_opt.passes import load_pass

    module = import_onnx(MODELS / f"{model}.onnx").module
    steps = ["minimize-residual-buffers"]
    if kind == "selected":
        steps = ["select-folding", "merge-loops", "minimize-residual-buffers"]
    for name in steps:
        options = {"board": board} if name == "select-folding" else {}
        load_pass(name)(**options).apply(Context(), module)
    module.verify()
    return module


def measure(model: str, kind: str, board_name: str, frames: int) -> dict[str, object]:
    from fpga_opt.backend.costs import CostContext, analyse_network
    from fpga_opt.backend.sim import elaborate, simulate_timing
    from fpga_opt.backend.target.boards import get_board
    from fpga_opt.dialects.errors import FpgaOptError
    from fpga_opt.passes.analysis.fifo_sizing import fifo_resources
    from fpga_opt.passes.size_fifos import SizeFifosPass

    board = get_board(board_name)
    ctx = CostContext.for_board(board)
    row: dict[str, object] = {"model": model, "design": kind, "board": board.name}
    try:
        module = design(model, kind, board_name)
    except FpgaOptError as error:
        row["refusal"] = str(error)
        return row
    before = analyse_network(module, ctx)
    plain = simulate_timing(elaborate(module), frames=frames)
    unbounded = simulate_timing(elaborate(module), frames=frames, fifo_depth=None)
    start = time.perf_counter()
    try:
        done = SizeFifosPass(frames=frames, refold=kind == "selected").size(module)
    except FpgaOptError as error:
        row.update(model_interval=before.interval, refusal=str(error))
        return row
    seconds = time.perf_counter() - start
    after = analyse_network(module, ctx)
    sized = simulate_timing(elaborate(module), frames=frames)
    fifos = fifo_resources(module, ctx)
    changed = sum(len(d.depths) for d in done)
    windows = sum(1 for d in done for name in d.depths if name.endswith("(window)"))
    d2 = plain.cycles_per_frame
    clock = board.clock_mhz * 1e6
    unsized_fps = clock / unbounded.cycles_per_frame if unbounded.cycles_per_frame else None
    sized_fps = clock / sized.cycles_per_frame if sized.cycles_per_frame and not sized.deadlock else None
    kept_ratio = sized_fps / unsized_fps if sized_fps and unsized_fps else None
    row.update(
        unsized_fps=unsized_fps,
        sized_fps=sized_fps,
        sized_vs_unsized=kept_ratio,
        kept=kept_ratio is not None and kept_ratio >= 1 - TOLERANCE and after.interval <= before.interval,
        model_interval=before.interval,
        depth2_cycles=d2,
        depth2_vs_model=d2 / before.interval if d2 else None,
        sized_interval=after.interval,
        sized_cycles=sized.cycles_per_frame,
        sized_vs_model=sized.cycles_per_frame / after.interval if sized.cycles_per_frame else None,
        deadlock=sized.deadlock.message() if sized.deadlock else None,
        fifos_changed=changed - windows,
        windows_deepened=windows,
        bram18_added=after.resources.bram18 - before.resources.bram18,
        lut_added=after.resources.lut - before.resources.lut,
        ff_added=after.resources.ff - before.resources.ff,
        fifo_bram18=fifos.bram18,
        fifo_lut=fifos.lut,
        fifo_ff=fifos.ff,
        bram18=after.resources.bram18,
        lut=after.resources.lut,
        ff=after.resources.ff,
        utilisation={k: round(v, 4) for k, v in after.resources.utilisation(board).items()},
        size_fifos_s=seconds,
        refolded=after.interval != before.interval,
    )
    return row


def _f(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict[str, object]]) -> None:
    from fpga_opt.tools.tables import render

    header = ["model", "board", "design", "interval", "d2/model", "sized/model", "buffers", "windows", "+BRAM18",
              "+LUT", "+FF", "FIFO BRAM18/LUT/FF", "BRAM%", "LUT%", "time", "unsized FPS", "sized FPS", "kept"]  # fmt: skip
    table = []
    for r in rows:
        if "depth2_vs_model" not in r:  # listed under the table
            continue
        u = r["utilisation"]
        added = ["-"] * 3 if r["refolded"] else [f"{r['bram18_added']}", f"{r['lut_added']}", f"{r['ff_added']}"]
        table.append(
            [
                r["model"], r["board"], r["design"], f"{r['sized_interval']}" + ("*" if r["refolded"] else ""),
                _f(r["depth2_vs_model"], ".3f"), _f(r["sized_vs_model"], ".3f"), f"{r['fifos_changed']}",
                f"{r['windows_deepened']}", *added, f"{r['fifo_bram18']}/{r['fifo_lut']}/{r['fifo_ff']}",
                f"{100 * u['bram18']:.0f}%", f"{100 * u['lut']:.0f}%", f"{r['size_fifos_s']:.2f}s",
                _f(r["unsized_fps"], ".0f"), _f(r["sized_fps"], ".0f"), "yes" if r["kept"] else "NO",
            ]
        )  # fmt: skip
    print(render(header, table, right=set(range(3, len(header)))))
    for r in rows:
        if "depth2_vs_model" not in r:
            print(f"{r['model']} {r['board']} {r['design']}: refused: {r.get('refusal')}")
    print(
        "\nd2/model: fpga-sim with 2-word streams over the model interval ('-': deadlock); sized/model: after"
        "\nsize-fifos.  buffers: dataflow.buffers written or deepened; windows: window streams deepened."
        "\n+BRAM18/+LUT/+FF: what the pass adds (FF can fall: a sized edge's buffer replaces its 2-word"
        "\nregister stream); FIFO: every FIFO of the sized design, 2-word streams included.  *: size-fifos"
        "\nrefolded (the FIFOs did not fit; the interval is the new one, and the design is another)."
        "\nunsized FPS: the design before size-fifos in fpga-sim with unbounded FIFOs; sized FPS: the sized"
        f"\ndesign in fpga-sim as built; kept: sized >= {1 - TOLERANCE:.2f} x unsized and the interval not refolded."
    )


def print_loss_summary(rows: list[dict[str, object]]) -> None:
    """Issue 16's 'no loss to sizing' over the selected designs: how many kept their throughput, and the others."""
    selected = [r for r in rows if r["design"] == "selected"]
    if not selected:
        return
    measured = [r for r in selected if "kept" in r]
    kept = [r for r in measured if r["kept"]]
    boards = sorted({r["board"] for r in selected})
    print(
        f"\nNo loss to sizing: {len(kept)} of {len(measured)} selected designs kept their throughput "
        f"({len(selected) - len(measured)} refused before sizing) over {len(boards)} board(s): {', '.join(boards)}"
    )
    for r in selected:
        if "kept" not in r:
            print(f"  {r['model']} on {r['board']}: not sized: {r.get('refusal')}")
        elif not r["kept"]:
            why = (
                "size-fifos refolded to a slower interval"
                if r["sized_interval"] > r["model_interval"]
                else f"sized design at {_f(r['sized_vs_unsized'], '.3f')} of the unsized one in fpga-sim"
            )
            print(f"  {r['model']} on {r['board']}: {why}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", "--board", default="kv260", help="a board, a comma list, or 'all' (built-in)")
    parser.add_argument("--models", default=",".join(sorted(p.stem for p in MODELS.glob("*.onnx"))))
    parser.add_argument("--designs", default="default,selected")
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    from fpga_opt.backend.target.boards import BOARDS

    boards = list(BOARDS) if args.boards == "all" else args.boards.split(",")
    rows = []
    for board in boards:
        for model in args.models.split(","):
            for kind in args.designs.split(","):
                rows.append(measure(model, kind, board, args.frames))
                print(f"  measured {model} {kind} on {board}", file=sys.stderr, flush=True)
    print(f"boards {', '.join(boards)}, fpga-sim at its default resolution (row), {args.frames} frames\n")
    print_table(rows)
    print_loss_summary(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
