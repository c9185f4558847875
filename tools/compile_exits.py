"""`fpga-compile --exit-data`: an early-exit network, from ONNX to a checked HLS project that pays off.

    fpga-compile model.onnx --board pynqz2 -o build/ --exit-data samples.npz [--labels-key y]
                 [--accuracy-within 1.0 | --thresholds 0.9] [--max-util 0.85] [--match-baseline]

The steps (each leaves an artefact in the output folder, as fpga-compile's others do):

1. import     `<model>.mlir` + weights
2. profile    the real samples through every exit (the bit-exact interpreter); the thresholds: the
              given ones, or, with labels, those letting the most samples leave early while the
              accuracy stays within `--accuracy-within` points of the final exit's
              (`fpga-profile-exits --choose`); the measured exit rates are recorded
              (`<model>.profiled.mlir`)
3. baseline   the same network without its early exits (`drop-early-exits`), folded for the same
              board limits, FIFOs sized, run in fpga-sim (`<model>.baseline.mlir`): what the exits
              must beat
4. search     `split-exit-branches`, then the joint exit-aware search refined in fpga-sim on the route
              the real samples take (`passes/analysis/exit_search.py`), then `size-fifos` (exit-aware)
              and `estimate-resources` (`<model>.opt.mlir`)
5. simulate   fpga-sim on the real samples, each routed by its real decision, with the FIFO depths
              as built; the check: every sample's output and exit index against the unsplit network's
              output at the exit that sample took.  If the early-exit design is slower than the
              baseline it is not emitted: the baseline is (and the report says so)
6. lower, emit, csim  as fpga-compile always does, on real samples (some of every exit)

The report adds an `early_exit` section: thresholds, exit rates, accuracy, the ideal gain the rates
allow at equal compute, the gain fpga-sim measured against the baseline, resources against the
baseline, and, with `--match-baseline`, the share of the baseline's resources that matches its
throughput.  Where an op's fastest folding caps the gain (the input rate), it is named.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.func import FuncOp

from fpga_opt.dialects.dataflow import DataflowOp
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.files import write_atomically
from fpga_opt.tools.figures import fps_text

DEFAULT_SETTINGS = "0.5,0.6,0.7,0.8,0.85,0.9,0.95,0.97,0.99,0.995,0.999"
"""Thresholds tried when fpga-compile chooses them (one threshold for every early exit)."""

SIM_RESOLUTION = "coarse"
"""fpga-sim's resolution for the search and the figures (docs/simulator.md: within a row of the exact)."""

RESOURCES = ("dsp", "bram18", "uram", "lut", "ff")


@dataclass
class Hooks:
    """What the exit flow borrows from fpga-compile's own steps (passed in: tools do not import each other back)."""

    import_model: Callable
    module_text: Callable[[ModuleOp], str]
    relocate_sidecar: Callable
    apply: Callable[[Context, ModuleOp, str], None]
    say: Callable[[str], None]


def _func(module: ModuleOp) -> FuncOp:
    funcs = [f for f in module.walk() if isinstance(f, FuncOp) and not f.is_declaration]
    if len(funcs) != 1:
        raise FpgaOptError(f"--exit-data: the model has {len(funcs)} functions; an early-exit network has one")
    return funcs[0]


def _resources(module: ModuleOp, board) -> dict[str, int]:
    from fpga_opt.backend.costs import CostContext, analyse_network

    total = analyse_network(module, CostContext.for_board(board)).resources
    return {r: getattr(total, r) for r in RESOURCES}


def _write_ir(hooks: Hooks, module: ModuleOp, ir_path: Path, path: Path) -> None:
    copy = module.clone()
    hooks.relocate_sidecar(copy, ir_path, path)
    write_atomically(path, hooks.module_text(copy))


