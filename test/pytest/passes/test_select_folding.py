"""select-folding: determinism, anneal vs greedy, budgets, objectives, refusals; estimate-resources consistency."""

import math

import pytest
from folding_helpers import TWO_CONVS, context, parse, print_ir

from fpga_opt.backend.costs import CostContext, analyse_network, design_ops
from fpga_opt.backend.target.boards import get_board
from fpga_opt.backend.target.resources import RESOURCE_NAMES
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes.analysis.annotations import ESTIMATE_ATTR
from fpga_opt.passes.analysis.folding_search import FoldingProblem
from fpga_opt.passes.estimate_resources import EstimateResourcesPass
from fpga_opt.passes.select_folding import SelectFoldingPass

# A small residual network with a depthwise conv, a pool and a classifier: enough choices to search.
NET = """
func.func @net(%x: !dataflow.stream<32x32x3xi8>) -> !dataflow.stream<1x1x10xi8> {
  %s = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "s.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, layer = "stem"} : (!dataflow.stream<32x32x3xi8>) -> !dataflow.stream<32x32x16xi8>
  %f:2 = dataflow.fork %s {layer = "fork"} : !dataflow.stream<32x32x16xi8> -> !dataflow.stream<32x32x16xi8>, !dataflow.stream<32x32x16xi8>
  %a = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "a.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, layer = "a"} : (!dataflow.stream<32x32x16xi8>) -> !dataflow.stream<32x32x16xi8>
  %d = dataflow.conv %a {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, groups = 16 : i64, weights = "d.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, layer = "dw"} : (!dataflow.stream<32x32x16xi8>) -> !dataflow.stream<32x32x16xi8>
  %b = dataflow.buffer %f#1 {depth = 600 : i64, layer = "skip"} : !dataflow.stream<32x32x16xi8> -> !dataflow.stream<32x32x16xi8>
  %r = dataflow.add %d, %b {requant = #dataflow.requant<multiplier = 1, shift = 1, min = 0>, layer = "add"} : !dataflow.stream<32x32x16xi8>, !dataflow.stream<32x32x16xi8> -> !dataflow.stream<32x32x16xi8>
  %c = dataflow.conv %r {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8, min = 0>, layer = "down"} : (!dataflow.stream<32x32x16xi8>) -> !dataflow.stream<16x16x32xi8>
  %p = dataflow.pool %c {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, layer = "pool"} : !dataflow.stream<16x16x32xi8> -> !dataflow.stream<8x8x32xi8>
  %g = dataflow.global_pool %p {mode = "avg", requant = #dataflow.requant<multiplier = 1, shift = 6>, layer = "gap"} : !dataflow.stream<8x8x32xi8> -> !dataflow.stream<1x1x32xi8>
  %y = dataflow.linear %g {weights = "fc.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, layer = "fc"} : !dataflow.stream<1x1x32xi8> -> !dataflow.stream<1x1x10xi8>
  func.return %y : !dataflow.stream<1x1x10xi8>
}
"""

BOARDS = ["pynqz2", "ultra96v2", "zc706", "kv260", "zcu102", "u250"]


def run(text, **options):
    module = parse(text)
    SelectFoldingPass(**options).apply(context(), module)
    module.verify()
    return module


def design(module, board, clock=None):
    b = get_board(board)
    return analyse_network(module, CostContext.for_board(b)), b


def foldings(module):
    return [op.folding() for op in design_ops(module)]


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("max_util", [0.85, 0.5, 0.2])
def test_fits_every_resource_within_max_util(board, max_util):
    try:
        module = run(NET, board=board, max_util=max_util)
    except FpgaOptError as error:
        assert "does not fit" in str(error)
        return
    net, b = design(module, board)
    for name in RESOURCE_NAMES:
        assert getattr(net.resources, name) <= math.floor(max_util * getattr(b, name) + 1e-9), name


@pytest.mark.parametrize("board", ["pynqz2", "kv260", "zcu102"])
def test_anneal_is_deterministic_for_a_seed(board):
    first = print_ir(run(NET, board=board, algorithm="anneal", seed=7))
    second = print_ir(run(NET, board=board, algorithm="anneal", seed=7))
    assert first == second
    assert print_ir(run(NET, board=board)) == print_ir(run(NET, board=board))


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_anneal_is_never_worse_than_greedy(board, seed):
    greedy, b = design(run(NET, board=board), board)
    anneal, _ = design(run(NET, board=board, algorithm="anneal", seed=seed), board)
    assert anneal.interval <= greedy.interval
    assert anneal.resources.fits(b, 0.85)


