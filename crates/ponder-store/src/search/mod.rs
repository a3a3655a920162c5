//! Full-text search over titles, questions, answers and (optionally) thinking.
//!
//! Every word must appear. Words of three or more characters are looked up in the FTS5 trigram index.
//! A two-character word (苹果: most Chinese words) becomes the trigrams that start with it, read from
//! the index's vocabulary. Only a one-character word scans the messages. Results come newest first,
//! which is what a person looking for "that chat" wants and lets SQLite stop at the limit instead of
//! ranking every match.

mod snippet;

use serde::{Deserialize, Serialize};
use sqlx::Row;
use ts_rs::TS;

use crate::error::Result;
use crate::{ConversationId, MessageId, Role, Store};
use snippet::{parts_from_marked, snippet_around, snippet_or_start, OPEN};

/// What to look for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct SearchQuery {
    /// Words separated by spaces; every word must appear (as a substring, ignoring case).
    pub text: String,
    /// Also search the models' thinking.
    pub include_thinking: bool,
    /// Most hits to return.
    pub limit: u32,
}

/// Where a hit was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SearchField {
    /// The conversation's title.
    Title,
    /// A question.
    Question,
    /// An answer.
    Answer,
    /// An answer's thinking.
    Thinking,
}

/// A piece of a snippet; highlighted pieces are the matched words. Plain text, never markup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SnippetPart {
    /// The text.
    pub text: String,
    /// Whether it matched.
    pub highlight: bool,
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct SearchHit {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// Its title.
    pub conversation_title: String,
    /// The message, unless the title matched.
    pub message_id: Option<MessageId>,
    /// Where the words were found.
    pub field: SearchField,
    /// The text around the match.
    pub snippet: Vec<SnippetPart>,
}

/// More trigrams than this for one two-character word and a scan is cheaper than the index.
const MAX_EXPANSION: usize = 400;

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn with_column_filter(expression: String, include_thinking: bool) -> String {
    if include_thinking {
        expression
    } else {
        format!("content : ({expression})")
    }
}

fn message_field(role: Role, content_hit: bool) -> SearchField {
    match (role, content_hit) {
        (Role::User | Role::System, _) => SearchField::Question,
        (Role::Assistant, true) => SearchField::Answer,
        (Role::Assistant, false) => SearchField::Thinking,
    }
}

/// How the messages part of a query runs.
enum Plan {
    /// An FTS5 expression; `exact_snippets` when SQLite's own snippets highlight the right text.
    Index { expression: String, exact_snippets: bool },
    /// A word the index cannot serve (one character, or too many trigrams): read every message.
    Scan,
    /// A two-character word that starts no trigram: nothing can match.
    Nothing,
}

impl Store {
    /// Conversations whose title, questions or answers contain every word of the query: titles
    /// first, then messages newest first.
    pub async fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>> {
        let terms: Vec<String> = query.text.split_whitespace().map(str::to_lowercase).collect();
        if terms.is_empty() || query.limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::from(query.limit);
        let mut hits = if terms.iter().all(|t| t.chars().count() >= 3) {
            self.search_titles(&terms, limit).await?
        } else {
            // Titles are short and few: a scan is fast.
            self.scan_titles(&terms, limit).await?
        };
        let rest = limit - hits.len() as i64;
        if rest > 0 {
            let messages = match self.plan(&terms).await? {
                Plan::Index { expression, exact_snippets } => {
                    let expression = with_column_filter(expression, query.include_thinking);
                    self.search_messages(&expression, &terms, exact_snippets, rest).await?
                }
                Plan::Scan => self.scan_messages(&terms, query.include_thinking, rest).await?,
                Plan::Nothing => Vec::new(),
            };
            hits.extend(messages);
        }
        Ok(hits)
    }

    async fn plan(&self, terms: &[String]) -> Result<Plan> {
        let mut parts = Vec::new();
        let mut exact_snippets = true;
        for term in terms {
            let mut chars = term.chars();
            match (chars.next(), chars.next(), chars.next()) {
                (Some(_), Some(_), Some(_)) => parts.push(quoted(term)),
                (Some(_), Some(last), None) => {
                    // Every trigram in [term, term with its last character bumped).
                    let Some(bumped) = char::from_u32(u32::from(last) + 1) else {
                        return Ok(Plan::Scan);
                    };
                    let upper = format!("{}{bumped}", &term[..term.len() - last.len_utf8()]);
                    let trigrams: Vec<String> = sqlx::query_scalar(
                        "SELECT term FROM message_search_terms WHERE term >= ?1 AND term < ?2 LIMIT ?3",
                    )
                    .bind(term)
                    .bind(&upper)
                    .bind(MAX_EXPANSION as i64 + 1)
                    .fetch_all(&self.reader)
                    .await
                    .map_err(self.sql_err())?;
                    if trigrams.is_empty() {
                        return Ok(Plan::Nothing);
                    }
                    if trigrams.len() > MAX_EXPANSION {
                        return Ok(Plan::Scan);
                    }
                    let any: Vec<String> = trigrams.iter().map(|t| quoted(t)).collect();
                    parts.push(format!("({})", any.join(" OR ")));
                    exact_snippets = false;
                }
                _ => return Ok(Plan::Scan),
            }
        }
        Ok(Plan::Index { expression: parts.join(" AND "), exact_snippets })
    }

