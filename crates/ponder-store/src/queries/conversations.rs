//! Conversations: create, list newest first, rename, delete with undo.

use sqlx::Row;

use crate::error::{Result, StoreError};
use crate::{Conversation, ConversationId, ConversationPage, Message, PageCursor, Store};

/// Longest title made from a question, in characters.
const TITLE_CHARS: usize = 60;

/// A title from the first question: its first non-empty line, shortened at a word where possible.
pub(crate) fn title_from_question(question: &str) -> String {
    let line =
        question.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("New conversation");
    if line.chars().count() <= TITLE_CHARS {
        return line.to_string();
    }
    let cut: String = line.chars().take(TITLE_CHARS).collect();
    // Prefer ending at a space, unless that would throw away most of it (Chinese has no spaces).
    let at_word = match cut.rfind(' ') {
        Some(i) if i > cut.len() / 2 => &cut[..i],
        _ => &cut,
    };
    format!("{}…", at_word.trim_end())
}

impl Store {
    /// Starts a conversation with its first question; the title is taken from the question.
    pub async fn start_conversation(&self, question: &str) -> Result<(Conversation, Message)> {
        if question.trim().is_empty() {
            return Err(StoreError::Invalid("a question cannot be empty".into()));
        }
        let now = self.now();
        let title = title_from_question(question);
        let mut tx = self.writer.begin().await.map_err(self.sql_err())?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO conversations (title, created_at, updated_at) VALUES (?1, ?2, ?2) RETURNING id",
        )
        .bind(&title)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(self.sql_err())?;
        let conversation = ConversationId(id);
        // One transaction: nobody ever sees a conversation without its first question.
        let question = self.insert_question(&mut tx, conversation, None, question).await?;
        tx.commit().await.map_err(self.sql_err())?;
        Ok((self.conversation(conversation).await?, self.message(question).await?))
    }

    /// One conversation (not deleted).
    pub async fn conversation(&self, id: ConversationId) -> Result<Conversation> {
        sqlx::query_as::<_, Conversation>(
            "SELECT id, title, title_is_custom, created_at, updated_at FROM conversations
             WHERE id = ?1 AND deleted_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&self.reader)
        .await
        .map_err(self.sql_err())?
        .ok_or(StoreError::NotFound { what: "conversation", id: id.0 })
    }

    /// Conversations with the most recent activity first, `limit` at a time.
    pub async fn list_conversations(
        &self,
        limit: u32,
        after: Option<PageCursor>,
    ) -> Result<ConversationPage> {
        let (updated, id) = after.map_or((i64::MAX, i64::MAX), |c| (c.updated_at, c.id.0));
        let rows = sqlx::query_as::<_, Conversation>(
            "SELECT id, title, title_is_custom, created_at, updated_at FROM conversations
             WHERE deleted_at IS NULL AND (updated_at, id) < (?1, ?2)
             ORDER BY updated_at DESC, id DESC LIMIT ?3",
        )
        .bind(updated)
        .bind(id)
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.reader)
        .await
        .map_err(self.sql_err())?;
        let mut items = rows;
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|c| PageCursor { updated_at: c.updated_at, id: c.id })
        } else {
            None
        };
        Ok(ConversationPage { items, next })
    }

    /// Renames a conversation (it then keeps this title).
    pub async fn rename_conversation(&self, id: ConversationId, title: &str) -> Result<()> {
        let title = title.trim();
        if title.is_empty() {
            return Err(StoreError::Invalid("a conversation's title cannot be empty".into()));
        }
        let done = sqlx::query(
            "UPDATE conversations SET title = ?1, title_is_custom = 1, updated_at = ?2
             WHERE id = ?3 AND deleted_at IS NULL",
        )
        .bind(title)
        .bind(self.now())
        .bind(id)
        .execute(&self.writer)
        .await
        .map_err(self.sql_err())?;
        found(done.rows_affected(), id)
    }

    /// Hides a conversation at once; [`Store::restore_conversation`] undoes it until it is purged.
    pub async fn delete_conversation(&self, id: ConversationId) -> Result<()> {
        let done = sqlx::query(
            "UPDATE conversations SET deleted_at = ?1 WHERE id = ?2 AND deleted_at IS NULL",
        )
        .bind(self.now())
        .bind(id)
        .execute(&self.writer)
        .await
        .map_err(self.sql_err())?;
        found(done.rows_affected(), id)
    }

    /// Undoes a deletion that has not been purged yet.
    pub async fn restore_conversation(&self, id: ConversationId) -> Result<()> {
        let done = sqlx::query(
            "UPDATE conversations SET deleted_at = NULL WHERE id = ?1 AND deleted_at IS NOT NULL",
        )
        .bind(id)
        .execute(&self.writer)
        .await
        .map_err(self.sql_err())?;
        found(done.rows_affected(), id)
    }

    /// Removes for good the conversations deleted at or before `cutoff_ms` (Unix milliseconds), with
    /// their messages and ratings. Returns how many went.
    pub async fn purge_deleted(&self, cutoff_ms: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM conversations WHERE deleted_at <= ?1")
            .bind(cutoff_ms)
            .execute(&self.writer)
            .await
            .map_err(self.sql_err())?;
        Ok(done.rows_affected())
    }

    /// How many conversations and messages there are (deleted ones excluded).
    pub async fn counts(&self) -> Result<(u64, u64)> {
        let row = sqlx::query(
            "SELECT (SELECT count(*) FROM conversations WHERE deleted_at IS NULL),
                    (SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
                     WHERE c.deleted_at IS NULL)",
        )
        .fetch_one(&self.reader)
        .await
        .map_err(self.sql_err())?;
        Ok((row.get::<i64, _>(0) as u64, row.get::<i64, _>(1) as u64))
    }
}

fn found(rows: u64, id: ConversationId) -> Result<()> {
    if rows == 0 {
        Err(StoreError::NotFound { what: "conversation", id: id.0 })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::title_from_question;

    #[test]
    fn titles_come_from_the_first_line_and_stay_short() {
        assert_eq!(title_from_question("\n  What is 2 + 2?\nthanks"), "What is 2 + 2?");
        let long =
            "Please explain in detail why the sky looks blue during the day and red at sunset";
        let t = title_from_question(long);
        assert!(t.ends_with('…') && t.chars().count() <= 61, "{t}");
        assert!(!t.contains("  ") && long.starts_with(t.trim_end_matches('…')));
        let zh = "小明有三百四十七个苹果又买了五百八十九个请问他现在一共有多少个苹果呢这道题应该怎么一步一步地计算才对呢谢谢你的帮助和耐心讲解";
        assert_eq!(title_from_question(zh).chars().count(), 61);
        assert_eq!(title_from_question("   "), "New conversation");
    }
}
