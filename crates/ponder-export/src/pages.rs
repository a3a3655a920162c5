//! Reading the store for an export: page by page (whole conversations, so siblings stay together
//! and memory stays flat), each page with the rating histories the archive needs, read in one query.

use std::collections::BTreeMap;

use ponder_store::{MessageId, RatedAnswer, RatingEvent, Store};

use crate::{ExportError, ExportOptions, Format};

/// One page of rated answers, with the rating histories the archive needs (read in one query).
pub(crate) struct Page {
    pub(crate) answers: Vec<RatedAnswer>,
    pub(crate) histories: BTreeMap<MessageId, Vec<RatingEvent>>,
}

/// Reads the store page by page (whole conversations) and hands each page to the writer. Returns
/// early, without error, when the writer has stopped: its error is the one to report.
pub(crate) async fn read_pages(
    store: &Store,
    options: &ExportOptions,
    pages: tokio::sync::mpsc::Sender<Page>,
    on_progress: &mut impl FnMut(usize),
) -> Result<(), ExportError> {
    let archive = options.formats.contains(&Format::Archive);
    let mut after = None;
    let mut read = 0;
    loop {
        let page = store.rated_answers(&options.filter, after, 50).await?;
        let histories = match archive {
            true => {
                let ids: Vec<MessageId> = page.answers.iter().map(|a| a.answer.id).collect();
                store.rating_histories(&ids).await?
            }
            false => BTreeMap::new(),
        };
        read += page.answers.len();
        if pages.send(Page { answers: page.answers, histories }).await.is_err() {
            return Ok(());
        }
        on_progress(read);
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(()),
        }
    }
}
