//! Ratings: the reward data. A thumbs up or down on the answer, optionally on the reasoning, reason
//! tags from a fixed list, a comment, and an answer the person wrote themselves.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Thumbs up or down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Vote {
    /// Good.
    Up,
    /// Bad.
    Down,
}

impl Vote {
    pub(crate) fn to_db(self) -> i64 {
        match self {
            Vote::Up => 1,
            Vote::Down => -1,
        }
    }

    pub(crate) fn from_db(v: Option<i64>) -> Option<Vote> {
        match v {
            Some(1) => Some(Vote::Up),
            Some(-1) => Some(Vote::Down),
            _ => None,
        }
    }
}

/// Why an answer was rated as it was (a fixed list, so tags can be counted and filtered on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RatingTag {
    /// The answer is right.
    Correct,
    /// The final answer is wrong.
    WrongAnswer,
    /// The reasoning has a mistake (even if the answer is right).
    FlawedReasoning,
    /// Thinking or answer is longer than it needs to be.
    TooLong,
    /// Does not help with what was asked.
    Unhelpful,
    /// Harmful or inappropriate.
    Unsafe,
}

impl RatingTag {
    /// Every tag, in display order.
    pub const ALL: [RatingTag; 6] = [
        RatingTag::Correct,
        RatingTag::WrongAnswer,
        RatingTag::FlawedReasoning,
        RatingTag::TooLong,
        RatingTag::Unhelpful,
        RatingTag::Unsafe,
    ];

    /// The name stored and exported, e.g. `wrong_answer`.
    pub fn name(self) -> &'static str {
        match self {
            RatingTag::Correct => "correct",
            RatingTag::WrongAnswer => "wrong_answer",
            RatingTag::FlawedReasoning => "flawed_reasoning",
            RatingTag::TooLong => "too_long",
            RatingTag::Unhelpful => "unhelpful",
            RatingTag::Unsafe => "unsafe",
        }
    }
}

/// What the person chose; at least the answer vote or a corrected answer must be given.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct RatingInput {
    /// Thumbs on the answer.
    pub answer: Option<Vote>,
    /// Thumbs on the reasoning, rated apart from the answer.
    pub reasoning: Option<Vote>,
    /// Reasons, from the fixed list.
    pub tags: Vec<RatingTag>,
    /// Free text.
    pub comment: Option<String>,
    /// The answer the person would have wanted (exported as the chosen answer).
    pub corrected_answer: Option<String>,
}

/// A rating as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Rating {
    /// What was chosen.
    #[serde(flatten)]
    pub input: RatingInput,
    /// Unix milliseconds of the first rating of this answer.
    pub created_at: i64,
    /// Unix milliseconds of the last change.
    pub updated_at: i64,
}

/// One change in a rating's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatingEvent {
    /// The rating after the change; `None` when it was cleared.
    pub rating: Option<RatingInput>,
    /// Unix milliseconds.
    pub recorded_at: i64,
}

/// Tags as stored: a JSON array of names, sorted and without repeats so equal ratings store equally.
pub(crate) fn tags_to_json(tags: &[RatingTag]) -> String {
    let mut tags = tags.to_vec();
    tags.sort();
    tags.dedup();
    serde_json::to_string(&tags).expect("tags serialize")
}

/// Tags read back; a name this version does not know is skipped rather than failing the whole read.
pub(crate) fn tags_from_json(json: Option<&str>) -> Vec<RatingTag> {
    let names: Vec<String> = json.and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default();
    names.iter().filter_map(|n| RatingTag::ALL.into_iter().find(|t| t.name() == n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_stored_sorted_and_once() {
        let json = tags_to_json(&[RatingTag::TooLong, RatingTag::WrongAnswer, RatingTag::TooLong]);
        assert_eq!(json, r#"["wrong_answer","too_long"]"#);
        assert_eq!(tags_from_json(Some(&json)), vec![RatingTag::WrongAnswer, RatingTag::TooLong]);
    }

    #[test]
    fn unknown_tags_are_skipped() {
        assert_eq!(
            tags_from_json(Some(r#"["correct","from_the_future"]"#)),
            vec![RatingTag::Correct]
        );
        assert!(tags_from_json(None).is_empty());
    }

    #[test]
    fn serde_names_match_stored_names() {
        for t in RatingTag::ALL {
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{}\"", t.name()));
        }
    }
}
