"""Scenario files: the frozen model and the YAML loader that builds it.

``load_scenario(path, env=…, overrides=…)`` reads a file and returns a
:class:`ScenarioFile`, or raises :class:`~agentload.errors.ScenarioError`
listing every problem as ``file:line: what was wrong; what to do``.
"""

from agentload.scenario.model import (
    BodyContainsCheck,
    Capture,
    CaptureSource,
    Check,
    FormBody,
    HeaderCheck,
    JsonBody,
    JsonCheck,
    JsonValue,
    MultipartBody,
    MultipartField,
    RawBody,
    RequestBody,
    RequestStep,
    RunConfig,
    Scenario,
    ScenarioFile,
    StatusCheck,
    Step,
    Template,
    ThinkKind,
    ThinkStep,
    ThinkTime,
    ThresholdSpec,
    Timeouts,
    VarRef,
)
from agentload.scenario.yaml import OVERRIDE_KEYS, load_scenario, load_scenario_text

__all__ = [
    "OVERRIDE_KEYS",
    "BodyContainsCheck",
    "Capture",
    "CaptureSource",
    "Check",
    "FormBody",
    "HeaderCheck",
    "JsonBody",
    "JsonCheck",
    "JsonValue",
    "MultipartBody",
    "MultipartField",
    "RawBody",
    "RequestBody",
    "RequestStep",
    "RunConfig",
    "Scenario",
    "ScenarioFile",
    "StatusCheck",
    "Step",
    "Template",
    "ThinkKind",
    "ThinkStep",
    "ThinkTime",
    "ThresholdSpec",
    "Timeouts",
    "VarRef",
    "load_scenario",
    "load_scenario_text",
]
