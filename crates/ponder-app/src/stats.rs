//! Rating counts per day and per model, for the export view's chart.

use std::collections::BTreeMap;
use ts_rs::TS;

use ponder_store::{RatingFilter, Vote};
use serde::Serialize;

use crate::{App, Result};

/// Up- and down-votes of one model on one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct RatingDay {
    /// UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// Model id.
    pub model: String,
    /// Thumbs up.
    pub up: u64,
    /// Thumbs down.
    pub down: u64,
}

/// All rating counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
pub struct RatingStats {
    /// By day, then model.
    pub days: Vec<RatingDay>,
    /// Thumbs up in all.
    pub up: u64,
    /// Thumbs down in all.
    pub down: u64,
    /// Every model rated.
    pub models: Vec<String>,
}

/// `YYYY-MM-DD` of a Unix-millisecond time (UTC; days from the civil calendar algorithm).
fn day_of(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

impl App {
    /// Counts of current ratings (the answer's thumbs, by the day of their last change).
    pub async fn rating_stats(&self) -> Result<RatingStats> {
        let store = self.store().await?;
        let filter = RatingFilter::default();
        let mut counts: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
        let mut after = None;
        loop {
            let page = store.rated_answers(&filter, after, 200).await?;
            for a in &page.answers {
                let Some(rating) = &a.answer.rating else { continue };
                let model = a
                    .answer
                    .generation
                    .as_ref()
                    .map_or_else(|| "unknown".to_string(), |g| g.settings.model.id.clone());
                let entry = counts.entry((day_of(rating.updated_at), model)).or_default();
                match rating.input.answer {
                    Some(Vote::Up) => entry.0 += 1,
                    Some(Vote::Down) => entry.1 += 1,
                    None => {}
                }
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        let mut stats = RatingStats::default();
        for ((day, model), (up, down)) in counts {
            stats.up += up;
            stats.down += down;
            if !stats.models.contains(&model) {
                stats.models.push(model.clone());
            }
            stats.days.push(RatingDay { day, model, up, down });
        }
        stats.models.sort();
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::day_of;

    #[test]
    fn days_follow_the_calendar() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(951_782_400_000), "2000-02-29");
        assert_eq!(day_of(1_796_083_200_000 - 1), "2026-11-30");
        assert_eq!(day_of(-1), "1969-12-31");
    }
}
