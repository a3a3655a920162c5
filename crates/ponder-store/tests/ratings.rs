//! Ratings on a real database file: every field round-trips, changes keep their history.

mod common;

use common::{answer, fresh_store};
use ponder_store::{RatingInput, RatingTag, StoreError, Vote};

fn full_rating() -> RatingInput {
    RatingInput {
        answer: Some(Vote::Down),
        reasoning: Some(Vote::Up),
        tags: vec![RatingTag::WrongAnswer, RatingTag::TooLong],
        comment: Some("Right method, copied a digit wrong. 抄错了一位。".into()),
        corrected_answer: Some("347 + 589 = 936.".into()),
    }
}

#[tokio::test]
async fn a_rating_round_trips_with_all_fields() {
    let (dir, store) = fresh_store().await;
    let (conv, q) = store.start_conversation("What is 347 + 589?").await.unwrap();
    let a = answer(&store, q.id, "7 + 9 = 16", "935").await;
    let rating = store.rate(a.id, full_rating()).await.unwrap();
    assert_eq!(rating.input, full_rating());
    assert!(rating.created_at > 0 && rating.updated_at == rating.created_at);

    // Reopen the file: everything is still there, attached to the answer.
    store.close().await;
    let store = ponder_store::Store::open(dir.path().join("ponder.db")).await.unwrap();
    let thread = store.thread(conv.id).await.unwrap();
    let stored = thread.message(a.id).unwrap().rating.clone().unwrap();
    assert_eq!(stored.input, full_rating());
}

#[tokio::test]
async fn a_rating_changed_twice_and_cleared_keeps_its_history() {
    let (_dir, store) = fresh_store().await;
    let (_, q) = store.start_conversation("2 + 2?").await.unwrap();
    let a = answer(&store, q.id, "", "4").await;
    let up = RatingInput {
        answer: Some(Vote::Up),
        tags: vec![RatingTag::Correct],
        ..Default::default()
    };
    let first = store.rate(a.id, up.clone()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    store.rate(a.id, full_rating()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    let third = store.rate(a.id, up.clone()).await.unwrap();
    assert_eq!(third.created_at, first.created_at, "first rated when it was first rated");
    assert!(third.updated_at > first.updated_at);

    store.clear_rating(a.id).await.unwrap();
    assert!(store.message(a.id).await.unwrap().rating.is_none());
    store.clear_rating(a.id).await.unwrap(); // nothing to clear: no new history

    let history = store.rating_history(a.id).await.unwrap();
    let ratings: Vec<_> = history.iter().map(|e| e.rating.clone()).collect();
    assert_eq!(ratings, vec![Some(up.clone()), Some(full_rating()), Some(up), None]);
    assert!(history.windows(2).all(|w| w[0].recorded_at <= w[1].recorded_at));
}

#[tokio::test]
async fn only_finished_answers_can_be_rated_and_a_rating_needs_a_choice() {
    let (_dir, store) = fresh_store().await;
    let (_, q) = store.start_conversation("hi").await.unwrap();
    let up = RatingInput { answer: Some(Vote::Up), ..Default::default() };
    assert!(matches!(store.rate(q.id, up.clone()).await, Err(StoreError::Invalid(_))));
    let writer = store.begin_answer(q.id, common::settings()).await.unwrap();
    assert!(matches!(store.rate(writer.id(), up.clone()).await, Err(StoreError::Invalid(_))));
    let a = writer.finish(Default::default()).await.unwrap();
    assert!(matches!(store.rate(a.id, RatingInput::default()).await, Err(StoreError::Invalid(_))));
    let only_correction =
        RatingInput { corrected_answer: Some("Hello!".into()), ..Default::default() };
    assert_eq!(store.rate(a.id, only_correction.clone()).await.unwrap().input, only_correction);
    let e = store.rate(ponder_store::MessageId(999), up).await.unwrap_err();
    assert_eq!(e.kind().as_str(), "not_found");
}
