//! Asking, regenerating and continuing from a fixed step: the question is saved, the engine's events are saved as they stream and
//! reach the window in batches of about one per frame, and a running answer can be stopped by id.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use ts_rs::TS;

use ponder_chat::AnswerOptions;
use ponder_engine::{Engine, Event, GenerationRequest, StopHandle};
use ponder_store::{ConversationId, MessageId, Store};
use serde::{Deserialize, Serialize};

use crate::{App, AppError, ErrorBody, Result};

/// How often batched events go to the window: about one frame.
const FRAME: Duration = Duration::from_millis(16);

/// A new question.
#[derive(Clone, Debug, PartialEq, Deserialize, TS)]
pub struct AskRequest {
    /// `None` starts a new conversation.
    pub conversation_id: Option<ConversationId>,
    /// The answer the question follows (`None` for a first question or an edit of it).
    pub parent_id: Option<MessageId>,
    /// The question.
    pub text: String,
    /// How to answer.
    #[serde(flatten)]
    pub options: AnswerOptions,
}

/// More answers to a question already asked.
#[derive(Clone, Debug, PartialEq, Deserialize, TS)]
pub struct RegenerateRequest {
    /// The question.
    pub question_id: MessageId,
    /// How to answer.
    #[serde(flatten)]
    pub options: AnswerOptions,
}

/// Teaching by fixing a step: continue `answer_id`'s question from the person's start of the
/// thinking, into a new branch beside it.
#[derive(Clone, Debug, PartialEq, Deserialize, TS)]
pub struct FixStepRequest {
    /// The answer whose thinking went wrong.
    pub answer_id: MessageId,
    /// The person's words: the step that should come first (whole lines).
    pub person_thinking: String,
    /// Sampling and limits (thinking is always on, one candidate).
    #[serde(flatten)]
    pub options: AnswerOptions,
}

/// What the window gets back at once; the answer streams to the sink.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct Started {
    /// The conversation (new for a first question).
    pub conversation_id: ConversationId,
    /// The question answered.
    pub question_id: MessageId,
    /// Pass to [`App::stop`].
    pub run_id: u64,
}

/// One event of one candidate, saved as message `answer_id`.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct AnswerEvent {
    /// Which candidate.
    pub candidate: usize,
    /// The answer message it is saved in.
    pub answer_id: MessageId,
    /// The event.
    pub event: Event,
}

/// Events since the last batch; the last batch of a run has `done` set (and `error` if saving or
/// generating failed outside the events).
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct AnswerBatch {
    /// In order.
    pub events: Vec<AnswerEvent>,
    /// No more batches follow.
    pub done: bool,
    /// Why the run ended early, if it did.
    pub error: Option<ErrorBody>,
}

/// Where a running answer's batches go (the window's channel; a vector in tests).
pub trait AnswerSink: Send + Sync + 'static {
    /// Delivers one batch; must not block.
    fn send(&self, batch: AnswerBatch);
}

/// Stop handles of the answers being generated.
#[derive(Default)]
pub(crate) struct Running {
    next: AtomicU64,
    stops: Arc<Mutex<HashMap<u64, StopHandle>>>,
}

impl App {
    /// Saves `request`'s question and starts answering it.
    pub async fn ask(&self, request: AskRequest, sink: Arc<dyn AnswerSink>) -> Result<Started> {
        // Nothing is saved when no model could answer: the window keeps the text in the composer.
        let engine = self.models.engine().await?;
        let template = request.options.request()?;
        let store = self.store().await?;
        // A question the engine would refuse (too long for the model's context) is not saved.
        let would_send = ponder_chat::request_for_new_question(
            &store,
            request.conversation_id,
            request.parent_id,
            &request.text,
            template.clone(),
        )
        .await?;
        engine.check(&would_send).await?;
        let question = match request.conversation_id {
            None => store.start_conversation(&request.text).await?.1,
            Some(c) => store.add_question(c, request.parent_id, &request.text).await?,
        };
        let vote = request.options.vote.is_some();
        self.answer(
            store,
            engine,
            question.conversation_id,
            question.id,
            template,
            None,
            vote,
            sink,
        )
        .await
    }

    /// New answers (siblings of the earlier ones) to an existing question.
    pub async fn regenerate(
        &self,
        request: RegenerateRequest,
        sink: Arc<dyn AnswerSink>,
    ) -> Result<Started> {
        let engine = self.models.engine().await?;
        let template = request.options.request()?;
        let store = self.store().await?;
        let question = store.message(request.question_id).await?;
        if question.role != ponder_store::Role::User {
            return Err(AppError::Invalid("only a question can be answered again".into()));
        }
        let vote = request.options.vote.is_some();
        self.answer(
            store,
            engine,
            question.conversation_id,
            question.id,
            template,
            None,
            vote,
            sink,
        )
        .await
    }

