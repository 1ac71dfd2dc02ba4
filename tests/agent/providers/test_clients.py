"""The provider client cache: one client per event loop and key, one SSL
context per process (see agent/providers/clients.py)."""

from __future__ import annotations

import asyncio
import ssl

from agent.providers.clients import prewarm, shared_client, ssl_context


class Built:
    """A stand-in SDK client: counts how often the cache builds one."""

    count = 0

    def __init__(self) -> None:
        Built.count += 1


async def lookup(key: object) -> Built:
    return shared_client(("test", key), Built)


def test_the_same_key_on_the_same_event_loop_gets_the_same_client() -> None:
    async def main() -> None:
        first, again, other = await lookup("a"), await lookup("a"), await lookup("b")
        assert first is again
        assert other is not first

    asyncio.run(main())


def test_a_new_event_loop_never_reuses_a_closed_loops_client() -> None:
    first = asyncio.run(lookup("loop"))
    second = asyncio.run(lookup("loop"))
    assert second is not first


def test_outside_an_event_loop_each_lookup_builds_a_client() -> None:
    before = Built.count
    assert shared_client(("test", "sync"), Built) is not shared_client(("test", "sync"), Built)
    assert Built.count == before + 2


def test_prewarm_builds_the_one_shared_ssl_context_off_the_calling_thread() -> None:
    thread = prewarm()
    if thread is not None:
        thread.join(timeout=30)
        assert not thread.is_alive()
    context = ssl_context()
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert ssl_context() is context
    assert prewarm() is None
