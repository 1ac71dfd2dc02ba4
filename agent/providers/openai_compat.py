"""OpenAI-compatible chat completions (OpenAI, OpenRouter, Ollama, vLLM,
llama.cpp, LM Studio), streaming with tool calls, on the official SDK.

The SDK's own retries are off: retries, backoff and fallback are ours.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from agent.providers.base import (
    Message,
    ModelRequest,
    StreamEnd,
    StreamEvent,
    StreamText,
    StreamThought,
    StreamToolCall,
    StreamUsage,
)
from agent.providers.clients import shared_client, ssl_context
from agent.providers.errors import map_error

if TYPE_CHECKING:
    import openai

FINISH = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "refusal",
}


def to_openai_messages(system: str, messages: Sequence[Message]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = [{"role": "system", "content": system}] if system else []
    for message in messages:
        if message["role"] == "user":
            parts = message["content"]
            blocks: list[dict[str, str | dict[str, str]]] = []
            for part in (
                parts if isinstance(parts, list) else [{"type": "text", "text": str(parts)}]
            ):
                if part["type"] == "image":
                    blocks.append(
                        {
                            "type": "image_url",
                            "image_url": {"url": f"data:{part['mime_type']};base64,{part['data']}"},
                        }
                    )
                else:
                    blocks.append({"type": "text", "text": part.get("text", "")})
            simple = all(b["type"] == "text" for b in blocks)
            out.append(
                {
                    "role": "user",
                    "content": "\n".join(str(b["text"]) for b in blocks) if simple else blocks,
                }
            )
        elif message["role"] == "assistant":
            entry: dict[str, object] = {
                "role": "assistant",
                "content": message.get("content") or None,
            }
            calls = message.get("tool_calls") or []
            if calls:
                entry["tool_calls"] = [
                    {
                        "id": c["id"],
                        "type": "function",
                        "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
                    }
                    for c in calls
                ]
            out.append(entry)
        elif message["role"] == "tool":
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": message["tool_call_id"],
                    "content": str(message.get("content", "")),
                }
            )
    return out


class OpenAICompatProvider:
    def __init__(self, name: str, api_key: str | None, base_url: str | None) -> None:
        self.name = name
        self._api_key = api_key  # masked in error messages
        # Shared by every session with the same endpoint and key (see clients.py):
        # a client of its own cost each session ~40 ms and a new connection.
        self._client = shared_client(
            ("openai", base_url, api_key), lambda: _build(api_key, base_url)
        )
        import openai
        from openai.types.chat import ChatCompletion, ChatCompletionChunk

        self._completion = ChatCompletion
        self._chunks = openai.AsyncStream[ChatCompletionChunk]

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        kwargs: dict[str, Any] = {
            "model": request.model,
            "messages": to_openai_messages(request.system, request.messages),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.tools:
            kwargs["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": dict(t.parameters),
                    },
                }
                for t in request.tools
            ]
        if request.thought_level in ("low", "medium", "high") and self.name == "openai":
            kwargs["reasoning_effort"] = request.thought_level
        calls: dict[int, dict[str, str]] = {}
        finish = "stop"
        try:
            # The SDK's own request, without `create()`'s walk of the body against
            # its parameter types: our body is JSON already (the walk renames and
            # re-encodes nothing in chat completions) and it cost ~1.5 ms for a
            # short history and 150-600 ms for one of 400 messages, before the
            # request left. Same path, headers, body and parsed chunks.
            stream = await self._client.post(
                "/chat/completions",
                body=kwargs,
                cast_to=self._completion,
                stream=True,
                stream_cls=self._chunks,
            )
            async for chunk in stream:
                if chunk.usage is not None:
                    details = getattr(chunk.usage, "prompt_tokens_details", None)
                    cached = getattr(details, "cached_tokens", 0) or 0
                    yield StreamUsage(
                        chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0, cached
                    )
                for choice in chunk.choices:
                    delta = choice.delta
                    reasoning = getattr(delta, "reasoning_content", None) or getattr(
                        delta, "reasoning", None
                    )
                    if reasoning:
                        yield StreamThought(str(reasoning))
                    if delta.content:
                        yield StreamText(delta.content)
                    for call in delta.tool_calls or []:
                        slot = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
                        if call.id:
                            slot["id"] = call.id
                        if call.function is not None:
                            slot["name"] += call.function.name or ""
                            slot["arguments"] += call.function.arguments or ""
                    if choice.finish_reason:
                        finish = choice.finish_reason
        except Exception as error:
            url = f"{self._client.base_url}chat/completions"
            raise map_error(error, self.name, (self._api_key,), url) from error
        for index in sorted(calls):
            yield _tool_call(calls[index], index)
        yield StreamEnd(FINISH.get(finish, "end_turn"))  # type: ignore[arg-type]


def _build(api_key: str | None, base_url: str | None) -> openai.AsyncOpenAI:
    import openai

    # The SDK's own HTTP client, with its defaults (limits, redirects), except
    # that it verifies with the process's shared SSL context instead of
    # building one.
    http_client = openai.DefaultAsyncHttpxClient(verify=ssl_context())
    return openai.AsyncOpenAI(
        api_key=api_key or "not-needed",
        base_url=base_url,
        max_retries=0,
        timeout=None,
        http_client=http_client,
    )


def _tool_call(slot: dict[str, str], index: int) -> StreamToolCall:
    raw = slot["arguments"] or "{}"
    try:
        arguments = json.loads(raw)
    except json.JSONDecodeError:
        arguments = None
    if not isinstance(arguments, dict):
        arguments = None
    return StreamToolCall(slot["id"] or f"call_{index}", slot["name"], arguments, raw)
