"""Splitting text into literals, environment values and run-time references."""

from __future__ import annotations

import pytest

from agentload.scenario import VarRef
from agentload.scenario._templates import is_var_name, split_text

ENV = {"HOST": "example.com", "EMPTY": "", "TRICKY": "a${b}c"}


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("", ()),
        ("plain", ("plain",)),
        ("${x}", (VarRef("x"),)),
        ("a${x}b${y.z}", ("a", VarRef("x"), "b", VarRef("y.z"))),
        ("${x}${y}", (VarRef("x"), VarRef("y"))),
        ("https://${env.HOST}/p", ("https://example.com/p",)),
        ("${env.EMPTY}", ()),
        ("${env.NOPE:-fallback}", ("fallback",)),
        ("${env.HOST:-fallback}", ("example.com",)),
        ("${env.NOPE:-}", ()),
        ("$${x} and $${env.HOST}", ("${x} and ${env.HOST}",)),
        ("cost: $5 $$ {x}", ("cost: $5 $$ {x}",)),
        ("${env.TRICKY}", ("a${b}c",)),
        # Scanning is left to right: "$" then the escape "$${", so no reference.
        ("$$${x}", ("$${x}",)),
    ],
)
def test_split(text: str, parts: tuple[object, ...]) -> None:
    result = split_text(text, ENV)
    assert result.parts == parts
    assert result.problems == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("${env.NOPE}", "environment variable NOPE is not set"),
        ("${env.}", "'${env.}' is not a valid environment reference"),
        ("${env}", "'${env}' is not a valid environment reference"),
        ("${1x}", "'${1x}' is not a valid variable reference"),
        ("${a b}", "'${a b}' is not a valid variable reference"),
        ("${a.}", "'${a.}' is not a valid variable reference"),
        ("/a/${x", "'${' without a closing '}'"),
    ],
)
def test_split_problems(text: str, problem: str) -> None:
    problems = split_text(text, ENV).problems
    assert len(problems) == 1
    assert problems[0].startswith(problem)


def test_used_env_is_reported() -> None:
    assert split_text("${env.HOST}", ENV).used_env
    assert not split_text("${x}", ENV).used_env


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("x", True),
        ("_a1", True),
        ("user.id", True),
        ("1a", False),
        ("a-b", False),
        ("env", False),
        ("env.X", False),
        ("", False),
    ],
)
def test_var_names(name: str, ok: bool) -> None:
    assert is_var_name(name) is ok
