"""A workspace lock, so that two runs never write the same workspace at once.

The lock is a small JSON file, ``<workspace>/lock``, created atomically (it appears complete
or not at all) and holding the owner's pid, host name, process start time and a random
token. A lock whose owner process has died is stale: the next run takes it over, so a run
killed with SIGKILL does not leave the workspace stuck. A lock held by a live process makes
the next run wait (``timeout`` seconds) or stop with a message naming the owner.

The lock is re-entrant within one process: the batch job and the engine may both take it.

Example:
    >>> from relate.workspace import WorkspaceLock
    >>> with WorkspaceLock("/tmp/ws", timeout=30):
    ...     pass  # build or update the workspace here
"""
from __future__ import annotations

import errno
import json
import logging
import os
import secrets
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import WorkspaceError

if TYPE_CHECKING:  # typing.Self is Python 3.11+
    from typing import Self

logger = logging.getLogger(__name__)

#: Name of the lock file inside the workspace folder.
LOCK_NAME = "lock"

_held: dict[str, tuple[str, int]] = {}  # resolved lock path -> (token, depth), for this process
_held_guard = threading.Lock()


class WorkspaceLocked(WorkspaceError):
    """Another live process holds the workspace.

    Attributes:
        path: the lock file.
        owner: what the lock file says about its owner (pid, host, command, since).
    """

    def __init__(self, message: str, path: Path, owner: dict[str, Any]) -> None:
        super().__init__(message)
        self.path = path
        self.owner = owner


