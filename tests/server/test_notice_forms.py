"""Each agent event that is not model output has a form for every client:
the schema's update with the opt-in, a stand-in notice, or live text; every
form the agent may send is valid against the vendored schema."""

from __future__ import annotations

import pytest

from acp_server.notices import pick, surface
from acp_server.opt_ins import SessionOptIns, allows, session_opt_ins
from agent import events as ev
from tests.support.schema_validation import validate_against

NEITHER = SessionOptIns()
NOTICES = SessionOptIns(notices=True)
COMPACTION = SessionOptIns(compaction=True)
BOTH = SessionOptIns(notices=True, compaction=True)

EVENTS: list[ev.Event] = [
    ev.RetryNotice("openai:gpt-4.1", 2, 1.5, "429 rate limited"),
    ev.FallbackNotice("openai:gpt-4.1", "ollama:qwen3", "connection refused"),
    ev.ModelRouted("a:big", "a:small", "short prompt"),
    ev.Notice("error", "MCP server docs died\nstderr:\nboom"),
    ev.Notice("warning", "config.yaml: agent.max_turns must be positive"),
    ev.CompactionStarted("c1", automatic=False),
    ev.CompactionSummaryDelta("c1", "We fixed the parser."),
    ev.Compacted(12, 3, 9000, 1200, "We fixed the parser.", "c1"),
    ev.CompactionFailed("c2", "the model call failed"),
    ev.CompactionFailed("c3", "", cancelled=True),
]


@pytest.mark.parametrize("opt_ins", [NEITHER, NOTICES, COMPACTION, BOTH], ids=str)
@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_what_a_client_is_sent_is_valid_and_only_what_it_opted_in_to(
    event: ev.Event, opt_ins: SessionOptIns
) -> None:
    surfaced = surface(event)
    assert surfaced is not None
    update = pick(surfaced, opt_ins)
    if update is None:
        return
    assert allows(opt_ins, update["sessionUpdate"])
    validate_against("SessionNotification", {"sessionId": "s", "update": update})


def test_a_client_without_opt_ins_gets_visible_text_that_is_never_stored() -> None:
    surfaced = surface(ev.RetryNotice("m", 1, 2.0, "overloaded"))
    assert surfaced is not None and not surfaced.stored
    update = pick(surfaced, NEITHER)
    assert update is not None and update["sessionUpdate"] == "agent_message_chunk"


def test_a_compaction_is_stored_as_its_update_and_shown_as_a_notice_without_compaction() -> None:
    surfaced = surface(ev.Compacted(12, 3, 9000, 1200, "summary", "c1"))
    assert surfaced is not None and surfaced.stored
    assert surfaced.update["sessionUpdate"] == "compaction_update"
    assert surfaced.update["status"] == "completed"
    shown = pick(surfaced, NOTICES)
    assert shown is not None and shown["sessionUpdate"] == "notice"


def test_a_notice_title_is_its_first_line_and_the_rest_its_description() -> None:
    surfaced = surface(ev.Notice("error", "MCP server docs died\nstderr:\nboom"))
    assert surfaced is not None
    assert surfaced.update["title"] == "MCP server docs died"
    assert surfaced.update["description"] == "stderr:\nboom"
    assert surfaced.update["severity"] == "error"


@pytest.mark.parametrize(
    ("caps", "expected"),
    [
        ({"session": {"notices": {}, "compaction": {}}}, BOTH),
        ({"session": {"notices": {}}}, NOTICES),
        ({"session": {"compaction": {"_meta": {"x": 1}}}}, COMPACTION),
        ({"session": {"notices": True, "compaction": None}}, NEITHER),
        ({"session": None}, NEITHER),
        ({"session": []}, NEITHER),
        ({}, NEITHER),
        (None, NEITHER),
        ("caps", NEITHER),
    ],
)
def test_opt_ins_count_only_as_objects_as_the_schema_says(caps: object, expected: object) -> None:
    assert session_opt_ins(caps) == expected
