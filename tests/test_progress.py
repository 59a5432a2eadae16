"""Progress bars: drawn only on a terminal, never on a pipe or when turned off."""
from __future__ import annotations


class _FakeTerminal:
    def __init__(self):
        import io

        self.buffer = io.StringIO()

    def isatty(self):
        return True

    def write(self, text):
        return self.buffer.write(text)

    def flush(self):
        pass


def test_progress_draws_only_on_a_terminal():
    import io

    from relate.progress import Progress

    pipe = io.StringIO()
    quiet = Progress(enabled=True, stream=pipe)
    assert not quiet.enabled
    with quiet.stage("rank", total=3) as bar:
        bar.update(3)
    assert pipe.getvalue() == ""

    term = _FakeTerminal()
    shown = Progress(enabled=True, stream=term)
    with shown.stage("encode", total=4, unit="text") as bar:
        bar.update(2)
        bar.update(2)
    out = term.buffer.getvalue()
    assert "encode" in out and "4/4" in out

    off = Progress(enabled=False, stream=_FakeTerminal())
    with off.stage("write", total=1) as bar:
        bar.update()
    assert not off.enabled
