-- Drills a coordinator starts for a member: who started it, for which team.

ALTER TABLE drills ADD COLUMN started_by INTEGER REFERENCES people (id) ON DELETE SET NULL;
ALTER TABLE drills ADD COLUMN team_id INTEGER REFERENCES teams (id) ON DELETE SET NULL;
