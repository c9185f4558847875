"""fpga-sim against the analytic model on every off-chip design the other tests build.

test_placement.py and test_partitions.py check the agreement on the designs they build; this module
rebuilds the designs the rest of the suite only compiles or draws, so "within 5% for every placement
and every partitioned design in the tests" is checked, not assumed:

* every design an off-chip lit test makes (its RUN lines are read here, so a new RUN line is covered
  without editing this file; lines checking diagnostics make no design);
* the HLS tests' designs (LeNet-5 streamed and generated at ratio 0.5, ResNet-8 in partitions);
* the report tests' SqueezeNet (placed by hand; in partitions) and fpga-compile's weighed LeNet-5.

A design with placements is simulated with decoupled FIFOs (the model's assumption, docs/simulator.md
section 5) against max(slowest op, T_dram) on its board; a partitioned one runs its whole schedule,
each partition against its recorded interval and the batch against `dataflow.schedule` (a batch of one
frame included: its figure is the first frame's, L + I).  Every function's first frame is checked too,
fpga-sim's against the model's L + I (placement.first_frame_latency), so a batch's L_i + B I_i holds at
every batch size, not only at the one the search picked.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from xdsl.dialects.func import FuncOp

from fpga_opt.backend.costs import analyse_network
from fpga_opt.backend.sim import elaborate, simulate_timing
from fpga_opt.backend.sim.partitions import simulate_schedule
from fpga_opt.backend.target.boards import get_board, load_board_file
from fpga_opt.dialects import make_context
from fpga_opt.dialects.dataflow import weight_placement
from fpga_opt.dialects.parsing import load_module
from fpga_opt.frontend.onnx_import import import_onnx
from fpga_opt.passes import registry
from fpga_opt.passes.analysis.partitions import partition_funcs, partition_info
from fpga_opt.passes.analysis.placement import (
    first_frame_latency,
    placed_cost,
    set_placement,
    share_dram,
    weight_layers,
)
from fpga_opt.tools.compile_partitions import PARTITION_PIPELINE, WEIGHED_PARTITION_PIPELINE
from fpga_opt.tools.fpga_compile import LARGE_MODEL_PIPELINE
from fpga_opt.tools.pipeline import parse_pipeline

REPO = Path(__file__).resolve().parents[3]
LIT = REPO / "test" / "passes"
MODELS = REPO / "examples" / "models"
LIT_FILES = sorted(
    p for pattern in ("place_weights*.mlir", "partition*.mlir", "compress_weights*.mlir") for p in LIT.glob(pattern)
)
TOLERANCE = 0.05


def _lit_runs(path: Path) -> list[tuple[str, str, bool]]:
    """(id, pipeline, split) of every RUN line of `path` that makes a design with fpga-opt."""
    runs = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = re.match(r"//\s*RUN:\s*fpga-opt\s+(.*?)(\||&&|$)", line)
        if not match or "--verify-diagnostics" in line:
            continue
        words = shlex.split(match.group(1))
        spec = words[words.index("-p") + 1].replace("%S", str(path.parent))
        runs.append((f"{path.stem}:{number}", spec, "--split-input-file" in words))
    return runs


LIT_RUNS = [run for path in LIT_FILES for run in _lit_runs(path)]


def _board_of(spec: str):
    """The board the pipeline's off-chip passes target (a lit input without one: KV260, the passes' default)."""
    match = re.search(r'board-file="([^"]+)"', spec) or re.search(r'board="([^"]+)"', spec)
    if match:
        return load_board_file(match.group(1))
    match = re.search(r"board=([\w-]+)", spec)
    return get_board(match.group(1) if match else "kv260")


def _apply(module, spec: str) -> None:
    parse_pipeline(spec, registry()).apply(make_context(), module)
    module.verify()


def _placed_funcs(module) -> list[FuncOp]:
    funcs = [op for op in module.body.block.ops if isinstance(op, FuncOp)]
    return [f for f in funcs if "dataflow.dram" in f.attributes or any(weight_placement(x) for x in weight_layers(f))]


def agreement(module, board) -> list[tuple[str, float, float]]:
    """(what, fpga-sim cycles, model cycles) for every placed function and every partition: the cycles per
    frame of each, its first frame (L + I), and a partitioned design's schedule per frame of the batch."""
    rows = []
    if partition_funcs(module):
        report = simulate_schedule(module, fifo_depth=None)
        for name, part in zip(report.names, report.parts, strict=True):
            info = partition_info(next(f for f in partition_funcs(module) if f.sym_name.data == name))
            rows.append((f"@{name}", part.cycles_per_frame, info["interval"]))
            rows.append((f"@{name} first frame", part.frame_done_cycles[0], info["latency"] + info["interval"]))
        schedule = module.attributes["dataflow.schedule"].data
        model = schedule["batch_cycles"].value.data / schedule["batch"].value.data
        rows.append((f"schedule (batch {report.batch})", report.batch_cycles / report.batch, model))
        return rows
    for func in _placed_funcs(module):
        name = func.sym_name.data
        timing = simulate_timing(elaborate(module, func=name), frames=6, fifo_depth=None)
        assert timing.deadlock is None, timing.deadlock.message()
        interval = placed_cost(func, board).interval
        rows.append((f"@{name}", timing.cycles_per_frame, interval))
        rows.append(
            (f"@{name} first frame", timing.frame_done_cycles[0], first_frame_latency(func, interval) + interval)
        )
    return rows


