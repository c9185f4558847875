"""The HTML report: one self-contained page (inline CSS and SVG; no script, font or image to fetch).

Sections: the headline figures, utilisation bars per resource, the dataflow
graph, simulated against predicted figures, the per-layer table and the
FIFOs.  The page holds no time stamp or path beyond what it is given, so the
same design and options give the same bytes.
"""

from __future__ import annotations

from html import escape
from typing import Any

import networkx as nx

from fpga_opt.tools.figures import folding_text
from fpga_opt.tools.report.svg import PLACEMENT_TEXT, compact, draw_graph
from fpga_opt.tools.report.svg import STYLE as GRAPH_STYLE

RESOURCES = (("dsp", "DSP"), ("bram18", "BRAM18"), ("uram", "URAM"), ("lut", "LUT"), ("ff", "FF"))

PAGE_STYLE = """
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1d2733;
       background: #f4f6f9; }
header { background: #1f2f46; color: #fff; padding: 14px 24px; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 2px 0 0; color: #c8d3e0; }
main { display: grid; grid-template-columns: minmax(0, 1fr) 430px; gap: 18px; padding: 18px 24px; }
section { background: #fff; border: 1px solid #dde3ea; border-radius: 8px; padding: 12px 16px; }
h2 { font-size: 15px; margin: 0 0 10px; }
.wide { grid-column: 1 / -1; }
.side { display: flex; flex-direction: column; gap: 18px; }
.graph { overflow: auto; max-height: 1900px; }
.graph svg { display: block; margin: 0 auto; }
.drawings { display: flex; flex-direction: column; gap: 18px; min-width: 0; }
.drawings .graph { max-height: 1400px; }
#schedule td, #dram td { white-space: normal; }
.cards { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
.card { background: #f4f6f9; border-radius: 6px; padding: 8px 10px; }
.card .v { font-size: 19px; font-weight: 650; }
.card .k { color: #56606b; font-size: 12px; }
.bar { display: grid; grid-template-columns: 64px 1fr 150px; align-items: center; gap: 8px; margin: 6px 0; }
.track { background: #e7ebf0; border-radius: 4px; height: 14px; position: relative; overflow: hidden; }
.fill { height: 100%; background: #4f9a6b; }
.fill.warm { background: #e0a526; }
.fill.over { background: #d63a3a; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid #e7ebf0; text-align: left; white-space: nowrap; }
th { background: #f4f6f9; position: sticky; top: 0; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.bottleneck td { background: #fff1f0; font-weight: 600; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; color: #56606b; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 4px;
            vertical-align: -2px; border: 1px solid #8a96a3; }
.note { color: #56606b; font-size: 12px; }
.bad { color: #c62828; font-weight: 600; }
"""


def render_page(
    data: dict[str, Any],
    graph: nx.DiGraph | list[nx.DiGraph],
    *,
    title: str,
    capacity: dict[str, int] | None = None,
    sim: dict[str, Any] | list[dict[str, Any] | None] | None = None,
    checks: list[dict[str, Any]] | None = None,
) -> str:
    """The whole page. `data` is fpga-report's report data, `sim` fpga-sim's timing report (`as_dict`), if run.

    A partitioned design (`data["partitions"]`) gives one graph and one simulation per partition, in run
    order: the page then shows the schedule, and each partition's graph with its own DRAM use and resources.
    """
    from fpga_opt.tools.report.offchip_page import dram_section, partition_sections, schedule_section

    graphs = graph if isinstance(graph, list) else [graph]
    sims = sim if isinstance(sim, list) else [sim]
    parts = data.get("partitions")
    board = f"{data.get('board')} at {float(data.get('clock_mhz') or 0):g} MHz"
    simulated = any(s is not None for s in sims)
    if parts:
        drawings = partition_sections(parts, graphs, _legend())
        side = [schedule_section(data["schedule"], parts, sims), _utilisation(data, capacity)]
    else:
        drawings = ['<section class="graph" id="graph"><h2>Dataflow graph</h2>', _legend(), draw_graph(graphs[0])]
        drawings.append("</section>")
        offchip = data.get("offchip")
        side = [_headline(data, sims[0]), _utilisation(data, capacity)]
        side += [dram_section(offchip) if offchip else "", _sim_table(data, sims[0])]
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}: fpga-report</title>",
        f"<style>{PAGE_STYLE}{GRAPH_STYLE}</style></head><body>",
        f"<header><h1>{escape(title)}</h1><p>{escape(board)}: the design as estimate-resources"
        f"{' and fpga-sim see' if simulated else ' sees'} it</p></header>",
        "<main>",
        '<div class="drawings">' if parts else "",
        *drawings,
        "</div>" if parts else "",
        '<div class="side">',
        *side,
        _checks(checks) if checks else "",
        "</div>",
        _layer_table(data, graphs, sims),
        _fifo_table(graphs, sims),
        "</main></body></html>",
    ]
    return "\n".join(part for part in body if part) + "\n"


