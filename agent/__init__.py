"""The LLM turn engine. It knows no ACP; hosts adapt it through `agent.ports`."""
