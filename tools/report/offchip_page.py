"""The report page's off-chip parts: a design's DRAM use, a partitioned design's schedule and its partitions.

Figures come from tools/report/offchip.py (`function_figures` per function,
the `dataflow.schedule` of the `partition` pass); fpga-sim's runs, when
given, are one timing report per partition.  Same markup and classes as the
rest of the page (page.py), so the same style sheet draws them.
"""

from __future__ import annotations

from html import escape
from typing import Any

import networkx as nx

from fpga_opt.tools.report.svg import compact, draw_graph


def _bar(label: str, fraction: float, text: str, key: str) -> str:
    css = "fill over" if fraction > 1.0 else ("fill warm" if fraction >= 0.8 else "fill")
    return (
        f'<div class="bar" data-dram="{escape(key)}"><b>{escape(label)}</b>'
        f'<div class="track"><div class="{css}" style="width:{100 * min(fraction, 1.0):.1f}%"></div></div>'
        f'<span class="num">{escape(text)}</span></div>'
    )


def bandwidth_bar(fig: dict[str, Any], key: str) -> str:
    """The DRAM bandwidth a function needs at its interval, against what the board gives (derated)."""
    needed, available = float(fig.get("dram_gbps_needed") or 0), float(fig.get("dram_gbps_available") or 0)
    fraction = needed / available if available else 0.0
    return _bar("DRAM", fraction, f"{needed:g} / {available:g} GB/s ({100 * fraction:.1f}%)", key)


def _placements(fig: dict[str, Any]) -> str:
    names = {"dram": "streamed from DRAM", "generated": "generated on chip", "onchip": "on chip"}
    return ", ".join(f"{n} {names.get(k, k)}" for k, n in sorted(fig.get("placements", {}).items())) or "none"


def _traffic(fig: dict[str, Any]) -> str:
    parts = fig.get("dram_bytes") or {}
    split = ", ".join(f"{k} {compact(v)}" for k, v in parts.items() if v)
    return f"{fig.get('dram_bytes_per_frame', 0):,} bytes per frame ({split or 'none'})"


def dram_section(fig: dict[str, Any]) -> str:
    """A design with off-chip weights: its DRAM traffic, time against compute, what binds, where the weights are."""
    rows = [
        ("DRAM traffic", _traffic(fig)),
        ("DRAM time", f"{fig['dram_cycles']:,} cycles per frame against compute {fig['compute_interval']:,}"),
        ("binds", str(fig["binding"])),
        ("weights", f"layers: {_placements(fig)}"),
    ]
    cells = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in rows)
    return (
        f'<section id="dram"><h2>Off-chip memory</h2>{bandwidth_bar(fig, "design")}'
        f'<table class="facts">{cells}</table><p class="note">All traffic of a frame shares the board\'s '
        "derated DRAM bandwidth; each weight stream gets its bytes' share (docs/passes/offchip.md).</p></section>"
    )


def schedule_section(schedule: dict[str, Any], parts: list[dict[str, Any]], sims: list[dict[str, Any] | None]) -> str:
    """The schedule's figures, then per partition: interval (predicted and simulated), DRAM use, what binds."""
    cards = [
        (f"{float(schedule['fps']):,.0f}", "frames/s predicted (the schedule)"),
        (f"{schedule['partitions']} \u00d7 batch {schedule['batch']}", "partitions run in turn"),
        (f"{schedule['batch_latency_ms']:g} ms", "batch latency"),
        (f"{int(schedule['reconfig_cycles']):,}", "cycles per reconfiguration"),
    ]
    html = "".join(f'<div class="card"><div class="v">{escape(v)}</div><div class="k">{escape(k)}</div></div>'
                   for v, k in cards)  # fmt: skip
    rows = []
    for part, sim in zip(parts, sims + [None] * (len(parts) - len(sims)), strict=False):
        simulated = "-"
        if sim is not None and sim.get("deadlock") is None:
            simulated = f"{float(sim.get('cycles_per_frame') or 0):,.0f}"
        elif sim is not None:
            simulated = "deadlock"
        rows.append(
            f"<tr><td><a href='#partition-{part['index']}'>p{part['index']}</a></td>"
            f"<td class='n'>{part['interval']:,}</td><td class='n'>{escape(simulated)}</td>"
            f"<td class='n'>{part['dram_gbps_needed']:g}</td><td>{escape(part['binding'])}</td></tr>"
        )
    frames = next((s.get("frames") for s in sims if s), None)
    note = f"simulated: fpga-sim, {frames} frames per partition" if frames else "not simulated (--sim-frames 0)"
    return (
        f'<section id="schedule"><h2>Schedule</h2><div class="cards">{html}</div>'
        f'<p class="note">binds: {escape(str(schedule["binds"]))}</p>'
        '<table><tr><th>partition</th><th class="n">interval</th><th class="n">simulated</th>'
        f'<th class="n">DRAM GB/s</th><th>binds</th></tr>{"".join(rows)}</table>'
        f'<p class="note">Intervals in cycles per frame; {escape(note)}.</p></section>'
    )


def partition_sections(parts: list[dict[str, Any]], graphs: list[nx.DiGraph], legend: str) -> list[str]:
    """One section per partition: its figures (interval, DRAM bar, resources) and its dataflow graph."""
    sections = []
    for part, graph in zip(parts, graphs, strict=True):
        key = f"p{part['index']}"
        util = part.get("utilisation") or {}
        used = "  ".join(
            f"{label} {part['totals'].get(key, 0):,} ({100 * float(util.get(key, 0)):.0f}%)"
            for key, label in (("dsp", "DSP"), ("bram18", "BRAM18"), ("uram", "URAM"), ("lut", "LUT"), ("ff", "FF"))
        )
        sections.append(
            f'<section class="graph" id="partition-{part["index"]}"><h2>Partition p{part["index"]}: '
            f"@{escape(part['function'])}</h2>"
            f'<p class="note">interval {part["interval"]:,} cycles per frame ({escape(part["binding"])}); '
            f"DRAM {escape(_traffic(part))}, {part['dram_cycles']:,} cycles; weights: {escape(_placements(part))}"
            f'</p>{bandwidth_bar(part, key)}<p class="note">{escape(used)}</p>'
            f"{legend if part['index'] == 0 else ''}{draw_graph(graph)}</section>"
        )
    return sections
