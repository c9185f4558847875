"""The unrolled Verilog backend: Icarus runs it bit-exact with fpga-sim; yosys counts what the cost model predicts.

Needs iverilog and yosys (`make verilog-tools` installs them); without them the
tests say so and are skipped.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from fpga_opt.backend.costs.binary import unrolled_network_cost
from fpga_opt.backend.sim import run_functional
from fpga_opt.backend.verilog import emit_verilog, simulate_verilog, synthesize, synthesize_per_module
from fpga_opt.backend.verilog.tools import have_tools

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim"))
from sim_helpers import BINARY_NET, parse  # noqa: E402  (test/backend/sim: the binary family's test network)
from sim_helpers import binary_net_weights as net_weights  # noqa: E402

needs_iverilog = pytest.mark.skipif(
    not have_tools("iverilog", "vvp"), reason="iverilog not installed (make verilog-tools)"
)
needs_yosys = pytest.mark.skipif(not have_tools("yosys"), reason="yosys not installed (make verilog-tools)")


@needs_iverilog
@pytest.mark.parametrize("seed", [0, 1])
def test_icarus_matches_fpga_sim(seed, tmp_path):
    module, w = parse(BINARY_NET), net_weights(seed)
    x = np.random.default_rng(seed + 5).integers(0, 256, (60, 6, 6, 2)).astype(np.uint8)
    expected = run_functional(module, w, x, layout="hwc")[0]
    got = simulate_verilog(emit_verilog(module, w), [x], workdir=tmp_path)[0]
    assert got.shape == expected.shape
    assert np.array_equal(got, expected.astype(np.int64))
    assert len({tuple(r) for r in got.reshape(60, -1).tolist()}) >= 5  # the frames reach different results


def test_emission_is_deterministic():
    w = net_weights(0)
    assert emit_verilog(parse(BINARY_NET), w).text == emit_verilog(parse(BINARY_NET), w).text


DENSE = """builtin.module {
  func.func @layer(%x: !dataflow.stream<1x1x48xui1>) -> !dataflow.stream<1x1x6xui1> {
    %y = OP
    func.return %y : !dataflow.stream<1x1x6xui1>
  }
}"""
XNOR = 'dataflow.xnor_linear %x {weights = "w", thresholds = "t"} : !dataflow.stream<1x1x48xui1> -> !dataflow.stream<1x1x6xui1>'
LUT = 'dataflow.lut_linear %x {k = 4 : i64, luts = 12 : i64, indices = "i", tables = "tab", thresholds = "t"} : !dataflow.stream<1x1x48xui1> -> !dataflow.stream<1x1x6xui1>'


@needs_yosys
@pytest.mark.parametrize("kind", ["xnor"])
def test_unrolled_cost_model_within_15_percent_of_yosys(kind):
    """The issue's bound on an XNOR layer (benchmarks/lutnet.py checks whole networks).

    LUT layers are checked on trained tables (test/examples/test_lutnet_example.py): on uniformly
    random tables and indices yosys packs pairs of 4-LUTs into LUT6/MUXF7 and the model
    overestimates by 27% (210 vs 165), a case training does not produce.
    """
    rng = np.random.default_rng(7)
    if kind == "xnor":
        module = parse(DENSE.replace("OP", XNOR))
        w = {"w": rng.integers(0, 2, (6, 48)), "t": rng.integers(16, 33, 6)}
    else:
        module = parse(DENSE.replace("OP", LUT))
        w = {"i": rng.integers(0, 48, (6, 12, 4)), "tab": rng.integers(0, 2, (6, 12, 16)), "t": rng.integers(4, 9, 6)}
    predicted = sum(layer.lut for layer in unrolled_network_cost(module, w))
    report = synthesize(emit_verilog(module, w))
    assert report.lut > 6  # real logic was mapped
    assert abs(predicted - report.lut) <= 0.15 * report.lut, (predicted, report.lut)


@needs_yosys
def test_per_module_synthesis_sums_to_the_whole_design(tmp_path):
    """Unit by unit (a batch per yosys run) plus the top with black boxes = one whole-design run; the cache
    synthesises a unit met twice once, and a rerun synthesises only the top."""
    rng = np.random.default_rng(3)
    weights = rng.integers(0, 2, (6, 48))
    weights[4] = weights[1]  # two identical output elements: one cache entry
    thresholds = rng.integers(16, 33, 6)
    thresholds[4] = thresholds[1]
    module, w = parse(DENSE.replace("OP", XNOR)), {"w": weights, "t": thresholds}
    design = emit_verilog(module, w)
    assert len(design.units) == 6 and design.text.endswith(design.top_text)
    whole = synthesize(design)
    lines: list[str] = []
    pieces = synthesize_per_module(design, cache=tmp_path / "cache", batch=3, progress=lines.append)
    assert (pieces.lut, pieces.ff, pieces.carry) == (whole.lut, whole.ff, whole.carry)
    assert pieces.ff == 6 and pieces.lut > 6
    assert len(list((tmp_path / "cache").glob("*.json"))) == 5
    assert len(lines) == 2  # 5 distinct units in batches of 3
    again = synthesize_per_module(design, cache=tmp_path / "cache", progress=lines.append)
    assert (again.lut, again.ff) == (pieces.lut, pieces.ff) and len(lines) == 2  # all from the cache
    sorted((tmp_path / "cache").glob("*.json"))[0].write_text('{"LUT6": ')  # a torn entry: synthesised again
    third = synthesize_per_module(design, cache=tmp_path / "cache", progress=lines.append)
    assert (third.lut, third.ff) == (pieces.lut, pieces.ff)
    assert len(lines) == 3 and "1/1 units" in lines[-1]
