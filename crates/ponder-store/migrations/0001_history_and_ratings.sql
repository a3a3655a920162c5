-- Conversations, their message trees, what produced each answer, and the ratings people give.
-- Times are Unix milliseconds. Never edit this file once released: add a new migration instead.

CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    title           TEXT    NOT NULL,
    title_is_custom INTEGER NOT NULL DEFAULT 0 CHECK (title_is_custom IN (0, 1)),
    -- The first message of the branch on screen (a conversation can have several first questions).
    active_root_id  INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    -- Set when deleted; the row stays until purged so that the deletion can be undone.
    deleted_at      INTEGER
);

CREATE INDEX conversations_newest_first
    ON conversations (updated_at DESC, id DESC) WHERE deleted_at IS NULL;

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- A regenerated answer or an edited question is a sibling: same parent, new row.
    parent_id       INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    -- Which child continues the branch on screen.
    active_child_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    role            TEXT    NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    -- The question, or the final answer.
    content         TEXT    NOT NULL DEFAULT '',
    -- The chain of thought, kept apart from the answer (NULL for questions).
    thinking        TEXT,
    status          TEXT    NOT NULL DEFAULT 'complete'
        CHECK (status IN ('complete', 'generating', 'stopped', 'interrupted', 'failed')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
CREATE INDEX messages_by_parent ON messages (parent_id);
CREATE INDEX messages_generating ON messages (status) WHERE status = 'generating';

-- Everything that produced an answer, so every rating can be traced to its model and settings.
CREATE TABLE generations (
    message_id       INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    model_id         TEXT    NOT NULL,
    model_path       TEXT,
    model_file_hash  TEXT,
    architecture     TEXT,
    quantization     TEXT,
    device           TEXT    NOT NULL,
    -- Every sampling setting as JSON, so new settings need no migration.
    sampling         TEXT    NOT NULL DEFAULT '{}',
    thinking_enabled INTEGER NOT NULL CHECK (thinking_enabled IN (0, 1)),
    thinking_budget  INTEGER,
    app_version      TEXT    NOT NULL,
    prompt_tokens    INTEGER,
    thinking_tokens  INTEGER,
    answer_tokens    INTEGER,
    ttft_ms          REAL,
    thinking_ms      REAL,
    total_ms         REAL,
    finish_reason    TEXT CHECK (finish_reason IN ('stop', 'length', 'cancelled', 'error', 'interrupted')),
    error            TEXT
);

CREATE INDEX generations_by_model ON generations (model_id);

-- The current rating of an answer; no row means unrated.
CREATE TABLE ratings (
    message_id       INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    answer_vote      INTEGER CHECK (answer_vote IN (-1, 1)),
    reasoning_vote   INTEGER CHECK (reasoning_vote IN (-1, 1)),
    -- JSON array of tags from a fixed list (checked by the store).
    tags             TEXT    NOT NULL DEFAULT '[]',
    comment          TEXT,
    corrected_answer TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

CREATE INDEX ratings_by_time ON ratings (updated_at);

-- Every change to a rating, clearing included, so a changed mind is never silently lost.
CREATE TABLE rating_events (
    id               INTEGER PRIMARY KEY,
    message_id       INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    -- 'set' or 'cleared'; for 'cleared' the other fields are NULL.
    action           TEXT    NOT NULL CHECK (action IN ('set', 'cleared')),
    answer_vote      INTEGER,
    reasoning_vote   INTEGER,
    tags             TEXT,
    comment          TEXT,
    corrected_answer TEXT,
    recorded_at      INTEGER NOT NULL
);

CREATE INDEX rating_events_by_message ON rating_events (message_id, id);
