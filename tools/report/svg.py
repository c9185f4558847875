"""Draw the laid-out dataflow graph as inline SVG: boxes, text, edges; no script, no external resource.

Each layer box shows its name, op and folding, a bar of its share of the
interval (the bottleneck's is full and red), and its resources; FIFO, skip
and exit buffers show their depth (and the simulated peak when there is
one); exit decisions show their threshold and how many samples leave there;
a weight provider (DRAM stream, OVSF generator) shows its cycles like a layer
and the DRAM bytes it moves per frame, with a dashed edge into its layer.
Every box has a `<title>`, the browser's tooltip, with the full figures.
"""

from __future__ import annotations

from collections.abc import Hashable
from html import escape

import networkx as nx

from fpga_opt.tools.figures import folding_text
from fpga_opt.tools.report.graph import NodeInfo
from fpga_opt.tools.report.layout import Box, Layout, layered_layout

CHAR_WIDTH = 6.4
"""Approximate advance of one 11 px sans-serif character, to shorten names that would overflow their box."""

SIZES: dict[str, tuple[float, float]] = {
    "layer": (236.0, 84.0),
    "weight_stream": (236.0, 84.0),
    "generator": (236.0, 84.0),
    "fifo": (200.0, 38.0),
    "skip": (200.0, 38.0),
    "exit_buffer": (196.0, 44.0),
    "fork": (96.0, 24.0),
    "decision": (250.0, 48.0),
    "merge": (176.0, 36.0),
    "input": (196.0, 38.0),
    "output": (196.0, 38.0),
}

STYLE = """
.g-node text { font: 11px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; fill: #1d2733; }
.g-node .name { font-weight: 600; }
.g-node .dim { fill: #56606b; }
.g-layer rect.box { fill: #ffffff; stroke: #5b7ba6; stroke-width: 1.2; }
.g-bottleneck rect.box { fill: #fff1f0; stroke: #c62828; stroke-width: 2.6; }
.g-fifo rect.box { fill: #f6f3ea; stroke: #9b8a5a; stroke-dasharray: 4 2; }
.g-skip rect.box { fill: #eaf5ee; stroke: #3f8f5b; stroke-dasharray: 4 2; }
.g-exit_buffer rect.box { fill: #f1eaf8; stroke: #7b52ab; stroke-dasharray: 4 2; }
.g-fork rect.box { fill: #eef1f4; stroke: #8a96a3; }
.g-decision rect.box { fill: #fff7dc; stroke: #b88a00; stroke-width: 1.4; }
.g-merge rect.box { fill: #fff7dc; stroke: #b88a00; }
.g-weight_stream rect.box { fill: #eef7fb; stroke: #1f7a99; stroke-width: 1.4; stroke-dasharray: 6 2; }
.g-generator rect.box { fill: #f3f8ec; stroke: #5f8a1f; stroke-width: 1.4; stroke-dasharray: 6 2; }
.g-input rect.box, .g-output rect.box { fill: #e9eef5; stroke: #34495e; stroke-width: 1.4; }
rect.track { fill: #e7ebf0; }
rect.share { fill: #7fa7d6; }
rect.share.busy { fill: #e0a526; }
rect.share.full { fill: #d63a3a; }
path.edge { fill: none; stroke: #7d8a98; stroke-width: 1.3; }
path.edge.exit { stroke: #b88a00; stroke-dasharray: 5 3; }
path.edge.weights { stroke: #1f7a99; stroke-dasharray: 2 3; stroke-width: 1.6; }
"""


def node_size(graph: nx.DiGraph, node: Hashable) -> tuple[float, float]:
    info: NodeInfo = graph.nodes[node]["info"]
    return SIZES.get(info.kind, SIZES["layer"])


def draw_graph(graph: nx.DiGraph) -> str:
    """The graph as one `<svg>` element; layer bars are measured against the graph's `interval`."""
    interval = float(graph.graph.get("interval", 0.0))
    layout = layered_layout(graph, lambda node: node_size(graph, node))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dataflow-graph" width="{layout.width:.0f}" '
        f'height="{layout.height:.0f}" viewBox="0 0 {layout.width:.0f} {layout.height:.0f}" role="img" '
        f'aria-label="dataflow graph, {graph.number_of_nodes()} nodes">',
        '<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="#7d8a98"/></marker></defs>',
    ]
    for u, v in graph.edges:
        parts.append(_edge(graph, layout, u, v))
    for node in graph.nodes:
        parts.append(_node(graph.nodes[node]["info"], layout.boxes[node], interval))
    parts.append("</svg>")
    return "\n".join(parts)


