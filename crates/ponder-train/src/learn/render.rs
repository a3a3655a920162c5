//! Renders training examples with the model's own chat template (the Jinja in its
//! `tokenizer_config.json` or `chat_template.jinja`), as transformers and mistral.rs render prompts, and
//! tokenizes them with a mask over the completion — thinking included, exactly as the model writes it.

use std::path::Path;

use minijinja::{context, Environment};
use tokenizers::Tokenizer;

use super::data::Msg;
use crate::data::Encoded;
use crate::TrainError;

/// A model's chat template and tokenizer.
pub struct ChatRenderer {
    env: Environment<'static>,
    tokenizer: Tokenizer,
}

/// The template text of a model folder: `chat_template.jinja`, else `tokenizer_config.json`'s
/// `chat_template` (a string, or the entry named `default` of a list).
pub fn template_source(dir: &Path) -> Result<String, TrainError> {
    let jinja = dir.join("chat_template.jinja");
    if jinja.is_file() {
        return std::fs::read_to_string(&jinja).map_err(TrainError::io(&jinja));
    }
    let path = dir.join("tokenizer_config.json");
    let text = std::fs::read_to_string(&path).map_err(TrainError::io(&path))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| TrainError::Corrupt { path: path.clone(), message: e.to_string() })?;
    let template = match &value["chat_template"] {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(all) => all
            .iter()
            .find(|t| t["name"] == "default")
            .and_then(|t| t["template"].as_str().map(str::to_string)),
        _ => None,
    };
    template.ok_or_else(|| TrainError::Corrupt { path, message: "no chat_template".into() })
}

impl ChatRenderer {
    /// The renderer for the model folder `dir`.
    pub fn from_folder(dir: &Path) -> Result<Self, TrainError> {
        let tokenizer =
            Tokenizer::from_file(dir.join("tokenizer.json")).map_err(TrainError::tokenizer)?;
        Self::new(&template_source(dir)?, tokenizer)
    }

    /// A renderer for `template` and `tokenizer`.
    pub fn new(template: &str, tokenizer: Tokenizer) -> Result<Self, TrainError> {
        let mut env = Environment::new();
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function(
            "raise_exception",
            |message: String| -> Result<String, minijinja::Error> {
                Err(minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, message))
            },
        );
        // HF's `generation` markers (for assistant-only loss) mean nothing outside transformers.
        let template = template.replace("{% generation %}", "").replace("{% endgeneration %}", "");
        env.add_template_owned("chat", template)
            .map_err(|e| TrainError::Config(format!("the chat template does not parse: {e}")))?;
        Ok(Self { env, tokenizer })
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The template rendered over `messages`.
    pub fn render(
        &self,
        messages: &[Msg],
        add_generation_prompt: bool,
        enable_thinking: bool,
    ) -> Result<String, TrainError> {
        let tmpl = self.env.get_template("chat").expect("added in new");
        tmpl.render(context! {
            messages => messages,
            add_generation_prompt => add_generation_prompt,
            enable_thinking => enable_thinking,
        })
        .map_err(|e| TrainError::Config(format!("the chat template failed: {e}")))
    }

    /// The prompt as the model sees it when asked to answer (thinking on unless the completion shows
    /// it was off: an empty think block).
    pub fn prompt_text(&self, prompt: &[Msg], thinking: bool) -> Result<String, TrainError> {
        self.render(prompt, true, thinking)
    }

    /// Prompt and completion tokens, the completion's marked trained. The completion is what the
    /// template adds to the prompt's generation prefix for the answer — its thinking block, text and
    /// end-of-turn token — so nothing of the model's own format is dropped or invented.
    pub fn encode(&self, prompt: &[Msg], completion: &Msg) -> Result<Encoded, TrainError> {
        let thinking = !completion.thinking().trim().is_empty();
        let mut full = prompt.to_vec();
        full.push(completion.clone());
        let whole = self.render(&full, false, thinking)?;
        // A thinking-off answer is asked with the empty block pre-filled; try that prefix first.
        let mut head = self.prompt_text(prompt, thinking)?;
        if !whole.starts_with(&head) {
            head = self.prompt_text(prompt, !thinking)?;
        }
        if !whole.starts_with(&head) {
            return Err(TrainError::Config(
                "the chat template renders a conversation that does not start with its own prompt"
                    .into(),
            ));
        }
        let tail = &whole[head.len()..];
        let ids = |text: &str| -> Result<Vec<u32>, TrainError> {
            Ok(self
                .tokenizer
                .encode(text, false)
                .map_err(TrainError::tokenizer)?
                .get_ids()
                .to_vec())
        };
        let (p, c) = (ids(&head)?, ids(tail.trim_end_matches('\n'))?);
        let mut all = p.clone();
        all.extend(&c);
        let trained = (0..all.len()).map(|i| i >= p.len()).collect();
        Ok(Encoded { ids: all, trained })
    }

    /// The prompt's tokens for sampling.
    pub fn prompt_ids(&self, prompt: &[Msg], thinking: bool) -> Result<Vec<u32>, TrainError> {
        let text = self.prompt_text(prompt, thinking)?;
        Ok(self
            .tokenizer
            .encode(text.as_str(), false)
            .map_err(TrainError::tokenizer)?
            .get_ids()
            .to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled() -> ChatRenderer {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/ponder-tiny");
        ChatRenderer::from_folder(&dir).unwrap()
    }

    #[test]
    fn the_completion_is_the_thinking_answer_and_end_of_turn() {
        let r = bundled();
        let prompt = [Msg::user("What is 2 + 3?")];
        let answer = Msg::assistant_inline("2 + 3: 5.", "2 + 3 = 5.");
        let e = r.encode(&prompt, &answer).unwrap();
        let start = e.trained.iter().position(|t| *t).unwrap();
        let tail = r.tokenizer().decode(&e.ids[start..], false).unwrap();
        assert_eq!(tail, "<think>\n2 + 3: 5.\n</think>\n\n2 + 3 = 5.<|im_end|>");
        let head = r.tokenizer().decode(&e.ids[..start], false).unwrap();
        assert!(head.ends_with("<|im_start|>assistant\n"), "{head:?}");
    }

    #[test]
    fn a_thinking_off_answer_is_trained_after_the_prefilled_empty_block() {
        let r = bundled();
        let e = r.encode(&[Msg::user("What is 2 + 3?")], &Msg::assistant("5")).unwrap();
        let start = e.trained.iter().position(|t| *t).unwrap();
        let head = r.tokenizer().decode(&e.ids[..start], false).unwrap();
        assert!(head.ends_with("<think>\n\n</think>\n\n"), "{head:?}");
        assert_eq!(r.tokenizer().decode(&e.ids[start..], false).unwrap(), "5<|im_end|>");
    }

    #[test]
    fn a_broken_template_is_a_clear_error() {
        let tok = bundled().tokenizer().clone();
        let err = ChatRenderer::new("{% for m in messages %}", tok).err().unwrap();
        assert!(err.to_string().contains("does not parse"), "{err}");
    }
}
