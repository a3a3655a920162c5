//! Ponder on a real Qwen3 checkpoint's tokenizer, template and shapes: the published Qwen3 tokenizer
//! (npm, `scripts/fixtures.sh`) with random weights at Qwen3-0.6B's shapes (`tests/qwen_fixture.rs`).
//! The template is rendered by mistral.rs exactly as Qwen3's own (thinking on and off, system prompts,
//! earlier turns' thinking dropped), the real `<think>`/`</think>` ids drive the splitter and the budget,
//! a prompt past the 40,960-token context is refused, the folder loads in stages (unquantized, Q8_0 and
//! Q4K in situ), and the Q8_0 GGUF gives the same greedy tokens in mistral.rs as in llama.cpp.
//!
//! Random weights know nothing: these tests check plumbing at real size, not answers.

use std::sync::Mutex;
use std::time::Instant;

use ponder_engine::{
    ChatMessage, ChatRole, Engine, EngineError, Event, FinishReason, GenerationRequest,
    LoadOptions, LoadStage, ModelSource, Quantization, Sampling, ThinkTags, Usage,
};
use ponder_tests::qwen_fixture::{one_at_a_time, qwen3_0_6b, qwen3_tokenizer_dir};
use ponder_tests::{collect, llama_cpp, texts};

const IM_START: &str = "<|im_start|>";

fn greedy(messages: Vec<ChatMessage>, thinking: bool, max_tokens: usize) -> GenerationRequest {
    GenerationRequest {
        messages,
        thinking,
        sampling: Sampling::greedy(),
        max_tokens,
        ..GenerationRequest::ask("")
    }
}

fn msg(role: ChatRole, content: &str) -> ChatMessage {
    ChatMessage { role, content: content.into() }
}

fn usage(events: &[Event]) -> Usage {
    events
        .iter()
        .find_map(|e| match e {
            Event::Usage(u) => Some(u.clone()),
            _ => None,
        })
        .expect("usage reported")
}

async fn load(source: ModelSource, quantization: Option<Quantization>) -> (Engine, f64) {
    let stages = Mutex::new(Vec::new());
    let started = Instant::now();
    let options = LoadOptions { quantization, ..LoadOptions::default() };
    let engine = Engine::load_with(source, &options, |s| stages.lock().unwrap().push(s))
        .await
        .expect("the fixture loads");
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(
        stages.into_inner().unwrap(),
        [LoadStage::Checking, LoadStage::Loading, LoadStage::Ready]
    );
    (engine, seconds)
}

