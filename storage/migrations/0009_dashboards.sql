-- Team dashboards: the one message per coordinator and team that the bot keeps
-- editing as the members' states change (ids only, no content).

CREATE TABLE dashboards (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    -- Kept up to date until a while after it was last opened or refreshed.
    opened_at TEXT NOT NULL,
    UNIQUE (team_id, person_id)
);

CREATE INDEX dashboards_opened ON dashboards (opened_at);
