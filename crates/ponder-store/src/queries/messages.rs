//! Messages as a tree: questions, answers, branches, and the branch on screen.

use std::collections::HashMap;

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

use crate::error::{Result, StoreError};
use crate::rating::{tags_from_json, Vote};
use crate::{
    ConversationId, EndReason, Generation, GenerationOutcome, GenerationSettings, Message,
    MessageId, ModelIdentity, Rating, RatingInput, Role, Store, Thread,
};

/// Every column a [`Message`] is read from.
pub(crate) const MESSAGE_COLUMNS: &str = "
    m.id, m.conversation_id, m.parent_id, m.active_child_id, m.role, m.content, m.thinking, m.status,
    m.created_at, m.updated_at, m.fixed_from, m.person_thinking,
    g.message_id AS g_id, g.model_id, g.model_path, g.model_file_hash, g.architecture, g.quantization,
    g.device, g.sampling, g.thinking_enabled, g.thinking_budget, g.app_version, g.prompt_tokens,
    g.thinking_tokens, g.answer_tokens, g.ttft_ms, g.thinking_ms, g.total_ms, g.finish_reason, g.error,
    r.message_id AS r_id, r.answer_vote, r.reasoning_vote, r.tags, r.comment, r.corrected_answer,
    r.created_at AS r_created_at, r.updated_at AS r_updated_at,
    vc.vote_id, vc.position AS vc_position, vc.answer_key AS vc_key, vc.answer_shown AS vc_shown,
    v.verdict AS v_verdict, v.winner_key AS v_winner, v.agreeing AS v_agreeing, v.chains AS v_chains,
    k.message_id AS k_id, k.method AS k_method, k.verdict AS k_verdict, k.reason AS k_reason,
    k.thinking AS k_thinking, k.model_id AS k_model, k.created_at AS k_created_at";

/// The tables a [`MESSAGE_COLUMNS`] select reads from.
pub(crate) const MESSAGE_FROM: &str = "
    messages m
    LEFT JOIN generations g ON g.message_id = m.id
    LEFT JOIN ratings r ON r.message_id = m.id
    LEFT JOIN vote_chains vc ON vc.message_id = m.id
    LEFT JOIN votes v ON v.id = vc.vote_id
    LEFT JOIN checks k ON k.message_id = m.id";

pub(crate) fn message_from_row(row: &SqliteRow) -> sqlx::Result<Message> {
    let generation = match row.try_get::<Option<i64>, _>("g_id")? {
        None => None,
        Some(_) => {
            let sampling: String = row.try_get("sampling")?;
            let finish_reason: Option<EndReason> = row.try_get("finish_reason")?;
            let total_ms: Option<f64> = row.try_get("total_ms")?;
            // An answer has an outcome once it ended, even if only recovery saw it end.
            let ended = total_ms.is_some() || finish_reason.is_some();
            let outcome = ended.then(|| -> sqlx::Result<GenerationOutcome> {
                Ok(GenerationOutcome {
                    prompt_tokens: row.try_get::<Option<u32>, _>("prompt_tokens")?.unwrap_or(0),
                    thinking_tokens: row.try_get::<Option<u32>, _>("thinking_tokens")?.unwrap_or(0),
                    answer_tokens: row.try_get::<Option<u32>, _>("answer_tokens")?.unwrap_or(0),
                    time_to_first_token_ms: row.try_get("ttft_ms")?,
                    thinking_ms: row.try_get("thinking_ms")?,
                    total_ms: total_ms.unwrap_or(0.0),
                    finish_reason,
                    error: row.try_get("error")?,
                })
            });
            Some(Generation {
                settings: GenerationSettings {
                    model: ModelIdentity {
                        id: row.try_get("model_id")?,
                        path: row.try_get("model_path")?,
                        file_hash: row.try_get("model_file_hash")?,
                        architecture: row.try_get("architecture")?,
                        quantization: row.try_get("quantization")?,
                        device: row.try_get("device")?,
                    },
                    sampling: serde_json::from_str(&sampling).unwrap_or_default(),
                    thinking_enabled: row.try_get("thinking_enabled")?,
                    thinking_budget: row.try_get("thinking_budget")?,
                    app_version: row.try_get("app_version")?,
                },
                outcome: outcome.transpose()?,
            })
        }
    };
    let rating = match row.try_get::<Option<i64>, _>("r_id")? {
        None => None,
        Some(_) => Some(Rating {
            input: RatingInput {
                answer: Vote::from_db(row.try_get("answer_vote")?),
                reasoning: Vote::from_db(row.try_get("reasoning_vote")?),
                tags: tags_from_json(row.try_get::<Option<&str>, _>("tags")?),
                comment: row.try_get("comment")?,
                corrected_answer: row.try_get("corrected_answer")?,
            },
            created_at: row.try_get("r_created_at")?,
            updated_at: row.try_get("r_updated_at")?,
        }),
    };
    Ok(Message {
        id: row.try_get("id")?,
        conversation_id: row.try_get("conversation_id")?,
        parent_id: row.try_get("parent_id")?,
        role: row.try_get("role")?,
        content: row.try_get("content")?,
        thinking: row.try_get("thinking")?,
        status: row.try_get("status")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        generation,
        rating,
        fixed: row
            .try_get::<Option<String>, _>("person_thinking")?
            .map(|person_thinking| -> sqlx::Result<crate::FixedStep> {
                Ok(crate::FixedStep { from: row.try_get("fixed_from")?, person_thinking })
            })
            .transpose()?,
        vote: crate::thinking_harder::chain_vote_from_row(row)?,
        check: crate::thinking_harder::check_from_row(row)?,
    })
}