#[test]
fn the_tokenizer_fixture_has_qwen3s_special_tokens_and_template() {
    let dir = qwen3_tokenizer_dir();
    let tok = tokenizers::Tokenizer::from_file(dir.join("tokenizer.json")).unwrap();
    // Qwen3's published ids (its tokenizer_config.json's added_tokens_decoder).
    for (token, id) in [
        ("<|endoftext|>", 151643),
        ("<|im_start|>", 151644),
        ("<|im_end|>", 151645),
        ("<tool_call>", 151657),
        ("<think>", 151667),
        ("</think>", 151668),
    ] {
        assert_eq!(tok.token_to_id(token), Some(id), "{token}");
    }
    assert_eq!(tok.get_vocab_size(true), 151_669, "151,643 BPE entries and 26 added tokens");
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("tokenizer_config.json")).unwrap()).unwrap();
    assert_eq!(config["eos_token"], "<|im_end|>");
    let template = config["chat_template"].as_str().unwrap();
    // The parts of Qwen3's template Ponder relies on: the last user turn found from the end, earlier
    // thinking dropped, `reasoning_content` read, and an empty thinking block when thinking is off.
    for part in [
        "ns.last_query_index",
        "reasoning_content",
        "message.content.split('</think>')[-1].lstrip('\\n')",
        "enable_thinking is defined and enable_thinking is false",
        "'<think>\\n\\n</think>\\n\\n'",
    ] {
        assert!(template.contains(part), "the template lacks {part}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_folder_renders_qwen3s_template_and_refuses_a_prompt_past_its_context() {
    let _turn = one_at_a_time().await;
    let fixture = qwen3_0_6b();
    let (engine, seconds) = load(ModelSource::LocalDir(fixture.model_dir.clone()), None).await;
    println!("bf16 folder loaded in {seconds:.1} s");
    assert_eq!(engine.info().architecture, "Qwen3ForCausalLM");
    assert_eq!(engine.think_tags(), Some(ThinkTags { open: 151667, close: 151668 }));
    assert_eq!(engine.context_length(), Some(40_960));
    assert_eq!(engine.defaults().temperature, Some(0.6), "generation_config.json is read");

    let q = "What is 4821 + 3967?";
    let user = format!("{IM_START}user\n{q}<|im_end|>\n");
    let on = engine.rendered_prompt(&greedy(vec![ChatMessage::user(q)], true, 8)).await.unwrap();
    assert_eq!(on, format!("{user}{IM_START}assistant\n"));
    let off = engine.rendered_prompt(&greedy(vec![ChatMessage::user(q)], false, 8)).await.unwrap();
    assert_eq!(off, format!("{user}{IM_START}assistant\n<think>\n\n</think>\n\n"));

    let system = msg(ChatRole::System, "You are terse. Answer in one line.");
    let with_system =
        engine.rendered_prompt(&greedy(vec![system, ChatMessage::user(q)], true, 8)).await.unwrap();
    assert_eq!(
        with_system,
        format!("{IM_START}system\nYou are terse. Answer in one line.<|im_end|>\n{user}{IM_START}assistant\n")
    );

    // An earlier turn's thinking is dropped by the template itself, exactly as Ponder drops it when it
    // sends only the answer back: both render the same prompt.
    let turns = |earlier: &str| {
        vec![
            ChatMessage::user("What is 2 + 2?"),
            msg(ChatRole::Assistant, earlier),
            ChatMessage::user(q),
        ]
    };
    let expected = format!(
        "{IM_START}user\nWhat is 2 + 2?<|im_end|>\n{IM_START}assistant\n2 + 2 = 4.<|im_end|>\n{user}{IM_START}assistant\n"
    );
    let inline = "<think>\nTwo and two make four.\n</think>\n\n2 + 2 = 4.";
    assert_eq!(engine.rendered_prompt(&greedy(turns(inline), true, 8)).await.unwrap(), expected);
    assert_eq!(
        engine.rendered_prompt(&greedy(turns("2 + 2 = 4."), true, 8)).await.unwrap(),
        expected
    );

    // Past the context: refused before anything is generated, with both numbers.
    let long = "seven ".repeat(41_000);
    match engine.check(&greedy(vec![ChatMessage::user(long)], true, 8)).await {
        Err(EngineError::PromptTooLong { tokens, limit }) => {
            assert_eq!(limit, 40_960);
            assert!(tokens > limit, "{tokens}");
        }
        other => panic!("a 41,000-word prompt was not refused: {other:?}"),
    }

    // Thinking off: every generated token is answer.
    let events = collect(&engine, &greedy(vec![ChatMessage::user(q)], false, 4)).await;
    let u = usage(&events);
    assert_eq!((u.prompt_tokens, u.thinking_tokens, u.answer_tokens), (26, 0, 4), "{u:?}");
    assert_eq!(texts(&events).2, Some(FinishReason::Length));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_forces_the_real_close_tag_and_the_splitter_follows_it() {
    let _turn = one_at_a_time().await;
    let fixture = qwen3_0_6b();
    let (engine, _) = load(ModelSource::Gguf(fixture.gguf.clone()), None).await;
    assert_eq!(engine.think_tags(), Some(ThinkTags { open: 151667, close: 151668 }));
    // A person's first step opens the thinking block in the prompt (the fixed-step path); random
    // weights would never open one themselves.
    let req = GenerationRequest {
        thinking_budget: Some(3),
        continue_thinking: Some("First add the thousands.".into()),
        ..greedy(vec![ChatMessage::user("What is 4821 + 3967?")], true, 8)
    };
    let prompt = engine.prompt_ids(&req).await.unwrap();
    assert!(prompt.contains(&151667), "the prompt opens the thinking block with the real <think>");
    let events = collect(&engine, &req).await;
    let u = usage(&events);
    let (thinking, answer, finish) = texts(&events);
    assert_eq!(u.thinking_tokens, 3, "{u:?}: thinking {thinking:?}");
    // The forced `</think>` ends the block and is counted with the answer that follows it.
    assert_eq!(u.thinking_tokens + u.answer_tokens, 8, "{u:?}");
    assert!(!answer.trim().is_empty(), "the model answered after the forced close");
    assert!(
        !thinking.contains("think>") && !answer.contains("think>"),
        "{thinking:?} / {answer:?}"
    );
    assert_eq!(finish, Some(FinishReason::Length));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_folder_quantizes_in_situ_to_q8_0_and_q4k() {
    let _turn = one_at_a_time().await;
    let fixture = qwen3_0_6b();
    for q in [Quantization::Q8_0, Quantization::Q4K] {
        let (engine, seconds) =
            load(ModelSource::LocalDir(fixture.model_dir.clone()), Some(q)).await;
        println!("{} in situ: loaded in {seconds:.1} s", q.name());
        assert_eq!(engine.info().quantization.as_deref(), Some(q.name()));
        let events = collect(&engine, &greedy(vec![ChatMessage::user("Hello!")], false, 6)).await;
        let u = usage(&events);
        println!(
            "{}: {:.1} tok/s, first token {:.0} ms",
            q.name(),
            u.tokens_per_second,
            u.time_to_first_token_ms
        );
        assert_eq!(u.answer_tokens, 6, "{u:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gguf_gives_the_same_greedy_tokens_in_mistralrs_and_llama_cpp() {
    let _turn = one_at_a_time().await;
    let fixture = qwen3_0_6b();
    let questions = [
        "What is 4821 + 3967?",
        "用一句话解释勾股定理。",
        "Write a haiku about rain, then explain it.",
    ];
    let requests: Vec<_> =
        questions.iter().map(|q| greedy(vec![ChatMessage::user(*q)], false, 12)).collect();

    let (folder, _) = load(ModelSource::LocalDir(fixture.model_dir.clone()), None).await;
    let mut folder_ids = Vec::new();
    for r in &requests {
        folder_ids.push(folder.prompt_ids(r).await.unwrap());
    }
    drop(folder);

    let (gguf, seconds) = load(ModelSource::Gguf(fixture.gguf.clone()), None).await;
    println!("Q8_0 GGUF loaded by mistral.rs in {seconds:.1} s");
    let mut ours = Vec::new();
    for (r, ids) in requests.iter().zip(&folder_ids) {
        assert_eq!(
            &gguf.prompt_ids(r).await.unwrap(),
            ids,
            "the GGUF's tokenizer renders the same prompt"
        );
        let events = collect(&gguf, r).await;
        assert_eq!(usage(&events).answer_tokens, 12);
        ours.push(texts(&events).1);
    }
    drop(gguf);

    let theirs = llama_cpp::greedy(&fixture.gguf, &folder_ids, 12);
    let mut whole = 0;
    for ((q, a), b) in questions.iter().zip(&ours).zip(&theirs) {
        println!("{q}\n  mistral.rs: {a:?}\n  llama.cpp:  {:?}", b.text);
        // The splitter drops the blank lines an answer may open with; llama.cpp keeps them.
        let opening = &b.text[..b.text.len() - b.text.trim_start().len()];
        let ours = format!("{opening}{}", a.trim_start());
        // Random weights put many tokens within a few hundredths of a nat of each other, and two
        // engines' Q8_0 kernels round differently: a path may part at such a tie, never elsewhere.
        let steps = llama_cpp::follows(&ours, b, 0.05).unwrap_or_else(|e| panic!("{q:?}: {e}"));
        println!("  the same for {steps} of 12 tokens");
        whole += usize::from(steps == 12);
    }
    assert!(whole >= 2, "only {whole} of 3 prompts gave the same 12 tokens");
    let distinct: std::collections::HashSet<_> = ours.iter().collect();
    assert!(
        distinct.len() > 1,
        "every prompt gave the same text: the comparison would prove little"
    );
}
