"""The ``data`` section: feeders loaded from CSV, JSONL or JSON files, or written inline.

Files are read once, when the scenario is loaded, relative to the scenario's
folder; every worker process reads them again from the same text (and the
model fingerprint covers the rows, docs/decisions.md D8). A problem in a data
file is bad input like a problem in the scenario: one line naming the data
reference in the scenario *and* the line of the data file, e.g.
``run.yaml:12: data.users: users.csv:5: the row has 3 fields, the header 2; …``,
and exit code 2. The format is in docs/scenario-format.md ("Data feeders").
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path

from agentload.scenario._context import Ctx
from agentload.scenario._nodes import YMap, YNode, YSeq
from agentload.scenario._templates import is_var_name
from agentload.scenario._values import plain_value
from agentload.scenario.model_flow import AtEnd, DataSource, Strategy

__all__ = ["DataFileError", "load_rows", "read_data"]

_KEYS = (
    "file",
    "values",
    "format",
    "strategy",
    "at_end",
    "fields",
    "skip_header",
    "top_level",
    "as",
)
_FORMATS = ("csv", "jsonl", "json")
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}
_MAX_BYTES = 256 << 20


class DataFileError(Exception):
    """A data file cannot be used: ``line`` (1-based, 0 for the whole file) and why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def read_data(ctx: Ctx, node: YNode | None) -> dict[str, DataSource]:
    """Every feeder of the ``data`` section, by name (only the valid ones)."""
    if node is None:
        return {}
    mapping = ctx.mapping(node, "data", "a mapping of feeder names to {file: …} or lists")
    if mapping is None:
        return {}
    out: dict[str, DataSource] = {}
    for key, value in mapping.items:
        path = f"data.{key.text}"
        if not is_var_name(key.text) or "." in key.text:
            ctx.error(
                key.line,
                path,
                f"'{key.text}' cannot be a feeder name; use letters, digits and '_' (e.g. users)",
            )
            continue
        source = _read_source(ctx, key.text, value, path, key.line)
        if source is not None:
            out[key.text] = source
    return out


def _read_source(ctx: Ctx, name: str, node: YNode, path: str, line: int) -> DataSource | None:
    if isinstance(node, YSeq):  # ``messages: [a, b]``: inline values, sequential, wrapping
        values = _inline(ctx, node, path)
        return None if values is None else DataSource(name, values, origin="inline", line=line)
    fields = ctx.mapping(node, path, "a list of values or a mapping with file or values")
    if fields is None:
        return None
    before = len(ctx.issues)
    ctx.check_keys(fields, path, _KEYS)
    strategy = Strategy.SEQUENTIAL
    if (n := fields.get("strategy")) is not None:
        text = ctx.choice(n, f"{path}.strategy", tuple(s.value for s in Strategy))
        strategy = Strategy(text) if text is not None else strategy
    at_end = AtEnd.WRAP
    if (n := fields.get("at_end")) is not None:
        text = ctx.choice(n, f"{path}.at_end", tuple(a.value for a in AtEnd))
        at_end = AtEnd(text) if text is not None else at_end
        if at_end is AtEnd.STOP and strategy is Strategy.RANDOM:
            ctx.error(n.line, f"{path}.at_end", "a random feeder never runs out; remove at_end")
    top_level = False
    if (n := fields.get("top_level")) is not None:
        top_level = bool(ctx.boolean(n, f"{path}.top_level"))
    prefix = ""
    if (n := fields.get("as")) is not None:
        prefix = ctx.text(n, f"{path}.as", expected="a variable name") or ""
        if prefix and not is_var_name(prefix):
            ctx.error(n.line, f"{path}.as", f"'{prefix}' is not a valid variable name")
    names = None
    if (n := fields.get("fields")) is not None:
        names = _field_names(ctx, n, f"{path}.fields")
    skip_header = False
    if (n := fields.get("skip_header")) is not None:
        skip_header = bool(ctx.boolean(n, f"{path}.skip_header"))
        if fields.get("fields") is None:
            ctx.error(
                n.line,
                f"{path}.skip_header",
                "only with fields; without them the header names the columns",
            )
    file_node, values_node = fields.get("file"), fields.get("values")
    rows: tuple[object, ...] | None = None
    origin = "inline"
    if (file_node is None) == (values_node is None):
        ctx.error(
            fields.line, path, "give exactly one of file (a CSV, JSONL or JSON file) or values"
        )
    elif values_node is not None:
        seq = ctx.sequence(values_node, f"{path}.values", "a list of values or objects")
        rows = _inline(ctx, seq, f"{path}.values") if seq is not None else None
    elif file_node is not None and len(ctx.issues) == before:  # not with broken options
        rows, origin = _file_rows(ctx, fields, file_node, names, path, skip_header=skip_header)
    if len(ctx.issues) != before or rows is None:
        return None
    return DataSource(
        name=name,
        rows=rows,
        strategy=strategy,
        at_end=at_end,
        prefix=prefix,
        top_level=top_level,
        origin=origin,
        line=line,
    )


