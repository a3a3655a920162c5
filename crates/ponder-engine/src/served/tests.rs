//! The body reader on streams as servers send them, cut anywhere, and cut short.

use super::*;

fn chunk(delta: &str, finish: Option<&str>) -> String {
    let finish = finish.map_or("null".to_string(), |f| format!("\"{f}\""));
    format!(
        "data: {{\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n"
    )
}

async fn read(parts: Vec<Result<Vec<u8>, String>>) -> Vec<Incoming> {
    incoming(futures::stream::iter(parts), 1).collect().await
}

fn body() -> String {
    [
        chunk(r#"{"role":"assistant"}"#, None),
        chunk(r#"{"reasoning_content":"Two and two."}"#, None),
        chunk(r#"{"content":"4"}"#, None),
        chunk("{}", Some("stop")),
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}\n\n".into(),
        "data: [DONE]\n\n".into(),
    ]
    .concat()
}

fn texts(items: &[Incoming]) -> (String, String, Vec<String>) {
    let (mut reasoning, mut content, mut other) = (String::new(), String::new(), Vec::new());
    for item in items {
        match item {
            Incoming::Deltas(ds) => ds.iter().for_each(|d| {
                reasoning.push_str(&d.reasoning);
                content.push_str(&d.content);
                if let Some(f) = &d.finish_reason {
                    other.push(format!("finish {f}"));
                }
            }),
            Incoming::PromptTokens(n) => other.push(format!("prompt {n}")),
            Incoming::Failed(e) => other.push(format!("failed: {e}")),
            Incoming::CandidateFailed(i, e) => other.push(format!("candidate {i} failed: {e}")),
        }
    }
    (reasoning, content, other)
}

#[tokio::test]
async fn a_whole_reply_gives_its_prompt_count_before_its_finish() {
    let items = read(vec![Ok(body().into_bytes())]).await;
    let (reasoning, content, other) = texts(&items);
    assert_eq!((reasoning.as_str(), content.as_str()), ("Two and two.", "4"));
    assert_eq!(other, ["prompt 9", "finish stop"]);
}

#[tokio::test]
async fn any_cut_of_the_body_reads_the_same() {
    let whole = texts(&read(vec![Ok(body().into_bytes())]).await);
    let bytes = body().into_bytes();
    for step in [1, 3, 7, 50] {
        let parts = bytes.chunks(step).map(|c| Ok(c.to_vec())).collect();
        assert_eq!(texts(&read(parts).await), whole, "chunks of {step} bytes");
    }
}

#[tokio::test]
async fn a_body_cut_mid_reply_keeps_what_arrived_and_says_so() {
    let first =
        [chunk(r#"{"reasoning_content":"Two and"}"#, None), chunk(r#"{"content":"4"}"#, None)];
    let (reasoning, content, other) = texts(&read(vec![Ok(first.concat().into_bytes())]).await);
    assert_eq!((reasoning.as_str(), content.as_str()), ("Two and", "4"));
    assert_eq!(other.len(), 1);
    assert!(other[0].starts_with("failed: the server closed the connection"), "{other:?}");

    let broke = vec![Ok(first[0].clone().into_bytes()), Err("connection reset".to_string())];
    let (reasoning, _, other) = texts(&read(broke).await);
    assert_eq!(reasoning, "Two and");
    assert!(other[0].contains("broke mid-reply (connection reset)"), "{other:?}");
}

#[tokio::test]
async fn a_finish_without_done_or_usage_still_ends_cleanly() {
    let parts = [chunk(r#"{"content":"4"}"#, None), chunk("{}", Some("length"))].concat();
    let (_, content, other) = texts(&read(vec![Ok(parts.into_bytes())]).await);
    assert_eq!((content.as_str(), other), ("4", vec!["finish length".to_string()]));
}

#[tokio::test]
async fn a_malformed_chunk_ends_the_reply_with_what_it_was() {
    let parts = [chunk(r#"{"content":"4"}"#, None), "data: {not json\n\n".into()].concat();
    let (_, content, other) = texts(&read(vec![Ok(parts.into_bytes())]).await);
    assert_eq!(content, "4");
    assert!(other[0].contains("not a chat-completions chunk"), "{other:?}");
}

#[test]
fn the_api_root_is_found_with_or_without_v1_and_the_key_never_printed() {
    let s = |u: &str| ServerSource {
        base_url: u.into(),
        model: None,
        api_key: Some("sk-x".into()),
        reply_timeout_s: None,
    };
    assert_eq!(s("http://h:8080").api_root(), "http://h:8080/v1");
    assert_eq!(s("http://h:8080/v1/").api_root(), "http://h:8080/v1");
    assert!(!format!("{:?}", s("http://h")).contains("sk-x"));
}
