"""Validate JSON-RPC frames against the vendored official ACP v1 schema.

Tests only (jsonschema is a dev dependency). `SchemaChecker` watches frames in
both directions, remembers which method each request id belongs to, and checks
params, results and notifications against the schema definition for that
method. Unstable methods (session/fork) and fields validate against the
unstable schema, which is a superset of the stable one.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jsonschema

import protocol

SCHEMA_DIR = Path(protocol.__file__).parent / "schema"
Side = Literal["agent", "client"]

# method -> (params definition, result definition); result None = notification
_DEFS: dict[str, tuple[str, str | None]] = {
    method: (params.__name__, result.__name__ if result is not None else None)
    for method, (params, result) in {**protocol.AGENT_METHODS, **protocol.CLIENT_METHODS}.items()
}
_DEFS["$/cancel_request"] = ("CancelRequestNotification", None)


@cache
def _definitions() -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / "schema.unstable.json").read_text())["$defs"]


@cache
def _validator(definition: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"#/$defs/{definition}", "$defs": _definitions()}
    return jsonschema.Draft202012Validator(schema)


def validate_against(definition: str, value: object) -> None:
    errors = sorted(_validator(definition).iter_errors(value), key=lambda e: list(e.path))
    if errors:
        details = "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
        raise AssertionError(f"{definition} does not match the ACP schema: {details}\n{value!r}")


def validate_envelope(frame: dict[str, Any]) -> None:
    assert frame.get("jsonrpc") == "2.0", frame
    if "method" in frame:
        assert isinstance(frame["method"], str), frame
        if "id" in frame:
            assert isinstance(frame["id"], (str, int)) and not isinstance(frame["id"], bool), frame
    else:
        assert "id" in frame, frame
        assert ("result" in frame) != ("error" in frame), frame
        if "error" in frame:
            error = frame["error"]
            assert isinstance(error["code"], int) and isinstance(error["message"], str), frame


class SchemaChecker:
    """Feed it every frame of a connection; it raises on the first invalid one."""

    def __init__(self) -> None:
        self._methods: dict[tuple[str, object], str] = {}
        self.frames: list[tuple[str, dict[str, Any]]] = []

    def observe(self, sender: Side, frame: dict[str, Any] | bytes) -> None:
        if isinstance(frame, bytes):
            frame = json.loads(frame)
        assert isinstance(frame, dict)
        self.frames.append((sender, frame))
        validate_envelope(frame)
        if "method" in frame:
            self._check_call(sender, frame)
        else:
            self._check_reply(sender, frame)

    def observer(self, sender_of_out: Side) -> protocol.FrameObserver:
        """An Endpoint observer for the endpoint that speaks as `sender_of_out`."""
        other: Side = "client" if sender_of_out == "agent" else "agent"

        def observe(direction: str, raw: bytes) -> None:
            self.observe(sender_of_out if direction == "out" else other, raw)

        return observe

    def _check_call(self, sender: Side, frame: dict[str, Any]) -> None:
        method = frame["method"]
        if "id" in frame:
            self._methods[(sender, frame["id"])] = method
        if method in _DEFS and method != "$/cancel_request":
            validate_against(_DEFS[method][0], frame.get("params"))

    def _check_reply(self, sender: Side, frame: dict[str, Any]) -> None:
        requester: Side = "client" if sender == "agent" else "agent"
        method = self._methods.pop((requester, frame["id"]), None)
        if method is None or "error" in frame:
            return
        result_def = _DEFS.get(method, ("", None))[1]
        if result_def is not None:
            validate_against(result_def, frame["result"])
