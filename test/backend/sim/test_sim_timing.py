"""Streaming timing: rates from the cost model, back-pressure, fork/join stalls, deadlocks, reports."""

from __future__ import annotations

import numpy as np
import pytest
from sim_helpers import module_text, parse, s

from fpga_opt.backend.sim import elaborate, simulate, simulate_timing
from fpga_opt.dialects.errors import FpgaOptError

RQ = "#dataflow.requant<multiplier = 1, shift = 7>"
RELU_RQ = "#dataflow.requant<multiplier = 1, shift = 7, min = 0>"


def conv(name, x, h, c_in, c_out, *, k=3, stride=1, fold="", skip=None, side=None, extra=""):
    pad = k // 2
    ho = (h + 2 * pad - k) // stride + 1
    operands = x + (f", {skip}" if skip else "")
    in_t = s(h, h, c_in) + (f", {s(ho, ho, c_out)}" if skip else "")
    out_t = s(ho, ho, c_out) + (f", {s(ho, ho, side)}" if side else "")
    results = f"%{name}" + (f", %{name}_side" if side else "")
    epilogue = f"requant = {RQ}" + (f", skip_requant = {RELU_RQ}" if skip else "")
    return (
        f'  {results} = dataflow.conv {operands} {{layer = "{name}", kernel = array<i64: {k}, {k}>, '
        f"stride = array<i64: {stride}, {stride}>, pad = array<i64: {pad}, {pad}, {pad}, {pad}>, "
        f'weights = "{name}.w", weight_type = i8, {epilogue}{fold}{extra}}} : ({in_t}) -> ({out_t})\n'
    )


def residual_block(depth: int, h: int = 8, c: int = 4, fold: str = "") -> str:
    """fork -> conv3x3 -> conv3x3 -> add <- buffer(depth) <- fork: the skip FIFO must cover the long branch."""
    t = s(h, h, c)
    body = (
        f'  %f:2 = dataflow.fork %x {{layer = "fork"}} : {t} -> {t}, {t}\n'
        + conv("conv0", "%f#0", h, c, c, fold=fold)
        + conv("conv1", "%conv0", h, c, c, fold=fold)
        + f'  %b = dataflow.buffer %f#1 {{layer = "skip", depth = {depth} : i64}} : {t} -> {t}\n'
        + f'  %a = dataflow.add %conv1, %b {{layer = "add", requant = {RELU_RQ}}} : {t}, {t} -> {t}\n'
        + f"  func.return %a : {t}"
    )
    return module_text(body, f"%x: {t}", t)


def fused_block(depth: int, h: int = 8, c: int = 4) -> str:
    """The form minimize-residual-buffers writes: conv0's side result is the skip stream of conv1."""
    t = s(h, h, c)
    body = (
        conv("conv0", "%x", h, c, c, side=c)
        + f'  %b = dataflow.buffer %conv0_side {{layer = "skip", depth = {depth} : i64}} : {t} -> {t}\n'
        + conv("conv1", "%conv0", h, c, c, skip="%b")
        + f"  func.return %conv1 : {t}"
    )
    return module_text(body, f"%x: {t}", t)


def timing(text: str, **kw):
    return simulate_timing(elaborate(parse(text)), **kw)


# --------------------------------------------------------------------------
# The residual-block deadlock
# --------------------------------------------------------------------------


def test_shallow_skip_fifo_deadlocks_with_names():
    report = timing(residual_block(16), frames=3)
    dl = report.deadlock
    assert dl is not None
    assert report.cycles_per_frame is None
    message = dl.message()
    assert message.startswith(f"deadlock at cycle {round(dl.cycle)}: ")
    # the fork is blocked by the full skip FIFO, the long branch and the add are starved
    assert ("fork", "cannot write to full FIFO", "'fork -> skip -> add' (16/16 elements)") in dl.waits
    starved = {p for p, how, _ in dl.waits if how == "waits on empty FIFO"}
    assert {"conv0 (window)", "conv1 (window)", "add"} <= starved
    assert dl.full == ["'fork -> skip -> add' (16/16)"]
    # the loop of waits closes: fork waits on add, add on conv1, ..., conv0's window on the fork
    assert [p for p, _, _ in dl.loop] == ["fork", "add", "conv1", "conv1 (window)", "conv0", "conv0 (window)"]
    assert dl.cycle < 200  # found at once, not after a timeout