def profile_step(args, module: ModuleOp, ir_path: Path) -> dict:
    """Step 2: the exit every sample takes, the chosen thresholds, accuracies; records them on the function."""
    from fpga_opt.tools import fpga_profile_exits as prof

    func = _func(module)
    where = f"{args.model}: @{func.sym_name.data}"
    try:
        model = prof.exit_model(func, where)
    except FpgaOptError as error:
        raise FpgaOptError(f"--exit-data needs an early-exit network (one output per exit): {error}") from None
    x, labels = prof.load_data(Path(args.exit_data), args.inputs_key, args.labels_key)
    early = model.num_exits - 1
    if args.thresholds:
        settings = prof.parse_settings(args.thresholds, early)
        if len(settings) != 1:
            raise FpgaOptError("--thresholds: give one setting (one threshold, or one per early exit as T0/T1)")
        rule: tuple = ("threshold", settings[0])
    else:
        if labels is None:
            raise FpgaOptError(
                "--exit-data: choosing thresholds by accuracy needs labels (--labels-key); or give --thresholds"
            )
        settings = prof.parse_settings(DEFAULT_SETTINGS, early)
        rule = ("accuracy-within", float(args.accuracy_within))
    logits = prof.run_exits(module, func.sym_name.data, x, ir_path.parent)
    alone = [float(np.mean(lg.argmax(axis=1) == labels)) for lg in logits] if labels is not None else None
    profiles = [prof.profile(logits, model, s, labels) for s in settings]
    chosen = profiles[prof.choose(profiles, rule, alone[-1] if alone else None)]
    prof.record(func, chosen, model, alone[-1] if alone else None)
    route = prof.exits_taken(logits, model, chosen.thresholds)
    return {
        "x": x,
        "route": route,
        "logits": logits,
        "thresholds": chosen.thresholds,
        "exit_fractions": chosen.exit_fractions,
        "accuracy": chosen.accuracy,
        "final_exit_accuracy": alone[-1] if alone else None,
        "exit_accuracy_alone": alone,
        "samples": int(len(x)),
    }


def fold_baseline(module: ModuleOp, board_spec: str, max_util: float) -> ModuleOp:
    """The network without early exits, folded for the same limits (greedy and annealing: the faster) and
    its FIFOs sized: what an early-exit design must beat."""
    from fpga_opt.backend.costs import CostContext, analyse_network
    from fpga_opt.backend.target.boards import resolve_board
    from fpga_opt.passes.drop_early_exits import drop_early_exits
    from fpga_opt.passes.select_folding import SelectFoldingPass
    from fpga_opt.passes.size_fifos import SizeFifosPass

    board = resolve_board(board_spec)
    best = None
    for algorithm in ("greedy", "anneal"):
        base = module.clone()
        drop_early_exits(_func(base))
        SelectFoldingPass(board=board_spec, max_util=max_util, algorithm=algorithm).apply(Context(), base)
        net = analyse_network(base, CostContext.for_board(board))
        key = (net.interval, sum(getattr(net.resources, r) / max(getattr(board, r), 1) for r in RESOURCES))
        if best is None or key < best[0]:
            best = (key, base)
    assert best is not None
    base = best[1]
    try:
        SizeFifosPass(board=board_spec, max_util=max_util, refold=True).apply(Context(), base)
    except FpgaOptError as error:
        if "deadlock" in str(error):
            raise
    return base


def simulate_baseline(module: ModuleOp) -> float | None:
    """fpga-sim of a design without exits, FIFOs as built: steady-state cycles per frame (data-independent)."""
    from fpga_opt.backend.sim import simulate

    timing = simulate(module, None, None, frames=16, resolution=SIM_RESOLUTION).timing
    return timing.cycles_per_frame if timing.deadlock is None else None