def test_greedy_balances_the_pipeline():
    """Both convs at 5,120 cycles (flattened passes: 60 and 116 multipliers, test/passes/select_folding.mlir)."""
    module = run(TWO_CONVS, board="pynqz2")
    net, _ = design(module, "pynqz2")
    cycles = {op.layer_name: c.cycles for op, c in net.layers.items()}
    assert cycles["conv1"] == cycles["conv2"] == net.interval == 5120


def test_search_totals_equal_a_full_analysis():
    """The incremental search's running totals are exactly what estimate-resources computes afterwards."""
    for board in ("pynqz2", "kv260"):
        module = parse(NET)
        b = get_board(board)
        problem = FoldingProblem(module, CostContext.for_board(b), b, 0.85)
        found = problem.greedy(problem.smallest_design("test"))
        problem.write(found)
        net = analyse_network(module, CostContext.for_board(b))
        assert tuple(net.resources.as_dict().values()) == found.total
        assert net.interval == problem.interval(found)


def test_objective_resources_meets_the_target_cheaply():
    fast = run(NET, board="kv260")
    fast_net, b = design(fast, "kv260")
    target = fast_net.fps(b.clock_mhz) / 4
    cheap = run(NET, board="kv260", objective="resources", target_fps=target)
    cheap_net, _ = design(cheap, "kv260")
    assert cheap_net.fps(b.clock_mhz) >= target
    assert cheap_net.resources.dsp < fast_net.resources.dsp
    assert cheap_net.resources.lut < fast_net.resources.lut


def test_throughput_with_a_target_stops_there():
    full, b = design(run(NET, board="zcu102"), "zcu102")
    target = full.fps(b.clock_mhz) / 8
    capped, _ = design(run(NET, board="zcu102", target_fps=target), "zcu102")
    assert capped.fps(b.clock_mhz) >= target
    assert capped.resources.dsp < full.resources.dsp


def test_clock_and_board_are_recorded():
    module = run(TWO_CONVS, board="k26", clock_mhz=300)
    assert module.attributes["dataflow.board"].data == "kv260"
    assert module.attributes["dataflow.clock_mhz"].value.data == 300.0
    EstimateResourcesPass().apply(context(), module)  # reads both back
    estimate = module.attributes[ESTIMATE_ATTR].data
    assert estimate["board"].data == "kv260" and estimate["clock_mhz"].value.data == 300.0


def test_refuses_what_cannot_fit_with_one_line():
    big = """
    func.func @big(%x: !dataflow.stream<8x8x256xi8>) -> !dataflow.stream<8x8x256xi8> {
      %y = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 9>} : (!dataflow.stream<8x8x256xi8>) -> !dataflow.stream<8x8x256xi8>
      func.return %y : !dataflow.stream<8x8x256xi8>
    }
    """
    module = parse(big)
    before = print_ir(module)
    with pytest.raises(FpgaOptError) as info:
        SelectFoldingPass(board="pynqz2").apply(context(), module)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("select-folding: design does not fit pynqz2 even at minimum folding: bram18 needs ")
    assert message.endswith("board allows 238 (85% of 280)")
    assert print_ir(module) == before  # nothing written


def test_repair_finds_a_design_when_all_ones_does_not_fit():
    """All-1 keeps a 4608-word weight memory in RAMB18s; a wider folding moves it to LUTRAM and fits."""
    text = """
    func.func @wide(%x: !dataflow.stream<4x4x64xi8>) -> !dataflow.stream<4x4x64xi8> {
      %y = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 9>} : (!dataflow.stream<4x4x64xi8>) -> !dataflow.stream<4x4x64xi8>
      func.return %y : !dataflow.stream<4x4x64xi8>
    }
    """
    module = parse(text)
    b = get_board("kv260")
    all_ones = analyse_network(module, CostContext.for_board(b)).resources
    assert all_ones.bram18 > 0
    # A board with no block RAM at all but plenty of LUTs.
    from dataclasses import replace

    tiny = replace(b, name="lut-only", bram18=0, uram=0)
    problem = FoldingProblem(module, CostContext.for_board(tiny), tiny, 0.85)
    start = problem.smallest_design("select-folding")
    assert problem.fits(start.total) and start.total[1] == 0
