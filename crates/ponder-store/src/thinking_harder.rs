//! Thinking harder, as kept: votes over several chains of thought (each chain an ordinary answer, with
//! its final answer and how the vote went), checks of an answer, and the composer's mode per
//! conversation.

use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use ts_rs::TS;

use crate::error::{Result, StoreError};
use crate::{Conversation, ConversationId, Message, MessageId, Role, Store};

/// How the composer answers a question.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnswerMode {
    /// One chain of thought, one answer.
    #[default]
    Answer,
    /// Several chains; the answer most of them reach is shown.
    Vote {
        /// How many chains (2 to 16).
        chains: u32,
    },
    /// Think at least this many tokens before answering.
    ThinkLonger {
        /// The fewest thinking tokens.
        min_tokens: u32,
    },
}

/// How a vote came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, TS)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum VoteResult {
    /// One answer has more chains than any other.
    Majority,
    /// Two or more answers share the most chains.
    Tie,
    /// No chain gave a final answer.
    #[sqlx(rename = "none")]
    NoAnswer,
}

/// One chain of a vote, as saved: the answer it is and its final answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VotedChain {
    /// The chain's answer message.
    pub message: MessageId,
    /// Its final answer normalised for comparison, if it gave one.
    pub key: Option<String>,
    /// Its final answer as shown.
    pub shown: Option<String>,
}

/// A vote to save.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewVote {
    /// How it came out.
    pub result: VoteResult,
    /// The majority's key (only for [`VoteResult::Majority`]).
    pub winner_key: Option<String>,
    /// Chains giving the winning answer (for a tie, each tied answer's count).
    pub agreeing: u32,
    /// The chains, in the order they were sampled; all answers to one question.
    pub chains: Vec<VotedChain>,
    /// The chain put on screen (the first of the majority).
    pub shown: Option<MessageId>,
}

/// A chain's part in a vote, read with the message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ChainVote {
    /// The vote's id (the chains of one vote share it).
    pub vote_id: i64,
    /// Which chain, from 0.
    pub position: u32,
    /// Chains in the vote.
    pub chains: u32,
    /// How the vote came out.
    pub result: VoteResult,
    /// Chains giving the winning answer (for a tie, each tied answer's count).
    pub agreeing: u32,
    /// This chain's final answer as shown, if it gave one.
    pub answer: Option<String>,
    /// This chain's final answer normalised, if it gave one.
    pub answer_key: Option<String>,
    /// Whether this chain gave the majority's answer.
    pub with_majority: bool,
}

impl ChainVote {
    /// How the vote went, for the person: "7 of 8 agree", "a tie: 3, 3 and 2 of 8", "no answer".
    pub fn describe(&self) -> String {
        match self.result {
            VoteResult::Majority if self.agreeing == self.chains => {
                format!("all {} agree", self.chains)
            }
            VoteResult::Majority => format!("{} of {} agree", self.agreeing, self.chains),
            VoteResult::Tie => {
                format!("no clear answer: a tie, {} of {} each", self.agreeing, self.chains)
            }
            VoteResult::NoAnswer => format!("no clear answer in {} chains", self.chains),
        }
    }
}

/// Who checked an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, TS)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum CheckMethod {
    /// The model, asked in a second turn to verify the answer.
    Model,
    /// The grader of a question with a checkable answer.
    Grader,
}

/// What a check concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, TS)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum CheckVerdict {
    /// The answer holds.
    Correct,
    /// The answer is wrong.
    Incorrect,
    /// The checker could not tell (or said nothing clear).
    Unsure,
}

/// A check to save.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CheckInput {
    /// Who checked.
    pub method: CheckMethod,
    /// What they concluded.
    pub verdict: CheckVerdict,
    /// What the checker said: the model's reply, or the grader's reason.
    pub reason: String,
    /// The model's thinking while checking.
    pub thinking: Option<String>,
    /// The model that checked.
    pub model: Option<String>,
}

/// An answer's latest check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AnswerCheck {
    /// What was saved.
    #[serde(flatten)]
    pub input: CheckInput,
    /// Unix milliseconds.
    pub checked_at: i64,
}