def speed_floor(module: ModuleOp, board, max_util: float) -> tuple[float, str]:
    """The fewest cycles per sample any folding reaches (each op at its fastest, reach included), and the op.

    When this is above baseline / ideal gain, the ideal gain cannot be reached by any folding: the
    op named (usually the first one, reading the input at one pixel per cycle) caps it.
    """
    from fpga_opt.backend.costs import CostContext, layer_name
    from fpga_opt.backend.costs.exit_rates import func_reach
    from fpga_opt.passes.analysis.folding_search import FoldingProblem

    reach = {}
    for func in [f for f in module.walk() if isinstance(f, FuncOp) and not f.is_declaration]:
        reach.update(func_reach(func)[0])
    problem = FoldingProblem(module, CostContext.for_board(board), board, max_util, reach=reach)
    floor, name = float(problem.const_cycles), "an op without folding factors"
    for i, choice in enumerate(problem.choices):
        fastest = min(problem.cost(i, k)[0] for k in range(len(choice.configs)))
        if fastest > floor:
            floor, name = float(fastest), layer_name(choice.op)
    return floor, name


def input_rate(module: ModuleOp, floor_cycles: float, floor_op: str) -> str | None:
    """When the floor is the rate the network input streams at, that input: "the 1x16x16 input at 1 pixel/cycle".

    That is when the op at its fastest folding (`speed_floor`) reads a network input directly: the first
    conv's fastest folding takes one window, so one input pixel, per cycle.  Else None."""
    from xdsl.ir import BlockArgument

    from fpga_opt.backend.costs import layer_name
    from fpga_opt.dialects.dataflow.types import StreamType

    for op in module.walk():
        if not isinstance(op, DataflowOp) or layer_name(op) != floor_op:
            continue
        for operand in op.operands:
            if isinstance(operand, BlockArgument) and isinstance(operand.type, StreamType) and floor_cycles:
                h, w, c = operand.type.dims
                per_cycle = h * w / floor_cycles
                return f"the {c}x{h}x{w} input at {per_cycle:g} pixel{'' if per_cycle == 1 else 's'}/cycle"
    return None


def slower_than_baseline(exit_cycles: float, base_cycles: float) -> bool:
    """Whether the early-exit design runs slower than the baseline (then the baseline is emitted).  Equal rates
    keep the early-exit design; both are fpga-sim's averages, so a difference in the last bits of a float
    (256.0 against 255.99999999999986) is not slower."""
    return exit_cycles > base_cycles * (1 + 1e-9)


def check_exits(split_outputs, unsplit_outputs, route: np.ndarray) -> str | None:
    """None when every sample's (output, exit index) equals the unsplit network's output at the exit it took
    and the exit is the one the decision rule picks; else what differs, on one line."""
    out, index = split_outputs
    taken = index.reshape(len(index), -1)[:, 0].astype(np.int64)
    if not np.array_equal(taken, route):
        i = int(np.argmax(taken != route))
        return f"sample {i} left at exit {taken[i]}, the decision rule on the unsplit network's logits says {route[i]}"
    for i, k in enumerate(taken):
        if not np.array_equal(out[i].reshape(-1), unsplit_outputs[k][i].reshape(-1)):
            return f"sample {i}: the output differs from the unsplit network's exit {k}"
    return None


def split_check(imported: ModuleOp, module: ModuleOp, outputs, reference) -> tuple[bool, str | None]:
    """fpga-compile's check when its passes split an early-exit network (`--pipeline` with split-exit-branches).

    (applies, problem): applies when `imported` is an unsplit early-exit network and `module` its split;
    then the right reference is not the unsplit outputs but, per sample, the unsplit network's output at
    the exit its decisions pick (`check_exits`).
    """
    from fpga_opt.passes.split_exit_branches import exit_thresholds, is_split
    from fpga_opt.tools import fpga_profile_exits as prof

    before, after = _func(imported), _func(module)
    if is_split(before) or not is_split(after) or len(reference) < 2:
        return False, None
    thresholds = exit_thresholds(after)
    if thresholds is None:
        return True, "the split network records no dataflow.exit_thresholds"
    model = prof.exit_model(before, f"@{before.sym_name.data}")
    logits = [r.reshape(r.shape[0], -1) for r in reference]
    route = prof.exits_taken(logits, model, thresholds)
    return True, check_exits(outputs, reference, route)