    async fn search_titles(&self, terms: &[String], limit: i64) -> Result<Vec<SearchHit>> {
        let expression = terms.iter().map(|t| quoted(t)).collect::<Vec<_>>().join(" AND ");
        let rows = sqlx::query(
            "SELECT c.id, c.title, snippet(title_search, 0, char(2), char(3), '…', 40) AS s
             FROM title_search JOIN conversations c ON c.id = title_search.rowid
             WHERE title_search MATCH ?1 AND c.deleted_at IS NULL
             ORDER BY c.updated_at DESC LIMIT ?2",
        )
        .bind(expression)
        .bind(limit)
        .fetch_all(&self.reader)
        .await
        .map_err(self.sql_err())?;
        Ok(rows
            .iter()
            .map(|r| SearchHit {
                conversation_id: r.get("id"),
                conversation_title: r.get("title"),
                message_id: None,
                field: SearchField::Title,
                snippet: parts_from_marked(r.get("s")),
            })
            .collect())
    }

    async fn search_messages(
        &self,
        expression: &str,
        terms: &[String],
        exact_snippets: bool,
        limit: i64,
    ) -> Result<Vec<SearchHit>> {
        let rows = sqlx::query(
            "SELECT m.id, m.conversation_id, m.role, c.title, m.content, m.thinking,
                    snippet(message_search, 0, char(2), char(3), '…', 40) AS s_content,
                    snippet(message_search, 1, char(2), char(3), '…', 40) AS s_thinking
             FROM message_search
             JOIN messages m ON m.id = message_search.rowid
             JOIN conversations c ON c.id = m.conversation_id
             WHERE message_search MATCH ?1 AND c.deleted_at IS NULL
             ORDER BY message_search.rowid DESC LIMIT ?2",
        )
        .bind(expression)
        .bind(limit)
        .fetch_all(&self.reader)
        .await
        .map_err(self.sql_err())?;
        Ok(rows
            .iter()
            .map(|r| {
                let s_content: &str = r.get("s_content");
                let (content_hit, snippet) = if exact_snippets {
                    let content_hit = s_content.contains(OPEN);
                    let marked = if content_hit { s_content } else { r.get("s_thinking") };
                    (content_hit, parts_from_marked(marked))
                } else {
                    // The index matched whole trigrams; highlight just the words typed.
                    let content: &str = r.get("content");
                    match snippet_around(content, terms) {
                        Some(s) => (true, s),
                        None => {
                            let thinking: Option<&str> = r.get("thinking");
                            (false, snippet_or_start(thinking.unwrap_or(content), terms))
                        }
                    }
                };
                SearchHit {
                    conversation_id: r.get("conversation_id"),
                    conversation_title: r.get("title"),
                    message_id: Some(r.get("id")),
                    field: message_field(r.get("role"), content_hit),
                    snippet,
                }
            })
            .collect())
    }

    async fn scan_titles(&self, terms: &[String], limit: i64) -> Result<Vec<SearchHit>> {
        let all = (0..terms.len()).map(|i| format!("instr(lower(c.title), ?{}) > 0", i + 2));
        let sql = format!(
            "SELECT c.id, c.title FROM conversations c WHERE c.deleted_at IS NULL AND {}
             ORDER BY c.updated_at DESC LIMIT ?1",
            all.collect::<Vec<_>>().join(" AND ")
        );
        let mut q = sqlx::query(&sql).bind(limit);
        for t in terms {
            q = q.bind(t);
        }
        let rows = q.fetch_all(&self.reader).await.map_err(self.sql_err())?;
        Ok(rows
            .iter()
            .map(|r| {
                let title: String = r.get("title");
                SearchHit {
                    conversation_id: r.get("id"),
                    snippet: snippet_or_start(&title, terms),
                    conversation_title: title,
                    message_id: None,
                    field: SearchField::Title,
                }
            })
            .collect())
    }

    async fn scan_messages(
        &self,
        terms: &[String],
        include_thinking: bool,
        limit: i64,
    ) -> Result<Vec<SearchHit>> {
        let each = (0..terms.len()).map(|i| {
            let p = i + 2;
            if include_thinking {
                format!("(instr(lower(m.content), ?{p}) > 0 OR instr(lower(m.thinking), ?{p}) > 0)")
            } else {
                format!("instr(lower(m.content), ?{p}) > 0")
            }
        });
        let sql = format!(
            "SELECT m.id, m.conversation_id, m.role, m.content, m.thinking, c.title
             FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE c.deleted_at IS NULL AND m.status <> 'generating' AND {}
             ORDER BY m.id DESC LIMIT ?1",
            each.collect::<Vec<_>>().join(" AND ")
        );
        let mut q = sqlx::query(&sql).bind(limit);
        for t in terms {
            q = q.bind(t);
        }
        let rows = q.fetch_all(&self.reader).await.map_err(self.sql_err())?;
        Ok(rows
            .iter()
            .map(|r| {
                let content: &str = r.get("content");
                let thinking: Option<&str> = r.get("thinking");
                let (content_hit, snippet) = match snippet_around(content, terms) {
                    Some(s) => (true, s),
                    None => (false, snippet_or_start(thinking.unwrap_or(""), terms)),
                };
                SearchHit {
                    conversation_id: r.get("conversation_id"),
                    conversation_title: r.get("title"),
                    message_id: Some(r.get("id")),
                    field: message_field(r.get("role"), content_hit),
                    snippet,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_syntax_is_quoted_away() {
        assert_eq!(quoted("a\"b"), "\"a\"\"b\"");
        assert_eq!(with_column_filter(quoted("abc"), false), "content : (\"abc\")");
        assert_eq!(with_column_filter(quoted("abc"), true), "\"abc\"");
    }
}
