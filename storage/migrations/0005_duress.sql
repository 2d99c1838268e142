-- The PIN guards everything that changes when or whether an alert fires, and
-- a duress PIN leaves the phone believing what it was shown.

-- Several duress PINs: a PIN chosen at a prompt opened with a duress PIN
-- becomes one more. Space-separated scrypt hashes, the activist's own first.
ALTER TABLE pins ADD COLUMN duress_hashes TEXT NOT NULL DEFAULT '';
UPDATE pins SET duress_hashes = coalesce(duress_hash, '');
ALTER TABLE pins DROP COLUMN duress_hash;
-- Wrong PINs lock the PIN out for growing periods; until then it is refused.
ALTER TABLE pins ADD COLUMN locked_until TEXT;

-- Whether a duress PIN opened the prompt (a PIN chosen there is a duress PIN),
-- and new instructions waiting for the PIN (sealed).
ALTER TABLE pin_prompts ADD COLUMN unlock TEXT NOT NULL DEFAULT 'real'
    CHECK (unlock IN ('real', 'duress'));
ALTER TABLE pin_prompts ADD COLUMN pending TEXT;

-- How many wrong PINs in a row a PIN-failure alert is about.
ALTER TABLE incidents ADD COLUMN wrong_pins INTEGER;

-- What the phone believes while a duress episode is open: the watch it was
-- shown (same columns as watches), the PINs it believes in, the contacts it
-- was shown removed. The sweeper wakes it for the reminders and prompts the
-- phone expects; alerts come only from the real watch.
CREATE TABLE phone_views (
    person_id INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    zone TEXT NOT NULL,
    grace_seconds INTEGER NOT NULL CHECK (grace_seconds >= 0),
    reminders TEXT NOT NULL,
    plan_every_seconds INTEGER CHECK (plan_every_seconds > 0),
    plan_times TEXT,
    state TEXT NOT NULL,
    deadline_at TEXT,
    reminders_done INTEGER NOT NULL DEFAULT 0,
    last_checkin_at TEXT,
    paused_until TEXT,
    wake_at TEXT,
    pin_hash TEXT,
    duress_hash TEXT,
    -- Comma-separated contact ids.
    hidden_contacts TEXT NOT NULL DEFAULT '',
    has_instructions INTEGER NOT NULL DEFAULT 0,
    discreet INTEGER,
    version INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX phone_views_wake_at ON phone_views (wake_at) WHERE wake_at IS NOT NULL;
