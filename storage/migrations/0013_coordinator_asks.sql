-- foreign_keys: off
-- A team's coordinator may ask a member "are you OK?" too: an ask comes from a
-- contact or from a coordinator of one of the member's teams. asks is rebuilt
-- to let contact_id be empty when a coordinator asked.

CREATE TABLE asks_rebuilt (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    contact_id INTEGER REFERENCES contacts (id) ON DELETE CASCADE,
    coordinator_id INTEGER REFERENCES people (id) ON DELETE CASCADE,
    team_id INTEGER REFERENCES teams (id) ON DELETE CASCADE,
    asked_at TEXT NOT NULL,
    answer_by TEXT NOT NULL,
    -- When it was answered (a check-in) or gave way to an alert.
    settled_at TEXT,
    answered INTEGER NOT NULL DEFAULT 0,
    -- answer_by while waiting; NULL once settled.
    wake_at TEXT,
    CHECK ((contact_id IS NULL) != (coordinator_id IS NULL)),
    CHECK ((coordinator_id IS NULL) = (team_id IS NULL))
);

INSERT INTO asks_rebuilt (
    id, person_id, contact_id, asked_at, answer_by, settled_at, answered, wake_at
)
SELECT id, person_id, contact_id, asked_at, answer_by, settled_at, answered, wake_at FROM asks;

DROP TABLE asks;
ALTER TABLE asks_rebuilt RENAME TO asks;
CREATE INDEX asks_wake_at ON asks (wake_at) WHERE wake_at IS NOT NULL;
CREATE INDEX asks_person ON asks (person_id, asked_at);
