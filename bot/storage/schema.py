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
    # 2: coach bookings, their handoff alerts (an outbox), reminders, blocked times and the
    #    short question history a coach sees. The database itself guarantees that a coach's
    #    slot holds one active booking, and that nobody holds more upcoming bookings than
    #    the cap in `limits` (kept in step with the coaches file at start-up).
    """
    CREATE TABLE limits (
        name   TEXT PRIMARY KEY,
        value  INTEGER NOT NULL
    );
    INSERT INTO limits (name, value) VALUES ('max_upcoming_per_person', 2);
    CREATE TABLE bookings (
        id            INTEGER PRIMARY KEY,
        user_id       INTEGER NOT NULL,
        chat_id       INTEGER NOT NULL,
        first_name    TEXT NOT NULL,
        lang          TEXT NOT NULL,
        meeting_lang  TEXT NOT NULL,
        interpreter   INTEGER NOT NULL DEFAULT 0,
        voice         INTEGER NOT NULL DEFAULT 0,
        mode          TEXT NOT NULL,
        topic         TEXT,
        note          TEXT,
        coach_id      TEXT NOT NULL,
        starts_at     TEXT NOT NULL,
        ends_at       TEXT NOT NULL,
        status        TEXT NOT NULL DEFAULT 'active'
                      CHECK (status IN ('active', 'cancelled', 'done', 'no_show')),
        created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE UNIQUE INDEX one_active_booking_per_slot ON bookings (coach_id, starts_at)
        WHERE status = 'active';
    CREATE INDEX bookings_by_user ON bookings (user_id, status);
    CREATE TRIGGER booking_cap BEFORE INSERT ON bookings
    WHEN NEW.status = 'active' AND (
        SELECT COUNT(*) FROM bookings
        WHERE user_id = NEW.user_id AND status = 'active'
          AND starts_at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
    ) >= (SELECT value FROM limits WHERE name = 'max_upcoming_per_person')
    BEGIN
        SELECT RAISE(ABORT, 'booking cap reached');
    END;
    CREATE TABLE alerts (
        id               TEXT PRIMARY KEY,
        booking_id       INTEGER REFERENCES bookings (id) ON DELETE CASCADE,
        user_id          INTEGER,
        kind             TEXT NOT NULL,
        chat_id          INTEGER NOT NULL,
        text             TEXT NOT NULL,
        buttons          INTEGER NOT NULL DEFAULT 1,
        status           TEXT NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'sent', 'acknowledged', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
        sent_at          TEXT,
        acknowledged_at  TEXT,
        escalated_at     TEXT,
        created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE INDEX alerts_due ON alerts (status, next_attempt_at);
    CREATE TABLE reminders (
        booking_id  INTEGER NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
        kind        TEXT NOT NULL CHECK (kind IN ('day_before', 'hour_before')),
        due_at      TEXT NOT NULL,
        sent_at     TEXT,
        PRIMARY KEY (booking_id, kind)
    );
    CREATE TABLE blocks (
        id          INTEGER PRIMARY KEY,
        coach_id    TEXT NOT NULL,
        starts_at   TEXT NOT NULL,
        ends_at     TEXT NOT NULL
    );
    CREATE TABLE history (
        id          INTEGER PRIMARY KEY,
        user_id     INTEGER NOT NULL,
        question    TEXT NOT NULL,
        reply_kind  TEXT NOT NULL,
        topic       TEXT,
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE INDEX history_by_user ON history (user_id, id);
    """,
    # 3: delivering alerts. `message_id` is the coach's copy once Telegram answered (so /forget
    #    can blank it later); `in_flight` is set while a send is out, so a copy cut off by a
    #    crash is known; `unconfirmed` counts copies that may have arrived unanswered (the next
    #    copy is marked as a possible repeat).
    """
    ALTER TABLE alerts ADD COLUMN message_id INTEGER;
    ALTER TABLE alerts ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE alerts ADD COLUMN unconfirmed INTEGER NOT NULL DEFAULT 0;
    """,
)
