//! The store's SQL, one file per table: conversations, messages (the tree), ratings, and the rated
//! answers read for export.

mod conversations;
mod messages;
mod rated;
mod ratings;

pub use rated::{RatedAnswer, RatedPage, RatingFilter};

pub(crate) use messages::activate;
