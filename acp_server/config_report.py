"""A configuration the server could not use, told to the editor.

When config.yaml (or a setting from the environment or the command line) is
refused, the server runs on what it can use: the defaults plus the flags and
environment when only the file is at fault. It never does so silently:

- the first session opened after the problem was found reports it: as an
  error `notice` right after the session response when the client opted in
  to `session.notices`, otherwise as the error of that session's first prompt
  (-32000, `data.kind: "configuration"`, `data.file`), once;
- in every session, a prompt that fails because no model is configured says
  that the configuration was refused instead of "no model is configured".

`ConfigProblem` is what the setup found; `ConfigReport` is what one session
still owes its user about it.
"""

from __future__ import annotations

from typing import NamedTuple

from agent import events as ev
from protocol import ErrorCode, RpcError


class ConfigProblem(NamedTuple):
    message: str  # the loader's message: it names the key, the file and the line
    file: str | None  # the file at fault, when it is one


def problem_notice(problem: ConfigProblem) -> ev.Notice:
    what = problem.file or "The configuration"
    return ev.Notice(
        "error",
        f"{what} was not used: it has an error\n{problem.message}\n"
        "Until it is fixed the server runs on its defaults and the command-line flags.",
    )


def problem_error(problem: ConfigProblem) -> RpcError:
    data: dict[str, object] = {
        "kind": "configuration",
        "fix": f"correct {problem.file or 'the setting named'}; the next session reads it again",
    }
    if problem.file:
        data["file"] = problem.file
    return RpcError(ErrorCode.AUTH_REQUIRED, f"configuration error: {problem.message}", data)


class ConfigReport:
    def __init__(
        self, problem: ConfigProblem | None = None, *, first: bool = False, notices: bool = False
    ) -> None:
        self.problem = problem
        self._notice_owed = problem is not None and first and notices
        self._error_owed = problem is not None and first and not notices

    def take_notice(self) -> ev.Notice | None:
        """The notice for a client with `session.notices`, once."""
        if not self._notice_owed or self.problem is None:
            return None
        self._notice_owed = False
        return problem_notice(self.problem)

    def check_prompt(self) -> None:
        """Raise the problem as this prompt's error, once, for a client
        without notices."""
        if self._error_owed and self.problem is not None:
            self._error_owed = False
            raise problem_error(self.problem)

    def no_model(self, message: str) -> RpcError:
        """The error for a prompt with no usable model."""
        if self.problem is not None:
            return problem_error(self.problem)
        return RpcError.auth_required(message)


__all__ = ["ConfigProblem", "ConfigReport", "problem_error", "problem_notice"]
