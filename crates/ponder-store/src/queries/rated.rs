//! Reading rated answers for export, a few conversations at a time so memory stays flat however many
//! ratings there are.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::{Conversation, ConversationId, Message, RatingTag, Store, Vote};

/// Which rated answers to read. Empty lists and `None` mean "any".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RatingFilter {
    /// Model ids that produced the answer.
    pub models: Vec<String>,
    /// Rated at or after (Unix ms, last change).
    pub since_ms: Option<i64>,
    /// Rated before (Unix ms, last change).
    pub until_ms: Option<i64>,
    /// Thumbs on the answer.
    pub vote: Option<Vote>,
    /// At least one of these tags.
    pub tags: Vec<RatingTag>,
    /// Only these conversations.
    pub conversations: Vec<ConversationId>,
}

impl RatingFilter {
    /// Whether a rated answer passes.
    pub fn matches(&self, answer: &Message) -> bool {
        let Some(rating) = &answer.rating else { return false };
        let model = answer.generation.as_ref().map(|g| g.settings.model.id.as_str());
        (self.models.is_empty() || model.is_some_and(|m| self.models.iter().any(|x| x == m)))
            && self.since_ms.is_none_or(|t| rating.updated_at >= t)
            && self.until_ms.is_none_or(|t| rating.updated_at < t)
            && self.vote.is_none_or(|v| rating.input.answer == Some(v))
            && (self.tags.is_empty() || rating.input.tags.iter().any(|t| self.tags.contains(t)))
            && (self.conversations.is_empty()
                || self.conversations.contains(&answer.conversation_id))
    }
}

/// A rated answer with everything an export needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatedAnswer {
    /// Its conversation.
    pub conversation: Conversation,
    /// The messages the model saw, first question to the question answered (following parents).
    pub context: Vec<Message>,
    /// The answer, with its generation metadata and rating.
    pub answer: Message,
}

/// One page of rated answers: whole conversations, so answers to the same question (siblings, the
/// material of preference pairs) are always on the same page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatedPage {
    /// Rated answers, by conversation id then answer id.
    pub answers: Vec<RatedAnswer>,
    /// Where the next page starts.
    pub next: Option<ConversationId>,
}

impl Store {
    /// Rated answers passing `filter` from up to `conversations` conversations after `after` (in id
    /// order). Deleted conversations are left out.
    pub async fn rated_answers(
        &self,
        filter: &RatingFilter,
        after: Option<ConversationId>,
        conversations: u32,
    ) -> Result<RatedPage> {
        let ids: Vec<ConversationId> = sqlx::query_scalar(
            "SELECT DISTINCT m.conversation_id FROM ratings r
             JOIN messages m ON m.id = r.message_id
             JOIN conversations c ON c.id = m.conversation_id
             WHERE c.deleted_at IS NULL AND m.conversation_id > ?1
             ORDER BY m.conversation_id LIMIT ?2",
        )
        .bind(after.map_or(i64::MIN, |c| c.0))
        .bind(i64::from(conversations.max(1)) + 1)
        .fetch_all(&self.reader)
        .await
        .map_err(self.sql_err())?;
        let more = ids.len() > conversations.max(1) as usize;
        let ids = &ids[..ids.len().min(conversations.max(1) as usize)];
        let mut answers = Vec::new();
        for id in ids {
            let thread = self.thread(*id).await?;
            for m in thread.messages.iter().filter(|m| filter.matches(m)) {
                let mut context = Vec::new();
                let mut next = m.parent_id;
                while let Some(p) = next.and_then(|p| thread.message(p)) {
                    context.push(p.clone());
                    next = p.parent_id;
                }
                context.reverse();
                answers.push(RatedAnswer {
                    conversation: thread.conversation.clone(),
                    context,
                    answer: m.clone(),
                });
            }
        }
        Ok(RatedPage { answers, next: if more { ids.last().copied() } else { None } })
    }
}
