"""Valid scenario files load into exactly the expected model."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentload.profiles.model import ClosedModel, OpenModel, Stage
from agentload.scenario import (
    BodyContainsCheck,
    Capture,
    CaptureSource,
    FormBody,
    HeaderCheck,
    JsonBody,
    JsonCheck,
    JsonObject,
    MultipartBody,
    MultipartField,
    RawBody,
    RequestStep,
    RunConfig,
    Scenario,
    ScenarioFile,
    StatusCheck,
    Template,
    ThinkKind,
    ThinkStep,
    ThinkTime,
    ThresholdSpec,
    Timeouts,
    VarRef,
    load_scenario,
    load_scenario_text,
)

DATA = Path(__file__).parent / "data"
ENV = {"TENANT_ID": "t-42", "API_TOKEN": "secret"}


def lit(text: str) -> Template:
    return Template.literal(text)


def load(text: str, env: dict[str, str] | None = None, **overrides: str) -> ScenarioFile:
    return load_scenario_text(
        text, filename="s.yaml", env=env or {}, base_dir=DATA, overrides=overrides
    )


def test_rich_file_round_trips_into_the_exact_model() -> None:
    path = DATA / "chat.yaml"
    got = load_scenario(path, env=ENV)
    limits = Timeouts(connect=5.0, read=30.0, total=60.0)
    send = RequestStep(
        name="send message",
        method="POST",
        url=Template(
            ("/api/chat/messages?tenant=", VarRef("tenant")),
            "/api/chat/messages?tenant=${tenant}",
        ),
        headers=(("Authorization", Template(("Bearer secret",), "Bearer ${env.API_TOKEN}")),),
        query=(("page", lit("1")),),
        body=JsonBody(
            JsonObject(
                (
                    ("message", lit("hello")),
                    ("conversation_id", Template((VarRef("conv_id"),), "${conv_id}")),
                    ("count", Template((VarRef("n"),), "${n}")),
                    ("tags", (lit("a"), 2, True, None)),
                )
            )
        ),
        checks=(
            StatusCheck((200, 201)),
            JsonCheck("$.status", "ok"),
            JsonCheck("$.id", exists_only=True),
            BodyContainsCheck("reply"),
            HeaderCheck("content-type", "application/json"),
        ),
        captures=(
            Capture(CaptureSource.JSON, "$.conversation_id", "conv_id"),
            Capture(CaptureSource.REGEX, r"id=(\d+)", "id"),
            Capture(CaptureSource.HEADER, "X-Request-Id", "rid"),
        ),
        timeouts=Timeouts(connect=5.0, read=30.0, total=5.0),
        think=ThinkTime(ThinkKind.UNIFORM, 1.0, 3.0),
        line=14,
    )
    expected = ScenarioFile(
        path=str(path),
        config=RunConfig(
            target="http://127.0.0.1:8080",
            headers=(("X-Tenant", Template(("t-42",), "${env.TENANT_ID}")),),
            variables={"tenant": "tenant_001", "n": 3},
            timeouts=limits,
        ),
        load=ClosedModel(stages=(Stage(30.0, 10.0),), start_vus=10),
        scenarios=(
            Scenario(
                name="chat",
                weight=3,
                line=11,
                steps=(
                    send,
                    RequestStep(name="GET /health", method="GET", url=lit("/health"), line=35),
                    RequestStep(
                        name="schedule",
                        method="POST",
                        url=lit("/api/calls/schedule"),
                        body=JsonBody(JsonObject((("phone", lit("+15550100")),))),
                        checks=(StatusCheck((202,)),),
                        line=36,
                    ),
                    ThinkStep(ThinkTime(ThinkKind.CONSTANT, 0.5), line=37),
                ),
            ),
            Scenario(
                name="probe",
                line=38,
                steps=(
                    RequestStep(
                        name="health",
                        method="GET",
                        url=lit("/health"),
                        checks=(StatusCheck((200,)),),
                        think=ThinkTime(ThinkKind.NORMAL, 2.0, 0.5),
                        line=40,
                    ),
                ),
            ),
        ),
        thresholds=(
            ThresholdSpec("http_req_duration", "p(95)<300", line=45),
            ThresholdSpec("http_req_duration", "p(99)<500", line=45),
            ThresholdSpec("http_req_duration{name:send message}", "p(95)<400", line=46),
            ThresholdSpec("http_req_failed", "rate<0.01", line=48),
            ThresholdSpec(
                "http_req_failed", "rate<0.05", abort_on_fail=True, delay_abort_eval=10.0, line=49
            ),
        ),
    )
    assert got == expected


def test_open_model_example() -> None:
    got = load_scenario(DATA / "open_model.yaml", env={})
    assert got.config.target == "http://127.0.0.1:8080"
    assert got.config.timeouts == Timeouts(connect=10.0, read=60.0, total=10.0)
    assert got.load == OpenModel(
        stages=(Stage(30.0, 100.0), Stage(60.0, 100.0), Stage(10.0, 0.0)),
        start_rate=10.0,
        pre_allocated_vus=20,
        max_vus=200,
        poisson=True,
        seed=42,
    )
    assert [s.name for s in got.scenarios] == ["default"]
    assert got.scenarios[0].steps[0] == RequestStep(
        name="GET /api/analytics/kpi",
        method="GET",
        url=lit("/api/analytics/kpi"),
        checks=(StatusCheck((200,)),),
        line=16,
    )


def test_upload_example_reads_the_file_next_to_the_scenario() -> None:
    got = load_scenario(DATA / "upload.yaml", env={})
    assert got.load == ClosedModel(
        stages=(Stage(10.0, 5.0), Stage(20.0, 5.0)), start_vus=1, graceful_ramp_down=5.0
    )
    upload, status = got.scenarios[0].steps
    assert isinstance(upload, RequestStep)
    assert upload.body == MultipartBody(
        (
            MultipartField(
                "file",
                file_content=(DATA / "contacts.csv").read_bytes(),
                filename="contacts.csv",
                content_type="text/csv",
            ),
            MultipartField("note", value=lit("weekly import")),
        )
    )
    assert isinstance(status, RequestStep)
    assert status.url == Template(("/api/jobs/", VarRef("job")), "/api/jobs/${job}")


# -- shorthands -----------------------------------------------------------------

TARGET = "config: {target: http://h}\n"


@pytest.mark.parametrize("verb", ["get", "post", "put", "patch", "delete", "head"])
def test_every_verb_shorthand(verb: str) -> None:
    got = load(TARGET + f"flow:\n  - {verb}: /x\n  - {verb}: {{url: /y, name: why}}\n")
    first, second = got.scenarios[0].steps
    assert first == RequestStep(
        name=f"{verb.upper()} /x", method=verb.upper(), url=lit("/x"), line=3
    )
    assert second == RequestStep(name="why", method=verb.upper(), url=lit("/y"), line=4)


def test_shorthand_with_sibling_fields() -> None:
    got = load(
        TARGET + "flow:\n  - post: /x\n    form: {a: b, ids: [1, 2]}\n    think: 1s\n"
        "    timeout: {read: 2s}\n"
    )
    step = got.scenarios[0].steps[0]
    assert step == RequestStep(
        name="POST /x",
        method="POST",
        url=lit("/x"),
        body=FormBody((("a", lit("b")), ("ids", lit("1")), ("ids", lit("2")))),
        timeouts=Timeouts(connect=10.0, read=2.0, total=None),
        think=ThinkTime(ThinkKind.CONSTANT, 1.0),
        line=3,
    )


def test_raw_body_absolute_url_and_options_method() -> None:
    got = load(
        "flow:\n  - request: {method: options, url: 'https://api.example.com/v1', body: 'x=${v}'}\n"
        "config: {target: http://h, variables: {v: 1}}\n"
    )
    step = got.scenarios[0].steps[0]
    assert isinstance(step, RequestStep)
    assert step.method == "OPTIONS"
    assert step.body == RawBody(Template(("x=", VarRef("v")), "x=${v}"))
    assert step.url == lit("https://api.example.com/v1")


def test_think_forms() -> None:
    got = load(
        TARGET + "flow:\n  - get: /\n  - think: 2\n  - think: {constant: 250ms}\n"
        "  - think: {uniform: [1s, 1s]}\n  - think: {normal: {mean: 1s, stddev: 0s}}\n"
    )
    thinks = [s.think for s in got.scenarios[0].steps[1:]]
    assert thinks == [
        ThinkTime(ThinkKind.CONSTANT, 2.0),
        ThinkTime(ThinkKind.CONSTANT, 0.25),
        ThinkTime(ThinkKind.UNIFORM, 1.0, 1.0),
        ThinkTime(ThinkKind.NORMAL, 1.0, 0.0),
    ]


def test_single_capture_mapping_and_header_exists_check() -> None:
    got = load(
        TARGET + "flow:\n  - get: /a\n    capture: {json: $.id, as: id}\n"
        "    expect: {headers: {X-Trace: }, body_contains: [a, 1]}\n  - get: /b/${id}\n"
    )
    step = got.scenarios[0].steps[0]
    assert isinstance(step, RequestStep)
    assert step.captures == (Capture(CaptureSource.JSON, "$.id", "id"),)
    assert step.checks == (
        HeaderCheck("X-Trace"),
        BodyContainsCheck("a"),
        BodyContainsCheck("1"),
    )


def test_merge_keys_apply_defaults() -> None:
    text = (
        TARGET + "flow:\n  - post:\n      <<: &common {expect: {status: 201}, name: base}\n"
        "      url: /a\n      name: own\n"
    )
    step = load(text).scenarios[0].steps[0]
    assert isinstance(step, RequestStep)
    assert (step.name, step.checks) == ("own", (StatusCheck((201,)),))


# -- environment and templates ---------------------------------------------------


def test_env_values_defaults_and_escapes() -> None:
    got = load(
        'config:\n  target: "${env.T:-http://fallback:9}"\n'
        '  headers: {A: "${env.A}", B: "$${env.A} costs $$5 and ${env.EMPTY:-}"}\n'
        "flow: [{get: /x}]\n",
        env={"A": "a-value"},
    )
    assert got.config.target == "http://fallback:9"
    assert got.config.headers == (
        ("A", Template(("a-value",), "${env.A}")),
        ("B", Template(("${env.A} costs $$5 and ",), "$${env.A} costs $$5 and ${env.EMPTY:-}")),
    )


def test_env_value_is_literal_even_if_it_looks_like_a_reference() -> None:
    got = load(TARGET + 'flow:\n  - post: {url: /x, body: "${env.RAW}"}\n', env={"RAW": "${x}"})
    step = got.scenarios[0].steps[0]
    assert isinstance(step, RequestStep)
    assert step.body == RawBody(Template(("${x}",), "${env.RAW}"))


def test_unquoted_env_values_are_typed_after_substitution() -> None:
    text = TARGET + "load:\n  vus: ${env.VUS:-4}\n  duration: ${env.D}\nflow: [{get: /a}]\n"
    got = load(text, env={"D": "1m"})
    assert got.load == ClosedModel(stages=(Stage(60.0, 4.0),), start_vus=4)


def test_whole_json_string_reference_stays_one_varref() -> None:
    got = load(
        "config:\n  target: http://h\n  variables: {items: [1, 2]}\n"
        "flow:\n  - post: {url: /a, json: {items: '${items}', label: 'n=${items}'}}\n"
    )
    step = got.scenarios[0].steps[0]
    assert isinstance(step, RequestStep)
    assert step.body == JsonBody(
        JsonObject(
            (
                ("items", Template((VarRef("items"),), "${items}")),
                ("label", Template(("n=", VarRef("items")), "n=${items}")),
            )
        )
    )

    assert got.config.variables == {"items": [1, 2]}


def test_empty_object_and_empty_array_stay_distinct() -> None:
    got = load("config: {target: http://h}\nflow:\n  - post: {url: /a, json: {o: {}, a: []}}\n")
    step = got.scenarios[0].steps[0]
    assert isinstance(step, RequestStep)
    assert step.body == JsonBody(JsonObject((("o", JsonObject(())), ("a", ()))))


def test_config_timeout_shorthand_and_request_timeout_inherits() -> None:
    got = load(
        "config: {target: http://h, timeout: 30s}\n"
        "flow:\n  - get: /a\n    timeout: {connect: 1s, total: }\n"
    )
    assert got.config.timeouts == Timeouts(connect=10.0, read=60.0, total=30.0)
    step = got.scenarios[0].steps[0]
    assert isinstance(step, RequestStep)
    assert step.timeouts == Timeouts(connect=1.0, read=60.0, total=None)


def test_target_trailing_slash_is_dropped() -> None:
    assert load("config: {target: 'http://h:1/api/'}\nflow: [{get: /a}]\n").config.target == (
        "http://h:1/api"
    )


# -- load shapes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("load_text", "expected"),
    [
        ("", ClosedModel(stages=(Stage(10.0, 1.0),), start_vus=1)),
        ("load: {duration: 20s}\n", ClosedModel(stages=(Stage(20.0, 1.0),), start_vus=1)),
        (
            "load: {vus: 3, duration: 1m, graceful_stop: 5s}\n",
            ClosedModel(stages=(Stage(60.0, 3.0),), start_vus=3, graceful_stop=5.0),
        ),
        (
            "load: {stages: [{duration: 5s, target: 2}, {duration: 0, target: 4}], start_vus: 1}\n",
            ClosedModel(stages=(Stage(5.0, 2.0), Stage(0.0, 4.0)), start_vus=1),
        ),
        (
            "load: {rate: 50/s, duration: 10s, max_vus: 5, max_queue: 0}\n",
            OpenModel(
                stages=(Stage(10.0, 50.0),),
                start_rate=50.0,
                max_vus=5,
                pre_allocated_vus=5,
                max_queue=0,
            ),
        ),
        (
            "load: {rate: 600/m, duration: 1s}\n",
            OpenModel(stages=(Stage(1.0, 10.0),), start_rate=10.0),
        ),
        (
            "load: {rate_stages: [{duration: 1m, target: 2.5}], graceful_stop: 0s}\n",
            OpenModel(stages=(Stage(60.0, 2.5),), graceful_stop=0.0),
        ),
    ],
)
def test_load_shapes(load_text: str, expected: object) -> None:
    assert load(TARGET + load_text + "flow: [{get: /a}]\n").load == expected
