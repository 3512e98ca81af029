-- The users list counts each tab (status, and banned_until for Active and Banned) up to 10,001
-- rows, so a count reads an index range and stops: one index for the platform's admins (all
-- users), one for an admin of one service provider (its users only).
CREATE INDEX users_status ON users (status, banned_until);
CREATE INDEX users_provider_status ON users (provider_id, status, banned_until);
