//! Trains ponder-tiny's byte-level BPE tokenizer with Qwen's pre-tokenizer and special tokens.
//!
//! Byte-level means every byte has a token, so any text (emoji, any script) round-trips. Qwen's split
//! pattern isolates each digit (`\p{N}`), so no merge ever joins digits: "347" is always `3`,`4`,`7`.

use std::collections::HashSet;

use tokenizers::decoders::byte_level::ByteLevel;
use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
use tokenizers::normalizers::unicode::NFC;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{
    AddedToken, DecoderWrapper, NormalizerWrapper, PostProcessorWrapper, PreTokenizerWrapper,
    SplitDelimiterBehavior, Tokenizer, TokenizerBuilder,
};

use crate::TrainError;

/// Qwen2/Qwen3's pre-tokenizer pattern (note the single `\p{N}`: one digit per piece).
pub const QWEN_SPLIT_PATTERN: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// Control tokens, never produced by encoding ordinary text.
pub const SPECIAL_TOKENS: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];
/// Thinking delimiters: added tokens that still decode as text (as in Qwen3), so the reasoning split sees them.
pub const THINK_TOKENS: [&str; 2] = ["<think>", "</think>"];

/// Trains a tokenizer on `texts` with `vocab_size` byte-level BPE entries, then appends the added tokens.
pub fn train(texts: &[String], vocab_size: usize) -> Result<Tokenizer, TrainError> {
    let split = Split::new(
        SplitPattern::Regex(QWEN_SPLIT_PATTERN.to_string()),
        SplitDelimiterBehavior::Isolated,
        false,
    )
    .map_err(TrainError::tokenizer)?;
    let pre = Sequence::new(vec![
        PreTokenizerWrapper::Split(split),
        PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, false, false)),
    ]);
    let mut builder = TokenizerBuilder::<
        BPE,
        NormalizerWrapper,
        PreTokenizerWrapper,
        PostProcessorWrapper,
        DecoderWrapper,
    >::new()
    .with_model(BPE::default())
    .with_normalizer(Some(NFC.into()))
    .with_pre_tokenizer(Some(PreTokenizerWrapper::Sequence(pre)))
    .with_decoder(Some(DecoderWrapper::ByteLevel(ByteLevel::new(false, false, false))))
    .build()
    .map_err(TrainError::tokenizer)?;
    let alphabet: HashSet<char> = ByteLevel::alphabet().into_iter().collect();
    let mut trainer = BpeTrainerBuilder::new()
        .vocab_size(vocab_size)
        .min_frequency(2)
        .show_progress(false)
        .initial_alphabet(alphabet)
        .build();
    builder.train(&mut trainer, texts.iter()).map_err(TrainError::tokenizer)?;
    let mut tokenizer = Tokenizer::from(builder);
    let specials: Vec<AddedToken> =
        SPECIAL_TOKENS.iter().map(|t| AddedToken::from(*t, true)).collect();
    tokenizer.add_special_tokens(&specials);
    let think: Vec<AddedToken> =
        THINK_TOKENS.iter().map(|t| AddedToken::from(*t, false).normalized(false)).collect();
    tokenizer.add_tokens(&think);
    Ok(tokenizer)
}

/// The id of an added token that must exist.
pub fn token_id(tokenizer: &Tokenizer, token: &str) -> Result<u32, TrainError> {
    tokenizer
        .token_to_id(token)
        .ok_or_else(|| TrainError::Tokenizer(format!("tokenizer has no {token} token")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Tokenizer {
        let texts: Vec<String> = (0..300)
            .map(|i| {
                format!(
                    "What is {i} + {}? 小明有 {i} 个苹果，一共有多少个？ carry 1. So far: {i}.",
                    i * 7
                )
            })
            .collect();
        train(&texts, 400).unwrap()
    }

    #[test]
    fn any_text_round_trips() {
        let t = small();
        for text in [
            "héllo wörld 🤔🧮",
            "Здравствуй, мир",
            "مرحبا",
            "\t\n  x",
            "<think>\n1 + 1\n</think>\n\n2",
        ] {
            let enc = t.encode(text, false).unwrap();
            assert_eq!(t.decode(enc.get_ids(), false).unwrap(), text);
        }
    }

    #[test]
    fn digits_are_single_tokens() {
        let t = small();
        let enc = t.encode("1234 + 5678 = 6912", false).unwrap();
        for tok in enc.get_tokens() {
            let digits = tok.chars().filter(char::is_ascii_digit).count();
            assert!(digits <= 1 && (digits == 0 || tok.len() == 1), "{tok:?}");
        }
    }

    #[test]
    fn special_tokens_are_single_ids() {
        let t = small();
        let enc = t.encode("<|im_start|>user\nhi<|im_end|>\n<think>\n</think>", false).unwrap();
        let ids = enc.get_ids();
        assert_eq!(ids[0], token_id(&t, "<|im_start|>").unwrap());
        assert!(ids.contains(&token_id(&t, "<think>").unwrap()));
        assert!(ids.contains(&token_id(&t, "</think>").unwrap()));
        assert_eq!(t.decode(ids, true).unwrap(), "user\nhi\n<think>\n</think>");
    }
}
