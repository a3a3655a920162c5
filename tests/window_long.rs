//! The window at real length: a saved conversation whose answer is 20,000 characters of ordinary
//! markdown (headings, lists, tables, code, math) and whose thinking is 100,000 characters of
//! Qwen-style reasoning (lists and LaTeX), opened in the real app under Xvfb. Measured in the page, from
//! the click in the sidebar to the frame in which the answer's last line is on it: the first open, and
//! reopening after another conversation; the longest frame meanwhile; opening the 100,000-character
//! thinking; and frame times while scrolling through it all. Numbers in docs/benchmarks.md:
//! `cargo test --workspace --test window_long -- --nocapture`.

#[allow(dead_code)]
mod window;

use std::time::Duration;

use serde_json::{json, Value};
use window::{wait_until, Window};

const LONG: Duration = Duration::from_secs(120);

/// Clicks the conversation titled `title` and, frame by frame, waits for `needle` in `selector`'s
/// text; returns (milliseconds from the click to that frame, the longest frame meanwhile).
const OPEN_AND_TIME: &str = r#"
const [title, selector, needle, clickSelector] = arguments;
const target = clickSelector
  ? document.querySelector(clickSelector)
  : [...document.querySelectorAll('.sidebar .list .item .title')].find(t => t.textContent.includes(title));
window.__opened = null;
const t0 = performance.now();
let last = t0, worst = 0;
const check = (now) => {
  worst = Math.max(worst, now - last); last = now;
  const el = document.querySelector(selector);
  if (el && el.textContent.includes(needle)) {
    window.__opened = { ms: now - t0, worst };
    return;
  }
  if (now - t0 < 60000) requestAnimationFrame(check);
};
target.click();
requestAnimationFrame(check);
return true;
"#;

fn open_and_time(
    s: &window::driver::Session,
    title: &str,
    selector: &str,
    needle: &str,
    click: Option<&str>,
) -> (f64, f64) {
    s.script(OPEN_AND_TIME, json!([title, selector, needle, click]));
    let mut result = Value::Null;
    wait_until(
        LONG,
        || {
            result = s.script("return window.__opened", json!([]));
            !result.is_null()
        },
        &format!("{needle} in {selector}"),
    );
    (result["ms"].as_f64().unwrap(), result["worst"].as_f64().unwrap())
}

