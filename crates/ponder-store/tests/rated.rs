//! Reading rated answers for export: whole conversations per page, contexts following parents, filters.

mod common;

use common::{answer, fresh_store, settings};
use ponder_store::{RatedAnswer, RatingFilter, RatingInput, RatingTag, Store, Vote};

fn vote(v: Vote, tags: &[RatingTag]) -> RatingInput {
    RatingInput { answer: Some(v), tags: tags.to_vec(), ..Default::default() }
}

async fn all(store: &Store, filter: &RatingFilter) -> Vec<RatedAnswer> {
    let (mut out, mut after) = (Vec::new(), None);
    loop {
        let page = store.rated_answers(filter, after, 1).await.unwrap();
        out.extend(page.answers);
        match page.next {
            Some(next) => after = Some(next),
            None => return out,
        }
    }
}

#[tokio::test]
async fn rated_answers_come_with_their_context_page_by_page_and_filtered() {
    let (_dir, store) = fresh_store().await;
    let (c1, q1) = store.start_conversation("What is 2 + 2?").await.unwrap();
    let up = answer(&store, q1.id, "2 and 2", "4").await;
    let down = answer(&store, q1.id, "hmm", "5").await;
    store.rate(up.id, vote(Vote::Up, &[RatingTag::Correct])).await.unwrap();
    store.rate(down.id, vote(Vote::Down, &[RatingTag::WrongAnswer])).await.unwrap();
    let q2 = store.add_question(c1.id, Some(up.id), "And 3 + 3?").await.unwrap();
    let follow = answer(&store, q2.id, "3 and 3", "6").await;
    store.rate(follow.id, vote(Vote::Up, &[])).await.unwrap();
    answer(&store, q2.id, "", "unrated sibling").await;

    let (gone, q) = store.start_conversation("deleted one").await.unwrap();
    let a = answer(&store, q.id, "", "x").await;
    store.rate(a.id, vote(Vote::Up, &[])).await.unwrap();
    store.delete_conversation(gone.id).await.unwrap();

    let (c3, q) = store.start_conversation("other model").await.unwrap();
    let mut other = settings();
    other.model.id = "Qwen/Qwen3-0.6B".into();
    let w = store.begin_answer(q.id, other).await.unwrap();
    w.push_answer("hello");
    let b = w.finish(Default::default()).await.unwrap();
    store.rate(b.id, vote(Vote::Down, &[RatingTag::Unhelpful])).await.unwrap();

    let everything = all(&store, &RatingFilter::default()).await;
    let ids: Vec<_> = everything.iter().map(|r| r.answer.id).collect();
    assert_eq!(ids, vec![up.id, down.id, follow.id, b.id], "deleted and unrated left out");
    assert_eq!(everything[0].context.iter().map(|m| m.id).collect::<Vec<_>>(), vec![q1.id]);
    // The follow-up's context runs through the answer it followed, not the sibling shown last.
    let ctx: Vec<_> = everything[2].context.iter().map(|m| m.id).collect();
    assert_eq!(ctx, vec![q1.id, up.id, q2.id]);
    assert_eq!(everything[3].conversation.id, c3.id);

    let downs = all(&store, &RatingFilter { vote: Some(Vote::Down), ..Default::default() }).await;
    assert_eq!(downs.iter().map(|r| r.answer.id).collect::<Vec<_>>(), vec![down.id, b.id]);
    let tagged =
        RatingFilter { tags: vec![RatingTag::Correct, RatingTag::Unhelpful], ..Default::default() };
    assert_eq!(
        all(&store, &tagged).await.iter().map(|r| r.answer.id).collect::<Vec<_>>(),
        vec![up.id, b.id]
    );
    let model = RatingFilter { models: vec!["Qwen/Qwen3-0.6B".into()], ..Default::default() };
    assert_eq!(all(&store, &model).await.len(), 1);
    let only = RatingFilter { conversations: vec![c1.id], ..Default::default() };
    assert_eq!(all(&store, &only).await.len(), 3);
    let future = RatingFilter { since_ms: Some(i64::MAX), ..Default::default() };
    assert!(all(&store, &future).await.is_empty());
}
