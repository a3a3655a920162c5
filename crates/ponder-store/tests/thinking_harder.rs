//! Votes, checks, the composer's mode and looped chains, kept in a real SQLite file.

mod common;

use common::{answer, fresh_store, settings};
use ponder_store::{
    AnswerMode, CheckInput, CheckMethod, CheckVerdict, EndReason, GenerationOutcome, MessageStatus,
    NewVote, VoteResult, VotedChain,
};

fn chain(m: &ponder_store::Message, key: Option<&str>) -> VotedChain {
    VotedChain { message: m.id, key: key.map(String::from), shown: key.map(|k| format!("**{k}**")) }
}

#[tokio::test]
async fn a_vote_is_kept_with_each_chain_and_its_majority_is_put_on_screen() {
    let (_dir, store) = fresh_store().await;
    let (conversation, q) = store.start_conversation("What is 17 + 25?").await.unwrap();
    let a = answer(&store, q.id, "7 + 5 = 12", "42").await;
    let b = answer(&store, q.id, "7 + 5 = 13", "43").await;
    let c = answer(&store, q.id, "7 + 5 = 12 again", "The answer is 42.").await;
    let d = answer(&store, q.id, "I lost my way", "").await;
    let vote = NewVote {
        result: VoteResult::Majority,
        winner_key: Some("42".into()),
        agreeing: 2,
        chains: vec![
            chain(&a, Some("42")),
            chain(&b, Some("43")),
            chain(&c, Some("42")),
            chain(&d, None),
        ],
        shown: Some(a.id),
    };
    let id = store.record_vote(&vote).await.unwrap();
    let thread = store.thread(conversation.id).await.unwrap();
    // The newest chain was on screen; the vote put the majority's first chain there.
    assert_eq!(thread.active_path, vec![q.id, a.id]);
    let votes: Vec<_> = [a.id, b.id, c.id, d.id]
        .iter()
        .map(|m| thread.message(*m).unwrap().vote.clone().expect("each chain has its vote"))
        .collect();
    assert!(votes.iter().all(|v| v.vote_id == id && v.chains == 4 && v.agreeing == 2));
    assert_eq!(votes.iter().map(|v| v.position).collect::<Vec<_>>(), [0, 1, 2, 3]);
    assert_eq!(
        votes.iter().map(|v| v.with_majority).collect::<Vec<_>>(),
        [true, false, true, false]
    );
    assert_eq!(votes[1].answer.as_deref(), Some("**43**"));
    assert_eq!(votes[3].answer, None);
    assert_eq!(votes[0].describe(), "2 of 4 agree");
    assert!(thread.message(q.id).unwrap().vote.is_none(), "the question is not a chain");

    let page = store.votes(None, 10).await.unwrap();
    assert_eq!(page.votes.len(), 1);
    assert_eq!(page.votes[0].chains.len(), 4);
    assert_eq!(page.votes[0].context.last().unwrap().id, q.id);

    // Deleting the conversation leaves the vote out of exports.
    store.delete_conversation(conversation.id).await.unwrap();
    assert!(store.votes(None, 10).await.unwrap().votes.is_empty());
}

#[tokio::test]
async fn a_tie_keeps_the_first_chain_shown_and_chains_of_different_questions_are_refused() {
    let (_dir, store) = fresh_store().await;
    let (_, q) = store.start_conversation("12 or 15?").await.unwrap();
    let a = answer(&store, q.id, "", "12").await;
    let b = answer(&store, q.id, "", "15").await;
    let tie = NewVote {
        result: VoteResult::Tie,
        winner_key: None,
        agreeing: 1,
        chains: vec![chain(&a, Some("12")), chain(&b, Some("15"))],
        shown: None,
    };
    store.record_vote(&tie).await.unwrap();
    let saved = store.message(a.id).await.unwrap().vote.unwrap();
    assert_eq!(saved.result, VoteResult::Tie);
    assert!(!saved.with_majority);
    assert_eq!(saved.describe(), "no clear answer: a tie, 1 of 2 each");
    let thread = store.thread(a.conversation_id).await.unwrap();
    assert_eq!(thread.active_path.last(), Some(&a.id));

    let (_, other) = store.start_conversation("Another question").await.unwrap();
    let elsewhere = answer(&store, other.id, "", "12").await;
    let mixed =
        NewVote { chains: vec![chain(&a, Some("12")), chain(&elsewhere, Some("12"))], ..tie };
    let e = store.record_vote(&mixed).await.unwrap_err();
    assert_eq!(e.kind(), ponder_error_kind::ErrorKind::Invalid, "{e}");
    let empty = NewVote { chains: vec![], ..mixed };
    assert!(store.record_vote(&empty).await.is_err());
}

