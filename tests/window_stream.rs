//! The window while a long reply streams in: 100,000 characters of Qwen-style thinking (lists and
//! LaTeX) and then a 20,000-character markdown answer, sent by a scripted OpenAI-compatible server at
//! a small Qwen's GPU speed (250 tokens/s of ~4 characters) and shown through the served-model engine
//! in the real app under Xvfb. Measured in the page: every frame's time while it streams (p50 / p95 /
//! worst), and how far the display trails the server (each "Case N" / "Step N" marker's first frame on
//! the page against the moment the server sent it); then the saved conversation reopened. Numbers in
//! docs/benchmarks.md: `cargo test --workspace --test window_stream -- --nocapture`
//! (`PONDER_STREAM_TOKENS_PER_S` sets the pace).

#[allow(dead_code)]
mod window;

use std::time::Duration;

use ponder_tests::fake_openai::{FakeOpenAi, Script, Sent};
use serde_json::{json, Value};
use window::{wait_until, Window};

const LONG: Duration = Duration::from_secs(600);

/// Records every frame's length and, per frame, the highest marker on the page (looking only at the
/// last few blocks of each text, so the probe itself stays cheap).
const PROBE: &str = r#"
const origin = performance.timeOrigin;
const p = { frames: [], seen: [], long: [], stop: false };
window.__probe = p;
let last = performance.now(), best = { case: 0, step: 0 };
const tail = (el) => {
  let text = '', n = el && el.lastElementChild;
  for (let k = 0; n && k < 8; k++, n = n.previousElementSibling) text = n.textContent + text;
  return text;
};
const look = (el, re, kind, now) => {
  for (const m of tail(el).matchAll(re)) {
    const v = +m[1];
    if (v > best[kind]) { best[kind] = v; p.seen.push([origin + now, kind, v]); }
  }
};
const tick = (now) => {
  p.frames.push([origin + now, now - last]);
  if (now - last > 50) p.long.push([origin + now, now - last]);
  last = now;
  look(document.querySelector('.answer .thinking .markdown'), /Case (\d+)\./g, 'case', now);
  const md = document.querySelector('.answer > .markdown');
  if (md && !window.__md) window.__md = md;
  look(md, /Step (\d+)/g, 'step', now);
  if (!p.stop) requestAnimationFrame(tick);
};
requestAnimationFrame(tick);
return true;
"#;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// When the server sent the end of each marker `pattern{n}{end}` of `text`, from its log.
fn sent_times(
    text: &str,
    pattern: &str,
    end: &str,
    sent: &[Sent],
    thinking: bool,
) -> Vec<(u64, f64)> {
    let mut out = Vec::new();
    let mut n = 1u64;
    let mut from = 0;
    while let Some(at) = text[from..].find(&format!("{pattern}{n}{end}")) {
        let offset = text[..from + at].chars().count() + format!("{pattern}{n}{end}").len();
        let chars = |s: &Sent| if thinking { s.thinking_chars } else { s.answer_chars };
        if let Some(s) = sent.iter().find(|s| chars(s) >= offset) {
            out.push((n, s.at_ms));
        }
        from += at + 1;
        n += 1;
    }
    out
}

/// For each marker the server sent, how long until the page first showed it (or a later one).
fn lags(sent: &[(u64, f64)], seen: &[(f64, u64)]) -> Vec<f64> {
    sent.iter()
        .filter_map(|(n, at)| seen.iter().find(|(_, v)| v >= n).map(|(t, _)| (t - at).max(0.0)))
        .collect()
}

