"""The LUTNet example (examples/lutnet/) on its committed models, a small fast slice of benchmarks/lutnet.py.

* every model's fpga-sim accuracy on the 540 held-out digits is the one torch
  measured when training (models.json): the exported, imported and streamlined
  network is the trained one;
* the smallest LUTNet model's unrolled Verilog (Icarus) and tiled HLS project
  (g++ csim) agree with fpga-sim bit for bit on a slice of the held-out set;
* the LUTNet models trained with small initial tables really learned: their
  operators compute more than the XNOR of one input they started from;
* the unrolled cost model is within 15% of yosys on a slice of a trained LUT
  layer (the benchmark checks whole networks: minutes of synthesis each).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from fpga_opt.backend.verilog.tools import have_tools

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lutnet"
sys.path.insert(0, str(EXAMPLE))

import flow  # noqa: E402

SMALL = "cnv_lut_k2_p8750"
"""The CI configuration: the smallest LUTNet model (K=2, 87.5% pruned)."""


def test_models_json_lists_every_committed_model():
    assert set(flow.recorded()) == {p.stem for p in flow.MODELS.glob("*.onnx")}
    nets = {rec["network"] for rec in flow.recorded().values()}
    assert nets == {"lfc", "cnv"}
    for net in nets:  # each network has its baseline and at least one K=4 LUTNet model
        assert f"{net}_xnor" in flow.recorded()
        assert any(r["network"] == net and r["k"] == 4 for r in flow.recorded().values())


@pytest.mark.parametrize("name", sorted(flow.recorded()))
def test_fpga_sim_accuracy_is_the_trained_accuracy(name):
    x, y = flow.test_split()
    accuracy = flow.accuracy(flow.sim_logits(flow.compile_model(flow.MODELS / f"{name}.onnx"), x), y)
    print(f"{name}: fpga-sim accuracy {100 * accuracy:.2f}% on {len(y)} held-out digits")
    assert abs(accuracy - flow.recorded()[name]["torch_accuracy"]) <= 1e-4  # models.json keeps 4 digits
    assert accuracy > 0.7


LEARNED = sorted(n for n, r in flow.recorded().items() if r["k"] is not None and r.get("table_init_scale", 1) < 1)
"""The LUTNet models whose tables started at TABLE_INIT_SCALE < 1 (train.py): their tables must have learned."""


def test_the_k4_models_were_trained_with_small_initial_tables():
    assert any(flow.recorded()[n]["k"] == 4 for n in LEARNED)


@pytest.mark.parametrize("name", LEARNED)
def test_lut_tables_learned_more_than_xnors(name):
    """A quarter of the operators at least use two or more of their K inputs (the 1x tables: under 1%)."""
    share = flow.learned_share(flow.compile_model(flow.MODELS / f"{name}.onnx"))
    print(f"{name}: {100 * share:.1f}% of the LUT operators use two inputs or more")
    assert share is not None and share >= 0.25


@pytest.mark.skipif(not have_tools("iverilog", "vvp"), reason="iverilog not installed (make verilog-tools)")
def test_verilog_matches_fpga_sim_on_held_out_digits(tmp_path):
    model = flow.compile_model(flow.MODELS / f"{SMALL}.onnx")
    x, y = flow.test_split(60)
    expected = flow.sim_logits(model, x)
    got = flow.verilog_logits(model, x, workdir=tmp_path)
    assert np.array_equal(got, expected)
    assert flow.accuracy(got, y) > 0.6


@pytest.mark.slow
def test_tiled_hls_csim_matches_fpga_sim(tmp_path):
    from fpga_opt.backend.hls.csim import find_ap_types

    if find_ap_types() is None:
        pytest.skip("no ap_types headers (pip install --no-deps 'hls4ml==1.3.*')")
    model = flow.compile_model(flow.MODELS / f"{SMALL}.onnx")
    x, _ = flow.test_split(12)
    verdict = flow.csim_check(model, x, tmp_path / "hls")
    assert verdict.startswith("PASS"), verdict


@pytest.mark.skipif(not have_tools("yosys"), reason="yosys not installed (make verilog-tools)")
def test_cost_model_within_15_percent_of_yosys_on_a_trained_lut_layer():
    """Six outputs of lfc's trained LUT layer (128 inputs, 16 4-LUTs each), with their thresholds."""
    from xdsl.context import Context
    from xdsl.dialects.builtin import Builtin
    from xdsl.dialects.func import Func
    from xdsl.parser import Parser

    from fpga_opt.backend.costs.binary import unrolled_network_cost
    from fpga_opt.backend.verilog import emit_verilog, synthesize
    from fpga_opt.dialects import dataflow as df

    model = flow.compile_model(flow.MODELS / "lfc_lut_k4_p8750.onnx")
    lut = next(op for op in model.module.walk() if isinstance(op, df.LutLinearOp))
    tensors = df.load_binary_tensors(lut, model.weights)
    n, k, luts, outputs = lut.vector_length, lut.lut_inputs, lut.luts_per_output, 6
    text = f"""builtin.module {{
      func.func @slice(%x: !dataflow.stream<1x1x{n}xui1>) -> !dataflow.stream<1x1x{outputs}xui1> {{
        %y = dataflow.lut_linear %x {{k = {k} : i64, luts = {luts} : i64, indices = "i", tables = "tab", thresholds = "t"}} : !dataflow.stream<1x1x{n}xui1> -> !dataflow.stream<1x1x{outputs}xui1>
        func.return %y : !dataflow.stream<1x1x{outputs}xui1>
      }}
    }}"""
    ctx = Context()
    for dialect in (Builtin, Func, df.Dataflow):
        ctx.load_dialect(dialect)
    module = Parser(ctx, text).parse_module()
    w = {"i": tensors.indices[:outputs], "tab": tensors.tables[:outputs], "t": tensors.thresholds[:outputs]}
    predicted = sum(layer.lut for layer in unrolled_network_cost(module, w))
    report = synthesize(emit_verilog(module, w))
    print(f"cost model {predicted} LUTs, yosys {report.lut}")
    assert report.lut > outputs
    assert abs(predicted - report.lut) <= 0.15 * report.lut, (predicted, report.lut)


def test_the_claim_line_picks_the_fewest_luts_within_a_point():
    """benchmarks/lutnet.py's final figure: the K=4 model with the fewest LUTs among those within 1 point."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("lutnet_bench", EXAMPLE.parents[1] / "benchmarks" / "lutnet.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    recorded = {
        "n_xnor": {"network": "n", "k": None},
        "n_a": {"network": "n", "k": 4},
        "n_b": {"network": "n", "k": 4},
        "n_c": {"network": "n", "k": 2},
    }
    rows = [
        {"model": "n_xnor", "sim_accuracy": 0.90, "yosys_lut": 100},
        {"model": "n_a", "sim_accuracy": 0.895, "yosys_lut": 40},
        {"model": "n_b", "sim_accuracy": 0.885, "yosys_lut": 30},  # 1.5 points down: out
        {"model": "n_c", "sim_accuracy": 0.95, "yosys_lut": 10},  # K=2: not a K=4 configuration
    ]
    (best,) = bench.best_k4(rows, recorded)
    assert best["model"] == "n_a" and best["ratio"] == 2.5 and abs(best["points"] + 0.5) < 1e-9
    assert bench.best_k4(rows[1:], recorded) == []  # no baseline, no claim
