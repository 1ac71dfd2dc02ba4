"""The model history: a typed union of JSON-able messages.

History entries are plain dicts at run time, so a session is persisted and
continued after a restart, or on another provider after a model switch,
without a conversion step; these types let mypy check every place that builds
or reads one. Providers translate them to their own wire shapes at their
boundary (`to_openai_messages`, `to_anthropic_messages`).

    {"role": "user", "content": [{"type": "text", "text": ...},
                                 {"type": "image", "data": <base64>, "mime_type": ...}]}
    {"role": "assistant", "content": "text", "thinking": "..." (optional),
     "thinking_signature": "..." (optional, Anthropic),
     "tool_calls": [{"id": ..., "name": ..., "arguments": {...}}]}
    {"role": "tool", "tool_call_id": ..., "name": ..., "content": "text", "is_error": bool}

History read back from storage is checked by `messages_from_json`, the one
way in for data that did not come from this module's builders.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, NotRequired, TypedDict, cast


class TextBlock(TypedDict):
    type: Literal["text"]
    text: str


class ImageBlock(TypedDict):
    type: Literal["image"]
    data: str  # base64
    mime_type: str


ContentBlock = TextBlock | ImageBlock


class UserMessage(TypedDict):
    role: Literal["user"]
    content: list[ContentBlock]


class ToolCallRecord(TypedDict):
    id: str
    name: str
    # The parsed arguments, or {"_invalid_json": raw} when the model sent no JSON.
    arguments: dict[str, object]


class AssistantMessage(TypedDict):
    role: Literal["assistant"]
    content: str
    thinking: NotRequired[str]
    thinking_signature: NotRequired[str]
    tool_calls: NotRequired[list[ToolCallRecord]]


class ToolMessage(TypedDict):
    role: Literal["tool"]
    tool_call_id: str
    name: str
    content: str
    is_error: bool


Message = UserMessage | AssistantMessage | ToolMessage

_REQUIRED: dict[str, tuple[str, ...]] = {
    "user": ("content",),
    "assistant": ("content",),
    "tool": ("tool_call_id", "content"),
}


def messages_from_json(data: Iterable[Mapping[str, object]]) -> list[Message]:
    """Stored history as typed messages. Raises ValueError naming the first
    entry that is no message (an unknown role, a required key missing), so a
    damaged history is reported rather than sent to a model."""
    out: list[Message] = []
    for index, entry in enumerate(data):
        role = entry.get("role")
        required = _REQUIRED.get(role) if isinstance(role, str) else None
        if required is None:
            raise ValueError(f"history entry {index} has no known role: {role!r}")
        missing = [key for key in required if key not in entry]
        if missing:
            raise ValueError(f"history entry {index} ({role}) lacks {', '.join(missing)}")
        # The shape is checked as far as the providers rely on it; the dict is kept as is.
        out.append(cast(Message, entry))
    return out


def messages_to_json(messages: Iterable[Message]) -> list[dict[str, object]]:
    """The history as plain JSON objects, for storage."""
    return [cast(dict[str, object], message) for message in messages]


__all__ = [
    "AssistantMessage",
    "ContentBlock",
    "ImageBlock",
    "Message",
    "TextBlock",
    "ToolCallRecord",
    "ToolMessage",
    "UserMessage",
    "messages_from_json",
    "messages_to_json",
]
