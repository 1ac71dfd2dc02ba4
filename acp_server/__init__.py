"""acp-server: an Agent Client Protocol agent for code editors."""

__version__ = "0.1.0"
__all__ = ["__version__"]
