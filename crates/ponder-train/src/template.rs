//! The Qwen3 chat format: the Jinja template we ship and the identical Rust rendering the trainer uses.
//!
//! Why both: mistral.rs renders prompts from the Jinja template at inference time, while the trainer needs
//! to know exactly which tokens are prompt (no loss) and which are the assistant's (loss). A test renders
//! both and requires byte-identical text.

use crate::tasks::Problem;

/// Qwen3's template semantics, without tools: an assistant turn's reasoning (its `reasoning_content`,
/// or the `<think>…</think>` block inline in its content) is kept for turns after the last question and
/// dropped from earlier ones; the final turn always carries a think block (empty if there was no
/// reasoning), and `enable_thinking=false` pre-fills an empty one in the generation prompt. Assistant
/// turns are marked with `{% generation %}` so TRL's `assistant_only_loss` can find them (mistral.rs
/// removes the markers before rendering). Reasoning given as `reasoning_content` is never looked for
/// in the content, so an answer that mentions `</think>` is not cut in two.
pub const CHAT_TEMPLATE: &str = concat!(
    "{%- set ns = namespace(last_query = -1) %}",
    "{%- for message in messages %}",
    "{%- if message['role'] == 'user' %}{%- set ns.last_query = loop.index0 %}{%- endif %}",
    "{%- endfor %}",
    "{%- for message in messages %}",
    "{%- if message['role'] == 'assistant' %}",
    "{%- set content = message['content'] %}",
    "{%- set reasoning = '' %}",
    "{%- if message['reasoning_content'] is string %}",
    "{%- set reasoning = message['reasoning_content'] %}",
    "{%- elif '</think>' in content %}",
    "{%- set reasoning = content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n') %}",
    "{%- set content = content.split('</think>')[-1].lstrip('\n') %}",
    "{%- endif %}",
    "{{- '<|im_start|>assistant\n' }}",
    "{% generation %}",
    "{%- if loop.index0 > ns.last_query and (loop.last or reasoning) %}",
    "{{- '<think>\n' + reasoning.strip('\n') + '\n</think>\n\n' + content.lstrip('\n') }}",
    "{%- else %}",
    "{{- content }}",
    "{%- endif %}",
    "{{- '<|im_end|>' }}",
    "{% endgeneration %}",
    "{{- '\n' }}",
    "{%- else %}",
    "{{- '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}",
    "{%- endif %}",
    "{%- endfor %}",
    "{%- if add_generation_prompt %}",
    "{{- '<|im_start|>assistant\n' }}",
    "{%- if enable_thinking is defined and enable_thinking is false %}",
    "{{- '<think>\n\n</think>\n\n' }}",
    "{%- endif %}",
    "{%- endif %}",
);

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Instructions before the conversation.
    System,
    /// The person.
    User,
    /// The model (its final answer only; history never carries thinking).
    Assistant,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// Renders `messages` and the generation prompt exactly as [`CHAT_TEMPLATE`] does.
pub fn render_prompt(messages: &[(Role, &str)], enable_thinking: bool) -> String {
    let mut out = String::new();
    for (role, content) in messages {
        let content = match (role, content.rsplit_once("</think>")) {
            (Role::Assistant, Some((_, after))) => after.trim_start_matches('\n'),
            _ => content,
        };
        out.push_str(&format!("<|im_start|>{}\n{content}<|im_end|>\n", role.as_str()));
    }
    out.push_str("<|im_start|>assistant\n");
    if !enable_thinking {
        out.push_str("<think>\n\n</think>\n\n");
    }
    out
}

/// What the assistant writes after the generation prompt.
pub fn completion(problem: &Problem, thinking: bool) -> String {
    if thinking {
        format!("<think>\n{}\n</think>\n\n{}<|im_end|>", problem.thinking, problem.answer)
    } else {
        format!("{}<|im_end|>", problem.answer)
    }
}

/// One training example as text: the prompt (no loss) and the completion (loss).
#[derive(Clone, Debug)]
pub struct TextExample {
    /// Everything up to and including the generation prompt.
    pub prompt: String,
    /// The assistant's reply, ending in `<|im_end|>`.
    pub completion: String,
}

