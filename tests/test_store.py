"""The store: states cached and written in batches, nothing lost across a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.store import FLUSH_DELAY, Store


async def _open(path: Path) -> Store:
    store = Store(f"sqlite+aiosqlite:///{path}", b"secret")
    await store.open()
    return store


async def _choose_language(store: Store, user: str, language: str) -> None:
    state = await store.load("t", user)
    state.language = language
    await store.save(state)


async def test_a_changed_state_is_written_soon_and_survives_a_restart(tmp_path: Path) -> None:
    store = await _open(tmp_path / "s.db")
    state = await store.load("telegram", "42")
    assert not state.known
    state.language, state.position, state.options = "ar", "field:wohnen", ["e:wohngeld", "home"]
    await store.save(state)
    await asyncio.sleep(FLUSH_DELAY * 3)
    other = await _open(tmp_path / "s.db")  # a second process sees it: it is on disk
    seen = await other.load("telegram", "42")
    assert (seen.language, seen.position, seen.options) == (
        "ar",
        "field:wohnen",
        ["e:wohngeld", "home"],
    )
    await other.close()
    await store.close()


async def test_close_writes_what_is_pending(tmp_path: Path) -> None:
    store = await _open(tmp_path / "s.db")
    for user in range(50):
        state = await store.load("matrix", f"@u{user}:example.org")
        state.language = "uk"
        await store.save(state)
    await store.close()
    again = await _open(tmp_path / "s.db")
    assert await again.count_users() == 50
    assert (await again.load("matrix", "@u7:example.org")).language == "uk"
    await again.close()


async def test_loaded_state_is_a_copy(tmp_path: Path) -> None:
    store = await _open(tmp_path / "s.db")
    state = await store.load("t", "1")
    state.language = "de"
    await store.save(state)
    state.language = "en"  # changed after saving, not saved again
    assert (await store.load("t", "1")).language == "de"
    await store.close()


async def test_forget_removes_a_state_not_yet_written(tmp_path: Path) -> None:
    store = await _open(tmp_path / "s.db")
    await _choose_language(store, "1", "de")
    assert await store.forget("t", "1")
    await store.flush()
    assert await store.count_users() == 0
    assert not (await store.load("t", "1")).known
    await store.close()
    again = await _open(tmp_path / "s.db")
    assert await again.count_users() == 0
    await again.close()


async def test_forget_after_written(tmp_path: Path) -> None:
    store = await _open(tmp_path / "s.db")
    await _choose_language(store, "1", "de")
    await store.flush()
    assert await store.forget("t", "1")
    assert not await store.forget("t", "1")
    assert await store.count_users() == 0
    await store.close()
