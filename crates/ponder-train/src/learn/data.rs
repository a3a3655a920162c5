//! The examples learning reads: conversational rows in TRL's formats — what `ponder export` writes and
//! TRL loads — so Ponder's trainer and TRL learn from the same files.
//!
//! - SFT `{"messages": [...]}` (the last assistant message is the completion),
//! - DPO `{"prompt": [...], "chosen": [msg], "rejected": [msg]}`,
//! - KTO `{"prompt": [...], "completion": [msg], "label": bool}`,
//! - GRPO `{"prompt": [...], "answer": "…"}`: a question with the reference its chains are graded on.

use std::io::BufRead;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::TrainError;

/// One chat message; thinking is either inline (`<think>…</think>` in front of the content, the export's
/// default) or in `reasoning_content`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Msg {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
    /// The thinking, when kept apart from the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
}

impl Msg {
    /// A question.
    pub fn user(text: &str) -> Self {
        Self { role: "user".into(), content: text.into(), reasoning_content: None }
    }

    /// An answer without thinking.
    pub fn assistant(text: &str) -> Self {
        Self { role: "assistant".into(), content: text.into(), reasoning_content: None }
    }

    /// An answer with its thinking inline, as Qwen3's template reads it.
    pub fn assistant_inline(thinking: &str, answer: &str) -> Self {
        Self::assistant(&format!("<think>\n{}\n</think>\n\n{answer}", thinking.trim_matches('\n')))
    }

    /// The thinking, wherever it is kept.
    pub fn thinking(&self) -> &str {
        if let Some(r) = &self.reasoning_content {
            return r;
        }
        match (self.content.find("<think>"), self.content.find("</think>")) {
            (Some(a), Some(b)) if a < b => &self.content[a + "<think>".len()..b],
            _ => "",
        }
    }

    /// The answer after any thinking.
    pub fn answer(&self) -> &str {
        match self.content.rfind("</think>") {
            Some(i) if self.reasoning_content.is_none() => {
                self.content[i + "</think>".len()..].trim_start()
            }
            _ => &self.content,
        }
    }
}

/// A good answer to imitate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SftExample {
    /// The context.
    pub prompt: Vec<Msg>,
    /// The answer.
    pub completion: Msg,
}

/// A preference between two answers to the same context.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairExample {
    /// The context.
    pub prompt: Vec<Msg>,
    /// The better answer.
    pub chosen: Msg,
    /// The worse one.
    pub rejected: Msg,
}

/// One answer with a thumb.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThumbExample {
    /// The context.
    pub prompt: Vec<Msg>,
    /// The answer.
    pub completion: Msg,
    /// Thumbs up.
    pub label: bool,
}

/// A question with a verifiable reference answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReferenceExample {
    /// The context.
    pub prompt: Vec<Msg>,
    /// The reference answer (its final number is what a chain must reach, for arithmetic).
    pub answer: String,
}

#[derive(Deserialize)]
struct SftRow {
    messages: Vec<Msg>,
}

#[derive(Deserialize)]
struct DpoRow {
    prompt: Vec<Msg>,
    chosen: Vec<Msg>,
    rejected: Vec<Msg>,
}

#[derive(Deserialize)]
struct KtoRow {
    prompt: Vec<Msg>,
    completion: Vec<Msg>,
    label: bool,
}

fn read_rows<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, TrainError> {
    let file = std::fs::File::open(path).map_err(TrainError::io(path))?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(TrainError::io(path))?;
        if line.trim().is_empty() {
            continue;
        }
        let row = serde_json::from_str(&line).map_err(|e| TrainError::Corrupt {
            path: path.to_path_buf(),
            message: format!("line {}: {e}", n + 1),
        })?;
        out.push(row);
    }
    Ok(out)
}

fn single(messages: Vec<Msg>, path: &Path, what: &str) -> Result<Msg, TrainError> {
    let mut it = messages.into_iter();
    match (it.next(), it.next()) {
        (Some(m), None) if m.role == "assistant" => Ok(m),
        _ => Err(TrainError::Corrupt {
            path: path.to_path_buf(),
            message: format!("{what} must be one assistant message"),
        }),
    }
}

/// SFT examples from `{"messages"}` rows.
pub fn read_sft(path: &Path) -> Result<Vec<SftExample>, TrainError> {
    read_rows::<SftRow>(path)?
        .into_iter()
        .map(|mut r| {
            let completion =
                r.messages.pop().filter(|m| m.role == "assistant").ok_or_else(|| {
                    TrainError::Corrupt {
                        path: path.to_path_buf(),
                        message: "a row does not end with an answer".into(),
                    }
                })?;
            Ok(SftExample { prompt: r.messages, completion })
        })
        .collect()
}

/// DPO pairs from `{"prompt", "chosen", "rejected"}` rows.
pub fn read_pairs(path: &Path) -> Result<Vec<PairExample>, TrainError> {
    read_rows::<DpoRow>(path)?
        .into_iter()
        .map(|r| {
            Ok(PairExample {
                prompt: r.prompt,
                chosen: single(r.chosen, path, "chosen")?,
                rejected: single(r.rejected, path, "rejected")?,
            })
        })
        .collect()
}

/// KTO examples from `{"prompt", "completion", "label"}` rows.
pub fn read_thumbs(path: &Path) -> Result<Vec<ThumbExample>, TrainError> {
    read_rows::<KtoRow>(path)?
        .into_iter()
        .map(|r| {
            Ok(ThumbExample {
                prompt: r.prompt,
                completion: single(r.completion, path, "completion")?,
                label: r.label,
            })
        })
        .collect()
}

/// GRPO questions from `{"prompt", "answer"}` rows.
pub fn read_references(path: &Path) -> Result<Vec<ReferenceExample>, TrainError> {
    read_rows(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_exports_formats_and_names_the_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let dpo = dir.path().join("dpo.jsonl");
        let row = r#"{"prompt":[{"role":"user","content":"1+1?"}],"chosen":[{"role":"assistant","content":"<think>\n1+1\n</think>\n\n2"}],"rejected":[{"role":"assistant","content":"3"}]}"#;
        std::fs::write(&dpo, format!("{row}\n\n{{\"prompt\": 1}}\n")).unwrap();
        let err = read_pairs(&dpo).unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
        std::fs::write(&dpo, format!("{row}\n")).unwrap();
        let pairs = read_pairs(&dpo).unwrap();
        assert_eq!(pairs[0].chosen.thinking(), "\n1+1\n");
        assert_eq!(pairs[0].chosen.answer(), "2");
        assert_eq!(pairs[0].rejected.answer(), "3");

        let sft = dir.path().join("sft.jsonl");
        std::fs::write(&sft, r#"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a","reasoning_content":"t"}]}"#).unwrap();
        let ex = read_sft(&sft).unwrap();
        assert_eq!((ex[0].prompt.len(), ex[0].completion.thinking()), (1, "t"));
    }
}
