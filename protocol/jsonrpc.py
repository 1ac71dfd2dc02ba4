"""JSON-RPC 2.0 message classification, sans-I/O (it never awaits).

`classify(line)` turns one framed line into exactly one message value. Garbage is
a value too (`Invalid`), carrying the error reply the peer is owed, if any.

A line that cannot be decoded whole (over the size limit, or nested deeper
than `MAX_NESTING`) is judged by its head (`unreadable`): a request is answered
with its id, a reply becomes an `ErrorResponse`, so the call waiting for it
fails at once instead of at its timeout, and a notification stays unanswered.
"""

from __future__ import annotations

import msgspec

from protocol.codec import MAX_NESTING, decode_json, nesting_exceeds
from protocol.errors import RpcError
from protocol.framing import HeadKind, OversizedLine, read_head

RequestId = str | int


class _Value:
    """A small immutable record. Plain classes, not dataclasses: building five
    dataclasses costs ~6 ms of every agent start, before `initialize` is answered."""

    __slots__: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, k) == getattr(other, k) for k in self.__slots__
        )

    def __hash__(self) -> int:
        return hash((type(self), *(repr(getattr(self, k)) for k in self.__slots__)))

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Request(_Value):
    __slots__ = ("id", "method", "params")

    def __init__(self, id: RequestId, method: str, params: object) -> None:
        self.id, self.method, self.params = id, method, params


class Notification(_Value):
    __slots__ = ("method", "params")

    def __init__(self, method: str, params: object) -> None:
        self.method, self.params = method, params


class Response(_Value):
    __slots__ = ("id", "result")

    def __init__(self, id: RequestId, result: object) -> None:
        self.id, self.result = id, result


class ErrorResponse(_Value):
    __slots__ = ("error", "id")

    def __init__(self, id: RequestId | None, error: RpcError) -> None:
        self.id, self.error = id, error


class Invalid(_Value):
    """Unusable input. `reply_id` is what to answer with; `reply` None means stay silent."""

    __slots__ = ("reason", "reply", "reply_id")

    def __init__(
        self, reason: str, reply: RpcError | None, reply_id: RequestId | None = None
    ) -> None:
        self.reason, self.reply, self.reply_id = reason, reply, reply_id


Message = Request | Notification | Response | ErrorResponse | Invalid


def valid_id(value: object) -> bool:
    """A JSON-RPC id one can answer with and look up: a string or an integer."""
    return (isinstance(value, (str, int))) and not isinstance(value, bool)


def classify(line: bytes) -> Message:
    if nesting_exceeds(line):
        return _too_deep(line)
    try:
        data = decode_json(line)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        return Invalid(f"unparseable frame: {exc}", RpcError.parse_error(str(exc)))
    except RecursionError:  # the bound above makes this unreachable; kept as a floor
        return _too_deep(line)
    return classify_value(data)


def classify_oversized(line: OversizedLine, limit: int) -> Message:
    error = RpcError.frame_too_large(limit)
    if line.kind is None and line.request_id is None:
        # Nothing of it could be read: it may have been a notification.
        return Invalid(f"a {line.size}-byte line over the frame limit", None)
    return unreadable(line.kind, line.request_id, error)


def _too_deep(line: bytes) -> Message:
    kind, request_id = read_head(line, line)
    return unreadable(kind, request_id, RpcError.too_deep(MAX_NESTING))


def unreadable(kind: HeadKind, request_id: RequestId | None, error: RpcError) -> Message:
    """The message for a frame seen only by its head, failing with `error`."""
    if kind == "reply":
        if request_id is None:
            return Invalid(f"unreadable reply without an id: {error.message}", None)
        return ErrorResponse(request_id, error)
    if kind == "call" and request_id is None:
        return Invalid(f"unreadable notification: {error.message}", None)
    # A call with an id, or a frame that shows no method: answered like a request.
    return Invalid(error.message, error, request_id)


def classify_value(data: object) -> Message:
    if isinstance(data, list):
        return Invalid(
            "batch arrays are not supported",
            RpcError.invalid_request("batch arrays are not supported"),
        )
    if not isinstance(data, dict):
        return Invalid(
            "frame is not an object", RpcError.invalid_request("frame is not a JSON object")
        )
    raw_id = data.get("id")
    id_ok = valid_id(raw_id)
    reply_id = raw_id if id_ok else None
    if data.get("jsonrpc") != "2.0":
        return _bad(data, 'missing or wrong "jsonrpc": "2.0"', reply_id)
    if "method" in data:
        return _call(data, raw_id, id_ok)
    if "result" in data or "error" in data:
        return _reply(data, raw_id, id_ok)
    return _bad(data, "neither a request, a notification nor a response", reply_id)


def _call(data: dict[str, object], raw_id: object, id_ok: bool) -> Message:
    method = data["method"]
    params = data.get("params")
    if not isinstance(method, str):
        return _bad(data, '"method" must be a string', raw_id if id_ok else None)
    if params is not None and not isinstance(params, (dict, list)):
        return _bad(data, '"params" must be an object or array', raw_id if id_ok else None)
    if "id" not in data:
        return Notification(method, params)
    if not id_ok:
        # A null or malformed id: answer with id null rather than guess.
        return Invalid(
            "request id must be a string or integer",
            RpcError.invalid_request("id must be a string or integer"),
        )
    assert isinstance(raw_id, (str, int))
    return Request(raw_id, method, params)


def _reply(data: dict[str, object], raw_id: object, id_ok: bool) -> Message:
    if "error" in data:
        return ErrorResponse(raw_id if id_ok else None, RpcError.from_wire(data["error"]))  # type: ignore[arg-type]
    if not id_ok:
        return Invalid("response without a usable id", None)
    assert isinstance(raw_id, (str, int))
    return Response(raw_id, data["result"])


def _bad(data: dict[str, object], reason: str, reply_id: object) -> Invalid:
    # A malformed notification (method, no id) and a malformed response are never
    # answered; anything else that arrives broken is owed an invalid-request error.
    is_notification = "method" in data and "id" not in data
    is_response = "method" not in data and ("result" in data or "error" in data)
    reply = None if is_notification or is_response else RpcError.invalid_request(reason)
    return Invalid(reason, reply, reply_id if isinstance(reply_id, (str, int)) else None)


def request_frame(request_id: RequestId, method: str, params: object) -> dict[str, object]:
    frame: dict[str, object] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        frame["params"] = params
    return frame


def notification_frame(method: str, params: object) -> dict[str, object]:
    frame: dict[str, object] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        frame["params"] = params
    return frame


def result_frame(request_id: RequestId, result: object) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def error_frame(request_id: RequestId | None, error: RpcError) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_wire()}