#[tokio::test]
async fn a_check_is_saved_beside_the_answer_and_a_new_one_replaces_it() {
    let (_dir, store) = fresh_store().await;
    let (_, q) = store.start_conversation("What is 2 + 2?").await.unwrap();
    let a = answer(&store, q.id, "2 + 2 = 4", "4").await;
    let by_model = CheckInput {
        method: CheckMethod::Model,
        verdict: CheckVerdict::Unsure,
        reason: "I cannot tell.".into(),
        thinking: Some("hmm".into()),
        model: Some("ponder-tiny".into()),
    };
    let checked = store.record_check(a.id, &by_model).await.unwrap();
    assert_eq!(checked.check.as_ref().unwrap().input, by_model);
    let by_grader = CheckInput {
        method: CheckMethod::Grader,
        verdict: CheckVerdict::Correct,
        reason: "The right answer is 4.".into(),
        thinking: None,
        model: None,
    };
    store.record_check(a.id, &by_grader).await.unwrap();
    assert_eq!(store.message(a.id).await.unwrap().check.unwrap().input, by_grader);
    assert!(store.record_check(q.id, &by_grader).await.is_err(), "a question is not checked");
}

#[tokio::test]
async fn the_composer_mode_is_remembered_per_conversation() {
    let (_dir, store) = fresh_store().await;
    let (one, _) = store.start_conversation("first").await.unwrap();
    let (two, _) = store.start_conversation("second").await.unwrap();
    assert_eq!(store.answer_mode(one.id).await.unwrap(), AnswerMode::Answer);
    store.set_answer_mode(one.id, AnswerMode::Vote { chains: 8 }).await.unwrap();
    store.set_answer_mode(two.id, AnswerMode::ThinkLonger { min_tokens: 512 }).await.unwrap();
    assert_eq!(store.answer_mode(one.id).await.unwrap(), AnswerMode::Vote { chains: 8 });
    assert_eq!(
        store.answer_mode(two.id).await.unwrap(),
        AnswerMode::ThinkLonger { min_tokens: 512 }
    );
    store.set_answer_mode(two.id, AnswerMode::Answer).await.unwrap();
    assert_eq!(store.answer_mode(two.id).await.unwrap(), AnswerMode::Answer);
    let missing = ponder_store::ConversationId(999);
    assert!(store.answer_mode(missing).await.is_err());
    assert!(store.set_answer_mode(missing, AnswerMode::Answer).await.is_err());
}

#[tokio::test]
async fn a_chain_stopped_for_looping_is_kept_stopped_with_what_repeated() {
    let (_dir, store) = fresh_store().await;
    let (_, q) = store.start_conversation("What is 7 + 5?").await.unwrap();
    let w = store.begin_answer(q.id, settings()).await.unwrap();
    w.push_thinking(&"Wait, let me check again. ".repeat(20));
    let outcome = GenerationOutcome {
        total_ms: 5.0,
        finish_reason: Some(EndReason::Looped),
        error: Some("the thinking repeated itself: \"Wait, let me check again.\" 12 times".into()),
        ..Default::default()
    };
    let saved = w.finish(outcome).await.unwrap();
    assert_eq!(saved.status, MessageStatus::Stopped);
    let o = saved.generation.unwrap().outcome.unwrap();
    assert_eq!(o.finish_reason, Some(EndReason::Looped));
    assert!(o.error.unwrap().contains("repeated itself"));
}
