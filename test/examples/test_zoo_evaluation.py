"""examples/zoo/evaluate_zoo.py on a one-model zoo (the committed SqueezeNet 1.1, QOperator form).

The script makes docs/zoo.md's tables; its rows must say how many inputs each figure rests on, and
`--join` must rebuild one table from the JSON of several runs (the ImageNet-size rows are measured
one network at a time).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")

ZOO = Path(__file__).resolve().parents[2] / "examples" / "zoo"


def _script():
    spec = importlib.util.spec_from_file_location("evaluate_zoo", ZOO / "evaluate_zoo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rows_name_their_input_count_and_join_rebuilds_the_table(tmp_path, capsys):
    (tmp_path / "zoo" / "cifar").mkdir(parents=True)
    shutil.copy(ZOO / "models" / "squeezenet1_1.qop.onnx", tmp_path / "zoo" / "cifar")
    evaluate_zoo = _script()
    out = tmp_path / "run.json"
    code = evaluate_zoo.main(["--zoo", str(tmp_path / "zoo"), "--samples", "6", "--forms", "qop", "--json", str(out)])
    assert code == 0
    (row,) = json.loads(out.read_text())
    assert row["net"] == "squeezenet1_1" and row["form"] == "qop" and row["samples"] == 6
    assert row["trace"]["failures"] == [] and row["sim"]["cycles_per_frame"] > 0
    printed = capsys.readouterr().out
    assert evaluate_zoo.main(["--join", str(out), str(out)]) == 0
    joined = capsys.readouterr().out.splitlines()
    assert joined[0].startswith("| network | form |") and "| inputs | top-1 agree |" in joined[0]
    assert len(joined) == 4 and joined[2] == joined[3] == printed.splitlines()[2]
    cells = [c.strip() for c in joined[2].split("|")[1:-1]]
    assert cells[:3] == ["squeezenet1_1", "qop", "62 ops"] and cells[6] == "6" and cells[8] == "pass"