/// One question's vote with what an export needs: the context and every chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VotedQuestion {
    /// Its conversation.
    pub conversation: Conversation,
    /// The messages the chains saw, first question to the question voted on.
    pub context: Vec<Message>,
    /// The chains, in order, each with its [`ChainVote`].
    pub chains: Vec<Message>,
}

/// One page of votes, whole conversations at a time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VotePage {
    /// The votes, by conversation then vote.
    pub votes: Vec<VotedQuestion>,
    /// Where the next page starts.
    pub next: Option<ConversationId>,
}

pub(crate) fn chain_vote_from_row(row: &SqliteRow) -> sqlx::Result<Option<ChainVote>> {
    let Some(vote_id) = row.try_get::<Option<i64>, _>("vote_id")? else { return Ok(None) };
    let answer_key: Option<String> = row.try_get("vc_key")?;
    let winner: Option<String> = row.try_get("v_winner")?;
    Ok(Some(ChainVote {
        vote_id,
        position: row.try_get("vc_position")?,
        chains: row.try_get("v_chains")?,
        result: row.try_get("v_verdict")?,
        agreeing: row.try_get("v_agreeing")?,
        answer: row.try_get("vc_shown")?,
        with_majority: answer_key.is_some() && answer_key == winner,
        answer_key,
    }))
}

pub(crate) fn check_from_row(row: &SqliteRow) -> sqlx::Result<Option<AnswerCheck>> {
    if row.try_get::<Option<i64>, _>("k_id")?.is_none() {
        return Ok(None);
    }
    Ok(Some(AnswerCheck {
        input: CheckInput {
            method: row.try_get("k_method")?,
            verdict: row.try_get("k_verdict")?,
            reason: row.try_get("k_reason")?,
            thinking: row.try_get("k_thinking")?,
            model: row.try_get("k_model")?,
        },
        checked_at: row.try_get("k_created_at")?,
    }))
}

impl Store {
    /// Saves a vote over answers to one question and puts `vote.shown` on screen; returns its id.
    pub async fn record_vote(&self, vote: &NewVote) -> Result<i64> {
        let Some(first) = vote.chains.first() else {
            return Err(StoreError::Invalid("a vote needs at least one chain".into()));
        };
        let mut parents = Vec::with_capacity(vote.chains.len());
        for chain in &vote.chains {
            let m = self.message(chain.message).await?;
            if m.role != Role::Assistant {
                return Err(StoreError::Invalid(format!("message {} is not an answer", m.id.0)));
            }
            parents.push(m.parent_id);
        }
        if parents.iter().any(|p| *p != parents[0]) || parents[0].is_none() {
            return Err(StoreError::Invalid(
                "a vote's chains must answer the same question".into(),
            ));
        }
        if vote.shown.is_some_and(|s| !vote.chains.iter().any(|c| c.message == s)) {
            return Err(StoreError::Invalid("the answer shown must be one of the chains".into()));
        }
        let now = self.now();
        let mut tx = self.writer.begin().await.map_err(self.sql_err())?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO votes (question_id, verdict, winner_key, agreeing, chains, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
        )
        .bind(parents[0])
        .bind(vote.result)
        .bind(&vote.winner_key)
        .bind(vote.agreeing)
        .bind(vote.chains.len() as u32)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(self.sql_err())?;
        for (position, chain) in vote.chains.iter().enumerate() {
            // A chain belongs to one vote: voting again over the same answers moves them.
            sqlx::query(
                "INSERT INTO vote_chains (message_id, vote_id, position, answer_key, answer_shown)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (message_id) DO UPDATE SET vote_id = ?2, position = ?3,
                     answer_key = ?4, answer_shown = ?5",
            )
            .bind(chain.message)
            .bind(id)
            .bind(position as u32)
            .bind(&chain.key)
            .bind(&chain.shown)
            .execute(&mut *tx)
            .await
            .map_err(self.sql_err())?;
        }
        crate::queries::activate(&mut tx, vote.shown.unwrap_or(first.message))
            .await
            .map_err(self.sql_err())?;
        tx.commit().await.map_err(self.sql_err())?;
        Ok(id)
    }

