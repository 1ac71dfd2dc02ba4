"""Is a provider's SDK installed? Answered without importing it.

A model is usable only if the SDK its provider speaks through can be imported.
That is checked when the model is chosen (a session opens, a model is set, the
doctor runs), so a missing package is a configuration error with the install
command, not a `ModuleNotFoundError` in the middle of a turn. The check looks
for the package (`importlib.util.find_spec`) rather than importing it: an SDK
import costs 0.2-1 s, which a session/new reply must not pay.
"""

from __future__ import annotations

import importlib.util

from agent.providers.base import ProviderSdkMissing

#: provider kind -> the distribution that provides its SDK
SDK_PACKAGES: dict[str, str] = {"openai": "openai", "anthropic": "anthropic"}
# Packages found once are not looked up again: a lookup walks sys.path (~0.19 ms,
# a third of a session/new reply). A missing one is looked up each time, so
# installing it needs no restart.
_found: set[str] = set()


def install_hint(package: str) -> str:
    return f"install it into the environment acp-server runs in: `pip install {package}`"


def missing_sdk(kind: str, model_id: str) -> ProviderSdkMissing:
    package = SDK_PACKAGES.get(kind, kind)
    return ProviderSdkMissing(
        f"model {model_id!r} needs the {package!r} Python package, which is not installed",
        install_hint(package),
    )


def require_sdk(kind: str, model_id: str) -> None:
    """Raise ProviderSdkMissing unless the SDK for provider `kind` can be found."""
    package = SDK_PACKAGES.get(kind)
    if package is None or package in _found:  # the scripted model needs nothing
        return
    try:
        found = importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        # A finder that refuses the name, or a half-removed package whose
        # module has no spec: either way `import` would fail.
        found = False
    if not found:
        raise missing_sdk(kind, model_id)
    _found.add(package)


__all__ = ["SDK_PACKAGES", "install_hint", "missing_sdk", "require_sdk"]
