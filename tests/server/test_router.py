"""The method table against the vendored schema and protocol/methods.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import protocol
from acp_server.server.router import METHODS, NOT_SUPPORTED
from protocol import ErrorCode, RpcError
from tests.server.harness import connect

SCHEMA = Path(protocol.__file__).parent / "schema"


def _agent_methods(meta: str) -> set[str]:
    return set(json.loads((SCHEMA / meta).read_text())["agentMethods"].values())


def test_every_agent_method_of_the_schema_is_routed_or_explicitly_not_supported() -> None:
    routed = {m.name for m in METHODS}
    schema = _agent_methods("meta.json") | _agent_methods("meta.unstable.json")
    assert not schema - routed - NOT_SUPPORTED
    assert not routed & NOT_SUPPORTED


def test_every_typed_route_decodes_into_the_type_protocol_methods_gives() -> None:
    typed = {m.name for m in METHODS if not m.raw}
    assert typed <= set(protocol.AGENT_METHODS)
    notifications = {m.name for m in METHODS if m.notification}
    assert all(protocol.AGENT_METHODS[n][1] is None for n in notifications)


@pytest.mark.parametrize("method", sorted(NOT_SUPPORTED))
async def test_an_unsupported_schema_method_is_answered_method_not_found(
    tmp_path: Path, method: str
) -> None:
    async with connect(tmp_path / "home") as (editor, _):
        await editor.initialize()
        with pytest.raises(RpcError) as caught:
            await editor.call(method, {})
    assert caught.value.code == ErrorCode.METHOD_NOT_FOUND
