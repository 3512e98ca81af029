-- Search by folded text (store/search.c): search_key holds the username, names and e-mail address
-- case-folded, decomposed and without combining marks ("Émile" is "emile"), written by the store
-- with every change of those fields; search_grams the short terms a user is found by (the first
-- one and two characters of each word; every character and pair of characters of Chinese,
-- Japanese and Korean text). The trigram table serves terms of three characters and more, the
-- grams table the shorter ones (token match only: detail=none). users_name_search lets a search
-- sorted by name walk the names in order without reading the rows. Rows written before this
-- migration get their columns from the server at its next start (users_search_pending).
DROP TRIGGER users_fts_insert;
DROP TRIGGER users_fts_update;
DROP TRIGGER users_fts_delete;
DROP TABLE users_fts;
ALTER TABLE users DROP COLUMN search_text;
ALTER TABLE users ADD COLUMN search_key TEXT;
ALTER TABLE users ADD COLUMN search_grams TEXT;
DROP INDEX users_sort_name;
CREATE INDEX users_name_search ON users (sort_name, id, search_key, search_grams);
CREATE INDEX users_search_pending ON users (id) WHERE search_key IS NULL;

CREATE VIRTUAL TABLE users_fts USING fts5 (
    search_key, content = 'users', content_rowid = 'id', tokenize = 'trigram case_sensitive 1'
);
CREATE VIRTUAL TABLE users_grams USING fts5 (
    search_grams, content = 'users', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0', detail = none
);
CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_fts (rowid, search_key) VALUES (new.id, new.search_key);
    INSERT INTO users_grams (rowid, search_grams) VALUES (new.id, new.search_grams);
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF search_key, search_grams ON users BEGIN
    INSERT INTO users_fts (users_fts, rowid, search_key) VALUES ('delete', old.id, old.search_key);
    INSERT INTO users_fts (rowid, search_key) VALUES (new.id, new.search_key);
    INSERT INTO users_grams (users_grams, rowid, search_grams)
        VALUES ('delete', old.id, old.search_grams);
    INSERT INTO users_grams (rowid, search_grams) VALUES (new.id, new.search_grams);
END;
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_fts (users_fts, rowid, search_key) VALUES ('delete', old.id, old.search_key);
    INSERT INTO users_grams (users_grams, rowid, search_grams)
        VALUES ('delete', old.id, old.search_grams);
END;
