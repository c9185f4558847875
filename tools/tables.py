"""The text tables every tool prints: one renderer (tabulate), so all tables look and align alike.

Cells are strings the tool has already formatted (`6,144`, `42.0%`): they are
never re-parsed as numbers.  Columns named in `right` align right (numbers),
the others left.  `RULE` as a row draws a rule across the table (e.g. above a
total).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import tabulate as tabulate_module
from tabulate import SEPARATING_LINE, tabulate

RULE = SEPARATING_LINE


def render(
    header: Sequence[str] | None,
    rows: Sequence[Sequence[str] | str],
    right: Collection[int] = (),
    markdown: bool = False,
) -> str:
    """`rows` under `header`, columns two spaces apart, without trailing blanks (`markdown`: a pipe table, for
    figures pasted into the docs; `header=None`, not with `markdown`: the rows alone, without header or rules)."""
    columns = len(header) if header is not None else max((len(row) for row in rows if row is not RULE), default=0)
    align = ["right" if column in right else "left" for column in range(columns)]
    # tabulate widens every column by 2 beyond its header (MIN_PADDING, a module setting): columns as
    # wide as their widest cell, while this table is drawn.
    padding, tabulate_module.MIN_PADDING = tabulate_module.MIN_PADDING, 0
    try:
        text = tabulate(
            [row if row is RULE else list(row) for row in rows],
            headers=list(header) if header is not None else (),
            tablefmt="pipe" if markdown else "simple" if header is not None else "plain",
            colalign=align,
            disable_numparse=True,
        )
    finally:
        tabulate_module.MIN_PADDING = padding
    return "\n".join(line.rstrip() for line in text.splitlines())
