"""Builds the running parts from the settings: content, store and conversation."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.conversation import Conversation
from bot.library import LibraryHolder
from bot.store import Store


@dataclass
class App:
    settings: Settings
    library: LibraryHolder
    store: Store
    conversation: Conversation

    @classmethod
    async def open(cls, settings: Settings) -> App:
        """Load the content (raising ContentError) and open the database."""
        library = LibraryHolder(settings.content_dir, settings.locales_dir)
        settings.prepare_data_dir()
        store = Store(settings.database_url, settings.secret())
        await store.open()
        # Questions older than promised go; with keeping switched off, all of them do
        # (the privacy notice then says that questions are not stored).
        await store.purge_unanswered(settings.unanswered_days if settings.keep_unanswered else 0)
        conversation = Conversation(
            library,
            store,
            keep_unanswered=settings.keep_unanswered,
            unanswered_days=settings.unanswered_days,
        )
        return cls(settings, library, store, conversation)

    async def close(self) -> None:
        await self.store.close()
