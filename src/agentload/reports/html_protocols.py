"""The HTML report's LLM / WebSocket / voice tables (:mod:`agentload.reports.protocol_tables`).

Pure: tables in, HTML out; step, scenario and exchange names are redacted and
escaped (:func:`~agentload.reports.html_sections.safe`).
"""

from __future__ import annotations

from collections.abc import Sequence

from agentload.reports.html_sections import card, escape, safe
from agentload.reports.protocol_tables import ProtocolRow, ProtocolTable, format_cell

__all__ = ["protocol_cards"]


def _row_html(table: ProtocolTable, row: ProtocolRow) -> str:
    if row.exchange is not None:
        label = f'<span class="scn">↳ exchange </span>{safe(row.exchange)}'
    else:
        scn = ""
        if row.scenario not in ("", "default"):
            scn = f'<span class="scn">{safe(row.scenario)} › </span>'
        label = f"{scn}{safe(row.name)}"
    cells = []
    for col, cell in zip(table.columns, row.cells, strict=True):
        text = escape(format_cell(cell, col.unit))
        if col.unit == "kinds":
            cls = "l bad" if cell else "l"
        elif col.title in ("failed", "failed turns") and isinstance(cell, float):
            cls = "bad" if cell > 0 else "ok"
        elif col.title == "message success" and isinstance(cell, float):
            cls = "bad" if cell < 1 else "ok"
        else:
            cls = ""
        cells.append(f'<td class="{cls}">{text}</td>' if cls else f"<td>{text}</td>")
    return f'<tr><td class="l">{label}</td>{"".join(cells)}</tr>'


def protocol_cards(tables: Sequence[ProtocolTable]) -> str:
    """One card per table (trusted HTML; names escaped and redacted); "" when none."""
    out = []
    for table in tables:
        ths = "".join(
            f'<th class="l">{escape(c.title)}</th>'
            if c.unit == "kinds"
            else f"<th>{escape(c.title)}</th>"
            for c in table.columns
        )
        body = "".join(_row_html(table, row) for row in table.rows)
        html = (
            f'<div class="scroll"><table><thead><tr><th class="l">step</th>{ths}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>"
        )
        out.append(card(table.ident, table.title, table.hint, html))
    return "\n".join(out)
