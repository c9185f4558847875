#!/usr/bin/env python3
"""Networks larger than the chip: DRAM streaming vs on-chip OVSF generation, and what each ratio costs.

Part 1, throughput on a bandwidth-bound case: ResNet-18 (224x224, int8, random
weights: examples/models/large_models.py) on a board, placed twice by
place-weights under the same resource budget: with plain DRAM streaming only,
and with on-chip weight generation allowed (unzipFPGA) at each ratio.  For
each: the model's interval (compute, DRAM), what binds, fpga-sim's cycles per
frame (decoupled FIFOs, the analytical model's assumption), resources, DRAM
bytes per frame; the speed-up of generation over streaming, side by side in
one run.  The bound is shown: the streamed design's DRAM time exceeds its
compute interval.

Part 2, accuracy of each ratio on real data: the early-exit digits network
(examples/early_exit: trained on scikit-learn's digits, which the package
ships) with every conv and linear compressed (compress-weights) at each ratio;
top-1 accuracy of the final exit on the 540 held-out digits against the labels,
agreement with the uncompressed int8 model, and the weights' relative L2 error.

    python benchmarks/offchip.py                       # both parts, KV260
    python benchmarks/offchip.py --board zcu102 --ratios 0.25,0.5
    python benchmarks/offchip.py --skip-throughput     # accuracy only (seconds)

Figures print as a table and, with --json, as JSON.  They are measurements of
this code's models and fpga-sim, not of a board.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from xdsl.dialects.func import FuncOp

from fpga_opt.tools.tables import render

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "examples" / "models"))


def _func(module) -> FuncOp:
    return next(op for op in module.walk() if isinstance(op, FuncOp))


def large_model(name: str, cache: Path) -> Path:
    """The int8 ONNX file of a large model, built once into `cache` (deterministic)."""
    import large_models

    path = cache / f"{name}_int8.onnx"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        model = large_models.build(name)
        path.write_bytes(large_models.bm.serialize(model))
    return path


def board_setting(board_name: str, bandwidth_gbps: float, folder: Path) -> tuple[str, Path | None]:
    """(board name, board file): the named board, or a copy with its DRAM bandwidth set (a TOML board file)."""
    if not bandwidth_gbps:
        return board_name, None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{board_name}_{bandwidth_gbps:g}gbps.toml"
    path.write_text(f'base = "{board_name}"\nbandwidth_gbps = {bandwidth_gbps}\n')
    return board_name, path


def placed_design(path: Path, board_name: str, generate: bool, ratio: float, board_file: Path | None = None):
    """ResNet-18 imported, merged, placed and folded; (module, figures)."""
    from fpga_opt.backend.sim import elaborate, simulate_timing
    from fpga_opt.backend.target.boards import get_board, load_board_file
    from fpga_opt.dialects import make_context
    from fpga_opt.dialects.dataflow import WeightsGeneratorOp, provider_of, weight_placement
    from fpga_opt.frontend.onnx_import import import_onnx
    from fpga_opt.passes.analysis.placement import dram_traffic, placed_cost, weight_layers
    from fpga_opt.passes.dataflow_canonicalize import DataflowCanonicalizePass
    from fpga_opt.passes.merge_loops import MergeLoopsPass
    from fpga_opt.passes.minimize_residual_buffers import MinimizeResidualBuffersPass
    from fpga_opt.passes.place_weights import PlaceWeightsPass

    module = import_onnx(path).module
    ctx = make_context()
    DataflowCanonicalizePass().apply(ctx, module)
    MergeLoopsPass().apply(ctx, module)
    # the skip FIFOs sized first, as fpga-compile's large-model path does: the importer's join FIFOs hold whole
    # tensors, which leave no room for any placement (docs/passes/offchip.md, section 5)
    MinimizeResidualBuffersPass().apply(ctx, module)
    t0 = time.perf_counter()
    where = {"board_file": str(board_file)} if board_file else {"board": board_name}
    PlaceWeightsPass(**where, generate=generate, ratio=ratio).apply(ctx, module)
    search = time.perf_counter() - t0
    board = load_board_file(board_file) if board_file else get_board(board_name)
    func = _func(module)
    cost = placed_cost(func, board)
    t0 = time.perf_counter()
    report = simulate_timing(elaborate(module), frames=3, fifo_depth=None, resolution="coarse")
    sim = time.perf_counter() - t0
    counts: dict[str, int] = {}
    for layer in weight_layers(func):
        key = weight_placement(layer) or "onchip"
        provider = provider_of(layer)
        if isinstance(provider, WeightsGeneratorOp) and provider.coefficients_in_dram:
            key = "generated(dram coefficients)"
        counts[key] = counts.get(key, 0) + 1
    res = cost.resources
    return {
        "design": "generation" if generate else "streaming",
        "ratio": ratio if generate else None,
        "placements": counts,
        "compute_interval": cost.compute_interval,
        "dram_cycles": cost.dram_cycles,
        "model_interval": cost.interval,
        "binding": cost.binding,
        "model_fps": board.clock_hz / cost.interval,
        "sim_cycles_per_frame": report.cycles_per_frame,
        "sim_over_model": report.cycles_per_frame / cost.interval if report.cycles_per_frame else None,
        "dram_mb_per_frame": dram_traffic(func, board).total / 1e6,
        "resources": {"dsp": res.dsp, "bram18": res.bram18, "uram": res.uram, "lut": res.lut, "ff": res.ff},
        "search_s": round(search, 1),
        "sim_s": round(sim, 1),
    }


def throughput(board: str, ratios: list[float], cache: Path, bandwidth_gbps: float = 0.0) -> list[dict]:
    path = large_model("resnet18", cache)
    board, board_file = board_setting(board, bandwidth_gbps, cache / "boards")
    rows = [placed_design(path, board, False, 1.0, board_file)]
    for ratio in ratios:
        rows.append(placed_design(path, board, True, ratio, board_file))
    base = rows[0]["model_interval"]
    for row in rows:
        row["speedup_model"] = base / row["model_interval"]
        if row["sim_cycles_per_frame"] and rows[0]["sim_cycles_per_frame"]:
            row["speedup_sim"] = rows[0]["sim_cycles_per_frame"] / row["sim_cycles_per_frame"]
    return rows


def _compressed_row(module, weights, x, labels, reference, ratio) -> dict:
    """Accuracy, agreement, weight error and memory of a compressed digits network."""
    from fpga_opt.backend.sim import run_functional
    from fpga_opt.dialects import ovsf
    from fpga_opt.dialects.dataflow import WeightsGeneratorOp, consumer_of
    from fpga_opt.dialects.dataflow.weights import weight_shape
    from fpga_opt.passes.analysis.placement import weight_layers

    out = run_functional(module, weights, x)[-1].reshape(len(x), -1).argmax(axis=1)
    errors = []
    memory = original = 0
    generated = set()
    for gen in [op for op in module.walk() if isinstance(op, WeightsGeneratorOp)]:
        layer = consumer_of(gen)
        generated.add(layer)
        w = np.asarray(weights[gen.source.data]).astype(np.int64).reshape(weight_shape(layer))
        form = gen.compress(w)
        errors.append(ovsf.approximation_error(w, gen.reconstruct(w)))
        memory += ovsf.memory_bits(form, gen.coefficient_bits)
        original += w.size * 8
    func = next(op for op in module.walk() if isinstance(op, FuncOp))
    for layer in weight_layers(func):  # layers left on chip count at their int8 size
        if layer not in generated:
            size = int(np.prod(weight_shape(layer))) * 8
            memory += size
            original += size
    return {
        "ratio": ratio,
        "accuracy": float(np.mean(out == labels)),
        "agreement": float(np.mean(out == reference)),
        "error": float(np.mean(errors)) if errors else 0.0,
        "memory_ratio": memory / original,
    }


def accuracy(ratios: list[float], budget: float = 0.0) -> list[dict]:
    """Each ratio for every layer, then (budget > 0) each layer's ratio chosen under the accuracy budget."""
    import subprocess
    import tempfile

    from fpga_opt.backend.sim import run_functional
    from fpga_opt.dialects import make_context
    from fpga_opt.dialects.parsing import load_module
    from fpga_opt.dialects.weights import WeightStore
    from fpga_opt.frontend.onnx_import import import_onnx
    from fpga_opt.passes.compress_weights import BUDGET_ATTR, CompressWeightsPass

    data_path = REPO / "examples" / "early_exit" / "digits_test.npz"
    data = np.load(data_path)
    x, labels = data["x"], data["y"]
    model = REPO / "examples" / "early_exit" / "digits_blenet_int8.onnx"
    imported = import_onnx(model)
    weights = dict(imported.weights)
    reference = run_functional(imported.module, weights, x)[-1].reshape(len(x), -1).argmax(axis=1)
    rows = [{"ratio": "int8 (none)", "accuracy": float(np.mean(reference == labels)), "agreement": 1.0, "error": 0.0}]
    for ratio in ratios:
        module = import_onnx(model).module
        CompressWeightsPass(ratio=ratio).apply(make_context(), module)
        rows.append(_compressed_row(module, weights, x, labels, reference, ratio))
    if budget > 0:
        with tempfile.TemporaryDirectory() as folder:
            ir = Path(folder) / "digits.mlir"
            fpga_opt = Path(sys.executable).parent / "fpga-opt"
            subprocess.run([str(fpga_opt), str(model), "-o", str(ir)], check=True)
            module = load_module(ir)
            t0 = time.perf_counter()
            CompressWeightsPass(data=str(data_path), budget=budget, weights_dir=folder).apply(make_context(), module)
            seconds = time.perf_counter() - t0
            row = _compressed_row(module, WeightStore.for_module(module, folder), x, labels, reference, "per layer")
        record = module.attributes[BUDGET_ATTR].data
        row.update(budget=budget, trials=record["trials"].value.data, search_s=round(seconds, 1))
        rows.append(row)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="kv260")
    parser.add_argument("--ratios", default="0.125,0.25,0.5")
    parser.add_argument(
        "--bandwidth-gbps",
        type=float,
        default=4.8,
        help="the board's DRAM peak for part 1 (default 4.8: a constrained-bandwidth setting where ResNet-18's "
        "streamed weights bind on a KV260, as unzipFPGA evaluates; 0: the board's own)",
    )
    parser.add_argument("--accuracy-ratios", default="0.125,0.25,0.5,0.75,1.0")
    parser.add_argument(
        "--budget",
        type=float,
        default=0.02,
        help="also choose each layer's ratio under this top-1 accuracy budget (compress-weights{data=...}); 0: skip",
    )
    parser.add_argument("--cache", default=str(REPO / "build" / "models"), help="where the large models are built")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    ratios = [float(r) for r in args.ratios.split(",") if r]
    result: dict = {"board": args.board}
    if not args.skip_throughput:
        rows = throughput(args.board, ratios, Path(args.cache), args.bandwidth_gbps)
        result["throughput"] = rows
        result["bandwidth_gbps"] = args.bandwidth_gbps or None
        setting = f" at {args.bandwidth_gbps:g} GB/s peak" if args.bandwidth_gbps else ""
        print(
            f"ResNet-18 int8 224x224 on {args.board}{setting}: DRAM streaming vs on-chip OVSF generation (same budget)"
        )
        header = ["design", "ratio", "compute", "DRAM", "binds", "model FPS", "sim/model", "speed-up", "DRAM MB/f",
                  "DSP", "BRAM18", "URAM", "LUT", "placement"]  # fmt: skip
        table = [
            [
                r["design"], f"{r['ratio'] if r['ratio'] else '-'}", f"{r['compute_interval']}", f"{r['dram_cycles']}",
                r["binding"], f"{r['model_fps']:.1f}", f"{(r['sim_over_model'] or 0):.3f}", f"{r['speedup_model']:.2f}x",
                f"{r['dram_mb_per_frame']:.1f}", *(f"{r['resources'][k]}" for k in ("dsp", "bram18", "uram", "lut")),
                f"{r['placements']}",
            ]
            for r in rows
        ]  # fmt: skip
        print(render(header, table, right={1, 2, 3, *range(5, 13)}))
    rows = accuracy([float(r) for r in args.accuracy_ratios.split(",") if r], args.budget)
    result["accuracy"] = rows
    print("\nDigits (scikit-learn, 540 held-out images), final exit, every conv and linear compressed at one ratio;")
    print(f"'per layer': each layer's ratio chosen under a {args.budget:g} accuracy budget (others on chip):")
    header = ["ratio", "accuracy", "agreement", "weight L2 error", "memory/int8"]
    table = [
        [f"{r['ratio']!s}", f"{r['accuracy']:.3f}", f"{r['agreement']:.3f}", f"{r['error']:.3f}",
         f"{r.get('memory_ratio', 1.0):.3f}"]
        for r in rows
    ]  # fmt: skip
    print(render(header, table, right=set(range(5))))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