/// Puts `id` on the branch on screen: each ancestor's active child becomes the next one down, and the
/// conversation's active first message becomes its root.
pub(crate) async fn activate(tx: &mut Transaction<'_, Sqlite>, id: MessageId) -> sqlx::Result<()> {
    const ANCESTRY: &str = "WITH RECURSIVE up(id, parent_id) AS (
            SELECT id, parent_id FROM messages WHERE id = ?1
            UNION ALL SELECT m.id, m.parent_id FROM messages m JOIN up ON m.id = up.parent_id)";
    sqlx::query(&format!(
        "{ANCESTRY} UPDATE messages
           SET active_child_id = (SELECT up.id FROM up WHERE up.parent_id = messages.id)
         WHERE id IN (SELECT parent_id FROM up WHERE parent_id IS NOT NULL)"
    ))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(&format!(
        "{ANCESTRY} UPDATE conversations
           SET active_root_id = (SELECT id FROM up WHERE parent_id IS NULL)
         WHERE id = (SELECT conversation_id FROM messages WHERE id = ?1)"
    ))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Adds a question. `parent` is the answer it follows (`None` for a first question); asking under a
    /// parent that already has a question makes an edited question, i.e. a new branch. The new
    /// question goes on the branch on screen.
    pub async fn add_question(
        &self,
        conversation: ConversationId,
        parent: Option<MessageId>,
        text: &str,
    ) -> Result<Message> {
        if text.trim().is_empty() {
            return Err(StoreError::Invalid("a question cannot be empty".into()));
        }
        let mut tx = self.writer.begin().await.map_err(self.sql_err())?;
        let id = self.insert_question(&mut tx, conversation, parent, text).await?;
        tx.commit().await.map_err(self.sql_err())?;
        self.message(id).await
    }

    /// Inserts a question inside `tx` and puts it on the branch on screen.
    pub(crate) async fn insert_question(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        conversation: ConversationId,
        parent: Option<MessageId>,
        text: &str,
    ) -> Result<MessageId> {
        let now = self.now();
        if let Some(p) = parent {
            let owner: Option<i64> =
                sqlx::query_scalar("SELECT conversation_id FROM messages WHERE id = ?1")
                    .bind(p)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(self.sql_err())?;
            if owner != Some(conversation.0) {
                return Err(StoreError::NotFound { what: "message", id: p.0 });
            }
        }
        let touched = sqlx::query(
            "UPDATE conversations SET updated_at = ?1 WHERE id = ?2 AND deleted_at IS NULL",
        )
        .bind(now)
        .bind(conversation)
        .execute(&mut **tx)
        .await
        .map_err(self.sql_err())?;
        if touched.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "conversation", id: conversation.0 });
        }
        let id: MessageId = sqlx::query_scalar(
            "INSERT INTO messages (conversation_id, parent_id, role, content, status, created_at, updated_at)
             VALUES (?1, ?2, 'user', ?3, 'complete', ?4, ?4) RETURNING id",
        )
        .bind(conversation)
        .bind(parent)
        .bind(text)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(self.sql_err())?;
        activate(tx, id).await.map_err(self.sql_err())?;
        Ok(id)
    }

    /// One message with its generation metadata and rating.
    pub async fn message(&self, id: MessageId) -> Result<Message> {
        let row =
            sqlx::query(&format!("SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.id = ?1"))
                .bind(id)
                .fetch_optional(&self.reader)
                .await
                .map_err(self.sql_err())?
                .ok_or(StoreError::NotFound { what: "message", id: id.0 })?;
        message_from_row(&row).map_err(self.sql_err())
    }

    /// Opens a conversation: every message of every branch, and the branch on screen.
    pub async fn thread(&self, conversation: ConversationId) -> Result<Thread> {
        let conv = self.conversation(conversation).await?;
        let mut tx = self.reader.begin().await.map_err(self.sql_err())?;
        let active_root: Option<i64> =
            sqlx::query_scalar("SELECT active_root_id FROM conversations WHERE id = ?1")
                .bind(conversation)
                .fetch_one(&mut *tx)
                .await
                .map_err(self.sql_err())?;
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.conversation_id = ?1 ORDER BY m.id"
        ))
        .bind(conversation)
        .fetch_all(&mut *tx)
        .await
        .map_err(self.sql_err())?;
        tx.commit().await.map_err(self.sql_err())?;
        let mut messages = Vec::with_capacity(rows.len());
        let mut active_child = HashMap::new();
        for row in &rows {
            let m = message_from_row(row).map_err(self.sql_err())?;
            let child: Option<MessageId> =
                row.try_get("active_child_id").map_err(self.sql_err())?;
            active_child.insert(m.id, child);
            messages.push(m);
        }
        let active_path = active_path(&messages, &active_child, active_root.map(MessageId));
        Ok(Thread { conversation: conv, messages, active_path })
    }

    /// Shows `id`'s branch (e.g. "2 / 3" navigation); returns the new branch on screen, which follows
    /// each message's last shown child below `id`.
    pub async fn set_active(&self, id: MessageId) -> Result<Vec<MessageId>> {
        let conversation: ConversationId =
            sqlx::query_scalar("SELECT conversation_id FROM messages WHERE id = ?1")
                .bind(id)
                .fetch_optional(&self.writer)
                .await
                .map_err(self.sql_err())?
                .ok_or(StoreError::NotFound { what: "message", id: id.0 })?;
        let mut tx = self.writer.begin().await.map_err(self.sql_err())?;
        activate(&mut tx, id).await.map_err(self.sql_err())?;
        tx.commit().await.map_err(self.sql_err())?;
        Ok(self.thread(conversation).await?.active_path)
    }

    pub(crate) async fn answer_parent(
        &self,
        question: MessageId,
    ) -> Result<(ConversationId, Role)> {
        let row = sqlx::query("SELECT conversation_id, role FROM messages WHERE id = ?1")
            .bind(question)
            .fetch_optional(&self.writer)
            .await
            .map_err(self.sql_err())?
            .ok_or(StoreError::NotFound { what: "message", id: question.0 })?;
        Ok((row.get("conversation_id"), row.get("role")))
    }
}

/// From the active first message down through each active child; where none is recorded (or it is
/// gone) the newest child continues the branch.
fn active_path(
    messages: &[Message],
    active_child: &HashMap<MessageId, Option<MessageId>>,
    active_root: Option<MessageId>,
) -> Vec<MessageId> {
    let newest_child = |parent: Option<MessageId>| {
        messages.iter().filter(|m| m.parent_id == parent).map(|m| m.id).max()
    };
    let mut path = Vec::new();
    let mut next =
        active_root.filter(|r| active_child.contains_key(r)).or_else(|| newest_child(None));
    while let Some(id) = next {
        path.push(id);
        next = active_child
            .get(&id)
            .copied()
            .flatten()
            .filter(|c| active_child.contains_key(c))
            .or_else(|| newest_child(Some(id)));
    }
    path
}
