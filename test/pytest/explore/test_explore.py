"""fpga-explore end to end on small spaces: fronts, determinism across engines, reproduction, errors."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fpga_opt.tools.explore.front import as_minimised, non_dominated
from fpga_opt.tools.fpga_explore import main

ROOT = Path(__file__).resolve().parents[3]
LENET = ROOT / "examples" / "models" / "lenet5.onnx"
EARLY_EXIT = ROOT / "examples" / "early_exit" / "digits_blenet.onnx"
#: A small space: two bit widths, two clocks, two budgets (12 genes, 4096 designs), and a parallelism gene per layer.
SMALL = ["--bits", "4,8", "--budgets", "0.1,0.5", "--clocks", "100,200", "--population", "4", "--quiet"]


def explore(tmp_path: Path, *extra: str, model: Path = LENET, budget: int = 6) -> dict:
    out = tmp_path / "front.json"
    main([str(model), "--board", "kv260", "--budget", str(budget), "-o", str(out), *SMALL, *extra])
    return json.loads(out.read_text())


def test_front_holds_non_dominated_points_with_settings(tmp_path, capsys):
    doc = explore(tmp_path, "--workers", "1", "--all-evaluations")
    objectives = list(doc["objectives"])
    assert len(objectives) >= 3 and doc["evaluations"] == 6
    assert doc["accuracy"] == {"kind": "agreement", "samples": 64}
    assert "agreement with the float model" in doc["objectives"]["accuracy"]["what"]
    every = json.loads((tmp_path / "front.all.json").read_text())
    feasible = [r for r in every if r["feasible"]]
    points = np.stack([as_minimised(r["metrics"], objectives) for r in feasible])
    expected = {feasible[i]["id"] for i in non_dominated(points)}
    assert {p["id"] for p in doc["points"]} == expected
    for p in doc["points"]:
        assert (tmp_path / p["design"]).is_file()
        argv = shlex.split(p["compile"])
        assert argv[0] == "fpga-compile" and argv[argv.index("--board") + 1] == "kv260"
        pipeline = argv[argv.index("--pipeline") + 1]
        assert f"clock-mhz={p['clock_mhz']:g}" in pipeline and f"max-util={p['settings']['max_util']:g}" in pipeline
        # energy per inference is power / throughput (in uJ)
        assert p["objectives"]["energy"] == pytest.approx(
            p["objectives"]["power"] / p["objectives"]["throughput"] * 1e6
        )
    assert set(doc["goals"]) == {"low-energy", "low-power", "high-throughput"}
    csv = (tmp_path / "front.csv").read_text().splitlines()
    assert len(csv) == len(doc["points"]) + 1 and csv[0].startswith("id,board,clock_mhz")
    out = capsys.readouterr().out
    assert "points on the front" in out and "goal low-energy" in out


def test_same_front_for_a_seed_whatever_the_engine(tmp_path):
    """In process, a 2-process pool and a 2-worker Dask LocalCluster started here: identical bytes."""
    pytest.importorskip("distributed")
    fronts = []
    for engine in (["--workers", "1"], ["--workers", "2"], ["--workers", "2", "--cluster", "local"]):
        explore(tmp_path, *engine)
        fronts.append(((tmp_path / "front.json").read_bytes(), (tmp_path / "front.csv").read_bytes()))
    assert fronts[0] == fronts[1] == fronts[2]


#: Two LocalClusters at once, as benchmarks/explore.py runs its 1- and 2-worker ones, each closed in turn.
TWO_CLUSTERS = """
from fpga_opt.tools.explore.engines import DaskEngine


def double(settings):
    return {"x": 2 * settings["a"]}


if __name__ == "__main__":
    first, second = DaskEngine(double, "local", 1), DaskEngine(double, "local", 1)
    print(first.map([{"a": 1}]), second.map([{"a": 2}]))
    first.close()
    second.close()
