"""What the Matrix adapter keeps in the data directory, so a restart continues seamlessly.

``<data dir>/matrix/`` holds:

- ``session.json``: homeserver, user id, device id, and the access token of a password
  login, so a restart restores the login (the same device) instead of logging in anew;
- ``store/``: nio's end-to-end encryption store (olm account, sessions, known devices);
- ``sync_token``: the sync position, written only after that sync's events were handled;
- ``handled.log``: the most recent handled event ids, so that events delivered again
  after a crash (between a reply and the next saved sync position) are not answered twice.
"""

from __future__ import annotations

import json
import logging
import os
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.config import ConfigError

log = logging.getLogger(__name__)

DIR_NAME = "matrix"
SESSION_FILE = "session.json"
SYNC_TOKEN_FILE = "sync_token"
HANDLED_FILE = "handled.log"
STORE_DIR = "store"
# A restart re-delivers at most the events since the last saved sync position, a few
# batches; this many ids is far more than that and keeps the file small.
HANDLED_KEEP = 1000


@dataclass(frozen=True)
class Session:
    homeserver: str
    user_id: str
    device_id: str
    access_token: str | None = None  # only for a password login; a configured token stays in env


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


class MatrixState:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._recent: deque[str] = deque(maxlen=HANDLED_KEEP)
        self._handled: set[str] = set()
        self._journal_lines = 0

    @classmethod
    def open(cls, data_dir: Path) -> MatrixState:
        directory = data_dir / DIR_NAME
        try:
            (directory / STORE_DIR).mkdir(parents=True, exist_ok=True, mode=0o700)
            directory.chmod(0o700)
        except OSError as exc:
            raise ConfigError(
                f"cannot create {directory} ({exc.strerror}); "
                "set WEGWEISER_DATA_DIR to a writable folder"
            ) from None
        state = cls(directory)
        state._load_handled()
        return state

    @property
    def store_path(self) -> Path:
        return self.directory / STORE_DIR

    # -- login -------------------------------------------------------------------------

    def load_session(self) -> Session | None:
        try:
            data = json.loads((self.directory / SESSION_FILE).read_text(encoding="utf-8"))
            return Session(**data)
        except (OSError, ValueError, TypeError):
            return None

    def save_session(self, session: Session) -> None:
        _write_atomic(self.directory / SESSION_FILE, json.dumps(asdict(session), indent=2))

    # -- sync position -----------------------------------------------------------------

    def load_sync_token(self) -> str | None:
        try:
            return (self.directory / SYNC_TOKEN_FILE).read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def save_sync_token(self, token: str) -> None:
        _write_atomic(self.directory / SYNC_TOKEN_FILE, token)

    def forget_sync_token(self) -> None:
        (self.directory / SYNC_TOKEN_FILE).unlink(missing_ok=True)

    # -- handled events ----------------------------------------------------------------

    def _load_handled(self) -> None:
        try:
            lines = (self.directory / HANDLED_FILE).read_text(encoding="utf-8").split()
        except OSError:
            lines = []
        for event_id in lines[-HANDLED_KEEP:]:
            self._remember(event_id)
        self._journal_lines = len(lines)

    def _remember(self, event_id: str) -> None:
        if len(self._recent) == self._recent.maxlen:
            self._handled.discard(self._recent[0])
        self._recent.append(event_id)
        self._handled.add(event_id)

    def was_handled(self, event_id: str) -> bool:
        return event_id in self._handled

    def mark_handled(self, event_id: str) -> None:
        self._remember(event_id)
        path = self.directory / HANDLED_FILE
        try:
            if self._journal_lines >= 2 * HANDLED_KEEP:  # compact now and then
                _write_atomic(path, "".join(f"{e}\n" for e in self._recent))
                self._journal_lines = len(self._recent)
                return
            with path.open("a", encoding="utf-8") as fh:
                fh.write(event_id + "\n")
            self._journal_lines += 1
        except OSError as exc:  # it is a safeguard; the reply itself went out
            log.error("cannot note a handled Matrix event in %s: %s", path, exc)