def _edge(graph: nx.DiGraph, layout: Layout, u: Hashable, v: Hashable) -> str:
    points = [
        (layout.boxes[u].x, layout.boxes[u].bottom),
        *layout.bends[(u, v)],
        (layout.boxes[v].x, layout.boxes[v].top),
    ]
    path = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        mid = (y0 + y1) / 2
        path += f" C{x0:.1f},{mid:.1f} {x1:.1f},{mid:.1f} {x1:.1f},{y1:.1f}"
    kinds = {graph.nodes[u]["info"].kind, graph.nodes[v]["info"].kind}
    if graph.edges[u, v].get("weights"):
        css = "edge weights"
    else:
        css = "edge exit" if kinds & {"decision", "merge"} else "edge"
    shape = escape(graph.edges[u, v].get("shape", ""))
    return f'<path class="{css}" d="{path}" marker-end="url(#arrow)"><title>{shape}</title></path>'


def _fit(text: str, width: float) -> str:
    room = max(4, int(width / CHAR_WIDTH))
    return text if len(text) <= room else text[: room - 1] + "\u2026"


def _text(x: float, y: float, text: str, width: float, css: str = "", anchor: str = "middle") -> str:
    cls = f' class="{css}"' if css else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{cls}>{escape(_fit(text, width))}</text>'


def compact(n: float) -> str:
    """12 -> 12, 13414 -> 13.4k, 2_100_000 -> 2.1M."""
    if abs(n) >= 1e6:
        return f"{n / 1e6:.1f}M"
    if abs(n) >= 1e4:
        return f"{n / 1e3:.1f}k"
    return f"{n:,.0f}"


def _node(info: NodeInfo, box: Box, interval: float) -> str:
    bottleneck = info.bottleneck
    css = f"g-node g-{info.kind}" + (" g-bottleneck" if bottleneck else "")
    left, top, w, h = box.x - box.width / 2, box.top, box.width, box.height
    body = [
        f'<g class="{css}" data-layer="{escape(info.name)}">',
        f"<title>{escape(_tooltip(info, interval))}</title>",
        f'<rect class="box" x="{left:.1f}" y="{top:.1f}" width="{w:.1f}" height="{h:.1f}" rx="6"/>',
    ]
    inner = w - 14
    if info.kind in ("layer", "weight_stream", "generator"):
        body += _layer_body(info, left, top, w, interval, bottleneck)
    elif info.kind in ("fifo", "skip", "exit_buffer"):
        label = {"fifo": "FIFO", "skip": "skip buffer", "exit_buffer": "exit buffer"}[info.kind]
        body.append(_text(box.x, top + 15, info.name, inner, "name"))
        body.append(_text(box.x, top + 30, f"{label}, depth {info.depth:,}" if info.depth else label, inner, "dim"))
    elif info.kind == "decision":
        body.append(_text(box.x, top + 16, f"exit {info.exit_index}: {info.name}", inner, "name"))
        body.append(_text(box.x, top + 33, _decision_line(info), inner, "dim"))
    elif info.kind == "merge":
        body.append(_text(box.x, top + 15, info.name, inner, "name"))
        final = f"final exit: {100 * info.leave:.1f}% of samples" if info.leave is not None else "exit merge"
        body.append(_text(box.x, top + 29, final, inner, "dim"))
    elif info.kind == "fork":
        body.append(_text(box.x, top + 16, "fork", inner, "dim"))
    else:
        body.append(_text(box.x, top + 15, info.name, inner, "name"))
        body.append(_text(box.x, top + 29, info.shape or info.op, inner, "dim"))
    body.append("</g>")
    return "".join(body)


