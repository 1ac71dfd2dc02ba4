"""A per-process append-only journal in front of the SQLite updates table.

Why: committing one SQLite transaction per streamed `session/update` cost
25-40 us and was two thirds of the server's time while streaming. One
`write()` to an O_APPEND file costs about 1 us and survives a `kill -9` the
same way a WAL commit with `synchronous=NORMAL` does (both sit in the page
cache until the OS writes them out). The store appends each update here before
it is sent. When the server has no turn running, when the journal grows large,
and before any read, the store starts a new journal and moves the full one into
SQLite in one transaction on its ingest thread, then deletes it.

A process owns `<dir>/<pid>-<token>.journal` files: the current one, plus any
still waiting for the ingest thread, and holds an exclusive `flock` on each
until it is ingested. A journal whose lock can be taken belongs to a process
that died: `recover()` yields its records so the store can ingest them
(idempotently, keyed by session and sequence number) and then deletes the
file. A record torn by a crash mid-write fails its CRC and ends the file: the
editor never saw it, because it is written before it is sent.

A bad record anywhere else (a flipped bit, a block of garbage) costs only
itself: the decoder skips forward to the next offset where a whole record with
a valid CRC starts and goes on from there. A journal in which anything but a
torn tail was skipped is not deleted after ingestion but renamed to
`<name>.damaged`, kept for inspection, and never ingested again.

A record is an update (seq >= 1) or a new session's row (seq 0, the payload
is the row as JSON); the store gives them meaning, the journal only bytes.

Record layout, little-endian: crc32 (4 bytes, of everything after it), then
session-id length, payload length, seq, turn (4 bytes each), timestamp (8-byte
float), then the session id and the payload bytes. Binary because formatting
a text header cost as much as the write itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
from binascii import crc32  # zlib's CRC-32, without loading zlib with the first session
from collections.abc import Iterator
from typing import TYPE_CHECKING

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no cross-process lock
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger("acp_server.store")

Row = tuple[str, int, int, float, bytes]
SUFFIX = ".journal"


_CRC = struct.Struct("<I")
_HEAD = struct.Struct("<IIIId")  # session-id length, payload length, seq, turn, timestamp
_FIXED = _CRC.size + _HEAD.size


def encode_record(session_id: str, seq: int, turn: int, ts: float, payload: bytes) -> bytes:
    return encode_records([(session_id, seq, turn, ts, payload)])


def encode_records(rows: list[Row], start: int = 0) -> bytes:
    """`rows[start:]` as consecutive records, in one pass.

    A record's CRC is built up over its parts rather than over a joined body,
    so a large payload is copied once (into the result), not three times."""
    parts: list[bytes] = []
    add = parts.append
    pack_head, pack_crc = _HEAD.pack, _CRC.pack
    ids: dict[str, bytes] = {}
    for index in range(start, len(rows)):
        session_id, seq, turn, ts, payload = rows[index]
        sid = ids.get(session_id)
        if sid is None:
            sid = ids[session_id] = session_id.encode()
        head = pack_head(len(sid), len(payload), seq, turn, ts)
        add(pack_crc(crc32(payload, crc32(sid, crc32(head)))))
        add(head)
        add(sid)
        add(payload)
    return b"".join(parts)


class Decoded:
    """What `decode_records` found: the intact records, and what it skipped."""

    __slots__ = ("damaged", "rows", "skipped", "torn")

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.skipped = 0  # bytes that were no part of an intact record
        self.damaged = False  # something other than a torn tail was skipped
        self.torn = 0  # bytes at the end that start no intact record


def _record_at(data: bytes, view: memoryview, offset: int) -> tuple[Row, int] | None:
    """The intact record starting at `offset`, and where it ends, or None."""
    if len(data) - offset < _FIXED:
        return None
    (crc,) = _CRC.unpack_from(data, offset)
    sid_length, payload_length, seq, turn, ts = _HEAD.unpack_from(data, offset + _CRC.size)
    end = offset + _FIXED + sid_length + payload_length
    if end > len(data) or crc32(view[offset + _CRC.size : end]) != crc:
        return None
    sid_end = offset + _FIXED + sid_length
    try:
        session_id = data[offset + _FIXED : sid_end].decode()
    except UnicodeDecodeError:  # a CRC collision on garbage; not one of ours
        return None
    return (session_id, seq, turn, ts, data[sid_end:end]), end


def decode_records(data: bytes) -> Decoded:
    """Every intact record in `data`, resyncing past bad ones.

    After a bad record, each later offset is tried until one holds a whole
    record whose CRC matches. Lengths are read from the candidate header, so
    garbage usually fails at once by claiming more bytes than are left."""
    result = Decoded()
    view = memoryview(data)
    offset = 0
    bad_from: int | None = None
    while offset < len(data):
        found = _record_at(data, view, offset)
        if found is None:
            if bad_from is None:
                bad_from = offset
            offset += 1
            continue
        if bad_from is not None:  # an intact record after a bad stretch: real damage
            result.skipped += offset - bad_from
            result.damaged = True
            bad_from = None
        row, offset = found
        result.rows.append(row)
    if bad_from is not None:
        result.torn = len(data) - bad_from
        result.skipped += result.torn
    return result


class Journal:
    """This process's journal: append before send, drain into SQLite in batches.

    With `deferred`, appended records wait in memory until `sync()`, which the
    owner must call before it sends anything it appended (a server calls it
    once per batch of outgoing frames); otherwise each append is written at once.
    An append only keeps the row: `sync()` encodes every row since the last one
    in one pass (`pending[synced:]`), so a streamed chunk costs a tuple here.
    """

    def __init__(self, directory: str | os.PathLike[str], *, deferred: bool = False) -> None:
        # Plain strings and os.path throughout: the first session/new writes a
        # journal, and pathlib would bring urllib.parse and ipaddress (~6 ms).
        self._path = os.path.join(
            os.fspath(directory), f"{os.getpid()}-{os.urandom(4).hex()}{SUFFIX}"
        )
        flags = os.O_CREAT | os.O_WRONLY | os.O_APPEND
        try:
            self._fd = os.open(self._path, flags, 0o600)
        except FileNotFoundError:  # the first journal: make the directory once
            os.makedirs(directory, mode=0o700, exist_ok=True)
            self._fd = os.open(self._path, flags, 0o600)
        if fcntl is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.pending: list[Row] = []
        self.pending_bytes = 0
        self.deferred = deferred
        self.synced = 0  # how many of `pending` are written

    @property
    def path(self) -> Path:
        """The journal file, as a Path for callers outside the hot path."""
        from pathlib import Path

        return Path(self._path)

    def append(self, session_id: str, seq: int, turn: int, ts: float, payload: bytes) -> None:
        self.pending.append((session_id, seq, turn, ts, payload))
        self.pending_bytes += len(payload)
        if not self.deferred:
            self.sync()

    def sync(self) -> None:
        """Write what was appended since the last sync (one write() call, usually)."""
        start = self.synced
        if start == len(self.pending):
            return
        self.synced = len(self.pending)
        data = memoryview(encode_records(self.pending, start))
        while data:
            data = data[os.write(self._fd, data) :]

    def take(self) -> list[Row]:
        """Every record appended; the owner stops appending before it takes them."""
        return self.pending

    def close(self) -> None:
        """Remove the file; only call once everything in it is committed."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path)
        os.close(self._fd)

    def release(self) -> None:
        """Let go of the file without removing it: the next open recovers it."""
        os.close(self._fd)


