"""`protocol.schema` loads the generated types by name: the small module for
what `session/new` needs, the large one for everything else, each name one
object whichever way it is reached. Checked in fresh interpreters, since this
test process has long loaded both."""

from __future__ import annotations

import json
import subprocess
import sys

import msgspec

import protocol
from protocol import _generated, _generated_new_session, methods, schema

SMALL, WHOLE = "protocol._generated_new_session", "protocol._generated"


def loaded_after(code: str) -> dict[str, bool]:
    """Which generated modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {[SMALL, WHOLE]!r}}}))"
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, timeout=60
    )
    return dict(json.loads(out.stdout.splitlines()[-1]))


def test_decoding_session_new_loads_only_the_small_generated_module() -> None:
    code = """
from protocol import convert
from protocol.methods import params_type
request = convert(
    {"cwd": "/w", "mcpServers": [{"name": "m", "command": "c", "args": [], "env": []}],
     "systemPrompt": {"mode": "append", "content": [{"type": "text", "text": "t"}]}},
    params_type("session/new"),
)
assert request.mcp_servers[0].command == "c" and request.system_prompt.content[0].text == "t"
"""
    assert loaded_after(code) == {SMALL: True, WHOLE: False}


def test_importing_the_protocol_and_its_faces_loads_no_generated_module() -> None:
    code = "import protocol, protocol.schema, protocol.methods"
    assert loaded_after(code) == {SMALL: False, WHOLE: False}


def test_a_name_outside_the_small_module_loads_the_whole_schema() -> None:
    assert loaded_after("from protocol.schema import PromptRequest") == {SMALL: True, WHOLE: True}


def test_every_schema_name_is_the_same_object_from_the_face_and_the_whole_module() -> None:
    assert sorted(schema.__all__) == sorted(_generated.__all__)
    for name in _generated.__all__:
        assert getattr(schema, name) is getattr(_generated, name), name
    assert set(_generated_new_session.__all__) < set(_generated.__all__)


def test_the_small_module_defines_every_type_its_structs_name() -> None:
    """Its Structs resolve their annotations in their own module, so a missing
    name would fail the first decode, not the import."""
    for name in _generated_new_session.__all__:
        value = getattr(_generated_new_session, name)
        if isinstance(value, type) and issubclass(value, msgspec.Struct):
            assert value.__module__ == SMALL, name
            msgspec.json.schema(value)  # resolves every annotation or raises


def test_params_type_agrees_with_the_method_table_for_every_agent_method() -> None:
    for method, (params, _result) in protocol.AGENT_METHODS.items():
        assert methods.params_type(method) is params, method


def test_an_unknown_schema_name_is_an_attribute_error() -> None:
    assert not hasattr(schema, "NoSuchType") and not hasattr(methods, "NO_SUCH_TABLE")
