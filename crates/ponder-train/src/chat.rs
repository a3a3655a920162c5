//! The Qwen3 chat format: the Jinja template we ship and the identical Rust rendering the trainer uses.
//!
//! Why both: mistral.rs renders prompts from the Jinja template at inference time, while the trainer needs
//! to know exactly which tokens are prompt (no loss) and which are the assistant's (loss). A test renders
//! both and requires byte-identical text.

use crate::tasks::Problem;

/// Qwen3-style template: history answers lose their thinking, `enable_thinking=false` pre-fills an empty
/// think block, exactly as Qwen3's own template does.
pub const CHAT_TEMPLATE: &str = concat!(
    "{%- for message in messages %}",
    "{%- if message['role'] == 'assistant' %}",
    "{%- set content = message['content'] %}",
    "{%- if '</think>' in content %}",
    "{%- set content = content.split('</think>')[-1].lstrip('\\n') %}",
    "{%- endif %}",
    "{{- '<|im_start|>assistant\\n' + content + '<|im_end|>\\n' }}",
    "{%- else %}",
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}",
    "{%- endif %}",
    "{%- endfor %}",
    "{%- if add_generation_prompt %}",
    "{{- '<|im_start|>assistant\\n' }}",
    "{%- if enable_thinking is defined and enable_thinking is false %}",
    "{{- '<think>\\n\\n</think>\\n\\n' }}",
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
        env.add_template("chat", CHAT_TEMPLATE).unwrap();
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
}
