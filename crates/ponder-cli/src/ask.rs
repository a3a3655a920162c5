//! `ponder ask`: stream a reply to the terminal — thinking dimmed, then the answer — or as JSON lines.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use ponder_chat::{AnswerOptions, SamplingRequest};
use ponder_engine::{
    CandidateEvent, ChatMessage, Event, FinishReason, GenerationRequest, Quantization,
};

/// Options of `ponder ask`.
#[derive(clap::Args)]
pub struct AskArgs {
    // Fields are read by `fix.rs` too.
    /// The question (not with --continue-from, which continues a saved one).
    #[arg(required_unless_present = "continue_from")]
    pub(crate) question: Option<String>,
    /// Model folder, GGUF file or Hugging Face id (defaults to the bundled ponder-tiny).
    #[arg(long, conflicts_with = "server")]
    pub(crate) model: Option<String>,
    /// An OpenAI-compatible server to ask instead (vLLM, SGLang, llama.cpp's server, Ollama):
    /// `http://host:8080`, with `#model` to pick one of its models; a key from `PONDER_API_KEY`, else
    /// the one `ponder server-key set` kept in the OS keychain.
    #[arg(long)]
    pub(crate) server: Option<String>,
    /// The longest silence to wait for in a server's reply, in seconds (default 300; a CPU server
    /// reading a long prompt says nothing until its first token).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) reply_timeout: Option<u64>,
    /// Answer directly, without thinking first.
    #[arg(long)]
    pub(crate) no_think: bool,
    /// Do not print the thinking.
    #[arg(long)]
    pub(crate) hide_thinking: bool,
    /// Most tokens to think for before the model is made to answer.
    #[arg(long, value_name = "N")]
    pub(crate) budget: Option<usize>,
    /// Sampling temperature (0 = greedy); defaults to the model's recommendation.
    #[arg(long)]
    pub(crate) temperature: Option<f64>,
    /// Keep only the k most likely tokens.
    #[arg(long)]
    pub(crate) top_k: Option<usize>,
    /// Nucleus sampling mass.
    #[arg(long)]
    pub(crate) top_p: Option<f64>,
    /// Drop tokens below this fraction of the most likely one's probability.
    #[arg(long)]
    pub(crate) min_p: Option<f64>,
    /// Penalise tokens that already appeared (additive).
    #[arg(long)]
    pub(crate) presence_penalty: Option<f32>,
    /// Penalise repeated tokens (multiplicative, 1 = off).
    #[arg(long)]
    pub(crate) repetition_penalty: Option<f32>,
    /// Penalise tokens by how often they already appeared (additive, 0 = off).
    #[arg(long)]
    pub(crate) frequency_penalty: Option<f32>,
    /// DRY: penalise continuing a sequence seen before, more the longer it is (0.8 is usual).
    #[arg(long, value_name = "MULTIPLIER")]
    pub(crate) dry: Option<f32>,
    /// Never repeat an n-gram of this many tokens within the reply (a guard against loops).
    #[arg(long, value_name = "N")]
    pub(crate) no_repeat_ngram: Option<usize>,
    /// Think longer: at least this many thinking tokens; where the model would stop sooner, the
    /// nudge is written and it goes on.
    #[arg(long, value_name = "T")]
    pub(crate) min_thinking: Option<usize>,
    /// What --min-thinking writes where the model would stop thinking (default "\n\nWait").
    #[arg(long, requires = "min_thinking")]
    pub(crate) nudge: Option<String>,
    /// Vote: sample N chains of thought (2–16) and answer with the answer most of them reach,
    /// saying how many agree.
    #[arg(long, value_name = "N", conflicts_with = "candidates")]
    pub(crate) vote: Option<usize>,
    /// Check the answer once given: the grader for a question with a known answer, else the model in
    /// a second turn; the verdict is printed (and saved with --save).
    #[arg(long, conflicts_with = "continue_from")]
    pub(crate) check: bool,
    /// Let a chain of thought that repeats itself word for word run on (by default it is stopped).
    #[arg(long)]
    pub(crate) keep_loops: bool,
    /// Most tokens to generate, thinking included (default 32,768 as Qwen recommends, as in the app,
    /// within what the model's context leaves after the prompt).
    #[arg(long)]
    pub(crate) max_tokens: Option<usize>,
    /// Independent replies to generate (1–4); the first streams, the others print when done.
    #[arg(short = 'n', long, default_value_t = 1)]
    pub(crate) candidates: usize,
    /// Print one JSON object per event instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Run on the GPU (needs a build with `--features cuda` or `--features metal`).
    #[arg(long)]
    pub(crate) gpu: bool,
    /// Quantize a folder's weights while loading: `auto` (Q8_0 on the CPU for a checkpoint of real
    /// size, Q4K when Q8_0 would not fit, else as stored), `none`, `q4k` or `q8_0`.
    #[arg(long, value_parser = parse_precision, default_value = "auto")]
    pub(crate) quantize: Precision,
    /// Save the conversation in the history (see `ponder history`), as the app does.
    #[arg(long)]
    pub(crate) save: bool,
    /// Folder of the history database (default: `PONDER_DATA_DIR`, then the platform's data folder).
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<std::path::PathBuf>,
    /// Teach by fixing a step: continue this saved answer's question from the thinking in --fix, into
    /// a new branch beside the answer (ids as `ponder history` shows them).
    #[arg(long, value_name = "ANSWER_ID", requires = "fix", conflicts_with = "question")]
    pub(crate) continue_from: Option<i64>,
    /// The person's start of the thinking for --continue-from: the step that should come first.
    #[arg(long, requires = "continue_from")]
    pub(crate) fix: Option<String>,
    /// Grade the continued answer against this (default: the correction in the answer's rating).
    #[arg(long, requires = "continue_from")]
    pub(crate) expect: Option<String>,
}

