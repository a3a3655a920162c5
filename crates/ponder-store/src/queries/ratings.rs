//! Ratings: set, change, clear, and the history of every change.

use std::collections::BTreeMap;

use sqlx::Row;

use crate::error::{Result, StoreError};
use crate::rating::{tags_from_json, tags_to_json, Vote};
use crate::{MessageId, MessageStatus, Rating, RatingEvent, RatingInput, Role, Store};

impl Store {
    /// Rates an answer, or changes its rating. The previous rating stays in the history.
    pub async fn rate(&self, answer: MessageId, input: RatingInput) -> Result<Rating> {
        if input.answer.is_none() && input.reasoning.is_none() && input.corrected_answer.is_none() {
            return Err(StoreError::Invalid(
                "a rating needs a thumbs up or down, or a corrected answer".into(),
            ));
        }
        if input.corrected_answer.as_deref().is_some_and(|c| c.trim().is_empty()) {
            return Err(StoreError::Invalid("a corrected answer cannot be empty".into()));
        }
        let message = self.message(answer).await?;
        if message.role != Role::Assistant {
            return Err(StoreError::Invalid("only answers can be rated".into()));
        }
        if message.status == MessageStatus::Generating {
            return Err(StoreError::Invalid("an answer can be rated once it has finished".into()));
        }
        let now = self.now();
        let tags = tags_to_json(&input.tags);
        let vote = |v: Option<Vote>| v.map(Vote::to_db);
        let mut tx = self.writer.begin().await.map_err(self.sql_err())?;
        sqlx::query(
            "INSERT INTO ratings (message_id, answer_vote, reasoning_vote, tags, comment,
                                  corrected_answer, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
             ON CONFLICT (message_id) DO UPDATE SET
               answer_vote = excluded.answer_vote, reasoning_vote = excluded.reasoning_vote,
               tags = excluded.tags, comment = excluded.comment,
               corrected_answer = excluded.corrected_answer, updated_at = excluded.updated_at",
        )
        .bind(answer)
        .bind(vote(input.answer))
        .bind(vote(input.reasoning))
        .bind(&tags)
        .bind(&input.comment)
        .bind(&input.corrected_answer)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(self.sql_err())?;
        // The history row is a copy of the rating just written, so the two can never disagree.
        sqlx::query(
            "INSERT INTO rating_events (message_id, action, answer_vote, reasoning_vote, tags, comment,
                                        corrected_answer, recorded_at)
             SELECT message_id, 'set', answer_vote, reasoning_vote, tags, comment, corrected_answer,
                    updated_at
             FROM ratings WHERE message_id = ?1",
        )
        .bind(answer)
        .execute(&mut *tx)
        .await
        .map_err(self.sql_err())?;
        tx.commit().await.map_err(self.sql_err())?;
        self.message(answer)
            .await?
            .rating
            .ok_or(StoreError::NotFound { what: "rating", id: answer.0 })
    }

    /// Removes an answer's rating (recorded in the history as cleared). Clearing an unrated answer
    /// does nothing.
    pub async fn clear_rating(&self, answer: MessageId) -> Result<()> {
        let mut tx = self.writer.begin().await.map_err(self.sql_err())?;
        let gone = sqlx::query("DELETE FROM ratings WHERE message_id = ?1")
            .bind(answer)
            .execute(&mut *tx)
            .await
            .map_err(self.sql_err())?;
        if gone.rows_affected() > 0 {
            sqlx::query(
                "INSERT INTO rating_events (message_id, action, recorded_at) VALUES (?1, 'cleared', ?2)",
            )
            .bind(answer)
            .bind(self.now())
            .execute(&mut *tx)
            .await
            .map_err(self.sql_err())?;
        }
        tx.commit().await.map_err(self.sql_err())
    }

    /// Every change to an answer's rating, oldest first.
    pub async fn rating_history(&self, answer: MessageId) -> Result<Vec<RatingEvent>> {
        Ok(self.rating_histories(&[answer]).await?.remove(&answer).unwrap_or_default())
    }

    /// [`Store::rating_history`] of many answers in one query (an export page's), by answer; an
    /// answer never rated is absent.
    pub async fn rating_histories(
        &self,
        answers: &[MessageId],
    ) -> Result<BTreeMap<MessageId, Vec<RatingEvent>>> {
        let ids = serde_json::to_string(answers).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let rows = sqlx::query(
            "SELECT message_id, action, answer_vote, reasoning_vote, tags, comment, corrected_answer,
                    recorded_at
             FROM rating_events WHERE message_id IN (SELECT value FROM json_each(?1))
             ORDER BY message_id, id",
        )
        .bind(ids)
        .fetch_all(&self.reader)
        .await
        .map_err(self.sql_err())?;
        let mut out: BTreeMap<MessageId, Vec<RatingEvent>> = BTreeMap::new();
        for row in &rows {
            let event = (|| -> sqlx::Result<(MessageId, RatingEvent)> {
                let action: String = row.try_get("action")?;
                let rating = (action == "set")
                    .then(|| -> sqlx::Result<RatingInput> {
                        Ok(RatingInput {
                            answer: Vote::from_db(row.try_get("answer_vote")?),
                            reasoning: Vote::from_db(row.try_get("reasoning_vote")?),
                            tags: tags_from_json(row.try_get::<Option<&str>, _>("tags")?),
                            comment: row.try_get("comment")?,
                            corrected_answer: row.try_get("corrected_answer")?,
                        })
                    })
                    .transpose()?;
                let event = RatingEvent { rating, recorded_at: row.try_get("recorded_at")? };
                Ok((row.try_get("message_id")?, event))
            })()
            .map_err(self.sql_err())?;
            out.entry(event.0).or_default().push(event.1);
        }
        Ok(out)
    }
}