def test_deep_enough_skip_fifo_runs_at_full_rate():
    report = timing(residual_block(128), frames=6)
    assert report.deadlock is None
    assert report.cycles_per_frame == pytest.approx(report.model_cycles_per_frame, rel=1e-3)
    skip = next(o for o in report.ops if o.name == "skip")
    assert skip.fifo_capacity == 128
    assert 0 < skip.max_fifo_occupancy <= 128


def test_minimum_skip_depth_is_the_long_branch_lead():
    """Two 3x3 'same' convs on 8x8x4: each holds (W+2)+1 padded positions = one row + 2 pixels of lead."""
    ok = [d for d in range(40, 120, 4) if timing(residual_block(d), frames=3).deadlock is None]
    assert ok and 64 <= min(ok) <= 96


def test_fused_block_needs_one_row_and_two_pixels_of_skip():
    h, c = 8, 4
    lead = (h + 2) * c  # the window centre (i, j) waits until pixel (i+1, j+1) is in: W + 2 pixels
    assert timing(fused_block(lead - 2 * c), frames=3).deadlock is not None
    report = timing(fused_block(lead + c), frames=6)
    assert report.deadlock is None
    assert report.cycles_per_frame == pytest.approx(report.model_cycles_per_frame, rel=1e-3)


# --------------------------------------------------------------------------
# Agreement with the analytical model
# --------------------------------------------------------------------------

FOLDINGS = {
    "default": "",
    "folded": ", coarse_in = 2 : i64, coarse_out = 4 : i64, fine = 3 : i64",
}


def chain_net(fold: str) -> str:
    t8, t16 = s(8, 8, 8), s(8, 8, 16)
    body = (
        conv("c0", "%x", 8, 8, 16, fold=fold)
        + conv("c1", "%c0", 8, 16, 16, fold=fold)
        + conv("c2", "%c1", 8, 16, 8, k=1, fold=fold.replace(", fine = 3 : i64", ""))
        + f"  func.return %c2 : {t8}"
    )
    del t16
    return module_text(body, f"%x: {t8}", t8)


def classifier_net(fold: str) -> str:
    t = s(8, 8, 4)
    lin_fold = ", coarse_in = 4 : i64, coarse_out = 2 : i64" if fold else ""
    body = (
        conv("c0", "%x", 8, 4, 8, fold=fold)
        + f'  %p = dataflow.pool %c0 {{layer = "pool", mode = "max", kernel = array<i64: 2, 2>, '
        f"stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>}} : {s(8, 8, 8)} -> {s(4, 4, 8)}\n"
        + conv("c1", "%p", 4, 8, 8, fold=fold)
        + f'  %g = dataflow.global_pool %c1 {{layer = "gap", mode = "avg", requant = {RQ}}} : '
        f"{s(4, 4, 8)} -> {s(1, 1, 8)}\n"
        + f'  %l = dataflow.linear %g {{layer = "fc", weights = "fc.w", weight_type = i8, requant = {RQ}'
        f"{lin_fold}}} : {s(1, 1, 8)} -> {s(1, 1, 10)}\n" + f"  func.return %l : {s(1, 1, 10)}"
    )
    return module_text(body, f"%x: {t}", s(1, 1, 10))


NETWORKS = {
    "chain": chain_net,
    "classifier": classifier_net,
    "residual": lambda fold: residual_block(256, fold=fold),
}


