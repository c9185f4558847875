"""The error boundary: every tool gets it by construction, and it says bugs apart from bad input."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.tools import launch
from fpga_opt.tools.diagnostics import DEBUG_ENV, tool_main

REPO = Path(__file__).resolve().parents[3]


def test_every_console_script_starts_through_the_launcher():
    """A script that bypassed `launch` would import xDSL outside the boundary (Ctrl-C: a traceback)."""
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert set(scripts) == set(launch.TOOLS)
    for tool, target in scripts.items():
        module, function = target.split(":")
        assert module == "fpga_opt.tools.launch", target
        assert function == tool.replace("-", "_") and callable(getattr(launch, function)), target


@pytest.mark.parametrize("tool", sorted(launch.TOOLS))
def test_every_tool_main_runs_inside_the_boundary(tool):
    main = importlib.import_module(launch.TOOLS[tool]).main
    assert getattr(main, "tool_name", None) == tool


SCRIPTS = sorted(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"])
"""Every console script the package installs (pyproject.toml [project.scripts])."""

MISSING_INPUT = {
    "fpga-opt": ["missing.mlir", "-o", "out.mlir"],
    "fpga-translate": ["--import-onnx", "missing.onnx", "-o", "out.mlir"],
    "fpga-sim": ["missing.mlir", "--report-json", "r.json"],
    "fpga-report": ["missing.mlir", "--json", "r.json"],
    "fpga-compile": ["missing.onnx", "-o", "out"],
    "fpga-profile-exits": ["missing.mlir", "--data", "missing.npz", "--json", "p.json"],
    "fpga-trace": ["missing.onnx", "--json", "t.json"],
    "fpga-explore": ["missing.onnx", "--board", "kv260", "-o", "f.json"],
}
"""Each tool with an input that does not exist (a new tool adds its line: the test below asks for it)."""


def _caught_signals(pid: int) -> int:
    """The process's caught-signal mask (/proc/PID/status SigCgt), 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)


@pytest.mark.parametrize("tool", SCRIPTS)
def test_every_tool_keeps_the_promise_on_a_missing_input(tool, tmp_path, capsys, monkeypatch):
    """One line naming the file, exit 1, nothing written (in-process: a subprocess per tool costs seconds)."""
    assert tool in MISSING_INPUT, f"{tool}: add a missing-input command line to MISSING_INPUT"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        importlib.import_module(launch.TOOLS[tool]).main(MISSING_INPUT[tool])
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert done.value.code == 1, err
    assert len(lines) == 1 and lines[0].startswith(f"{tool}: error: ") and "missing." in lines[0], err
    assert "Traceback" not in out + err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("tool", SCRIPTS)
