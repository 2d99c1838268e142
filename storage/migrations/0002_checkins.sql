-- The check-in cycle: one watch per person, the outbox of messages its
-- transitions cause, incidents (alerts), last-known context and instructions.

CREATE TABLE watches (
    person_id INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    zone TEXT NOT NULL,
    grace_seconds INTEGER NOT NULL CHECK (grace_seconds >= 0),
    -- Reminder offsets in seconds before the deadline, largest first, comma-separated.
    reminders TEXT NOT NULL,
    plan_every_seconds INTEGER CHECK (plan_every_seconds > 0),
    -- Daily local times "HH:MM", sorted, comma-separated.
    plan_times TEXT,
    state TEXT NOT NULL CHECK (state IN ('unarmed', 'ok', 'due', 'overdue', 'paused', 'sos')),
    deadline_at TEXT,
    reminders_done INTEGER NOT NULL DEFAULT 0,
    last_checkin_at TEXT,
    paused_until TEXT,
    -- The next moment the sweeper must look at this watch; derived from the
    -- columns above and stored so "what is due?" is one indexed range scan.
    wake_at TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    CHECK (plan_every_seconds IS NULL OR plan_times IS NULL)
);

CREATE INDEX watches_wake_at ON watches (wake_at) WHERE wake_at IS NOT NULL;

-- An alert about one person: a missed deadline or an SOS, open until all clear.
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    reason TEXT NOT NULL CHECK (reason IN ('missed', 'sos')),
    -- The logical moment: when the check-in was due, or when SOS was pressed.
    due_at TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    -- Set when the deadline passed while the bot was not running.
    offline_since TEXT,
    closed_at TEXT
);

CREATE INDEX incidents_open ON incidents (person_id) WHERE closed_at IS NULL;

-- Messages to send. A row is written in the same transaction as the state
-- change that causes it and marked sent only after Telegram returned a message id.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    incident_id INTEGER REFERENCES incidents (id) ON DELETE CASCADE,
    -- The recipient's chat; NULL for rows addressed to the person's contacts,
    -- which are fanned out to each contact.
    chat_id INTEGER,
    kind TEXT NOT NULL,
    -- Lower goes first: SOS before missed-check-in alerts before reminders.
    priority INTEGER NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    sent_at TEXT,
    telegram_message_id INTEGER,
    last_error TEXT
);

CREATE INDEX outbox_pending ON outbox (priority, next_attempt_at, id) WHERE status = 'pending';

-- What the activist sent that was not a command: kept for alerts, within retention.
CREATE TABLE context_items (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    telegram_message_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('text', 'location', 'photo', 'voice', 'other')),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- A live location's moves edit the same message: they update this row.
    UNIQUE (person_id, telegram_message_id)
);

CREATE INDEX context_items_recent ON context_items (person_id, created_at);

CREATE TABLE instructions (
    person_id INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Small facts about the running bot, such as when the sweeper last ticked.
CREATE TABLE runtime (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
