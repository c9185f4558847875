"""The network boundary (layouts, quantisation, .npz keys) and the `fpga-sim` command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sim_helpers import module_text, parse, s

from fpga_opt.backend.sim import elaborate, run_functional
from fpga_opt.backend.sim.boundary import prepare_inputs, to_hwc_batch
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.tools.fpga_sim import main

RQ = "#dataflow.requant<multiplier = 1, shift = 4>"


def small_net(attrs: str = "") -> str:
    """conv 3x3 on 4x4x2 int8 -> 4x4x3 int8, inline weights."""
    w = (np.arange(3 * 2 * 9).reshape(3, 2, 3, 3) % 7) - 3
    body = (
        f'  %y = dataflow.conv %x {{layer = "c0", kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, '
        f'pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8, requant = {RQ}}} : '
        f"({s(4, 4, 2)}) -> ({s(4, 4, 3)})\n  func.return %y : {s(4, 4, 3)}"
    )
    return module_text(body, f"%x: {s(4, 4, 2)}", s(4, 4, 3), {"w": (w, "i8")}, attrs)


SCALED = (
    'dataflow.input_names = ["image"], dataflow.output_names = ["logits"], '
    "dataflow.input_scales = [0.5], dataflow.output_scales = [0.25]"
)


# --------------------------------------------------------------------------
# Layouts and quantisation
# --------------------------------------------------------------------------


def test_layouts_nchw_and_hwc_give_the_same_batch():
    t = elaborate(parse(small_net())).input_types[0]
    hwc = np.arange(32).reshape(4, 4, 2)
    nchw = hwc.transpose(2, 0, 1)
    for a in (hwc, hwc[None], nchw, nchw[None]):
        assert to_hwc_batch(a, t).tolist() == hwc[None].tolist()
    assert to_hwc_batch(np.stack([nchw, nchw + 1]), t).shape == (2, 4, 4, 2)


def test_ambiguous_shapes_read_as_nchw_unless_told():
    net = elaborate(
        parse(module_text(f"  func.return %x : {s(3, 3, 3, 'f32')}", f"%x: {s(3, 3, 3, 'f32')}", s(3, 3, 3, "f32")))
    )
    a = np.arange(27.0).reshape(3, 3, 3)
    assert to_hwc_batch(a, net.input_types[0])[0].tolist() == a.transpose(1, 2, 0).tolist()
    assert to_hwc_batch(a, net.input_types[0], "hwc")[0].tolist() == a.tolist()


def test_vector_inputs():
    t = s(1, 1, 10, "f32")
    net = elaborate(parse(module_text(f"  func.return %x : {t}", f"%x: {t}", t)))
    assert to_hwc_batch(np.arange(10.0), net.input_types[0]).shape == (1, 1, 1, 10)
    assert to_hwc_batch(np.zeros((4, 10)), net.input_types[0]).shape == (4, 1, 1, 10)


def test_bad_shape_and_dtype_are_one_line_errors():
    net = elaborate(parse(small_net()))
    with pytest.raises(FpgaOptError, match=r"array of shape \(3, 4, 4\) does not fit the stream 4x4x2; expected"):
        prepare_inputs(net, np.zeros((3, 4, 4)))
    with pytest.raises(FpgaOptError, match="not numeric"):
        prepare_inputs(net, np.array([["a"]]))
    with pytest.raises(FpgaOptError, match=r"do not fit the stream type i8 \[-128, 127\]"):
        prepare_inputs(net, np.full((2, 4, 4), 300))
    with pytest.raises(FpgaOptError, match="needs the function attribute dataflow.input_scales"):
        prepare_inputs(net, np.full((2, 4, 4), 0.5))
    with pytest.raises(FpgaOptError, match="takes 1 input"):
        prepare_inputs(net, [np.zeros((2, 4, 4)), np.zeros((2, 4, 4))])


def test_float_inputs_are_quantised_half_to_even_and_saturated():
    net = elaborate(parse(small_net(SCALED)))
    x = np.zeros((2, 4, 4), np.float32)
    x[0, 0, :4] = [0.25, 0.75, -0.25, 1000.0]  # / 0.5 = 0.5, 1.5, -0.5, 2000
    (q,) = prepare_inputs(net, x)
    assert q.dtype == np.int8
    assert q[0, 0, :4, 0].tolist() == [0, 2, 0, 127]


def test_dequantised_outputs_use_the_output_scales():
    m = parse(small_net(SCALED))
    x = np.random.default_rng(0).standard_normal((2, 4, 4)).astype(np.float32)
    (q,) = run_functional(m, None, x)
    (f,) = run_functional(m, None, x, dequantize=True)
    assert f.dtype == np.float32
    np.testing.assert_array_equal(f, q.astype(np.float32) * 0.25)


def test_npz_keys_port_name_then_input_i():
    net = elaborate(parse(small_net(SCALED)))
    x = np.zeros((2, 4, 4), np.int8)
    assert prepare_inputs(net, {"image": x})[0].shape == (1, 4, 4, 2)
    assert prepare_inputs(net, {"input0": x})[0].shape == (1, 4, 4, 2)
    assert prepare_inputs(net, {"whatever": x})[0].shape == (1, 4, 4, 2)  # the only array
    with pytest.raises(FpgaOptError, match="no array for input 0"):
        prepare_inputs(net, {"a": x, "b": x})


# --------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "net.mlir"
    path.write_text(small_net(SCALED))
    return path


def run(argv, capsys):
    try:
        main([str(a) for a in argv])
        code = 0
    except SystemExit as done:
        code = done.code
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_outputs_report_and_table(model, tmp_path, capsys):
    x = np.random.default_rng(1).standard_normal((3, 2, 4, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    code, out, err = run(
        [
            model,
            "--input",
            tmp_path / "x.npy",
            "--frames",
            4,
            "--clock-mhz",
            100,
            "--output",
            tmp_path / "y.npz",
            "--report-json",
            tmp_path / "r.json",
        ],
        capsys,
    )
    assert code == 0, err
    assert "cycles/frame" in out and "c0" in out and "busy%" in out
    y = np.load(tmp_path / "y.npz")
    assert list(y.keys()) == ["logits"] and y["logits"].shape == (3, 3, 4, 4) and y["logits"].dtype == np.int8
    (expected,) = run_functional(parse(small_net(SCALED)), None, x)
    assert y["logits"].tolist() == expected.transpose(0, 3, 1, 2).tolist()
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["frames"] == 4 and report["clock_mhz"] == 100.0
    assert report["fps"] == pytest.approx(100e6 / report["cycles_per_frame"], rel=1e-4)
    assert report["ops"][0]["name"] == "c0"


def test_cli_npz_batch_and_dequantize(model, tmp_path, capsys):
    x = np.random.default_rng(2).standard_normal((2, 4, 4, 2)).astype(np.float32)
    np.savez(tmp_path / "x.npz", image=x)
    code, _, err = run(
        [
            model,
            "-i",
            tmp_path / "x.npz",
            "-o",
            tmp_path / "y.npz",
            "--layout",
            "hwc",
            "--output-layout",
            "hwc",
            "--dequantize",
            "-q",
        ],
        capsys,
    )
    assert code == 0, err
    y = np.load(tmp_path / "y.npz")["logits"]
    assert y.shape == (2, 4, 4, 3) and y.dtype == np.float32


def test_cli_timing_only_without_input(model, capsys):
    code, out, _ = run([model], capsys)
    assert code == 0 and "cycles/frame" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--input", "missing.npy"], "missing.npy: no such input file"),
        (["--frames", "0"], "--frames: the frame count must be in [1, 10000], got 0"),
        (["--output", "y.npz"], "--output needs --input"),
        (["--fifo-depth", "zero"], "expected a positive integer or 'unbounded'"),
    ],
)
def test_cli_bad_arguments(model, tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run([model, *args], capsys)
    assert code == 1
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_cli_wrong_input_shape_writes_nothing(model, tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((1, 3, 4, 4), np.float32))
    code, _, err = run(
        [model, "-i", tmp_path / "x.npy", "-o", tmp_path / "y.npz", "--report-json", tmp_path / "r.json"], capsys
    )
    assert code == 1
    assert err.startswith("fpga-sim: error: input: array of shape (1, 3, 4, 4) does not fit the stream 4x4x2")
    assert not (tmp_path / "y.npz").exists() and not (tmp_path / "r.json").exists()
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_cli_ir_that_does_not_verify(tmp_path, capsys):
    bad = tmp_path / "bad.mlir"
    bad.write_text(small_net().replace("stride = array<i64: 1, 1>", "stride = array<i64: 2, 2>"))
    code, _, err = run([bad], capsys)
    assert code == 1
    assert err.startswith(f"fpga-sim: error: {bad}:")
    assert "result is 4x4 but kernel [3, 3], stride [2, 2]" in err


def test_cli_missing_model(tmp_path, capsys):
    code, _, err = run([tmp_path / "nope.mlir"], capsys)
    assert code == 1 and "nope.mlir: no such file" in err


def test_cli_unreadable_input(model, tmp_path, capsys):
    (tmp_path / "x.npy").write_text("not numpy")
    code, _, err = run([model, "-i", tmp_path / "x.npy"], capsys)
    assert code == 1 and "cannot read a numpy array" in err


def test_console_script_runs(model, tmp_path):
    """The installed entry point (one process start, no in-process shortcuts)."""
    script = Path(sys.executable).parent / "fpga-sim"
    done = subprocess.run(
        [str(script), str(model), "-q", "--report-json", str(tmp_path / "r.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "r.json").read_text())["cycles_per_frame"] > 0
