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
    # 3: escalation chains. The coordinator's copies of an alert nobody acknowledged point to
    #    it (parent_id), and so do the coaches' copies of one crisis-contact request; the
    #    alert counts how often it was escalated, so repeats stay bounded.
    """
    ALTER TABLE alerts ADD COLUMN parent_id TEXT;
    ALTER TABLE alerts ADD COLUMN escalations INTEGER NOT NULL DEFAULT 0;
    UPDATE alerts SET escalations = 1 WHERE escalated_at IS NOT NULL;
    CREATE INDEX alerts_by_parent ON alerts (parent_id);
    CREATE INDEX alerts_by_user ON alerts (user_id, kind);
    """,
    # 4: duty chat (live). One row per conversation (at most one live per person), its forum
    #    topic in the staff group, and the relay: which message became which on the other
    #    side (ids only; `text` is filled only when the operator keeps transcripts). A relay
    #    row is written before the copy is sent, so nothing is lost across a crash.
    """
    CREATE TABLE duty_chats (
        id                 INTEGER PRIMARY KEY,
        user_id            INTEGER NOT NULL,
        chat_id            INTEGER NOT NULL,
        first_name         TEXT NOT NULL,
        lang               TEXT NOT NULL,
        chat_lang          TEXT NOT NULL,
        interpreter        INTEGER NOT NULL DEFAULT 0,
        crisis             INTEGER NOT NULL DEFAULT 0,
        voice              INTEGER NOT NULL DEFAULT 0,
        status             TEXT NOT NULL DEFAULT 'waiting'
                           CHECK (status IN ('waiting', 'open', 'closed', 'unserved')),
        coach_id           TEXT,
        topic_id           INTEGER,
        topic_done         INTEGER NOT NULL DEFAULT 0,
        rating             INTEGER CHECK (rating IN (0, 1)),
        started_at         TEXT NOT NULL,
        taken_at           TEXT,
        first_response_at  TEXT,
        ended_at           TEXT
    );
    CREATE UNIQUE INDEX one_live_duty_chat ON duty_chats (user_id)
        WHERE status IN ('waiting', 'open');
    CREATE INDEX duty_chats_by_status ON duty_chats (status, chat_lang);
    CREATE INDEX duty_chats_by_topic ON duty_chats (topic_id);
    CREATE TABLE duty_relay (
        id               INTEGER PRIMARY KEY,
        duty_chat_id     INTEGER NOT NULL REFERENCES duty_chats (id) ON DELETE CASCADE,
        direction        TEXT NOT NULL CHECK (direction IN ('to_staff', 'to_person')),
        from_chat        INTEGER NOT NULL,
        from_message     INTEGER NOT NULL,
        copy_message     INTEGER,
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT NOT NULL,
        received_at      REAL NOT NULL,
        delivered_at     REAL,
        text             TEXT,
        UNIQUE (from_chat, from_message)
    );
    CREATE INDEX duty_relay_due ON duty_relay (copy_message, next_attempt_at);
    """,
    # 5: mentoring programmes. A profile holds only what its programme asks (JSON); the
    #    coordinator's note is private. One open pair (proposed or active) per participant,
    #    guaranteed by partial unique indexes. `mentoring_events` and `mentoring_answers`
    #    hold no user ids: the report's figures outlive /forget and the retention purge.
    """
    CREATE TABLE mentoring_participants (
        id            INTEGER PRIMARY KEY,
        programme     TEXT NOT NULL,
        role          TEXT NOT NULL,
        user_id       INTEGER NOT NULL,
        chat_id       INTEGER NOT NULL,
        first_name    TEXT NOT NULL,
        username      TEXT,
        lang          TEXT NOT NULL,
        profile       TEXT NOT NULL DEFAULT '{}',
        status        TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'accepted',
                      'not_now', 'not_suitable', 'paired', 'finished')),
        note          TEXT,
        interview_id  INTEGER,
        updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
        created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE UNIQUE INDEX one_signup_per_role ON mentoring_participants (programme, role,
        user_id);
    CREATE INDEX participants_by_user ON mentoring_participants (user_id);
    CREATE TABLE mentoring_pairs (
        id              INTEGER PRIMARY KEY,
        programme       TEXT NOT NULL,
        seeker_id       INTEGER NOT NULL,
        partner_id      INTEGER NOT NULL,
        status          TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed',
                        'active', 'declined', 'ended', 'completed')),
        seeker_yes      INTEGER,
        partner_yes     INTEGER,
        reasons         TEXT NOT NULL DEFAULT '',
        end_reason      TEXT,
        started_at      TEXT,
        ended_at        TEXT,
        last_met_at     TEXT,
        alerted_at      TEXT,
        checkins_sent   INTEGER NOT NULL DEFAULT 0,
        created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE UNIQUE INDEX one_open_pair_per_seeker ON mentoring_pairs (seeker_id)
        WHERE status IN ('proposed', 'active');
    CREATE UNIQUE INDEX one_open_pair_per_partner ON mentoring_pairs (partner_id)
        WHERE status IN ('proposed', 'active');
    CREATE TABLE mentoring_checkins (
        pair_id         INTEGER NOT NULL REFERENCES mentoring_pairs (id) ON DELETE CASCADE,
        participant_id  INTEGER NOT NULL,
        round           INTEGER NOT NULL,
        met             INTEGER,
        hours           INTEGER,
        mood            TEXT,
        PRIMARY KEY (pair_id, participant_id, round)
    );
    CREATE TABLE mentoring_events (
        id          INTEGER PRIMARY KEY,
        programme   TEXT NOT NULL,
        kind        TEXT NOT NULL,
        role        TEXT,
        detail      TEXT,
        amount      INTEGER NOT NULL DEFAULT 1,
        created_at  TEXT NOT NULL
    );
    CREATE INDEX mentoring_events_by_kind ON mentoring_events (programme, kind);
    CREATE TABLE mentoring_answers (
        programme   TEXT NOT NULL,
        pair_id     INTEGER NOT NULL,
        side        TEXT NOT NULL CHECK (side IN ('seeker', 'partner')),
        role        TEXT NOT NULL,
        question    TEXT NOT NULL,
        answer      TEXT NOT NULL CHECK (answer IN ('yes', 'partly', 'no')),
        PRIMARY KEY (pair_id, side, question)
    );
    """,
    # 6: the editors' and operators' loop, with no person in it. Daily counters (messages by
    #    language and reply, answers by topic, bookings by meeting language and mode ...);
    #    a salt per month that turns a Telegram id into a token for counting distinct people
    #    (deleted when the month is over, so old tokens lead back to nobody); and the
    #    scrubbed texts of questions the bot could not answer, with the day but not the time
    #    or the person, deleted after a configurable number of days.
    """
    CREATE TABLE usage_counts (
        day      TEXT NOT NULL,
        event    TEXT NOT NULL,
        lang     TEXT NOT NULL DEFAULT '',
        subject  TEXT NOT NULL DEFAULT '',
        detail   TEXT NOT NULL DEFAULT '',
        count    INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, event, lang, subject, detail)
    ) WITHOUT ROWID;
    CREATE TABLE month_salts (
        month  TEXT PRIMARY KEY,
        salt   BLOB NOT NULL
    );
    CREATE TABLE visitors (
        day    TEXT NOT NULL,
        token  BLOB NOT NULL,
        PRIMARY KEY (day, token)
    ) WITHOUT ROWID;
    CREATE TABLE unanswered (
        id      INTEGER PRIMARY KEY,
        day     TEXT NOT NULL,
        lang    TEXT NOT NULL,
        reason  TEXT NOT NULL CHECK (reason IN ('fallback', 'candidates', 'unhelpful')),
        topic   TEXT,
        text    TEXT NOT NULL
    );
    CREATE INDEX unanswered_by_day ON unanswered (day);
    """,
    # 7: delivering alerts. `message_id` is the coach's copy once Telegram answered (so /forget
    #    can blank it later); `in_flight` is set while a send is out, so a copy cut off by a
    #    crash is known; `unconfirmed` counts copies that may have arrived unanswered (the next
    #    copy is marked as a possible repeat).
    """
    ALTER TABLE alerts ADD COLUMN message_id INTEGER;
    ALTER TABLE alerts ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE alerts ADD COLUMN unconfirmed INTEGER NOT NULL DEFAULT 0;
    """,
    # 8: What's on. Occurrences of the activities file that someone signed up for (with their
    #    places, copied from the file at the first sign-up); sign-ups, where triggers make the
    #    database itself refuse a place past the occurrence's places (the rest wait in line);
    #    who opted in to announcements and on which topics (a row also means "asked once");
    #    announcements and their deliveries, one row per recipient with a state, so a restart
    #    resumes a broadcast without sending anyone a second copy or skipping anyone.
    """
    CREATE TABLE activity_occurrences (
        activity    TEXT NOT NULL,
        starts_at   TEXT NOT NULL,
        ends_at     TEXT NOT NULL,
        places      INTEGER,
        status      TEXT NOT NULL DEFAULT 'on' CHECK (status IN ('on', 'cancelled')),
        full_told   INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (activity, starts_at)
    ) WITHOUT ROWID;
    CREATE TABLE activity_signups (
        id           INTEGER PRIMARY KEY,
        activity     TEXT NOT NULL,
        starts_at    TEXT NOT NULL,
        user_id      INTEGER NOT NULL,
        chat_id      INTEGER NOT NULL,
        first_name   TEXT NOT NULL,
        lang         TEXT NOT NULL,
        kind         TEXT NOT NULL CHECK (kind IN ('place', 'waiting', 'reminder')),
        status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
        attended     INTEGER,
        reminded_at  TEXT,
        created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
        FOREIGN KEY (activity, starts_at) REFERENCES activity_occurrences (activity, starts_at)
    );
    CREATE UNIQUE INDEX one_signup_per_occurrence ON activity_signups (activity, starts_at,
        user_id) WHERE status = 'active';
    CREATE INDEX signups_by_user ON activity_signups (user_id, status);
    CREATE TRIGGER no_overbooking BEFORE INSERT ON activity_signups
    WHEN NEW.kind = 'place' AND NEW.status = 'active' AND (
        SELECT COUNT(*) FROM activity_signups WHERE activity = NEW.activity
          AND starts_at = NEW.starts_at AND kind = 'place' AND status = 'active'
    ) >= (SELECT COALESCE(places, 1000000000) FROM activity_occurrences
          WHERE activity = NEW.activity AND starts_at = NEW.starts_at)
    BEGIN
        SELECT RAISE(ABORT, 'activity full');
    END;
    CREATE TRIGGER no_overbooking_on_moving_up BEFORE UPDATE OF kind, status ON activity_signups
    WHEN NEW.kind = 'place' AND NEW.status = 'active'
      AND NOT (OLD.kind = 'place' AND OLD.status = 'active') AND (
        SELECT COUNT(*) FROM activity_signups WHERE activity = NEW.activity
          AND starts_at = NEW.starts_at AND kind = 'place' AND status = 'active'
    ) >= (SELECT COALESCE(places, 1000000000) FROM activity_occurrences
          WHERE activity = NEW.activity AND starts_at = NEW.starts_at)
    BEGIN
        SELECT RAISE(ABORT, 'activity full');
    END;
    CREATE TABLE subscriptions (
        user_id     INTEGER PRIMARY KEY,
        chat_id     INTEGER NOT NULL,
        lang        TEXT NOT NULL,
        events      INTEGER NOT NULL DEFAULT 0,
        urgent      INTEGER NOT NULL DEFAULT 0,
        updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE TABLE announcements (
        id                INTEGER PRIMARY KEY,
        topic             TEXT NOT NULL CHECK (topic IN ('events', 'urgent')),
        texts             TEXT NOT NULL,
        occurrence        TEXT,
        coordinator_chat  INTEGER NOT NULL,
        status            TEXT NOT NULL DEFAULT 'sending' CHECK (status IN ('sending', 'done')),
        created_at        TEXT NOT NULL,
        finished_at       TEXT
    );
    CREATE TABLE deliveries (
        id               INTEGER PRIMARY KEY,
        announcement_id  INTEGER REFERENCES announcements (id),
        user_id          INTEGER,
        chat_id          INTEGER NOT NULL,
        lang             TEXT NOT NULL,
        kind             TEXT NOT NULL,
        text             TEXT,
        buttons          TEXT,
        state            TEXT NOT NULL DEFAULT 'pending'
                         CHECK (state IN ('pending', 'sending', 'sent', 'blocked', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT NOT NULL,
        sent_at          TEXT
    );
    CREATE UNIQUE INDEX one_copy_per_recipient ON deliveries (announcement_id, chat_id)
        WHERE announcement_id IS NOT NULL;
    CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
    CREATE INDEX deliveries_by_announcement ON deliveries (announcement_id, state);
    """,
)