def _check(rows, what: str) -> None:
    assert rows, f"{what}: no placed or partitioned design to check"
    for name, sim, model in rows:
        print(f"{what} {name}: fpga-sim {sim:.1f}, model {model:.1f}, ratio {sim / model:.4f}")
        assert sim == pytest.approx(model, rel=TOLERANCE), f"{what} {name}"


def test_every_off_chip_lit_file_is_read():
    assert {p.stem for p in LIT_FILES} >= {"place_weights", "place_weights_search", "partition", "partition_streaming"}
    assert len(LIT_RUNS) >= 15


@pytest.mark.parametrize("run", LIT_RUNS, ids=[r[0] for r in LIT_RUNS])
def test_every_lit_design_agrees_with_the_model(run, tmp_path):
    name, spec, split = run
    source = (LIT / f"{name.split(':')[0]}.mlir").read_text()
    chunks = source.split("// -----") if split else [source]
    rows = []
    for index, chunk in enumerate(chunks):
        path = tmp_path / f"chunk{index}.mlir"
        path.write_text(chunk)
        module = load_module(path)
        _apply(module, spec)
        rows += agreement(module, _board_of(spec))
    _check(rows, name)


def test_a_batch_of_one_is_its_latency():
    """partition.mlir's ONE run: everything fits one partition, batch 1, so the schedule's time per frame is the
    first frame's, L + I: 179 cycles in fpga-sim.  Each linear layer reads its whole input vector before its
    first output fold and writes its other folds after it, so the frame leaves fc3 at fc1's pause and first
    fold + fc1's, fc2's and fc3's remaining folds (21 + 2 + 62 + 62 + 32 = 179); the longest path of pipeline
    depths (23 + 23 + 49 = 95, when the first output element appears) plus I = 64 said 159, 12.6% short."""
    module = load_module(LIT / "partition.mlir")
    _apply(module, "partition{board=kv260}")
    (func,) = partition_funcs(module)
    report = simulate_schedule(module, fifo_depth=None)
    info = partition_info(func)
    schedule = module.attributes["dataflow.schedule"].data
    assert report.batch == 1 and report.batch_cycles == report.parts[0].frame_done_cycles[0]
    assert schedule["batch_cycles"].value.data == info["latency"] + info["interval"]
    _check([("batch 1", report.batch_cycles, schedule["batch_cycles"].value.data)], "partition.mlir")
    depths = analyse_network(func).latency  # the old model's L: this design tells the two apart
    assert abs(depths + info["interval"] - report.batch_cycles) > TOLERANCE * report.batch_cycles
    # one configuration is never stopped to reconfigure: it streams frames at its interval, in both
    assert schedule["fps"].value.data == pytest.approx(250e6 / info["interval"], rel=1e-6)
    assert report.fps == pytest.approx(schedule["fps"].value.data, rel=TOLERANCE)


def test_a_deep_network_in_one_partition_agrees_with_the_model():
    """ResNet-20 (50 ops: 19 convs, 9 residual joins and their forks) fits a KV260 in one partition, batch 1: its
    figure is its first frame, 56,575 cycles in fpga-sim, 2.5 intervals; the longest path of pipeline depths
    + I said 38,409 (-32%), since every conv's line buffer fills at its producer's rate, not its own."""
    module = import_onnx(MODELS / "resnet20_int8.onnx").module
    _apply(module, "partition{board=kv260}")
    rows = agreement(module, get_board("kv260"))
    assert [name for name, _, _ in rows] == ["@resnet20_int8_p0", "@resnet20_int8_p0 first frame", "schedule (batch 1)"]
    _check(rows, "resnet20")
    (func,) = partition_funcs(module)
    sim = rows[1][1]
    assert sim > 2 * partition_info(func)["interval"]  # the first frame is not one interval plus a short fill
    assert abs(analyse_network(func).latency + partition_info(func)["interval"] - sim) > TOLERANCE * sim


