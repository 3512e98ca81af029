-- Search by folded text: the twin of sqlite/009_search.sql. search_key is served by pg_trgm for
-- terms of three characters and more; search_grams (space-separated, as on SQLite) by a GIN index
-- of its words as an array, for the shorter terms and for Han text, whose trigrams pg_trgm
-- extracts only in some locales. users_name_search lets
-- a search sorted by name walk the names in order with an index-only scan.
DROP INDEX users_search;
ALTER TABLE users DROP COLUMN search_text;
ALTER TABLE users ADD COLUMN search_key TEXT COLLATE "C", ADD COLUMN search_grams TEXT COLLATE "C";
DROP INDEX users_sort_name;
CREATE INDEX users_name_search ON users (sort_name, id) INCLUDE (search_key, search_grams);
CREATE INDEX users_search_pending ON users (id) WHERE search_key IS NULL;
CREATE INDEX users_search ON users USING gin (search_key gin_trgm_ops);
CREATE INDEX users_search_grams ON users USING gin (string_to_array(search_grams, ' '));
-- A search lists the first page of matches: for a common term the id order finds it at once, for
-- a rare one the index does. The planner tells them apart from these columns' statistics; the
-- default 100 buckets call nearly every term rare.
ALTER TABLE users ALTER COLUMN search_key SET STATISTICS 1000;
ALTER INDEX users_search_grams ALTER COLUMN 1 SET STATISTICS 1000;
