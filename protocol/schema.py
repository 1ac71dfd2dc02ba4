"""The ACP v1 wire types: `from protocol import schema as acp; acp.InitializeRequest`.

Generated from the vendored official schema (see `protocol/codegen.py`).
"""

from protocol._generated import *  # noqa: F403
from protocol._generated import __all__ as __all__