@pytest.mark.parametrize("folding", FOLDINGS)
@pytest.mark.parametrize("name", NETWORKS)
def test_decoupled_design_matches_the_analytical_model(name, folding):
    """With FIFOs deep enough to decouple the layers, the interval is the slowest layer's cycles."""
    report = timing(NETWORKS[name](FOLDINGS[folding]), frames=6, fifo_depth=None)
    assert report.deadlock is None
    assert report.cycles_per_frame == pytest.approx(report.model_cycles_per_frame, rel=0.05)


@pytest.mark.parametrize("folding", FOLDINGS)
@pytest.mark.parametrize("name", NETWORKS)
def test_default_fifos_match_the_model_on_small_networks(name, folding):
    """These small networks have one clear bottleneck, so depth-2 FIFOs lose < 5% too; never faster."""
    report = timing(NETWORKS[name](FOLDINGS[folding]), frames=6)
    assert report.deadlock is None
    ratio = report.cycles_per_frame / report.model_cycles_per_frame
    assert 0.995 <= ratio <= 1.05


def test_shallow_fifo_in_front_of_a_folded_linear_serialises_the_layers():
    """A linear with 36 output folds reads its input vector during its first fold only (FINN's MVAU).
    An equally slow conv in front of it, behind a 2-word FIFO, is blocked for the other 35 folds:
    the interval nearly doubles.  A FIFO of one frame (64 elements) restores the model's interval,
    which assumes every layer decoupled from its neighbours."""
    t = s(4, 4, 4)

    def net(depth):
        buffered = f"  %b = dataflow.buffer %c0 {{depth = {depth} : i64}} : {t} -> {t}\n" if depth else ""
        src = "%b" if depth else "%c0"
        body = (
            conv("c0", "%x", 4, 4, 4)  # 16 windows x 4*4*9 MACs = 2304 cycles
            + buffered
            + f'  %l = dataflow.linear {src} {{layer = "fc", weights = "fc.w", weight_type = i8, requant = {RQ}}}'
            f" : {t} -> {s(1, 1, 36)}\n"  # 36 folds x 64 inputs = 2304 cycles
             + f"  func.return %l : {s(1, 1, 36)}"
        )
        return module_text(body, f"%x: {t}", s(1, 1, 36))

    shallow = timing(net(0), frames=6)
    deep = timing(net(64), frames=6)
    assert shallow.model_cycles_per_frame == deep.model_cycles_per_frame == 2304
    assert deep.cycles_per_frame == pytest.approx(2304, rel=0.01)
    assert shallow.cycles_per_frame > 1.8 * 2304
    fc = next(o for o in shallow.ops if o.name == "fc")
    c0 = next(o for o in shallow.ops if o.name == "c0")
    assert c0.blocked_pct > 40 and fc.starved_pct > 40


# --------------------------------------------------------------------------
# Processes, FIFOs, reports
# --------------------------------------------------------------------------


def test_fork_runs_at_its_slowest_branch():
    t = s(8, 8, 4)
    body = (
        f'  %f:2 = dataflow.fork %x {{layer = "fork"}} : {t} -> {t}, {t}\n'
        + conv("slow", "%f#0", 8, 4, 4)
        + f'  %r = dataflow.activation %f#1 {{layer = "fast", activation = #dataflow.act<kind = "relu">}} : '
        f"{t} -> {t}\n" + f"  func.return %slow, %r : {t}, {t}"
    )
    report = timing(module_text(body, f"%x: {t}", f"{t}, {t}"), frames=6)
    ops = {o.name: o for o in report.ops}
    assert report.cycles_per_frame == pytest.approx(ops["slow"].model_cycles, rel=1e-3)
    # the fast branch is held back by the fork, which the slow branch blocks
    assert ops["fork"].blocked_pct > 90
    assert ops["fast"].starved_pct > 90


