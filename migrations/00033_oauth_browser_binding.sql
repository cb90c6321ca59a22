-- +goose Up
-- A login is bound to the browser that started it (a cookie whose hash is
-- kept with the state), so that a callback link made by someone else cannot
-- log a victim into the sender's account (login CSRF).
ALTER TABLE oauth_states ADD COLUMN browser_hash bytea;

-- +goose Down
ALTER TABLE oauth_states DROP COLUMN IF EXISTS browser_hash;