def _legend() -> str:
    items = [
        ("#ffffff", "#5b7ba6", "layer (bar: share of the interval)"),
        ("#fff1f0", "#c62828", "bottleneck"),
        ("#f6f3ea", "#9b8a5a", "FIFO"),
        ("#eaf5ee", "#3f8f5b", "skip buffer"),
        ("#f1eaf8", "#7b52ab", "exit buffer"),
        ("#fff7dc", "#b88a00", "exit decision / merge"),
        ("#eef7fb", "#1f7a99", "weights from DRAM"),
        ("#f3f8ec", "#5f8a1f", "weights generator"),
    ]
    spans = "".join(f'<span><i style="background:{bg};border-color:{fg}"></i>{escape(t)}</span>' for bg, fg, t in items)
    return f'<p class="legend">{spans}<span>edges without a box: stream FIFOs of the default depth</span></p>'


def _card(value: str, label: str) -> str:
    return f'<div class="card"><div class="v">{escape(value)}</div><div class="k">{escape(label)}</div></div>'


def _headline(data: dict[str, Any], sim: dict[str, Any] | None) -> str:
    fps = float(data.get("fps") or 0)
    cards = [
        _card(f"{fps:,.0f}", "frames/s predicted"),
        _card(f"{int(data.get('interval_cycles') or 0):,}", f"cycles interval (bottleneck {data.get('bottleneck')})"),
        _card(f"{int(data.get('latency_cycles') or 0):,}", "cycles latency predicted"),
    ]
    if sim and sim.get("deadlock") is None:
        sim_fps = (sim.get("exits") or {}).get("fps") or sim.get("fps") or 0
        cards.append(_card(f"{float(sim_fps):,.0f}", f"frames/s simulated ({sim.get('frames')} frames)"))
    elif sim:
        cards.append(_card("deadlock", "fpga-sim"))
    power = data.get("power")
    if power:  # backend/costs/power.py, as fpga-report's text prints it
        cards.append(_card(f"{power['total_w']:.3f} W", f"power (static {power['static_w']:.3f} W)"))
        energy = power.get("energy_per_inference_j")
        if energy is not None:
            cards.append(_card(f"{energy * 1e6:,.2f} uJ", "energy per inference"))
    return f'<section id="summary"><h2>Throughput</h2><div class="cards">{"".join(cards)}</div></section>'


def _utilisation(data: dict[str, Any], capacity: dict[str, int] | None) -> str:
    util = data.get("utilisation") or {}
    totals = data.get("totals") or {}
    rows = []
    for key, label in RESOURCES:
        used = int(totals.get(key) or 0)
        fraction = float(util.get(key) or 0.0)
        available = (capacity or {}).get(key)
        if not available and fraction > 0:
            available = round(used / fraction)
        css = "fill over" if fraction > 1.0 else ("fill warm" if fraction >= 0.8 else "fill")
        of = f" / {available:,}" if available else ""
        rows.append(
            f'<div class="bar" data-resource="{key}"><b>{label}</b>'
            f'<div class="track"><div class="{css}" style="width:{100 * min(fraction, 1.0):.1f}%"></div></div>'
            f'<span class="num">{used:,}{of} ({100 * fraction:.1f}%)</span></div>'
        )
    return (
        f'<section id="utilisation"><h2>Utilisation of {escape(str(data.get("board")))}</h2>{"".join(rows)}</section>'
    )


def _sim_table(data: dict[str, Any], sim: dict[str, Any] | None) -> str:
    if sim is None:
        return (
            '<section id="simulated"><h2>Simulated vs predicted</h2>'
            '<p class="note">Not simulated (fpga-report --sim-frames 0).</p></section>'
        )
    if sim.get("deadlock") is not None:
        message = escape(str((sim["deadlock"] or {}).get("message", "deadlock")))
        return f'<section id="simulated"><h2>Simulated vs predicted</h2><p class="bad">{message}</p></section>'
    exits = sim.get("exits") or {}
    simulated_interval = float(exits.get("cycles_per_sample") or sim.get("cycles_per_frame") or 0)
    unit = "cycles per sample" if exits else "cycles per frame"
    rows = [
        (unit, float(data.get("interval_cycles") or 0), simulated_interval),
        ("latency, cycles", float(data.get("latency_cycles") or 0), float(sim.get("latency_cycles") or 0)),
        ("frames per second", float(data.get("fps") or 0), float(exits.get("fps") or sim.get("fps") or 0)),
    ]
    cells = "".join(
        f"<tr><td>{escape(name)}</td><td class='n'>{p:,.1f}</td><td class='n'>{s:,.1f}</td>"
        f"<td class='n'>{_delta(p, s)}</td></tr>"
        for name, p, s in rows
    )
    note = (
        f"fpga-sim, {sim.get('frames')} frames, timing resolution {escape(str(sim.get('resolution')))}, "
        f"default FIFO depth {escape(str(sim.get('default_fifo_depth_words')))} words"
    )
    return (
        '<section id="simulated"><h2>Simulated vs predicted</h2><table><tr><th></th><th class="n">predicted</th>'
        f'<th class="n">simulated</th><th class="n">difference</th></tr>{cells}</table><p class="note">{note}</p>'
        "</section>"
    )


