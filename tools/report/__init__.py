"""The HTML report of a design: its dataflow graph drawn, utilisation, layer table, simulated vs predicted.

`graph.design_graph` reads the IR into a networkx graph, `layout.layered_layout`
places it, `svg.draw_graph` draws it and `page.render_page` writes one
self-contained HTML file (inline CSS and SVG, no script, no network).
"""
