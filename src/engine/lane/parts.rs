//! Reading the target a part at a time: the next part from the work source (at most
//! `LOADS_AT_ONCE` lanes read at once), its messages' states from the ledger, and its invalid
//! messages recorded.

use super::changes;
use super::items::{ItemState, Items};
use super::{Lane, LaneEnd};
use crate::engine::events::{Event, SourceRef};
use crate::engine::ledger::messages::{self, Mark};
use crate::engine::ledger::{LedgerError, StoredMessage, requests};
use crate::engine::service::ImportService;
use crate::engine::work::{TargetWork, WorkItem};

impl<S: ImportService> Lane<S> {
    /// Replaces the part at work with the next one; false when there is none.
    pub(super) async fn next_part(&mut self) -> Result<bool, LaneEnd> {
        let Some(mut reader) = self.reader.take() else {
            return Ok(false);
        };
        let read = {
            let _reading = self
                .ctx
                .loads
                .acquire()
                .await
                .map_err(|_| LaneEnd::Shutdown)?;
            tokio::task::spawn_blocking(move || {
                let part = reader.next_part();
                (reader, part)
            })
            .await
            .map_err(|e| LaneEnd::LoadFailed(format!("reading the messages failed: {e}")))?
        };
        let (reader, part) = read;
        let Some(part) = part.map_err(LaneEnd::LoadFailed)? else {
            // Edited messages that order after every part make a last part of their own.
            let carried = std::mem::take(&mut self.carried);
            if carried.is_empty() {
                self.items = Items::empty();
                return Ok(false);
            }
            let head = self.items.head().clone();
            self.items = Items::of_carried(carried, head);
            return Ok(true);
        };
        self.reader = Some(reader);
        let id = self.target_id;
        let sources: Vec<_> = part.items.iter().map(|i| i.source().clone()).collect();
        let stored = self
            .call(move |c| messages::load_these(c, id, &sources))
            .await?;
        let stored = self.check_changes(&part, stored).await?;
        self.items = Items::restore(part, stored);
        // Edited messages go where their edited SendTime puts them: those carried from an
        // earlier part into this one, this part's own out to a later one.
        let from_earlier = std::mem::take(&mut self.carried);
        self.items.adopt(from_earlier);
        self.carried = self.items.replace_edited();
        for (i, item) in self.items.list.iter().enumerate() {
            if let ItemState::Done { msg_seq, .. } = item.state {
                // Two recorded messages with one sequence number cannot both be; the ledger
                // keeps what it has, and later answers are checked against the first.
                let _ = self.seqs.claim(msg_seq, self.items.source(i));
            }
        }
        self.record_invalid().await?;
        Ok(true)
    }

    /// Checks the part's recorded messages against what is staged at their places now (the
    /// staged files may have changed since they were recorded): unsent ones that changed are
    /// forgotten (planned again, the operator told), a changed settled one ends the lane.
    async fn check_changes(
        &self,
        part: &TargetWork,
        stored: Vec<StoredMessage>,
    ) -> Result<Vec<StoredMessage>, LaneEnd> {
        let checked = changes::check(part, stored);
        if let Some((source, state)) = &checked.refuse {
            // The lane's end says why (its stop reason).
            return Err(LaneEnd::StagedChanged(changes::refusal(source, *state)));
        }
        if !checked.replan.is_empty() {
            let id = self.target_id;
            let sources: Vec<SourceRef> = checked.replan.iter().map(|(s, _)| s.clone()).collect();
            self.call(move |c| {
                let tx = c
                    .unchecked_transaction()
                    .map_err(LedgerError::sql("a changed message"))?;
                for s in &sources {
                    messages::forget(&tx, id, s)?;
                }
                tx.commit().map_err(LedgerError::sql("a changed message"))
            })
            .await?;
            for (source, state) in &checked.replan {
                self.ctx
                    .emit(Event::Warning {
                        target: Some(self.target.clone()),
                        message: changes::replanned(source, *state),
                    })
                    .await;
            }
        }
        Ok(checked.keep)
    }

    /// Records the part's invalid messages that have no row yet.
    async fn record_invalid(&self) -> Result<(), LaneEnd> {
        let invalid: Vec<_> = self
            .items
            .list
            .iter()
            .filter(|item| !item.recorded)
            .filter_map(|item| match (&item.state, &item.work) {
                (ItemState::Invalid(problem), WorkItem::Invalid(w)) => Some((
                    item.meta(),
                    Mark::Invalid {
                        problem: problem.clone(),
                        raw: w.raw.clone(),
                    },
                )),
                _ => None,
            })
            .collect();
        if invalid.is_empty() {
            return Ok(());
        }
        let id = self.target_id;
        self.call(move |c| requests::record(c, id, &[], requests::state::DONE, None, &invalid))
            .await?;
        Ok(())
    }
}