def _layer_body(info: NodeInfo, left: float, top: float, w: float, interval: float, bottleneck: bool) -> list[str]:
    layer = info.layer
    x = left + 8
    inner = w - 16
    share = info.per_sample / interval if interval > 0 else 0.0
    bar_css = "share full" if bottleneck or share >= 0.999 else ("share busy" if share >= 0.75 else "share")
    fold = folding_text(layer.get("folding", {}))
    reach = f" \u00b7 reach {100 * info.reach:.1f}%" if info.reach is not None and info.reach < 1.0 else ""
    placed = f" \u00b7 w: {PLACEMENT_SHORT.get(info.placement, info.placement)}" if info.placement else ""
    kind = provider_text(info) if info.provider else f"{info.op}  {fold}".rstrip() + reach + placed
    resources = " ".join(
        f"{label} {compact(layer.get(key, 0))}"
        for key, label in (("dsp", "DSP"), ("bram18", "BRAM"), ("uram", "URAM"), ("lut", "LUT"), ("ff", "FF"))
        if layer.get(key) or key in ("dsp", "lut")
    )
    return [
        _text(x, top + 15, info.name, inner, "name", "start"),
        _text(x, top + 30, kind, inner, "dim", "start"),
        f'<rect class="track" x="{x:.1f}" y="{top + 37:.1f}" width="{inner:.1f}" height="9" rx="2"/>',
        f'<rect class="{bar_css}" x="{x:.1f}" y="{top + 37:.1f}" width="{inner * min(1.0, share):.1f}" height="9" rx="2"/>',
        _text(x, top + 59, f"{layer.get('cycles', 0):,} cyc \u00b7 {100 * share:.0f}% of interval", inner, "", "start"),
        _text(x, top + 75, resources, inner, "dim", "start"),
    ]


PLACEMENT_TEXT = {"dram": "DRAM", "generated": "generated", "bram": "BRAM", "uram": "URAM", "lutram": "LUTRAM"}
"""Where a layer's weights are, as the tooltips and the layer table say it."""
PLACEMENT_SHORT = {**PLACEMENT_TEXT, "generated": "gen."}
"""The same in a layer's box (`conv ci=2 co=1 f=9 · w: gen.`), where room is short."""


def provider_text(info: NodeInfo) -> str:
    """`DRAM 36.9 KB/frame (16 reads)` or `OVSF rho=0.25, coefficients on chip`: a provider in one short line."""
    facts = info.provider
    dram = facts.get("dram_bytes_per_frame")
    if info.kind == "weight_stream":
        moved = f" {compact_bytes(dram)}/frame" if dram is not None else ""
        return f"DRAM{moved} ({facts.get('reads', 0):,} reads)"
    if facts.get("coefficients") == "dram":
        return f"OVSF \u03c1={facts.get('ratio', 0):g}, DRAM {compact_bytes(dram or 0)}/frame"
    return f"OVSF \u03c1={facts.get('ratio', 0):g}, coefficients on chip"


def compact_bytes(n: float) -> str:
    """1234 -> 1.2 KB, 2_500_000 -> 2.5 MB (decimal units, as DRAM bandwidth is quoted)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:,.0f} B"


def _decision_line(info: NodeInfo) -> str:
    parts = [f"threshold {info.threshold:g}"] if info.threshold is not None else []
    # the decision sees every sample reaching its stage; show what leaves (and how many arrive, if not all)
    if info.leave is not None:
        parts.append(f"{100 * info.leave:.1f}% leave")
    if info.reach is not None and info.reach < 1.0:
        parts.append(f"reached by {100 * info.reach:.1f}%")
    return " \u00b7 ".join(parts)


def _tooltip(info: NodeInfo, interval: float) -> str:
    lines = [f"{info.name} ({info.op or info.kind})"]
    if info.shape:
        lines.append(f"stream {info.shape}")
    layer = info.layer
    if layer:
        lines.append(f"cycles/frame {layer.get('cycles', 0):,}, pipeline depth {layer.get('depth', 0):,}")
        if info.reach is not None:
            lines.append(f"reached by {100 * info.reach:.2f}% of samples: {info.per_sample:,.0f} cycles per sample")
        if interval > 0:
            lines.append(f"{100 * info.per_sample / interval:.1f}% of the interval ({interval:,.0f} cycles)")
        lines.append(
            ", ".join(
                f"{label} {layer.get(key, 0):,}"
                for key, label in (("dsp", "DSP"), ("bram18", "BRAM18"), ("uram", "URAM"), ("lut", "LUT"), ("ff", "FF"))
            )
        )
    if info.depth is not None:
        lines.append(f"depth {info.depth:,} elements")
    if info.provider:
        lines.append(f"provides '{info.provider.get('tensor', '')}': {provider_text(info)}")
        if info.provider.get("bytes_per_cycle"):
            lines.append(f"its share of the DRAM bandwidth: {info.provider['bytes_per_cycle']:.2f} bytes/cycle")
    if info.placement:
        lines.append(f"weights: {PLACEMENT_TEXT.get(info.placement, info.placement)}")
    return "\n".join(lines)
