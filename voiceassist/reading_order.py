"""Reading order for printed call output (``replay`` text, ``demo``): a cue fired while its
utterance is still being spoken is printed right after that utterance's transcript line, so the
screen reads top to bottom. The cue keeps its own call time; only the printing waits."""

from __future__ import annotations

from collections.abc import Callable

from voiceassist.events import Cue, Transcript


class ReadingOrder:
    """Holds cue lines (and notes about them) until the utterance that triggered them is printed.

    ``write`` prints one line. With ``hold=False`` (a live terminal) every line goes out at once.
    """

    def __init__(self, write: Callable[[str], None], *, hold: bool = True) -> None:
        self._write = write
        self._hold = hold
        #: (speaker, utterance) seen as a partial whose final is not printed yet.
        self._open: set[tuple[str, int]] = set()
        self._held: list[str] = []

    def transcript(self, event: Transcript) -> None:
        """Track an utterance; call before printing a final's line."""
        # An earlier utterance of the speaker whose final never came (it recognised nothing) is over.
        self._open = {k for k in self._open if k[0] != event.speaker or k[1] >= event.utterance}
        key = (event.speaker, event.utterance)
        if event.kind == "partial":
            self._open.add(key)
        else:
            self._open.discard(key)

    def printed_final(self) -> None:
        """A final's line was printed: release the held lines once no utterance is open."""
        if not self._open:
            self.flush()

    def cue(self, event: Cue, line: str) -> None:
        """Print ``line`` for ``event`` now, or after its utterance's line."""
        if self._hold and (event.speaker, event.utterance) in self._open:
            self._held.append(line)
        else:
            self._write(line)

    def note(self, line: str) -> None:
        """A line about a cue (e.g. not whispered): after that cue's line, even while it is held."""
        if self._held:
            self._held.append(line)
        else:
            self._write(line)

    def end(self) -> None:
        """The call ended: print whatever is held."""
        self._open.clear()
        self.flush()

    def flush(self) -> None:
        held, self._held = self._held, []
        for line in held:
            self._write(line)


__all__ = ["ReadingOrder"]
