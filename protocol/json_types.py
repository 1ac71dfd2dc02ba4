"""JSON as it is on the wire, typed: `JsonValue`, `JsonObject`, and readers.

Code that handles frames as builtins (a client, a tracer, a conformance
check) states what it holds with these aliases instead of `Any`, and reads a
field through the small accessors below, which narrow by `isinstance` and
fall back to an empty value of the expected kind. A frame is untrusted input:
a field of the wrong type reads as absent rather than raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeAlias

#: Any value a JSON text can decode into.
JsonValue: TypeAlias = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None

#: A JSON object: a frame, its params or result, an update, a content block.
JsonObject: TypeAlias = dict[str, JsonValue]


def as_object(value: object) -> JsonObject:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[JsonValue]:
    """`value` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def objects(value: object) -> list[JsonObject]:
    """The objects of a JSON array (other items skipped); [] if not an array."""
    return [item for item in as_list(value) if isinstance(item, dict)]


def get_object(data: Mapping[str, object], key: str) -> JsonObject:
    """`data[key]` if it is an object, else an empty one."""
    return as_object(data.get(key))


def get_list(data: Mapping[str, object], key: str) -> list[JsonValue]:
    """`data[key]` if it is an array, else an empty one."""
    return as_list(data.get(key))


def get_str(data: Mapping[str, object], key: str) -> str | None:
    """`data[key]` if it is a string, else None."""
    value = data.get(key)
    return value if isinstance(value, str) else None


def get_int(data: Mapping[str, object], key: str) -> int | None:
    """`data[key]` if it is an integer (not a bool), else None."""
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


__all__ = [
    "JsonObject",
    "JsonValue",
    "as_list",
    "as_object",
    "get_int",
    "get_list",
    "get_object",
    "get_str",
    "objects",
]
