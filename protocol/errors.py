"""The JSON-RPC error family: one exception type, carrying code, message and data.

Our handlers raise `RpcError` to answer with an error; the endpoint is the only
place that turns exceptions into wire replies. Tracebacks never go into `data`.
"""

from __future__ import annotations

from enum import IntEnum


class ErrorCode(IntEnum):
    PARSE_ERROR = -32700
    INVALID_REQUEST = -32600
    METHOD_NOT_FOUND = -32601
    INVALID_PARAMS = -32602
    INTERNAL_ERROR = -32603
    REQUEST_CANCELLED = -32800
    AUTH_REQUIRED = -32000
    RESOURCE_NOT_FOUND = -32002


class RpcError(Exception):
    """An error reply, raised by handlers or received from the peer."""

    def __init__(self, code: int, message: str, data: object = None) -> None:
        super().__init__(message)
        self.code = int(code)
        self.message = message
        self.data = data

    def __repr__(self) -> str:
        return f"RpcError({self.code}, {self.message!r})"

    def to_wire(self) -> dict[str, object]:
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error

    @classmethod
    def from_wire(cls, error: object) -> RpcError:
        if not isinstance(error, dict):
            return cls(ErrorCode.INTERNAL_ERROR, f"malformed error object: {error!r}")
        code = error.get("code")
        message = error.get("message")
        return cls(
            code if isinstance(code, int) else ErrorCode.INTERNAL_ERROR,
            message if isinstance(message, str) else "error without a message",
            error.get("data"),
        )

    @classmethod
    def parse_error(cls, detail: str = "") -> RpcError:
        return cls(ErrorCode.PARSE_ERROR, "Parse error" + (f": {detail}" if detail else ""))

    @classmethod
    def invalid_request(cls, detail: str = "") -> RpcError:
        return cls(ErrorCode.INVALID_REQUEST, "Invalid request" + (f": {detail}" if detail else ""))

    @classmethod
    def frame_too_large(cls, limit: int) -> RpcError:
        return cls(ErrorCode.INVALID_REQUEST, f"Invalid request: frame exceeds {limit} bytes")

    @classmethod
    def too_deep(cls, limit: int) -> RpcError:
        return cls(
            ErrorCode.INVALID_REQUEST,
            f"Invalid request: arrays and objects nested deeper than {limit} levels",
        )

    @classmethod
    def method_not_found(cls, method: str) -> RpcError:
        return cls(ErrorCode.METHOD_NOT_FOUND, f"Method not found: {method}", {"method": method})

    @classmethod
    def invalid_params(cls, detail: str) -> RpcError:
        return cls(ErrorCode.INVALID_PARAMS, f"Invalid params: {detail}")

    @classmethod
    def internal_error(cls, detail: str = "") -> RpcError:
        return cls(ErrorCode.INTERNAL_ERROR, "Internal error" + (f": {detail}" if detail else ""))

    @classmethod
    def request_cancelled(cls) -> RpcError:
        return cls(ErrorCode.REQUEST_CANCELLED, "Request cancelled")

    @classmethod
    def auth_required(cls, message: str = "Authentication required") -> RpcError:
        return cls(ErrorCode.AUTH_REQUIRED, message)

    @classmethod
    def resource_not_found(cls, uri: str) -> RpcError:
        return cls(ErrorCode.RESOURCE_NOT_FOUND, f"Resource not found: {uri}", {"uri": uri})
