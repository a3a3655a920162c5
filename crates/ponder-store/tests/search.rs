//! Full-text search on a real database file: English and Chinese, titles, thinking on request,
//! highlights, and what must not be found.

mod common;

use common::{answer, fresh_store};
use ponder_store::{SearchField, SearchHit, SearchQuery, Store};

async fn find(store: &Store, text: &str, include_thinking: bool) -> Vec<SearchHit> {
    store.search(&SearchQuery { text: text.into(), include_thinking, limit: 20 }).await.unwrap()
}

fn highlighted(hit: &SearchHit) -> Vec<String> {
    hit.snippet.iter().filter(|p| p.highlight).map(|p| p.text.clone()).collect()
}

#[tokio::test]
async fn english_and_chinese_words_are_found_with_highlights() {
    let (_dir, store) = fresh_store().await;
    let (en, q) = store.start_conversation("How many apples does Tom have?").await.unwrap();
    answer(&store, q.id, "Tom starts with 347 and buys 589.", "Tom has 936 Apples.").await;
    let (zh, q) =
        store.start_conversation("小明有 347 个苹果，又买了 589 个，一共有多少个？").await.unwrap();
    answer(&store, q.id, "347 加 589 等于 936", "小明一共有 936 个苹果。").await;

    let hits = find(&store, "apples", false).await;
    assert!(hits.iter().any(|h| h.conversation_id == en.id && h.field == SearchField::Answer));
    assert!(hits.iter().any(|h| h.field == SearchField::Title));
    let answer_hit = hits.iter().find(|h| h.field == SearchField::Answer).unwrap();
    assert_eq!(highlighted(answer_hit), vec!["Apples"], "case kept, match highlighted");

    // Three characters and more go through the trigram index.
    let hits = find(&store, "一共有", false).await;
    assert!(hits.iter().any(|h| h.conversation_id == zh.id && h.field == SearchField::Answer));
    assert!(hits.iter().all(|h| h.conversation_id == zh.id));
    // Two-character Chinese words (most of them) are found too.
    let hits = find(&store, "苹果", false).await;
    assert!(hits.iter().any(|h| h.field == SearchField::Question && h.conversation_id == zh.id));
    assert!(hits.iter().any(|h| h.field == SearchField::Title));
    assert!(hits
        .iter()
        .any(|h| highlighted(h) == vec!["苹果", "苹果"] || highlighted(h) == vec!["苹果"]));
    // Every word must appear.
    assert!(find(&store, "apples 苹果", false).await.is_empty());
    assert_eq!(find(&store, "Tom 936", false).await.len(), 1);
}

#[tokio::test]
async fn thinking_is_searched_only_when_asked() {
    let (_dir, store) = fresh_store().await;
    let (_, q) = store.start_conversation("What is 12 * 3?").await.unwrap();
    answer(&store, q.id, "multiply the units: carryover zero", "36").await;
    assert!(find(&store, "carryover", false).await.is_empty());
    let hits = find(&store, "carryover", true).await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].field, SearchField::Thinking);
    assert!(find(&store, "ca", true).await.iter().any(|h| h.field == SearchField::Thinking));
}

#[tokio::test]
async fn renamed_deleted_and_streaming_conversations_are_searched_as_they_are_now() {
    let (_dir, store) = fresh_store().await;
    let (conv, q) = store.start_conversation("original title words").await.unwrap();
    store.rename_conversation(conv.id, "Quarterly budget").await.unwrap();
    assert!(find(&store, "budget", false).await.iter().any(|h| h.field == SearchField::Title));
    assert!(!find(&store, "original", false).await.iter().any(|h| h.field == SearchField::Title));

    // An answer is indexed when it finishes, with its whole text.
    let writer = store.begin_answer(q.id, common::settings()).await.unwrap();
    writer.push_answer("zebra crossing");
    assert!(find(&store, "zebra", false).await.is_empty());
    writer.finish(Default::default()).await.unwrap();
    assert_eq!(find(&store, "zebra", false).await.len(), 1);

    store.delete_conversation(conv.id).await.unwrap();
    assert!(find(&store, "zebra", false).await.is_empty());
    assert!(find(&store, "ze", false).await.is_empty());
    store.restore_conversation(conv.id).await.unwrap();
    assert_eq!(find(&store, "zebra", false).await.len(), 1);
}

#[tokio::test]
async fn query_syntax_in_the_search_box_is_just_text() {
    let (_dir, store) = fresh_store().await;
    let (_, q) = store.start_conversation("what does \"NEAR(a b)\" OR * mean").await.unwrap();
    answer(&store, q.id, "", "It is FTS5 syntax: col:term AND -x").await;
    for text in
        ["\"NEAR(a b)\"", "OR *", "col:term", "-x", "AND", "\"", "(", "'; DROP TABLE messages; --"]
    {
        let result = store
            .search(&SearchQuery { text: text.into(), include_thinking: true, limit: 5 })
            .await;
        assert!(result.is_ok(), "{text}: {result:?}");
    }
    assert!(!find(&store, "col:term", false).await.is_empty());
    assert_eq!(store.counts().await.unwrap().1, 2);
}

#[tokio::test]
async fn short_chinese_words_are_found_anywhere_including_the_very_end() {
    let (_dir, store) = fresh_store().await;
    let (_, q) = store.start_conversation("我想买苹果").await.unwrap(); // the word ends the text
    let a = answer(&store, q.id, "先想想香蕉", "可以买梨").await;
    let end = find(&store, "苹果", false).await;
    assert!(
        end.iter().any(|h| h.field == SearchField::Question && highlighted(h) == vec!["苹果"]),
        "{end:?}"
    );
    assert!(find(&store, "买梨", false).await.iter().any(|h| h.message_id == Some(a.id)));
    assert!(find(&store, "香蕉", false).await.is_empty(), "thinking only when asked");
    let thinking = find(&store, "香蕉", true).await;
    assert_eq!(thinking.len(), 1);
    assert_eq!(
        (thinking[0].field, highlighted(&thinking[0])),
        (SearchField::Thinking, vec!["香蕉".to_string()])
    );
    // One character scans; two characters that appear nowhere find nothing.
    assert!(find(&store, "梨", false).await.iter().any(|h| h.message_id == Some(a.id)));
    assert!(find(&store, "龙虎", true).await.is_empty());
    // A short word together with a long one: both must appear.
    assert_eq!(find(&store, "苹果 我想买", false).await.len(), 2); // title and question
    assert!(find(&store, "苹果 可以买", false).await.is_empty());
}
