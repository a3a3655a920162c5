-- Thinking harder: votes over several chains of thought, checks of an answer, the composer's mode per
-- conversation, and chains stopped because they looped.

-- A chain stopped for repeating itself ends 'looped'. SQLite cannot change a CHECK constraint in place,
-- so the table is rebuilt with the same columns in the same order; nothing references it.
CREATE TABLE generations_rebuilt (
    message_id       INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    model_id         TEXT    NOT NULL,
    model_path       TEXT,
    model_file_hash  TEXT,
    architecture     TEXT,
    quantization     TEXT,
    device           TEXT    NOT NULL,
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
    finish_reason    TEXT CHECK (finish_reason IN
        ('stop', 'length', 'cancelled', 'error', 'interrupted', 'looped')),
    error            TEXT
);
INSERT INTO generations_rebuilt SELECT * FROM generations;
DROP TABLE generations;
ALTER TABLE generations_rebuilt RENAME TO generations;
CREATE INDEX generations_by_model ON generations (model_id);

-- A vote: several chains answering one question, each chain's final answer, and the outcome. The
-- chains are ordinary answers (siblings under the question), rated and exported like any other.
CREATE TABLE votes (
    id           INTEGER PRIMARY KEY,
    question_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    -- 'majority' (one answer has more chains than any other), 'tie', or 'none' (no chain answered).
    verdict      TEXT    NOT NULL CHECK (verdict IN ('majority', 'tie', 'none')),
    -- The normalised answer of the majority (NULL unless 'majority'), and how many chains gave it
    -- (for a tie, how many gave each of the tied answers).
    winner_key   TEXT,
    agreeing     INTEGER NOT NULL,
    chains       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE INDEX votes_by_question ON votes (question_id);

CREATE TABLE vote_chains (
    message_id   INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    vote_id      INTEGER NOT NULL REFERENCES votes (id) ON DELETE CASCADE,
    -- From 0, in the order the chains were sampled.
    position     INTEGER NOT NULL,
    -- The chain's final answer as compared (normalised) and as shown; NULL when it gave none.
    answer_key   TEXT,
    answer_shown TEXT
);

CREATE INDEX vote_chains_by_vote ON vote_chains (vote_id, position);

-- The latest check of an answer: the model asked to verify it, or the grader of a checkable question.
CREATE TABLE checks (
    message_id   INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    method       TEXT    NOT NULL CHECK (method IN ('model', 'grader')),
    verdict      TEXT    NOT NULL CHECK (verdict IN ('correct', 'incorrect', 'unsure')),
    -- What the checker said: the model's reply (its thinking apart), or the grader's reason.
    reason       TEXT    NOT NULL DEFAULT '',
    thinking     TEXT,
    -- The model that checked (NULL for the grader).
    model_id     TEXT,
    created_at   INTEGER NOT NULL
);

-- How the composer answers in this conversation, as JSON ({"kind": "vote", "chains": 8}, ...);
-- NULL is the plain one-answer mode.
ALTER TABLE conversations ADD COLUMN answer_mode TEXT;