/// `--quantize`: left to Ponder, or as the person says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Precision {
    /// `ponder_engine::load_defaults::automatic_quantization`.
    Auto,
    /// This quantization, or none.
    Exactly(Option<Quantization>),
}

fn parse_precision(s: &str) -> Result<Precision, String> {
    match s.to_ascii_lowercase().as_str() {
        "auto" => Ok(Precision::Auto),
        "none" => Ok(Precision::Exactly(None)),
        other => parse_quantization(other).map(|q| Precision::Exactly(Some(q))),
    }
}

pub(crate) fn parse_quantization(s: &str) -> Result<Quantization, String> {
    match s.to_ascii_lowercase().as_str() {
        "q4k" | "q4_k" => Ok(Quantization::Q4K),
        "q8_0" | "q8" => Ok(Quantization::Q8_0),
        other => Err(format!("`{other}`: expected q4k or q8_0")),
    }
}

impl AskArgs {
    /// The request, decided by the same turn policy as the app's.
    pub(crate) fn request(&self) -> anyhow::Result<GenerationRequest> {
        let options = AnswerOptions {
            thinking: !self.no_think,
            thinking_budget: self.budget,
            candidates: self.candidates,
            sampling: Some(SamplingRequest {
                temperature: self.temperature,
                top_k: self.top_k,
                top_p: self.top_p,
                min_p: self.min_p,
                presence_penalty: self.presence_penalty,
                repetition_penalty: self.repetition_penalty,
                frequency_penalty: self.frequency_penalty,
                dry_multiplier: self.dry,
                no_repeat_ngram_size: self.no_repeat_ngram,
            }),
            max_tokens: self.max_tokens,
            min_thinking: self.min_thinking,
            nudge: self.nudge.clone(),
            vote: self.vote,
            stop_loops: Some(!self.keep_loops),
        };
        let mut request = options.request()?;
        request.messages = vec![ChatMessage::user(self.question.clone().unwrap_or_default())];
        Ok(request)
    }
}

/// Writes events as text: candidate 0 live, the others buffered and printed after it.
pub(crate) struct TextOut {
    pub(crate) hide_thinking: bool,
    pub(crate) dim: &'static str,
    pub(crate) reset: &'static str,
    pub(crate) in_thinking: bool,
    pub(crate) later: Vec<(String, String)>,
}

impl TextOut {
    /// Dims the thinking on a terminal; keeps piped output free of escape codes.
    pub(crate) fn new(hide_thinking: bool, terminal: bool) -> Self {
        let (dim, reset) = if terminal { ("\x1b[2m", "\x1b[0m") } else { ("", "") };
        Self { hide_thinking, dim, reset, in_thinking: false, later: vec![] }
    }

    /// Writes `e` as one JSON line, or as text.
    pub(crate) fn write_event(
        &mut self,
        json: bool,
        out: &mut impl Write,
        e: &CandidateEvent,
    ) -> std::io::Result<()> {
        if json {
            let line = serde_json::to_string(e).map_err(std::io::Error::other)?;
            writeln!(out, "{line}")
        } else {
            self.write(out, e)
        }
    }

    pub(crate) fn write(
        &mut self,
        out: &mut impl Write,
        e: &CandidateEvent,
    ) -> std::io::Result<()> {
        if e.candidate > 0 {
            let slot = e.candidate - 1;
            if self.later.len() <= slot {
                self.later.resize(slot + 1, Default::default());
            }
            match &e.event {
                Event::Thinking(t) => self.later[slot].0.push_str(t),
                Event::Answer(t) => self.later[slot].1.push_str(t),
                _ => {}
            }
            return Ok(());
        }
        match &e.event {
            Event::Thinking(t) if !self.hide_thinking => {
                if !self.in_thinking {
                    write!(out, "{}", self.dim)?;
                    self.in_thinking = true;
                }
                write!(out, "{t}")?;
            }
            Event::Answer(t) => {
                if self.in_thinking {
                    write!(out, "{}\n\n", self.reset)?;
                    self.in_thinking = false;
                }
                write!(out, "{t}")?;
            }
            Event::Finished(reason) => {
                writeln!(out, "{}", self.reset)?;
                match reason {
                    FinishReason::Cancelled => writeln!(out, "[stopped]")?,
                    FinishReason::Looped(r) => writeln!(out, "[stopped: {}]", r.describe())?,
                    _ => {}
                }
            }
            _ => {}
        }
        out.flush()
    }

