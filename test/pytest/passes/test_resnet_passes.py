"""merge-loops and minimize-residual-buffers: exact outputs, no deadlock, no lost throughput.

* The corpus ResNets (imported from examples/models by the ONNX frontend) give
  bit-identical outputs in `fpga-sim`'s functional model before and after the
  passes, on several random inputs.
* The timing simulation of the result never deadlocks and runs as fast as the
  same design with whole-tensor skip FIFOs, while FIFOs well below the computed
  depths deadlock (the depths are needed, not just sufficient).
* Unit checks of the pieces: the pixel-dependence analysis against DESIGN.md's
  formula, and the exactness of folding activations into requant bounds.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64

pytest.importorskip("onnx", reason="the ONNX frontend needs the onnx package")
import fpga_opt.backend.sim as sim  # noqa: E402
import fpga_opt.frontend.onnx_import as onnx_import  # noqa: E402
from fpga_opt.dialects.dataflow import ActivationAttr, BufferOp, ConvOp, RequantAttr  # noqa: E402
from fpga_opt.passes import load_pass  # noqa: E402
from fpga_opt.passes.analysis.residual import PixelDependence, skip_occupancy_pixels  # noqa: E402
from fpga_opt.passes.merge_loops import absorb_activation_into_requant, apply_requant, with_bounds  # noqa: E402

MODELS = Path(__file__).resolve().parents[3] / "examples" / "models"
RESNETS = ["resnet8_int8", "resnet20_int8"]


def _import(name: str):
    return onnx_import.import_onnx(MODELS / f"{name}.onnx")


_CACHE: dict[str, object] = {}


def imported(name: str):
    """A fresh copy of the imported model (the import itself is cached)."""
    if name not in _CACHE:
        _CACHE[name] = _import(name)
    model = _CACHE[name]
    return dataclasses.replace(model, module=model.module.clone())


def run_pipeline(module: ModuleOp, passes: list[tuple[str, dict]]) -> ModuleOp:
    for name, options in passes:
        load_pass(name)(**options).apply(Context(), module)
    module.verify()
    return module


def random_inputs(model, n: int, seed: int) -> np.ndarray:
    arg = model.func.body.block.args[0].type
    rng = np.random.default_rng(seed)
    if arg.is_integer:
        return rng.integers(-128, 128, size=(n, *arg.dims), dtype=np.int64).astype(np.int8)
    return rng.standard_normal((n, *arg.dims)).astype(np.float32)


def op_names(module: ModuleOp) -> list[str]:
    return [op.name for op in module.walk()]


MERGE = [("merge-loops", {})]
MINIMIZE = [("minimize-residual-buffers", {})]
SELECT = [("select-folding", {"board": "kv260"})]


# --------------------------------------------------------------------------------------
# Functional: bit-identical outputs
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RESNETS + ["resnet8"])
@pytest.mark.parametrize(
    "pipeline",
    [MERGE + MINIMIZE, MINIMIZE, MINIMIZE + MERGE],
    ids=["merge,minimize", "minimize", "minimize,merge"],
)
def test_outputs_unchanged(name, pipeline):
    model = imported(name)
    x = random_inputs(model, 4, seed=len(name))
    before = sim.run_functional(model.module, model.weights, x, layout="hwc")
    after_module = run_pipeline(model.module.clone(), pipeline)
    after = sim.run_functional(after_module, model.weights, x, layout="hwc")
    assert len(before) == len(after)
    for b, a in zip(before, after, strict=True):
        assert b.dtype == a.dtype and b.shape == a.shape
        if np.issubdtype(b.dtype, np.integer):
            np.testing.assert_array_equal(a, b)
        else:
            # fpga-sim evaluates a conv's epilogue in float64 and rounds once to f32, so a fused
            # skip add rounds once where conv + add rounded twice: equal to float32 precision.
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    names = op_names(after_module)
    assert "dataflow.buffer" in names  # the skip FIFOs are there
    if pipeline[0] == MERGE[0]:
        assert "dataflow.add" not in names
        assert "dataflow.fork" not in names  # forwards and merged downsamples replaced every fork


def test_merge_loops_shapes_resnet8():
    """ResNet-8: the three adds folded, the two 1x1 downsamples merged, one identity fork forwarded."""
    model = imported("resnet8_int8")
    module = run_pipeline(model.module, MERGE + MINIMIZE)
    convs = [op for op in module.walk() if isinstance(op, ConvOp)]
    assert len(convs) == 7  # stem + 3 blocks x 2
    assert sum(op.skip is not None for op in convs) == 3
    assert sum(op.side is not None and op.side_weights is not None for op in convs) == 2
    assert sum(op.has_forward for op in convs) == 1
    buffers = [op for op in module.walk() if isinstance(op, BufferOp)]
    assert len(buffers) == 3
    total = sum(op.depth.value.data for op in buffers)
    full = sum(op.output.type.numel for op in buffers)
    assert total < 0.10 * full


# --------------------------------------------------------------------------------------
# Timing: no deadlock, no lost throughput, and the depths are needed
# --------------------------------------------------------------------------------------


def with_buffers_scaled(module: ModuleOp, factor: float | None) -> ModuleOp:
    """A copy with every buffer at `factor` times its depth, or whole-tensor depth if factor is None."""
    copy = module.clone()
    for op in copy.walk():
        if isinstance(op, BufferOp):
            depth = op.output.type.numel if factor is None else max(1, int(op.depth.value.data * factor))
            op.depth = IntegerAttr(depth, i64)
    return copy


def cycles_per_frame(module: ModuleOp, weights) -> float:
    result = sim.simulate(module, weights, None, frames=3)
    assert result.deadlock is None, result.deadlock
    return result.cycles_per_frame


@pytest.mark.parametrize("name", RESNETS)
@pytest.mark.parametrize("merge", [False, True], ids=["unmerged", "merged"])
def test_timing_after_select_folding(name, merge):
    model = imported(name)
    passes = (SELECT + MERGE if merge else SELECT) + MINIMIZE
    module = run_pipeline(model.module, passes)
    sized = cycles_per_frame(module, model.weights)
    whole = cycles_per_frame(with_buffers_scaled(module, None), model.weights)
    assert sized <= whole * (1 + 1e-9)
    starved = sim.simulate(with_buffers_scaled(module, 0.5), model.weights, None, frames=3)
    assert starved.deadlock is not None


def test_timing_sized_before_select_folding():
    """Depths computed at the default folding stay deadlock-free and full-rate once folded."""
    model = imported("resnet8_int8")
    module = run_pipeline(model.module, MERGE + MINIMIZE + SELECT)
    assert cycles_per_frame(module, model.weights) <= cycles_per_frame(
        with_buffers_scaled(module, None), model.weights
    ) * (1 + 1e-9)


def test_timing_at_default_folding():
    model = imported("resnet8_int8")
    module = run_pipeline(model.module, MERGE + MINIMIZE)
    assert cycles_per_frame(module, model.weights) <= cycles_per_frame(
        with_buffers_scaled(module, None), model.weights
    ) * (1 + 1e-9)


# --------------------------------------------------------------------------------------
# Pieces
# --------------------------------------------------------------------------------------


def _two_conv_chain(h: int, w: int, c: int):
    from xdsl.dialects.builtin import i8
    from xdsl.ir import Block

    from fpga_opt.dialects.dataflow import StreamType

    t = StreamType((h, w, c), i8)
    block = Block(arg_types=[t])
    x = block.args[0]
    rq = RequantAttr(1, 6)
    convs = []
    value = x
    for i in range(2):
        conv = ConvOp(value, t, kernel=(3, 3), pad=(1, 1, 1, 1), weights=f"c{i}.w", weight_type=i8, requant=rq)
        block.add_op(conv)
        convs.append(conv)
        value = conv.output
    return x, convs


@pytest.mark.parametrize("h,w", [(8, 8), (32, 32), (16, 8)])
def test_pixel_dependence_matches_design_formula(h, w):
    """Two 3x3 'same' convs: a skip taken at their input waits (K-1)*W + (K-1) + 1 pixels;
    one taken at the first conv's output (the centre-pixel forward) W + 2."""
    x, (c0, c1) = _two_conv_chain(h, w, 4)
    deps = PixelDependence(x)
    need_long = deps.need(c1.output)
    assert skip_occupancy_pixels(need_long, deps.need(x), h * w) == 2 * w + 3
    forward = PixelDependence(c0.output)
    assert skip_occupancy_pixels(forward.need(c1.output), forward.need(c0.output), h * w) == w + 2


