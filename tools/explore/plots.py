"""PNG plots of an exploration: throughput vs energy, and accuracy vs resources (matplotlib)."""

from __future__ import annotations

from pathlib import Path

from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.dialects.files import write_atomically


def require_matplotlib():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise FpgaOptError(
            "--plots needs matplotlib, which is not installed: pip install 'fpga-opt[explore]'"
        ) from None
    return plt


def _save(fig, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp.png")
    try:
        fig.savefig(tmp, dpi=120, metadata={"Software": None})  # no timestamp: byte-identical reruns
        write_atomically(path, tmp.read_bytes())
    finally:
        tmp.unlink(missing_ok=True)


def plot_front(records: list[dict], front: list[dict], goals: dict, prefix: Path, title: str) -> list[Path]:
    """`<prefix>.throughput_energy.png` and, with accuracy, `<prefix>.accuracy_resources.png`."""
    plt = require_matplotlib()
    feasible = [r for r in records if r["result"].get("feasible")]
    front_ids = {r["id"] for r in front}
    goal_of: dict[int, str] = {}
    for name, g in goals.items():
        goal_of[g["id"]] = f"{goal_of[g['id']]}, {name}" if g["id"] in goal_of else name
    written = []
    pairs = [("energy", "throughput", "energy per inference (uJ)", "throughput (FPS)", "throughput_energy")]
    if feasible and "accuracy" in feasible[0]["result"]["metrics"]:
        pairs.append(("resources", "accuracy", "largest resource utilisation", "accuracy", "accuracy_resources"))
    for x_key, y_key, x_label, y_label, suffix in pairs:
        fig, ax = plt.subplots(figsize=(7, 5))
        others = [r for r in feasible if r["id"] not in front_ids]
        ax.scatter([r["result"]["metrics"][x_key] for r in others], [r["result"]["metrics"][y_key] for r in others],
                   s=12, color="0.7", label="evaluated")  # fmt: skip
        ax.scatter([r["result"]["metrics"][x_key] for r in front], [r["result"]["metrics"][y_key] for r in front],
                   s=28, color="tab:red", label="Pareto front (all objectives)")  # fmt: skip
        labelled = [r for r in front if r["id"] in goal_of]
        for k, r in enumerate(labelled):  # one label a line: two goals' picks can sit a pixel apart
            m = r["result"]["metrics"]
            ax.annotate(
                goal_of[r["id"]], (m[x_key], m[y_key]), textcoords="offset points", xytext=(6, 4 - 11 * k), fontsize=8
            )
        if x_key == "energy":
            ax.set_xscale("log")
            ax.set_yscale("log")
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.set_title(title)
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = Path(f"{prefix}.{suffix}.png")
        _save(fig, path)
        plt.close(fig)
        written.append(path)
    return written
