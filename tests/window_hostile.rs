//! Hostile model output in a real window: saved answers whose markdown runs scripts, nests thousands of
//! levels deep, or is built to make parsers quadratic. Nothing runs, every answer opens in bounded time
//! with all its text on screen, and the window keeps answering. Screenshot: `hostile.png` (`docs/screenshots/` with `UPDATE_SCREENSHOTS=1`).

// Shared with window_e2e.rs; this suite does not type into the window.
#[allow(dead_code)]
mod window;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;
use window::{wait_until, Window};

/// One window at a time: two cores cannot run two apps and a model each without timing out.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const LONG: Duration = Duration::from_secs(90);

fn shots() -> PathBuf {
    window::screenshot_dir()
}

#[test]
fn pathological_answers_open_quickly_with_all_their_text_and_the_window_stays_responsive() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let stars = "*a".repeat(30_000);
    let list: String = (0..1200).map(|i| format!("{}- x\n", "  ".repeat(i))).collect();
    let quote = format!("{} deep", ">".repeat(3000));
    let ordinary = window::ordinary_markdown(20_000);
    let line = "word ".repeat(200_000);
    // (question, answer, a piece of text that must be on screen)
    let cases: Vec<(&str, &str, String)> = vec![
        ("Sixty kilobytes of stars", &stars, "*a".repeat(200)),
        ("A list nested twelve hundred deep", &list, "- x".into()),
        ("A quote nested three thousand deep", &quote, format!("{} deep", ">".repeat(50))),
        ("An ordinary long answer", &ordinary, "Step 80".into()),
        ("One line of a megabyte", &line, "word word word".into()),
    ];
    let seeded: Vec<(&str, &str, &str)> =
        cases.iter().map(|(q, a, _)| (*q, "thinking", *a)).collect();
    window::seed(dir.path(), "open", &seeded);
    let w = Window::open(dir.path());
    let s = &w.session;
    s.wait_for(".sidebar .list .item .title", LONG);
    let mut report = Vec::new();
    for (question, answer, shown) in &cases {
        // By textContent: WebDriver's element text is only what is visible, and the list may scroll.
        let index = || {
            s.script(
                "return [...document.querySelectorAll('.sidebar .list .item .title')]
                   .findIndex(t => t.textContent.includes(arguments[0]))",
                json!([question]),
            )
            .as_i64()
            .unwrap_or(-1)
        };
        wait_until(LONG, || index() >= 0, &format!("{question} in the sidebar"));
        let item = s.find_all(".sidebar .list .item .title").swap_remove(index() as usize);
        s.script(
            "arguments[0].scrollIntoView()",
            json!([{"element-6066-11e4-a52e-4f735466cecf": item.id}]),
        );
        let started = Instant::now();
        s.click(&item);
        let has = |needle: &str| {
            s.script(
                "const a = document.querySelector('.answer > .markdown'); \
                 return !!a && a.textContent.includes(arguments[0]);",
                json!([needle]),
            ) == json!(true)
        };
        wait_until(LONG, || has(shown), &format!("{question}: the answer's text"));
        let opened = started.elapsed();
        // Nothing of the text is hidden: every character of a plain-text fallback is in the page.
        let length = s.script(
            "return document.querySelector('.answer > .markdown').textContent.length",
            json!([]),
        );
        let length = length.as_u64().unwrap() as usize;
        let plain = s
            .script("return !!document.querySelector('.answer > .markdown .md-plain')", json!([]))
            == json!(true);
        if plain {
            assert!(
                length >= answer.len(),
                "{question}: {length} of {} characters shown",
                answer.len()
            );
        }
        // The window answers at once afterwards (a frozen page would not run this script).
        let ping = Instant::now();
        s.script("return 1", json!([]));
        let ping = ping.elapsed();
        report.push(format!(
            "{question}: opened in {:.2} s, {} , then answered a script in {} ms",
            opened.as_secs_f64(),
            if plain { "shown as plain text" } else { "formatted" },
            ping.as_millis()
        ));
        assert!(opened < Duration::from_secs(10), "{question} took {opened:?} to open");
        assert!(ping < Duration::from_secs(2), "{question}: the window answered after {ping:?}");
    }
    for line in &report {
        eprintln!("{line}");
    }
}

#[test]
fn hostile_markdown_in_an_answer_executes_nothing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let hostile = "Here:\n\n<script>window.__pwned = 1</script>\n\n<img src=x onerror=\"window.__pwned = 2\">\n\n\
                   [click](javascript:window.__pwned=3) <iframe src=\"https://example.com\"></iframe>\n\n\
                   <div onclick=\"window.__pwned=4\">raw html</div> <a href=\"data:text/html,<script>x</script>\">d</a>";
    window::seed(dir.path(), "open", &[("Show me something nasty", hostile, hostile)]);
    let w = Window::open(dir.path());
    let s = &w.session;
    let title = s.wait_for(".sidebar .list .item .title", LONG);
    s.click(&title);
    s.wait_for(".answer", LONG);
    wait_until(
        LONG,
        || !s.find_all(".answer img, .answer a, .answer > .markdown").is_empty(),
        "the answer to render",
    );
    // Click everything that could run something.
    for e in s.find_all(".answer img, .answer a, .answer div") {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.click(&e)));
    }
    std::thread::sleep(Duration::from_millis(500));
    let report = s.script(
        r#"const a = document.querySelectorAll('.answer');
           const all = [...a].flatMap(x => [...x.querySelectorAll('*')]);
           return {
             pwned: window.__pwned || 0,
             scripts: all.filter(e => e.tagName === 'SCRIPT' || e.tagName === 'IFRAME').length,
             handlers: all.filter(e => [...e.attributes].some(at => at.name.startsWith('on'))).length,
             badLinks: all.filter(e => /^\s*(javascript|data):/i.test(e.getAttribute('href') || '')).length,
             text: [...a].map(x => x.textContent).join(' '),
             location: location.href,
           };"#,
        json!([]),
    );
    assert_eq!(report["pwned"], 0, "{report}");
    assert_eq!(report["scripts"], 0, "{report}");
    assert_eq!(report["handlers"], 0, "{report}");
    assert_eq!(report["badLinks"], 0, "{report}");
    assert!(report["text"].as_str().unwrap().contains("raw html"), "{report}");
    assert!(report["location"].as_str().unwrap().contains("localhost"), "navigated away: {report}");
    w.screenshot(&shots().join("hostile.png"));
}
