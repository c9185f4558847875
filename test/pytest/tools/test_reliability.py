"""Regression tests: every failure signature of issue #12, each as the user met it.

Each case runs a tool in-process (its real `main`, inside the error
boundary) in an empty folder holding only its inputs, and checks the whole
promise: exit code 1, exactly one line `tool: error: ...` on stderr saying
what the test expects, no traceback, and no new or changed file.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import onnx
import pytest

from fpga_opt.tools.launch import TOOLS

REPO = Path(__file__).resolve().parents[3]
MODELS = REPO / "examples" / "models"


def run_tool(tool: str, argv: list[str], capsys) -> tuple[int, str, str]:
    main = importlib.import_module(TOOLS[tool]).main
    try:
        main([str(a) for a in argv])
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(root.rglob("*"))
    }


def assert_fails_cleanly(tool: str, argv: list[str], expected: str, folder: Path, capsys) -> str:
    """Exit 1, one line naming `expected`, no traceback, nothing new or changed in `folder`."""
    before = snapshot(folder)
    code, out, err = run_tool(tool, argv, capsys)
    lines = err.strip().splitlines()
    assert code == 1, (code, err)
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{tool}: error: "), err
    assert "Traceback" not in out + err and "internal error" not in err, err
    assert expected in lines[0], lines[0]
    assert snapshot(folder) == before, "the failing run left or changed files"
    return lines[0]


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def lenet_ir(tmp_path_factory) -> tuple[bytes, bytes]:
    """lenet5_int8 imported: (IR text, sidecar) referencing `m.weights.npz`."""
    from fpga_opt.frontend.onnx_import import import_onnx, write_import

    folder = tmp_path_factory.mktemp("lenet")
    write_import(import_onnx(MODELS / "lenet5_int8.onnx"), folder / "m.mlir")
    return (folder / "m.mlir").read_bytes(), (folder / "m.weights.npz").read_bytes()


@pytest.fixture
def lenet(work, lenet_ir) -> Path:
    (work / "m.mlir").write_bytes(lenet_ir[0])
    (work / "m.weights.npz").write_bytes(lenet_ir[1])
    return work / "m.mlir"


# ----------------------------------------------------------------------------------------------
# Tracebacks
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pipeline,expected",
    [
        ("{}", "column 1: Expected pass name here"),
        ("x{a=1,b=2}", "--pass-pipeline"),
        ("select-folding{board=kv260", "Malformed pass arguments"),
        ("select-folding{board=}", "wrap argument in quotes"),
        ("size-fifos{frames=abc}", "Incompatible types"),
        ("nope", "Unrecognized passes"),
    ],
)
def test_pipeline_syntax_errors_are_one_line(pipeline, expected, lenet, work, capsys):
    assert_fails_cleanly("fpga-opt", ["m.mlir", "--pass-pipeline", pipeline], expected, work, capsys)


def test_unquoted_board_file_path_in_a_pass_option(lenet, work, capsys):
    """`select-folding{board-file=examples/boards/my_board.toml}` printed "Unknown token"; it now works."""
    board = REPO / "examples" / "boards" / "my_board.toml"
    code, out, err = run_tool("fpga-opt", ["m.mlir", "-p", f"estimate-resources{{board-file={board}}}"], capsys)
    assert code == 0, err
    assert "zcu104" in out


@pytest.mark.parametrize(
    "tool,argv",
    [
        ("fpga-opt", ["bad.mlir"]),
        ("fpga-report", ["bad.mlir"]),
        ("fpga-translate", ["--emit-hls", "bad.mlir", "-o", "hls"]),
        ("fpga-sim", ["bad.mlir"]),
        ("fpga-compile", ["bad.mlir", "-o", "c", "--no-csim"]),
    ],
)
def test_ir_that_is_not_utf8(tool, argv, work, capsys):
    (work / "bad.mlir").write_bytes(b"builtin.module {\n\xff\xfe }\n")
    assert_fails_cleanly(tool, argv, "bad.mlir:2: not UTF-8 text (byte 0xff", work, capsys)


def _mutated_lenet(mutate) -> bytes:
    model = onnx.load(MODELS / "lenet5.onnx")
    mutate(model)
    return model.SerializeToString()


def _truncate_raw_data(model):
    t = model.graph.initializer[0]
    t.raw_data = t.raw_data[: len(t.raw_data) // 2]


def _unknown_data_type(model):
    model.graph.initializer[0].data_type = 77


def _flatten_axis_as_ints(model):
    node = next(n for n in model.graph.node if n.op_type == "Flatten")
    del node.attribute[:]
    node.attribute.append(onnx.helper.make_attribute("axis", [1, 2]))


@pytest.mark.parametrize(
    "mutate,expected",
    [
        (_truncate_raw_data, "tensor 'conv1.weight': its data does not match its dims [6, 1, 5, 5]"),
        (_unknown_data_type, "tensor 'conv1.weight' has an unknown data_type 77"),
        (_flatten_axis_as_ints, "(Flatten): attribute 'axis' must be INT, got INTS"),
    ],
)
def test_broken_onnx_tensors_and_attributes(mutate, expected, work, capsys):
    (work / "m.onnx").write_bytes(_mutated_lenet(mutate))
    assert_fails_cleanly("fpga-translate", ["--import-onnx", "m.onnx", "-o", "m.mlir"], expected, work, capsys)


def test_reduce_mean_keepdims_as_a_string(work, capsys):
    from onnx import TensorProto, helper

    node = helper.make_node("ReduceMean", ["x"], ["y"], axes=[2, 3], keepdims="yes", name="gap")
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 1, 1])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    (work / "m.onnx").write_bytes(model.SerializeToString())
    assert_fails_cleanly(
        "fpga-opt", ["m.onnx"], "node 'gap' (ReduceMean): attribute 'keepdims' must be INT, got STRING", work, capsys
    )


@pytest.mark.parametrize("width", [2**40, 4096, 65])
def test_absurd_integer_widths(width, lenet, work, capsys):
    text = lenet.read_text().replace("28x28x1xi8", f"28x28x1xi{width}")
    lenet.write_text(text)
    assert_fails_cleanly("fpga-opt", ["m.mlir"], "m.mlir:", work, capsys)


def _object_npz() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, input=np.array([None, 1], dtype=object))
    return buffer.getvalue()


def _bad_crc_npz() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, input=np.zeros((1, 28, 28), np.float32))
    data = bytearray(buffer.getvalue())
    data[len(data) // 2] ^= 0xFF
    return bytes(data)


def _bare_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data,expected",
    [
        (_object_npz(), "Object arrays cannot be loaded"),
        (_bad_crc_npz(), "Bad CRC-32"),
        (_bare_zip(), "member 'hello.txt' is not a numpy array"),
    ],
)
def test_npz_inputs_that_are_not_what_they_claim(data, expected, lenet, work, capsys):
    (work / "x.npz").write_bytes(data)
    assert_fails_cleanly("fpga-sim", ["m.mlir", "-i", "x.npz", "-q"], expected, work, capsys)


def test_profile_exits_data_that_is_a_bare_zip(work, capsys):
    code, _, _ = run_tool("fpga-translate", ["--import-onnx", MODELS / "blenet_int8.onnx", "-o", "b.mlir"], capsys)
    assert code == 0
    (work / "d.npz").write_bytes(_bare_zip())
    assert_fails_cleanly("fpga-profile-exits", ["b.mlir", "--data", "d.npz"], "is not a numpy array", work, capsys)


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["--seed", "-1"], "--seed: the seed must be in [0, 9.22337e+18], got -1"),
        (["--frames", str(10**14)], "--frames: the frame count must be in [1, 10000]"),
        (["--frames", "0"], "--frames: the frame count must be in [1, 10000]"),
        (["--jobs", "0"], "--jobs"),
    ],
)
def test_fpga_compile_option_bounds(argv, expected, lenet, work, capsys):
    assert_fails_cleanly("fpga-compile", ["m.mlir", "-o", "c", "--no-csim", *argv], expected, work, capsys)


@pytest.mark.parametrize(
    "tool,argv",
    [
        ("fpga-opt", ["m.mlir", "-o", ""]),
        ("fpga-translate", ["--import-onnx", "%MODEL", "-o", ""]),
        ("fpga-translate", ["--emit-hls", "m.mlir", "-o", ""]),
        ("fpga-compile", ["m.mlir", "-o", "", "--no-csim"]),
        ("fpga-sim", ["m.mlir", "--report-json", ""]),
        ("fpga-report", ["m.mlir", "--json", ""]),
    ],
)
def test_empty_output_paths(tool, argv, lenet, work, capsys):
    argv = [str(MODELS / "lenet5.onnx") if a == "%MODEL" else a for a in argv]
    assert_fails_cleanly(tool, argv, "is empty", work, capsys)


# ----------------------------------------------------------------------------------------------
# Hangs: options without an upper bound
# ----------------------------------------------------------------------------------------------


def test_size_fifos_frames_has_an_upper_bound(lenet, work, capsys):
    assert_fails_cleanly(
        "fpga-opt", ["m.mlir", "-p", f"size-fifos{{frames={10**14}}}"], "frames must be in [1, 1000]", work, capsys
    )


def test_fpga_sim_frames_has_an_upper_bound(lenet, work, capsys):
    assert_fails_cleanly("fpga-sim", ["m.mlir", "--frames", str(10**14)], "must be in [1, 10000]", work, capsys)


# ----------------------------------------------------------------------------------------------
# Leftovers
# ----------------------------------------------------------------------------------------------


def test_fpga_sim_writes_no_report_when_it_deadlocks(work, capsys):
    """Imported ResNet-8 without its skip buffers deadlocks at 2-word FIFOs (test_sim_corpus): the
    report JSON is not written."""
    from xdsl.printer import Printer

    from fpga_opt.dialects.dataflow import BufferOp
    from fpga_opt.dialects.parsing import load_module

    code, _, _ = run_tool("fpga-translate", ["--import-onnx", MODELS / "resnet8.onnx", "-o", "r.mlir"], capsys)
    assert code == 0
    module = load_module(work / "r.mlir")
    for op in [op for op in module.walk() if isinstance(op, BufferOp)]:  # the import's full-tensor skip FIFOs
        op.results[0].replace_all_uses_with(op.operands[0])
        op.detach()
        op.erase()
    text = io.StringIO()
    Printer(stream=text).print_op(module)
    (work / "r.mlir").write_text(text.getvalue() + "\n")
    assert_fails_cleanly(
        "fpga-sim", ["r.mlir", "-q", "--frames", "2", "--report-json", "r.json"], "deadlock", work, capsys
    )


def test_fpga_translate_into_an_existing_directory(work, capsys):
    (work / "out").mkdir()
    line = assert_fails_cleanly(
        "fpga-translate", ["--import-onnx", MODELS / "lenet5.onnx", "-o", "out"], "-o out: is a directory", work, capsys
    )
    assert ".tmp" not in line and str(work) not in line  # the user's path, not an internal temporary


def test_fpga_compile_leaves_nothing_when_a_later_step_fails(lenet, work, capsys):
    """Step 1 (import) succeeds, step 2 (a board too small even for partitions) fails: nothing is left."""
    (work / "tiny.toml").write_text('base = "pynqz2"\ndsp = 0\nbram18 = 0\nlut = 10\nff = 10\n')
    argv = [MODELS / "lenet5_int8.onnx", "-o", "c", "--no-csim", "--board", "tiny.toml"]
    assert_fails_cleanly("fpga-compile", argv, "does not fit pynqz2", work, capsys)


def test_fpga_compile_keep_keeps_the_earlier_steps(lenet, work, capsys):
    (work / "tiny.toml").write_text('base = "pynqz2"\ndsp = 0\nbram18 = 0\nlut = 10\nff = 10\n')
    code, _, err = run_tool(
        "fpga-compile", [MODELS / "lenet5_int8.onnx", "-o", "c", "--no-csim", "--board", "tiny.toml", "--keep"], capsys
    )
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in (work / "c").iterdir()) == ["lenet5_int8.mlir", "lenet5_int8.weights.npz"]
    assert not [p for p in work.iterdir() if ".partial-" in p.name]


def test_a_temporary_left_by_sigkill_is_removed_by_the_next_write(work, capsys):
    """A SIGKILL cannot be cleaned up after; the next write into the folder removes the dead process's temporary."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = work / f".m.weights.npz.abc123.{int(dead.stdout)}.fpga-opt-tmp"
    stale.write_bytes(b"half a sidecar")
    live = work / f".other.npz.abc123.{os.getpid()}.fpga-opt-tmp"  # a live process's: left alone
    live.write_bytes(b"being written")
    code, _, err = run_tool("fpga-translate", ["--import-onnx", MODELS / "lenet5.onnx", "-o", "m.mlir"], capsys)
    assert code == 0, err
    assert not stale.exists() and live.exists()


