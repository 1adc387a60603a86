"""The one report shape: what an analysis did, for people (``str``) and for ``run.json`` (``to_dict``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Report:
    """What an analysis did, for people (``str(report)``) and for ``run.json`` (:meth:`to_dict`).

    Attributes
    ----------
    step : str
        The step's name (``"gaps"``, ``"place"`` …).
    figures : dict
        Named numbers (totals, counts, distances in metres, the CRS used).
    notes : list of str
        Sentences a user should read (rows left out and why, rules applied).
    text : str
        The summary for people, where the step writes its own (a join's match report); else one is built
        from the figures and notes.
    """

    step: str
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, **self.figures, "notes": list(self.notes)}

    def __str__(self) -> str:
        if self.text:
            return self.text
        return "\n".join([f"{self.step}: " + ", ".join(f"{k}={_fmt(v)}" for k, v in self.figures.items()),
                          *(f"  {n}" for n in self.notes)])  # fmt: skip


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)
