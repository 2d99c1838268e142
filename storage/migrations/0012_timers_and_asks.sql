-- foreign_keys: off
-- Timed check-ins (/timer), "are you OK?" from a contact (/ask), and the two
-- alert reasons they bring. SQLite cannot change a CHECK constraint in place,
-- so incidents is rebuilt (with foreign keys off, as SQLite documents, so
-- rows that reference incidents are not touched).

CREATE TABLE incidents_rebuilt (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    reason TEXT NOT NULL
        CHECK (reason IN ('missed', 'sos', 'duress', 'pin_failures', 'timer', 'ask')),
    due_at TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    offline_since TEXT,
    closed_at TEXT,
    escalated_at TEXT,
    repeats INTEGER NOT NULL DEFAULT 0,
    acknowledged_by INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    acknowledged_at TEXT,
    wake_at TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    wrong_pins INTEGER,
    -- A missed timer: when it was started; an unanswered ask: when it was asked.
    started_at TEXT,
    -- Sealed JSON: what the timer said the activist was doing, or who asked.
    detail TEXT
);

INSERT INTO incidents_rebuilt (
    id, person_id, reason, due_at, opened_at, offline_since, closed_at, escalated_at,
    repeats, acknowledged_by, acknowledged_at, wake_at, version, wrong_pins
)
SELECT
    id, person_id, reason, due_at, opened_at, offline_since, closed_at, escalated_at,
    repeats, acknowledged_by, acknowledged_at, wake_at, version, wrong_pins
FROM incidents;

DROP TABLE incidents;
ALTER TABLE incidents_rebuilt RENAME TO incidents;
CREATE INDEX incidents_open ON incidents (person_id) WHERE closed_at IS NULL;
CREATE INDEX incidents_wake_at ON incidents (wake_at) WHERE wake_at IS NOT NULL;

-- A running timer lives in the watch (and in the phone's view, which holds a
-- watch too): when it started, when it ends, the reminder before its end.
ALTER TABLE watches ADD COLUMN timer_started_at TEXT;
ALTER TABLE watches ADD COLUMN timer_ends_at TEXT;
ALTER TABLE watches ADD COLUMN timer_reminder_seconds INTEGER;
ALTER TABLE phone_views ADD COLUMN timer_started_at TEXT;
ALTER TABLE phone_views ADD COLUMN timer_ends_at TEXT;
ALTER TABLE phone_views ADD COLUMN timer_reminder_seconds INTEGER;

-- What the activist said they are doing while a timer runs (sealed), bound to
-- the timer's start.
CREATE TABLE timer_notes (
    person_id INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    started_at TEXT NOT NULL,
    body TEXT NOT NULL
);

-- "Are you OK?": a contact asked; no check-in by answer_by opens an alert.
CREATE TABLE asks (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    asked_at TEXT NOT NULL,
    answer_by TEXT NOT NULL,
    -- When it was answered (a check-in) or gave way to an alert.
    settled_at TEXT,
    answered INTEGER NOT NULL DEFAULT 0,
    -- answer_by while waiting; NULL once settled.
    wake_at TEXT
);

CREATE INDEX asks_wake_at ON asks (wake_at) WHERE wake_at IS NOT NULL;
CREATE INDEX asks_person ON asks (person_id, asked_at);

-- The activist may refuse asks (PIN-gated); the phone's view may believe otherwise.
ALTER TABLE people ADD COLUMN asks_off INTEGER NOT NULL DEFAULT 0;
ALTER TABLE phone_views ADD COLUMN asks_off INTEGER;