def test_sigint_while_the_tool_loads_is_one_line(tmp_path):
    """SIGINT during start-up (here: while the tool's module is imported) is one line and exit 130."""
    (tmp_path / "slow_tool.py").write_text(
        "import os, signal, time\nos.kill(os.getpid(), signal.SIGINT)\ntime.sleep(10)\n"
    )
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "from fpga_opt.tools import launch\n"
        "launch.TOOLS['fpga-opt'] = 'slow_tool'\n"
        "launch.launch('fpga-opt')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 128 + signal.SIGINT
    assert done.stderr.strip() == "fpga-opt: error: interrupted by SIGINT"


def test_sigterm_removes_the_file_being_written(tmp_path):
    """SIGTERM in the middle of a write: the temporary is removed, the target never appears."""
    script = (
        "import os, signal\n"
        "from fpga_opt.dialects import files\n"
        "from fpga_opt.tools.diagnostics import tool_main\n"
        "real = files._write_all\n"
        "def slow(fd, data):\n"
        "    real(fd, data[:10])\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    real(fd, data[10:])\n"
        "files._write_all = slow\n"
        "@tool_main('fpga-x')\n"
        "def main(argv):\n"
        "    files._write_now(files.Path('out.txt'), b'x' * 100)\n"
        "main([])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert done.stderr.strip() == "fpga-x: error: interrupted by SIGTERM"
    assert list(tmp_path.iterdir()) == []


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    found = []
    for task in tasks.iterdir() if tasks.exists() else []:
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _explore_with_running_workers(tmp_path: Path, **pipes) -> tuple[subprocess.Popen, list[int]]:
    """fpga-explore in its own process group, returned once its two pool workers run (import + set-up: seconds)."""
    if not Path("/proc/self/task").exists():
        pytest.skip("needs /proc to find the worker processes")
    argv = [str(MODELS / "lenet5_int8.onnx"), "--board", "kv260", "--budget", "40", "--workers", "2", "--quiet"]
    script = "from fpga_opt.tools.launch import launch\nlaunch('fpga-explore')\n"
    process = subprocess.Popen(
        [sys.executable, "-c", script, *argv, "-o", "f.json"], cwd=tmp_path, start_new_session=True, **pipes
    )
    workers: list[int] = []
    for _ in range(600):
        workers = _children(process.pid)
        if process.poll() is not None or len(workers) >= 2:
            break
        time.sleep(0.1)
    return process, workers


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_fpga_explore_and_its_workers(signum, tmp_path):
    """Ctrl-C or `timeout` (the whole process group) while pool workers evaluate: it hung in the pool's shutdown."""
    pytest.importorskip("pymoo", reason="fpga-explore needs the explore extra (make installs it)")
    process, _ = _explore_with_running_workers(tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.poll() is None, process.communicate()
        os.killpg(process.pid, signum)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 128 + signum, err
    assert err.strip() == f"fpga-explore: error: interrupted by {signal.Signals(signum).name}"
    assert list(tmp_path.iterdir()) == []


def test_a_sigkilled_fpga_explore_leaves_no_workers(tmp_path):
    """kill -9 of the tool alone: its pool workers end too (they hung for ever on the task queue, and held
    the tool's stdout open, so the caller never saw it end)."""
    process, workers = _explore_with_running_workers(tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert process.poll() is None and len(workers) >= 2
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
            time.sleep(0.1)
        alive = [w for w in workers if Path(f"/proc/{w}").exists()]
    finally:
        for pid in [process.pid, *workers]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert alive == [], f"workers {alive} outlived the killed tool"


# ----------------------------------------------------------------------------------------------
# Messages of more than one line
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_argparse_errors_are_one_line(tool, work, capsys):
    """argparse's usage block is replaced by its one message (a missing argument, or the unknown flag)."""
    assert_fails_cleanly(tool, ["--no-such-flag"], f"(see {tool} --help)", work, capsys)


def test_numpy_warnings_never_come_before_the_error_line(work, capsys):
    from fpga_opt.dialects.errors import FpgaOptError
    from fpga_opt.tools.diagnostics import tool_main

    @tool_main("fpga-x")
    def main(argv):
        np.float32(1e30) * np.float32(1e30)  # RuntimeWarning: overflow
        raise FpgaOptError("something the user got wrong")

    with pytest.raises(SystemExit) as done:
        main([])
    assert done.value.code == 1
    assert capsys.readouterr().err == "fpga-x: error: something the user got wrong\n"


def test_warnings_on_success_are_one_line_each(work, capsys):
    from fpga_opt.tools.diagnostics import tool_main

    @tool_main("fpga-x")
    def main(argv):
        np.float32(1e30) * np.float32(1e30)

    main([])
    err = capsys.readouterr().err
    assert err.startswith("fpga-x: warning: RuntimeWarning: overflow encountered") and err.count("\n") == 1


# ----------------------------------------------------------------------------------------------
# Absurd values accepted silently
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line,expected",
    [
        ("clock_mhz = 1e308", "key 'clock_mhz' = 1e+308 is outside the sane range 1 to 2,000 (MHz)"),
        ("clock_mhz = 1e-300", "key 'clock_mhz' = 1e-300 is outside"),
        ("dsp = -5", "key 'dsp' = -5 is outside the sane range 0 to 200,000 (DSP slices)"),
        ("lut = 9223372036854775807", "key 'lut'"),
        ("bandwidth_gbps = 1e9", "key 'bandwidth_gbps'"),
        ("bram18 = 1.5", "key 'bram18': expected an integer"),
    ],
)
def test_board_files_with_absurd_values(line, expected, lenet, work, capsys):
    (work / "b.toml").write_text(f'base = "kv260"\n{line}\n')
    assert_fails_cleanly("fpga-opt", ["m.mlir", "-p", "estimate-resources{board-file=b.toml}"], expected, work, capsys)


def test_input_shape_naming_no_input(lenet, work, capsys):
    assert_fails_cleanly(
        "fpga-opt", ["m.mlir", "--input-shape", "nope:1x3x8x8"], "--input-shape only applies to an ONNX", work, capsys
    )
    assert_fails_cleanly(
        "fpga-opt",
        [MODELS / "lenet5.onnx", "--input-shape", "nope:1x3x8x8"],
        "--input-shape names no graph input 'nope'",
        work,
        capsys,
    )


def test_report_json_empty(lenet, work, capsys):
    assert_fails_cleanly(
        "fpga-sim", ["m.mlir", "-q", "--report-json", ""], "--report-json: the output path is empty", work, capsys
    )


# ----------------------------------------------------------------------------------------------
# File modes: the user's umask, not mkstemp's 0600
# ----------------------------------------------------------------------------------------------


def test_outputs_get_the_users_umask(lenet, work, capsys):
    old = os.umask(0o027)
    try:
        code, _, err = run_tool("fpga-translate", ["--emit-hls", "m.mlir", "-o", "hls"], capsys)
        code2, _, err2 = run_tool("fpga-translate", ["--import-onnx", MODELS / "lenet5.onnx", "-o", "n.mlir"], capsys)
    finally:
        os.umask(old)
    assert code == 0 and code2 == 0, err + err2
    written = [p for p in (work / "hls").rglob("*") if p.is_file()] + [work / "n.mlir", work / "n.weights.npz"]
    assert written and {oct(p.stat().st_mode & 0o777) for p in written} == {oct(0o640)}


# ----------------------------------------------------------------------------------------------
# Found by the fuzzer (make fuzz N=2000, seed 12)
# ----------------------------------------------------------------------------------------------


def test_an_attribute_of_an_absurdly_wide_integer_type(lenet, work, capsys):
    """`coarse_in = 2 : i1099511627776`: xDSL computed a 2^40-bit range while parsing (MemoryError)."""
    text = lenet.read_text().replace("weight_type = i8", "weight_type = i1099511627776", 1)
    lenet.write_text(text)
    assert_fails_cleanly("fpga-sim", ["m.mlir"], "is wider than 16777215 bits, MLIR's limit", work, capsys)


def test_a_value_used_before_its_definition(lenet, work, capsys):
    """Two op lines swapped: xDSL accepts the forward reference; the simulator then failed (KeyError)."""
    lines = lenet.read_text().splitlines(keepends=True)
    lines[3], lines[4] = lines[4], lines[3]
    lenet.write_text("".join(lines))
    assert_fails_cleanly(
        "fpga-translate",
        ["--emit-hls", "m.mlir", "-o", "hls"],
        "m.mlir:4:5: %pool1.maxpool_MaxPool is used before",
        work,
        capsys,
    )


def test_a_newline_in_an_argument_stays_on_one_line(lenet, work, capsys):
    line = assert_fails_cleanly("fpga-opt", ["m.mlir", "--", "a\nb"], "unrecognized arguments", work, capsys)
    assert "a\\nb" in line


# --------------------------------------------------------------------------
# fpga-explore: its FRONT.designs folder is part of the run's transaction
# --------------------------------------------------------------------------

EXPLORE_ONE = ["--board", "kv260", "--budget", "1", "--workers", "1", "--bits", "8", "--budgets", "0.5", "--quiet"]


def test_explore_failing_late_leaves_the_old_designs_and_nothing_new(tmp_path, capsys, monkeypatch):
    # The search succeeds, then FRONT.csv cannot be written (a folder is there): the designs staged
    # before it must vanish, and the folder from an earlier run must stay as it was.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f.designs").mkdir()
    (tmp_path / "f.designs" / "point-9.onnx").write_bytes(b"an earlier run's design")
    (tmp_path / "f.csv").mkdir()
    model = tmp_path / "m.onnx"
    model.write_bytes((MODELS / "lenet5_int8.onnx").read_bytes())
    assert_fails_cleanly("fpga-explore", ["m.onnx", *EXPLORE_ONE, "-o", "f.json"], "f.csv", tmp_path, capsys)


def test_explore_success_replaces_the_designs_folder_whole(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.umask(0o022)
    (tmp_path / "f.designs").mkdir()
    (tmp_path / "f.designs" / "point-9.onnx").write_bytes(b"an earlier run's design")
    (tmp_path / "m.onnx").write_bytes((MODELS / "lenet5_int8.onnx").read_bytes())
    code, _, err = run_tool("fpga-explore", ["m.onnx", *EXPLORE_ONE, "-o", "f.json"], capsys)
    assert code == 0, err
    designs = sorted(p.name for p in (tmp_path / "f.designs").iterdir())
    assert designs and "point-9.onnx" not in designs, designs
    assert (tmp_path / "f.designs").stat().st_mode & 0o777 == 0o755  # not mkdtemp's 0700
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.csv", "f.designs", "f.json", "m.onnx"]


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("--budget", "10000000000000", "--budget: the number of evaluations must be in [1, 100000]"),
        ("--population", "1000000000", "--population: the population (0: budget/4) must be in [0, 1000]"),
        ("--workers", "1000000000", "--workers: the number of local worker processes must be in [1, 1024]"),
        ("--seed", "-1", "--seed: the seed must be in [0,"),
        ("--accuracy-tolerance", "nan", "--accuracy-tolerance: the tolerance must be a number in [0, 1]"),
        ("--cluster", "nope", "--cluster nope: not a Dask scheduler address"),
    ],
)
def test_explore_option_bounds(tmp_path, capsys, monkeypatch, flag, value, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.onnx").write_bytes((MODELS / "lenet5_int8.onnx").read_bytes())
    argv = ["m.onnx", *EXPLORE_ONE, "-o", "f.json", flag, value]
    assert_fails_cleanly("fpga-explore", argv, expected, tmp_path, capsys)


def _labelled(path: Path, **arrays) -> None:
    np.savez(path, **arrays)


@pytest.mark.parametrize(
    ("arrays", "expected"),
    [
        ({"x": np.zeros(3, np.float32), "y": np.zeros(3, np.int64)}, "'x' must be a non-empty batch"),
        ({"x": np.array(1.0), "y": np.array(1)}, "'x' must be a non-empty batch"),
        ({"x": np.zeros((4, 1, 28, 28)), "y": np.zeros((4, 2), np.int64)}, "'y' must hold one label per sample"),
        ({"x": np.zeros((4, 1, 28, 28)), "y": np.full(4, -7)}, "'y' must hold class indices"),
        ({"x": np.full((4, 1, 28, 28), np.nan), "y": np.zeros(4, np.int64)}, "NaN or infinite"),
        ({"x": np.zeros((4, 1, 28, 28), "datetime64[s]"), "y": np.zeros(4, np.int64)}, "not numbers"),
    ],
)
def test_explore_labelled_data_that_is_not_what_it_claims(arrays, expected, work, capsys):
    """These raised TypeError (len() of a 0-d array) or ValueError (astype) as internal errors."""
    (work / "m.onnx").write_bytes((MODELS / "lenet5_int8.onnx").read_bytes())
    _labelled(work / "d.npz", **arrays)
    argv = ["m.onnx", *EXPLORE_ONE, "-o", "f.json", "--data", "d.npz"]
    assert_fails_cleanly("fpga-explore", argv, expected, work, capsys)


@pytest.mark.parametrize(
    ("tool", "argv", "expected"),
    [
        ("fpga-trace", ["m.onnx", "-n", "1", "--json", "m.onnx"], "--json m.onnx: is an input of this run"),
        ("fpga-sim", ["m.mlir", "-q", "--report-json", "m.mlir"], "--report-json m.mlir: is an input of this run"),
        ("fpga-report", ["m.mlir", "--json", "m.mlir"], "--json m.mlir: is an input of this run"),
        ("fpga-report", ["m.mlir", "--html", "./m.mlir"], "--html m.mlir: is an input of this run"),
    ],
)
def test_a_report_written_over_an_input_is_refused(tool, argv, expected, lenet, work, capsys):
    """fpga-trace --json m.onnx replaced the model with its JSON trace (found by the fuzzer's trace family)."""
    (work / "m.onnx").write_bytes((MODELS / "lenet5_int8.onnx").read_bytes())
    assert_fails_cleanly(tool, argv, expected, work, capsys)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (b"this is not python(\n", "not a Python model builder (SyntaxError"),
        (b"KNOBS = {}\x00\n", "not a Python model builder (SyntaxError"),
        (b"import sys\nsys.exit(3)\n", "the model builder called sys.exit(3) while loading"),
        (b"raise RuntimeError('broken')\n", "the model builder failed while loading (RuntimeError: broken)"),
    ],
)
def test_explore_model_builders_that_break_while_loading(source, expected, work, capsys):
    """The builder is the user's code: its failure is one line about it, not an internal error or exit 3."""
    (work / "b.py").write_bytes(source)
    _labelled(work / "d.npz", x=np.zeros((8, 1, 28, 28), np.float32), y=np.zeros(8, np.int64))
    argv = ["b.py", *EXPLORE_ONE, "-o", "f.json", "--train-data", "d.npz"]
    assert_fails_cleanly("fpga-explore", argv, expected, work, capsys)


