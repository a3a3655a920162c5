//! Grading an answer where a reference exists: the better answer the person wrote when rating the
//! answer a fix started from, else the question's own arithmetic. The window shows the verdict beside
//! an answer continued from a fixed step.

use ponder_chat::{arithmetic_reference, grade, reference_of, Verdict};
use ponder_store::MessageId;

use crate::{App, AppError, Result};

impl App {
    /// The verdict on answer `answer_id`, or `None` when nothing says what the right answer is.
    pub async fn grade_answer(&self, answer_id: MessageId) -> Result<Option<Verdict>> {
        let store = self.store().await?;
        let answer = store.message(answer_id).await?;
        let question_id = answer
            .parent_id
            .ok_or_else(|| AppError::Invalid("only an answer can be graded".into()))?;
        let question = store.message(question_id).await?;
        let from_fix = match answer.fixed.as_ref().and_then(|f| f.from) {
            Some(original) => reference_of(&store.message(original).await?),
            None => None,
        };
        let reference = from_fix
            .or_else(|| reference_of(&answer))
            .or_else(|| arithmetic_reference(&question.content));
        Ok(reference.map(|r| grade(&answer, &r)))
    }
}
