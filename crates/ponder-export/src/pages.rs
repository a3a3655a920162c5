//! Reading the store for an export: page by page (whole conversations, so siblings stay together
//! and memory stays flat), each page with the rating histories the archive needs, read in one query.

use std::collections::BTreeMap;

use ponder_store::{MessageId, RatedAnswer, RatingEvent, Store, VotedQuestion};

use crate::{ExportError, ExportOptions, Format};

/// One page of rated answers, with the rating histories the archive needs (read in one query).
pub(crate) struct Page {
    pub(crate) answers: Vec<RatedAnswer>,
    pub(crate) histories: BTreeMap<MessageId, Vec<RatingEvent>>,
    /// Votes (on pages of their own, after the rated answers).
    pub(crate) votes: Vec<VotedQuestion>,
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
        let next = page.next;
        let histories = match archive {
            true => {
                let ids: Vec<MessageId> = page.answers.iter().map(|a| a.answer.id).collect();
                store.rating_histories(&ids).await?
            }
            false => BTreeMap::new(),
        };
        read += page.answers.len();
        let page = Page { answers: page.answers, histories, votes: Vec::new() };
        if pages.send(page).await.is_err() {
            return Ok(());
        }
        on_progress(read);
        match page_next(&mut after, next) {
            true => continue,
            false => break,
        }
    }
    if options.formats.contains(&Format::Votes) {
        read_votes(store, options, pages).await?;
    }
    Ok(())
}

/// The votes of the conversations and models the filter allows (its rating conditions do not apply:
/// a vote's chains need not be rated).
async fn read_votes(
    store: &Store,
    options: &ExportOptions,
    pages: tokio::sync::mpsc::Sender<Page>,
) -> Result<(), ExportError> {
    let filter = &options.filter;
    let mut after = None;
    loop {
        let page = store.votes(after, 50).await?;
        let votes = page
            .votes
            .into_iter()
            .filter(|v| {
                let model = v.chains.first().and_then(|m| m.generation.as_ref());
                let model = model.map(|g| g.settings.model.id.as_str());
                (filter.conversations.is_empty()
                    || filter.conversations.contains(&v.conversation.id))
                    && (filter.models.is_empty()
                        || model.is_some_and(|m| filter.models.iter().any(|x| x == m)))
            })
            .collect();
        let page_of_votes = Page { answers: Vec::new(), histories: BTreeMap::new(), votes };
        if pages.send(page_of_votes).await.is_err() || !page_next(&mut after, page.next) {
            return Ok(());
        }
    }
}

/// Moves `after` to the next page; false when there is none.
fn page_next(
    after: &mut Option<ponder_store::ConversationId>,
    next: Option<ponder_store::ConversationId>,
) -> bool {
    *after = next;
    next.is_some()
}
