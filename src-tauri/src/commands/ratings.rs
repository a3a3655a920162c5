//! Thumbs, reasons, comments and better answers on answers; counts for the chart.

use ponder_app::RatingStats;
use ponder_store::{MessageId, Rating, RatingInput};

use super::AppState;
use crate::error::CmdResult;

/// Rates an answer (thumbs, reasons, comment, better answer).
#[tauri::command]
pub async fn rate(
    app: AppState<'_>,
    answer_id: MessageId,
    input: RatingInput,
) -> CmdResult<Rating> {
    Ok(app.store().await?.rate(answer_id, input).await?)
}

/// Takes a rating back.
#[tauri::command]
pub async fn clear_rating(app: AppState<'_>, answer_id: MessageId) -> CmdResult<()> {
    Ok(app.store().await?.clear_rating(answer_id).await?)
}

/// Up/down counts per day and model.
#[tauri::command]
pub async fn rating_stats(app: AppState<'_>) -> CmdResult<RatingStats> {
    Ok(app.rating_stats().await?)
}