def test_trace_input_of_the_wrong_shape(work, capsys):
    """onnxruntime's InvalidArgument on a 9x3x9 input was an internal error."""
    (work / "m.onnx").write_bytes((MODELS / "lenet5_int8.onnx").read_bytes())
    np.savez(work / "x.npz", input=np.zeros((9, 3, 9), np.float32))
    expected = "input 'input' has shape (9, 3, 9); the model takes a batch Nx1x28x28"
    assert_fails_cleanly("fpga-trace", ["m.onnx", "-q", "--input", "x.npz"], expected, work, capsys)


def test_an_opset_no_onnx_knows(work, capsys):
    """Opset 2^40 reached onnx.defs.get_schema, which raised TypeError (an internal error)."""
    model = onnx.load(MODELS / "lenet5_int8.onnx")
    model.opset_import[0].version = 2**40
    (work / "m.onnx").write_bytes(model.SerializeToString())
    expected = "opset 1099511627776 is newer than any the installed onnx"
    assert_fails_cleanly("fpga-trace", ["m.onnx", "-q", "-n", "1"], expected, work, capsys)
    assert_fails_cleanly("fpga-translate", ["--import-onnx", "m.onnx", "-o", "o.mlir"], expected, work, capsys)


def test_a_scratch_folder_left_by_sigkill_is_removed_by_the_next_run(tmp_path, monkeypatch):
    """fpga-explore's scratch folder is in $TMPDIR, where no re-run's output write sweeps: the next
    scratch folder of the same tool removes those of processes that are gone (and only those)."""
    import tempfile

    from fpga_opt.dialects.files import scratch_directory

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f"fpga-explore-{int(dead.stdout)}-abc123"
    alive = tmp_path / f"fpga-explore-{os.getpid()}-def456"
    other = tmp_path / "fpga-explorer-notes"
    for folder in (stale, alive, other):
        folder.mkdir()
        (folder / "q.onnx").write_bytes(b"x")
    with scratch_directory("fpga-explore-") as scratch:
        assert scratch.name.startswith(f"fpga-explore-{os.getpid()}-")
    assert not stale.exists() and alive.exists() and other.exists()


def test_a_weight_table_wider_than_64_bits_is_a_user_error():
    """The fuzz slice found it after the perf merge: an i4096 weight type in IR reached
    `table_bytes`'s `next(...)` (StopIteration, an internal error) in fpga-translate --emit-hls."""
    from xdsl.dialects.builtin import IntegerType

    from fpga_opt.dialects.errors import FpgaOptError
    from fpga_opt.passes.lower_dataflow_to_hls.numerics import table_bytes

    assert table_bytes(IntegerType(64)) == 8 and table_bytes(IntegerType(9)) == 2
    with pytest.raises(FpgaOptError, match="i4096 values: no C.. integer holds more than 64 bits"):
        table_bytes(IntegerType(4096))