    pub(crate) fn finish(&self, out: &mut impl Write) -> std::io::Result<()> {
        for (i, (thinking, answer)) in self.later.iter().enumerate() {
            writeln!(out, "\n--- candidate {} ---", i + 2)?;
            if !self.hide_thinking && !thinking.is_empty() {
                write!(out, "{}{thinking}{}\n\n", self.dim, self.reset)?;
            }
            writeln!(out, "{answer}")?;
        }
        Ok(())
    }
}

/// Loads the model and streams the reply; Ctrl-C stops generation and keeps what was produced.
pub async fn run(args: AskArgs) -> anyhow::Result<()> {
    if let Some(answer) = args.continue_from {
        return crate::fix::run(&args, answer).await;
    }
    // Options no turn can run with are refused before a model is loaded for them.
    let request = args.request()?;
    let model = args.server.as_deref().or(args.model.as_deref());
    let engine =
        crate::model_arg::load_waiting(model, args.gpu, args.quantize, args.reply_timeout).await?;
    // Install the Ctrl-C handler (on first poll) before any output, so an early Ctrl-C is a stop too.
    let mut interrupt = Box::pin(tokio::signal::ctrl_c());
    let _ = futures::poll!(&mut interrupt);
    // Started (and so checked) before the question is saved: one the engine refuses leaves nothing.
    let mut generation = engine.generate(&request).await?;
    let store = match args.save {
        true => {
            let path = ponder_store::database_path(args.data_dir.as_deref())
                .context("no data folder: set PONDER_DATA_DIR or pass --data-dir")?;
            let store = ponder_store::Store::open(&path).await?;
            let (_, question) =
                store.start_conversation(args.question.as_deref().unwrap_or_default()).await?;
            Some((store, question.id))
        }
        false => None,
    };
    let stop = generation.stop_handle();
    tokio::spawn(async move {
        if interrupt.await.is_ok() {
            stop.stop();
        }
    });
    let mut out = std::io::stdout().lock();
    let mut text = TextOut::new(args.hide_thinking, out.is_terminal());
    let mut error = None;
    let mut write_error = None;
    let mut answers: Vec<String> = vec![String::new(); request.candidates];
    let mut thinkings: Vec<String> = vec![String::new(); request.candidates];
    let mut handle = |e: &CandidateEvent| {
        if let (Event::Answer(t), Some(a)) = (&e.event, answers.get_mut(e.candidate)) {
            a.push_str(t);
        }
        if let (Event::Thinking(t), Some(a)) = (&e.event, thinkings.get_mut(e.candidate)) {
            a.push_str(t);
        }
        if let Event::Finished(FinishReason::Error(m)) = &e.event {
            error.get_or_insert_with(|| m.clone());
        }
        if let Err(w) = text.write_event(args.json, &mut out, e) {
            write_error.get_or_insert(w);
        }
    };
    let saved = match &store {
        Some((store, question)) => {
            let settings = ponder_chat::generation_settings(engine.info(), &request);
            let saved = ponder_chat::record(
                store,
                *question,
                settings,
                generation,
                request.candidates,
                |e, _| handle(e),
            )
            .await?;
            match args.vote {
                Some(_) => ponder_chat::vote::record_vote(store, &saved).await?.1,
                None => saved,
            }
        }
        None => {
            while let Some(e) = generation.next().await {
                handle(&e);
            }
            Vec::new()
        }
    };
    if let Some(w) = write_error {
        return Err(w.into());
    }
    // The answer a check looks at: the majority's chain of a vote, else the first.
    let mut shown = 0;
    if args.vote.is_some() {
        let vote = crate::vote_out::print(&mut out, args.json, &answers)?;
        if let ponder_chat::vote::Verdict::Majority { chain } = vote.verdict {
            shown = chain as usize;
        }
    } else if !args.json {
        text.finish(&mut out)?;
    }
    if args.check && error.is_none() {
        let saved = store.as_ref().zip(saved.get(shown)).map(|((s, _), m)| (s, m.id));
        let asked = (&request, thinkings[shown].as_str(), answers[shown].as_str());
        crate::check_out::run(&mut out, args.json, &engine, saved, asked).await?;
    }
    if let Some((store, _)) = store {
        store.close().await;
    }
    match error {
        Some(e) => anyhow::bail!("generation failed: {e}"),
        None => Ok(()),
    }
}
