//! A minimal W3C WebDriver client: sessions, finding elements, clicking, typing, reading text and
//! running scripts. Enough for Ponder's end-to-end tests, nothing more.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

/// One WebDriver session (one app process).
pub struct Session {
    base: String,
    id: String,
    closed: bool,
}

/// An element handle.
#[derive(Clone, Debug)]
pub struct Element {
    pub id: String,
}

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

fn request(method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
    let req = ureq::request(method, url).timeout(Duration::from_secs(120));
    let resp = match body {
        Some(b) => req.set("Content-Type", "application/json").send_string(&b.to_string()),
        None => req.call(),
    };
    let text = match resp {
        Ok(r) => r.into_string().map_err(|e| e.to_string())?,
        Err(ureq::Error::Status(code, r)) => {
            return Err(format!("HTTP {code}: {}", r.into_string().unwrap_or_default()))
        }
        Err(e) => return Err(e.to_string()),
    };
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
    Ok(v["value"].clone())
}

impl Session {
    /// Starts `application` through the driver at `base`.
    pub fn start(base: &str, application: &Path) -> Session {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "tauri:options": {"application": application.display().to_string()}
        }}});
        let v = request("POST", &format!("{base}/session"), Some(caps))
            .unwrap_or_else(|e| panic!("starting a session: {e}"));
        let id = v["sessionId"].as_str().expect("session id").to_string();
        Session { base: base.to_string(), id, closed: false }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.id)
    }

    fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        request("POST", &self.url(path), Some(body))
    }

    /// The first element matching a CSS selector, if any.
    pub fn try_find(&self, css: &str) -> Option<Element> {
        let v = self.post("/element", json!({"using": "css selector", "value": css})).ok()?;
        v[ELEMENT_KEY].as_str().map(|id| Element { id: id.to_string() })
    }

    /// All elements matching a CSS selector.
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let v = self
            .post("/elements", json!({"using": "css selector", "value": css}))
            .unwrap_or(Value::Null);
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e[ELEMENT_KEY].as_str().map(|id| Element { id: id.to_string() }))
            .collect()
    }

    /// Waits up to `limit` for an element matching `css`.
    pub fn wait_for(&self, css: &str, limit: Duration) -> Element {
        let mut found = None;
        super::wait_until(
            limit,
            || {
                found = self.try_find(css);
                found.is_some()
            },
            css,
        );
        found.expect("found")
    }

    /// Clicks an element.
    pub fn click(&self, e: &Element) {
        self.post(&format!("/element/{}/click", e.id), json!({}))
            .unwrap_or_else(|err| panic!("click: {err}"));
    }

    /// Types `text` into an element (`\u{E007}` is Enter).
    pub fn type_into(&self, e: &Element, text: &str) {
        self.post(&format!("/element/{}/value", e.id), json!({"text": text}))
            .unwrap_or_else(|err| panic!("typing: {err}"));
    }

    /// An element's visible text.
    pub fn text(&self, e: &Element) -> String {
        request("GET", &self.url(&format!("/element/{}/text", e.id)), None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its result.
    pub fn script(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": args}))
            .unwrap_or_else(|err| panic!("script failed: {err}\n{script}"))
    }

    /// Ends the session (the app quits).
    pub fn quit(&mut self) {
        if !self.closed {
            self.closed = true;
            let _ = request("DELETE", &format!("{}/session/{}", self.base, self.id), None);
        }
    }
}
