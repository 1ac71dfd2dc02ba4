"""The ACP v1 wire types: `from protocol import schema as acp; acp.InitializeRequest`.

Generated from the vendored official schema (see `protocol/codegen.py`) into
two modules, and loaded by name on first use: the types a `session/new`
request needs come from a small module, everything else from the large one,
so a process's first session does not pay for ~180 type definitions. Every
name is the same object whichever way it is reached (the large module
re-exports the small one's), and `__all__` lists the whole schema.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from protocol._generated import *  # noqa: F403
    from protocol._generated import __all__ as __all__

_SMALL = "protocol._generated_new_session"
_WHOLE = "protocol._generated"


def __getattr__(name: str) -> object:
    if name.startswith("__") and name != "__all__":
        # a probe (`__path__`, `__wrapped__`...) must not load the schema
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    small = importlib.import_module(_SMALL)
    found = small if name in small.__all__ else importlib.import_module(_WHOLE)
    try:
        value = getattr(found, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *importlib.import_module(_WHOLE).__all__})
