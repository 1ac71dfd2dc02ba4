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
import os

from agent.providers.base import ProviderSdkMissing

#: provider kind -> the distribution that provides its SDK (with its extra)
SDK_PACKAGES: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "bedrock": "anthropic[bedrock]",
    "vertex": "anthropic[vertex]",
}
#: provider kind -> the top-level modules that must be importable
SDK_MODULES: dict[str, tuple[str, ...]] = {
    "openai": ("openai",),
    "anthropic": ("anthropic",),
    "bedrock": ("anthropic", "boto3", "botocore"),
    "vertex": ("anthropic", "google.auth"),
}
# Packages found once are not looked up again: a lookup walks sys.path (~0.19 ms,
# a third of a session/new reply). A missing one is looked up each time, so
# installing it needs no restart.
_found: set[str] = set()


def install_hint(package: str) -> str:
    quoted = f"'{package}'" if "[" in package else package
    return f"install it into the environment acp-server runs in: `pip install {quoted}`"


def missing_sdk(kind: str, model_id: str) -> ProviderSdkMissing:
    package = SDK_PACKAGES.get(kind, kind)
    return ProviderSdkMissing(
        f"model {model_id!r} needs the {package!r} Python package, which is not installed",
        install_hint(package),
    )


def require_sdk(kind: str, model_id: str) -> None:
    """Raise ProviderSdkMissing unless the SDK for provider `kind` can be found."""
    for module in SDK_MODULES.get(kind, ()):  # the scripted model needs nothing
        if module not in _found:
            if not _findable(module):
                raise missing_sdk(kind, model_id)
            _found.add(module)


def _findable(module: str) -> bool:
    head, _, sub = module.partition(".")
    try:
        spec = importlib.util.find_spec(head)
    except (ImportError, ValueError):
        # A finder that refuses the name, or a half-removed package whose
        # module has no spec: either way `import` would fail.
        return False
    if spec is None or not sub:
        return spec is not None
    # "google" is a namespace shared by several distributions: look for the
    # subpackage's folder rather than import the namespace to ask.
    return any(os.path.isdir(os.path.join(p, sub)) for p in spec.submodule_search_locations or ())


__all__ = ["SDK_MODULES", "SDK_PACKAGES", "install_hint", "missing_sdk", "require_sdk"]
