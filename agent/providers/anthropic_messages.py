"""Anthropic Messages, streaming with tool use and thinking, on the official
SDK. The system prompt and the tool list carry `cache_control` so repeated
turns hit the prompt cache.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from agent.providers.base import (
    ConnectionFailed,
    Message,
    ModelRequest,
    ProviderError,
    StreamEnd,
    StreamEvent,
    StreamText,
    StreamThought,
    StreamToolCall,
    StreamUsage,
)
from agent.providers.errors import map_error

STOP = {
    "end_turn": "end_turn",
    "stop_sequence": "end_turn",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "refusal": "refusal",
    "pause_turn": "end_turn",
}
THINKING_BUDGET = {"low": 2048, "medium": 8192, "high": 24576}
CACHE = {"type": "ephemeral"}


def to_anthropic_messages(messages: Sequence[Message]) -> list[dict[str, object]]:
    """Our history as alternating user/assistant turns; tool results travel in user turns."""
    out: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})

    for message in messages:
        if message["role"] == "user":
            blocks: list[dict[str, Any]] = []
            for part in message["content"]:
                if part["type"] == "image":
                    blocks.append(
                        {
                            "type": "image",
                            "source": {
                                "type": "base64",
                                "media_type": part["mime_type"],
                                "data": part["data"],
                            },
                        }
                    )
                else:
                    blocks.append({"type": "text", "text": part.get("text", "") or " "})
            add("user", blocks)
        elif message["role"] == "assistant":
            blocks = []
            if message.get("thinking") and message.get("thinking_signature"):
                blocks.append(
                    {
                        "type": "thinking",
                        "thinking": message.get("thinking"),
                        "signature": message.get("thinking_signature"),
                    }
                )
            if message.get("content"):
                blocks.append({"type": "text", "text": message["content"]})
            for call in message.get("tool_calls") or []:
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call["id"],
                        "name": call["name"],
                        "input": call["arguments"],
                    }
                )
            add("assistant", blocks or [{"type": "text", "text": "(no output)"}])
        elif message["role"] == "tool":
            add(
                "user",
                [
                    {
                        "type": "tool_result",
                        "tool_use_id": message["tool_call_id"],
                        "content": str(message.get("content", "")),
                        "is_error": bool(message.get("is_error")),
                    }
                ],
            )
    return out


class AnthropicProvider:
    """Anthropic's own API. The cloud routes (`anthropic_cloud`) reuse the
    request and stream handling with their SDK client: they override only
    `__init__` (the client), `_endpoint` and `_map`."""

    def __init__(self, name: str, api_key: str | None, base_url: str | None) -> None:
        import anthropic

        self.name = name
        self._secrets: tuple[str | None, ...] = (api_key,)  # masked in error messages
        self._client: Any = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, max_retries=0, timeout=None
        )

    def _endpoint(self, request: ModelRequest) -> str:
        """The URL a failure names."""
        return f"{self._client.base_url}".rstrip("/") + "/v1/messages"

    def _map(self, error: Exception, request: ModelRequest) -> ProviderError:
        return map_error(error, self.name, self._secrets, self._endpoint(request))

    def _kwargs(self, request: ModelRequest) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens,
            "messages": to_anthropic_messages(request.messages),
            "stream": True,
        }
        if request.system:
            kwargs["system"] = [{"type": "text", "text": request.system, "cache_control": CACHE}]
        if request.tools:
            tools = [
                {"name": t.name, "description": t.description, "input_schema": dict(t.parameters)}
                for t in request.tools
            ]
            tools[-1]["cache_control"] = CACHE
            kwargs["tools"] = tools
        budget = THINKING_BUDGET.get(request.thought_level or "")
        if budget:
            kwargs["thinking"] = {"type": "enabled", "budget_tokens": budget}
            kwargs["max_tokens"] = max(request.max_tokens, budget + 4096)
        return kwargs

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        blocks: dict[int, dict[str, Any]] = {}
        stop = "end_turn"
        complete = False
        input_tokens = cached = output_tokens = 0
        try:
            stream = await self._client.messages.create(**self._kwargs(request))
            async for event in stream:
                kind = event.type
                if kind == "message_start":
                    usage = event.message.usage
                    # The context is all three: input_tokens counts only what
                    # was neither read from nor written to the prompt cache.
                    input_tokens = (usage.input_tokens or 0) + (
                        getattr(usage, "cache_creation_input_tokens", 0) or 0
                    )
                    cached = getattr(usage, "cache_read_input_tokens", 0) or 0
                elif kind == "content_block_start":
                    block = event.content_block
                    blocks[event.index] = {
                        "type": block.type,
                        "id": getattr(block, "id", ""),
                        "name": getattr(block, "name", ""),
                        "json": "",
                    }
                elif kind == "content_block_delta":
                    delta = event.delta
                    if delta.type == "text_delta":
                        yield StreamText(delta.text)
                    elif delta.type == "thinking_delta":
                        yield StreamThought(delta.thinking)
                    elif delta.type == "signature_delta":
                        yield StreamThought("", signature=delta.signature)
                    elif delta.type == "input_json_delta":
                        blocks[event.index]["json"] += delta.partial_json
                elif kind == "content_block_stop":
                    block = blocks.get(event.index, {})
                    if block.get("type") == "tool_use":
                        yield _tool_call(block)
                elif kind == "message_delta":
                    stop = event.delta.stop_reason or stop
                    output_tokens = getattr(event.usage, "output_tokens", 0) or 0
                elif kind == "message_stop":
                    complete = True
        except Exception as error:
            raise self._map(error, request) from error
        if not complete:
            # The body ended cleanly but short (a proxy or a framing that
            # cannot tell): the answer is cut, so the call is retried.
            raise ConnectionFailed(
                f"{self.name}: the stream ended before the message was complete",
                retryable=True,
                provider=self.name,
            )
        yield StreamUsage(input_tokens + cached, output_tokens, cached)
        yield StreamEnd(STOP.get(stop, "end_turn"))  # type: ignore[arg-type]


def _tool_call(block: dict[str, Any]) -> StreamToolCall:
    raw = block["json"] or "{}"
    try:
        arguments = json.loads(raw)
    except json.JSONDecodeError:
        arguments = None
    return StreamToolCall(
        block["id"], block["name"], arguments if isinstance(arguments, dict) else None, raw
    )
