//! Thinking harder on real parts: the bundled model thinking longer through mistral.rs (the nudge
//! written where it would have stopped), a vote over eight of its sampled chains, the reply of a chain
//! guarded against repeating itself, and the minimum budget with Qwen3's real `</think>` id and
//! tokenizer.

use ponder_chat::vote::{Verdict, Vote};
use ponder_engine::min_thinking::{MinThinking, Step};
use ponder_engine::{
    Engine, Event, FinishReason, GenerationRequest, ModelSource, Sampling, ThinkTags,
};
use ponder_tests::qwen_fixture::qwen3_tokenizer_dir;
use ponder_tests::{bundled_model_dir, collect_all, texts};

async fn bundled() -> Engine {
    Engine::load(ModelSource::LocalDir(bundled_model_dir())).await.expect("the bundled model loads")
}

fn thinking_tokens(events: &[Event]) -> usize {
    events
        .iter()
        .find_map(|e| match e {
            Event::Usage(u) => Some(u.thinking_tokens),
            _ => None,
        })
        .expect("usage")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thinking_longer_keeps_the_model_thinking_past_where_it_would_stop() {
    let engine = bundled().await;
    let greedy = GenerationRequest {
        sampling: Sampling::greedy(),
        max_tokens: 1200,
        ..GenerationRequest::ask("What is 347 + 589?")
    };
    let plain: Vec<Event> =
        collect_all(&engine, &greedy).await.into_iter().map(|e| e.event).collect();
    let own = thinking_tokens(&plain);
    let (thinking, answer, _) = texts(&plain);
    assert!(!thinking.contains("Wait") && answer.contains("936"), "{thinking:?} {answer:?}");

    let min = own + 40;
    let longer = GenerationRequest { min_thinking: Some(min), ..greedy.clone() };
    let events: Vec<Event> =
        collect_all(&engine, &longer).await.into_iter().map(|e| e.event).collect();
    let (thinking, answer, finish) = texts(&events);
    assert!(
        thinking_tokens(&events) >= min,
        "thought {} < {min}: {thinking:?} / {answer:?}",
        thinking_tokens(&events)
    );
    assert!(thinking.contains("Wait"), "the nudge was written where it stopped: {thinking:?}");
    assert!(
        matches!(finish, Some(FinishReason::Stop | FinishReason::Length)),
        "{finish:?} {answer:?}"
    );

    let own_nudge = GenerationRequest { nudge: Some("\n\nHmm, let me check.".into()), ..longer };
    let (thinking, _, _) = texts(
        &collect_all(&engine, &own_nudge).await.into_iter().map(|e| e.event).collect::<Vec<_>>(),
    );
    assert!(thinking.contains("Hmm, let me check."), "{thinking:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_over_eight_sampled_chains_finds_the_answer_most_reach() {
    let engine = bundled().await;
    let req = GenerationRequest {
        candidates: 8,
        sampling: Sampling::qwen_recommended(),
        ..GenerationRequest::ask("What is 347 + 589?")
    };
    let events = collect_all(&engine, &req).await;
    let mut answers = vec![String::new(); 8];
    for e in &events {
        if let Event::Answer(t) = &e.event {
            answers[e.candidate].push_str(t);
        }
    }
    let vote = Vote::of(&answers);
    assert_eq!(vote.chains, 8);
    assert!(matches!(vote.verdict, Verdict::Majority { .. }), "{vote:?}");
    assert_eq!(vote.winner().map(|w| w.key.as_str()), Some("936"), "{vote:?}");
    let counted: usize = vote.tallies.iter().map(|t| t.chains.len()).sum();
    assert!(counted <= 8 && vote.describe().contains("agree"), "{}", vote.describe());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_that_may_not_repeat_itself_still_answers() {
    let engine = bundled().await;
    let req = GenerationRequest {
        sampling: Sampling { no_repeat_ngram_size: Some(12), ..Sampling::greedy() },
        max_tokens: 600,
        ..GenerationRequest::ask("What is 347 + 589?")
    };
    let events: Vec<Event> =
        collect_all(&engine, &req).await.into_iter().map(|e| e.event).collect();
    let (thinking, answer, finish) = texts(&events);
    assert_eq!(finish, Some(FinishReason::Stop), "{thinking:?} {answer:?}");
    assert!(answer.contains("936"), "twelve-token phrases are not what a sum repeats: {answer:?}");
}

#[test]
fn the_minimum_uses_qwen3s_real_close_tag_and_writes_a_real_wait() {
    let tokenizer = tokenizers::Tokenizer::from_file(qwen3_tokenizer_dir().join("tokenizer.json"))
        .expect("the Qwen3 tokenizer fixture");
    let tags = ThinkTags {
        open: tokenizer.token_to_id("<think>").expect("<think>"),
        close: tokenizer.token_to_id("</think>").expect("</think>"),
    };
    assert_eq!((tags.open, tags.close), (151667, 151668));
    let nudge = tokenizer.encode("\n\nWait", false).expect("encodes").get_ids().to_vec();
    let im_end = tokenizer.token_to_id("<|im_end|>").expect("<|im_end|>");
    let p = MinThinking::new(tags, 8, nudge.clone(), vec![im_end], false);
    let mut context = tokenizer
        .encode("<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n", false)
        .expect("encodes")
        .get_ids()
        .to_vec();
    let prompt = context.len();
    assert_eq!(p.step(&context, false), Step::NoClose);
    context.extend(tokenizer.encode("Two and two make four.", false).unwrap().get_ids());
    // The model's most likely next token is `</think>`, too early: the nudge comes instead.
    for _ in 0..nudge.len() {
        match p.step(&context, true) {
            Step::Write(t) => context.push(t),
            other => panic!("expected the nudge, got {other:?}"),
        }
    }
    let written = tokenizer.decode(&context[prompt..], false).unwrap();
    assert!(written.ends_with("four.\n\nWait"), "{written:?}");
    assert!(!context[prompt..].contains(&tags.close));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_chain_that_loops_is_stopped_early_and_said_so() {
    // Far outside what the bundled model learned, it falls into writing "9" without end.
    let engine = bundled().await;
    let looping = GenerationRequest {
        sampling: Sampling::greedy(),
        max_tokens: 2048,
        ..GenerationRequest::ask("What is 9999999 × 9999999?")
    };
    let stopped: Vec<Event> =
        collect_all(&engine, &looping).await.into_iter().map(|e| e.event).collect();
    let (thinking, _, finish) = texts(&stopped);
    let Some(FinishReason::Looped(repeated)) = finish else { panic!("{finish:?}: {thinking}") };
    assert!(thinking.ends_with(&repeated.text.repeat(repeated.times)), "{repeated:?}");
    let spent = thinking_tokens(&stopped);

    let kept = GenerationRequest { stop_loops: false, ..looping };
    let ran_on: Vec<Event> =
        collect_all(&engine, &kept).await.into_iter().map(|e| e.event).collect();
    assert_eq!(texts(&ran_on).2, Some(FinishReason::Length), "left alone it runs to the limit");
    let wasted = thinking_tokens(&ran_on);
    assert!(spent * 4 < wasted, "stopped at {spent} thinking tokens, {wasted} without stopping");
    // What was kept is what the unstopped chain said up to there (greedy: the same chain).
    assert!(texts(&ran_on).0.starts_with(&thinking));
}