def test_every_console_script_interrupted_while_loading_is_one_line(tool, tmp_path):
    """SIGINT as soon as the launcher's handlers are in place (xDSL, numpy, onnx still loading).

    /proc's SigCgt says when: Python itself catches SIGINT from the start, SIGTERM only once the
    launcher (fpga_opt.tools.launch) has installed its handlers.
    """
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to see when the launcher's signal handlers are in place")
    script = Path(sys.executable).parent / tool
    assert script.exists(), f"{script}: not installed (pip install -e . installs the console scripts)"
    process = subprocess.Popen(
        [str(script), *MISSING_INPUT[tool]], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        for _ in range(2000):
            if process.poll() is not None or _caught_signals(process.pid) & (1 << (signal.SIGTERM - 1)):
                break
            time.sleep(0.001)
        assert process.poll() is None, "the tool ended before its signal handlers were seen"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signal.SIGINT, err
    assert err.strip() == f"{tool}: error: interrupted by SIGINT", err
    assert "Traceback" not in out
    assert list(tmp_path.iterdir()) == []


def test_the_launcher_modules_import_only_the_standard_library():
    """So that the boundary is in place before xDSL, numpy and onnx start loading."""
    code = (
        "import sys\n"
        "import fpga_opt.tools.launch, fpga_opt.tools.diagnostics\n"
        "heavy = [m for m in ('xdsl', 'numpy', 'onnx', 'fpga_opt.dialects') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "", done.stdout + done.stderr


def _buggy_tool():
    @tool_main("fpga-x")
    def main(argv):
        {}["missing"]  # a bug: no check anticipated it

    return main


def test_a_bug_is_one_line_that_says_so_and_where(capsys, monkeypatch):
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    with pytest.raises(SystemExit) as done:
        _buggy_tool()([])
    err = capsys.readouterr().err
    assert done.value.code == 1
    assert err.count("\n") == 1
    assert err.startswith("fpga-x: error: internal error (KeyError: 'missing' at ")
    assert "test_boundary.py:" in err and "this is a bug in fpga-opt, not in your input" in err
    assert "--debug" in err and "Traceback" not in err


@pytest.mark.parametrize("how", ["flag", "env"])
def test_debug_shows_the_traceback(how, capsys, monkeypatch):
    argv = ["--debug"] if how == "flag" else []
    if how == "env":
        monkeypatch.setenv(DEBUG_ENV, "1")
    with pytest.raises(SystemExit):
        _buggy_tool()(argv)
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.strip().splitlines()[-1].startswith("fpga-x: error: internal error")


def test_the_debug_flag_is_not_passed_to_the_tool():
    seen = []

    @tool_main("fpga-x")
    def main(argv):
        seen.append(argv)

    main(["a", "--debug", "b"])
    assert seen == [["a", "b"]]


def test_user_errors_keep_their_one_line(capsys):
    @tool_main("fpga-x")
    def main(argv):
        raise FpgaOptError("model.onnx: node 'c' (Conv): what, where, why")

    with pytest.raises(SystemExit) as done:
        main([])
    assert done.value.code == 1
    assert capsys.readouterr().err == "fpga-x: error: model.onnx: node 'c' (Conv): what, where, why\n"


def test_outputs_are_written_only_when_the_tool_succeeds(tmp_path):
    from fpga_opt.dialects.files import write_atomically

    @tool_main("fpga-x")
    def failing(argv):
        write_atomically(tmp_path / "a.json", "{}")
        raise FpgaOptError("later step failed")

    @tool_main("fpga-x")
    def succeeding(argv):
        write_atomically(tmp_path / "sub" / "a.json", "{}")
        assert not (tmp_path / "sub").exists()  # staged, not yet written

    with pytest.raises(SystemExit):
        failing([])
    assert list(tmp_path.iterdir()) == []
    succeeding([])
    assert (tmp_path / "sub" / "a.json").read_text() == "{}"


def test_intermediates_in_a_scratch_folder_can_be_read_back_and_are_removed(tmp_path):
    """A tool that writes a file to read it again (fpga-explore's re-quantised models) uses a scratch folder."""
    from fpga_opt.dialects.files import scratch_directory, write_atomically

    folders = []

    @tool_main("fpga-x")
    def main(argv):
        with scratch_directory("fpga-x-") as scratch:
            folders.append(scratch)
            write_atomically(scratch / "model.onnx", b"bytes")
            assert (scratch / "model.onnx").read_bytes() == b"bytes"  # on disk at once, not staged
            write_atomically(tmp_path / "result.json", "{}")
            if argv:
                raise FpgaOptError("a later step failed")

    with pytest.raises(SystemExit):
        main(["fail"])
    assert not folders[0].exists() and list(tmp_path.iterdir()) == []
    main([])
    assert not folders[1].exists() and (tmp_path / "result.json").read_text() == "{}"


def test_a_signal_a_library_turned_into_another_error_is_still_an_interruption(capsys):
    """SIGTERM while numpy's C extension loads surfaced as numpy's ImportError: it is an interruption."""

    @tool_main("fpga-x")
    def main(argv):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        except KeyboardInterrupt:
            raise ImportError("Importing the numpy C-extensions failed.") from None

    with pytest.raises(SystemExit) as done:
        main([])
    assert done.value.code == 128 + signal.SIGTERM
    assert capsys.readouterr().err == "fpga-x: error: interrupted by SIGTERM\n"


def test_a_closed_stdout_is_one_line(tmp_path):
    """`fpga-report big.mlir | head -c 10`: the reader goes away; no BrokenPipeError traceback."""
    script = tmp_path / "talk.py"
    script.write_text(
        "import sys\n"
        "from fpga_opt.tools.diagnostics import tool_main\n"
        "@tool_main('fpga-x')\n"
        "def main(argv):\n"
        "    for _ in range(2000):\n"
        "        sys.stdout.write('x' * 10000 + '\\n')\n"
        "main([])\n"
    )
    done = subprocess.run(
        f"'{sys.executable}' '{script}' | head -c 10 >/dev/null; exit ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr == "fpga-x: error: standard output was closed before the tool finished\n"


def test_fpga_compile_design_report_is_deterministic(tmp_path):
    """Two runs: `design` in report.json and every other output are byte-identical; `run` holds the rest."""
    from fpga_opt.tools.fpga_compile import main

    model = REPO / "examples" / "models" / "mobilenet_block_int8.onnx"
    outputs = []
    for name in ("a", "b"):
        with pytest.raises(SystemExit) as done:
            main([str(model), "-o", str(tmp_path / name), "--no-csim", "--frames", "2"])
            raise SystemExit(0)
        assert done.value.code in (0, None)
        outputs.append(tmp_path / name)
    a, b = (json.loads((o / "report.json").read_text()) for o in outputs)
    assert a["design"] == b["design"] and a["design"]["estimate"]["fps"] > 0
    assert a["run"]["output"] != b["run"]["output"] and set(a["run"]) >= {"seconds", "versions", "model_path"}
    files = sorted(p.relative_to(outputs[0]) for p in outputs[0].rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(outputs[1]) for p in outputs[1].rglob("*") if p.is_file())
    for rel in files:
        if rel.name != "report.json":
            assert (outputs[0] / rel).read_bytes() == (outputs[1] / rel).read_bytes(), rel


def test_the_readme_pass_example(capsys):
    """README "Writing a pass": a pass's option check and error are one line through any tool."""
    from dataclasses import dataclass

    from xdsl.dialects.builtin import ModuleOp
    from xdsl.passes import ModulePass

    from fpga_opt.dialects import make_context
    from fpga_opt.dialects.errors import check_range
    from fpga_opt.tools.pipeline import parse_pipeline

    @dataclass(frozen=True)
    class MyPass(ModulePass):
        name = "my-pass"
        rounds: int = 4

        def apply(self, ctx, op):
            check_range(self.name, "rounds", self.rounds, 1, 100, "each round re-simulates the design")
            if "dataflow.board" not in op.attributes:
                raise FpgaOptError(f"{self.name}: the module has no dataflow.board; run select-folding first")

    @tool_main("fpga-opt")
    def main(argv):
        parse_pipeline(argv[0], {"my-pass": lambda: MyPass}).apply(make_context(), ModuleOp([]))

    expected = {
        "my-pass{rounds=0}": "fpga-opt: error: my-pass: rounds must be in [1, 100], got 0 (each round re-simulates the design)\n",
        "my-pass": "fpga-opt: error: my-pass: the module has no dataflow.board; run select-folding first\n",
        "my-pass{rounds=x}": "fpga-opt: error: --pass-pipeline 'my-pass{rounds=x}': Incompatible types: given ('x',), expected <class 'int'>\n",
    }
    for pipeline, line in expected.items():
        with pytest.raises(SystemExit) as done:
            main([pipeline])
        assert done.value.code == 1
        assert capsys.readouterr().err == line
