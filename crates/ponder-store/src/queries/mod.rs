//! The store's SQL, one file per table: conversations, messages (the tree), ratings.

mod conversations;
mod messages;
mod ratings;

pub(crate) use messages::activate;
