"""Turn bookkeeping and the builders of history entries (see agent/messages.py).

`user_message` and `assistant_message` build history entries; `repair_history`
keeps it valid after a cancel (every tool call answered), so the next model
call is never rejected.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from agent.events import TurnUsage
from agent.messages import AssistantMessage, ContentBlock, Message, ToolMessage, UserMessage
from agent.ports import ImagePart, PromptPart, ResourcePart, TextPart
from agent.providers import StreamToolCall


class Step(msgspec.Struct):
    text: list[str] = msgspec.field(default_factory=list)
    thinking: list[str] = msgspec.field(default_factory=list)
    signature: str | None = None
    calls: list[StreamToolCall] = msgspec.field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    thought_tokens: int = 0
    finish: str = "end_turn"


class TurnTotals:
    def __init__(self) -> None:
        self.input = self.output = self.cached = self.thought = 0
        self.cost: float | None = None

    def add(self, step: Step, cost: float | None) -> None:
        self.input += step.input_tokens
        self.output += step.output_tokens
        self.cached += step.cached_tokens
        self.thought += step.thought_tokens
        if cost is not None:
            self.cost = (self.cost or 0.0) + cost

    def total(self) -> TurnUsage:
        return TurnUsage(self.input, self.output, self.cached, self.thought, self.cost)


def user_message(prompt: Sequence[PromptPart]) -> UserMessage:
    content: list[ContentBlock] = []
    for part in prompt:
        if isinstance(part, TextPart):
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            content.append({"type": "image", "data": part.data, "mime_type": part.mime_type})
        elif isinstance(part, ResourcePart):
            if part.text is not None:
                content.append(
                    {"type": "text", "text": f'<context uri="{part.uri}">\n{part.text}\n</context>'}
                )
            else:
                content.append(
                    {
                        "type": "text",
                        "text": f"[attached {part.uri}: {part.note or 'not readable here'}]",
                    }
                )
    return {"role": "user", "content": content}


def assistant_message(step: Step) -> AssistantMessage:
    message: AssistantMessage = {"role": "assistant", "content": "".join(step.text)}
    if step.thinking:
        message["thinking"] = "".join(step.thinking)
    if step.signature:
        message["thinking_signature"] = step.signature
    if step.calls:
        message["tool_calls"] = [
            {
                "id": c.id,
                "name": c.name,
                "arguments": dict(c.arguments)
                if c.arguments is not None
                else {"_invalid_json": c.raw_arguments},
            }
            for c in step.calls
        ]
    return message


def repair_history(messages: list[Message]) -> None:
    """Every tool call in history needs a result, or the next model call is rejected."""
    answered = {m["tool_call_id"] for m in messages if m["role"] == "tool"}
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message["role"] != "assistant" or not message.get("tool_calls"):
            continue
        missing = [c for c in message.get("tool_calls", []) if c["id"] not in answered]
        for position, call in enumerate(missing):
            cancelled: ToolMessage = {
                "role": "tool",
                "tool_call_id": call["id"],
                "name": call["name"],
                "content": "Cancelled before it finished.",
                "is_error": True,
            }
            messages.insert(index + 1 + position, cancelled)
        break


__all__ = ["Step", "TurnTotals", "assistant_message", "repair_history", "user_message"]
