"""What the Matrix adapter keeps on disk between runs."""

from __future__ import annotations

import stat
from pathlib import Path

from bot.adapters.matrix_state import HANDLED_FILE, HANDLED_KEEP, MatrixState, Session


def test_sync_position_handled_events_and_login_survive_a_restart(tmp_path: Path) -> None:
    state = MatrixState.open(tmp_path)
    assert state.load_sync_token() is None and state.load_session() is None
    state.save_sync_token("s42")
    state.mark_handled("$answered")
    session = Session("https://m.example.org", "@w:example.org", "DEVICE", "token")
    state.save_session(session)

    again = MatrixState.open(tmp_path)
    assert again.load_sync_token() == "s42"
    assert again.was_handled("$answered") and not again.was_handled("$new")
    assert again.load_session() == session
    session_file = tmp_path / "matrix" / "session.json"
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "matrix").stat().st_mode) == 0o700


def test_the_handled_journal_stays_small_and_keeps_the_newest(tmp_path: Path) -> None:
    state = MatrixState.open(tmp_path)
    for number in range(3 * HANDLED_KEEP):
        state.mark_handled(f"$e{number}")
    journal = (tmp_path / "matrix" / HANDLED_FILE).read_text().split()
    assert len(journal) <= 2 * HANDLED_KEEP
    again = MatrixState.open(tmp_path)
    assert again.was_handled(f"$e{3 * HANDLED_KEEP - 1}")
    assert not again.was_handled("$e0")


def test_a_broken_session_file_means_logging_in_again(tmp_path: Path) -> None:
    state = MatrixState.open(tmp_path)
    (tmp_path / "matrix" / "session.json").write_text("{not json")
    assert state.load_session() is None
