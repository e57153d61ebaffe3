"""Message predicates: JSONPath equality/existence, regex, substring; never a crash."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from agentload.protocols.ws import JsonCondition, MessagePredicate, json_equal

DONE = '{"type": "done", "tokens": 3, "ok": true, "meta": {"ids": [1, 2]}, "text": "Hi there"}'


@pytest.mark.parametrize(
    ("predicate", "matches"),
    [
        (MessagePredicate(), True),
        (MessagePredicate(json=[JsonCondition("$.type", "done")]), True),
        (MessagePredicate(json=[JsonCondition("$.type", "token")]), False),
        (MessagePredicate(json=[JsonCondition("$.tokens", 3)]), True),
        (MessagePredicate(json=[JsonCondition("$.tokens", 3.0)]), True),
        (MessagePredicate(json=[JsonCondition("$.ok", True)]), True),
        (MessagePredicate(json=[JsonCondition("$.ok", 1)]), False),  # JSON true is not 1
        (MessagePredicate(json=[JsonCondition("$.meta.ids", [1, 2])]), True),
        (MessagePredicate(json=[JsonCondition("$.meta", {"ids": [1, 2]})]), True),
        (MessagePredicate(json=[JsonCondition("$.meta.ids[1]", 2)]), True),
        (MessagePredicate(json=[JsonCondition("$.missing", exists_only=True)]), False),
        (MessagePredicate(json=[JsonCondition("$.text", exists_only=True)]), True),
        (
            MessagePredicate(json=[JsonCondition("$.type", "done"), JsonCondition("$.tokens", 4)]),
            False,
        ),
        (MessagePredicate(regex=r"Hi \w+"), True),
        (MessagePredicate(regex=r"^Hi"), False),
        (MessagePredicate(contains='"tokens": 3'), True),
        (MessagePredicate(contains="bye"), False),
        (MessagePredicate(json=[JsonCondition("$.type", "done")], regex="there"), True),
    ],
)
def test_predicates_on_a_known_message(predicate: MessagePredicate, matches: bool) -> None:
    assert (predicate.match(DONE) is not None) is matches


def test_non_json_and_binary_messages() -> None:
    on_type = MessagePredicate(json=[JsonCondition("$.type", "done")])
    assert on_type.match("not json") is None
    assert on_type.match(b'{"type": "done"}') is not None
    assert MessagePredicate(contains="\ufffd").match(b"\xff") is not None
    found = MessagePredicate(regex="x").match("xyz")
    assert found is not None and not found.is_json


def test_with_expected_swaps_values_without_recompiling() -> None:
    base = MessagePredicate(json=[JsonCondition("$.conversation_id", None)])
    assert base.with_expected(["c1"]).match('{"conversation_id": "c1"}') is not None
    assert base.with_expected(["c2"]).match('{"conversation_id": "c1"}') is None
    with pytest.raises(ValueError, match="one expected value"):
        base.with_expected([])


def test_bad_conditions_are_value_errors_with_a_reason() -> None:
    with pytest.raises(ValueError, match=r"bad JSONPath '\$\['"):
        MessagePredicate(json=[JsonCondition("$[")])
    with pytest.raises(ValueError, match="bad regular expression"):
        MessagePredicate(regex="(")


def test_json_value_reads_the_first_match() -> None:
    from agentload.protocols.ws import compile_path

    found = MessagePredicate().match(DONE)
    assert found is not None
    assert found.json_value(compile_path("$.meta.ids[0]")) == 1
    assert found.json_value(compile_path("$.meta.ids[*]")) == 1
    assert found.json_value(compile_path("$.nope")) is None
    text = MessagePredicate().match("plain")
    assert text is not None and text.json_value(compile_path("$.a")) is None


def test_json_equal() -> None:
    assert json_equal(1, 1.0)
    assert not json_equal(True, 1)
    assert not json_equal(0, False)
    assert json_equal([True, {"a": None}], [True, {"a": None}])
    assert not json_equal({"a": 1}, {"a": 1, "b": 2})


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)
_paths = st.sampled_from(["$", "$.a", "$.type", "$[0]", "$..a", "$.a[*].b", "$[?@.a > 1]", "$.*"])


@settings(deadline=None)
@given(
    data=st.one_of(st.text(max_size=50), st.binary(max_size=50), _json.map(json.dumps)),
    path=_paths,
    expected=_json,
    regex=st.sampled_from([None, "a", "^$", r"\d+", "(x|y)*"]),
    exists=st.booleans(),
)
def test_any_message_matches_or_not_without_crashing(
    data: str | bytes, path: str, expected: object, regex: str | None, exists: bool
) -> None:
    predicate = MessagePredicate(json=[JsonCondition(path, expected, exists)], regex=regex)
    found = predicate.match(data)
    assert found is None or isinstance(found.text, str)


@settings(deadline=None)
@given(st.text(max_size=30))
def test_any_pattern_text_compiles_or_is_a_clear_error(pattern: str) -> None:
    for build in (
        lambda: MessagePredicate(regex=pattern),
        lambda: MessagePredicate(json=[JsonCondition(pattern)]),
    ):
        try:
            build()
        except ValueError as exc:
            assert str(exc).startswith(("bad regular expression", "bad JSONPath"))
            assert "\n" not in str(exc)


_names = st.sampled_from(["a", "b", "type", "_x", "a b", "é", "0"])
_segment = st.one_of(
    _names.filter(str.isidentifier).map(lambda n: f".{n}" if n.isascii() else f"['{n}']"),
    _names.map(lambda n: f"['{n}']"),
    _names.map(lambda n: f'["{n}"]'),
    st.integers(-3, 3).map(lambda i: f"[{i}]"),
)
_singular_paths = st.lists(_segment, max_size=4).map(lambda segs: "$" + "".join(segs))
_docs = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | st.text(max_size=2),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_names, inner, max_size=4),
    max_leaves=15,
)


def _has_digit_key(doc: object) -> bool:
    if isinstance(doc, dict):
        return any(k.lstrip("-").isdigit() or _has_digit_key(v) for k, v in doc.items())
    return isinstance(doc, list) and any(_has_digit_key(v) for v in doc)


@settings(deadline=None)
@given(path=_singular_paths, doc=_docs)
def test_the_fast_singular_path_agrees_with_python_jsonpath(path: str, doc: object) -> None:
    import jsonpath

    from agentload.protocols.ws import MISSING, compile_path

    # python-jsonpath lets an index selector ([0]) pick the key "0" of an object;
    # RFC 9535 §2.3.3.2 says it selects nothing there (the next test), so the
    # oracle is only asked where the two readings agree.
    assume(not (re.search(r"\[-?\d+\]", path) and _has_digit_key(doc)))
    compiled = compile_path(path)
    assert compiled._keys is not None  # the fast path is the one under test
    found = jsonpath.compile(path).match(doc)
    expected = MISSING if found is None else found.obj
    got = compiled.find(doc)
    assert (got is MISSING) == (expected is MISSING), (path, doc)
    if got is not MISSING:
        assert got == expected and type(got) is type(expected)


def test_an_index_selects_nothing_from_an_object_even_with_a_digit_key() -> None:
    from agentload.protocols.ws import MISSING, compile_path

    # RFC 9535 §2.3.3.2: an index selector applied to anything but an array
    # selects no node; a name selector ['0'] is how to reach the key "0".
    assert compile_path("$[0]").find({"0": 1}) is MISSING
    assert compile_path("$['0']").find({"0": 1}) == 1
    assert compile_path("$[0]").find([7]) == 7


def test_paths_that_are_not_singular_use_the_general_evaluator() -> None:
    from agentload.protocols.ws import MISSING, compile_path

    doc = {"items": [{"id": 1}, {"id": 2}], "a": {"b": 3}}
    for path, want in [("$.items[*].id", 1), ("$..b", 3), ("$.items[?@.id > 1].id", 2)]:
        compiled = compile_path(path)
        assert compiled._keys is None
        assert compiled.find(doc) == want
    assert compile_path("$.nope[*]").find(doc) is MISSING
