"""The scripted model: a deterministic, offline Provider driven by directives.

For each model call it reads the latest user message's text, one directive per
line, and plays them in order: one model response per tool directive,
continuing after each tool result, then `end_turn`. Progress is derived from
the history (assistant messages after that user message), so the model keeps
no state and survives a restart mid-turn. The language is public interface
(README, "The scripted model").
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence

import msgspec

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

#: The engine starts a summarisation request's user message with this marker.
SUMMARY_REQUEST_MARKER = "[[summarize-conversation]]"

TOOL_DIRECTIVES = frozenset({"read", "write", "edit", "run", "mcp", "plan"})
PLAIN_DIRECTIVES = frozenset({"say", "think", "stream", "wait", "usage"})


class Directive(msgspec.Struct, frozen=True):
    verb: str
    rest: str

    @property
    def is_tool(self) -> bool:
        return self.verb in TOOL_DIRECTIVES


def parse_directives(text: str) -> list[Directive]:
    directives = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        verb, _, rest = line.partition(" ")
        if verb in TOOL_DIRECTIVES | PLAIN_DIRECTIVES:
            directives.append(Directive(verb, rest.strip()))
        else:
            directives.append(Directive("say", line))  # not a directive: echoed
    return directives


def split_responses(directives: Sequence[Directive]) -> list[list[Directive]]:
    """Each response runs up to and including its tool directive."""
    responses: list[list[Directive]] = [[]]
    for directive in directives:
        responses[-1].append(directive)
        if directive.is_tool:
            responses.append([])
    return responses if responses[-1] else responses[:-1] or [[]]


def _latest_prompt(messages: Sequence[Message]) -> tuple[str, int, int]:
    """The latest user text, its index, and how many assistant responses followed it."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message.get("role") != "user":
            continue
        content = message.get("content")
        texts = (
            [c["text"] for c in content if isinstance(c, dict) and c["type"] == "text"]
            if isinstance(content, list)
            else [str(content)]
        )
        done = sum(1 for m in messages[index + 1 :] if m.get("role") == "assistant")
        return "\n".join(texts), index, done
    return "", 0, 0


class ScriptedProvider:
    name = "scripted"

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamEvent]:
        text, prompt_index, done = _latest_prompt(request.messages)
        if text.startswith(SUMMARY_REQUEST_MARKER):
            summary = f"Summary of {len(request.messages) - 1} earlier messages."
            yield StreamText(summary)
            yield StreamUsage(_estimate(request), len(summary) // 4 + 1)
            yield StreamEnd("end_turn")
            return
        responses = split_responses(parse_directives(text))
        if done >= len(responses):
            yield StreamEnd("end_turn")
            return
        usage_given = False
        for directive in responses[done]:
            if directive.verb == "usage":
                usage_given = True
            async for event in _play(directive, f"call_{prompt_index}_{done}"):
                yield event
        if not usage_given:
            yield StreamUsage(_estimate(request), max(1, len(text) // 4))
        ends_with_tool = bool(responses[done]) and responses[done][-1].is_tool
        yield StreamEnd("tool_use" if ends_with_tool else "end_turn")


async def _play(directive: Directive, call_id: str) -> AsyncIterator[StreamEvent]:
    verb, rest = directive.verb, directive.rest
    if verb == "say":
        for word in _split_keeping_spaces(rest):
            yield StreamText(word)
    elif verb == "think":
        for word in _split_keeping_spaces(rest):
            yield StreamThought(word)
    elif verb == "stream":
        count, size = _ints(rest, 2)
        for event in _stream_chunks(count, size):
            yield event
    elif verb == "wait":
        await asyncio.sleep(float(rest or 0))
    elif verb == "usage":
        tokens_in, tokens_out = _ints(rest, 2)
        yield StreamUsage(tokens_in, tokens_out)
    else:
        yield _tool_call(directive, call_id)


def _split_keeping_spaces(text: str) -> list[str]:
    words = text.split(" ")
    return [w + " " for w in words[:-1]] + [words[-1]] if words else []


def _stream_chunks(count: int, size: int) -> list[StreamText]:
    filler = "x" * max(0, size - 8)
    return [StreamText(f"{i:07d}:{filler}"[: max(size, 0)]) for i in range(count)]


def _ints(text: str, n: int) -> list[int]:
    parts = text.split()
    try:
        values = [int(p) for p in parts[:n]]
    except ValueError:
        values = []
    return values + [0] * (n - len(values))


def _unescape(text: str) -> str:
    return text.replace("\\n", "\n").replace("\\t", "\t")


def _tool_call(directive: Directive, call_id: str) -> StreamToolCall:
    verb, rest = directive.verb, directive.rest
    if verb == "read":
        return StreamToolCall(call_id, "read_file", {"path": rest})
    if verb == "write":
        path, _, content = rest.partition(" ")
        return StreamToolCall(call_id, "write_file", {"path": path, "content": _unescape(content)})
    if verb == "edit":
        path, _, change = rest.partition(" ")
        old, _, new = change.partition(" => ")
        return StreamToolCall(
            call_id,
            "edit_file",
            {"path": path, "edits": [{"old": _unescape(old), "new": _unescape(new)}]},
        )
    if verb == "run":
        return StreamToolCall(call_id, "run_command", {"command": rest})
    if verb == "plan":
        entries = [e.strip() for e in rest.split(";") if e.strip()]
        plan = [
            {"content": e, "status": "in_progress" if i == 0 else "pending"}
            for i, e in enumerate(entries)
        ]
        return StreamToolCall(call_id, "update_plan", {"entries": plan})
    # mcp SERVER TOOL JSON
    try:
        server, tool, raw = ([*rest.split(" ", 2), "", ""])[:3]
        arguments = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError:
        return StreamToolCall(call_id, f"mcp__{server}__{tool}", None, raw_arguments=raw)
    if not isinstance(arguments, dict):
        return StreamToolCall(call_id, f"mcp__{server}__{tool}", None, raw_arguments=raw)
    return StreamToolCall(call_id, f"mcp__{server}__{tool}", arguments)


def _estimate(request: ModelRequest) -> int:
    size = len(request.system) + sum(len(json.dumps(m)) for m in request.messages)
    return size // 4 + 1


__all__ = ["SUMMARY_REQUEST_MARKER", "ScriptedProvider", "parse_directives"]