def test_join_stalls_the_early_input():
    """concat of a fast and a slow branch: the fast branch's FIFO fills and blocks its producer."""
    t = s(4, 4, 4)
    body = (
        conv("slow", "%x", 4, 4, 4)
        + f'  %r = dataflow.activation %y {{layer = "fast", activation = #dataflow.act<kind = "relu">}} : '
        f"{t} -> {t}\n"
        + f'  %c = dataflow.concat %slow, %r {{layer = "cat"}} : ({t}, {t}) -> ({s(4, 4, 8)})\n'
        + f"  func.return %c : {s(4, 4, 8)}"
    )
    report = timing(module_text(body, f"%x: {t}, %y: {t}", s(4, 4, 8)), frames=4)
    ops = {o.name: o for o in report.ops}
    assert ops["fast"].blocked_pct > 80
    assert ops["fast"].max_fifo_occupancy is None  # fed by an ideal input
    fifo = next(f for f in report.fifos if f.name == "fast -> cat")
    assert fifo.max_occupancy == pytest.approx(fifo.capacity)


def test_unused_results_and_implicit_fan_out_do_not_block():
    t = s(4, 4, 4)
    body = (
        conv("c0", "%x", 4, 4, 4, side=4)
        + f'  %a = dataflow.add %c0, %c0 {{layer = "twice"}} : {t}, {t} -> {t}\n'
        + f"  func.return %a : {t}"
    )
    report = timing(module_text(body, f"%x: {t}", t), frames=4)
    assert report.deadlock is None
    assert report.cycles_per_frame == pytest.approx(report.model_cycles_per_frame, rel=1e-3)


def test_single_conv_latency_is_its_pipeline_depth():
    t_in, t_out = s(8, 8, 8), s(8, 8, 16)
    text = module_text(conv("c0", "%x", 8, 8, 16) + f"  func.return %c0 : {t_out}", f"%x: {t_in}", t_out)
    report = timing(text, frames=3)
    assert report.latency_cycles == pytest.approx(report.model_latency_cycles, rel=0.05)


def test_latency_grows_along_a_chain_and_is_measured_from_cycle_0():
    one = timing(chain_net(""), frames=3)
    assert one.latency_cycles > 0
    assert one.latency_cycles < one.frame_done_cycles[0]


@pytest.mark.parametrize("resolution", ["coarse", "row", "fine", "exact"])
def test_resolutions_agree_on_a_uniform_chain(resolution):
    report = timing(chain_net(FOLDINGS["folded"]), frames=6, resolution=resolution)
    assert report.cycles_per_frame == pytest.approx(report.model_cycles_per_frame, rel=0.02)


def test_interval_is_stable_in_the_number_of_frames():
    a = timing(residual_block(128), frames=4).cycles_per_frame
    b = timing(residual_block(128), frames=16).cycles_per_frame
    assert a == pytest.approx(b, rel=0.01)


def test_report_fields_and_fps():
    report = simulate(parse(residual_block(128)), frames=5, clock_mhz=250.0).timing
    d = report.as_dict()
    for key in (
        "cycles_per_frame",
        "latency_cycles",
        "fps",
        "clock_mhz",
        "frames",
        "ops",
        "fifos",
        "deadlock",
        "model_cycles_per_frame",
        "model_latency_cycles",
        "frame_done_cycles",
    ):
        assert key in d
    assert d["frames"] == 5 and len(d["frame_done_cycles"]) == 5
    assert d["fps"] == pytest.approx(250e6 / d["cycles_per_frame"], rel=1e-4)
    conv0 = next(o for o in d["ops"] if o["name"] == "conv0")
    assert set(conv0) >= {"busy_pct", "stall_pct", "starved_pct", "blocked_pct", "max_fifo_occupancy", "window"}
    assert 0 <= conv0["busy_pct"] <= 100 and conv0["busy_pct"] + conv0["stall_pct"] <= 100.001


def test_clock_from_the_module_attribute():
    text = residual_block(128).replace("builtin.module {", "builtin.module attributes {dataflow.clock_mhz = 300.0} {")
    assert timing(text, frames=3).clock_mhz == 300.0
    assert timing(residual_block(128), frames=3).clock_mhz == 200.0


