"""Load profiles: the models users write and the plans the engine executes.

A :class:`ClosedModel` or :class:`OpenModel` compiles with :func:`compile_plan`
into a :class:`Plan`: pure data that says when VUs start and stop or when each
iteration is intended to start, and which scenario each runs. ``Plan.split(n)``
gives the :class:`Segment` of each of ``n`` workers, exactly.
"""

from agentload.profiles.model import ClosedModel, LoadModel, OpenModel, Stage
from agentload.profiles.plan import Plan, VUChange, compile_plan, validate_model
from agentload.profiles.segment import Segment

__all__ = [
    "ClosedModel",
    "LoadModel",
    "OpenModel",
    "Plan",
    "Segment",
    "Stage",
    "VUChange",
    "compile_plan",
    "validate_model",
]