"""


def test_dask_clusters_keep_their_info_logs_off_stderr(tmp_path):
    """Closing the first cluster put Dask's loggers back to INFO, and closing the second printed its every
    client, worker and stream on stderr (pages in the benchmark).  Its own process: pytest holds stderr."""
    pytest.importorskip("distributed")
    script = tmp_path / "two_clusters.py"
    script.write_text(TWO_CLUSTERS)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[{'x':", "2}]", "[{'x':", "4}]"]
    assert not [line for line in done.stderr.splitlines() if "distributed." in line and " INFO " in line], done.stderr


def test_another_seed_explores_differently(tmp_path):
    a = explore(tmp_path / "a", "--workers", "1", "--seed", "1", "--all-evaluations")
    b = explore(tmp_path / "b", "--workers", "1", "--seed", "2", "--all-evaluations")
    assert a["seed"] != b["seed"]
    ga = [r["genes"] for r in json.loads((tmp_path / "a" / "front.all.json").read_text())]
    gb = [r["genes"] for r in json.loads((tmp_path / "b" / "front.all.json").read_text())]
    assert ga != gb


def test_quantised_model_has_no_bit_genes_and_no_accuracy_without_data(tmp_path):
    doc = explore(tmp_path, "--workers", "1", model=ROOT / "examples/models/lenet5_int8.onnx", budget=4)
    assert not any(g["name"].startswith("bits.") for g in doc["genes"])
    assert "accuracy" not in doc["objectives"] and doc["accuracy"] is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["missing.onnx", "--board", "kv260"], "missing.onnx: no such file"),
        ([str(LENET), "--board", "nosuchboard"], "nosuchboard"),
        ([str(LENET), "--board", "kv260", "--objectives", "speed,power"], "--objectives: unknown speed"),
        (
            [str(LENET), "--board", "kv260", "--budget", "0"],
            "--budget: the number of evaluations must be in [1, 100000], got 0",
        ),
        ([str(LENET), "--board", "kv260", "--bits", "1,4"], "--bits: bit widths must be in [2, 8]"),
        ([str(LENET), "--board", "kv260", "--data", "nodata.npz"], "--data nodata.npz: no such file"),
        (
            [str(LENET), "--board", "kv260", "--workers", "0"],
            "--workers: the number of local worker processes must be in [1, 1024], got 0",
        ),
        ([str(EARLY_EXIT), "--board", "kv260"], "2 outputs (an early-exit network): its exit thresholds are chosen"),
        ([str(LENET), "--board", "kv260", "--thresholds", "0.9"], "has one output (exit thresholds are for early-exit"),
    ],
)
def test_bad_input_is_one_line_and_exit_1_with_nothing_written(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        main([*argv, "-o", "out/front.json", "--quiet"])
    assert done.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("fpga-explore: error: ") and message in err[0], err
    assert not (tmp_path / "out" / "front.json").exists()
    assert not list((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else True


def test_exit_thresholds_are_genes_of_an_early_exit_network(tmp_path):
    """The B-LeNet's exit threshold is a gene; each point's accuracy and exit rates are those of its thresholds
    (checked here with onnxruntime on the point's re-quantised model and softmax confidences)."""
    import onnxruntime as ort

    data = np.load(ROOT / "examples" / "early_exit" / "digits_test.npz")
    x, y = data["x"][:96], data["y"][:96]
    np.savez(tmp_path / "d.npz", x=x, y=y)
    out = tmp_path / "front.json"
    main([str(EARLY_EXIT), "--board", "pynqz2", "--data", str(tmp_path / "d.npz"), "--train-data",
          str(tmp_path / "d.npz"), "--eval-samples", "96", "--bits", "8", "--budgets", "0.5",
          "--thresholds", "0.5,0.999", "--budget", "2", "--population", "2", "--workers", "1", "--quiet",
          "--all-evaluations", "-o", str(out)])  # fmt: skip
    doc = json.loads(out.read_text())
    names = [g["name"] for g in doc["genes"]]
    assert "threshold.0" in names and "clock_fraction" not in names and "clock_mhz" not in names
    # the two exits' last layers share one activation gene (their logits merge into one stream)
    assert "bits.exit0:Gemm.a" in names and "bits.exit1:Gemm.a" not in names
    every = json.loads((tmp_path / "front.all.json").read_text())
    assert sorted(r["settings"]["thresholds"][0] for r in every) == [0.5, 0.999]
    on_front = {p["id"]: p for p in doc["points"]}
    assert on_front
    for r in every:
        assert r["feasible"], r.get("error")
        point = on_front.get(r["id"])
        if point is None:
            continue
        session = ort.InferenceSession(str(tmp_path / point["design"]), providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        logits = [
            np.concatenate(o)
            for o in zip(*[session.run(None, {name: x[i : i + 1]}) for i in range(len(x))], strict=True)
        ]
        confidence = [
            np.max(np.exp(lg - lg.max(1, keepdims=True)), 1) / np.exp(lg - lg.max(1, keepdims=True)).sum(1)
            for lg in logits
        ]
        leave = confidence[0] >= r["settings"]["thresholds"][0]
        pred = np.where(leave, logits[0].argmax(1), logits[1].argmax(1))
        assert r["exits"]["exit_fractions"][0] == pytest.approx(leave.mean(), abs=0.03)
        assert r["metrics"]["accuracy"] == pytest.approx(float(np.mean(pred == y)), abs=0.03)
        argv = shlex.split(point["compile"])
        assert argv[argv.index("--thresholds") + 1] == f"{r['settings']['thresholds'][0]:g}"
        assert argv[argv.index("--exit-data") + 1] == str(tmp_path / "d.npz") and "--pipeline" not in argv
    # a low threshold lets more samples leave early, and the exit-aware folding turns that into frames per second
    low, high = sorted(every, key=lambda r: r["settings"]["thresholds"][0])
    assert low["exits"]["exit_fractions"][0] > high["exits"]["exit_fractions"][0]
    assert low["metrics"]["throughput"] >= high["metrics"]["throughput"]


def test_data_without_labels_is_refused(tmp_path, capsys):
    np.savez(tmp_path / "x.npz", x=np.zeros((4, 1, 28, 28), np.float32))
    with pytest.raises(SystemExit):
        main([str(LENET), "--board", "kv260", "--data", str(tmp_path / "x.npz"), "-o", str(tmp_path / "f.json")])
    assert "needs arrays 'x'" in capsys.readouterr().err


@pytest.mark.slow
def test_emitted_design_reproduces_the_front_value(tmp_path):
    """--emit compiles a front point: fpga-sim's timing of that design is the front's throughput (5%), csim passes."""
    from fpga_opt.backend.sim import simulate
    from fpga_opt.dialects.parsing import load_module

    doc = explore(tmp_path, "--workers", "1", "--emit", "high-throughput", "--emit-dir", str(tmp_path / "design"))
    pick = next(p for p in doc["points"] if p["id"] == doc["goals"]["high-throughput"]["id"])
    report = json.loads((tmp_path / "design" / "report.json").read_text())["design"]
    assert report["csim_passed"] is True, report["csim"]
    opt = next((tmp_path / "design").glob("*.opt.mlir"))
    timing = simulate(load_module(opt), None, None, frames=4, base_dir=opt.parent).timing
    assert timing.deadlock is None
    assert timing.fps == pytest.approx(pick["objectives"]["throughput"], rel=0.05)


def test_builder_knobs_are_genes(tmp_path):
    """A model builder (KNOBS + build_onnx): topology knobs and one bit-width pair become genes."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 1, 32)).astype(np.float32)
    y = (x[:, 0, :16].mean(axis=1) > x[:, 0, 16:].mean(axis=1)).astype(np.int64)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    builder = Path(__file__).with_name("tiny_builder.py")
    out = tmp_path / "front.json"
    main([str(builder), "--board", "pynqz2", "--data", str(tmp_path / "d.npz"), "--train-data", str(tmp_path / "d.npz"),
          "--budget", "5", "--population", "4", "--bits", "4,8", "--budgets", "0.2", "--clocks", "100",
          "--workers", "1", "--quiet", "-o", str(out)])  # fmt: skip
    doc = json.loads(out.read_text())
    names = [g["name"] for g in doc["genes"]]
    assert names == ["bits.w", "bits.a", "max_util", "knob.width", "knob.kernel"]
    for p in doc["points"]:
        assert set(p["settings"]["knobs"]) == {"width", "kernel"} and list(p["settings"]["bits"]) == ["*"]
        assert (tmp_path / p["design"]).is_file()


def test_builder_needs_training_data(tmp_path, capsys):
    builder = Path(__file__).with_name("tiny_builder.py")
    with pytest.raises(SystemExit):
        main([str(builder), "--board", "kv260", "-o", str(tmp_path / "f.json"), "--quiet"])
    assert "needs --train-data" in capsys.readouterr().err


def test_parallelism_genes_pin_layers_and_fpga_compile_rebuilds_them(tmp_path):
    """--parallelism layers (the default): each Conv/Gemm has a gene; a point with pinned layers is
    rebuilt by its stored fpga-compile command at the front's frame rate (estimate-resources)."""
    from fpga_opt.tools import fpga_compile

    doc = explore(tmp_path, "--workers", "1", "--all-evaluations", budget=8)
    par = [g for g in doc["genes"] if g["name"].startswith("par.")]
    assert len(par) == 5 and all(g["choices"][:2] == [0, 1] for g in par)  # LeNet-5: 2 convs, 3 linears
    every = json.loads((tmp_path / "front.all.json").read_text())
    assert any(any(r["settings"]["parallelism"]) for r in every)  # the search pins layers
    pinned = [p for p in doc["points"] if any(p["settings"]["parallelism"])]
    assert pinned, "no front point with a pinned layer"
    point = pinned[0]
    argv = shlex.split(point["compile"])
    pipeline = argv[argv.index("--pipeline") + 1]
    pins = ",".join(str(k) for k in point["settings"]["parallelism"])
    assert f"layer-parallelism={pins}" in pipeline
    out = tmp_path / "rebuilt"
    assert fpga_compile.main([*argv[1 : argv.index("-o")], "-o", str(out), "--no-csim", "--quiet"]) in (None, 0)
    report = json.loads((out / "report.json").read_text())
    assert report["design"]["simulate"]["passed"] is True
    assert report["design"]["estimate"]["fps"] == pytest.approx(point["objectives"]["throughput"], rel=1e-4)
