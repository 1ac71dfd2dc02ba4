"""How a requirement's check ends when it does not pass: it raises one of
these. Kept apart from the requirement model so that the probe, which raises
them, and the model, which names the probe in its types, import no circle."""

from __future__ import annotations


class Skip(Exception):
    """Not applicable to this agent (a capability it does not advertise)."""


class NotTested(Exception):
    """Applicable, but the kit could not judge it (the reason says why)."""


class Fail(AssertionError):
    """The agent broke the requirement."""


def check(condition: bool, detail: str) -> None:
    if not condition:
        raise Fail(detail)


__all__ = ["Fail", "NotTested", "Skip", "check"]
