"""Each package's `__all__` names exactly its public surface.

As httpx checks its own: every name in `__all__` resolves (also the ones a
package loads on first use), and every public name a package's namespace
holds is in `__all__`. Submodules, `from __future__` features and the typing
helpers an `__init__` imports for itself are not surface.
"""

from __future__ import annotations
import __future__

import importlib
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = sorted(
    ".".join(path.parent.relative_to(ROOT).parts)
    for top in ("protocol", "agent", "acp_server", "editor_clients")
    for path in (ROOT / top).rglob("__init__.py")
)
_HELPERS = {"TYPE_CHECKING"}  # `from typing import TYPE_CHECKING`: a plain bool


def _is_surface(name: str, value: object) -> bool:
    if name.startswith("_") or name in _HELPERS:
        return False
    if isinstance(value, (types.ModuleType, __future__._Feature)):
        return False
    return getattr(value, "__module__", None) not in ("typing", "collections.abc")


def test_every_package_of_the_four_is_checked() -> None:
    assert {"protocol", "agent", "agent.tools", "acp_server.server", "editor_clients"} <= set(
        PACKAGES
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_the_package_all_names_exactly_its_public_names(package: str) -> None:
    module = importlib.import_module(package)
    exported = module.__all__
    assert len(set(exported)) == len(exported), f"{package}.__all__ repeats a name"
    for name in exported:
        assert hasattr(module, name), f"{package}.{name} is in __all__ but does not import"
    public = {name for name, value in vars(module).items() if _is_surface(name, value)}
    assert public <= set(exported), f"{package} has public names missing from __all__"


def test_the_client_connection_imports_from_the_top_of_editor_clients() -> None:
    from editor_clients import ClientConnection
    from editor_clients.client.connection import ClientConnection as defined

    assert ClientConnection is defined
