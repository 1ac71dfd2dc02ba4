"""The asyncio edge: one bidirectional JSON-RPC 2.0 peer over a byte stream.

Contract:
- every incoming request runs in its own task, so a long `session/prompt`
  never blocks `session/cancel` or another request (a quick, overtaking one
  starts at once and gets a task only if it has to wait);
- notifications are handled one at a time, in arrival order; one read while
  nothing before it is pending runs in the reader's turn (up to its first
  wait), never before a request read ahead of it has started;
- one writer task keeps outgoing order; `notify`/replies wait when its bounded
  queue is full (backpressure); a reply with nothing queued before it is
  written at once;
- every request gets exactly one reply; a notification never gets one;
- this module is the single place where exceptions become error replies;
- `$/cancel_request` works both ways; EOF cancels in-flight handlers, fails
  pending outgoing requests with ConnectionError, flushes, and leaves no tasks.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import itertools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Generator, Mapping, Sequence
from typing import Any, Literal, Never, Protocol, TypeVar, cast, overload

from protocol import jsonrpc
from protocol.codec import convert, encode_frame
from protocol.errors import RpcError
from protocol.framing import DEFAULT_MAX_LINE_BYTES, LineSplitter, OversizedLine, read_head
from protocol.json_types import JsonValue

log = logging.getLogger("protocol")

T = TypeVar("T")
Direction = Literal["in", "out"]
FrameObserver = Callable[[Direction, bytes], None]

#: The id of the incoming request whose handler is running (for log correlation).
current_request_id: contextvars.ContextVar[str | int | None] = contextvars.ContextVar(
    "current_request_id", default=None
)

CANCEL_METHOD = "$/cancel_request"
_READ_CHUNK = 1 << 16
_QUEUE_FRAMES = 4096
#: notify_encoded waits while this many bytes of its batches are queued: the
#: queue's bound counts items, and a batch of replayed history is one item of
#: any size, so a replay to a slow reader queued the whole history (33 MB for
#: 9 MB of stored updates).
_QUEUE_BATCH_BYTES = 1 << 20


class _Batch(bytes):
    """Frames queued by notify_encoded, counted against _QUEUE_BATCH_BYTES."""


class ByteReader(Protocol):
    async def read(self, n: int = -1) -> bytes: ...


class ByteWriter(Protocol):
    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...

    def close(self) -> None: ...


# Plain slotted classes rather than dataclasses: this module loads before
# `initialize` is answered, and each dataclass costs ~1 ms to build.


class Route:
    """A handler and the type its params decode into (None: raw builtins).

    `overtakes`: the reply may go out ahead of notifications already queued
    (say, another session's stream), so a quick request stays quick during a
    long stream. Leave it off where the reply promises to follow notifications,
    as a prompt's reply follows its updates and a load's its replay.
    """

    __slots__ = ("handler", "overtakes", "params")

    def __init__(
        self,
        params: type[object] | None,
        handler: Callable[[Never], Awaitable[object]],
        *,
        overtakes: bool = False,
    ) -> None:
        # `handler` takes one argument of whatever type it declares: the
        # endpoint passes it what `params` decodes into (raw builtins when
        # None), and the one who builds the route makes the two agree.
        self.params = params
        self.handler = handler
        self.overtakes = overtakes


class AfterResponse:
    """A result plus work that must start only once the reply is queued."""

    __slots__ = ("result", "then")

    def __init__(self, result: object, then: Callable[[], Awaitable[None]]) -> None:
        self.result = result
        self.then = then


class Endpoint:
    def __init__(
        self,
        reader: ByteReader,
        writer: ByteWriter,
        *,
        requests: Mapping[str, Route] | None = None,
        notifications: Mapping[str, Route] | None = None,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        observers: Sequence[FrameObserver] = (),
        name: str = "",
    ) -> None:
        self._reader = reader
        self._writer = writer
        self.requests: dict[str, Route] = dict(requests or {})
        self.notifications: dict[str, Route] = dict(notifications or {})
        self._splitter = LineSplitter(max_line_bytes)
        self.observers = list(observers)
        self.name = name
        self._ids = itertools.count(1)
        self._pending: dict[str | int, asyncio.Future[object]] = {}
        self._handlers: dict[str | int, asyncio.Task[None]] = {}
        self._task_ids: dict[asyncio.Task[None], str | int] = {}
        self._cancelled_by_peer: set[str | int] = set()
        self._outbox: asyncio.Queue[bytes | None] = asyncio.Queue(_QUEUE_FRAMES)
        self._overtaking: collections.deque[bytes] = collections.deque()  # written first
        # Notifications that arrived while an earlier one was still being
        # handled, or a handler that had to wait (its task), in arrival order.
        self._inbox: asyncio.Queue[jsonrpc.Notification | asyncio.Task[None] | None] = (
            asyncio.Queue()
        )
        self._inbox_idle = True  # nothing queued there nor running: run the next one at once
        #: requests whose handler task was created but has not started: a
        #: notification read after them must not act before they do (a
        #: `session/cancel` in the same write as its `session/prompt`)
        self._unstarted: set[str | int] = set()
        self._closed = False
        self._writer_parked = False  # the writer waits on an empty queue
        self._heads: dict[str, bytes] = {}  # notify_encoded's frame start, per method
        self._batch_bytes = 0  # of _Batch items queued and not yet written and drained
        self._batch_room = asyncio.Event()
        self._batch_room.set()
        self._writer_gone = False
        self._tasks: set[asyncio.Task[Any]] = set()
        #: Called before any queued bytes reach the writer: a host that must make
        #: durable what it is about to send (write-ahead) does so here, once per
        #: batch of frames rather than once per frame.
        self.before_write: Callable[[], None] | None = None

    # ------------------------------------------------------------ public API

    async def run(self) -> None:
        """Serve until the peer closes the stream, then shut down cleanly."""
        writer_task = asyncio.create_task(self._write_loop(), name=f"{self.name}-writer")
        inbox_task = asyncio.create_task(self._notification_loop(), name=f"{self.name}-inbox")
        try:
            await self._read_loop()
        finally:
            await self._shutdown(writer_task, inbox_task)

    @overload
    async def request(
        self,
        method: str,
        params: object = None,
        *,
        result_type: type[T],
        timeout: float | None = None,
    ) -> T: ...

    @overload
    async def request(
        self,
        method: str,
        params: object = None,
        *,
        result_type: None = None,
        timeout: float | None = None,
    ) -> JsonValue: ...

    async def request(
        self,
        method: str,
        params: object = None,
        *,
        result_type: type[T] | None = None,
        timeout: float | None = None,
    ) -> T | JsonValue:
        """The peer's result, decoded into `result_type` when given (raw
        builtins otherwise); its error raised as RpcError."""
        if self._closed:
            raise ConnectionError(f"connection closed; cannot send {method}")
        request_id = next(self._ids)
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self._send(jsonrpc.request_frame(request_id, method, params))
            result = await asyncio.wait_for(future, timeout)
        except (asyncio.CancelledError, TimeoutError):
            if not future.done() or future.cancelled():
                self._send_nowait(
                    jsonrpc.notification_frame(CANCEL_METHOD, {"requestId": request_id})
                )
            raise
        finally:
            self._pending.pop(request_id, None)
        if result_type is not None:
            return convert(result, result_type)
        return cast("JsonValue", result)  # a reply's result, as the JSON decoder built it

    async def notify(self, method: str, params: object = None) -> None:
        if self._closed:
            raise ConnectionError(f"connection closed; cannot send {method}")
        await self._send(jsonrpc.notification_frame(method, params))

    async def notify_encoded(self, method: str, params: Sequence[bytes]) -> None:
        """Several notifications as one queued write, for params that are already
        compact JSON objects (a session replay re-sends stored bytes): the frames
        `notify` would send, framed by byte concatenation at a tenth of the cost."""
        if self._closed:
            raise ConnectionError(f"connection closed; cannot send {method}")
        if params:
            head = self._heads.get(method)
            if head is None:
                head = encode_frame(jsonrpc.notification_frame(method, None))[:-2] + b',"params":'
                self._heads[method] = head
            if len(params) == 1:
                await self._outbox.put(head + params[0] + b"}\n")
                return
            while self._batch_bytes >= _QUEUE_BATCH_BYTES:
                self._batch_room.clear()
                await self._batch_room.wait()
                if self._closed or self._writer_gone:
                    raise ConnectionError(f"connection closed; cannot send {method}")
            batch = _Batch(b"".join([head + p + b"}\n" for p in params]))
            self._batch_bytes += len(batch)
            await self._outbox.put(batch)

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------ reading

    async def _read_loop(self) -> None:
        while True:
            try:
                chunk = await self._reader.read(_READ_CHUNK)
            except (ConnectionError, OSError) as exc:
                log.info("%s: read failed, closing: %s", self.name, exc)
                return
            if not chunk:
                for item in self._splitter.feed(b"\n"):  # a final line without newline
                    await self._guarded_dispatch(item)
                return
            for item in self._splitter.feed(chunk):
                await self._guarded_dispatch(item)

    async def _guarded_dispatch(self, item: bytes | OversizedLine) -> None:
        """The reader's last guard: a line we fail to classify or route is our
        bug, but it must cost only that line. It is logged and, when it shows
        a request id, answered; the connection reads on."""
        try:
            await self._dispatch(item)
        except Exception:
            log.exception("%s: failed to handle an incoming line", self.name)
            if isinstance(item, bytes):
                kind, request_id = read_head(item, item)
                message = jsonrpc.unreadable(
                    kind, request_id, RpcError.internal_error("the agent could not read this frame")
                )
                if isinstance(message, jsonrpc.Invalid) and message.reply is not None:
                    self._send_nowait(jsonrpc.error_frame(message.reply_id, message.reply))

    async def _dispatch(self, item: bytes | OversizedLine) -> None:
        if isinstance(item, OversizedLine):
            log.warning("%s: discarded a %d-byte line over the frame limit", self.name, item.size)
            message = jsonrpc.classify_oversized(item, self._splitter.max_line_bytes)
        else:
            self._observe("in", item)
            message = jsonrpc.classify(item)
        if isinstance(message, jsonrpc.Request):
            self._start_handler(message)
        elif isinstance(message, jsonrpc.Notification):
            self._on_notification(message)
        elif isinstance(message, (jsonrpc.Response, jsonrpc.ErrorResponse)):
            self._on_reply(message)
        else:
            log.info("%s: invalid frame: %s", self.name, message.reason)
            if message.reply is not None:
                await self._send(jsonrpc.error_frame(message.reply_id, message.reply))

    def _on_notification(self, message: jsonrpc.Notification) -> None:
        if message.method == CANCEL_METHOD:
            params = message.params if isinstance(message.params, dict) else {}
            request_id = params.get("requestId")
            if not jsonrpc.valid_id(request_id):
                # A bad notification is ignored (JSON-RPC); a list or object id
                # would not even be hashable.
                log.info("%s: ignored %s without a usable requestId", self.name, CANCEL_METHOD)
                return
            task = self._handlers.get(request_id)  # type: ignore[arg-type]
            if task is not None and not task.done():
                self._cancelled_by_peer.add(request_id)  # type: ignore[arg-type]
                task.cancel()
            return
        route = self.notifications.get(message.method)
        if route is None:
            return  # unknown notifications (including `_` and `$/` ones) are ignored by design
        if not self._inbox_idle or self._unstarted:
            # Behind the notifications before it; and the loop's task runs
            # after the handler tasks of the requests read before it.
            self._inbox_idle = False
            self._inbox.put_nowait(message)
            return
        # Nothing read earlier is still to start: handle it now, in the
        # reader's turn of the loop, so a `session/cancel` reaches its session
        # without a task's hop. A handler that has to wait continues in a
        # task, and the notification loop waits for it before the next one.
        running = _start_eagerly(self._run_notification(message, route), f"{self.name}-note")
        if running is not None:
            self._inbox_idle = False
            self._inbox.put_nowait(running)

    def _on_reply(self, message: jsonrpc.Response | jsonrpc.ErrorResponse) -> None:
        future = self._pending.get(message.id) if message.id is not None else None
        if future is None or future.done():
            log.info("%s: dropped a reply to unknown request id %r", self.name, message.id)
            return
        if isinstance(message, jsonrpc.Response):
            future.set_result(message.result)
        else:
            future.set_exception(message.error)

    # ------------------------------------------------------------ handlers

    def _start_handler(self, request: jsonrpc.Request) -> None:
        route = self.requests.get(request.method)
        if request.id in self._handlers:
            self._send_nowait(
                jsonrpc.error_frame(
                    request.id, RpcError.invalid_request("duplicate request id in flight")
                )
            )
            return
        name = f"{self.name}-{request.method}"
        handler = self._run_handler(request, route)
        if route is not None and route.overtakes:
            started = _start_eagerly(handler, name)
            if started is None:
                return  # answered without waiting on anything
            task = started
        else:
            task = asyncio.create_task(handler, name=name)
            self._unstarted.add(request.id)
        self._handlers[request.id] = task
        self._task_ids[task] = request.id
        task.add_done_callback(self._handler_done)

    def _handler_done(self, task: asyncio.Task[None]) -> None:
        request_id = self._task_ids.pop(task)
        self._handlers.pop(request_id, None)
        self._unstarted.discard(request_id)  # cancelled before it started
        self._cancelled_by_peer.discard(request_id)

    async def _run_handler(self, request: jsonrpc.Request, route: Route | None) -> None:
        self._unstarted.discard(request.id)
        current_request_id.set(request.id)
        try:
            if route is None:
                raise RpcError.method_not_found(request.method)
            params = (
                convert(request.params, route.params)
                if route.params is not None
                else request.params
            )
            result = await _handler_of(route)(params)
        except RpcError as error:
            await self._send(jsonrpc.error_frame(request.id, error))
            return
        except asyncio.CancelledError:
            if request.id not in self._cancelled_by_peer:
                raise  # shutdown: the connection is gone, nobody to answer
            await self._send(jsonrpc.error_frame(request.id, RpcError.request_cancelled()))
            return
        except Exception:
            log.exception("%s: handler for %s failed", self.name, request.method)
            failure = RpcError.internal_error(f"{request.method} failed; see the agent log")
            await self._send(jsonrpc.error_frame(request.id, failure))
            return
        value = result.result if isinstance(result, AfterResponse) else result
        try:
            frame = encode_frame(jsonrpc.result_frame(request.id, _result_value(value)))
        except (TypeError, ValueError, OverflowError, RecursionError):
            log.exception("%s: the result of %s could not be encoded", self.name, request.method)
            failure = RpcError.internal_error(f"{request.method} failed; see the agent log")
            await self._send(jsonrpc.error_frame(request.id, failure))
            return
        written = False
        if self._closed:
            pass
        elif self._writer_parked and self._outbox.empty() and not self._overtaking:
            # Nothing is waiting to be written, so writing now keeps the order
            # (a prompt's reply still follows its last update) and saves the
            # writer's turn of the loop. Measured against leaving with the
            # command list that follows a session/new reply in one write: the
            # reply waited for that list to be built, and the round trip was
            # slower by more than the second write costs.
            written = self._write_frames([frame])
        elif route.overtakes:
            self._overtaking.append(frame)
            with contextlib.suppress(asyncio.QueueFull):  # a full queue: the writer is awake
                self._outbox.put_nowait(b"")  # wake the writer
        else:  # as `_send` does, with the frame already encoded
            await self._outbox.put(frame)
        if isinstance(result, AfterResponse):
            if not written:
                # One loop turn first: the writer, woken above, sends the
                # response before `then` starts, so the peer is not kept
                # waiting for work that only has to follow it (a prompt's
                # `then` starts the ingest thread, which would hold the GIL).
                await asyncio.sleep(0)
            try:
                await result.then()
            except Exception:
                # The reply is out: this failure has no one to answer, and it
                # must not reach the reader (a handler may run in its turn).
                log.exception("%s: work after the %s reply failed", self.name, request.method)

    async def _notification_loop(self) -> None:
        while True:
            if self._inbox.empty():
                self._inbox_idle = True
            item = await self._inbox.get()
            if item is None:
                return
            if isinstance(item, asyncio.Task):
                # A handler started by the reader that had to wait: the ones
                # queued after it wait for it. Its failures are logged inside.
                await asyncio.gather(item, return_exceptions=True)
            else:
                await self._run_notification(item, self.notifications[item.method])

    async def _run_notification(self, message: jsonrpc.Notification, route: Route) -> None:
        try:
            params = (
                convert(message.params, route.params)
                if route.params is not None
                else message.params
            )
            await _handler_of(route)(params)
        except RpcError as error:
            log.info("%s: bad %s notification: %s", self.name, message.method, error.message)
        except Exception:
            log.exception("%s: notification handler for %s failed", self.name, message.method)

    # ------------------------------------------------------------ writing

    async def _send(self, frame: dict[str, object]) -> None:
        if self._closed:
            return  # the writer is gone or going; queuing could block forever
        await self._outbox.put(encode_frame(frame))

    def _send_nowait(self, frame: dict[str, object]) -> None:
        data = encode_frame(frame)
        try:
            self._outbox.put_nowait(data)
        except asyncio.QueueFull:
            task = asyncio.get_running_loop().create_task(self._outbox.put(data))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _write_loop(self) -> None:
        try:
            await self._write_batches()
        finally:
            self._writer_gone = True
            self._batch_room.set()  # nobody will make room now: waiters give up

    async def _write_batches(self) -> None:
        while True:
            self._writer_parked = True
            batch = [await self._outbox.get()]
            self._writer_parked = False
            while not self._outbox.empty() and len(batch) < 256:
                batch.append(self._outbox.get_nowait())
            closing = None in batch  # the shutdown sentinel: nothing after it is sent
            frames = [f for f in (batch[: batch.index(None)] if closing else batch) if f]
            if self._overtaking:
                frames[:0] = self._overtaking
                self._overtaking.clear()
            if not frames:
                if closing:
                    return
                continue
            if not self._write_frames(frames):
                return
            await self._drain()
            if counted := sum(len(f) for f in frames if type(f) is _Batch):
                self._batch_bytes -= counted
                if self._batch_bytes < _QUEUE_BATCH_BYTES:
                    self._batch_room.set()
            if closing:
                return

    def _write_frames(self, frames: list[bytes]) -> bool:
        """Hand frames to the transport; False once the connection is gone."""
        if self.before_write is not None:
            try:
                self.before_write()
            except Exception:
                log.exception("%s: the write-ahead hook failed; sending anyway", self.name)
        try:
            # One write per batch: one syscall instead of one per frame.
            self._writer.write(b"".join(frames))
        except (ConnectionError, OSError, RuntimeError) as exc:
            log.info("%s: write failed: %s", self.name, exc)
            self._closed = True
            return False
        if self.observers:
            for frame in frames:  # a notify_encoded blob holds several lines
                for line in frame.rstrip(b"\n").split(b"\n"):
                    self._observe("out", line)
        return True

    async def _drain(self) -> None:
        try:
            await self._writer.drain()
        except (ConnectionError, OSError, RuntimeError) as exc:
            log.info("%s: drain failed: %s", self.name, exc)
            self._closed = True

    def _observe(self, direction: Direction, frame: bytes) -> None:
        for observer in self.observers:
            try:
                observer(direction, frame)
            except Exception:
                log.exception("%s: frame observer failed", self.name)

    # ------------------------------------------------------------ shutdown

    async def _shutdown(
        self, writer_task: asyncio.Task[None], inbox_task: asyncio.Task[None]
    ) -> None:
        handlers = list(self._handlers.values())
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        self._inbox.put_nowait(None)
        await asyncio.gather(inbox_task, return_exceptions=True)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("the peer closed the connection"))
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._closed = True
        await self._outbox.put(None)
        await asyncio.gather(writer_task, return_exceptions=True)
        with contextlib.suppress(OSError, RuntimeError):
            self._writer.close()


def _start_eagerly(
    handler: Coroutine[object, object, None], name: str
) -> asyncio.Task[None] | None:
    """Run a quick request's handler at once, in the reader's turn of the loop,
    up to its first real wait. Most finish without one and their reply is
    written in the turn that read the request; a task would add two turns
    (Python 3.12's eager tasks, by hand). A handler that does wait continues
    in a task, in the same context."""
    context = contextvars.copy_context()
    try:
        awaited = context.run(handler.send, None)
    except StopIteration:
        return None
    return asyncio.get_running_loop().create_task(
        _resume(handler, awaited), name=name, context=context
    )


async def _resume(handler: Coroutine[object, object, None], awaited: object) -> None:
    await _Continue(handler, awaited)


class _Continue:
    """Awaitable that drives an already started coroutine: the task running it
    waits on what the coroutine last yielded, and sends or throws (a
    cancellation) back into it, as if it had run the coroutine from the start."""

    __slots__ = ("_awaited", "_handler")

    def __init__(self, handler: Coroutine[object, object, None], awaited: object) -> None:
        self._handler = handler
        self._awaited = awaited

    def __await__(self) -> Generator[object, object, None]:
        handler, awaited = self._handler, self._awaited
        while True:
            try:
                value = yield awaited
            except GeneratorExit:
                handler.close()
                raise
            except BaseException as exc:  # a cancellation: forwarded, not handled
                try:
                    awaited = handler.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    awaited = handler.send(value)
                except StopIteration:
                    return


def _handler_of(route: Route) -> Callable[[object], Awaitable[object]]:
    # What `Route` promises: the handler takes what its params decode into.
    return cast("Callable[[object], Awaitable[object]]", route.handler)


def _result_value(result: object) -> object:
    # ACP results are objects; a handler with nothing to say answers `{}`.
    return {} if result is None else result
