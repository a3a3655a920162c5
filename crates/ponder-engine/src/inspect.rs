//! What a model's files say before mistral.rs builds it: its identity, sampling defaults, thinking
//! tags and chat template, read from a folder or a GGUF header after checking them.

use crate::budget::ThinkTags;
use crate::engine::ModelInfo;
use crate::request::Sampling;
use crate::source::{chat_template, check_model_dir, generation_defaults, read_gguf, think_tags};
use crate::{EngineError, ModelSource};

/// What the files say about a model, after checking them: identity, sampling defaults, thinking tags
/// and chat template.
pub(crate) fn inspect(
    source: &ModelSource,
    device: String,
    quantization: Option<String>,
) -> Result<(ModelInfo, Sampling, Option<ThinkTags>, String), EngineError> {
    match source {
        ModelSource::LocalDir(dir) => {
            let info = ModelInfo {
                id: dir.display().to_string(),
                name: crate::catalog::model_name(dir),
                architecture: check_model_dir(dir)?,
                device,
                quantization,
            };
            Ok((info, generation_defaults(dir)?, think_tags(dir)?, chat_template(dir)?))
        }
        ModelSource::Gguf(file) => {
            let header = read_gguf(file)?;
            // GGUF carries no generation_config.json; one placed beside the file wins.
            let beside = file.parent().filter(|d| d.join("generation_config.json").exists());
            let defaults = match beside {
                Some(dir) => generation_defaults(dir)?,
                None => Sampling::qwen_recommended(),
            };
            let info = ModelInfo {
                id: file.display().to_string(),
                name: crate::catalog::model_name(file),
                architecture: header.architecture,
                device,
                quantization: Some(format!("GGUF {}", header.weights_dtype)),
            };
            Ok((info, defaults, header.tags, header.chat_template))
        }
        ModelSource::Server(_) => unreachable!("a served model is connected to, not inspected"),
    }
}
