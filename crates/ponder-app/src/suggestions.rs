//! The first screen's suggestions, chosen for the model in use: the bundled model and its versions
//! get problems of the kinds it was trained on (each one it answers right, kept so by a test on the real
//! model), any other model general reasoning prompts. In the window's language.

use crate::{App, ModelStatus};

/// Problems ponder-tiny answers right, in the phrasings it was trained on (`tests/suggestions.rs` asks
/// each of the real model and grades the answer).
const BUNDLED_EN: [&str; 3] = ["What is 347 + 589?", "Compute 58 + 27.", "What's 23 + 45?"];
const BUNDLED_ZH: [&str; 3] = ["347 + 589 等于多少？", "计算 58 + 27。", "23 + 45 是多少？"];
/// What people try first with a reasoning model: counting, a riddle that needs care, a plan.
const GENERAL_EN: [&str; 3] = [
    "How many times does the letter r appear in \"strawberry\"?",
    "A bat and a ball cost $1.10 together; the bat costs $1.00 more than the ball. What does the ball cost?",
    "Plan a three-day trip to Kyoto for someone who dislikes crowds.",
];
const GENERAL_ZH: [&str; 3] = [
    "“strawberry” 这个单词里有几个字母 r？",
    "球拍和球一共 1.10 元，球拍比球贵 1.00 元。球多少钱？",
    "为不喜欢人多的人规划三天的京都行程。",
];

/// The suggestions for a model called `model` (`None`: none loaded) in `language` (`zh` or else English).
pub fn suggestions_for(model: Option<&str>, language: &str) -> Vec<String> {
    let zh = language.starts_with("zh");
    let list = match model {
        Some(name) if ponder_learn::bundled_lineage(name) => {
            if zh {
                BUNDLED_ZH
            } else {
                BUNDLED_EN
            }
        }
        _ if zh => GENERAL_ZH,
        _ => GENERAL_EN,
    };
    list.iter().map(|s| s.to_string()).collect()
}

impl App {
    /// The suggestions for the model in use, in `language`.
    pub fn suggestions(&self, language: &str) -> Vec<String> {
        let status = self.model_status();
        let name = match &status {
            ModelStatus::Ready { info, .. } => Some(info.name.as_str()),
            _ => None,
        };
        suggestions_for(name, language)
    }
}

#[cfg(test)]
mod tests {
    use super::suggestions_for;

    #[test]
    fn the_bundled_lineage_gets_its_own_problems_and_other_models_general_prompts() {
        for language in ["en", "zh"] {
            let tiny = suggestions_for(Some("ponder-tiny-learned-2"), language);
            assert!(
                tiny.iter().all(|s| ponder_chat::arithmetic_reference(s).is_some()),
                "{tiny:?}"
            );
        }
        let qwen = suggestions_for(Some("Qwen/Qwen3-0.6B"), "zh");
        assert!(qwen.iter().all(|s| ponder_chat::arithmetic_reference(s).is_none()), "{qwen:?}");
        assert_ne!(suggestions_for(None, "en"), suggestions_for(None, "zh"));
    }
}
