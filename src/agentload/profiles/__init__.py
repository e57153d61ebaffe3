"""Load profiles: the models users write and the plans the engine executes.

A :class:`ClosedModel` or :class:`OpenModel` compiles with :func:`compile_plan`
(several :class:`LoadGroup` side by side: :func:`compile_groups`)
into a :class:`Plan`: pure data that says when VUs start and stop or when each
iteration is intended to start, and which scenario each runs. ``Plan.split(n)``
gives the :class:`Segment` of each of ``n`` workers, exactly.

Models also come from named presets (:func:`build_preset`, :data:`PRESETS`),
from points or a function of time (:func:`shape_from_points`,
:func:`shape_from_function`), and scale with :func:`scale_model`;
:func:`render_chart` draws a plan for the terminal.
"""

from agentload.profiles._validate import MAX_RATE, MAX_VUS
from agentload.profiles.chart import render_chart
from agentload.profiles.model import ClosedModel, LoadGroup, LoadModel, OpenModel, Stage
from agentload.profiles.plan import (
    Plan,
    PlanPart,
    VUChange,
    compile_groups,
    compile_plan,
    validate_model,
)
from agentload.profiles.presets import (
    PRESETS,
    Preset,
    PresetParam,
    build_preset,
    find_preset,
    preset_problems,
    resolve_preset,
)
from agentload.profiles.segment import Segment
from agentload.profiles.shapes import (
    ModelKind,
    scale_model,
    shape_from_function,
    shape_from_points,
    shape_from_tick,
    whole_vus,
)

__all__ = [
    "MAX_RATE",
    "MAX_VUS",
    "PRESETS",
    "ClosedModel",
    "LoadGroup",
    "LoadModel",
    "ModelKind",
    "OpenModel",
    "Plan",
    "PlanPart",
    "Preset",
    "PresetParam",
    "Segment",
    "Stage",
    "VUChange",
    "build_preset",
    "compile_groups",
    "compile_plan",
    "find_preset",
    "preset_problems",
    "render_chart",
    "resolve_preset",
    "scale_model",
    "shape_from_function",
    "shape_from_points",
    "shape_from_tick",
    "validate_model",
    "whole_vus",
]
