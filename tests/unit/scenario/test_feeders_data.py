"""The ``data`` section: files and inline lists become feeders; bad data files are bad input."""

# The expected messages are the user interface under test; they stay whole, one per line.
# ruff: noqa: E501

from __future__ import annotations

from pathlib import Path

import pytest

from agentload.errors import ExitCode, ScenarioError
from agentload.scenario import load_scenario_text
from agentload.scenario.model_flow import AtEnd, DataSource, DataStep, LoopStep, PaceStep, Strategy

HEAD = "config: {target: 'http://t'}\n"


def load(text: str, folder: Path):  # type: ignore[no-untyped-def]
    return load_scenario_text(HEAD + text, filename="f.yaml", env={}, base_dir=folder)


def issues(text: str, folder: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load(text, folder)
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    return [str(i) for i in caught.value.issues]


def test_csv_jsonl_and_json_files_load_as_rows(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text('email,password\na@x,p1\n\n"b,@x",p2\n')
    (tmp_path / "t.jsonl").write_text('{"id": "t1", "n": 1}\n\n{"id": "t2", "n": 2}\n')
    (tmp_path / "c.json").write_text('[{"k": [1, 2]}, {"k": null}]')
    (tmp_path / "raw.txt").write_text("1,2\n3,4\n")
    sf = load(
        "data:\n"
        "  users: {file: users.csv, strategy: unique, at_end: stop}\n"
        "  tenants: {file: t.jsonl, strategy: random}\n"
        "  cfg: {file: c.json}\n"
        "  pairs: {file: raw.txt, format: csv, fields: [a, b], top_level: true}\n"
        "  msgs: [hello, 'help me']\n"
        "flow:\n"
        "  - post: /x\n"
        "    json: {u: '${users.email}', t: '${tenants.id}', c: '${cfg.k}', a: '${a}', m: '${msgs}'}\n",
        tmp_path,
    )
    (block,) = sf.scenarios[0].steps
    assert isinstance(block, PaceStep) and block.seconds == 0
    first = block.steps[0]
    assert isinstance(first, DataStep)
    by_name = {s.name: s for s in first.sources}
    assert by_name["users"] == DataSource(
        "users",
        ({"email": "a@x", "password": "p1"}, {"email": "b,@x", "password": "p2"}),
        Strategy.UNIQUE,
        AtEnd.STOP,
        origin="users.csv",
        line=3,
    )
    assert by_name["tenants"].rows == ({"id": "t1", "n": 1}, {"id": "t2", "n": 2})
    assert by_name["tenants"].strategy is Strategy.RANDOM
    assert by_name["cfg"].rows == ({"k": [1, 2]}, {"k": None})
    assert by_name["pairs"].rows == ({"a": "1", "b": "2"}, {"a": "3", "b": "4"})
    assert by_name["pairs"].top_level
    assert by_name["msgs"].rows == ("hello", "help me")
    assert by_name["msgs"].strategy is Strategy.SEQUENTIAL and by_name["msgs"].at_end is AtEnd.WRAP


def test_named_columns_with_and_without_the_files_header(tmp_path: Path) -> None:
    (tmp_path / "raw.csv").write_text("1,2\n3,4\n")
    (tmp_path / "head.csv").write_text("A,B\n1,2\n")
    sf = load(
        "data:\n"
        "  raw: {file: raw.csv, fields: [a, b]}\n"
        "  head: {file: head.csv, fields: [a, b], skip_header: true}\n"
        "flow:\n  - get: '/x/${raw.a}/${head.b}'\n",
        tmp_path,
    )
    (block,) = sf.scenarios[0].steps
    assert isinstance(block, PaceStep)
    data = block.steps[0]
    assert isinstance(data, DataStep)
    assert [s.rows for s in data.sources] == [
        ({"a": "1", "b": "2"}, {"a": "3", "b": "4"}),
        ({"a": "1", "b": "2"},),
    ]
    assert issues(
        "data:\n  r: {file: raw.csv, fields: [a, 'b c']}\n  s: {file: raw.csv, skip_header: true}\nflow:\n  - get: /a\n",
        tmp_path,
    ) == [
        "f.yaml:3: data.r.fields[1]: column name 'b c' cannot be a variable; use letters, digits and '_'",
        "f.yaml:4: data.s.skip_header: only with fields; without them the header names the columns",
    ]


def test_only_the_feeders_a_scenario_uses_are_picked(tmp_path: Path) -> None:
    sf = load(
        "data:\n  a: [1]\n  b: {values: [{x: 1}], as: row}\n  c: [3]\n"
        "scenarios:\n"
        "  - {name: s1, flow: [{get: '/a/${a}'}]}\n"
        "  - {name: s2, flow: [{get: '/b/${row.x}'}]}\n"
        "  - {name: s3, flow: [{get: /none}, {loop: {over: c, steps: [{get: '/c/${item}'}]}}]}\n",
        tmp_path,
    )
    picks = []
    for s in sf.scenarios:
        step = s.steps[0]
        if isinstance(step, PaceStep):
            step = step.steps[0]
        picks.append([d.name for d in step.sources] if isinstance(step, DataStep) else [])
    assert picks == [["a"], ["b"], []]
    loop = sf.scenarios[2].steps[1]
    assert isinstance(loop, LoopStep) and loop.data is not None and loop.data.rows == (3,)


BAD_FILES = [
    pytest.param(
        "ragged.csv",
        "email,password\na@x,p1\nb@x,p2,extra\n",
        "ragged.csv:3: the row has 3 fields, the header 2; quote values that contain commas",
        id="csv_ragged",
    ),
    pytest.param(
        "empty.csv",
        "",
        "empty.csv: the file is empty; add a header and at least one row",
        id="csv_empty",
    ),
    pytest.param(
        "blank.jsonl",
        "\n  \n",
        "blank.jsonl: the file is empty; add a header and at least one row",
        id="jsonl_blank",
    ),
    pytest.param(
        "head.csv",
        "email,password\n",
        "head.csv: the file has a header but no rows; add at least one row",
        id="csv_header_only",
    ),
    pytest.param(
        "noname.csv",
        "email,,x\na,b,c\n",
        "noname.csv:1: column 2 of the header has no name; name it",
        id="csv_unnamed_column",
    ),
    pytest.param(
        "dup.csv",
        "email,email\na,b\n",
        "dup.csv:1: column 'email' appears twice in the header; rename one",
        id="csv_duplicate_column",
    ),
    pytest.param(
        "quote.csv",
        'a,b\n1,2\n"x,1\n',
        "quote.csv:3: malformed CSV (unexpected end of data); fix the quoting",
        id="csv_open_quote",
    ),
    pytest.param(
        "bad.jsonl",
        '{"a":1}\n{"a":2\n',
        "bad.jsonl:2: not valid JSON (Expecting ',' delimiter); one object per line",
        id="jsonl_syntax",
    ),
    pytest.param(
        "list.jsonl",
        '{"a":1}\n[1]\n',
        'list.jsonl:2: expected an object such as {"id": 1}, found a list',
        id="jsonl_not_object",
    ),
    pytest.param(
        "num.json",
        '[\n {"a": 1},\n {"a": 2},\n 3\n]\n',
        'num.json:4: expected an object such as {"id": 1}, found the value 3',
        id="json_item_not_object",
    ),
    pytest.param(
        "comma.json",
        '[\n {"a": 1},\n {"a": 2,}\n]\n',
        "comma.json:3: not valid JSON (Expecting property name enclosed in double quotes); fix the file",
        id="json_syntax",
    ),
    pytest.param(
        "obj.json",
        '{"a": 1}\n',
        "obj.json:1: expected a JSON array of objects ([{…}, {…}])",
        id="json_not_array",
    ),
    pytest.param(
        "none.json",
        "[ ]",
        "none.json:1: the array is empty; add at least one object",
        id="json_empty_array",
    ),
    pytest.param(
        "tail.json",
        '[{"a":1}]\n\nx',
        "tail.json:1: text after the end of the array; remove it",
        id="json_trailing_text",
    ),
    pytest.param(
        "key.jsonl",
        '{"a b": 1}\n',
        "key.jsonl:1: field name 'a b' cannot be a variable; use letters, digits and '_'",
        id="jsonl_bad_field_name",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES)
def test_a_bad_data_file_names_both_lines(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    (tmp_path / name).write_text(content)
    text = f"data:\n  rows: {{file: {name}}}\nflow:\n  - get: /a\n"
    assert issues(text, tmp_path) == [f"f.yaml:3: data.rows: {message}"]


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    (tmp_path / "bin.csv").write_bytes(b"a\n\xff\xfe\n")
    text = "data:\n  a: {file: nope.csv}\n  b: {file: bin.csv}\nflow:\n  - get: /a\n"
    assert issues(text, tmp_path) == [
        "f.yaml:3: data.a: nope.csv: cannot read the data file: No such file or directory; check the path (relative to the scenario)",
        "f.yaml:4: data.b: bin.csv:2: the file is not UTF-8 text; save it as UTF-8",
    ]


BAD_SECTIONS = [
    pytest.param(
        "data:\n  users:\n    values: [{email: a}]\n    strategy: uniqe\nflow:\n  - get: /a\n",
        ["f.yaml:5: data.users.strategy: unknown value 'uniqe'; did you mean 'unique'?"],
        id="strategy_typo",
    ),
    pytest.param(
        "data:\n  users:\n    values: [a]\n    at_end: stpo\nflow:\n  - get: /a\n",
        ["f.yaml:5: data.users.at_end: unknown value 'stpo'; did you mean 'stop'?"],
        id="at_end_typo",
    ),
    pytest.param(
        "data:\n  users:\n    values: [a]\n    strategi: random\nflow:\n  - get: /a\n",
        ["f.yaml:5: data.users: unknown key 'strategi'; did you mean 'strategy'?"],
        id="key_typo",
    ),
    pytest.param(
        "data:\n  users: {values: [a], file: x.csv}\nflow:\n  - get: /a\n",
        ["f.yaml:3: data.users: give exactly one of file (a CSV, JSONL or JSON file) or values"],
        id="file_and_values",
    ),
    pytest.param(
        "data:\n  users: {values: [a], strategy: random, at_end: stop}\nflow:\n  - get: /a\n",
        ["f.yaml:3: data.users.at_end: a random feeder never runs out; remove at_end"],
        id="random_stop",
    ),
    pytest.param(
        "data:\n  users: []\nflow:\n  - get: /a\n",
        ["f.yaml:3: data.users: the list is empty; add at least one value"],
        id="empty_inline",
    ),
    pytest.param(
        "data:\n  users: [{a: 1}, 2]\nflow:\n  - get: /a\n",
        ["f.yaml:3: data.users: mix of objects and plain values; make every item an object"],
        id="mixed_inline",
    ),
    pytest.param(
        "data:\n  users: {file: x.txt}\nflow:\n  - get: /a\n",
        [
            "f.yaml:3: data.users.file: cannot tell the format of 'x.txt'; name it .csv, .jsonl or .json, or add format: csv|jsonl|json"
        ],
        id="unknown_format",
    ),
    pytest.param(
        "data:\n  users: {file: x.json, fields: [a]}\nflow:\n  - get: /a\n",
        ["f.yaml:3: data.users.fields: only CSV files take column names; remove fields"],
        id="fields_not_csv",
    ),
    pytest.param(
        "data:\n  my-users: [a]\nflow:\n  - get: /a\n",
        [
            "f.yaml:3: data.my-users: 'my-users' cannot be a feeder name; use letters, digits and '_' (e.g. users)"
        ],
        id="bad_name",
    ),
    pytest.param(
        "data: [a]\nflow:\n  - get: /a\n",
        [
            "f.yaml:2: data: expected a mapping of feeder names to {file: …} or lists, found a list; see docs/scenario-format.md for the format"
        ],
        id="not_mapping",
    ),
    pytest.param(
        "data:\n  users: {values: [{email: a}]}\nflow:\n  - get: '/a?e=${users.emial}'\n",
        [
            "f.yaml:5: flow[0].get: variable ${users.emial} is not defined; did you mean ${users.email}?"
        ],
        id="field_typo",
    ),
    pytest.param(
        "dat:\n  users: [a]\nflow:\n  - get: /a\n",
        ["f.yaml:2: unknown key 'dat'; did you mean 'data'?"],
        id="section_typo",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_SECTIONS)
def test_bad_data_sections(tmp_path: Path, text: str, expected: list[str]) -> None:
    assert issues(text, tmp_path) == expected
