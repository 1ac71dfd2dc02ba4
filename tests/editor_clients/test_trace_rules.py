"""The tracer's causal and turn-lifecycle rules, on hand-written transcripts."""

from __future__ import annotations

import json
from typing import Any

from editor_clients.trace import TraceChecker

SESSION = "s1"


def _feed(frames: list[tuple[str, dict[str, Any]]]) -> set[str]:
    checker = TraceChecker()
    rules: set[str] = set()
    for sender, frame in frames:
        for rule, _ in checker.check(sender, json.dumps({"jsonrpc": "2.0", **frame}).encode()):
            rules.add(rule)
    return rules


def _opened_and_prompting() -> list[tuple[str, dict[str, Any]]]:
    caps = {"fs": {"readTextFile": True, "writeTextFile": True}, "terminal": True}
    return [
        (
            "client",
            {
                "id": 0,
                "method": "initialize",
                "params": {"protocolVersion": 1, "clientCapabilities": caps},
            },
        ),
        ("agent", {"id": 0, "result": {"protocolVersion": 1}}),
        ("client", {"id": 1, "method": "session/new", "params": {"cwd": "/w", "mcpServers": []}}),
        ("agent", {"id": 1, "result": {"sessionId": SESSION}}),
        (
            "client",
            {
                "id": 2,
                "method": "session/prompt",
                "params": {"sessionId": SESSION, "prompt": [{"type": "text", "text": "hi"}]},
            },
        ),
    ]


def _update(update: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return (
        "agent",
        {"method": "session/update", "params": {"sessionId": SESSION, "update": update}},
    )


ANNOUNCE = _update({"sessionUpdate": "tool_call", "toolCallId": "c1", "title": "Run"})
FINISH = _update({"sessionUpdate": "tool_call_update", "toolCallId": "c1", "status": "completed"})
ASK = (
    "agent",
    {
        "id": 7,
        "method": "session/request_permission",
        "params": {
            "sessionId": SESSION,
            "toolCall": {"toolCallId": "c1"},
            "options": [{"optionId": "a", "name": "Allow", "kind": "allow_once"}],
        },
    },
)
READ = (
    "agent",
    {
        "id": 8,
        "method": "fs/read_text_file",
        "params": {"sessionId": SESSION, "path": "/w/f", "_meta": {"toolCallId": "c1"}},
    },
)
ANSWER = ("agent", {"id": 2, "result": {"stopReason": "end_turn"}})


def test_a_causal_transcript_breaks_no_rule() -> None:
    assert _feed([*_opened_and_prompting(), ANNOUNCE, ASK, READ, FINISH, ANSWER]) == set()


def test_a_permission_request_before_its_tool_call_breaks_causal_order() -> None:
    assert "request-before-tool-call" in _feed([*_opened_and_prompting(), ASK, ANNOUNCE, FINISH])


def test_a_file_read_for_a_call_before_its_tool_call_breaks_causal_order() -> None:
    assert "request-before-tool-call" in _feed([*_opened_and_prompting(), READ, ANNOUNCE, FINISH])


def test_an_update_before_its_tool_call_is_reported() -> None:
    assert "update-before-tool-call" in _feed([*_opened_and_prompting(), FINISH])


def test_a_request_for_a_tool_call_after_the_prompt_response_is_reported() -> None:
    rules = _feed([*_opened_and_prompting(), ANNOUNCE, FINISH, ANSWER, READ])
    assert "request-after-prompt-response" in rules


def test_turn_content_after_the_prompt_response_is_reported() -> None:
    rules = _feed([*_opened_and_prompting(), ANNOUNCE, FINISH, ANSWER, FINISH])
    assert "update-after-prompt-response" in rules
