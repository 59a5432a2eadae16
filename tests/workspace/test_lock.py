"""The workspace lock: exclusive across processes, re-entrant within one, never stuck by a dead owner."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from relate.errors import WorkspaceError
from relate.workspace import LOCK_NAME, WorkspaceLock, WorkspaceLocked, is_stale, read_owner

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _holder(folder: Path, seconds: float, ready: Path) -> subprocess.Popen:
    """A separate process that takes the lock, says so, and holds it for ``seconds``."""
    code = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {SRC!r})
        from relate.workspace import WorkspaceLock
        with WorkspaceLock({str(folder)!r}, command="test holder"):
            open({str(ready)!r}, "w").close()
            time.sleep({seconds})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 20
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("lock holder did not start")
        time.sleep(0.02)
    return proc


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _write_lock(folder: Path, **fields) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    owner = {"pid": os.getpid(), "host": socket.gethostname(), "started": None, "since": "then",
             "command": "someone", "token": "abc"}
    owner.update(fields)
    path.write_text(json.dumps(owner))
    return path


def test_acquire_writes_owner_and_release_removes_it(tmp_path):
    lock = WorkspaceLock(tmp_path / "ws", command="relate test")
    with lock:
        owner = read_owner(tmp_path / "ws" / LOCK_NAME)
        assert owner["pid"] == os.getpid()
        assert owner["host"] == socket.gethostname()
        assert owner["command"] == "relate test"
        assert lock.held
    assert not (tmp_path / "ws" / LOCK_NAME).exists()
    assert not lock.held
    lock.release()  # twice is harmless
    assert [p.name for p in (tmp_path / "ws").iterdir()] == []  # no temporary files left


def test_reentrant_in_one_process(tmp_path):
    outer = WorkspaceLock(tmp_path)
    inner = WorkspaceLock(tmp_path)
    with outer:
        with inner:
            assert (tmp_path / LOCK_NAME).exists()
        assert (tmp_path / LOCK_NAME).exists()  # the inner release keeps the outer hold
    assert not (tmp_path / LOCK_NAME).exists()


@pytest.mark.process
def test_live_owner_stops_second_run_with_clear_message(tmp_path):
    proc = _holder(tmp_path, 30, tmp_path / "ready")
    try:
        t0 = time.monotonic()
        with pytest.raises(WorkspaceLocked) as info:
            WorkspaceLock(tmp_path, timeout=0).acquire()
        assert time.monotonic() - t0 < 2
        msg = str(info.value)
        assert f"pid {proc.pid}" in msg and "test holder" in msg and "--wait" in msg
        assert str(tmp_path / LOCK_NAME) in msg
        assert isinstance(info.value, WorkspaceError)
        assert info.value.owner["pid"] == proc.pid
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.process
def test_wait_times_out(tmp_path):
    proc = _holder(tmp_path, 30, tmp_path / "ready")
    try:
        t0 = time.monotonic()
        with pytest.raises(WorkspaceLocked, match="waited 0.6 s"):
            WorkspaceLock(tmp_path, timeout=0.6, poll=0.05).acquire()
        assert 0.55 <= time.monotonic() - t0 < 5
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.process
def test_wait_succeeds_when_owner_finishes(tmp_path):
    proc = _holder(tmp_path, 0.5, tmp_path / "ready")
    try:
        with WorkspaceLock(tmp_path, timeout=20, poll=0.05) as lock:
            assert read_owner(lock.path)["pid"] == os.getpid()
    finally:
        proc.wait()
    assert proc.returncode == 0


@pytest.mark.process
def test_lock_of_killed_process_is_taken_over(tmp_path):
    proc = _holder(tmp_path, 60, tmp_path / "ready")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert read_owner(tmp_path / LOCK_NAME)["pid"] == proc.pid  # left behind
    with WorkspaceLock(tmp_path, timeout=0):
        assert read_owner(tmp_path / LOCK_NAME)["pid"] == os.getpid()
    assert not (tmp_path / LOCK_NAME).exists()


@pytest.mark.process
def test_stale_lock_of_dead_pid(tmp_path, caplog):
    _write_lock(tmp_path, pid=_dead_pid())
    with caplog.at_level("WARNING", logger="relate.workspace.lock"), WorkspaceLock(tmp_path, timeout=0):
        pass
    assert "stale" in caplog.text


def test_reused_pid_is_stale(tmp_path):
    # A live pid whose start time differs from the one recorded: the pid was reused.
    owner = {"pid": os.getppid(), "host": socket.gethostname(), "started": 1, "token": "x"}
    if Path(f"/proc/{os.getppid()}/stat").exists():
        assert is_stale(owner)
    owner["started"] = None
    assert not is_stale(owner)


@pytest.mark.process
def test_lock_from_another_host_is_respected(tmp_path):
    _write_lock(tmp_path, pid=_dead_pid(), host="some-other-host.example")
    with pytest.raises(WorkspaceLocked, match="some-other-host"):
        WorkspaceLock(tmp_path, timeout=0).acquire()


def test_damaged_lock_file(tmp_path):
    path = tmp_path / LOCK_NAME
    path.write_text("{not json")
    with pytest.raises(WorkspaceLocked):  # fresh: maybe being written right now
        WorkspaceLock(tmp_path, timeout=0).acquire()
    old = time.time() - 3600
    os.utime(path, (old, old))
    with WorkspaceLock(tmp_path, timeout=0):
        assert read_owner(path)["pid"] == os.getpid()


def test_own_pid_left_by_earlier_process_is_stale(tmp_path):
    _write_lock(tmp_path, pid=os.getpid(), token="left-by-a-previous-container-run")
    with WorkspaceLock(tmp_path, timeout=0):
        pass


def test_release_leaves_a_lock_it_does_not_own(tmp_path):
    lock = WorkspaceLock(tmp_path).acquire()
    _write_lock(tmp_path, pid=1, token="someone-else")  # taken over behind our back
    lock.release()
    assert read_owner(tmp_path / LOCK_NAME)["token"] == "someone-else"


def test_bad_timeout():
    with pytest.raises(ValueError):
        WorkspaceLock("x", timeout=-1)


@pytest.mark.process
def test_processes_never_interleave(tmp_path):
    """Four processes append start/end marks under the lock: the marks never interleave."""
    log = tmp_path / "log.txt"
    code = textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {SRC!r})
        from relate.workspace import WorkspaceLock
        with WorkspaceLock({str(tmp_path / "ws")!r}, timeout=60, poll=0.01):
            with open({str(log)!r}, "a") as fh:
                fh.write(f"start {{os.getpid()}}\\n"); fh.flush()
                time.sleep(0.1)
                fh.write(f"end {{os.getpid()}}\\n"); fh.flush()
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(4)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    lines = log.read_text().split()
    marks = list(zip(lines[0::2], lines[1::2]))
    assert len(marks) == 8
    for (s_word, s_pid), (e_word, e_pid) in zip(marks[0::2], marks[1::2]):
        assert (s_word, e_word) == ("start", "end") and s_pid == e_pid
    assert not (tmp_path / "ws" / LOCK_NAME).exists()
