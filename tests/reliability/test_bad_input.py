"""The bad-input matrix: malformed files and flags through the real CLI.

Every case runs ``agentload run …`` in a subprocess (``run_cli``) in a folder of
its own, so messages name ``s.yaml``. Each must end with exit code 2 and, on
stderr, one ``error: `` line per problem (``file:line:`` first when a file is
involved), saying what is wrong and what to do, with no traceback; nothing is
run and no results are written.

The files point at a port that refuses connections: were a bad input let
through, the run would stop at the preflight check (exit 3) instead of sending
load, so a miss fails fast.

The subprocesses of all cases are started together, a few at a time, by one
module fixture (the CLI's start-up dominates, and cases are independent); each
case is still its own test. docs/reliability.md has the matrix as a table.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import CliResult, run_cli
from tests.reliability._faultserver import refusing_port

TARGET = "@TARGET@"  # replaced by the refusing port's URL
HEAD = f"config:\n  target: {TARGET}\nload: {{vus: 1, duration: 1s}}\n"  # lines 1-3
FLOW = "flow:\n  - get: /health\n"  # lines 4-5 after HEAD


@dataclass(frozen=True)
class Case:
    """One bad input and what the user must be told."""

    id: str
    text: str | bytes | None
    """The content of ``s.yaml`` (``None``: no such file)."""
    where: str
    """What follows ``error: `` on the first line: ``s.yaml:4: ``, ``s.yaml: `` or ``""``."""
    what: str
    """Part of the message saying what is wrong."""
    todo: str
    """Part of the message saying what to do."""
    args: tuple[str, ...] = ()
    """Flags after ``run s.yaml``."""
    command: tuple[str, ...] | None = None
    """The whole command line instead of ``run s.yaml ARGS``."""
    files: Mapping[str, str] = field(default_factory=dict)
    """Other files of the case folder (a name ending in ``/`` is a folder)."""
    problems: int = 1
    bug: str | None = None
    """A known bug (see docs/reliability.md): the case is a strict xfail until it is fixed."""

    def argv(self) -> tuple[str, ...]:
        return self.command if self.command is not None else ("run", "s.yaml", *self.args)


def _deep() -> str:
    return "a: " + "[" * 5000 + "]" * 5000 + "\n"


def _alias_bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"



CASES = [
    # -- YAML and the file itself ---------------------------------------------------------
    Case(
        "yaml-syntax",
        f"config:\n  target: {TARGET}\nload: {{vus: 1, duration: 1s\n" + FLOW,
        "s.yaml:4: ",
        "YAML syntax error",
        "check the indentation and quoting",
    ),
    Case(
        "tab-indentation",
        f"config:\n\ttarget: {TARGET}\n" + FLOW,
        "s.yaml:2: ",
        "a tab character",
        "must use spaces",
    ),
    Case("empty-file", "", "s.yaml: ", "the file is empty", "write at least a 'scenarios:'"),
    Case(
        "missing-file",
        None,
        "missing.yaml: ",
        "no such scenario file",
        "check the path",
        command=("run", "missing.yaml"),
    ),
    Case(
        "not-utf8",
        f"config:\n  target: {TARGET}\nflow:\n  - get: /caf\xe9\n".encode("latin-1"),
        "s.yaml:4: ",
        "not UTF-8 text",
        "save it as UTF-8",
    ),
    Case(
        "binary-garbage",
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
        "s.yaml:1: ",
        "not UTF-8 text",
        "save it as UTF-8",
    ),
    Case(
        "duplicate-key",
        HEAD + FLOW + FLOW,
        "s.yaml:6: ",
        "duplicate key 'flow' (first at line 4)",
        "keep only one",
    ),
    Case(
        "deep-nesting",
        _deep(),
        "s.yaml:1: ",
        "values are nested more than 100 levels deep",
        "flatten the structure",
    ),
    Case(
        "alias-bomb",
        _alias_bomb(),
        "s.yaml:1: ",
        "expands to more than 200000 values",
        "write a smaller file",
    ),
    Case(
        "huge-file",
        HEAD + "flow:\n" + "  - get: /health\n" * 300_000,
        "s.yaml: ",
        "a scenario is at most 4 MB",
        "keep large data in a data file",
    ),
    Case(
        "exponent-vus",
        f"config:\n  target: {TARGET}\nload: {{vus: 1e3, duration: 1s}}\n" + FLOW,
        "s.yaml:3: ",
        "load.vus: expected a VU count, found the text '1e3'",
        "write it as a plain number without quotes, e.g. 1000",
    ),
    Case(
        "duration-flag-inf",
        HEAD + FLOW,
        "s.yaml: ",
        "--duration: must be a finite duration, got 'inf'",
        "e.g. --duration 30s",
        args=("--duration", "inf"),
    ),
    # -- structure: unknown keys, wrong types ---------------------------------------------
    Case(
        "unknown-top-key",
        HEAD + "flwo:\n  - get: /health\n",
        "s.yaml:4: ",
        "unknown key 'flwo'",
        "did you mean 'flow'?",
    ),
    Case(
        "unknown-config-key",
        f"config:\n  target: {TARGET}\n  headrs: {{X-A: b}}\n" + FLOW,
        "s.yaml:3: ",
        "unknown key 'headrs'",
        "did you mean 'headers'?",
    ),
    Case(
        "unknown-request-key",
        HEAD + FLOW + "    expcet: {status: 200}\n",
        "s.yaml:6: ",
        "unknown key 'expcet'",
        "did you mean 'expect'?",
    ),
    Case(
        "wrong-type-vus",
        f"config:\n  target: {TARGET}\nload: {{vus: ten, duration: 1s}}\n" + FLOW,
        "s.yaml:3: ",
        "expected a VU count, found the text 'ten'",
        "see docs/scenario-format.md",
    ),
    Case(
        "wrong-type-flow",
        HEAD + "flow:\n  get: /health\n",
        "s.yaml:5: ",
        "expected a list of steps",
        "see docs/scenario-format.md",
    ),
    Case(
        "status-out-of-range",
        HEAD + "flow:\n  - get: {url: /health, expect: {status: 999}}\n",
        "s.yaml:5: ",
        "999 is not an HTTP status",
        "use a code from 100 to 599",
    ),
    # -- URLs -------------------------------------------------------------------------------
    Case(
        "url-bad-scheme",
        "config:\n  target: ftp://example\n" + FLOW,
        "s.yaml:2: ",
        "must be an http:// or https:// URL",
        "e.g. http://127.0.0.1:8080",
    ),
    Case(
        "url-space-in-host",
        "config:\n  target: http://exa mple.com\n" + FLOW,
        "s.yaml:2: ",
        "invalid host 'exa mple.com'",
        "write e.g. http://127.0.0.1:8080",
    ),
    Case(
        "url-port-out-of-range",
        "config:\n  target: http://127.0.0.1:99999\n" + FLOW,
        "s.yaml:2: ",
        "bad port",
        "use a port from 1 to 65535",
    ),
    Case(
        "url-relative-without-slash",
        HEAD + "flow:\n  - get: api/chat\n",
        "s.yaml:5: ",
        "is neither a path nor a URL",
        "relative URLs start with /",
    ),
    # -- durations and numbers --------------------------------------------------------------
    Case(
        "negative-duration",
        f"config:\n  target: {TARGET}\nload: {{vus: 1, duration: -5s}}\n" + FLOW,
        "s.yaml:3: ",
        "cannot be negative",
        "use a positive duration",
    ),
    Case(
        "duration-in-words",
        f"config:\n  target: {TARGET}\nload: {{vus: 1, duration: 5 minutes}}\n" + FLOW,
        "s.yaml:3: ",
        "got '5 minutes'",
        "with no spaces",
    ),
    Case(
        "infinite-vus",
        f"config:\n  target: {TARGET}\nload: {{vus: .inf, duration: 1s}}\n" + FLOW,
        "s.yaml:3: ",
        "found the number inf",
        "see docs/scenario-format.md",
    ),
    Case(
        "huge-vus",
        f"config:\n  target: {TARGET}\nload: {{vus: 99999999999999999999999, duration: 1s}}\n"
        + FLOW,
        "s.yaml:3: ",
        "load.vus",
        "",
    ),
    # -- variables, captures, checks --------------------------------------------------------
    Case(
        "undefined-variable",
        f"config:\n  target: {TARGET}\n  variables: {{conv_id: 1}}\nflow:\n"
        "  - get: /api/${convid}\n",
        "s.yaml:5: ",
        "variable ${convid} is not defined",
        "did you mean ${conv_id}?",
    ),
    Case(
        "unset-environment-variable",
        "config:\n  target: ${env.AGENTLOAD_RELIABILITY_UNSET}\n" + FLOW,
        "s.yaml:2: ",
        "environment variable AGENTLOAD_RELIABILITY_UNSET is not set",
        "pass -e AGENTLOAD_RELIABILITY_UNSET=value",
    ),
    Case(
        "bad-regex",
        HEAD + FLOW + "    capture: {regex: '(', as: x}\n",
        "s.yaml:6: ",
        "bad regular expression '('",
        "fix it",
    ),
    # -- data files -------------------------------------------------------------------------
    Case(
        "multipart-file-missing",
        HEAD + "flow:\n  - post:\n      url: /upload\n      multipart:\n"
        "        file: {path: nope.csv}\n",
        "s.yaml:8: ",
        "cannot read 'nope.csv'",
        "paths are relative to the scenario file's folder",
    ),
    Case(
        "multipart-path-empty",
        HEAD + 'flow:\n  - post:\n      url: /upload\n      multipart:\n        file: {path: ""}\n',
        "s.yaml:8: ",
        "the file path is empty",
        "give a file such as",
    ),
    # data feeders (scenario/data.py): the data reference's line, then the data file's own
    Case(
        "data-file-missing",
        HEAD + "data:\n  users: {file: users.csv}\n" + FLOW,
        "s.yaml:5: ",
        "data.users: users.csv: cannot read the data file",
        "check the path (relative to the scenario)",
    ),
    Case(
        "data-file-empty",
        HEAD + "data:\n  users: {file: users.csv}\n" + FLOW,
        "s.yaml:5: ",
        "users.csv: the file is empty",
        "add a header and at least one row",
        files={"users.csv": ""},
    ),
    Case(
        "data-csv-ragged-row",
        HEAD + "data:\n  users: {file: users.csv}\n" + FLOW,
        "s.yaml:5: ",
        "users.csv:3: the row has 3 fields, the header 2",
        "quote values that contain commas",
        files={"users.csv": "email,password\na@x,p1\nb@x,p2,extra\n"},
    ),
    Case(
        "data-json-malformed",
        HEAD + "data:\n  tenants: {file: tenants.json}\n" + FLOW,
        "s.yaml:5: ",
        "tenants.json:3: not valid JSON",
        "fix the file",
        files={"tenants.json": '[\n  {"id": "t1"},\n  {"id": "t2",}\n]\n'},
    ),
    Case(
        "data-strategy-typo",
        HEAD + "data:\n  users: {values: [a, b], strategy: uniqe}\n" + FLOW,
        "s.yaml:5: ",
        "unknown value 'uniqe'",
        "did you mean 'unique'?",
    ),
    Case(
        "loop-key-typo",
        HEAD + "flow:\n  - loop: {cuont: 3, steps: [{get: /health}]}\n",
        "s.yaml:5: ",
        "unknown key 'cuont'",
        "did you mean 'count'?",
    ),
    Case(
        "poll-without-until",
        HEAD + "flow:\n  - poll: {get: /health, interval: 1s}\n",
        "s.yaml:5: ",
        "missing 'until'",
        "say when polling is done",
    ),
    # -- thresholds -------------------------------------------------------------------------
    Case(
        "threshold-bad-operator",
        HEAD + FLOW + 'thresholds:\n  http_req_duration: ["p(95)<<300"]\n',
        "s.yaml:7: ",
        "unknown operator '<<'",
        "use <, <=, >, >=, == or !=",
    ),
    Case(
        "threshold-bad-aggregation",
        HEAD + FLOW + 'thresholds:\n  http_req_duration: ["p95<300"]\n',
        "s.yaml:7: ",
        "unknown aggregation 'p95'",
        "write p(95)",
    ),
    Case(
        "threshold-two-problems",
        HEAD
        + FLOW
        + 'thresholds:\n  "http_req_duration{name": ["p(95)<1"]\n  checks: ["rate>2x"]\n',
        "s.yaml:7: ",
        "bad metric selector",
        "write name:value",
        problems=2,
    ),
    Case(
        "threshold-unknown-metric",
        HEAD + FLOW + 'thresholds:\n  htp_req_duration: ["p(95)<300"]\n',
        "s.yaml:7: ",
        "htp_req_duration",
        "did you mean",
    ),
    # -- command-line flags -----------------------------------------------------------------
    Case(
        "vus-negative",
        HEAD + FLOW,
        "s.yaml: ",
        "--vus: expected a whole number of at least 1, got '-1'",
        "e.g. --vus 10",
        args=("--vus", "-1"),
    ),
    Case(
        "vus-superscript-digit",
        HEAD + FLOW,
        "s.yaml: ",
        "--vus",
        "e.g. --vus 10",
        args=("--vus", "\u00b2"),
    ),
    Case(
        "vus-huge",
        HEAD + FLOW,
        "s.yaml: ",
        "--vus",
        "",
        args=("--vus", "99999999999999999999"),
    ),
    Case(
        "duration-text",
        HEAD + FLOW,
        "s.yaml: ",
        "--duration: expected a duration such as 30s",
        "e.g. --duration 30s",
        args=("--duration", "abc"),
    ),
    Case(
        "duration-on-stages",
        f"config:\n  target: {TARGET}\nload:\n  stages: [{{duration: 1s, target: 2}}]\n"
        "flow:\n  - get: /health\n",
        "s.yaml: ",
        "--duration: cannot override stages",
        "use --vus/--rate or edit the stages",
        args=("--duration", "5s"),
    ),
    Case(
        "rate-text",
        HEAD + FLOW,
        "s.yaml: ",
        "--rate: expected a rate in iterations per second",
        "e.g. --rate 50",
        args=("--rate", "x"),
    ),
    Case(
        "rate-huge",
        HEAD + FLOW,
        "s.yaml: ",
        "--rate",
        "",
        args=("--rate", "1e300"),
    ),
    Case(
        "vus-and-rate",
        HEAD + FLOW,
        "s.yaml: ",
        "--vus and --rate cannot be used together",
        "pick one",
        args=("--vus", "2", "--rate", "3"),
    ),
    Case(
        "target-flag-not-http",
        HEAD + FLOW,
        "s.yaml: ",
        "--target: 'ftp://x' must be an http:// or https:// URL",
        "e.g. http://127.0.0.1:8080",
        args=("--target", "ftp://x"),
    ),
    Case(
        "env-without-equals",
        HEAD + FLOW,
        "",
        "-e expects KEY=VALUE, got 'NOEQUALS'",
        "e.g. -e API_TOKEN=abc",
        args=("-e", "NOEQUALS"),
    ),
    Case(
        "env-missing-value",
        HEAD + FLOW,
        "",
        "Option '-e' requires an argument",
        "--help`)",
        args=("-e",),
    ),
    Case(
        "unknown-option",
        HEAD + FLOW,
        "",
        "No such option '--bogus'",
        "--help`)",
        args=("--bogus",),
    ),
    Case(
        "missing-argument",
        None,
        "",
        "Missing argument 'SCENARIO'",
        "--help`)",
        command=("run",),
    ),
    Case(
        "unknown-command",
        None,
        "",
        "No such command 'frobnicate'",
        "--help`)",
        command=("frobnicate",),
    ),
    Case(
        "out-is-a-file",
        HEAD + FLOW,
        "",
        "--out afile: cannot write the results there",
        "give a directory",
        args=("--out", "afile", "--no-preflight"),
        files={"afile": "not a folder"},
    ),
    Case(
        "default-out-blocked",
        HEAD + FLOW,
        "",
        "results/ (the default --out): cannot write the results there",
        "give a directory",
        args=("--no-preflight",),
        files={"results": "a file where the results directory goes"},
    ),
    # -- Python scenarios (docs/python-api.md; tests/unit/test_python_api.py has more) ---
    *[
        Case(
            f"python-{cid}",
            None,
            where,
            what,
            todo,
            command=("run", "s.py"),
            files={
                "s.py": "from agentload.scenario.python import Rate, scenario\n"
                'config = {"target": "http://127.0.0.1:9"}\n' + body
            },
            problems=problems,
        )
        for cid, body, where, what, todo, problems in (
            ("syntax", "load = {'vus': 1\n", "s.py:3: ", "Python syntax error", "fix the code", 1),
            ("import", "import no_such_module_zz\n", "s.py:3: ", "No module named", "pip", 1),
            (
                "raise-at-import",
                "raise RuntimeError('bad token=abc123')\n",
                "s.py:3: ",
                "RuntimeError: bad token=***",
                "fix the code at that line",
                1,
            ),
            (
                "bad-weight",
                "@scenario(weight=0)\nasync def a(ctx): pass\n",
                "s.py:3: ",
                "weight must be a whole number >= 1",
                "write e.g. weight=3",
                1,
            ),
            (
                "not-async",
                "@scenario\ndef a(ctx): pass\n",
                "s.py:3: ",
                "needs an 'async def' function",
                "write 'async def a(ctx)'",
                1,
            ),
            (
                "unknown-metric",
                "done = Rate('done')\nthresholds = {'don': ['rate>0.9']}\n"
                "@scenario\nasync def a(ctx): pass\n",
                "s.py:4: ",
                "unknown metric 'don'",
                "did you mean 'done'?",
                1,
            ),
            (
                "no-scenario",
                "x = 1\n",
                "s.py: ",
                "no scenario",
                "decorate an 'async def f(ctx)' function",
                1,
            ),
        )
    ],
    Case(
        "yaml-python-step-unknown-function",
        HEAD + "flow:\n  - python: helpers.py:record_phaze\n",
        "s.yaml:5: ",
        "helpers.py has no function 'record_phaze'",
        "did you mean 'record_phase'?",
        files={"helpers.py": "async def record_phase(ctx):\n    pass\n"},
    ),
    Case(
        "yaml-python-step-broken-module",
        HEAD + "flow:\n  - python: helpers.py:f\n",
        "s.yaml:5: ",
        "helpers.py:1: Python syntax error",
        "fix the code",
        files={"helpers.py": "async def f(ctx) pass\n"},
    ),
]

_TRAILER = re.compile(r"\d+ problems found; nothing was sent to the target\.")


def _prepare(case: Case, folder: Path, target: str) -> None:
    folder.mkdir()
    if isinstance(case.text, bytes):
        (folder / "s.yaml").write_bytes(case.text.replace(TARGET.encode(), target.encode()))
    elif case.text is not None:
        (folder / "s.yaml").write_text(case.text.replace(TARGET, target))
    for name, content in case.files.items():
        if name.endswith("/"):
            (folder / name).mkdir()
        else:
            (folder / name).write_text(content)


@dataclass(frozen=True)
class Outcome:
    result: CliResult
    folder: Path


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[dict[str, Outcome]]:
    """The selected cases' CLI runs, a few at once (each in its own folder)."""
    base = tmp_path_factory.mktemp("bad-input")
    selected = {
        item.callspec.params["case"].id
        for item in request.session.items
        if isinstance(item, pytest.Function)
        and item.originalname == "test_bad_input"
        and item.module is request.module
    }
    cases = [c for c in CASES if c.id in selected]
    with refusing_port() as port:
        target = f"http://127.0.0.1:{port}"
        for case in cases:
            _prepare(case, base / case.id, target)

        def run(case: Case) -> Outcome:
            folder = base / case.id
            return Outcome(run_cli(*case.argv(), cwd=folder, timeout=60), folder)

        workers = min(4, (os.cpu_count() or 2) + 1)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            yield dict(zip([c.id for c in cases], pool.map(run, cases), strict=True))


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(reason=case.bug, strict=True)] if case.bug else []
    return pytest.param(case, id=case.id, marks=marks)


