//! An answer continued from a person's fix of another answer's thinking: a sibling branch whose
//! thinking starts with the person's words, marked as theirs, on a real database file.

mod common;

use common::{answer, fresh_store, settings};
use ponder_store::{GenerationOutcome, StoreError};

#[tokio::test]
async fn a_fixed_step_is_its_own_branch_with_the_persons_words_marked() {
    let (dir, store) = fresh_store().await;
    let (conversation, q) = store.start_conversation("How much is 9712 minus 5426?").await.unwrap();
    let wrong = answer(&store, q.id, "Find the smaller of 9712 and 54.", "54 is smaller.").await;
    assert!(wrong.fixed.is_none());

    let fix = "Subtract 5426 from 9712 digit by digit, from the right.\n";
    let writer = store.begin_fixed_answer(wrong.id, fix, settings()).await.unwrap();
    writer.push_thinking("9712 - 5426 … So far: 4286.");
    writer.push_answer("9712 - 5426 = 4286.");
    let fixed =
        writer.finish(GenerationOutcome { total_ms: 5.0, ..Default::default() }).await.unwrap();

    assert_eq!(fixed.parent_id, Some(q.id), "a sibling of the fixed answer");
    let mark = fixed.fixed.clone().expect("marked as fixed");
    assert_eq!(mark.from, Some(wrong.id));
    assert_eq!(mark.person_thinking, fix);
    assert_eq!(fixed.thinking.as_deref(), Some(&*format!("{fix}9712 - 5426 … So far: 4286.")));
    let thread = store.thread(conversation.id).await.unwrap();
    assert_eq!(thread.active_path, vec![q.id, fixed.id], "the continued branch is on screen");
    assert!(thread.message(wrong.id).unwrap().fixed.is_none(), "the original is left as it was");

    // It survives closing and opening the file.
    store.close().await;
    let store = ponder_store::Store::open(dir.path().join("ponder.db")).await.unwrap();
    assert_eq!(store.message(fixed.id).await.unwrap().fixed, Some(mark));
}

#[tokio::test]
async fn only_an_answers_thinking_can_be_fixed_and_not_with_nothing() {
    let (_dir, store) = fresh_store().await;
    let (_, q) = store.start_conversation("2 + 2?").await.unwrap();
    let a = answer(&store, q.id, "2 + 2 = 4", "4").await;
    let refused = store.begin_fixed_answer(q.id, "x", settings()).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))), "a question has no thinking to fix");
    let empty = store.begin_fixed_answer(a.id, "  \n", settings()).await;
    assert!(matches!(empty, Err(StoreError::Invalid(_))));
}
