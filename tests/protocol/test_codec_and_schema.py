from __future__ import annotations

import msgspec
import pytest

import protocol
from protocol import ErrorCode, RpcError, convert, encode_frame, schema, to_builtins
from protocol.codegen import OUTPUT, generate
from tests.support.schema_validation import validate_against


def test_generated_types_match_the_vendored_schema() -> None:
    for path, text in generate().items():
        assert path.read_text() == text, (
            f"{path.name}: run `python -m protocol.codegen` and commit the result"
        )


def test_public_surface_lists_only_existing_public_names() -> None:
    for name in protocol.__all__:
        assert not name.startswith("_") and hasattr(protocol, name), name
    for name in schema.__all__:
        assert hasattr(schema, name), name


def test_unknown_fields_are_ignored_on_decode() -> None:
    request = convert(
        {"cwd": "/w", "mcpServers": [], "surprise": {"x": 1}}, schema.NewSessionRequest
    )
    assert request.cwd == "/w" and request.mcp_servers == []


def test_stdio_mcp_server_without_type_and_env_decodes_as_stdio() -> None:
    request = convert(
        {"cwd": "/w", "mcpServers": [{"name": "fs", "command": "/bin/fs"}]},
        schema.NewSessionRequest,
    )
    server = request.mcp_servers[0]
    assert server.type is None and server.command == "/bin/fs" and server.env is None


def test_non_integer_protocol_version_becomes_one() -> None:
    assert (
        convert({"protocolVersion": "2025-06-01"}, schema.InitializeRequest).protocol_version == 1
    )
    assert convert({"protocolVersion": 2}, schema.InitializeRequest).protocol_version == 2


def test_null_result_decodes_where_schema_says_empty_object() -> None:
    assert isinstance(convert(None, schema.WriteTextFileResponse), schema.WriteTextFileResponse)


def test_wrong_field_type_is_invalid_params_naming_the_field() -> None:
    with pytest.raises(RpcError) as info:
        convert({"sessionId": 3, "prompt": []}, schema.PromptRequest)
    assert info.value.code == ErrorCode.INVALID_PARAMS and "sessionId" in info.value.message


def test_encoding_is_camel_case_and_omits_absent_optionals() -> None:
    call = schema.SessionUpdateToolCall(tool_call_id="t1", title="Read a.py", kind="read")
    assert to_builtins(call) == {
        "sessionUpdate": "tool_call",
        "toolCallId": "t1",
        "title": "Read a.py",
        "kind": "read",
    }
    validate_against("SessionUpdate", to_builtins(call))


def test_meta_round_trips_under_its_wire_name() -> None:
    info = schema.Implementation(name="acp-server", version="1", field_meta={"k": 1})
    assert to_builtins(info)["_meta"] == {"k": 1}
    assert convert(
        {"name": "n", "version": "v", "_meta": {"a": 2}}, schema.Implementation
    ).field_meta == {"a": 2}


def test_frame_never_contains_a_raw_newline() -> None:
    frame = encode_frame({"jsonrpc": "2.0", "method": "m", "params": {"text": "a\nb\r\n\u2028"}})
    assert frame.count(b"\n") == 1 and frame.endswith(b"\n")
    assert msgspec.json.decode(frame)["params"]["text"] == "a\nb\r\n\u2028"


def test_tagged_unions_decode_to_their_variant() -> None:
    update = convert(
        {"sessionId": "s", "update": {"sessionUpdate": "plan", "entries": []}},
        schema.SessionNotification,
    ).update
    assert isinstance(update, schema.SessionUpdatePlan)
    outcome = convert(
        {"outcome": {"outcome": "selected", "optionId": "allow"}}, schema.RequestPermissionResponse
    )
    assert isinstance(outcome.outcome, schema.RequestPermissionOutcomeSelected)


def test_unstable_fork_usage_title_and_system_prompt_are_available() -> None:
    assert convert({"sessionId": "s", "cwd": "/w"}, schema.ForkSessionRequest).session_id == "s"
    response = schema.PromptResponse(
        stop_reason="end_turn", usage=schema.Usage(input_tokens=1, output_tokens=2, total_tokens=3)
    )
    assert to_builtins(response)["usage"]["inputTokens"] == 1
    assert schema.ToolCall(tool_call_id="x", title="t", name="read_file").name == "read_file"


def test_vendored_schema_files_match_their_recorded_checksums() -> None:
    import hashlib
    import re

    folder = OUTPUT.parent / "schema"
    recorded = dict(
        (name, digest)
        for digest, name in re.findall(
            r"^([0-9a-f]{64})  (\S+)$", (folder / "PROVENANCE.md").read_text(), re.M
        )
    )
    assert set(recorded) == {p.name for p in folder.glob("*.json")}
    for name, digest in recorded.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


def test_nothing_removed_upstream_remains_in_generated_code_or_method_tables() -> None:
    from protocol.codegen import REMOVED_UPSTREAM

    names = set(schema.__all__)
    assert not [n for n in names if n.startswith(REMOVED_UPSTREAM)]
    methods = {*protocol.AGENT_METHODS, *protocol.CLIENT_METHODS}
    assert not [m for m in methods if m.startswith(("nes/", "document/", "mcp/connect"))]


def test_refreshed_stable_surfaces_are_generated() -> None:
    notice = convert(
        {
            "sessionId": "s",
            "update": {"sessionUpdate": "notice", "severity": "warning", "title": "t"},
        },
        schema.SessionNotification,
    )
    assert isinstance(notice.update, schema.SessionUpdateNotice)
    caps = convert({"session": {"notices": {}, "compaction": {}}}, schema.ClientCapabilities)
    assert caps.session is not None and caps.session.compaction is not None
    title = convert({"sessionId": "s", "title": "x"}, schema.SetSessionTitleRequest)
    assert title.title == "x"
