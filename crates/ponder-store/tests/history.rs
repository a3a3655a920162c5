//! Conversations and their message trees on a real database file: branches, the branch on screen,
//! listing, renaming, deleting with undo.

mod common;

use common::{answer, fresh_store};
use ponder_store::{MessageStatus, Role, StoreError};

#[tokio::test]
async fn regenerating_and_editing_make_branches_that_can_be_navigated() {
    let (_dir, store) = fresh_store().await;
    let (conv, q1) = store.start_conversation("What is 347 + 589?").await.unwrap();
    assert_eq!(conv.title, "What is 347 + 589?");
    let a1 = answer(&store, q1.id, "7 + 9 = 16", "936").await;
    let a2 = answer(&store, q1.id, "carry the one", "936.").await; // regenerate
    let q2 = store.add_question(conv.id, Some(a2.id), "And times 2?").await.unwrap();
    let a3 = answer(&store, q2.id, "double it", "1872").await;

    let thread = store.thread(conv.id).await.unwrap();
    assert_eq!(thread.messages.len(), 5);
    assert_eq!(thread.active_path, vec![q1.id, a2.id, q2.id, a3.id]);
    assert_eq!(thread.siblings(a2.id), vec![a1.id, a2.id], "2 / 2");
    let a = thread.message(a3.id).unwrap();
    assert_eq!((a.role, a.status), (Role::Assistant, MessageStatus::Complete));
    assert_eq!((a.thinking.as_deref(), a.content.as_str()), (Some("double it"), "1872"));

    // Back to the first answer: its branch has no follow-up.
    assert_eq!(store.set_active(a1.id).await.unwrap(), vec![q1.id, a1.id]);
    // Forward again: the follow-up under the second answer is remembered.
    assert_eq!(store.set_active(a2.id).await.unwrap(), vec![q1.id, a2.id, q2.id, a3.id]);

    // Editing the first question makes a second first question with its own answer.
    let q1b = store.add_question(conv.id, None, "What is 347 + 598?").await.unwrap();
    let b = answer(&store, q1b.id, "8 + 7", "945").await;
    let thread = store.thread(conv.id).await.unwrap();
    assert_eq!(thread.active_path, vec![q1b.id, b.id]);
    assert_eq!(thread.siblings(q1b.id), vec![q1.id, q1b.id]);
    // Switching back to the original question restores the whole branch below it.
    assert_eq!(store.set_active(q1.id).await.unwrap(), vec![q1.id, a2.id, q2.id, a3.id]);
}

#[tokio::test]
async fn every_generation_setting_comes_back() {
    let (_dir, store) = fresh_store().await;
    let (_, q) = store.start_conversation("hi").await.unwrap();
    let writer = store.begin_answer(q.id, common::settings()).await.unwrap();
    writer.push_thinking("think");
    writer.push_answer("hello");
    let outcome = ponder_store::GenerationOutcome {
        prompt_tokens: 12,
        thinking_tokens: 34,
        answer_tokens: 5,
        time_to_first_token_ms: Some(12.5),
        thinking_ms: Some(300.0),
        total_ms: 420.0,
        finish_reason: Some(ponder_store::EndReason::Length),
        error: None,
    };
    let m = writer.finish(outcome.clone()).await.unwrap();
    let g = m.generation.unwrap();
    assert_eq!(g.settings, common::settings());
    assert_eq!(g.outcome, Some(outcome));
    assert_eq!(
        m.status,
        MessageStatus::Complete,
        "a truncated answer is complete, flagged by its finish reason"
    );
}

#[tokio::test]
async fn answers_only_follow_questions_and_questions_need_text() {
    let (_dir, store) = fresh_store().await;
    let (conv, q) = store.start_conversation("hi").await.unwrap();
    let a = answer(&store, q.id, "", "hello").await;
    assert!(matches!(
        store.begin_answer(a.id, common::settings()).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.add_question(conv.id, Some(a.id), "  ").await,
        Err(StoreError::Invalid(_))
    ));
    let (other, _) = store.start_conversation("other").await.unwrap();
    let e = store.add_question(other.id, Some(a.id), "wrong tree").await.unwrap_err();
    assert_eq!(e.kind().as_str(), "not_found");
}

#[tokio::test]
async fn conversations_list_newest_first_in_stable_pages() {
    let (_dir, store) = fresh_store().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(store.start_conversation(&format!("question {i}")).await.unwrap().0.id);
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    // New activity moves a conversation to the top.
    store.add_question(ids[2], None, "again").await.unwrap();
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.list_conversations(3, cursor).await.unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|c| c.id));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut expected = vec![ids[2]];
    expected.extend(ids.iter().rev().filter(|id| **id != ids[2]));
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn rename_and_delete_with_undo() {
    let (_dir, store) = fresh_store().await;
    let (conv, _) = store.start_conversation("first question").await.unwrap();
    store.rename_conversation(conv.id, "  Sums  ").await.unwrap();
    let c = store.conversation(conv.id).await.unwrap();
    assert_eq!((c.title.as_str(), c.title_is_custom), ("Sums", true));
    assert!(store.rename_conversation(conv.id, " ").await.is_err());

    store.delete_conversation(conv.id).await.unwrap();
    assert!(store.list_conversations(10, None).await.unwrap().items.is_empty());
    assert_eq!(store.thread(conv.id).await.unwrap_err().kind().as_str(), "not_found");
    store.restore_conversation(conv.id).await.unwrap();
    assert_eq!(store.thread(conv.id).await.unwrap().messages.len(), 1);

    store.delete_conversation(conv.id).await.unwrap();
    assert_eq!(store.purge_deleted(i64::MAX).await.unwrap(), 1);
    assert!(store.restore_conversation(conv.id).await.is_err());
    assert_eq!(store.counts().await.unwrap(), (0, 0), "messages went with it");
}
