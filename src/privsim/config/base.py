"""The base of every input model, and the constrained number types fields use."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

#: A share or probability in [0, 1].
Share = Annotated[float, Field(ge=0.0, le=1.0)]
#: A finite number >= 0.
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
#: A finite number > 0.
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]


class Model(BaseModel):
    """Base of every input model: immutable, and unknown fields are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")
