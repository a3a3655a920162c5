-- Teaching by fixing a step: an answer the model continued from a person's correction of another
-- answer's thinking. The new answer is a sibling of the one fixed (`fixed_from`); its `thinking` starts
-- with `person_thinking`, the person's words, and goes on with the model's, so the two are never
-- confused. Both are NULL for every other message.
ALTER TABLE messages ADD COLUMN fixed_from INTEGER REFERENCES messages (id) ON DELETE SET NULL;
ALTER TABLE messages ADD COLUMN person_thinking TEXT;