class WorkspaceLock:
    """An exclusive, re-entrant, crash-safe lock on a workspace folder.

    Args:
        workspace: the workspace folder (created if missing).
        timeout: seconds to wait for a live owner to finish; ``0`` stops at once, ``None``
            waits for ever.
        poll: seconds between tries while waiting.
        command: a few words saying what holds the lock (shown to a run that finds it taken).

    Raises:
        WorkspaceLocked: (on :meth:`acquire`) the lock is still held after ``timeout``.
    """

    def __init__(self, workspace: str | os.PathLike, timeout: float | None = 0.0, poll: float = 0.2,
                 command: str | None = None) -> None:
        if timeout is not None and timeout < 0:
            raise ValueError(f"timeout must be >= 0 or None, not {timeout!r}")
        self.folder = Path(workspace)
        self.path = self.folder / LOCK_NAME
        self.timeout = timeout
        self.poll = poll
        self.command = command or "relate"
        self._token: str | None = None

    # ------------------------------------------------------------------ public
    def acquire(self) -> WorkspaceLock:
        """Takes the lock, waiting up to ``timeout`` seconds for a live owner to let go."""
        self.folder.mkdir(parents=True, exist_ok=True)
        key = str(self.path.resolve())
        with _held_guard:
            if key in _held:
                token, depth = _held[key]
                _held[key] = (token, depth + 1)
                self._token = token
                return self
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        waited = False
        while True:
            token = secrets.token_hex(8)
            if self._try_create(token):
                with _held_guard:
                    _held[key] = (token, 1)
                self._token = token
                if waited:
                    logger.info("took the workspace lock %s after waiting", self.path)
                return self
            owner = read_owner(self.path)
            if owner is not None and is_stale(owner):
                if self._break(owner):
                    logger.warning("removed a stale workspace lock %s left by pid %s on %s", self.path,
                                   owner.get("pid"), owner.get("host"))
                continue
            if owner is None:
                # The lock file vanished between our try and our read: just try again.
                continue
            if deadline is not None and time.monotonic() >= deadline:
                raise WorkspaceLocked(self._message(owner), self.path, owner)
            if not waited:
                logger.info("workspace %s is in use by pid %s; waiting", self.folder, owner.get("pid"))
                waited = True
            time.sleep(self.poll if deadline is None else max(0.0, min(self.poll, deadline - time.monotonic())))

    def release(self) -> None:
        """Lets go of the lock (the outermost release removes the file). Safe to call twice."""
        if self._token is None:
            return
        key = str(self.path.resolve())
        with _held_guard:
            token, depth = _held.get(key, (None, 0))
            if token != self._token:
                self._token = None
                return
            if depth > 1:
                _held[key] = (token, depth - 1)
                self._token = None
                return
            del _held[key]
        owner = read_owner(self.path)
        if owner is not None and owner.get("token") == self._token:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
        else:
            logger.warning("workspace lock %s was taken over by another process while this one held it",
                           self.path)
        self._token = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now."""
        return self._token is not None

    def __enter__(self) -> Self:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    # ------------------------------------------------------------------ internals
    def _try_create(self, token: str) -> bool:
        data = json.dumps({
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": _process_start(os.getpid()),
            "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": self.command,
            "token": token,
        }).encode("utf-8")
        # Write a private file, then hard-link it into place: the link fails if a lock exists,
        # and the lock file never exists half written.
        tmp = self.folder / f".lock.{os.getpid()}.{token}.tmp"
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, self.path)
                return True
            except FileExistsError:
                return False
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.ENOSYS):
                    raise
                return self._try_create_excl(data)  # a file system without hard links
        except OSError as exc:
            if isinstance(exc, FileExistsError):
                return False
            raise WorkspaceError(f"{self.path}: cannot create the workspace lock: {exc.strerror or exc}. "
                                 "Check that the workspace folder is writable and the disk is not full.") from exc
        finally:
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass

    def _try_create_excl(self, data: bytes) -> bool:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        return True

    def _break(self, owner: dict[str, Any]) -> bool:
        """Removes a stale lock, unless someone else replaced it meanwhile."""
        aside = self.folder / f".lock.stale.{os.getpid()}.{secrets.token_hex(4)}"
        try:
            os.rename(self.path, aside)
        except FileNotFoundError:
            return False  # another process broke it first
        moved = read_owner(aside)
        if moved is not None and moved.get("token") != owner.get("token") and not is_stale(moved):
            # We moved a fresh lock another process took in the meantime: put it back.
            try:
                os.link(aside, self.path)
            except FileExistsError:
                logger.warning("workspace lock %s changed hands while a stale lock was removed", self.path)
        try:
            aside.unlink()
        except FileNotFoundError:
            pass
        return True

    def _message(self, owner: dict[str, Any]) -> str:
        who = f"pid {owner.get('pid', '?')} on {owner.get('host', '?')}"
        what = owner.get("command") or "relate"
        since = owner.get("since") or "?"
        waited = "" if not self.timeout else f" (waited {self.timeout:g} s)"
        return (f"workspace {self.folder} is in use by {what!r}, {who}, since {since}{waited}. "
                f"Wait for that run to finish, pass --wait SECONDS to wait for it, or use another "
                f"--workspace. If that process is gone, delete {self.path}.")


def read_owner(path: str | os.PathLike) -> dict[str, Any] | None:
    """What a lock file says about its owner; ``None`` when there is no lock file.

    A lock file that is not valid JSON yields ``{"damaged": True, "age": seconds}``.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return None
    try:
        owner = json.loads(raw.decode("utf-8"))
    except ValueError:
        owner = None
    return owner if isinstance(owner, dict) else {"damaged": True, "age": age}


#: A damaged (unreadable) lock file older than this is stale.
DAMAGED_GRACE_S = 10.0


def is_stale(owner: dict[str, Any]) -> bool:
    """Whether the process that wrote a lock is gone (only knowable on this host).

    A lock from another host is never stale here: delete it by hand if that host is gone.
    """
    if owner.get("damaged"):
        return float(owner.get("age", 0.0)) > DAMAGED_GRACE_S
    if owner.get("host") != socket.gethostname():
        return False
    try:
        pid = int(owner["pid"])
    except (KeyError, TypeError, ValueError):
        return True
    if pid == os.getpid():
        # Our own pid: stale unless this process really holds it (a lock left by an earlier
        # process that had the same pid, e.g. in a container).
        with _held_guard:
            return owner.get("token") not in {t for t, _ in _held.values()}
    if not _pid_alive(pid):
        return True
    started = owner.get("started")
    now_started = _process_start(pid)
    # Same pid, different start time: the pid was reused by an unrelated process.
    return started is not None and now_started is not None and started != now_started


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, owned by someone else
    except OSError:
        return False
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].startswith("Z")


def _process_start(pid: int) -> int | None:
    """The process start time in clock ticks since boot (Linux), else ``None``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    try:
        return int(fields[19])  # field 22 of /proc/PID/stat, counting from 1 with pid and comm
    except (IndexError, ValueError):
        return None