def _delta(predicted: float, simulated: float) -> str:
    if predicted == 0:
        return "-"
    return f"{100 * (simulated - predicted) / predicted:+.1f}%"


def _checks(checks: list[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{escape(c['name'])}</td><td class='{'bad' if c['status'] == 'failed' else ''}'>"
        f"{escape(c['status'])}</td><td>{escape(c.get('detail') or c.get('reason') or '')}</td></tr>"
        for c in checks
    )
    return f'<section id="checks"><h2>Checks</h2><table><tr><th>check</th><th>status</th><th></th></tr>{rows}</table></section>'


def _sim_ops(sims: list[dict[str, Any] | None]) -> dict[str, dict[str, Any]]:
    ops: dict[str, dict[str, Any]] = {}
    for sim in sims:
        for entry in (sim or {}).get("ops", []):
            ops.setdefault(entry.get("name"), entry)
    return ops


def _layer_table(data: dict[str, Any], graphs: list[nx.DiGraph], sims: list[dict[str, Any] | None]) -> str:
    simulated = _sim_ops(sims)
    partitioned = len(graphs) > 1
    measured = [(float(g.graph.get("interval", 0.0)), index, d["info"]) for index, g in enumerate(graphs)
                for _, d in g.nodes(data=True) if d["info"].layer]  # fmt: skip
    exits = any(info.reach is not None for _, _, info in measured)
    head = (["partition"] if partitioned else []) + ["layer", "op", "folding", "weights", "cycles"]
    head += ["reach", "per sample"] if exits else []
    head += ["% interval", "sim busy %", *(label for _, label in RESOURCES)]
    numeric = {h for h in head if h not in ("partition", "layer", "op", "folding", "weights")}
    header = "".join(f"<th class='{'n' if h in numeric else ''}'>{escape(h)}</th>" for h in head)
    rows = []
    for interval, index, info in measured:
        layer = info.layer
        busy = simulated.get(info.name, {}).get("busy_pct")
        where = PLACEMENT_TEXT.get(info.placement or "", info.placement or "")
        cells = [f"p{index}"] if partitioned else []
        cells += [info.name, info.op, folding_text(layer.get("folding", {})), where, f"{layer.get('cycles', 0):,}"]
        if exits:
            cells += ["-" if info.reach is None else f"{100 * info.reach:.1f}%", f"{info.per_sample:,.0f}"]
        share = info.per_sample / interval if interval > 0 else 0.0
        cells += [f"{100 * share:.1f}", "-" if busy is None else f"{busy:.1f}"]
        cells += [f"{int(layer.get(key, 0)):,}" for key, _ in RESOURCES]
        css = " class='bottleneck'" if info.bottleneck else ""
        tds = "".join(
            f"<td class='{'n' if h in numeric else ''}'>{escape(c)}</td>" for h, c in zip(head, cells, strict=True)
        )
        rows.append(f"<tr{css}>{tds}</tr>")
    fifo = data.get("default_fifos") or {}
    totals = data.get("totals") or {}
    totals_of = "The largest partition's use of each resource (they run one at a time)" if partitioned else "Totals"
    note = (
        f"{totals_of} include the default stream FIFOs (BRAM18 {fifo.get('bram18', 0):,}, LUT {fifo.get('lut', 0):,}, "
        f"FF {fifo.get('ff', 0):,}): "
        + ", ".join(f"{label} {int(totals.get(key) or 0):,}" for key, label in RESOURCES)
        + "."
    )
    return (
        f'<section class="wide" id="layers"><h2>Layers</h2><table><tr>{header}</tr>{"".join(rows)}</table>'
        f'<p class="note">{escape(note)}</p></section>'
    )


def _fifo_table(graphs: list[nx.DiGraph], sims: list[dict[str, Any] | None]) -> str:
    simulated = _sim_ops(sims)
    rows = []
    infos = [d["info"] for graph in graphs for _, d in graph.nodes(data=True)]
    for info in infos:
        if info.depth is None:
            continue
        peak = simulated.get(info.name, {}).get("max_fifo_occupancy")
        label = {"fifo": "FIFO", "skip": "skip buffer", "exit_buffer": f"exit {info.exit_index} buffer"}[info.kind]
        rows.append(
            f"<tr><td>{escape(info.name)}</td><td>{escape(label)}</td><td>{escape(info.shape)}</td>"
            f"<td class='n'>{info.depth:,}</td><td class='n'>{'-' if peak is None else f'{peak:,.0f}'}</td>"
            f"<td class='n'>{compact(info.layer.get('bram18', 0))}</td><td class='n'>{compact(info.layer.get('lut', 0))}</td></tr>"
        )
    if not rows:
        return ""
    return (
        '<section class="wide" id="fifos"><h2>FIFOs and buffers</h2><table><tr><th>name</th><th>kind</th>'
        '<th>stream</th><th class="n">depth</th><th class="n">simulated peak</th><th class="n">BRAM18</th>'
        f'<th class="n">LUT</th></tr>{"".join(rows)}</table></section>'
    )
