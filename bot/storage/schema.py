"""The schema as numbered migrations; `PRAGMA user_version` records how far a file has come.

Never edit a released migration: add a new one. Each runs in its own transaction,
so a crash mid-way leaves the file at the previous version and the next start retries.
"""

MIGRATIONS: tuple[str, ...] = (
    # 1: people's language choice, and anonymous answer feedback for editors.
    """
    CREATE TABLE users (
        user_id     INTEGER PRIMARY KEY,
        lang        TEXT NOT NULL,
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
        updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE TABLE feedback (
        id          INTEGER PRIMARY KEY,
        topic       TEXT NOT NULL,
        lang        TEXT NOT NULL,
        helped      INTEGER NOT NULL CHECK (helped IN (0, 1)),
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE INDEX feedback_by_topic ON feedback (topic, lang);
    """,
)
