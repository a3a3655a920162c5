//! Thinking harder from the window: checking an answer (the grader where one can, else the model),
//! and the composer's mode remembered per conversation. Voting itself runs with every turn
//! (`turns.rs`).

use serde::Deserialize;
use ts_rs::TS;

use ponder_chat::AnswerOptions;
use ponder_store::{AnswerMode, ConversationId, Message, MessageId};

use crate::{App, AppError, Result};

/// Check an answer.
#[derive(Clone, Debug, PartialEq, Deserialize, TS)]
pub struct CheckRequest {
    /// The answer.
    pub answer_id: MessageId,
    /// Sampling and limits for the model's check (thinking on unless said otherwise).
    #[serde(flatten)]
    pub options: AnswerOptions,
}

impl App {
    /// Checks an answer and saves the verdict with it; returns the answer as now saved. A question
    /// with a known answer is graded without the model; otherwise the model loaded now checks it.
    pub async fn check_answer(&self, request: CheckRequest) -> Result<Message> {
        let template = AnswerOptions { candidates: 1, vote: None, ..request.options }.request()?;
        let store = self.store().await?;
        let engine = match self.models.engine().await {
            Ok(engine) => Some(engine),
            Err(AppError::NoModel) => None,
            Err(e) => return Err(e),
        };
        Ok(ponder_chat::check::check_answer(&store, engine.as_deref(), request.answer_id, template)
            .await?)
    }

    /// How the composer answers in `conversation`.
    pub async fn answer_mode(&self, conversation: ConversationId) -> Result<AnswerMode> {
        Ok(self.store().await?.answer_mode(conversation).await?)
    }

    /// Remembers how the composer answers in `conversation`.
    pub async fn set_answer_mode(
        &self,
        conversation: ConversationId,
        mode: AnswerMode,
    ) -> Result<()> {
        if let AnswerMode::Vote { chains } = mode {
            if !(2..=ponder_chat::vote::MAX_VOTERS as u32).contains(&chains) {
                return Err(AppError::Invalid(format!(
                    "a vote takes 2 to 16 chains, not {chains}"
                )));
            }
        }
        Ok(self.store().await?.set_answer_mode(conversation, mode).await?)
    }
}