DAMAGED = ".damaged"


def _journals(directory: str | os.PathLike[str]) -> list[str]:
    """The journal files in `directory` (none when it does not exist)."""
    try:
        names = os.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [os.path.join(os.fspath(directory), n) for n in names if n.endswith(SUFFIX)]


def read_session(
    directory: str | os.PathLike[str], session_id: str, after: int
) -> dict[int, bytes]:
    """Updates of one session after seq `after` in every journal present, live
    ones included: what other processes have written but not yet moved into
    SQLite. Reading needs no lock (records are appended whole and carry a CRC).
    A journal that vanishes meanwhile was ingested: its rows are in SQLite."""
    found: dict[int, bytes] = {}
    for path in _journals(directory):
        try:
            with open(path, "rb") as stream:
                data = stream.read()
        except FileNotFoundError:
            continue
        for sid, seq, _turn, _ts, payload in decode_records(data).rows:
            if sid == session_id and seq > after:
                found[seq] = payload
    return found


def recover(directory: str | os.PathLike[str]) -> Iterator[tuple[str, Decoded]]:
    """Yield (file, what it holds) for every journal left by a process that is gone.

    The caller commits the records, then unlinks the file, or, when the
    journal was damaged (`Decoded.damaged`), moves it aside with `set_aside`.
    A file whose owner still runs (its lock is held) is left alone.
    """
    for path in sorted(_journals(directory)):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue  # another process recovered it first
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its owner is alive
            with open(fd, "rb", closefd=False) as stream:
                data = stream.read()
            decoded = decode_records(data)
            if decoded.damaged:
                log.error(
                    "journal %s: skipped %d damaged bytes and kept the %d intact records",
                    path,
                    decoded.skipped,
                    len(decoded.rows),
                )
            elif decoded.torn:
                log.warning(
                    "journal %s: dropped %d bytes of a record torn by a crash", path, decoded.torn
                )
            yield path, decoded
        finally:
            os.close(fd)


def set_aside(path: str) -> str:
    """Rename a journal that was not wholly ingested, so it is kept but not
    ingested again; the new name is returned (for messages)."""
    target = path + DAMAGED
    os.replace(path, target)
    return target


__all__ = [
    "DAMAGED",
    "Decoded",
    "Journal",
    "Row",
    "decode_records",
    "encode_record",
    "encode_records",
    "read_session",
    "recover",
    "set_aside",
]
