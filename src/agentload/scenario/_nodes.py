"""A located YAML tree: mappings, lists and scalars that know their line.

PyYAML's ``compose`` gives nodes with marks but loses them once values are
constructed, so this module builds its own small tree from the composed nodes.
Along the way it

* constructs scalars with the safe YAML 1.1 rules (ints, floats, booleans, null;
  timestamps stay text because no field wants a date);
* splits every string with :func:`~agentload.scenario._templates.split_text`,
  so ``${env.NAME}`` is substituted and ``${var}`` kept as a reference. A plain
  (unquoted) value that used ``${env.…}`` is typed after substitution, as if the
  value had been written there: ``vus: ${env.VUS:-10}`` is the number 10;
* rejects duplicate keys, non-text keys, unknown tags and recursive aliases,
  applies ``<<`` merge keys, and caps the size so an alias bomb cannot hang us.

Lines are 1-based. Problems are returned as :class:`~agentload.errors.Issue`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import yaml

from agentload.errors import Issue
from agentload.scenario._templates import split_text
from agentload.scenario.model import VarRef

__all__ = ["YKey", "YMap", "YNode", "YScalar", "YSeq", "compose_text", "one_line"]

_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = frozenset(_TAG + t for t in ("int", "float", "bool", "null"))
_MAX_NODES = 200_000
_MAX_DEPTH = 100
# Real scenario files are kilobytes; a multi-megabyte one is a mistake (a data
# dump pasted inline, the wrong file) and would take seconds to parse.
MAX_SCENARIO_BYTES = 4 << 20
# libyaml's parser when PyYAML was built with it (every wheel is): the same
# events and marks, an order of magnitude faster than the pure-Python one.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class YScalar:
    """A scalar value and where it is.

    Attributes:
        value: ``None``, ``bool``, ``int``, ``float`` or ``str``. For text it is
            the value after ``${env.…}`` substitution, with run-time references
            written as ``${name}``.
        line: 1-based line of the value.
        parts: for text, the literal pieces and :class:`VarRef` references.
        raw: the text as written in the file (before substitution).
        problems: messages about malformed references or missing environment
            variables, reported only if the value is used.
    """

    value: object
    line: int
    parts: tuple[str | VarRef, ...] = ()
    raw: str = ""
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class YKey:
    """A mapping key: always text, never substituted."""

    text: str
    line: int


@dataclass(frozen=True, slots=True)
class YMap:
    """A mapping with its keys in file order."""

    items: tuple[tuple[YKey, YNode], ...]
    line: int

    def get(self, key: str) -> YNode | None:
        """The value under ``key``, or ``None`` when absent."""
        for k, v in self.items:
            if k.text == key:
                return v
        return None

    def key(self, key: str) -> YKey | None:
        """The key object named ``key`` (for its line), or ``None``."""
        for k, _ in self.items:
            if k.text == key:
                return k
        return None

    def names(self) -> Iterator[str]:
        """Key texts in file order."""
        return (k.text for k, _ in self.items)


@dataclass(frozen=True, slots=True)
class YSeq:
    """A list."""

    items: tuple[YNode, ...]
    line: int


YNode = YScalar | YMap | YSeq


def one_line(message: str) -> str:
    """``message`` with control characters escaped, so an issue is always one line."""
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


class _TooBig(Exception):
    """Unwinds the builder when the document is too large, too deep or infinite."""


class _Builder:
    def __init__(self, filename: str, env: Mapping[str, str]) -> None:
        self.filename = filename
        self.env = env
        self.issues: list[Issue] = []
        self.count = 0
        self.active: set[int] = set()
        self.resolver = yaml.resolver.Resolver()
        self.constructor = yaml.constructor.SafeConstructor()

    def issue(self, line: int, message: str) -> None:
        self.issues.append(Issue(self.filename, line, one_line(message)))

    def node(self, node: yaml.Node, depth: int) -> YNode:
        self.count += 1
        if self.count > _MAX_NODES:
            self.issue(
                node.start_mark.line + 1,
                f"the document expands to more than {_MAX_NODES} values (aliases?); "
                "write a smaller file",
            )
            raise _TooBig
        if depth > _MAX_DEPTH:
            self.issue(
                node.start_mark.line + 1,
                f"values are nested more than {_MAX_DEPTH} levels deep; flatten the structure",
            )
            raise _TooBig
        if id(node) in self.active:
            self.issue(
                node.start_mark.line + 1,
                "an alias refers to a value that contains it; remove the recursive alias",
            )
            raise _TooBig  # the document has no finite value to check further
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, depth)
            if isinstance(node, yaml.SequenceNode):
                return self.sequence(node, depth)
            assert isinstance(node, yaml.ScalarNode)
            return self.scalar(node)
        finally:
            self.active.discard(id(node))

    def bad_tag(self, node: yaml.Node) -> None:
        self.issue(
            node.start_mark.line + 1,
            f"unsupported YAML tag {node.tag}; remove the tag "
            "(quote the value if it should be text)",
        )

    def sequence(self, node: yaml.SequenceNode, depth: int) -> YSeq:
        if node.tag != _TAG + "seq":
            self.bad_tag(node)
        items = tuple(self.node(child, depth + 1) for child in node.value)
        return YSeq(items=items, line=node.start_mark.line + 1)

    def mapping(self, node: yaml.MappingNode, depth: int) -> YMap:
        if node.tag != _TAG + "map":
            self.bad_tag(node)
        own: list[tuple[YKey, YNode]] = []
        first_line: dict[str, int] = {}
        merged: list[tuple[YKey, YNode]] = []
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _TAG + "merge":
                merged.extend(self.merge_sources(value_node, depth))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.issue(line, "a key must be plain text, found a list or mapping; fix the key")
                continue
            text = str(key_node.value)
            if text in first_line:
                self.issue(
                    line,
                    f"duplicate key '{text}' (first at line {first_line[text]}); keep only one",
                )
                continue
            first_line[text] = line
            own.append((YKey(text, line), self.node(value_node, depth + 1)))
        # Merge keys (``<<: *defaults``) never override keys written in the mapping.
        for key, value in merged:
            if key.text not in first_line:
                first_line[key.text] = key.line
                own.append((key, value))
        return YMap(items=tuple(own), line=node.start_mark.line + 1)

    def merge_sources(self, value: yaml.Node, depth: int) -> list[tuple[YKey, YNode]]:
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        out: list[tuple[YKey, YNode]] = []
        for source in sources:
            built = self.node(source, depth + 1)
            if isinstance(built, YMap):
                out.extend(built.items)
            else:
                self.issue(
                    source.start_mark.line + 1,
                    "'<<' merges mappings only; refer to a mapping (<<: *defaults)",
                )
        return out

    def scalar(self, node: yaml.ScalarNode) -> YScalar:
        line = node.start_mark.line + 1
        raw = str(node.value)
        tag = node.tag
        if tag in _PLAIN_TAGS:
            return self.typed(tag, raw, raw, line)
        if tag not in (_TAG + "str", _TAG + "timestamp"):
            self.bad_tag(node)
        split = split_text(raw, self.env)
        if not node.style and split.used_env and not split.problems:
            # An unquoted value is typed after substitution, like YAML would
            # type it had the value been written out.
            text = split.text
            resolved: str = self.resolver.resolve(  # type: ignore[no-untyped-call]
                yaml.ScalarNode, text, (True, False)
            )
            if resolved in _PLAIN_TAGS and all(isinstance(p, str) for p in split.parts):
                return self.typed(resolved, text, raw, line)
        return YScalar(split.text, line, split.parts, raw, split.problems)

    def typed(self, tag: str, text: str, raw: str, line: int) -> YScalar:
        parts: tuple[str, ...] = (text,) if text else ()
        try:
            value = self.constructor.construct_object(yaml.ScalarNode(tag, text))
        except (ValueError, KeyError, yaml.YAMLError):
            # Only reachable with explicit tags (``!!int abc``) or huge numbers;
            # reported if the value is used, like a missing environment variable.
            shown = text if len(text) <= 40 else text[:39] + "…"
            kind = tag.removeprefix(_TAG)
            problem = f"{shown!r} is not a valid {kind}; fix the value or remove the tag"
            return YScalar(text, line, parts, raw, (problem,))
        return YScalar(value, line, parts, raw)


def compose_text(
    text: str, filename: str, env: Mapping[str, str]
) -> tuple[YNode | None, list[Issue]]:
    """Parse YAML ``text`` into a located tree.

    Returns ``(None, issues)`` when the text is not valid YAML or is empty
    (no issue is added for an empty document: the caller words that).
    """
    if len(text) > MAX_SCENARIO_BYTES:
        size = len(text.encode("utf-8", "replace")) / 2**20
        return None, [
            Issue(
                filename,
                0,
                f"the file is {size:.1f} MB; a scenario is at most {MAX_SCENARIO_BYTES >> 20} MB "
                "— keep large data in a data file and refer to it",
            )
        ]
    try:
        try:
            composed = yaml.compose(text, Loader=_LOADER)
        except yaml.YAMLError:
            # Parse again in pure Python for its error: it says what it found
            # ("expected ',' or '}', but got ':'"); libyaml only what it missed.
            composed = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_issue(filename, exc, text)]
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        return None, [
            Issue(
                filename,
                line,
                f"YAML: character {_char(exc.character)} is not allowed; remove it "
                "or save the file as UTF-8 text",
            )
        ]
    except yaml.YAMLError as exc:
        return None, [Issue(filename, 0, one_line(f"YAML: {exc}; fix the syntax"))]
    except RecursionError:
        return None, [
            Issue(filename, 0, "values are nested too deeply to parse; flatten the structure")
        ]
    if composed is None:
        return None, []
    builder = _Builder(filename, env)
    try:
        tree: YNode | None = builder.node(composed, 0)
    except _TooBig:
        tree = None
    return tree, builder.issues


def _syntax_issue(filename: str, exc: yaml.MarkedYAMLError, text: str) -> Issue:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 0
    problem = (exc.problem or "").strip()
    hint = "check the indentation and quoting around this line"
    lines = text.splitlines()
    if 0 < line <= len(lines) and "${" in lines[line - 1]:
        # ``{`` and ``}`` end flow mappings, so an unquoted ${…} inside {…} breaks them.
        hint = 'quote values that contain ${…}, e.g. "${env.TOKEN}"'

    if "'\\t'" in problem:
        problem = "a tab character"
        hint = "YAML indentation must use spaces, not tabs"
    elif "expected a single document" in (exc.context or ""):
        problem = "more than one YAML document ('---')"
        hint = "keep one scenario per file"
    context = (exc.context or "").strip()
    if context and exc.context_mark is not None and "document" not in problem:
        context = f" ({context} started at line {exc.context_mark.line + 1})"
    else:
        context = ""
    return Issue(filename, line, one_line(f"YAML syntax error: {problem}{context}; {hint}"))


def _char(character: object) -> str:
    # PyYAML gives the code point as an int for bad bytes, a str otherwise.
    code = character if isinstance(character, int) else ord(str(character)[:1] or "?")
    return f"U+{code:04X}"