def _field_names(ctx: Ctx, node: YNode, path: str) -> tuple[str, ...] | None:
    seq = ctx.sequence(node, path, "a list of column names, e.g. [email, password]")
    if seq is None:
        return None
    names = [
        ctx.text(item, f"{path}[{i}]", expected="a column name") for i, item in enumerate(seq.items)
    ]
    if any(n is None for n in names) or not names:
        if not names:
            ctx.error(seq.line, path, "the list is empty; name the columns")
        return None
    clean = tuple(n for n in names if n is not None)
    for i, name in enumerate(clean):
        if not is_var_name(name) or "." in name:
            ctx.error(
                seq.items[i].line,
                f"{path}[{i}]",
                f"column name '{name}' cannot be a variable; use letters, digits and '_'",
            )
            return None
    if len(set(clean)) != len(clean):
        ctx.error(seq.line, path, "a column name is given twice; name each column once")
        return None
    return clean


def _inline(ctx: Ctx, seq: YSeq, path: str) -> tuple[object, ...] | None:
    if not seq.items:
        ctx.error(seq.line, path, "the list is empty; add at least one value")
        return None
    rows: list[object] = []
    ok = True
    for i, item in enumerate(seq.items):
        item_ok, value = plain_value(ctx, item, f"{path}[{i}]")
        ok = ok and item_ok
        rows.append(value)
    if not ok:
        return None
    if any(isinstance(r, Mapping) for r in rows) and not all(isinstance(r, Mapping) for r in rows):
        ctx.error(seq.line, path, "mix of objects and plain values; make every item an object")
        return None
    return tuple(rows)


def _file_rows(
    ctx: Ctx,
    fields: YMap,
    node: YNode,
    names: tuple[str, ...] | None,
    path: str,
    *,
    skip_header: bool = False,
) -> tuple[tuple[object, ...] | None, str]:
    where = f"{path}.file"
    text_name = ctx.text(node, where, expected="a file path such as users.csv")
    if text_name is None:
        return None, ""
    fmt: str | None = _SUFFIXES.get(Path(text_name).suffix.lower())
    if (n := fields.get("format")) is not None:
        fmt = ctx.choice(n, f"{path}.format", _FORMATS)
        if fmt is None:
            return None, text_name
    if fmt is None:
        ctx.error(
            node.line,
            where,
            f"cannot tell the format of '{text_name}'; name it .csv, .jsonl or .json, "
            "or add format: csv|jsonl|json",
        )
        return None, text_name
    if names is not None and fmt != "csv":
        key = fields.key("fields")
        assert key is not None
        ctx.error(key.line, f"{path}.fields", "only CSV files take column names; remove fields")
        return None, text_name
    file = Path(text_name)
    if not file.is_absolute():
        file = ctx.base_dir / file
    try:
        rows = load_rows(file, fmt, names, skip_header=skip_header)
    except DataFileError as exc:
        at = f"{text_name}:{exc.line}" if exc.line else text_name
        ctx.error(node.line, path, f"{at}: {exc.message}")
        return None, text_name
    return rows, text_name


