"""Bad input: one ``file:line: what was wrong; what to do`` line per problem, all of them."""

# The expected messages are the user interface under test; they stay whole, one per line.
# ruff: noqa: E501

from __future__ import annotations

from pathlib import Path

import pytest

from agentload.errors import ExitCode, ScenarioError
from agentload.scenario import load_scenario, load_scenario_text

T = "config: {target: http://h}\n"


def issues(text: str, **overrides: str) -> list[str]:
    """The issue lines for ``text``, which must fail to load."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(
            text, filename="bad.yaml", env={}, base_dir=Path("scen"), overrides=overrides
        )
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    return [str(issue) for issue in caught.value.issues]


MATRIX = [
    pytest.param(
        "config: {target: http://h\nflow: [{get: /a}]\n",
        [
            "bad.yaml:2: YAML syntax error: expected ',' or '}', but got ':' (while parsing a flow mapping started at line 1); check the indentation and quoting around this line"
        ],
        id="yaml_syntax",
    ),
    pytest.param(
        T + "flow:\n\t- get: /a\n",
        [
            "bad.yaml:3: YAML syntax error: a tab character; YAML indentation must use spaces, not tabs"
        ],
        id="tab_indent",
    ),
    pytest.param(
        "config: {target: ${env.T}}\nflow: [{get: /a}]\n",
        [
            "bad.yaml:1: YAML syntax error: expected ',' or '}', but got '{' (while parsing a flow mapping started at line 1); quote values that contain ${…}, e.g. \"${env.TOKEN}\""
        ],
        id="unquoted_env_in_flow_mapping",
    ),
    pytest.param(
        T + "flow: [{get: /a}]\n---\nflow: []\n",
        [
            "bad.yaml:3: YAML syntax error: more than one YAML document ('---'); keep one scenario per file"
        ],
        id="multiple_documents",
    ),
    pytest.param(
        "",
        [
            "bad.yaml: the file is empty; write at least a 'scenarios:' list or a 'flow:' (see docs/scenario-format.md)"
        ],
        id="empty_file",
    ),
    pytest.param(
        "# nothing yet\n",
        [
            "bad.yaml: the file is empty; write at least a 'scenarios:' list or a 'flow:' (see docs/scenario-format.md)"
        ],
        id="comment_only_file",
    ),
    pytest.param(
        "- get: /a\n",
        [
            "bad.yaml:1: expected a mapping with config, load, scenarios and thresholds, found a list; see docs/scenario-format.md for the format"
        ],
        id="top_level_list",
    ),
    pytest.param(
        T,
        [
            "bad.yaml:1: missing scenarios; add 'scenarios:' (a list of {name, flow}) or a top-level 'flow:' with the steps"
        ],
        id="missing_scenarios",
    ),
    pytest.param(
        T + "scenario:\n  - name: a\n    flow: [{get: /a}]\n",
        ["bad.yaml:2: unknown key 'scenario'; did you mean 'scenarios'?"],
        id="unknown_top_key",
    ),
    pytest.param(
        T + "flow:\n  - request:\n      method: GET\n      url: /a\n      expct: {status: 200}\n",
        ["bad.yaml:6: flow[0].request: unknown key 'expct'; did you mean 'expect'?"],
        id="unknown_request_key",
    ),
    pytest.param(
        T + "flow:\n  - request: {metod: GET, url: /a}\n",
        ["bad.yaml:3: flow[0].request: unknown key 'metod'; did you mean 'method'?"],
        id="misspelled_required_key",
    ),
    pytest.param(
        T + "flow:\n  - get: /a\n    name: one\n    name: two\n",
        ["bad.yaml:5: duplicate key 'name' (first at line 4); keep only one"],
        id="duplicate_keys",
    ),
    pytest.param(
        T + "load: {vus: ten, duration: 10s}\nflow: [{get: /a}]\n",
        [
            "bad.yaml:2: load.vus: expected a VU count, found the text 'ten'; see docs/scenario-format.md for the format"
        ],
        id="wrong_type_vus",
    ),
    pytest.param(
        T + "flow:\n  - get: /a\n    headers: [Accept, text/plain]\n",
        [
            "bad.yaml:4: flow[0].headers: expected a mapping of names to values, found a list; see docs/scenario-format.md for the format"
        ],
        id="wrong_type_headers",
    ),
    pytest.param(
        T + "flow:\n  - get: /a\n    expect: {status: '200'}\n",
        [
            "bad.yaml:4: flow[0].expect.status: expected an HTTP status code such as 200, found the text '200'; write it as a plain number without quotes, e.g. 200"
        ],
        id="quoted_status",
    ),
    pytest.param(
        T + "flow:\n  - get: /a\n    expect: {status: [200, 99, 600]}\n",
        [
            "bad.yaml:4: flow[0].expect.status: 99 is not an HTTP status; use a code from 100 to 599",
            "bad.yaml:4: flow[0].expect.status: 600 is not an HTTP status; use a code from 100 to 599",
        ],
        id="status_out_of_range",
    ),
    pytest.param(
        "config: {target: '127.0.0.1:8080'}\nflow: [{get: /a}]\n",
        [
            "bad.yaml:1: config.target: must be an http:// or https:// URL, e.g. http://127.0.0.1:8080; found '127.0.0.1:8080'"
        ],
        id="bad_target",
    ),
    pytest.param(
        "flow:\n  - get: /a\n  - get: http://h/b\n",
        [
            "bad.yaml:1: config.target: missing; set it (e.g. target: http://127.0.0.1:8080) or pass --target"
        ],
        id="missing_target",
    ),
    pytest.param(
        T + "flow:\n  - get: api/chat\n",
        [
            "bad.yaml:3: flow[0].get: 'api/chat' is neither a path nor a URL; relative URLs start with / (e.g. '/api/chat'), absolute ones with http:// or https://"
        ],
        id="url_not_a_path",
    ),
    pytest.param(
        T + "flow:\n  - get: ws://h/socket\n",
        ["bad.yaml:3: flow[0].get: 'ws://' URLs are not supported; use http:// or https://"],
        id="unsupported_scheme",
    ),
    pytest.param(
        T + "load: {vus: 1, duration: 3 sec}\nflow: [{get: /a}]\n",
        [
            "bad.yaml:2: load.duration: expected a duration such as 30s, 1m30s, 500ms or 2h, got '3 sec'; the units are us, ms, s, m, h and d, with no spaces (1m30s)"
        ],
        id="bad_duration",
    ),
    pytest.param(
        T + "flow:\n  - get: /a\n  - think: -1s\n",
        [
            "bad.yaml:4: flow[1].think: a duration cannot be negative, got '-1s'; use a positive duration such as 30s"
        ],
        id="negative_think",
    ),
    pytest.param(
        T + "load: {vus: 2, duration: 0s}\nflow: [{get: /a}]\n",
        ["bad.yaml:2: load.duration: must be greater than 0, found 0; use a positive value"],
        id="zero_load_duration",
    ),
    pytest.param(
        T + "load:\n  stages: [{duration: 10s, target: 2}]\n  duration: 1m\nflow: [{get: /a}]\n",
        [
            "bad.yaml:4: load.duration: does not apply to stages (each has its own duration); remove it"
        ],
        id="stages_with_duration",
    ),
    pytest.param(
        T + "load:\n  vus: 10\n  rate: 50\n  duration: 30s\nflow: [{get: /a}]\n",
        [
            "bad.yaml:4: load: vus and rate cannot be used together; keep one of vus, stages, rate or rate_stages"
        ],
        id="vus_and_rate",
    ),
    pytest.param(
        T + "load: {vus: 2, duration: 5s, max_vus: 10}\nflow: [{get: /a}]\n",
        ["bad.yaml:2: load.max_vus: only applies to rate and rate_stages loads; remove it"],
        id="open_option_on_closed_load",
    ),
    pytest.param(
        T + "flow:\n  - get: /a\n    capture:\n      - regex: 'id=(\\d+'\n        as: id\n",
        [
            "bad.yaml:5: flow[0].capture[0].regex: bad regular expression 'id=(\\\\d+': missing ), unterminated subpattern at position 3; fix it (group 1 is captured)"
        ],
        id="bad_regex",
    ),
    pytest.param(
        T + "flow:\n  - get: /a\n    expect:\n      json: {'$.items[': 1}\n",
        [
            "bad.yaml:5: flow[0].expect.json: bad JSONPath '$.items[': unexpected end of query; write e.g. $.data[0].id"
        ],
        id="bad_jsonpath",
    ),
    pytest.param(
        T + "flow:\n  - get: /a\n  - think: {gaussian: {mean: 1s}}\n",
        [
            "bad.yaml:4: flow[1].think: unknown think kind 'gaussian'; use constant, uniform or normal"
        ],
        id="unknown_think_kind",
    ),
    pytest.param(
        T + "flow:\n  - think: {uniform: [1s]}\n  - get: /a\n",
        ["bad.yaml:3: flow[0].think.uniform: expected 2 durations [min, max], found 1"],
        id="uniform_needs_two",
    ),
    pytest.param(
        T + "flow: []\n",
        ["bad.yaml:2: flow: the flow is empty; add at least one request"],
        id="empty_flow",
    ),
    pytest.param(
        T + "scenarios: []\n",
        ["bad.yaml:2: scenarios: the list is empty; add a scenario with a name and flow"],
        id="empty_scenarios",
    ),
    pytest.param(
        T + "scenarios:\n  chat:\n    flow: [{get: /a}]\n",
        [
            "bad.yaml:3: scenarios: expected a list of scenarios (- name: …, flow: …), found a mapping; see docs/scenario-format.md for the format"
        ],
        id="scenarios_as_mapping",
    ),
    pytest.param(
        T + "flow: [{get: /a}]\nscenarios:\n  - {name: a, flow: [{get: /a}]}\n",
        [
            "bad.yaml:2: flow: a top-level flow cannot be used with scenarios; move it into a scenario"
        ],
        id="flow_and_scenarios",
    ),
    pytest.param(
        T
        + "flow:\n  - post:\n      url: /a\n      json: {id: '${conv_ld}'}\n      capture: [{json: $.id, as: conv_id}]\n",
        [
            "bad.yaml:5: flow[0].post.json.id: variable ${conv_ld} is not defined; did you mean ${conv_id}?"
        ],
        id="undefined_variable",
    ),
    pytest.param(
        T + "flow:\n  - get: /users/${user}\n",
        [
            "bad.yaml:3: flow[0].get: variable ${user} is not defined; set it in config.variables or capture it in scenario 'default'"
        ],
        id="undefined_variable_no_guess",
    ),
    pytest.param(
        T + "flow:\n  - get: /a\n    headers: {Authorization: 'Bearer ${env.API_TOKEN}'}\n",
        [
            "bad.yaml:4: flow[0].headers.Authorization: environment variable API_TOKEN is not set; pass -e API_TOKEN=value or give a default: ${env.API_TOKEN:-default}"
        ],
        id="missing_env",
    ),
    pytest.param(
        T + "flow:\n  - get: /a/${user id}\n",
        [
            "bad.yaml:3: flow[0].get: '${user id}' is not a valid variable reference; use ${name} with letters, digits, '_' and '.', ${env.NAME} for the environment, or write '$${' for a literal '${'"
        ],
        id="bad_reference",
    ),
    pytest.param(
        T + "flow:\n  - get: /a/${user\n",
        [
            "bad.yaml:3: flow[0].get: '${' without a closing '}' in '/a/${user'; close the reference or write '$${' for a literal '${'"
        ],
        id="unclosed_reference",
    ),
    pytest.param(
        T + "flow:\n  - post:\n      url: /import\n      multipart: {file: {path: missing.csv}}\n",
        [
            "bad.yaml:5: flow[0].post.multipart.file.path: cannot read 'missing.csv' (scen/missing.csv): No such file or directory; paths are relative to the scenario file's folder"
        ],
        id="missing_multipart_file",
    ),
    pytest.param(
        T
        + "scenarios:\n  - {name: chat, flow: [{get: /a}]}\n  - {name: chat, flow: [{get: /b}]}\n",
        [
            "bad.yaml:4: scenarios[1].name: scenario name 'chat' is used twice (first at line 3); give each scenario its own name"
        ],
        id="duplicate_scenario_names",
    ),
    pytest.param(
        T + "scenarios:\n  - name: a\n    weight: 0\n    flow: [{get: /a}]\n",
        ["bad.yaml:4: scenarios[0].weight: must be at least 1, found 0; use 1 or more"],
        id="weight_zero",
    ),
    pytest.param(
        T + "scenarios:\n  - name: a\n    weight: -2\n    flow: [{get: /a}]\n",
        ["bad.yaml:4: scenarios[0].weight: must be at least 1, found -2; use 1 or more"],
        id="weight_negative",
    ),
    pytest.param(
        T + "flow:\n  - request: {method: FETCH, url: /a}\n",
        ["bad.yaml:3: flow[0].request.method: unknown HTTP method 'FETCH'; did you mean PATCH?"],
        id="unknown_method",
    ),
    pytest.param(
        T + "flow:\n  - get: /a\n    post: /b\n",
        [
            "bad.yaml:4: flow[0]: one step cannot be both 'get' and 'post'; start a new step with '- '"
        ],
        id="two_kinds_in_one_step",
    ),
    pytest.param(
        T + "flow:\n  - reqest: {method: GET, url: /a}\n",
        ["bad.yaml:3: flow[0]: unknown step 'reqest'; did you mean 'request'?"],
        id="unknown_step",
    ),
    pytest.param(
        T + "flow:\n  - post: {url: /a, json: {a: 1}, form: {b: 2}}\n",
        ["bad.yaml:3: flow[0].post: json and form both set the body; keep one"],
        id="json_and_body",
    ),
    pytest.param(
        T + "flow:\n  - get: /a\n    headers: {X-Debug: yes}\n",
        [
            'bad.yaml:4: flow[0].headers.X-Debug: expected text, found the boolean true; quote it ("yes") if you mean the text'
        ],
        id="boolean_header",
    ),
    pytest.param(
        T + "flow:\n  - get: /a\n    capture: [{json: $.id}]\n",
        ["bad.yaml:4: flow[0].capture[0]: missing 'as'; name the variable, e.g. as: conv_id"],
        id="capture_without_as",
    ),
    pytest.param(
        "config:\n  target: http://h\n  variables: {1st: a}\nflow: [{get: /a}]\n",
        [
            "bad.yaml:3: config.variables: '1st' is not a valid variable name; use letters, digits, '_' and '.', starting with a letter or '_' (and not 'env')"
        ],
        id="bad_variable_name",
    ),
    pytest.param(
        T + "load: {rate: 5, duration: 5s, max_vus: 2, pre_allocated_vus: 3}\nflow: [{get: /a}]\n",
        [
            "bad.yaml:2: load.pre_allocated_vus: 3 is more than max_vus (2); lower it or raise max_vus"
        ],
        id="pre_allocated_over_max",
    ),
    pytest.param(
        T + "flow:\n  - get: !secret /a\n",
        [
            "bad.yaml:3: unsupported YAML tag !secret; remove the tag (quote the value if it should be text)"
        ],
        id="unsupported_tag",
    ),
]


@pytest.mark.parametrize(("text", "expected"), MATRIX)
def test_bad_input_matrix(text: str, expected: list[str]) -> None:
    assert issues(text) == expected


# Nine aliases of nine aliases …: a billion values if expanded naively.
BOMB = "a: &a [1,2,3,4,5,6,7,8,9]\n" + "".join(
    f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdef", "bcdefg", strict=True)
)

MORE = [
    pytest.param(
        BOMB,
        [
            "bad.yaml:1: the document expands to more than 200000 values (aliases?); write a smaller file"
        ],
        id="alias_bomb",
    ),
    pytest.param(
        T + "flow: &f [*f]\n",
        ["bad.yaml:2: an alias refers to a value that contains it; remove the recursive alias"],
        id="recursive_alias",
    ),
    pytest.param(
        T + "flow: " + "[" * 120 + "]" * 120 + "\n",
        ["bad.yaml:2: values are nested more than 100 levels deep; flatten the structure"],
        id="too_deep",
    ),
    pytest.param(
        T + "flow:\n  - post:\n      <<: [1]\n      url: /a\n",
        ["bad.yaml:4: '<<' merges mappings only; refer to a mapping (<<: *defaults)"],
        id="merge_non_mapping",
    ),
    pytest.param(
        T + "flow:\n  - post: {url: /a, multipart: {f: {path: /dev/null}}}\n",
        [
            "bad.yaml:3: flow[0].post.multipart.f.path: cannot read '/dev/null': not a regular file; check the path"
        ],
        id="device_file",
    ),
    pytest.param(
        T + "flow:\n  - post: {url: /a, json: {v: .nan}}\n",
        ["bad.yaml:3: flow[0].post.json.v: nan is not valid JSON; write a finite number"],
        id="nan_in_json",
    ),
    pytest.param(
        T + "load: {vus: " + "9" * 5000 + ", duration: 1s}\nflow: [{get: /a}]\n",
        [
            "bad.yaml:2: load.vus: '999999999999999999999999999999999999999…' is not a valid int; fix the value or remove the tag"
        ],
        id="huge_int",
    ),
    pytest.param(
        T + "load: {rate: 5}\nflow: [{get: /a}]\n",
        ["bad.yaml:2: load: 'rate' needs a duration; add e.g. duration: 30s"],
        id="no_duration_for_rate",
    ),
    pytest.param(
        T + "load: {stages: [{duration: 5s, target: 0}]}\nflow: [{get: /a}]\n",
        ["bad.yaml:2: load: every stage targets 0 VUs; give a stage a target"],
        id="all_stages_zero",
    ),
    pytest.param(
        T + "flow:\n  - get: /a\n    timeout: 0s\n",
        ["bad.yaml:4: flow[0].timeout: must be greater than 0, found 0; use a positive value"],
        id="timeout_zero",
    ),
    pytest.param(
        T + "flow:\n  - think: {uniform: [1s, 2s], normal: {mean: 1s, stddev: 1s}}\n",
        ["bad.yaml:3: flow[0].think: give exactly one of constant, uniform or normal"],
        id="think_two_kinds",
    ),
    pytest.param(
        T + "flow:\n  - get: /a\n    capture: [{json: $.a, regex: a, as: x}]\n",
        [
            "bad.yaml:4: flow[0].capture[0]: give exactly one of json, regex or header (json and regex given)"
        ],
        id="capture_two_sources",
    ),
    pytest.param(
        T + "flow:\n  - get: /a\n    expect: {json: {'$.a': {exists: false}}}\n",
        ["bad.yaml:4: flow[0].expect.json.$.a: exists: false is not supported; use exists: true"],
        id="exists_false",
    ),
    pytest.param(
        T + "flow:\n  - get: /a\n    expect: {headers: {'bad name': x}}\n",
        ["bad.yaml:4: flow[0].expect.headers: 'bad name' is not a valid header name; fix the name"],
        id="bad_header_name_in_check",
    ),
    pytest.param(
        T + "flow:\n  - post: {url: /a, method: PUT}\n",
        ["bad.yaml:3: flow[0].post: the method is already POST; remove 'method'"],
        id="method_in_shorthand",
    ),
    pytest.param(
        T + "flow:\n  - request: {method: GET, url: /a}\n    expect: {status: 200}\n",
        [
            "bad.yaml:4: flow[0]: 'expect' must go inside the request mapping, or start a new step with '- '"
        ],
        id="field_outside_request",
    ),
    pytest.param(
        T + 'flow:\n  - get: /a\n    headers: {X-A: "a\\nb"}\n',
        ["bad.yaml:4: flow[0].headers.X-A: a header value cannot span lines; keep it on one line"],
        id="header_value_newline",
    ),
    pytest.param(
        T + "flow:\n  - get: /a/${env.1X}\n",
        [
            "bad.yaml:3: flow[0].get: '${env.1X}' is not a valid environment reference; write ${env.NAME} or ${env.NAME:-default}"
        ],
        id="env_reference_malformed",
    ),
]


@pytest.mark.parametrize(("text", "expected"), MORE)
def test_more_bad_input(text: str, expected: list[str]) -> None:
    assert issues(text) == expected


MANY_PROBLEMS = """\
config:
  target: ftp://x
  headrs: {a: b}
  timeout: {connect: -5s, read: abc}
