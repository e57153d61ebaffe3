"""Request bodies, ``expect`` checks and ``capture`` rules."""

from __future__ import annotations

import re
from pathlib import Path

from agentload.scenario._context import Ctx
from agentload.scenario._nodes import YMap, YNode, YScalar, YSeq
from agentload.scenario._templates import is_var_name
from agentload.scenario._values import (
    TOKEN,
    Scope,
    exists_test,
    json_value,
    pairs,
    plain_value,
    tracked,
)
from agentload.scenario.model import (
    BodyContainsCheck,
    Capture,
    CaptureSource,
    Check,
    FormBody,
    HeaderCheck,
    JsonBody,
    JsonCheck,
    MultipartBody,
    MultipartField,
    RawBody,
    RequestBody,
    StatusCheck,
)

__all__ = ["BODY_KEYS", "read_body", "read_captures", "read_expect"]

BODY_KEYS = ("json", "body", "form", "multipart")
_EXPECT_KEYS = ("status", "json", "body_contains", "headers")
_SOURCES = tuple(s.value for s in CaptureSource)


def read_body(ctx: Ctx, scope: Scope, request: YMap, path: str) -> tuple[bool, RequestBody | None]:
    """The body given by one of ``json``, ``body``, ``form``, ``multipart``; ``(ok, body)``."""
    given = [k for k in BODY_KEYS if request.get(k) is not None]
    if not given:
        return True, None
    if len(given) > 1:
        key = request.key(given[1])
        assert key is not None
        ctx.error(key.line, path, f"{' and '.join(given)} both set the body; keep one")
        return False, None
    kind = given[0]
    node = request.get(kind)
    assert node is not None
    where = f"{path}.{kind}"
    if kind == "json":
        ok, value = json_value(ctx, scope, node, where)
        return ok, JsonBody(value) if ok else None
    if kind == "body":
        template = tracked(ctx, scope, node, where)
        return template is not None, RawBody(template) if template is not None else None
    if kind == "form":
        fields = pairs(ctx, scope, node, where)
        return fields is not None, FormBody(fields) if fields is not None else None
    return _multipart(ctx, scope, node, where)


def _multipart(ctx: Ctx, scope: Scope, node: YNode, path: str) -> tuple[bool, MultipartBody | None]:
    mapping = ctx.mapping(node, path, "a mapping of field names to values or {path: file}")
    if mapping is None:
        return False, None
    fields: list[MultipartField] = []
    ok = True
    for key, value in mapping.items:
        where = f"{path}.{key.text}"
        if not isinstance(value, YMap):
            template = tracked(ctx, scope, value, where)
            ok = ok and template is not None
            fields.append(MultipartField(key.text, value=template))
            continue
        ctx.check_keys(value, where, ("path", "value", "content_type", "filename"))
        source = [k for k in ("path", "value") if value.get(k) is not None]
        if len(source) != 1:
            ctx.error(value.line, where, "give exactly one of path (a file) or value (text)")
            ok = False
            continue
        options: dict[str, str | None] = {}
        for name in ("content_type", "filename"):
            option = value.get(name)
            options[name] = None if option is None else ctx.text(option, f"{where}.{name}")
            ok = ok and (option is None or options[name] is not None)
        item = value.get(source[0])
        assert item is not None
        if source[0] == "value":
            template = tracked(ctx, scope, item, f"{where}.value")
            ok = ok and template is not None
            fields.append(
                MultipartField(key.text, value=template, content_type=options["content_type"])
            )
            continue
        content = _read_file(ctx, item, f"{where}.path")
        if content is None:
            ok = False
            continue
        data, name = content
        fields.append(
            MultipartField(
                key.text,
                file_content=data,
                filename=options["filename"] or name,
                content_type=options["content_type"],
            )
        )
    return ok, MultipartBody(tuple(fields)) if ok else None


def _read_file(ctx: Ctx, node: YNode, path: str) -> tuple[bytes, str] | None:
    text = ctx.text(node, path, expected="a file path")
    if text is None:
        return None
    if not text:
        ctx.error(node.line, path, "the file path is empty; give a file such as data/upload.csv")
        return None
    file = Path(text)
    resolved = file if file.is_absolute() else ctx.base_dir / file
    try:
        if resolved.exists() and not resolved.is_file():
            # Reading a FIFO or device (/dev/stdin) could block the loader forever.
            raise OSError(0, "not a regular file")
        return resolved.read_bytes(), file.name
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if file.is_absolute():
            shown, hint = repr(text), "check the path"
        else:
            shown = f"{text!r} ({resolved})"
            hint = "paths are relative to the scenario file's folder"
        ctx.error(node.line, path, f"cannot read {shown}: {reason}; {hint}")
        return None


def _jsonpath(ctx: Ctx, text: str, line: int, path: str) -> bool:
    if not text.strip():
        ctx.error(line, path, "the JSONPath is empty; write e.g. $.id")
        return False
    import jsonpath  # noqa: PLC0415 - ~40 ms to import: only files with JSONPaths pay it (D21)

    try:
        jsonpath.compile(text)
    except (jsonpath.JSONPathError, RecursionError) as exc:
        reason = str(exc.args[0]) if exc.args else type(exc).__name__
        ctx.error(line, path, f"bad JSONPath {text!r}: {reason}; write e.g. $.data[0].id")
        return False
    return True


