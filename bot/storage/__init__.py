"""SQLite storage: one file, versioned schema, one writer at a time."""

from bot.storage.database import Database

__all__ = ["Database"]
