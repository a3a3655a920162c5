//! Saving an answer while it streams, off the token path.
//!
//! `push_*` only appends to a channel; a task batches the text and appends it to the row at most one
//! flush interval (a second by default) after it arrived, so a killed process loses at most that much.
//! `finish` writes the rest, the counts and timings, and the final status in one transaction.
//!
//! The task also touches the row every interval while it lives. Opening the store marks every answer
//! still `generating` as interrupted (its writer died with the last process); if another process, say
//! `ponder history` next to the app, does that to an answer whose writer is alive, the writer takes it
//! back at its next tick, so at worst a reader sees it interrupted for a second.

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::error::{Result, StoreError};
use crate::queries::activate;
use crate::{
    EndReason, GenerationOutcome, GenerationSettings, Message, MessageId, MessageStatus, Role,
    Store,
};

enum Command {
    Thinking(String),
    Answer(String),
    Finish(GenerationOutcome, oneshot::Sender<Result<()>>),
}

/// An answer being saved as it streams. Dropping it without [`AnswerWriter::finish`] saves what it
/// has and marks the answer interrupted.
#[derive(Debug)]
pub struct AnswerWriter {
    id: MessageId,
    store: Store,
    commands: mpsc::UnboundedSender<Command>,
}

#[derive(Default)]
struct Pending {
    thinking: String,
    answer: String,
}

impl Store {
    /// Starts an answer to `question` (a new sibling if it already has one, e.g. a regeneration), puts it
    /// on the branch on screen, and returns the writer that saves its text as it streams.
    pub async fn begin_answer(
        &self,
        question: MessageId,
        settings: GenerationSettings,
    ) -> Result<AnswerWriter> {
        self.begin(question, settings, None).await
    }

    /// Starts an answer that continues from a person's fix of `fixed`'s thinking: a sibling of
    /// `fixed`, put on screen, whose thinking starts with `person_thinking` (marked as the person's)
    /// and goes on with whatever the writer is sent.
    pub async fn begin_fixed_answer(
        &self,
        fixed: MessageId,
        person_thinking: &str,
        settings: GenerationSettings,
    ) -> Result<AnswerWriter> {
        let original = self.message(fixed).await?;
        if original.role != Role::Assistant {
            return Err(StoreError::Invalid("only an answer's thinking can be fixed".into()));
        }
        if person_thinking.trim().is_empty() {
            return Err(StoreError::Invalid("the fix is empty".into()));
        }
        let question = original
            .parent_id
            .ok_or_else(|| StoreError::Invalid("the answer has no question".into()))?;
        self.begin(question, settings, Some((fixed, person_thinking))).await
    }

    async fn begin(
        &self,
        question: MessageId,
        settings: GenerationSettings,
        fix: Option<(MessageId, &str)>,
    ) -> Result<AnswerWriter> {
        let (conversation, role) = self.answer_parent(question).await?;
        if role != Role::User {
            return Err(StoreError::Invalid("answers follow questions".into()));
        }
        let now = self.now();
        let mut tx = self.writer.begin().await.map_err(self.sql_err())?;
        let id: MessageId = sqlx::query_scalar(
            "INSERT INTO messages (conversation_id, parent_id, role, content, thinking, status,
                                   created_at, updated_at, fixed_from, person_thinking)
             VALUES (?1, ?2, 'assistant', '', ?4, 'generating', ?3, ?3, ?5, ?6) RETURNING id",
        )
        .bind(conversation)
        .bind(question)
        .bind(now)
        .bind(fix.map_or("", |f| f.1))
        .bind(fix.map(|f| f.0))
        .bind(fix.map(|f| f.1))
        .fetch_one(&mut *tx)
        .await
        .map_err(self.sql_err())?;
        let m = &settings.model;
        sqlx::query(
            "INSERT INTO generations (message_id, model_id, model_path, model_file_hash, architecture,
                 quantization, device, sampling, thinking_enabled, thinking_budget, app_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .bind(id)
        .bind(&m.id)
        .bind(&m.path)
        .bind(&m.file_hash)
        .bind(&m.architecture)
        .bind(&m.quantization)
        .bind(&m.device)
        .bind(settings.sampling.to_string())
        .bind(settings.thinking_enabled)
        .bind(settings.thinking_budget)
        .bind(&settings.app_version)
        .execute(&mut *tx)
        .await
        .map_err(self.sql_err())?;
        sqlx::query("UPDATE conversations SET updated_at = ?1 WHERE id = ?2")
            .bind(now)
            .bind(conversation)
            .execute(&mut *tx)
            .await
            .map_err(self.sql_err())?;
        activate(&mut tx, id).await.map_err(self.sql_err())?;
        tx.commit().await.map_err(self.sql_err())?;
        let (commands, rx) = mpsc::unbounded_channel();
        tokio::spawn(save_while_streaming(self.clone(), id, rx));
        Ok(AnswerWriter { id, store: self.clone(), commands })
    }

