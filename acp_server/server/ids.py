"""Session ids: unique within a process, random across processes, and
different from the first characters on.

`acp-server sessions show ID` accepts any unique prefix, so ids minted one
after the other must not share a long common head. A counter gives uniqueness
without a getrandom() call per session; a fixed bijection of 64-bit integers
(the splitmix64 finaliser) scrambles it, so consecutive counters land far
apart while distinct counters still give distinct ids. A per-process random
offset and tail keep two processes sharing a store from minting the same id.
Session ids name sessions; they grant nothing, so they need not be
unpredictable.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable

_MASK = (1 << 64) - 1


def scramble(value: int) -> int:
    """A bijection of 64-bit integers (each step is invertible: an odd
    multiplier mod 2**64 and an xor with a right shift)."""
    value &= _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def session_id_source(seed: bytes | None = None) -> Callable[[], str]:
    """A function returning a new `sess_` id at each call: 32 hex digits, the
    scrambled counter first, the process's random tail last."""
    seed = seed if seed is not None else os.urandom(16)
    offset = int.from_bytes(seed[:8], "big")
    tail = seed[8:16].hex()
    counter = itertools.count(1)

    def next_id() -> str:
        return f"sess_{scramble(offset + next(counter)):016x}{tail}"

    return next_id


__all__ = ["scramble", "session_id_source"]