def load_rows(
    file: Path, fmt: str, names: tuple[str, ...] | None = None, *, skip_header: bool = False
) -> tuple[object, ...]:
    """The rows of a data file; raises :class:`DataFileError` with the file's line.

    For CSV, ``names`` are the column names of a file without a header row
    (with ``skip_header``, its first row is a header to ignore).
    """
    try:
        size = file.stat().st_size
        if size > _MAX_BYTES:
            raise DataFileError(
                0, f"the file is larger than {_MAX_BYTES >> 20} MB; use a smaller sample"
            )
        data = file.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DataFileError(
            0, f"cannot read the data file: {reason}; check the path (relative to the scenario)"
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataFileError(line, "the file is not UTF-8 text; save it as UTF-8") from None
    if not text.strip():
        raise DataFileError(0, "the file is empty; add a header and at least one row")
    if fmt == "csv":
        return _csv_rows(text, names, skip_header=skip_header)
    if fmt == "jsonl":
        return _jsonl_rows(text)
    return _json_rows(text)


def _csv_rows(
    text: str, names: tuple[str, ...] | None, *, skip_header: bool = False
) -> tuple[object, ...]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = list(names) if names is not None else None
    skip = skip_header
    rows: list[dict[str, str]] = []
    try:
        for record in reader:
            line = reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # blank lines are not rows
            if skip:
                skip = False  # the file's own header, replaced by ``fields``
                continue
            if header is None:
                header = [h.strip() for h in record]
                _check_header(header, line)
                continue
            if len(record) != len(header):
                raise DataFileError(
                    line,
                    f"the row has {len(record)} fields, the header {len(header)}; "
                    "quote values that contain commas",
                )
            rows.append(dict(zip(header, record, strict=True)))
    except csv.Error as exc:
        raise DataFileError(reader.line_num, f"malformed CSV ({exc}); fix the quoting") from None
    if not rows:
        raise DataFileError(0, "the file has a header but no rows; add at least one row")
    return tuple(rows)


def _check_header(header: list[str], line: int) -> None:
    seen: set[str] = set()
    for i, name in enumerate(header):
        if not name:
            raise DataFileError(line, f"column {i + 1} of the header has no name; name it")
        if not is_var_name(name) or "." in name:
            raise DataFileError(
                line,
                f"column name '{name}' cannot be a variable; use letters, digits and '_'",
            )
        if name in seen:
            raise DataFileError(line, f"column '{name}' appears twice in the header; rename one")
        seen.add(name)


def _jsonl_rows(text: str) -> tuple[object, ...]:
    rows: list[object] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DataFileError(
                number, f"not valid JSON ({exc.msg}); one object per line"
            ) from None
        _check_object(value, number)
        rows.append(value)
    return tuple(rows)


def _json_rows(text: str) -> tuple[object, ...]:
    # Decoded element by element, so a problem is reported at its own line.
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    if not text.startswith("[", pos):
        raise DataFileError(_line(text, pos), "expected a JSON array of objects ([{…}, {…}])")
    pos = _skip_ws(text, pos + 1)
    rows: list[object] = []
    while not text.startswith("]", pos):
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise DataFileError(exc.lineno, f"not valid JSON ({exc.msg}); fix the file") from None
        _check_object(value, _line(text, pos))
        rows.append(value)
        pos = _skip_ws(text, end)
        if text.startswith(",", pos):
            pos = _skip_ws(text, pos + 1)
        elif not text.startswith("]", pos):
            raise DataFileError(_line(text, pos), "expected ',' or ']' between the array items")
    if _skip_ws(text, pos + 1) != len(text):
        raise DataFileError(_line(text, pos + 1), "text after the end of the array; remove it")
    if not rows:
        raise DataFileError(_line(text, pos), "the array is empty; add at least one object")
    return tuple(rows)


def _check_object(value: object, line: int) -> None:
    if not isinstance(value, dict):
        kind = "a list" if isinstance(value, list) else f"the value {json.dumps(value)}"
        raise DataFileError(line, f'expected an object such as {{"id": 1}}, found {kind}')
    for key in value:
        if not is_var_name(key) or "." in key:
            raise DataFileError(
                line, f"field name '{key}' cannot be a variable; use letters, digits and '_'"
            )


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1