/// Scrolls `.chat .scroller` from top to bottom in 60 frames, then returns the sorted frame times.
const SCROLL_AND_TIME: &str = r#"
const el = document.querySelector('.chat .scroller');
el.scrollTop = 0;
window.__scrolled = null;
const frames = [];
let last = performance.now(), step = 0;
const tick = (now) => {
  frames.push(now - last); last = now;
  step += 1;
  el.scrollTop = (el.scrollHeight - el.clientHeight) * step / 60;
  if (step < 60) requestAnimationFrame(tick);
  else window.__scrolled = frames.sort((a, b) => a - b);
};
requestAnimationFrame(tick);
return el.scrollHeight;
"#;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn a_long_answer_and_its_long_thinking_open_within_a_few_frames() {
    let dir = tempfile::tempdir().unwrap();
    let answer = window::ordinary_markdown(20_000);
    let thinking = window::qwen_style_thinking(100_000);
    let last_step = answer.matches("## Step ").count();
    let last_thought = thinking.matches("**Case ").count();
    window::seed(
        dir.path(),
        "auto",
        &[("A long answer", &thinking, &answer), ("A short one", "Two and two.", "2 + 2 = 4.")],
    );
    let w = Window::open(dir.path());
    let s = &w.session;
    s.wait_for(".sidebar .list .item .title", LONG);
    wait_until(LONG, || s.find_all(".sidebar .list .item .title").len() == 2, "both conversations");

    let answer_md = ".answer > .markdown";
    let needle = format!("Step {last_step}");
    let (first, first_worst) = open_and_time(s, "A long answer", answer_md, &needle, None);
    let formatted = s.script(
        "const a = document.querySelector('.answer > .markdown'); \
         return [a.querySelectorAll('table').length, a.querySelectorAll('math').length, \
                 a.querySelectorAll('pre code').length, !!a.querySelector('.md-plain')]",
        json!([]),
    );
    assert_eq!(formatted[0].as_u64(), Some(last_step as u64), "every table formatted: {formatted}");
    assert!(formatted[1].as_u64().unwrap() >= last_step as u64, "math typeset: {formatted}");
    assert_eq!(formatted[3], json!(false), "nothing fell back to plain text: {formatted}");

    // Of that, what the page itself costs: the same HTML put back and laid out, no markdown rendered.
    let layout = s.script(
        "const a = document.querySelector('.answer > .markdown'); const html = a.innerHTML; \
         const t = performance.now(); a.innerHTML = ''; void a.offsetHeight; a.innerHTML = html; \
         void a.offsetHeight; return performance.now() - t",
        json!([]),
    );
    let layout = layout.as_f64().unwrap();

    let mut reopen = Vec::new();
    let mut reopen_worst: f64 = 0.0;
    for _ in 0..3 {
        open_and_time(s, "A short one", answer_md, "2 + 2 = 4.", None);
        let (ms, worst) = open_and_time(s, "A long answer", answer_md, &needle, None);
        reopen.push(ms);
        reopen_worst = reopen_worst.max(worst);
    }
    reopen.sort_by(f64::total_cmp);

    // The thinking, folded when saved, opened by a click: its last case on the page, formatted.
    let thought = format!("Case {last_thought}");
    let (pane, pane_worst) =
        open_and_time(s, "", ".answer .thinking", &thought, Some(".answer .thinking .head"));
    let pane_formatted = s.script(
        "const t = document.querySelector('.answer .thinking'); \
         return [t.querySelectorAll('li').length, t.querySelectorAll('math').length]",
        json!([]),
    );

    let height = s.script(SCROLL_AND_TIME, json!([]));
    let mut frames = Value::Null;
    wait_until(
        LONG,
        || {
            frames = s.script("return window.__scrolled", json!([]));
            !frames.is_null()
        },
        "scrolling",
    );
    let frames: Vec<f64> = frames.as_array().unwrap().iter().filter_map(Value::as_f64).collect();
    let over = frames.iter().filter(|&&f| f > 17.0).count();

    eprintln!(
        "answer {} chars, thinking {} chars\n\
         first open: {first:.0} ms (longest frame {first_worst:.0} ms; the HTML alone laid out: {layout:.0} ms)\n\
         reopen: {:.0} / {:.0} / {:.0} ms (longest frame {reopen_worst:.0} ms)\n\
         thinking opened: {pane:.0} ms (longest frame {pane_worst:.0} ms)\n\
         scrolling {height} px: p50 {:.1} ms, p95 {:.1} ms, worst {:.1} ms, {over} of {} frames over 17 ms",
        answer.len(),
        thinking.len(),
        reopen[0],
        reopen[1],
        reopen[2],
        percentile(&frames, 0.5),
        percentile(&frames, 0.95),
        frames.last().unwrap(),
        frames.len()
    );
    assert!(pane_formatted[0].as_u64().unwrap() > 0, "thinking lists formatted: {pane_formatted}");
    assert!(pane_formatted[1].as_u64().unwrap() > 0, "thinking math typeset: {pane_formatted}");
    // Loose bounds that catch a return of the multi-second freeze without timing this machine; the
    // goals (300 ms, 16.7 ms frames) are measured and written down in docs/benchmarks.md. The
    // thinking's formatting is spread over frames, so its total follows the machine's speed (1.8 s
    // on 12-03, 2.6-3.7 s on 12-07's machine, the same page either way); a freeze is one long frame.
    assert!(reopen[1] < 3_000.0, "reopening took {reopen:?} ms");
    assert!(pane_worst < 1_000.0, "a {pane_worst} ms frame while the thinking opened");
    assert!(pane < 10_000.0, "the thinking took {pane} ms to open");
}
