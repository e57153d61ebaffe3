"""Plans as JSON-able dicts: for ``agentload inspect --json`` and for shipping to workers.

The layout (``version`` 1)::

    {"version": 1,
     "model": {"kind": "closed" | "open", "stages": [{"duration": s, "target": x}, …],
               <every other model field by name>},
     "weights": [[name, weight], …],
     "segment": {"index": i, "count": n},
     "groups": [{"model": {…}, "weights": […]}, …],   # only with load groups
     "summary": {…}}          # derived figures for readers; ignored when decoding

``groups`` holds the load groups after the first (:attr:`Plan.extra`); a
single-load plan has no ``groups`` key, so its layout is unchanged.

Model fields are encoded by walking the dataclass, so a field added to a model
(with a default) travels without touching this module. Decoding is strict:
unknown keys and wrong types are errors, so a coordinator and a worker that
disagree about the format fail loudly rather than run different plans.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

from agentload.profiles.model import ClosedModel, LoadGroup, LoadModel, OpenModel, Stage
from agentload.profiles.segment import Segment

if TYPE_CHECKING:
    from agentload.profiles.plan import Plan

__all__ = ["FORMAT_VERSION", "decode_parts", "encode_plan"]

_T = TypeVar("_T")

FORMAT_VERSION = 1
"""The version of the dict layout; bumped on any incompatible change."""

# Read-only views: no module-level mutable state.
_KINDS: Mapping[str, type[ClosedModel] | type[OpenModel]] = MappingProxyType(
    {"closed": ClosedModel, "open": OpenModel}
)
_SCALARS: Mapping[str, tuple[type, ...]] = MappingProxyType(
    {"int": (int,), "float": (int, float), "bool": (bool,)}
)


def encode_plan(plan: Plan) -> dict[str, object]:
    """The dict form of ``plan``, including a ``summary`` of derived figures."""
    model = plan.model
    encoded = _encode_model(model)
    summary: dict[str, object] = {"duration": plan.duration, "max_vus": plan.max_vus()}
    if isinstance(model, OpenModel) and not plan.extra:
        summary["pre_allocated_vus"] = plan.pre_allocated_vus()
        summary["expected_iterations"] = plan.expected_iterations()
    out: dict[str, object] = {
        "version": FORMAT_VERSION,
        "model": encoded,
        "weights": [[name, weight] for name, weight in plan.weights],
        "segment": {"index": plan.segment.index, "count": plan.segment.count},
    }
    if plan.extra:
        out["groups"] = [
            {
                "model": _encode_model(group.model),
                "weights": [[name, weight] for name, weight in group.weights],
            }
            for group in plan.extra
        ]
    out["summary"] = summary
    return out


def _encode_model(model: LoadModel) -> dict[str, object]:
    encoded: dict[str, object] = {"kind": "closed" if isinstance(model, ClosedModel) else "open"}
    for field in dataclasses.fields(model):
        value = getattr(model, field.name)
        if field.name == "stages":
            encoded["stages"] = [
                {"duration": float(s.duration), "target": float(s.target)} for s in value
            ]
        else:
            encoded[field.name] = float(value) if field.type == "float" else value
    return encoded


def decode_parts(
    data: Mapping[str, object],
) -> tuple[LoadModel, tuple[tuple[str, int], ...], Segment, tuple[LoadGroup, ...]]:
    """The model, weights, segment and extra load groups of a dict made by :func:`encode_plan`.

    Raises ``ValueError`` naming the offending key.
    """
    _keys(
        data,
        "plan",
        required={"version", "model", "weights", "segment"},
        optional={"summary", "groups"},
    )
    if data["version"] != FORMAT_VERSION:
        raise ValueError(
            f"plan format version {data['version']!r} is not supported (expected "
            f"{FORMAT_VERSION}): run the same agentload version on coordinator and workers"
        )
    model = _decode_model(_mapping(data["model"], "model"))
    weights = tuple(_decode_weight(item) for item in _list(data["weights"], "weights"))
    segment_data = _mapping(data["segment"], "segment")
    _keys(segment_data, "segment", required={"index", "count"})
    segment = Segment(
        index=_typed(segment_data["index"], (int,), "segment.index"),
        count=_typed(segment_data["count"], (int,), "segment.count"),
    )
    extra: list[LoadGroup] = []
    for n, item in enumerate(_list(data.get("groups", []), "groups")):
        group = _mapping(item, f"groups[{n}]")
        _keys(group, f"groups[{n}]", required={"model", "weights"})
        extra.append(
            LoadGroup(
                _decode_model(_mapping(group["model"], f"groups[{n}].model")),
                tuple(_decode_weight(w) for w in _list(group["weights"], f"groups[{n}].weights")),
            )
        )
    return model, weights, segment, tuple(extra)


def _decode_model(data: Mapping[str, object]) -> LoadModel:
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ValueError(f"model.kind must be 'closed' or 'open', got {kind!r}")
    cls = _KINDS[kind]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    _keys(data, "model", required={"kind", "stages"}, optional=set(fields))
    values: dict[str, object] = {}
    for name, value in data.items():
        if name == "kind":
            continue
        if name == "stages":
            values[name] = tuple(
                _decode_stage(item, n) for n, item in enumerate(_list(value, "model.stages"))
            )
            continue
        kinds = _SCALARS.get(str(fields[name].type))
        if kinds is None:  # a field type this codec does not know: a bug, not bad input
            raise TypeError(f"cannot decode model field {name!r} of type {fields[name].type}")
        decoded: object = _typed(value, kinds, f"model.{name}")
        if isinstance(decoded, int) and fields[name].type == "float":
            decoded = float(decoded)  # JSON writes 30.0 as 30 in some encoders
        values[name] = decoded
    # Each value was type-checked against its field above; mypy cannot see that.
    return cls(**values)  # type: ignore[arg-type]


def _decode_stage(item: object, n: int) -> Stage:
    where = f"model.stages[{n}]"
    data = _mapping(item, where)
    _keys(data, where, required={"duration", "target"})
    return Stage(
        duration=float(_typed(data["duration"], (int, float), f"{where}.duration")),
        target=float(_typed(data["target"], (int, float), f"{where}.target")),
    )


def _decode_weight(item: object) -> tuple[str, int]:
    pair = _list(item, "weights item")
    if len(pair) != 2:
        raise ValueError(f"a weights item must be [name, weight], got {item!r}")
    name = _typed(pair[0], (str,), "weights item name")
    weight = _typed(pair[1], (int,), "weights item weight")
    return name, weight


def _keys(
    data: Mapping[str, object],
    where: str,
    *,
    required: AbstractSet[str],
    optional: AbstractSet[str] = frozenset(),
) -> None:
    missing = sorted(required - data.keys())
    unknown = sorted(data.keys() - required - optional)
    if missing:
        raise ValueError(f"{where}: missing {', '.join(missing)}")
    if unknown:
        raise ValueError(f"{where}: unknown {', '.join(unknown)}")


def _mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"{where} must be an object with string keys, got {value!r}")
    return value


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{where} must be a list, got {value!r}")
    return list(value)


def _typed(value: object, kinds: tuple[type[_T], ...], where: str) -> _T:
    # bool is an int in Python, but a JSON true is never a count or a duration.
    if isinstance(value, bool) and bool not in kinds:
        raise ValueError(f"{where} must be a number, got {value!r}")
    if not isinstance(value, kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise ValueError(f"{where} must be {names}, got {value!r}")
    return value
