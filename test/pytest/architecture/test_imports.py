"""Dependencies point one way: tools -> {frontend, passes, backend} -> dialects, and no module imports itself back.

The graph is read from the installed package's sources, imports inside
functions included (an import moved into a function to dodge a circle is
still a circle); `if TYPE_CHECKING:` imports are left out (never executed).
"""

from __future__ import annotations

import networkx as nx
from import_graph import LAYERS, import_graph, layer

#: What each top-level folder may import besides itself.  Passes may use the
#: back end's models and its simulator; the back end never reaches into passes.
ALLOWED = {
    "dialects": set(),
    "frontend": {"dialects"},
    "backend": {"dialects"},
    "passes": {"dialects", "backend"},
    "tools": {"dialects", "frontend", "backend", "passes"},
}

GRAPH = import_graph()


def test_the_graph_covers_the_package():
    assert set(ALLOWED) == set(LAYERS)
    assert {layer(m) for m in GRAPH} == set(LAYERS)
    # a graph without edges would pass every check below
    assert GRAPH.has_edge("fpga_opt.passes.select_folding", "fpga_opt.passes.analysis.folding_search")
    assert GRAPH.number_of_edges() > 2 * GRAPH.number_of_nodes()


def test_layers_import_downwards_only():
    wrong = sorted(f"{a} -> {b}" for a, b in GRAPH.edges if layer(b) != layer(a) and layer(b) not in ALLOWED[layer(a)])
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_no_import_cycles():
    cycles = [sorted(c) for c in nx.strongly_connected_components(GRAPH) if len(c) > 1]
    described = []
    for component in cycles:
        loop = nx.find_cycle(GRAPH.subgraph(component))
        described.append(" -> ".join(a for a, _ in loop) + f" -> {loop[0][0]}")
    assert not cycles, "import cycles:\n" + "\n".join(described)
