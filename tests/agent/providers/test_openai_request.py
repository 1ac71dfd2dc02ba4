"""The OpenAI-compatible provider sends its request without `create()`'s walk
of the body against the SDK's parameter types (it cost milliseconds before
the request left, hundreds of them for a long history). What reaches the
server must be exactly what `create()` would have sent for the same body."""

from __future__ import annotations

import openai

from agent.providers import ModelRequest, ProviderConfig, StreamText, ToolSchema, open_model
from tests.support.fake_provider import FakeProvider, openai_stream

HISTORY = [
    {"role": "user", "content": [{"type": "text", "text": "look at this"}]},
    {
        "role": "user",
        "content": [
            {"type": "image", "mime_type": "image/png", "data": "iVBORw0KGgo="},
            {"type": "text", "text": "and this"},
        ],
    },
    {
        "role": "assistant",
        "content": "reading it",
        "tool_calls": [{"id": "c1", "name": "read_file", "arguments": {"path": "a.py"}}],
    },
    {"role": "tool", "tool_call_id": "c1", "content": "print('hi')"},
    {"role": "assistant", "content": "it prints hi"},
    {"role": "user", "content": [{"type": "text", "text": "and now?"}]},
]
TOOLS = [
    ToolSchema(
        "read_file",
        "Read a file",
        {
            "type": "object",
            "properties": {"path": {"type": "string"}, "lines": {"type": "array"}},
            "required": ["path"],
        },
    )
]


async def test_the_body_sent_is_the_one_the_sdks_create_sends_and_the_answer_parses_alike() -> None:
    async with FakeProvider() as fake:
        fake.enqueue(openai_stream(text="the answer"), openai_stream(text="the answer"))
        providers = {"openai": ProviderConfig(base_url=fake.base_url + "/v1", api_key="sk-test")}
        client = open_model("openai:gpt-4.1", providers)
        request = ModelRequest(
            model="",
            system="be brief",
            messages=HISTORY,  # type: ignore[arg-type]
            tools=TOOLS,
            thought_level="high",
        )
        ours = [e async for e in client.stream(request)]
        sent = fake.requests[0]
        direct = openai.AsyncOpenAI(
            api_key="sk-test", base_url=fake.base_url + "/v1", max_retries=0
        )
        texts = []
        async for chunk in await direct.chat.completions.create(**sent.body):
            texts += [c.delta.content for c in chunk.choices if c.delta.content]
        await direct.close()
        replayed = fake.requests[1]
    assert sent.path == replayed.path == "/v1/chat/completions"
    assert sent.body == replayed.body
    assert sent.body["reasoning_effort"] == "high" and sent.body["stream"] is True
    assert sent.headers["content-type"] == replayed.headers["content-type"]
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert "".join(e.text for e in ours if isinstance(e, StreamText)) == "".join(texts)