def _lenet5(placements: dict[int, str]):
    """test_offchip_csim.py's designs: LeNet-5 with its layers streamed or generated at ratio 0.5, 8-bit codes."""
    imported = import_onnx(MODELS / "lenet5_int8.onnx")
    func = next(op for op in imported.module.walk() if isinstance(op, FuncOp))
    layers = weight_layers(func)
    for index, placement in placements.items():
        kind, _, coefficients = placement.partition("-")
        set_placement(layers[index], kind, ratio=0.5, block=1, coef_bits=8, coefficients=coefficients or "onchip")
    share_dram(func, get_board("kv260"))
    imported.module.verify()
    return imported.module


@pytest.mark.parametrize(
    "placements",
    [{1: "dram", 4: "dram"}, {0: "generated", 1: "generated", 3: "generated", 4: "dram"},
     {1: "generated-dram", 3: "generated", 4: "generated-dram"}],
    ids=["streamed", "generated", "generated-coefficients-in-dram"],
)  # fmt: skip
def test_hls_test_designs_agree_with_the_model(placements):
    _check(agreement(_lenet5(placements), get_board("kv260")), "lenet5")


def _board(tmp_path, text: str):
    path = tmp_path / "board.toml"
    path.write_text(text)
    return path


def test_hls_partition_projects_design_agrees_with_the_model(tmp_path):
    """test_partition_projects.py: ResNet-8 on a KV260 cut to 24 RAMB18s and 12k LUTs, 3 partitions."""
    text = 'base = "kv260"\nbram18 = 24\nuram = 0\nlut = 12000\nbitstream_bits = 1024000\nconfig_gbps = 6.4\n'
    path = _board(tmp_path, text)
    module = import_onnx(MODELS / "resnet8_int8.onnx").module
    _apply(module, f'partition{{board-file="{path}" max-util=0.75}}')
    rows = agreement(module, load_board_file(path))
    assert len(rows) == 7  # three partitions, their first frames and the schedule
    _check(rows, "resnet8")


@pytest.mark.slow
def test_report_tests_squeezenet_designs_agree_with_the_model():
    """test_report_offchip.py: SqueezeNet 1.1 with two layers streamed and one generated; and in partitions
    on examples/boards/kv260_cut.toml (fpga-compile --weights partition's pipeline)."""
    model = REPO / "examples/zoo/models/squeezenet1_1.qdq_tensor.onnx"
    streamed = ("features.features.12.e3.e3.0.Conv", "classifier.classifier.1.Conv")
    layers = ",".join([*(f"{n}:dram" for n in streamed), "features.features.3.e3.e3.0.Conv:generated"])
    module = import_onnx(model).module
    _apply(module, f'dataflow-canonicalize,merge-loops,place-weights{{board=kv260 layers="{layers}"}}')
    _check(agreement(module, get_board("kv260")), "squeezenet placed")
    board = REPO / "examples/boards/kv260_cut.toml"
    module = import_onnx(model).module
    _apply(module, ",".join(PARTITION_PIPELINE).replace("$board", f'"{board}"'))
    _check(agreement(module, load_board_file(board)), "squeezenet partitions")


@pytest.mark.slow
def test_fpga_compile_weighed_lenet5_designs_agree_with_the_model(tmp_path):
    """test_partitions.py's fpga-compile case: LeNet-5 on a KV260 cut to 8 RAMB18s, 8k LUTs and a 0.05 GB/s
    DRAM; both alternatives fpga-compile weighs: place-weights' streamed design, partitions that may stream."""
    path = _board(tmp_path, 'base = "kv260"\nbram18 = 8\nuram = 0\nlut = 8000\nbandwidth_gbps = 0.05\n')
    board = load_board_file(path)
    for pipeline in (LARGE_MODEL_PIPELINE, WEIGHED_PARTITION_PIPELINE):
        module = import_onnx(MODELS / "lenet5_int8.onnx").module
        _apply(module, ",".join(pipeline).replace("$board", f'"{path}"').replace("$generate", ""))
        _check(agreement(module, board), "lenet5 " + ("partitions" if partition_funcs(module) else "streamed"))