    /// Appends text to a streaming answer (and optionally ends it) in one transaction.
    async fn append(
        &self,
        id: MessageId,
        pending: &Pending,
        end: Option<&GenerationOutcome>,
    ) -> Result<()> {
        let status = end.map_or(MessageStatus::Generating, |o| match o.finish_reason {
            None | Some(EndReason::Stop | EndReason::Length) => MessageStatus::Complete,
            Some(EndReason::Cancelled | EndReason::Looped) => MessageStatus::Stopped,
            Some(EndReason::Error) => MessageStatus::Failed,
            Some(EndReason::Interrupted) => MessageStatus::Interrupted,
        });
        let now = self.now();
        let mut tx = self.writer.begin().await.map_err(self.sql_err())?;
        sqlx::query(
            "UPDATE messages SET thinking = thinking || ?1, content = content || ?2, status = ?3,
                                 updated_at = ?4
             WHERE id = ?5 AND status IN ('generating', 'interrupted')",
        )
        .bind(&pending.thinking)
        .bind(&pending.answer)
        .bind(status)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(self.sql_err())?;
        if end.is_none() {
            // Taking back an answer another process marked interrupted while this writer lived.
            sqlx::query(
                "UPDATE generations SET finish_reason = NULL
                 WHERE message_id = ?1 AND finish_reason = 'interrupted'",
            )
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(self.sql_err())?;
        }
        if let Some(o) = end {
            sqlx::query(
                "UPDATE generations SET prompt_tokens = ?1, thinking_tokens = ?2, answer_tokens = ?3,
                     ttft_ms = ?4, thinking_ms = ?5, total_ms = ?6, finish_reason = ?7, error = ?8
                 WHERE message_id = ?9",
            )
            .bind(o.prompt_tokens)
            .bind(o.thinking_tokens)
            .bind(o.answer_tokens)
            .bind(o.time_to_first_token_ms)
            .bind(o.thinking_ms)
            .bind(o.total_ms)
            .bind(o.finish_reason.unwrap_or(EndReason::Stop))
            .bind(&o.error)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(self.sql_err())?;
            sqlx::query(
                "UPDATE conversations SET updated_at = ?1
                 WHERE id = (SELECT conversation_id FROM messages WHERE id = ?2)",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(self.sql_err())?;
        }
        tx.commit().await.map_err(self.sql_err())
    }
}

impl AnswerWriter {
    /// The answer's id (already in the database).
    pub fn id(&self) -> MessageId {
        self.id
    }

    /// More chain-of-thought text. Never waits.
    pub fn push_thinking(&self, text: &str) {
        let _ = self.commands.send(Command::Thinking(text.to_owned()));
    }

    /// More answer text. Never waits.
    pub fn push_answer(&self, text: &str) {
        let _ = self.commands.send(Command::Answer(text.to_owned()));
    }

    /// Saves the rest of the text and how the generation ended; returns the saved answer.
    pub async fn finish(self, outcome: GenerationOutcome) -> Result<Message> {
        let (reply, done) = oneshot::channel();
        self.commands.send(Command::Finish(outcome, reply)).map_err(|_| StoreError::WriterGone)?;
        done.await.map_err(|_| StoreError::WriterGone)??;
        self.store.message(self.id).await
    }
}

async fn save_while_streaming(
    store: Store,
    id: MessageId,
    mut rx: mpsc::UnboundedReceiver<Command>,
) {
    let mut pending = Pending::default();
    let mut tick = Instant::now() + store.flush_interval;
    loop {
        let command = match tokio::time::timeout_at(tick, rx.recv()).await {
            Ok(command) => command,
            Err(_elapsed) => {
                // Saves the pending text, or just says "still alive". On failure (e.g. a lock held
                // elsewhere) the text stays pending for the next tick.
                match store.append(id, &pending, None).await {
                    Ok(()) => pending = Pending::default(),
                    Err(e) => {
                        tracing::warn!(error = %e, "saving a streaming answer failed; retrying")
                    }
                }
                tick = Instant::now() + store.flush_interval;
                continue;
            }
        };
        match command {
            Some(Command::Thinking(t)) => pending.thinking.push_str(&t),
            Some(Command::Answer(t)) => pending.answer.push_str(&t),
            Some(Command::Finish(outcome, reply)) => {
                let _ = reply.send(store.append(id, &pending, Some(&outcome)).await);
                return;
            }
            None => {
                let outcome = GenerationOutcome {
                    finish_reason: Some(EndReason::Interrupted),
                    ..GenerationOutcome::default()
                };
                if let Err(e) = store.append(id, &pending, Some(&outcome)).await {
                    tracing::error!(error = %e, "could not save an abandoned answer");
                }
                return;
            }
        }
    }
}
