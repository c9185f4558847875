"""fpga-compile's frame count: --frames is bounded, and the automatic choice stays within the bound."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fpga_opt.backend.costs import macs_per_frame
from fpga_opt.tools import fpga_compile
from fpga_opt.tools.fpga_compile import DEFAULT_FRAMES, MAX_FRAMES, auto_frames, import_model

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
MODEL = REPO / "examples/models/lenet5_int8.onnx"


@pytest.fixture(scope="module")
def lenet(tmp_path_factory):
    module, _, _ = import_model(MODEL, tmp_path_factory.mktemp("import"), [])
    return module


def test_small_network_gets_the_default(lenet):
    assert auto_frames(lenet) == DEFAULT_FRAMES


def test_large_network_gets_fewer_frames(lenet, monkeypatch):
    macs = macs_per_frame(lenet)
    assert macs > 0
    monkeypatch.setattr(fpga_compile, "CHECK_MACS", 3 * macs + macs // 2)
    assert auto_frames(lenet) == 3
    monkeypatch.setattr(fpga_compile, "CHECK_MACS", macs // 2)  # more than the budget: still one frame
    assert auto_frames(lenet) == 1


def test_automatic_choice_never_exceeds_the_bound(lenet, monkeypatch):
    monkeypatch.setattr(fpga_compile, "DEFAULT_FRAMES", 10 * MAX_FRAMES)
    monkeypatch.setattr(fpga_compile, "CHECK_MACS", 10**18)
    assert auto_frames(lenet) == MAX_FRAMES


def run_compile(out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "fpga-compile"), str(MODEL), "-o", str(out), "--no-csim", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_report_records_the_frames_chosen(tmp_path):
    done = run_compile(tmp_path / "out")
    assert done.returncode == 0, done.stdout + done.stderr
    design = json.loads((tmp_path / "out/report.json").read_text())["design"]
    assert design["frames"] == DEFAULT_FRAMES
    assert f"fpga-sim on {DEFAULT_FRAMES} random input(s)" in done.stdout + done.stderr


def test_user_frames_over_the_bound_is_one_line_error(tmp_path):
    done = run_compile(tmp_path / "out", "--frames", str(MAX_FRAMES + 1))
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert f"--frames: the frame count must be in [1, {MAX_FRAMES}]" in done.stderr
    assert not (tmp_path / "out").exists()


# ----- the report page's timing simulation: row resolution for small frames, coarse for large ones


def one_conv_model(path: Path, side: int) -> Path:
    """A float model of one 3x3 convolution on a side x side image (written by the onnx wheel)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.random.default_rng(0).standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
        "one_conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, side, side])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, side, side])],
        [weight],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def test_report_simulation_of_small_frames_is_fpga_reports(lenet):
    from fpga_opt.tools.report.build import DEFAULT_SIM_FRAMES, simulate_for_report

    assert fpga_compile.report_simulation(lenet) == simulate_for_report(lenet, DEFAULT_SIM_FRAMES)


@pytest.mark.parametrize(("side", "resolution"), [(64, "row"), (65, "coarse")])
def test_report_simulation_is_coarse_above_64_rows(tmp_path, side, resolution):
    module, _, _ = import_model(one_conv_model(tmp_path / "m.onnx", side), tmp_path, [])
    sim = fpga_compile.report_simulation(module)
    assert sim["resolution"] == resolution
    assert sim["cycles_per_frame"] > side * side  # one pixel a cycle at most
