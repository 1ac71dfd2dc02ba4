"""What a session's first prompt loads before its reply, in a fresh
interpreter: the prompt's conversion and the turn's cross-process claim do
not bring urllib.parse (with ipaddress) or hashlib (with OpenSSL) along, and
the claim's lock byte is the one every earlier version computed."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from acp_server.prompt_content import file_uri_path
from acp_server.store.turnlock import lock_offset

PROBE = """
import json, sys
from acp_server.prompt_content import to_prompt_parts
from acp_server.store.turnlock import lock_offset
lock_offset("sess_0123456789abcdef0123456789abcdef")
print(json.dumps(sorted(sys.modules)))
"""


def test_the_first_prompts_conversion_and_claim_load_neither_urllib_nor_hashlib() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, check=True, text=True)
    loaded = set(json.loads(out.stdout))
    assert "acp_server.prompt_content" in loaded
    assert [m for m in ("urllib.parse", "ipaddress", "hashlib", "_hashlib") if m in loaded] == []


def test_the_lock_byte_is_hashlibs_blake2b_of_the_id() -> None:
    # Two versions of acp-server sharing a home must pick the same byte.
    for session_id in ("sess_0123456789abcdef0123456789abcdef", "x", "séance-\u2603", ""):
        expected = hashlib.blake2b(session_id.encode(), digest_size=6).digest()
        assert lock_offset(session_id) == int.from_bytes(expected, "big")


def test_file_links_still_resolve_once_urllib_loads_on_demand() -> None:
    assert file_uri_path("file:///tmp/a%20b.txt") == "/tmp/a b.txt"
    assert file_uri_path("https://example.org/x") is None
    assert file_uri_path("file:///C:/x") is None
