"""The skeleton both self-contained pages share (``report.html``, ``compare.html``).

One place for what makes a page open offline and be checkable headless: the
inline stylesheet, the ``data-errors`` / ``data-charts`` hooks the page scripts
set, each figure's JSON in a ``<script type="application/json">`` element, and
the plotly.js bundle inlined last (docs/decisions.md, the HTML report entries).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from agentload.reports._html_assets import DRAW_JS, ERRORS_JS, STYLE
from agentload.reports.html_sections import card, escape

__all__ = ["chart_card", "inline_script_bytes", "json_script", "page"]

# A literal "</script" inside an inlined script would end the element early.
_SCRIPT_END, _SCRIPT_END_SAFE = "</script", "<\\/script"


def json_script(ident: str, data: Any) -> str:
    """``data`` as a JSON ``<script>`` element with id ``ident``."""
    # "<" never appears raw, so the JSON cannot close the <script> element.
    body = orjson.dumps(data).decode().replace("<", "\\u003c")
    return f'<script type="application/json" id="{escape(ident)}">{body}</script>'


def chart_card(
    ident: str,
    title: str,
    hint: str,
    figure: Mapping[str, Any] | None,
    scripts: list[str],
    *,
    tall: bool = False,
) -> str:
    """A card holding a chart drawn from ``figure`` (whose JSON goes to ``scripts``),
    or saying no data was recorded."""
    if figure is None:
        body = '<div class="empty">No data recorded.</div>'
    else:
        scripts.append(json_script(f"data-{ident}", figure))
        cls = "chart tall" if tall else "chart"
        body = (
            f'<div class="{cls}" id="fig-{escape(ident)}" data-figure="data-{escape(ident)}"></div>'
        )
    return card(f"chart-{ident}", title, hint, body)


def inline_script_bytes(js: bytes) -> bytes:
    """What :func:`page` inlines for ``plotly_js``, on UTF-8 bytes (report_files.py).

    The same replacement as on text: its pattern is ASCII, and in UTF-8 an ASCII
    byte is never part of another character, so encoding commutes with it.
    """
    return js.replace(_SCRIPT_END.encode(), _SCRIPT_END_SAFE.encode())


def page(
    *,
    title: str,
    kind: str,
    where: str,
    main: Iterable[str],
    footer: str,
    scripts: Sequence[str],
    plotly_js: str,
    extra_style: str = "",
    generator: str | None = None,
) -> str:
    """The whole page.

    ``title`` and ``generator`` are plain text; ``kind``, ``where``, ``main`` and
    ``footer`` are HTML the caller escaped; ``plotly_js`` is inlined as is.
    """
    js = plotly_js.replace(_SCRIPT_END, _SCRIPT_END_SAFE)
    meta = "" if generator is None else f'<meta name="generator" content="{escape(generator)}">\n'
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en" data-errors="" data-charts="pending">\n<head>\n',
            '<meta charset="utf-8">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            meta,
            f"<title>{escape(title)}</title>\n<style>{STYLE}{extra_style}</style>\n",
            f"<script>{ERRORS_JS}</script>\n</head>\n<body>\n",
            '<header class="top"><div><span class="brand">agentload</span>',
            f'<span class="kind">{kind}</span></div>',
            f'<div class="where">{where}</div></header>\n<main>\n',
            *main,
            "\n</main>\n",
            f"<footer>{footer}</footer>\n",
            "\n".join(scripts),
            "\n",
            f"<script>{js}</script>\n<script>{DRAW_JS}</script>\n</body>\n</html>\n",
        ]
    )
