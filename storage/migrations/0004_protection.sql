-- foreign_keys: off
-- Protecting people: PINs and duress PINs, discreet mode, tracked messages for
-- /wipe, and two more alert reasons. SQLite cannot change a CHECK constraint in
-- place, so incidents is rebuilt (with foreign keys off, as SQLite documents,
-- so rows that reference incidents are not touched).

CREATE TABLE incidents_rebuilt (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    reason TEXT NOT NULL CHECK (reason IN ('missed', 'sos', 'duress', 'pin_failures')),
    due_at TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    offline_since TEXT,
    closed_at TEXT,
    escalated_at TEXT,
    repeats INTEGER NOT NULL DEFAULT 0,
    acknowledged_by INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    acknowledged_at TEXT,
    wake_at TEXT,
    version INTEGER NOT NULL DEFAULT 0
);

INSERT INTO incidents_rebuilt (
    id, person_id, reason, due_at, opened_at, offline_since, closed_at, escalated_at,
    repeats, acknowledged_by, acknowledged_at, wake_at, version
)
SELECT
    id, person_id, reason, due_at, opened_at, offline_since, closed_at, escalated_at,
    repeats, acknowledged_by, acknowledged_at, wake_at, version
FROM incidents;

DROP TABLE incidents;
ALTER TABLE incidents_rebuilt RENAME TO incidents;
CREATE INDEX incidents_open ON incidents (person_id) WHERE closed_at IS NULL;
CREATE INDEX incidents_wake_at ON incidents (wake_at) WHERE wake_at IS NOT NULL;

CREATE TABLE pins (
    person_id INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    -- scrypt$n$r$p$salt$hash; never the PIN itself.
    pin_hash TEXT,
    duress_hash TEXT,
    -- Wrong PINs in a row; past the limit the contacts are alerted.
    failures INTEGER NOT NULL DEFAULT 0
);

-- A PIN the bot is waiting for: to set one, or to allow an action.
CREATE TABLE pin_prompts (
    person_id INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    -- The first entry of a new PIN, hashed, while waiting for its confirmation.
    first_hash TEXT,
    created_at TEXT NOT NULL
);

ALTER TABLE people ADD COLUMN discreet INTEGER NOT NULL DEFAULT 0;

-- Messages in an activist's private chat that the bot may delete later:
-- check-in exchanges in discreet mode (delete_at set) and everything for /wipe.
CREATE TABLE chat_messages (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    sent_at TEXT NOT NULL,
    delete_at TEXT,
    PRIMARY KEY (chat_id, message_id)
);

CREATE INDEX chat_messages_due ON chat_messages (delete_at) WHERE delete_at IS NOT NULL;
