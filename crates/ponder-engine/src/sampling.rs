//! Maps a request's sampling settings onto mistral.rs's, over the model's own defaults.

use mistralrs::{DrySamplingParams, SamplingParams};

use crate::request::{GenerationRequest, Sampling};

/// Request settings over the model's defaults; never mistral.rs's own deterministic default.
pub(crate) fn sampling_params(req: &GenerationRequest, defaults: &Sampling) -> SamplingParams {
    let (s, d) = (&req.sampling, defaults);
    let mut p = SamplingParams::neutral();
    let temperature = s.temperature.or(d.temperature);
    if temperature == Some(0.0) {
        p.top_k = Some(1);
    } else {
        p.temperature = temperature;
        p.top_k = s.top_k.or(d.top_k);
        p.top_p = s.top_p.or(d.top_p);
        p.min_p = s.min_p.or(d.min_p);
    }
    p.presence_penalty = s.presence_penalty.or(d.presence_penalty);
    p.repetition_penalty = s.repetition_penalty.or(d.repetition_penalty);
    p.frequency_penalty = s.frequency_penalty.or(d.frequency_penalty);
    p.dry_params = s
        .dry_multiplier
        .or(d.dry_multiplier)
        .filter(|m| *m > 0.0)
        .and_then(|m| DrySamplingParams::new_with_defaults(m, None, None, None).ok());
    p.max_len = Some(req.max_tokens);
    p.n_choices = req.candidates.max(1);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qwen_defaults() -> Sampling {
        Sampling {
            temperature: Some(0.6),
            top_k: Some(20),
            top_p: Some(0.95),
            min_p: Some(0.0),
            ..Sampling::default()
        }
    }

    #[test]
    fn model_defaults_fill_what_the_request_leaves_open() {
        let req = GenerationRequest {
            sampling: Sampling { top_p: Some(0.8), ..Sampling::default() },
            ..GenerationRequest::ask("x")
        };
        let p = sampling_params(&req, &qwen_defaults());
        assert_eq!(p.temperature, Some(0.6));
        assert_eq!(p.top_k, Some(20));
        assert_eq!(p.top_p, Some(0.8));
        assert_eq!(p.max_len, Some(GenerationRequest::DEFAULT_MAX_TOKENS));
    }

    #[test]
    fn zero_temperature_is_greedy_and_nothing_else() {
        let req = GenerationRequest { sampling: Sampling::greedy(), ..GenerationRequest::ask("x") };
        let p = sampling_params(&req, &qwen_defaults());
        assert_eq!((p.top_k, p.temperature, p.top_p), (Some(1), None, None));
    }

    #[test]
    fn the_repetition_guards_reach_mistralrs() {
        let guarded = Sampling {
            frequency_penalty: Some(0.3),
            dry_multiplier: Some(0.8),
            ..Sampling::default()
        };
        let req = GenerationRequest { sampling: guarded, ..GenerationRequest::ask("x") };
        let p = sampling_params(&req, &qwen_defaults());
        assert_eq!(p.frequency_penalty, Some(0.3));
        assert_eq!(p.dry_params.as_ref().map(|d| d.multiplier), Some(0.8));
        let off = Sampling { dry_multiplier: Some(0.0), ..Sampling::default() };
        let req = GenerationRequest { sampling: off, ..GenerationRequest::ask("x") };
        assert!(sampling_params(&req, &qwen_defaults()).dry_params.is_none(), "0 is off");
    }

    #[test]
    fn without_defaults_sampling_stays_neutral_not_deterministic() {
        let p = sampling_params(&GenerationRequest::ask("x"), &Sampling::default());
        assert_eq!(
            p.top_k, None,
            "mistral.rs's RequestBuilder default is top-k 1; we must not inherit it"
        );
    }
}
