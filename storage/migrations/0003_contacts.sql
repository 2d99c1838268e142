-- Contacts and alerts: invitations with consent, contacts by tier, alert
-- escalation and acknowledgement, drills.

-- The name Telegram shows for the person, for alerts and invitations.
ALTER TABLE people ADD COLUMN display_name TEXT NOT NULL DEFAULT '';

CREATE TABLE invites (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    tier INTEGER NOT NULL CHECK (tier IN (1, 2)),
    -- SHA-256 of the code: a copy of the database holds no usable invitation.
    code_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    -- Who opened the link: only they may accept it, in that chat.
    opened_by_user INTEGER,
    opened_in_chat INTEGER,
    used_at TEXT
);

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    -- The activist this contact watches over.
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    chat_id INTEGER NOT NULL,
    chat_type TEXT NOT NULL CHECK (chat_type IN ('private', 'group')),
    display_name TEXT NOT NULL,
    language TEXT NOT NULL,
    tier INTEGER NOT NULL CHECK (tier IN (1, 2)),
    status TEXT NOT NULL CHECK (status IN ('active', 'unreachable')),
    created_at TEXT NOT NULL,
    UNIQUE (person_id, chat_id)
);

CREATE INDEX contacts_chat ON contacts (chat_id);

-- Escalation, repeats and acknowledgement of an incident.
ALTER TABLE incidents ADD COLUMN escalated_at TEXT;
ALTER TABLE incidents ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN acknowledged_by INTEGER REFERENCES contacts (id) ON DELETE SET NULL;
ALTER TABLE incidents ADD COLUMN acknowledged_at TEXT;
-- The next escalation or repeat; NULL once acknowledged, closed or done.
ALTER TABLE incidents ADD COLUMN wake_at TEXT;
ALTER TABLE incidents ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

CREATE INDEX incidents_wake_at ON incidents (wake_at) WHERE wake_at IS NOT NULL;

-- A drill: a clearly marked test alert each contact confirms.
CREATE TABLE drills (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);

CREATE TABLE drill_confirmations (
    drill_id INTEGER NOT NULL REFERENCES drills (id) ON DELETE CASCADE,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    confirmed_at TEXT NOT NULL,
    PRIMARY KEY (drill_id, contact_id)
);

-- Which contact an outbox row is for, and the row it must follow in its chat
-- (an alert's location comes right after the alert's text).
ALTER TABLE outbox ADD COLUMN contact_id INTEGER REFERENCES contacts (id) ON DELETE CASCADE;
ALTER TABLE outbox ADD COLUMN after_id INTEGER REFERENCES outbox (id) ON DELETE CASCADE;
ALTER TABLE outbox ADD COLUMN drill_id INTEGER REFERENCES drills (id) ON DELETE CASCADE;

CREATE INDEX outbox_incident ON outbox (incident_id) WHERE incident_id IS NOT NULL;
