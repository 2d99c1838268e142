-- Teams: coordinators who look after activists, with their consent; a duty chat;
-- an audit trail of every change to a member's protection.

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    -- Sealed: an organisation's name says who works with whom.
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- The defaults a member gets on joining if they have no plan yet (NULL: none).
    default_every_seconds INTEGER,
    default_times TEXT,
    default_grace_seconds INTEGER,
    default_reminders TEXT,
    -- The group chat that receives every member's alerts, and at which tier;
    -- its title (sealed) names it in each member's contacts.
    duty_chat_id INTEGER,
    duty_chat_name TEXT,
    duty_tier INTEGER NOT NULL DEFAULT 2 CHECK (duty_tier IN (1, 2))
);

CREATE TABLE coordinators (
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    added_at TEXT NOT NULL,
    PRIMARY KEY (team_id, person_id)
);

CREATE INDEX coordinators_person ON coordinators (person_id);

CREATE TABLE members (
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    joined_at TEXT NOT NULL,
    PRIMARY KEY (team_id, person_id)
);

CREATE INDEX members_person ON members (person_id);

-- One-time links of a team: to become its coordinator, to join it as an activist,
-- or (opened in a group by a coordinator) to make that group the team's duty chat.
-- Same properties as contact invitations: only the code's hash is kept, single
-- use, expiring, bound to the first opener.
CREATE TABLE team_invites (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('coordinator', 'member', 'duty_chat')),
    -- The coordinator who made the link.
    created_by INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    opened_by_user INTEGER,
    opened_in_chat INTEGER,
    contested_at TEXT,
    used_at TEXT
);

-- A contact invitation made by a coordinator for an activist, and the contact it
-- made: the activist is told who added whom; that coordinator may remove it.
ALTER TABLE invites ADD COLUMN by_coordinator INTEGER REFERENCES people (id) ON DELETE SET NULL;
ALTER TABLE invites ADD COLUMN team_id INTEGER REFERENCES teams (id) ON DELETE SET NULL;
ALTER TABLE contacts ADD COLUMN added_by INTEGER REFERENCES people (id) ON DELETE SET NULL;
-- Set on the contact rows of a team's duty chat (one per member).
ALTER TABLE contacts ADD COLUMN duty_of INTEGER REFERENCES teams (id) ON DELETE CASCADE;

-- What happened to a member's protection, content-free: who did what, when.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    -- The member it concerns (NULL for team-wide events such as a new coordinator).
    person_id INTEGER REFERENCES people (id) ON DELETE SET NULL,
    -- Who did it (NULL: the bot itself, e.g. a missed deadline).
    actor_id INTEGER REFERENCES people (id) ON DELETE SET NULL,
    event TEXT NOT NULL,
    -- Sealed JSON of names and settings the event needs, never message content.
    detail TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX audit_events_team ON audit_events (team_id, id);
CREATE INDEX audit_events_created ON audit_events (created_at);

-- Teams the phone was shown left under duress (comma-separated ids); the server
-- keeps the membership and the coordinators keep watching.
ALTER TABLE phone_views ADD COLUMN hidden_teams TEXT NOT NULL DEFAULT '';
