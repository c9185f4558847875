"""Weight placement: IR links, DRAM shares, fpga-sim against the analytic model, place-weights, refusals."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.func import FuncOp
from xdsl.utils.exceptions import VerifyException

from fpga_opt.backend.sim import elaborate, run_functional, simulate_timing
from fpga_opt.backend.target.boards import get_board
from fpga_opt.dialects import make_context
from fpga_opt.dialects.dataflow import check_weight_links, weight_placement
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.frontend.onnx_import import import_onnx
from fpga_opt.passes.analysis.placement import placed_cost, set_placement, share_dram, weight_layers
from fpga_opt.passes.compress_weights import CompressWeightsPass
from fpga_opt.passes.place_weights import PlaceWeightsPass

MODELS = Path(__file__).resolve().parents[3] / "examples" / "models"


def _load(name: str):
    imported = import_onnx(MODELS / f"{name}.onnx")
    func = next(op for op in imported.module.walk() if isinstance(op, FuncOp))
    return imported.module, func, dict(imported.weights)


def _inputs(func, n=2, seed=0):
    h, w, c = func.body.block.args[0].type.dims
    return np.random.default_rng(seed).integers(-128, 128, (n, h, w, c)).astype(np.int8)


def _agree(module, func, board, fifo_depth):
    model = placed_cost(func, board).interval
    report = simulate_timing(elaborate(module), frames=6, fifo_depth=fifo_depth)
    assert report.deadlock is None, report.deadlock.message()
    return report.cycles_per_frame / model


SLOW = dataclasses.replace(get_board("kv260"), bandwidth_gbps=0.02)
SLOWER = dataclasses.replace(get_board("kv260"), bandwidth_gbps=0.001)


@pytest.mark.parametrize(
    "placements",
    [
        {-1: "dram"},  # the classifier streamed
        {0: "dram", 1: "dram", -1: "dram"},  # everything streamed
        {1: "generated", -1: "dram"},
        {0: "generated", 1: "generated"},
        {1: "generated-dram", -1: "dram"},  # coefficients read from DRAM (unzipFPGA's engine)
    ],
    ids=["fc-dram", "all-dram", "mixed", "generated", "generated-dram"],
)
@pytest.mark.parametrize("board", [get_board("kv260"), SLOW], ids=["kv260", "slow-dram"])
def test_sim_agrees_with_the_model_for_every_placement(placements, board):
    module, func, weights = _load("lenet5_int8")
    x = _inputs(func)
    reference = run_functional(module, weights, x, layout="hwc")
    layers = weight_layers(func)
    for index, placement in placements.items():
        kind, _, coefficients = placement.partition("-")
        set_placement(layers[index], kind, ratio=1.0, block=1, coef_bits=16, coefficients=coefficients or "onchip")
    share_dram(func, board)
    module.verify()
    check_weight_links(func)
    # streamed weights and exact generation (ratio 1, 16-bit coefficients) compute the same outputs
    out = run_functional(module, weights, x, layout="hwc")
    assert all(np.array_equal(a, b) for a, b in zip(out, reference, strict=True))
    # the decoupled design the model assumes (with 2-word FIFOs an imported design stalls on its own,
    # docs/simulator.md section 5, and a stream stalls when its layer waits for windows: measured, not asserted)
    assert _agree(module, func, board, None) == pytest.approx(1.0, abs=0.05)


def test_a_slow_dram_binds_and_shows_in_cycles_per_frame():
    module, func, _ = _load("lenet5_int8")
    set_placement(weight_layers(func)[-1], "dram")
    fast = share_dram(func, get_board("kv260"))
    compute = placed_cost(func, get_board("kv260")).compute_interval
    slow = share_dram(func, SLOWER)
    cost = placed_cost(func, SLOWER)
    assert cost.binding == "bandwidth" and cost.dram_cycles == slow.cycles > 10 * fast.cycles
    report = simulate_timing(elaborate(module), frames=4)
    assert report.cycles_per_frame > 2 * compute
    assert report.cycles_per_frame == pytest.approx(slow.cycles, rel=0.05)


def test_coefficients_in_dram_are_a_dram_port_and_cost_fewer_bytes_than_the_weights():
    module, func, _ = _load("lenet5_int8")
    layer = weight_layers(func)[1]
    streamed = set_placement(layer, "dram")
    weights_bytes = share_dram(func, SLOWER).streams[streamed]
    generator = set_placement(layer, "generated", ratio=0.25, block=1, coef_bits=8, coefficients="dram")
    traffic = share_dram(func, SLOWER)
    assert list(traffic.streams) == [generator] and generator.share > 0
    # 5x5 kernels per channel: L = 32, K = 8 codes of 8 + 5 bits for 25 int8 weights
    assert traffic.streams[generator] < 0.6 * weights_bytes
    cost = placed_cost(func, SLOWER)
    assert cost.binding == "bandwidth" and cost.dram_cycles == traffic.cycles
    report = simulate_timing(elaborate(module), frames=4)
    assert report.cycles_per_frame == pytest.approx(cost.interval, rel=0.05)


def _small_board(tmp_path, **keys) -> str:
    path = tmp_path / "small.toml"
    path.write_text('base = "kv260"\n' + "".join(f"{k} = {v}\n" for k, v in keys.items()))
    return str(path)


def test_place_weights_streams_what_does_not_fit(tmp_path):
    module, func, weights = _load("lenet5_int8")
    x = _inputs(func)
    reference = run_functional(module, weights, x, layout="hwc")
    board_file = _small_board(tmp_path, bram18=20, uram=0, lut=10000)
    PlaceWeightsPass(board_file=board_file).apply(make_context(), module)
    module.verify()
    placed = {layer.layer_name: weight_placement(layer) for layer in weight_layers(func)}
    assert "dram" in placed.values() and None in placed.values()
    out = run_functional(module, weights, x, layout="hwc")
    assert all(np.array_equal(a, b) for a, b in zip(out, reference, strict=True))
    board = dataclasses.replace(get_board("kv260"), bram18=20, uram=0, lut=10000)
    assert placed_cost(func, board).resources.bram18 <= int(0.85 * 20)
    assert _agree(module, func, board, None) == pytest.approx(1.0, abs=0.05)


def test_place_weights_keeps_a_design_that_fits_on_chip():
    module, func, _ = _load("lenet5_int8")
    PlaceWeightsPass(board="kv260").apply(make_context(), module)
    assert all(weight_placement(layer) is None for layer in weight_layers(func))


def test_bandwidth_refusal_names_what_binds(tmp_path):
    module, _, _ = _load("lenet5_int8")
    board_file = _small_board(tmp_path, bram18=20, uram=0, lut=10000, bandwidth_gbps=0.05)
    with pytest.raises(FpgaOptError, match=r"^place-weights: bandwidth: [0-9.]+ GB/s needed .* board gives 0\.0"):
        PlaceWeightsPass(board_file=board_file, target_fps=5000).apply(make_context(), module)


def test_a_design_that_fits_in_no_way_is_refused(tmp_path):
    module, _, _ = _load("resnet8_int8")
    board_file = _small_board(tmp_path, bram18=1, uram=0, lut=2000)
    with pytest.raises(FpgaOptError, match=r"place-weights: .*(lut|bram18) needs .*nothing else can be moved off chip"):
        PlaceWeightsPass(board_file=board_file).apply(make_context(), module)


def test_compress_weights_changes_outputs_below_ratio_one():
    module, func, weights = _load("lenet5_int8")
    x = _inputs(func, n=4)
    reference = run_functional(module, weights, x, layout="hwc")
    CompressWeightsPass(ratio=1.0, coef_bits=16).apply(make_context(), module)
    assert all(weight_placement(layer) == "generated" for layer in weight_layers(func))
    same = run_functional(module, weights, x, layout="hwc")
    assert all(np.array_equal(a, b) for a, b in zip(same, reference, strict=True))
    module2, func2, _ = _load("lenet5_int8")
    CompressWeightsPass(ratio=0.25).apply(make_context(), module2)
    lossy = run_functional(module2, weights, x, layout="hwc")
    assert not all(np.array_equal(a, b) for a, b in zip(lossy, reference, strict=True))


def test_links_are_checked():
    module, func, _ = _load("lenet5_int8")
    layer = weight_layers(func)[-1]
    layer.properties["weight_placement"] = type(layer.properties["weights"])("dram")
    with pytest.raises(FpgaOptError, match="no dataflow.weight_stream or dataflow.weights_generator provides"):
        check_weight_links(func)


def test_off_chip_convs_are_folded_in_whole_passes_only():
    """The burst reader and the generator send whole weight words: a padded pass (coarse_out not dividing the
    output channels, fine not dividing the kernel positions) is on-chip only, for the search and the verifier."""
    module, func, _ = _load("lenet5_int8")
    conv = weight_layers(func)[1]  # 5x5, 6 -> 16 channels
    space = conv.folding_space()
    names, configs = tuple(space), list(itertools.product(*space.values()))
    co, fine = names.index("coarse_out"), names.index("fine")

    def padded(config):
        return 16 % config[co] != 0 or 25 % config[fine] != 0

    assert any(padded(c) for c in conv.searched_foldings(names, configs))  # on chip: padded passes searched
    set_placement(conv, "dram")
    kept = conv.searched_foldings(names, configs)
    assert kept and not any(padded(c) for c in kept)
    conv.set_folding({"coarse_out": 5, "fine": 1})
    with pytest.raises(VerifyException, match="off-chip weights need whole passes: coarse_out = 5 must divide 16"):
        conv.verify()