#[test]
fn a_long_reply_streams_without_dropping_frames_or_falling_behind() {
    let speed: f64 = std::env::var("PONDER_STREAM_TOKENS_PER_S")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250.0);
    let thinking = window::qwen_style_thinking(100_000);
    let answer = window::ordinary_markdown(20_000);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(FakeOpenAi::serve(Script::new(&thinking, &answer, speed)));

    let dir = tempfile::tempdir().unwrap();
    window::seed(dir.path(), "auto", &[("A short one", "Two and two.", "2 + 2 = 4.")]);
    let settings = json!({"seenWelcome": true, "paneMode": "auto",
                          "model": {"source": "server", "serverUrl": server.url}});
    std::fs::write(dir.path().join("settings.json"), settings.to_string()).unwrap();
    let w = Window::open(dir.path());
    let s = &w.session;
    let composer = s.wait_for(".composer .box:not(.disabled) textarea", Duration::from_secs(120));

    s.script(PROBE, json!([]));
    s.type_into(&composer, "Which n make n^2 + (n mod 5) divisible by 7?\u{E007}");
    // Until the saved answer's actions show, only cheap queries: reading the text of a long answer
    // (what `wait_answered` does) lays the page out, and would be measured as the app's frames.
    s.wait_for(".answer .actions .icon-btn", LONG);
    let probe = s.script("window.__probe.stop = true; return window.__probe", json!([]));
    let done = window::wait_answered(s, "", LONG);
    let kept =
        s.script("return window.__md === document.querySelector('.answer > .markdown')", json!([]));
    eprintln!("the streamed answer's element is the saved answer's: {kept}");
    let sent = server.sent();
    assert!(
        done.contains(&format!("Step {}", answer.matches("## Step ").count())),
        "the whole answer"
    );

    // From the first token to the last on the page: the frames the stream was drawn in.
    let (first, last) = (sent[0].at_ms, sent.last().unwrap().at_ms + 250.0);
    let streaming_ms = last - first;
    let mut frames: Vec<f64> = probe["frames"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| (first..=last).contains(&f[0].as_f64().unwrap()))
        .map(|f| f[1].as_f64().unwrap())
        .collect();
    frames.sort_by(f64::total_cmp);
    let seen = |kind: &str| -> Vec<(f64, u64)> {
        probe["seen"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e[1] == kind)
            .map(|e| (e[0].as_f64().unwrap(), e[2].as_u64().unwrap()))
            .collect()
    };
    let mut thinking_lag =
        lags(&sent_times(&thinking, "**Case ", ".**", &sent, true), &seen("case"));
    let mut answer_lag = lags(&sent_times(&answer, "## Step ", "\n", &sent, false), &seen("step"));
    thinking_lag.sort_by(f64::total_cmp);
    answer_lag.sort_by(f64::total_cmp);
    let over = frames.iter().filter(|&&f| f > 16.7).count();
    // A frame that missed its vsync (at 60 Hz the next one comes 33 ms after the last).
    let dropped = frames.iter().filter(|&&f| f > 25.0).count();
    let answer_starts = sent.iter().find(|x| x.answer_chars > 0).map_or(0.0, |x| x.at_ms);
    let long: Vec<String> = probe["long"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let at = e[0].as_f64().unwrap();
            format!(
                "{:.0} ms at {:+.1} s from the answer's start",
                e[1].as_f64().unwrap(),
                (at - answer_starts) / 1000.0
            )
        })
        .collect();

    // The saved conversation, reopened after another.
    let reopen = reopen_ms(s, &answer);

    eprintln!(
        "streamed {} + {} chars at {speed} tokens/s in {:.1} s, {} frames\n\
         frames: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, worst {:.1} ms; {over} over 16.7 ms, {dropped} over 25 ms\n\
         frames over 50 ms: {long:?}\n\
         display behind the server, thinking ({} markers): p50 {:.0} ms, p95 {:.0} ms, worst {:.0} ms\n\
         display behind the server, answer ({} markers): p50 {:.0} ms, p95 {:.0} ms, worst {:.0} ms\n\
         reopened (median of 3): {reopen:.0} ms",
        thinking.len(),
        answer.len(),
        streaming_ms / 1000.0,
        frames.len(),
        percentile(&frames, 0.5),
        percentile(&frames, 0.95),
        percentile(&frames, 0.99),
        frames.last().unwrap(),
        thinking_lag.len(),
        percentile(&thinking_lag, 0.5),
        percentile(&thinking_lag, 0.95),
        thinking_lag.last().unwrap(),
        answer_lag.len(),
        percentile(&answer_lag, 0.5),
        percentile(&answer_lag, 0.95),
        answer_lag.last().unwrap(),
    );
    assert!(thinking_lag.len() > 100 && answer_lag.len() > 50, "markers seen on the page");
    // Loose bounds that catch a freeze or a display that falls ever further behind, without timing
    // this machine; the goals (16.7 ms frames, 100 ms behind) are measured in docs/benchmarks.md.
    assert!(*thinking_lag.last().unwrap() < 5_000.0, "thinking fell behind: {thinking_lag:?}");
    assert!(*answer_lag.last().unwrap() < 5_000.0, "answer fell behind: {answer_lag:?}");
    assert!(percentile(&frames, 0.95) < 100.0, "frames: {:?}", &frames[frames.len() - 20..]);
    assert!(reopen < 3_000.0, "reopening took {reopen} ms");
}

/// Opens the short conversation, then times the long one's reopening until its last step is on the
/// page; the median of three.
fn reopen_ms(s: &window::driver::Session, answer: &str) -> f64 {
    let needle = format!("Step {}", answer.matches("## Step ").count());
    let open = |title: &str, needle: &str| -> f64 {
        s.script(
            r#"const [title, needle] = arguments;
               const t = [...document.querySelectorAll('.sidebar .list .item .title')]
                 .find(e => e.textContent.includes(title));
               window.__opened = null;
               const t0 = performance.now();
               const check = (now) => {
                 const a = document.querySelector('.answer > .markdown');
                 if (a && a.textContent.includes(needle)) { window.__opened = now - t0; return; }
                 requestAnimationFrame(check);
               };
               t.click(); requestAnimationFrame(check); return true;"#,
            json!([title, needle]),
        );
        let mut ms = Value::Null;
        wait_until(
            Duration::from_secs(60),
            || {
                ms = s.script("return window.__opened", json!([]));
                !ms.is_null()
            },
            needle,
        );
        ms.as_f64().unwrap()
    };
    wait_until(
        Duration::from_secs(30),
        || s.find_all(".sidebar .list .item .title").len() == 2,
        "both conversations listed",
    );
    let mut times: Vec<f64> = (0..3)
        .map(|_| {
            open("A short one", "2 + 2 = 4.");
            open("Which n", &needle)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    eprintln!("reopened three times: {times:.0?} ms");
    times[1]
}