    /// Continues the question of `request.answer_id` from the person's fixed step; the continuation
    /// streams to `sink` like any answer (only the model's words: the person's are already in the
    /// saved answer's thinking, marked as theirs).
    pub async fn fix_step(
        &self,
        request: FixStepRequest,
        sink: Arc<dyn AnswerSink>,
    ) -> Result<Started> {
        let engine = self.models.engine().await?;
        let template = request.options.request()?;
        let store = self.store().await?;
        let fixed = store.message(request.answer_id).await?;
        let question = fixed
            .parent_id
            .ok_or_else(|| AppError::Invalid("the answer has no question".into()))?;
        let fix = Some((fixed.id, request.person_thinking));
        self.answer(store, engine, fixed.conversation_id, question, template, fix, false, sink)
            .await
    }

    /// Stops a running answer; what was generated is kept. Stopping one that ended is harmless.
    pub fn stop(&self, run_id: u64) {
        if let Some(stop) = self.running.stops.lock().expect("not poisoned").get(&run_id) {
            stop.stop();
        }
    }

    /// Starts answering `question` (or continuing `fix`: the answer fixed and the person's words);
    /// with `vote`, the chains are tallied once they end and the majority's is put on screen.
    #[allow(clippy::too_many_arguments)]
    async fn answer(
        &self,
        store: Store,
        engine: Arc<Engine>,
        conversation_id: ConversationId,
        question: MessageId,
        template: GenerationRequest,
        fix: Option<(MessageId, String)>,
        vote: bool,
        sink: Arc<dyn AnswerSink>,
    ) -> Result<Started> {
        let request = match &fix {
            Some((fixed, words)) => {
                ponder_chat::request_for_fix(&store, *fixed, words, template).await?.1
            }
            None => ponder_chat::request_for(&store, question, template).await?.1,
        };
        let generation = engine.generate(&request).await?;
        let info = engine.info().clone();
        let req = request.clone();
        // Hashing the weights for provenance reads the whole file the first time: off the runtime.
        let settings =
            tokio::task::spawn_blocking(move || ponder_chat::generation_settings(&info, &req))
                .await
                .map_err(|e| AppError::Invalid(format!("settings task failed: {e}")))?;
        // The answers exist before this returns, so the window's next read of the thread shows them.
        let writers = match &fix {
            Some((fixed, words)) => {
                vec![ponder_chat::begin_fix(&store, *fixed, words, settings).await?]
            }
            None => ponder_chat::begin(&store, question, settings, request.candidates).await?,
        };
        let run_id = self.running.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.running.stops.lock().expect("not poisoned").insert(run_id, generation.stop_handle());
        let stops = Arc::clone(&self.running.stops);
        let vote_store = store.clone();
        tokio::spawn(async move {
            let pending: Arc<Mutex<Vec<AnswerEvent>>> = Arc::default();
            let flusher = tokio::spawn(flush_every_frame(pending.clone(), sink.clone()));
            let result = ponder_chat::record_into(writers, generation, |e, answer_id| {
                pending.lock().expect("not poisoned").push(AnswerEvent {
                    candidate: e.candidate,
                    answer_id,
                    event: e.event.clone(),
                })
            })
            .await;
            let result = match result {
                Ok(chains) if vote => {
                    ponder_chat::vote::record_vote(&vote_store, &chains).await.map(|_| ())
                }
                other => other.map(|_| ()),
            };
            flusher.abort();
            let _ = flusher.await;
            stops.lock().expect("not poisoned").remove(&run_id);
            let events = std::mem::take(&mut *pending.lock().expect("not poisoned"));
            let error = result.err().map(|e| ErrorBody::from(&AppError::from(e)));
            if let Some(e) = &error {
                tracing::error!("answer {run_id}: {}", e.message);
            }
            sink.send(AnswerBatch { events, done: true, error });
        });
        Ok(Started { conversation_id, question_id: question, run_id })
    }
}

async fn flush_every_frame(pending: Arc<Mutex<Vec<AnswerEvent>>>, sink: Arc<dyn AnswerSink>) {
    let mut tick = tokio::time::interval(FRAME);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let events = std::mem::take(&mut *pending.lock().expect("not poisoned"));
        if !events.is_empty() {
            sink.send(AnswerBatch { events, done: false, error: None });
        }
    }
}