load:
  vus: 0
  duration: 30s
scenarios:
  - name: chat
    weight: 0
    flow:
      - request:
          metod: POST
          url: api/chat
          json: {a: "${convid}"}
          expect:
            status: 700
          capture:
            - regex: '(unclosed'
              as: conv_id
          think: {gaussian: 1s}
      - think: 2x
  - name: chat
    flow: []
  - name: other
    flow:
      - get: "${env.MISSING}/x"
      - reqest: {}
"""


def test_every_problem_in_a_file_is_reported_in_line_order() -> None:
    assert issues(MANY_PROBLEMS) == [
        "bad.yaml:2: config.target: must be an http:// or https:// URL, e.g. http://127.0.0.1:8080; found 'ftp://x'",
        "bad.yaml:3: config: unknown key 'headrs'; did you mean 'headers'?",
        "bad.yaml:4: config.timeout.connect: a duration cannot be negative, got '-5s'; use a positive duration such as 30s",
        "bad.yaml:4: config.timeout.read: expected a duration such as 30s, 1m30s, 500ms or 2h, got 'abc'; the units are us, ms, s, m, h and d, with no spaces (1m30s)",
        "bad.yaml:6: load.vus: must be at least 1, found 0; use 1 or more",
        "bad.yaml:10: scenarios[0].weight: must be at least 1, found 0; use 1 or more",
        "bad.yaml:13: scenarios[0].flow[0].request: unknown key 'metod'; did you mean 'method'?",
        "bad.yaml:14: scenarios[0].flow[0].request.url: 'api/chat' is neither a path nor a URL; relative URLs start with / (e.g. '/api/chat'), absolute ones with http:// or https://",
        "bad.yaml:15: scenarios[0].flow[0].request.json.a: variable ${convid} is not defined; did you mean ${conv_id}?",
        "bad.yaml:17: scenarios[0].flow[0].request.expect.status: 700 is not an HTTP status; use a code from 100 to 599",
        "bad.yaml:19: scenarios[0].flow[0].request.capture[0].regex: bad regular expression '(unclosed': missing ), unterminated subpattern at position 0; fix it (group 1 is captured)",
        "bad.yaml:21: scenarios[0].flow[0].request.think: unknown think kind 'gaussian'; use constant, uniform or normal",
        "bad.yaml:22: scenarios[0].flow[1].think: expected a duration such as 30s, 1m30s, 500ms or 2h, got '2x'; the units are us, ms, s, m, h and d, with no spaces (1m30s)",
        "bad.yaml:23: scenarios[1].name: scenario name 'chat' is used twice (first at line 9); give each scenario its own name",
        "bad.yaml:24: scenarios[1].flow: the flow is empty; add at least one request",
        "bad.yaml:27: scenarios[2].flow[0].get: environment variable MISSING is not set; pass -e MISSING=value or give a default: ${env.MISSING:-default}",
        "bad.yaml:28: scenarios[2].flow[1]: unknown step 'reqest'; did you mean 'request'?",
    ]


def test_bad_thresholds_are_reported_with_their_lines() -> None:
    text = (
        T + "flow: [{get: /a}]\nthresholds:\n"
        '  http_req_duration: ["p(95)<300", "p(95)<<300", "p95<1"]\n'
        '  checks: [{threshold: "rate>0.9", abort_on_fail: maybe}]\n'
        '  "http_req_duration{name": ["p(95)<300"]\n'
        '  http_req_failed: ["avg<1"]\n'
    )
    assert issues(text) == [
        "bad.yaml:4: thresholds.http_req_duration[1]: bad threshold 'p(95)<<300' at column 6: unknown operator '<<': use <, <=, >, >=, == or !=",
        "bad.yaml:4: thresholds.http_req_duration[2]: bad threshold 'p95<1' at column 1: unknown aggregation 'p95': write p(95)",
        "bad.yaml:5: thresholds.checks[0].abort_on_fail: expected true or false, found the text 'maybe'; see docs/scenario-format.md for the format",
        "bad.yaml:6: thresholds: bad metric selector 'http_req_duration{name' at column 23: expected ':' after tag 'name' (write name:value)",
        "bad.yaml:7: thresholds.http_req_failed[0]: bad threshold 'avg<1' at column 1: avg does not apply to rate metric 'http_req_failed': use rate",
    ]


def test_undefined_variable_in_default_headers_names_the_scenario() -> None:
    text = (
        "config:\n  target: http://h\n  headers: {Authorization: 'Bearer ${token}'}\n"
        "scenarios:\n"
        "  - {name: login, flow: [{post: {url: /login, capture: [{json: $.t, as: token}]}}]}\n"
        "  - {name: browse, flow: [{get: /a}]}\n"
    )
    assert issues(text) == [
        "bad.yaml:3: config.headers.Authorization: variable ${token} is not defined (not captured in scenario 'browse'); set it in config.variables"
    ]


def test_override_problems_have_no_line() -> None:
    text = T + "load: {stages: [{duration: 5s, target: 1}]}\nflow: [{get: /a}]\n"
    assert issues(text, duration="10s") == [
        "bad.yaml: --duration: cannot override stages; use --vus/--rate or edit the stages"
    ]
    assert issues(text, vus="0", rate="fast", target="localhost", color="red") == [
        "bad.yaml: override 'color': unknown; use target, vus, rate, duration, preset, scale, profile, only, health",
        "bad.yaml: --target: 'localhost' must be an http:// or https:// URL, e.g. http://127.0.0.1:8080",
        "bad.yaml: --vus: expected a whole number of at least 1, got '0'; e.g. --vus 10",
        "bad.yaml: --rate: expected a rate in iterations per second such as 50, or 50/s, 600/m, 3600/h (above 0), got 'fast'; e.g. --rate 50",
        "bad.yaml: --vus and --rate cannot be used together; pick one",
    ]


def test_unreadable_files_are_one_issue(tmp_path: Path) -> None:
    for path, expected in [
        (tmp_path / "nope.yaml", "cannot read the scenario file: No such file or directory"),
        (tmp_path, "cannot read the scenario file: Is a directory"),
    ]:
        with pytest.raises(ScenarioError) as caught:
            load_scenario(path, env={})
        assert [str(i) for i in caught.value.issues] == [f"{path}: {expected}; check the path"]


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"config: {target: http://h}\nflow:\n  - get: /caf\xe9\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, env={})
    assert [str(i) for i in caught.value.issues] == [
        f"{path}:3: the file is not UTF-8 text; save it as UTF-8"
    ]