def unsplit_note(module: ModuleOp, specs) -> str | None:
    """A note when an early-exit model is compiled without early-exit hardware (every exit for every sample)."""
    from fpga_opt.passes.split_exit_branches import EXITS_ATTR, is_split

    func = next((f for f in module.walk() if isinstance(f, FuncOp) and not f.is_declaration), None)
    if func is None or EXITS_ATTR not in func.attributes or is_split(func):
        return None
    if any(spec.startswith("split-exit-branches") for spec in specs):
        return None
    return (
        "note: an early-exit model without --exit-data is built as a multi-output network, every exit computed "
        "for every sample; give --exit-data samples.npz (--labels-key y) for early-exit hardware"
    )


def pick_samples(route: np.ndarray, count: int) -> np.ndarray:
    """`count` sample indices in their order, the first ones, with at least a few of every exit taken."""
    n = len(route)
    count = min(count, n)
    chosen = list(range(count))
    exits = sorted(set(route.tolist()))
    per_exit = max(1, count // (2 * len(exits)))
    for k in exits:
        have = sum(1 for i in chosen if route[i] == k)
        extra = [i for i in range(count, n) if route[i] == k][: max(0, per_exit - have)]
        for i in extra:
            # replace a sample of the most common exit, from the end
            common = max(exits, key=lambda e: sum(1 for j in chosen if route[j] == e))
            victim = next(j for j in reversed(chosen) if route[j] == common)
            chosen[chosen.index(victim)] = i
    return np.array(sorted(chosen), dtype=np.int64)


def run_exit_flow(args, hooks: Hooks) -> tuple[ModuleOp, dict, dict, Path, dict]:
    """Steps 1 to 5.  Returns (the design to lower, weights, csim vectors, its IR path, the report section)."""
    from fpga_opt.backend.costs.exit_rates import func_exit_structure, ideal_gain
    from fpga_opt.backend.sim import elaborate, run_functional, simulate
    from fpga_opt.backend.sim.boundary import prepare_inputs
    from fpga_opt.backend.target.boards import resolve_board
    from fpga_opt.passes.analysis.exit_search import ExitSearch, model_interval
    from fpga_opt.passes.estimate_resources import EstimateResourcesPass
    from fpga_opt.passes.split_exit_branches import split_function

    say = hooks.say
    board = resolve_board(args.board)
    max_util = float(args.max_util)
    if not 0 < max_util <= 1:
        raise FpgaOptError(f"--max-util must be in (0, 1], got {max_util}")
    out = Path(args.output)
    stem = Path(args.model).stem
    steps = 8

    t0 = time.perf_counter()
    module, weights, ir_path = hooks.import_model(Path(args.model), out, args.input_shape)
    hooks.apply(Context(), module, "dataflow-canonicalize")
    say(f"[1/{steps}] import    {args.model} -> {ir_path}  {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    prof = profile_step(args, module, ir_path)
    _write_ir(hooks, module, ir_path, out / f"{stem}.profiled.mlir")
    fractions = ", ".join(f"exit {k} {100 * f:.1f}%" for k, f in enumerate(prof["exit_fractions"]))
    acc = "" if prof["accuracy"] is None else f", accuracy {100 * prof['accuracy']:.2f}%"
    final = (
        "" if prof["final_exit_accuracy"] is None else f" (final exit alone {100 * prof['final_exit_accuracy']:.2f}%)"
    )
    thresholds = "/".join(f"{t:g}" for t in prof["thresholds"])
    say(
        f"[2/{steps}] profile   {prof['samples']} samples of {args.exit_data}: thresholds {thresholds}: {fractions}"
        f"{acc}{final}  {time.perf_counter() - t0:.1f} s"
    )
    unsplit = module.clone()

    t0 = time.perf_counter()
    baseline = fold_baseline(module, args.board, max_util)
    base_cycles = simulate_baseline(baseline)
    if base_cycles is None:
        raise FpgaOptError("the network without its early exits deadlocks in fpga-sim after size-fifos")
    base_res = _resources(baseline, board)
    _write_ir(hooks, baseline, ir_path, out / f"{stem}.baseline.mlir")
    say(
        f"[3/{steps}] baseline  without early exits: {base_cycles:,.1f} cycles/sample in fpga-sim, "
        f"DSP {base_res['dsp']}, LUT {base_res['lut']}, BRAM18 {base_res['bram18']}  {time.perf_counter() - t0:.1f} s"
    )

    t0 = time.perf_counter()
    func = _func(module)
    split_function(func, prof["thresholds"], "fpga-compile")
    structure = func_exit_structure(func)
    assert structure is not None
    ideal = ideal_gain(structure, prof["exit_fractions"])
    search = ExitSearch(
        module,
        board,
        max_util,
        prof["route"].tolist(),
        board_spec=args.board,
        resolution=SIM_RESOLUTION,
        log=say,
        what="fpga-compile",
    )
    sizer = _fifo_sizer(args.board, max_util, say)
    found = search.run(size_fifos=sizer, beat=base_cycles)
    if found.moves:
        sizer(module)  # the folding moved: size again (never smaller)
    EstimateResourcesPass(board=args.board).apply(Context(), module)
    floor, floor_op = speed_floor(module, board, max_util)
    blocker = search.next_step_blocker()
    say(
        f"[4/{steps}] search    split at {thresholds}, exit-aware joint search: {found.model_cycles:,} cycles/sample "
        f"(model), {_cycles(found.measured.cycles)} on the real route ({found.sims} simulation(s), "
        f"{len(found.moves)} move(s))  {time.perf_counter() - t0:.1f} s"
    )

    t0 = time.perf_counter()
    x = prof["x"]
    net = elaborate(module)
    prepared = prepare_inputs(net, x)
    result = simulate(
        module, weights, prepared, frames=2 * len(x), layout="hwc", resolution=SIM_RESOLUTION, base_dir=ir_path.parent
    )
    reference = run_functional(unsplit, weights, prepared, layout="hwc")
    problem = check_exits(result.outputs, reference, prof["route"])
    if problem is not None:
        raise FpgaOptError(f"fpga-sim: the early-exit design does not compute what the unsplit network does: {problem}")
    timing = result.timing
    exit_cycles = None if timing.exits is None else timing.exits["cycles_per_sample"]
    if exit_cycles is None:
        deadlock = timing.deadlock.message() if timing.deadlock is not None else "no result"
        raise FpgaOptError(f"fpga-sim: the early-exit design does not run on the real samples: {deadlock}")
    gain = base_cycles / exit_cycles
    exit_res = _resources(module, board)
    report_cycles = _report_interval(module)
    section = {
        "samples": prof["samples"],
        "thresholds": prof["thresholds"],
        "exit_fractions": prof["exit_fractions"],
        "accuracy": prof["accuracy"],
        "final_exit_accuracy": prof["final_exit_accuracy"],
        "exit_accuracy_alone": prof["exit_accuracy_alone"],
        "ideal_gain": ideal,
        "baseline": {"sim_cycles": base_cycles, "resources": base_res},
        "exit_design": {
            "model_cycles": model_interval(module, search.ctx),
            "report_cycles": report_cycles,
            "sim_cycles": exit_cycles,
            "resources": exit_res,
            "moves": found.moves,
            "backlog": found.backlog,
        },
        "gain": gain,
        "gain_vs_ideal": gain / ideal if ideal else None,
        "floor": {
            "cycles": floor,
            "op": floor_op,
            "input": input_rate(module, floor, floor_op),
            "gain_cap": base_cycles / floor if floor else None,
        },
        "blocked_by": blocker,
        "fell_back": slower_than_baseline(exit_cycles, base_cycles),
    }
    say(
        f"[5/{steps}] simulate  fpga-sim on {len(x)} real samples (twice), routed by their decisions: "
        f"{exit_cycles:,.1f} cycles/sample, {gain:.2f}x the baseline (ideal {ideal:.2f}x); every output equals "
        f"the unsplit network's at the exit taken  {time.perf_counter() - t0:.1f} s"
    )
    if getattr(args, "match_baseline", False):
        target = matching_target(base_cycles, floor)
        section["matched"] = match_baseline(
            module, board, max_util, prof["route"], target, base_res, args, beat=max(base_cycles, floor)
        )
    if section["fell_back"]:
        say(
            f"          the early-exit design is slower than the network without exits ({exit_cycles:,.1f} against "
            f"{base_cycles:,.1f} cycles/sample): emitting the baseline instead"
        )
        design, design_ref = baseline, unsplit
    else:
        design, design_ref = module, None
    opt_path = out / f"{stem}.opt.mlir"
    _write_ir(hooks, design, ir_path, opt_path)
    picks = pick_samples(prof["route"], args.frames)
    vectors = {"inputs": [b[picks] for b in prepared], "picks": picks, "reference": design_ref}
    return design, weights, vectors, opt_path, section


def _report_interval(module: ModuleOp) -> int:
    """The interval `fpga-report` prints for the design as written (from its `dataflow.estimate`)."""
    from fpga_opt.tools.fpga_report import report_data

    return int(report_data(module.clone())["interval_cycles"])


def _fifo_sizer(board: str, max_util: float, say: Callable[[str], None]) -> Callable[[ModuleOp], None]:
    """size-fifos on a module, for the search; a sizing that falls short of its tolerance is reported, not fatal
    (the simulation on the real samples that follows measures the design as it is)."""
    from fpga_opt.passes.size_fifos import SizeFifosPass

    sizer = SizeFifosPass(board=board, max_util=max_util, refold=False)

    def size(module: ModuleOp) -> None:
        try:
            sizer.apply(Context(), module)
        except FpgaOptError as error:
            if "deadlock" in str(error):
                raise
            say(f"          note: {error}")

    return size


def matching_target(base_cycles: float, floor_cycles: float) -> int:
    """The interval the resource-matching design must meet: the baseline's, in whole cycles (a simulated
    255.9999 is 256), and never below the fastest any folding reaches (a baseline at the input rate)."""
    import math

    return max(1, math.floor(base_cycles + 1e-6), math.ceil(floor_cycles - 1e-6))


def match_baseline(
    module, board, max_util, route, target_cycles: int, base_res, args, beat: float | None = None
) -> dict:
    """The cheapest early-exit design whose model interval meets `target_cycles` (`matching_target`), refined
    in fpga-sim on the real route until it is not slower than `beat` (the baseline's simulated cycles, or the
    floor when the baseline is below it); its resources as a share of the baseline's."""
    from fpga_opt.passes.analysis.exit_search import ExitSearch

    cheap = module.clone()
    search = ExitSearch(
        cheap, board, max_util, route.tolist(), board_spec=args.board, resolution=SIM_RESOLUTION, what="fpga-compile"
    )
    found = search.run(
        target_cycles=target_cycles, size_fifos=_fifo_sizer(args.board, max_util, lambda _t: None), beat=beat
    )
    res = _resources(cheap, board)
    share = {r: (res[r] / base_res[r] if base_res[r] else None) for r in RESOURCES}
    return {"sim_cycles": found.measured.cycles, "resources": res, "share": share, "moves": found.moves}


def _cycles(c: float | None) -> str:
    return "deadlock" if c is None else f"{c:,.1f}"


def limit(section: dict) -> str | None:
    """What caps the gain, with its number; None when nothing does (compute binds, or >= 90 % of the ideal).

    An op at its fastest folding: the model's floor caps the gain below the ideal, or the design sits on it,
    and then fpga-sim's interval is the floor as it runs.  When that floor is the network input's rate (the
    first conv reads one pixel per cycle: `input_rate`) it is named so: "input rate: 256 cycles/frame for
    the 1x16x16 input at 1 pixel/cycle".  Else, below 90 % of the ideal, the folding step that does not fit
    (`ExitSearch.next_step_blocker`).
    """
    floor, ed = section["floor"], section["exit_design"]
    cap = floor["gain_cap"]
    at_floor = bool(floor["cycles"]) and ed["model_cycles"] <= floor["cycles"] * (1 + 1e-9)
    if floor.get("input"):
        what = f"input rate: {floor['cycles']:,.0f} cycles/frame for {floor['input']} ({floor['op']} at its fastest folding)"
    else:
        what = f"{floor['op']} at its fastest folding: {floor['cycles']:,.0f} cycles/sample"
    if cap is not None and at_floor:
        return f"{what}; {ed['sim_cycles']:,.0f} in fpga-sim (gain at most {section['gain']:.2f}x)"
    if cap is not None and cap < section["ideal_gain"] * 0.999:
        return f"{what} (gain at most {cap:.2f}x)"
    if section.get("blocked_by") and section["gain_vs_ideal"] < 0.9:
        return section["blocked_by"]
    return None


def report_lines(section: dict) -> list[str]:
    """The early-exit part of fpga-compile's report."""
    ed, base = section["exit_design"], section["baseline"]
    lines = [
        f"  early exit  thresholds {'/'.join(f'{t:g}' for t in section['thresholds'])}: "
        + ", ".join(f"exit {k} {100 * f:.1f}%" for k, f in enumerate(section["exit_fractions"]))
    ]
    if section["accuracy"] is not None:
        lines.append(
            f"              accuracy {100 * section['accuracy']:.2f}% (final exit alone "
            f"{100 * section['final_exit_accuracy']:.2f}%) on {section['samples']} samples"
        )
    lines.append(
        f"              fpga-sim {ed['sim_cycles']:,.1f} cycles/sample against {base['sim_cycles']:,.1f} without exits: "
        f"{section['gain']:.2f}x (ideal at equal compute {section['ideal_gain']:.2f}x, "
        f"{100 * section['gain_vs_ideal']:.0f}% of it)"
    )
    if ed.get("report_cycles"):
        lines.append(
            f"              fpga-report's interval {ed['report_cycles']:,} cycles/sample, "
            f"{100 * (ed['report_cycles'] / ed['sim_cycles'] - 1):+.1f}% from fpga-sim's"
        )
    capped = limit(section)
    if capped is not None:
        lines.append(f"              capped: {capped}")
    share = ", ".join(
        f"{r.upper()} {ed['resources'][r]}/{base['resources'][r]}" for r in RESOURCES if base["resources"][r]
    )
    lines.append(f"              resources against the baseline: {share}")
    if "matched" in section:
        m = section["matched"]
        shares = ", ".join(f"{r.upper()} {100 * v:.0f}%" for r, v in m["share"].items() if v is not None)
        lines.append(
            f"              the baseline's throughput ({_cycles(m['sim_cycles'])} cycles/sample) with {shares}"
        )
    if section["fell_back"]:
        lines.append("              slower than the baseline: the baseline was emitted instead")
    return lines


def run(args, hooks: Hooks) -> int:
    """The whole `--exit-data` flow: steps 1 to 5, then lower, emit and csim on real samples; the report."""
    from fpga_opt.backend.hls.emit import build_project, find_design
    from fpga_opt.backend.sim import run_functional
    from fpga_opt.backend.target.boards import resolve_board
    from fpga_opt.passes.analysis.annotations import dict_value

    say, out = hooks.say, Path(args.output)
    board = resolve_board(args.board)
    if args.frames < 1:
        raise FpgaOptError(f"--frames must be >= 1, got {args.frames}")
    if out.exists() and not out.is_dir():
        raise FpgaOptError(f"{out}: exists and is not a directory")
    design, weights, vectors, opt_path, section = run_exit_flow(args, hooks)
    stem = Path(args.model).stem

    t0 = time.perf_counter()
    inputs = vectors["inputs"]
    expected = run_functional(design, weights, inputs, layout="hwc")
    hooks.apply(Context(), design, f"lower-dataflow-to-hls{{board={_board_option(args.board)}}}")
    hls_path = out / f"{stem}.hls.mlir"
    write_atomically(hls_path, hooks.module_text(design))
    lowered = find_design(design)
    say(
        f"[6/8] lower     lower-dataflow-to-hls -> {hls_path} ({len(lowered.kernels())} kernels)  "
        f"{time.perf_counter() - t0:.1f} s"
    )
    t0 = time.perf_counter()
    count = len(vectors["picks"])
    frames_in = [[b[i] for b in inputs] for i in range(count)]
    frames_out = [[b[i] for b in expected] for i in range(count)]
    project = build_project(design, weights, inputs=frames_in, expected=frames_out)
    project_dir = out / "hls"
    project.write(project_dir)
    say(f"[7/8] emit      {project_dir}/ with {count} real samples  {time.perf_counter() - t0:.1f} s")
    from fpga_opt.tools.csim_check import run_csim_check

    csim = run_csim_check([project_dir], no_csim=args.no_csim, jobs=args.jobs, opt=args.opt, log=out / "csim.log")
    verdict, passed = csim.verdict, csim.passed  # passed None: skipped, never reported as passed
    say(f"[8/8] csim      {verdict}")

    estimate = design.attributes.get("dataflow.estimate")
    summary = {k: dict_value(estimate, k) for k in estimate.data} if estimate is not None else {}
    from fpga_opt.tools.run_facts import run_facts

    facts = {  # as the main flow's report.json: the deterministic design part, then the run's facts
        "model": Path(args.model).name,
        "board": board.name,
        "part": board.part,
        "estimate": summary,
        "csim": verdict,
        "csim_passed": passed,
        "checks": [csim.check],
        "project": "hls",
        "ir": Path(opt_path).name,
        "early_exit": section,
    }
    report = {"design": facts, "run": run_facts(Path(args.model), Path(getattr(args, "final_output", out)), {})}
    write_atomically(out / "report.json", json.dumps(report, indent=2, default=float) + "\n")
    lines = [
        "",
        "report",
        f"  board       {board.name} ({board.part}) at {summary.get('clock_mhz', board.clock_mhz):g} MHz",
    ]
    if summary.get("interval"):
        lines.append(
            f"  throughput  {fps_text(summary['fps'])} FPS predicted (interval {summary['interval']} cycles per sample, "
            f"bottleneck {summary.get('bottleneck')})"
        )
    lines += report_lines(section)
    lines.append(f"  csim        {verdict}")
    lines.append(f"  project     {project_dir}  (vitis_hls -f run_hls.tcl for csynth/cosim/export)")
    say("\n".join(lines))
    if passed is False:
        print(f"fpga-compile: error: C simulation failed; see {out / 'csim.log'}", file=sys.stderr)
        return 1
    return 0


def _board_option(board: str) -> str:
    return f'"{board}"' if any(ch in board for ch in '/.\\ "') else board


def add_arguments(parser) -> None:
    """fpga-compile's early-exit options."""
    group = parser.add_argument_group("early exits (an ONNX model with one output per exit)")
    group.add_argument(
        "--exit-data",
        metavar="NPZ",
        help="real samples (.npz): profile the exits, choose thresholds, build early-exit hardware that pays off",
    )
    group.add_argument("--labels-key", help="array of --exit-data holding integer labels (to choose by accuracy)")
    group.add_argument("--inputs-key", help="array of --exit-data holding the samples (default 'x' or the only one)")
    choice = group.add_mutually_exclusive_group()
    choice.add_argument(
        "--accuracy-within",
        type=float,
        default=1.0,
        metavar="P",
        help="choose the thresholds letting most samples leave early within P accuracy points of the final exit "
        "(default 1.0; needs --labels-key)",
    )
    choice.add_argument("--thresholds", metavar="T", help="use these thresholds: one for every early exit, or T0/T1")
    group.add_argument(
        "--max-util", type=float, default=0.85, help="largest fraction of each board resource (default 0.85)"
    )
    group.add_argument(
        "--match-baseline",
        action="store_true",
        help="also find the cheapest early-exit design matching the baseline's throughput (its resource share)",
    )


__all__ = [
    "Hooks",
    "add_arguments",
    "check_exits",
    "limit",
    "matching_target",
    "pick_samples",
    "report_lines",
    "run",
    "run_exit_flow",
    "split_check",
    "unsplit_note",
]
