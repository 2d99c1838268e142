-- The trail of places: the positions a live location passed through (and shared
-- locations), a few minutes apart, so an alert can show the route, not one point.
-- Each body is sealed like all context.

CREATE TABLE trail_points (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    -- The message of the sharing (a live location's moves all carry its id).
    telegram_message_id INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    body TEXT NOT NULL
);

CREATE INDEX trail_points_person ON trail_points (person_id, recorded_at);
