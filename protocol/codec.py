"""Encoding and decoding: strict out, lenient in.

Frames are compact JSON on one line; msgspec escapes newlines inside strings, so
a frame can never contain a raw newline. Decoding ignores unknown fields and
reports a bad field by its path.

Lenient in, within bounds:
- a frame nested deeper than `MAX_NESTING` is refused before it is decoded
  (`nesting_exceeds`), so no decoder or handler recurses without bound;
- a lone UTF-16 surrogate escape (`"\\ud83d"`, which some editors send when
  they cut an emoji in half) is valid JSON text but cannot be a Python `str`
  that encodes; it is read as U+FFFD rather than refusing the whole frame.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import TypeVar

import msgspec

from protocol.errors import RpcError
from protocol.json_types import JsonValue

T = TypeVar("T")

#: Deepest nesting of arrays and objects a frame may have (serde_json's default
#: too). ACP frames nest about 8 deep; past ~900, decoders hit the recursion limit.
MAX_NESTING = 128

_encoder = msgspec.json.Encoder()
_decoder: msgspec.json.Decoder[JsonValue] = msgspec.json.Decoder()

_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_SIGNS = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")  # +1 / -1 as signed bytes
# Escapes, in order of preference: a surrogate pair (kept), a lone surrogate
# (replaced), any other escape (kept, and consumed so `\\\\ud83d` stays text).
_ESCAPE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    rb"|(\\u[dD][89a-fA-F][0-9a-fA-F]{2})"
    rb"|\\."
)


def encode_frame(message: object) -> bytes:
    """One frame: compact JSON plus the terminating newline."""
    return _encoder.encode(message) + b"\n"


def decode_json(line: bytes) -> JsonValue:
    """Parse one line into builtins. Raises msgspec.DecodeError on bad JSON or UTF-8."""
    try:
        return _decoder.decode(line)
    except msgspec.DecodeError:
        repaired = _without_lone_surrogates(line)
        if repaired is line:
            raise
        return _decoder.decode(repaired)


def _without_lone_surrogates(line: bytes) -> bytes:
    # Only on the error path: a frame that decoded never pays for this.
    if b"\\u" not in line:
        return line
    repaired = _ESCAPE.sub(lambda m: b"\\ufffd" if m.group(1) else m.group(0), line)
    return line if repaired == line else repaired


def nesting_exceeds(line: bytes, limit: int = MAX_NESTING) -> bool:
    """Whether the JSON text nests arrays and objects deeper than `limit`.

    A line with at most `limit` opening brackets cannot, and almost every frame
    is one: two byte counts. Otherwise the brackets outside strings are
    counted, each step at C speed (strip escapes, keep only brackets and
    quotes, drop what lies between quotes, sum +1/-1). Invalid JSON may be
    misjudged; the decoder refuses it anyway."""
    if line.count(b"[") + line.count(b"{") <= limit:
        return False
    if b"\\\\" in line:
        line = line.replace(b"\\\\", b"")
    if b'\\"' in line:
        line = line.replace(b'\\"', b"")
    outside = b"".join(line.translate(None, _NOT_STRUCTURE).split(b'"')[::2])
    if len(outside) <= limit:
        return False
    return max(accumulate(memoryview(outside.translate(_SIGNS)).cast("b"))) > limit


def to_builtins(value: object) -> JsonValue:
    """Structs to plain dicts/lists with wire (camelCase) keys, absent optionals omitted."""
    builtins: JsonValue = msgspec.to_builtins(value)
    return builtins


def convert(data: object, type_: type[T]) -> T:
    """Decode builtins into `type_`, leniently; a mismatch is an invalid-params error."""
    try:
        return msgspec.convert(_lenient(data, type_), type_, strict=False)
    except msgspec.ValidationError as exc:
        raise RpcError.invalid_params(str(exc)) from None


def _lenient(data: object, type_: type[object]) -> object:
    # A non-integer protocolVersion (some clients sent date strings) means 1.
    if isinstance(data, dict) and "protocolVersion" in data:
        version = data["protocolVersion"]
        if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version <= 65535:
            data = {**data, "protocolVersion": 1}
    if data is None and isinstance(type_, type) and issubclass(type_, msgspec.Struct):
        return {}  # `null` where the schema says `{}`
    return data