/// A training example for `problem`, optionally after an earlier exchange.
pub fn example(problem: &Problem, thinking: bool, history: Option<&Problem>) -> TextExample {
    let mut messages = Vec::new();
    if let Some(h) = history {
        messages.push((Role::User, h.question.as_str()));
        messages.push((Role::Assistant, h.answer.as_str()));
    }
    messages.push((Role::User, problem.question.as_str()));
    TextExample {
        prompt: render_prompt(&messages, thinking),
        completion: completion(problem, thinking),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::{context, Environment};

    fn jinja(messages: &[(Role, &str)], enable_thinking: Option<bool>) -> String {
        let mut env = Environment::new();
        // mistral.rs renders with the same Python-compatibility methods (`split`, `lstrip`).
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        // mistral.rs (and any renderer without HF's `generation` extension) drops the markers.
        let template =
            CHAT_TEMPLATE.replace("{% generation %}", "").replace("{% endgeneration %}", "");
        env.add_template_owned("chat", template).unwrap();
        let msgs: Vec<_> =
            messages.iter().map(|(r, c)| context! { role => r.as_str(), content => *c }).collect();
        let tmpl = env.get_template("chat").unwrap();
        match enable_thinking {
            Some(t) => tmpl.render(
                context! { messages => msgs, add_generation_prompt => true, enable_thinking => t },
            ),
            None => tmpl.render(context! { messages => msgs, add_generation_prompt => true }),
        }
        .unwrap()
    }

    #[test]
    fn rust_rendering_matches_the_jinja_template() {
        let convos: Vec<Vec<(Role, &str)>> = vec![
            vec![(Role::User, "What is 2 + 3?")],
            vec![
                (Role::User, "你好"),
                (Role::Assistant, "<think>\nhmm\n</think>\n\nHello!"),
                (Role::User, "12 × 4 = ?"),
            ],
            vec![(Role::System, "Be brief."), (Role::User, "Hi")],
        ];
        for c in &convos {
            assert_eq!(render_prompt(c, true), jinja(c, Some(true)));
            assert_eq!(render_prompt(c, true), jinja(c, None), "thinking is on by default");
            assert_eq!(render_prompt(c, false), jinja(c, Some(false)));
        }
        assert!(render_prompt(&convos[1], true).contains("<|im_start|>assistant\nHello!<|im_end|>"));
        assert!(render_prompt(&convos[0], false)
            .ends_with("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
    }

    /// Renders a whole training conversation (no generation prompt), messages given as JSON.
    fn jinja_training(messages: serde_json::Value) -> String {
        let mut env = Environment::new();
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        let template =
            CHAT_TEMPLATE.replace("{% generation %}", "").replace("{% endgeneration %}", "");
        env.add_template_owned("chat", template).unwrap();
        let messages = minijinja::Value::from_serialize(&messages);
        env.get_template("chat")
            .unwrap()
            .render(context! { messages => messages, add_generation_prompt => false })
            .unwrap()
    }

    #[test]
    fn reasoning_is_kept_after_the_last_question_and_dropped_before_it() {
        let inline = jinja_training(serde_json::json!([
            {"role": "user", "content": "2 + 3?"},
            {"role": "assistant", "content": "<think>\nold thought\n</think>\n\n5"},
            {"role": "user", "content": "4 + 4?"},
            {"role": "assistant", "content": "<think>\n4 + 4 = 8\n</think>\n\n8"},
        ]));
        assert!(!inline.contains("old thought"), "{inline}");
        assert!(inline.contains("<|im_start|>assistant\n5<|im_end|>"), "{inline}");
        assert!(
            inline
                .ends_with("<|im_start|>assistant\n<think>\n4 + 4 = 8\n</think>\n\n8<|im_end|>\n"),
            "{inline}"
        );
        // The same from `reasoning_content`, and an answer quoting `</think>` is left whole.
        let separate = jinja_training(serde_json::json!([
            {"role": "user", "content": "Which tag ends thinking?"},
            {"role": "assistant", "content": "It is </think>.", "reasoning_content": "recall tags"},
        ]));
        assert!(
            separate.ends_with("<think>\nrecall tags\n</think>\n\nIt is </think>.<|im_end|>\n"),
            "{separate}"
        );
        // No reasoning at all: the final turn still gets its (empty) think block, as in Qwen3.
        let none = jinja_training(serde_json::json!([
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello"},
        ]));
        assert!(
            none.ends_with("<|im_start|>assistant\n<think>\n\n</think>\n\nHello<|im_end|>\n"),
            "{none}"
        );
    }

    #[test]
    fn the_bundled_model_ships_this_template() {
        let path =
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/ponder-tiny/tokenizer_config.json");
        let tc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(tc["chat_template"].as_str().unwrap(), CHAT_TEMPLATE);
    }

    #[test]
    fn every_assistant_turn_is_marked_for_assistant_only_loss() {
        let opens = CHAT_TEMPLATE.matches("{% generation %}").count();
        assert_eq!(opens, 1);
        assert_eq!(CHAT_TEMPLATE.matches("{% endgeneration %}").count(), 1);
        let start = CHAT_TEMPLATE.find("{% generation %}").unwrap();
        let end = CHAT_TEMPLATE.find("{% endgeneration %}").unwrap();
        let marked = &CHAT_TEMPLATE[start..end];
        assert!(marked.contains("<|im_end|>") && !marked.contains("<|im_start|>"), "{marked}");
    }
}
