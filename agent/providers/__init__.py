"""Model backends. Each SDK is imported only when its provider is first used."""
