-- Full-text search over titles, questions, answers and thinking.
--
-- The trigram tokenizer indexes every run of three characters, so Chinese (written without spaces, which
-- the default unicode61 tokenizer keeps as one huge token) is found by any 3+ character substring. A
-- two-character word (most Chinese words) is found through the trigrams that start with it, listed by
-- the vocabulary table below; a space is indexed after each text so that a word at the very end has one.
-- Both tables mirror their source tables ("external content") and triggers keep them in sync. A message
-- is indexed once it stops generating, so streaming into it does not re-index a growing text every second.

CREATE VIRTUAL TABLE message_search USING fts5 (
    content, thinking,
    content = 'messages', content_rowid = 'id',
    tokenize = 'trigram'
);

CREATE VIRTUAL TABLE message_search_terms USING fts5vocab (message_search, 'row');

CREATE VIRTUAL TABLE title_search USING fts5 (
    title,
    content = 'conversations', content_rowid = 'id',
    tokenize = 'trigram'
);

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages
WHEN new.status <> 'generating' BEGIN
    INSERT INTO message_search (rowid, content, thinking)
    VALUES (new.id, new.content || ' ', coalesce(new.thinking, '') || ' ');
END;

CREATE TRIGGER messages_search_unindex AFTER UPDATE OF content, thinking, status ON messages
WHEN old.status <> 'generating' BEGIN
    INSERT INTO message_search (message_search, rowid, content, thinking)
    VALUES ('delete', old.id, old.content || ' ', coalesce(old.thinking, '') || ' ');
END;

CREATE TRIGGER messages_search_reindex AFTER UPDATE OF content, thinking, status ON messages
WHEN new.status <> 'generating' BEGIN
    INSERT INTO message_search (rowid, content, thinking)
    VALUES (new.id, new.content || ' ', coalesce(new.thinking, '') || ' ');
END;

CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
WHEN old.status <> 'generating' BEGIN
    INSERT INTO message_search (message_search, rowid, content, thinking)
    VALUES ('delete', old.id, old.content || ' ', coalesce(old.thinking, '') || ' ');
END;

CREATE TRIGGER conversations_search_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO title_search (rowid, title) VALUES (new.id, new.title);
END;

CREATE TRIGGER conversations_search_update AFTER UPDATE OF title ON conversations BEGIN
    INSERT INTO title_search (title_search, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO title_search (rowid, title) VALUES (new.id, new.title);
END;

CREATE TRIGGER conversations_search_delete AFTER DELETE ON conversations BEGIN
    INSERT INTO title_search (title_search, rowid, title) VALUES ('delete', old.id, old.title);
END;

-- Index what the first schema already holds (finished messages only, as the triggers would).
INSERT INTO title_search (rowid, title) SELECT id, title FROM conversations;
INSERT INTO message_search (rowid, content, thinking)
    SELECT id, content || ' ', coalesce(thinking, '') || ' ' FROM messages WHERE status <> 'generating';