def _requant_reference(rq: RequantAttr, x: np.ndarray) -> np.ndarray:
    from fpga_opt.backend.sim import semantics

    return np.asarray(semantics.requantize(x, rq), dtype=np.int64)


@pytest.mark.parametrize("rounding", ["half_even", "half_up", "half_away", "floor"])
@pytest.mark.parametrize(
    "act",
    [ActivationAttr("relu"), ActivationAttr("clip", lo=-1000.0, hi=2000.0), ActivationAttr("clip", lo=-37.5, hi=81.2)],
    ids=["relu", "clip", "clip-fractional"],
)
def test_activation_absorbed_into_requant_is_exact(rounding, act):
    """requant(act(acc)) == absorbed(acc) for random accumulators, as the simulator computes them."""
    from fpga_opt.backend.sim import semantics

    rq = RequantAttr(3, 7, zero_point=-5, min=-100, max=120, rounding=rounding)
    absorbed = absorb_activation_into_requant(act, rq)
    assert absorbed is not None
    acc = np.random.default_rng(0).integers(-40000, 40000, size=20000)
    acc = np.concatenate([acc, np.arange(-300, 300)])
    expected = _requant_reference(rq, np.asarray(semantics.activate(acc, act, integer=True)))
    np.testing.assert_array_equal(_requant_reference(absorbed, acc), expected)
    assert apply_requant(rq, 0) == _requant_reference(rq, np.array([0]))[0]


def test_bounds_intersection():
    rq = RequantAttr(1, 0, min=-10, max=10)
    tightened = with_bounds(rq, 0, 100)
    assert tightened is not None
    assert (tightened.min.data, tightened.max.data) == (0, 10)
    assert with_bounds(rq, 20, 30) is None
