"""`acp-conformance`: an installable conformance kit for any ACP agent."""

from editor_clients.conformance.requirements import REQUIREMENTS, Requirement
from editor_clients.conformance.runner import Outcome, run_kit, verdict

__all__ = ["REQUIREMENTS", "Outcome", "Requirement", "run_kit", "verdict"]
