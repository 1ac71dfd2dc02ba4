"""`acp-conformance`: an installable conformance kit for any ACP agent."""

from editor_clients.conformance.model import Outcome, Requirement, verdict
from editor_clients.conformance.probe import AgentSpec
from editor_clients.conformance.requirements import REQUIREMENTS
from editor_clients.conformance.runner import Report, run_kit

__all__ = ["REQUIREMENTS", "AgentSpec", "Outcome", "Report", "Requirement", "run_kit", "verdict"]