def test_bad_arguments_are_user_errors():
    net = elaborate(parse(residual_block(128)))
    with pytest.raises(FpgaOptError, match="frames must be at least 1"):
        simulate_timing(net, frames=0)
    with pytest.raises(FpgaOptError, match="unknown timing resolution"):
        simulate_timing(net, resolution="pixel")


def test_timing_does_not_need_weights_or_inputs():
    result = simulate(parse(residual_block(128)))
    assert result.outputs is None
    assert result.timing.frames == 8


def test_simulate_runs_outputs_and_timing_together():
    rng = np.random.default_rng(0)
    t = s(4, 4, 2)
    w = rng.integers(-50, 50, (2, 2, 3, 3))
    text = module_text(conv("c0", "%x", 4, 2, 2) + f"  func.return %c0 : {t}", f"%x: {t}", t, {"c0.w": (w, "i8")})
    xs = rng.integers(-128, 128, (3, 2, 4, 4)).astype(np.int8)
    result = simulate(parse(text), None, xs, frames=4)
    assert result.outputs[0].shape == (3, 4, 4, 2)
    assert result.timing.frames == 4 and result.deadlock is None


def test_frames_without_line_buffer_overlap():
    """Like backend/hls/sliding_window.h: a frame's tail emits windows without reading; decoupled
    designs still run at the model's interval, two chained convs behind 2-word FIFOs lose the fill."""
    text = chain_net("")
    deep = timing(text, frames=6, fifo_depth=None, frame_overlap=False)
    assert deep.cycles_per_frame == pytest.approx(deep.model_cycles_per_frame, rel=0.01)
    assert deep.as_dict()["frame_overlap"] is False
    shallow = timing(text, frames=6, frame_overlap=False)
    overlapped = timing(text, frames=6)
    assert shallow.cycles_per_frame >= overlapped.cycles_per_frame * 0.999


def test_paced_inputs_run_at_the_pace_and_bound_the_fifos():
    """`input_interval` offers each input at one frame per that many cycles, as a paced DMA (size-fifos'
    measurement).  A network faster than the pace runs at the pace.  The linear (72 output folds) is the
    slowest layer: with ideal inputs the unbounded FIFO in front of it grows frame after frame; with the
    inputs paced at its rate it holds one frame (64 elements) however long the run."""
    t = s(4, 4, 4)
    fc = f'{{layer = "fc", weights = "fc.w", weight_type = i8, requant = {RQ}}}'
    body = (
        conv("c0", "%x", 4, 4, 4)
        + f"  %l = dataflow.linear %c0 {fc} : {t} -> {s(1, 1, 72)}\n"
        + f"  func.return %l : {s(1, 1, 72)}"
    )
    text = module_text(body, f"%x: {t}", s(1, 1, 72))

    def in_front_of_fc(report) -> float:
        return next(f for f in report.fifos if f.consumer == "fc").max_occupancy

    ideal = {n: timing(text, frames=n, fifo_depth=None) for n in (4, 8)}
    interval = ideal[4].model_cycles_per_frame
    assert ideal[4].bottleneck == "fc"
    assert 64 < in_front_of_fc(ideal[4]) < in_front_of_fc(ideal[8])
    for n in (4, 8):
        paced = timing(text, frames=n, fifo_depth=None, input_interval=interval)
        assert paced.cycles_per_frame == pytest.approx(interval, rel=1e-9)
        assert in_front_of_fc(paced) == pytest.approx(64)
        assert [f.name for f in paced.fifos] == [f.name for f in ideal[n].fifos]  # the pacer is the input
    slow = timing(text, frames=4, fifo_depth=None, input_interval=3 * interval)
    assert slow.cycles_per_frame == pytest.approx(3 * interval, rel=1e-9)
    with pytest.raises(FpgaOptError, match="input interval must be positive"):
        timing(text, input_interval=0)
