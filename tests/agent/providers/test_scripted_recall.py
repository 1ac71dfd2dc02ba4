"""The scripted model's `recall`: it says which prompts its request carried."""

from __future__ import annotations

from agent.providers.base import ModelRequest, StreamText
from agent.providers.scripted import ScriptedProvider


async def _said(messages: list[dict[str, object]]) -> str:
    request = ModelRequest(model="scripted", system="", messages=messages)
    said = [e.text async for e in ScriptedProvider().stream(request) if isinstance(e, StreamText)]
    return "".join(said)


async def test_recall_names_the_first_line_of_each_earlier_prompt_in_the_request() -> None:
    messages: list[dict[str, object]] = [
        {"role": "user", "content": [{"type": "text", "text": "first\nmore"}]},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": [{"type": "text", "text": "second"}]},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": [{"type": "text", "text": "recall"}]},
    ]
    assert await _said(messages) == "recalled: first | second"
    assert await _said(messages[-1:]) == "recalled nothing"