def read_expect(ctx: Ctx, node: YNode, path: str) -> tuple[Check, ...] | None:
    """Checks from ``expect``, in file order; ``None`` when any is invalid."""
    mapping = ctx.mapping(node, path, "a mapping with status, json, body_contains or headers")
    if mapping is None:
        return None
    ctx.check_keys(mapping, path, _EXPECT_KEYS)
    before = len(ctx.issues)
    checks: list[Check] = []
    for key, value in mapping.items:
        where = f"{path}.{key.text}"
        if key.text == "status":
            codes = _statuses(ctx, value, where)
            if codes:
                checks.append(StatusCheck(codes))
        elif key.text == "json":
            checks.extend(_json_checks(ctx, value, where))
        elif key.text == "body_contains":
            items = value.items if isinstance(value, YSeq) else (value,)
            for i, item in enumerate(items):
                text = ctx.text(item, f"{where}[{i}]" if item is not value else where, numbers=True)
                if text is not None:
                    checks.append(BodyContainsCheck(text))
        elif key.text == "headers":
            checks.extend(_header_checks(ctx, value, where))
    return tuple(checks) if len(ctx.issues) == before else None


def _statuses(ctx: Ctx, node: YNode, path: str) -> tuple[int, ...]:
    items = node.items if isinstance(node, YSeq) else (node,)
    if not items:
        ctx.error(node.line, path, "the list is empty; give status codes such as [200, 201]")
    codes: list[int] = []
    for item in items:
        code = ctx.integer(item, path, what="an HTTP status code such as 200")
        if code is None:
            continue
        if not 100 <= code <= 599:
            ctx.error(item.line, path, f"{code} is not an HTTP status; use a code from 100 to 599")
            continue
        codes.append(code)
    return tuple(codes)


def _json_checks(ctx: Ctx, node: YNode, path: str) -> list[Check]:
    mapping = ctx.mapping(node, path, 'a mapping of JSONPath to value, e.g. {"$.status": "ok"}')
    checks: list[Check] = []
    for key, value in mapping.items if mapping is not None else ():
        if not _jsonpath(ctx, key.text, key.line, path):
            continue
        where = f"{path}.{key.text}"
        if (exists := exists_test(ctx, value, where)) is not None:
            if exists:
                checks.append(JsonCheck(key.text, exists_only=True))
            continue
        ok, expected = plain_value(ctx, value, where)
        if ok:
            checks.append(JsonCheck(key.text, expected))
    return checks


def _header_checks(ctx: Ctx, node: YNode, path: str) -> list[Check]:
    mapping = ctx.mapping(node, path, "a mapping of header names to expected values")
    checks: list[Check] = []
    for key, value in mapping.items if mapping is not None else ():
        if not TOKEN.fullmatch(key.text):
            ctx.error(key.line, path, f"'{key.text}' is not a valid header name; fix the name")
            continue
        if isinstance(value, YScalar) and value.value is None:
            checks.append(HeaderCheck(key.text))  # an empty value: the header must exist
            continue
        text = ctx.text(value, f"{path}.{key.text}", numbers=True)
        if text is not None:
            checks.append(HeaderCheck(key.text, text))
    return checks


def read_captures(ctx: Ctx, scope: Scope, node: YNode, path: str) -> tuple[Capture, ...] | None:
    """Captures from ``capture`` (a list of ``{json|regex|header: …, as: name}``)."""
    items: tuple[YNode, ...]
    if isinstance(node, YMap):
        items = (node,)  # a single rule without the list
    else:
        seq = ctx.sequence(node, path, "a list such as [{json: $.id, as: id}]")
        if seq is None:
            return None
        items = seq.items
    before = len(ctx.issues)
    captures: list[Capture] = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        rule = ctx.mapping(item, where, "a mapping such as {json: $.id, as: id}")
        if rule is None:
            continue
        ctx.check_keys(rule, where, (*_SOURCES, "as"))
        sources = [k for k in _SOURCES if rule.get(k) is not None]
        if len(sources) != 1:
            found = " and ".join(sources) if sources else "none"
            ctx.error(
                rule.line, where, f"give exactly one of json, regex or header ({found} given)"
            )
        as_node = rule.get("as")
        if as_node is None:
            ctx.error(rule.line, where, "missing 'as'; name the variable, e.g. as: conv_id")
        if len(sources) != 1 or as_node is None:
            continue
        var = ctx.text(as_node, f"{where}.as", expected="a variable name")
        if var is not None and not is_var_name(var):
            ctx.error(
                as_node.line,
                f"{where}.as",
                f"'{var}' is not a valid variable name; use letters, digits and '_', e.g. conv_id",
            )
            var = None
        if var is not None:
            # Recorded even if the rule is broken, so its uses are not reported too.
            scope.captured.setdefault(var, as_node.line)
        source_node = rule.get(sources[0])
        assert source_node is not None
        expr = ctx.text(source_node, f"{where}.{sources[0]}")
        if expr is None or var is None:
            continue
        source = CaptureSource(sources[0])
        if source is CaptureSource.JSON and not _jsonpath(ctx, expr, source_node.line, where):
            continue
        if source is CaptureSource.REGEX:
            try:
                re.compile(expr)
            except (re.error, RecursionError, OverflowError) as exc:
                ctx.error(
                    source_node.line,
                    f"{where}.regex",
                    f"bad regular expression {expr!r}: {exc}; fix it (group 1 is captured)",
                )
                continue
        if source is CaptureSource.HEADER and not TOKEN.fullmatch(expr):
            ctx.error(source_node.line, f"{where}.header", f"'{expr}' is not a header name")
            continue
        captures.append(Capture(source, expr, var))
    return tuple(captures) if len(ctx.issues) == before else None