    /// Saves `check` as `answer`'s latest check (replacing any earlier one).
    pub async fn record_check(&self, answer: MessageId, check: &CheckInput) -> Result<Message> {
        if self.message(answer).await?.role != Role::Assistant {
            return Err(StoreError::Invalid("only an answer can be checked".into()));
        }
        sqlx::query(
            "INSERT OR REPLACE INTO checks
                 (message_id, method, verdict, reason, thinking, model_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(answer)
        .bind(check.method)
        .bind(check.verdict)
        .bind(&check.reason)
        .bind(&check.thinking)
        .bind(&check.model)
        .bind(self.now())
        .execute(&self.writer)
        .await
        .map_err(self.sql_err())?;
        self.message(answer).await
    }

    /// How the composer answers in `conversation` (plain answers unless set).
    pub async fn answer_mode(&self, conversation: ConversationId) -> Result<AnswerMode> {
        let text: Option<Option<String>> =
            sqlx::query_scalar("SELECT answer_mode FROM conversations WHERE id = ?1")
                .bind(conversation)
                .fetch_optional(&self.reader)
                .await
                .map_err(self.sql_err())?;
        let Some(text) = text else {
            return Err(StoreError::NotFound { what: "conversation", id: conversation.0 });
        };
        // A mode this version cannot read (a newer Ponder's) is the plain one, not an error.
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default())
    }

    /// Remembers how the composer answers in `conversation`.
    pub async fn set_answer_mode(
        &self,
        conversation: ConversationId,
        mode: AnswerMode,
    ) -> Result<()> {
        let text = (mode != AnswerMode::Answer)
            .then(|| serde_json::to_string(&mode).expect("a mode serializes"));
        let changed = sqlx::query("UPDATE conversations SET answer_mode = ?2 WHERE id = ?1")
            .bind(conversation)
            .bind(text)
            .execute(&self.writer)
            .await
            .map_err(self.sql_err())?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound { what: "conversation", id: conversation.0 });
        }
        Ok(())
    }

    /// Votes from up to `conversations` conversations after `after` (in id order), deleted
    /// conversations left out: what an export turns into preference pairs and references.
    pub async fn votes(
        &self,
        after: Option<ConversationId>,
        conversations: u32,
    ) -> Result<VotePage> {
        let limit = conversations.max(1);
        let ids: Vec<ConversationId> = sqlx::query_scalar(
            "SELECT DISTINCT m.conversation_id FROM votes v
             JOIN messages m ON m.id = v.question_id
             JOIN conversations c ON c.id = m.conversation_id
             WHERE c.deleted_at IS NULL AND m.conversation_id > ?1
             ORDER BY m.conversation_id LIMIT ?2",
        )
        .bind(after.map_or(i64::MIN, |c| c.0))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.reader)
        .await
        .map_err(self.sql_err())?;
        let more = ids.len() > limit as usize;
        let ids = &ids[..ids.len().min(limit as usize)];
        let mut votes = Vec::new();
        for id in ids {
            let thread = self.thread(*id).await?;
            let mut by_vote: std::collections::BTreeMap<i64, Vec<Message>> = Default::default();
            for m in &thread.messages {
                if let Some(v) = &m.vote {
                    by_vote.entry(v.vote_id).or_default().push(m.clone());
                }
            }
            for (_, mut chains) in by_vote {
                chains.sort_by_key(|m| m.vote.as_ref().map_or(0, |v| v.position));
                let mut context = Vec::new();
                let mut next = chains[0].parent_id;
                while let Some(p) = next.and_then(|p| thread.message(p)) {
                    context.push(p.clone());
                    next = p.parent_id;
                }
                context.reverse();
                votes.push(VotedQuestion {
                    conversation: thread.conversation.clone(),
                    context,
                    chains,
                });
            }
        }
        Ok(VotePage { votes, next: if more { ids.last().copied() } else { None } })
    }
}