def test_the_matrix_is_big_enough() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


# The first test waits for the whole batch (the module fixture), hence the timeout.
@pytest.mark.timeout(900)
@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input(case: Case, outcomes: dict[str, Outcome]) -> None:
    res = outcomes[case.id].result
    shown = f"exit {res.code}\nstderr:\n{res.stderr}\nstdout:\n{res.stdout}"
    assert res.code == 2, shown
    assert "Traceback" not in res.stderr + res.stdout, shown
    lines = res.stderr.strip().splitlines()
    if case.problems > 1:  # several problems end with one summary line
        assert _TRAILER.fullmatch(lines[-1]), shown
        lines = lines[:-1]
    assert len(lines) == case.problems, shown
    assert all(line.startswith("error: ") for line in lines), shown
    assert lines[0].startswith(f"error: {case.where}"), shown
    if re.match(r"s\.yaml:\d+: ", case.where):
        assert all(re.match(r"error: s\.yaml:\d+: ", line) for line in lines), shown
    assert case.what in lines[0], shown
    assert case.todo in lines[0], shown
    # Nothing ran: no results folder, no summary on stdout.
    results = outcomes[case.id].folder / "results"
    assert not results.exists() or ("results" in case.files and not results.is_dir())
    assert "verdict" not in res.stdout
