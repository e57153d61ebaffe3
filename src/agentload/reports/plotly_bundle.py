"""Finding plotly.js: the ``plotly.min.js`` bundled in the ``plotly`` PyPI package.

The HTML report inlines it so the page opens offline (no CDN). We locate the
file through the import system's metadata, *without* importing plotly's
Python package, which would cost seconds on the CLI path.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from agentload.reports.saved import ResultsError

__all__ = ["plotly_js_path", "read_plotly_js", "read_plotly_js_bytes"]

_RELATIVE = Path("package_data") / "plotly.min.js"


def plotly_js_path() -> Path:
    """Path of the installed ``plotly.min.js``.

    Raises:
        ResultsError: the ``plotly`` package (or its bundle) is not installed.
    """
    # find_spec on a top-level package locates it without executing its __init__.
    spec = importlib.util.find_spec("plotly")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        candidate = Path(folder) / _RELATIVE
        if candidate.is_file():
            return candidate
    raise ResultsError(
        "plotly.js not found: the HTML report needs the 'plotly' package "
        "(pip install plotly; it is a dependency of agentload)"
    )


def read_plotly_js() -> str:
    """The source of plotly.js, to inline into report.html.

    Raises:
        ResultsError: plotly is missing or its bundle cannot be read.
    """
    path = plotly_js_path()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read plotly.js ({exc})") from None


def read_plotly_js_bytes() -> bytes:
    """:func:`read_plotly_js` encoded as UTF-8, without decoding the file.

    The bundle (4.8 MB) holds a few non-Latin-1 characters, so as text it is a
    two-byte-per-character string: decoding, copying it into the page and
    encoding the page again cost ~20 ms of every run (D21). Newlines are
    normalised as text mode reads them; the bytes are not checked as UTF-8
    (the file comes with the installed ``plotly`` package; a browser shows any
    bad byte as U+FFFD).

    Raises:
        ResultsError: plotly is missing or its bundle cannot be read.
    """
    path = plotly_js_path()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read plotly.js ({exc})") from None
    if b"\r" in data:  # universal newlines, as read_text applies them
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data
