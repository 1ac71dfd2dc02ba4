"""Encoding and decoding: strict out, lenient in.

Frames are compact JSON on one line; msgspec escapes newlines inside strings, so
a frame can never contain a raw newline. Decoding ignores unknown fields and
reports a bad field by its path.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from protocol.errors import RpcError

T = TypeVar("T")

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


def encode_frame(message: object) -> bytes:
    """One frame: compact JSON plus the terminating newline."""
    return _encoder.encode(message) + b"\n"


def decode_json(line: bytes) -> Any:
    """Parse one line into builtins. Raises msgspec.DecodeError on bad JSON or UTF-8."""
    return _decoder.decode(line)


def to_builtins(value: object) -> Any:
    """Structs to plain dicts/lists with wire (camelCase) keys, absent optionals omitted."""
    return msgspec.to_builtins(value)


def convert(data: object, type_: type[T]) -> T:
    """Decode builtins into `type_`, leniently; a mismatch is an invalid-params error."""
    try:
        return msgspec.convert(_lenient(data, type_), type_, strict=False)
    except msgspec.ValidationError as exc:
        raise RpcError.invalid_params(str(exc)) from None


def _lenient(data: object, type_: type[Any]) -> object:
    # A non-integer protocolVersion (some clients sent date strings) means 1.
    if isinstance(data, dict) and "protocolVersion" in data:
        version = data["protocolVersion"]
        if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version <= 65535:
            data = {**data, "protocolVersion": 1}
    if data is None and isinstance(type_, type) and issubclass(type_, msgspec.Struct):
        return {}  # `null` where the schema says `{}`
    return data
