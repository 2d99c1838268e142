-- Everyone who has talked to the bot. A private chat's id equals its user's id,
-- so one column serves both.
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    telegram_user_id INTEGER NOT NULL UNIQUE,
    -- One of the languages the bot speaks: en, ru, tk.
    language TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
