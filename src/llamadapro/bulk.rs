//! Reading a bulk report item by item.
//!
//! A bulk create or update answers 200 even when items fail: valid items are
//! processed, the others are listed in `report.itemsIssues` by their index in
//! the request. [`BulkOperationResult::pair`] puts each input item next to
//! what happened to it, so that a failed item cannot go unnoticed behind the
//! 200.
//!
//! How the report marks a duplicate is not documented. This reading (which
//! the sandbox follows) takes an item with no errors but with
//! `existingEntities` as a duplicate of the entity listed there, whose id is
//! `itemId`. Items the report does not list succeeded, unless the batch as a
//! whole failed (`batchErrors` and no successful item).
//!
//! How `counts` relate to the items is not documented either (whether
//! `successful` includes items with warnings, whether `errors` counts items
//! or issues), so the items decide: counts that read otherwise are worth a
//! warning ([`BulkOutcome::counts_agree`]), not a failure.

use serde_json::{Map, Value};

use super::ids::id_from_number;
use super::types::{BulkCounts, BulkIssue, BulkItemIssues, BulkOperationResult};

/// What happened to one item.
#[derive(Debug, Clone)]
pub enum ItemOutcome {
    /// Processed cleanly. The id is known only when the report lists the item.
    Succeeded { id: Option<u64> },
    /// Processed, with warnings (e.g. the contact was matched by address).
    SucceededWithWarnings { id: Option<u64>, warnings: Vec<BulkIssue> },
    /// Not processed: it repeats an existing entity (`existing_id`, described by `existing`).
    Duplicate { existing_id: Option<u64>, existing: Map<String, Value>, warnings: Vec<BulkIssue> },
    /// Rejected. Each error names the field, and the code when the server gives one.
    Failed { errors: Vec<BulkIssue>, warnings: Vec<BulkIssue> },
}

impl ItemOutcome {
    /// Whether the item was processed (with or without warnings).
    pub fn is_success(&self) -> bool {
        matches!(self, ItemOutcome::Succeeded { .. } | ItemOutcome::SucceededWithWarnings { .. })
    }

    /// A short name: `succeeded`, `warning`, `duplicate` or `failed`.
    pub fn kind(&self) -> &'static str {
        match self {
            ItemOutcome::Succeeded { .. } => "succeeded",
            ItemOutcome::SucceededWithWarnings { .. } => "warning",
            ItemOutcome::Duplicate { .. } => "duplicate",
            ItemOutcome::Failed { .. } => "failed",
        }
    }

    /// The created, updated or matching entity's id, when the report gives it.
    pub fn id(&self) -> Option<u64> {
        match self {
            ItemOutcome::Succeeded { id } | ItemOutcome::SucceededWithWarnings { id, .. } => *id,
            ItemOutcome::Duplicate { existing_id, .. } => *existing_id,
            ItemOutcome::Failed { .. } => None,
        }
    }

    /// The errors, or the warnings when there are none.
    pub fn issues(&self) -> &[BulkIssue] {
        match self {
            ItemOutcome::Succeeded { .. } => &[],
            ItemOutcome::SucceededWithWarnings { warnings, .. } | ItemOutcome::Duplicate { warnings, .. } => warnings,
            ItemOutcome::Failed { errors, .. } => errors,
        }
    }
}

/// One input item and its outcome.
#[derive(Debug, Clone)]
pub struct ItemReport<'a, T> {
    /// Position in the request.
    pub index: usize,
    pub item: &'a T,
    pub outcome: ItemOutcome,
}

/// Every input item with its outcome, plus what concerns the batch.
#[derive(Debug, Clone)]
pub struct BulkOutcome<'a, T> {
    /// Id of the bulk operation, if the server gave one.
    pub operation_id: Option<String>,
    /// One entry per input item, in request order.
    pub items: Vec<ItemReport<'a, T>>,
    /// Issues of the batch as a whole.
    pub batch_errors: Vec<BulkIssue>,
    /// Report entries whose index names no input item (should be none).
    pub unmatched: Vec<BulkItemIssues>,
    /// The server's counts.
    pub counts: Option<BulkCounts>,
}

impl<'a, T> BulkOutcome<'a, T> {
    /// The items that were not processed because of an error.
    pub fn failed(&self) -> impl Iterator<Item = &ItemReport<'a, T>> {
        self.items.iter().filter(|r| matches!(r.outcome, ItemOutcome::Failed { .. }))
    }

    /// The items skipped as duplicates.
    pub fn duplicates(&self) -> impl Iterator<Item = &ItemReport<'a, T>> {
        self.items.iter().filter(|r| matches!(r.outcome, ItemOutcome::Duplicate { .. }))
    }

    /// The items that were processed.
    pub fn succeeded(&self) -> impl Iterator<Item = &ItemReport<'a, T>> {
        self.items.iter().filter(|r| r.outcome.is_success())
    }

    /// Whether every item was processed and nothing concerns the batch.
    pub fn all_succeeded(&self) -> bool {
        self.items.iter().all(|r| r.outcome.is_success()) && self.batch_errors.is_empty() && self.unmatched.is_empty()
    }

    /// Whether the server's counts read as this crate reads the items (true
    /// when it sent none): `total` the items, `successful` those processed
    /// (warnings included), `duplicates` and `errors` those skipped and
    /// rejected. The vendor documents no such rule, so a mismatch is a
    /// reason to look, not a failure.
    pub fn counts_agree(&self) -> bool {
        let Some(counts) = &self.counts else { return true };
        let agrees = |reported: Option<f64>, seen: usize| reported.is_none_or(|n| n == seen as f64);
        agrees(counts.total, self.items.len())
            && agrees(counts.successful, self.succeeded().count())
            && agrees(counts.duplicates, self.duplicates().count())
            && agrees(counts.errors, self.failed().count())
    }
}

impl BulkOperationResult {
    /// Pairs each item of the request (`items`, as sent) with its outcome.
    pub fn pair<'a, T>(&self, items: &'a [T]) -> BulkOutcome<'a, T> {
        let report = self.report.clone().unwrap_or_default();
        let batch_failed = !report.batch_errors.is_empty()
            && report.counts.as_ref().and_then(|c| c.successful).is_none_or(|n| n == 0.0);
        let mut reported: Vec<Option<BulkItemIssues>> = vec![None; items.len()];
        let mut unmatched = Vec::new();
        for entry in report.items_issues {
            match entry.index.and_then(id_from_number).and_then(|i| usize::try_from(i).ok()) {
                Some(i) if i < items.len() && reported[i].is_none() => reported[i] = Some(entry),
                _ => unmatched.push(entry),
            }
        }
        let items = items
            .iter()
            .zip(reported)
            .enumerate()
            .map(|(index, (item, entry))| {
                let outcome = match entry {
                    Some(entry) => outcome_of(entry),
                    None if batch_failed => {
                        ItemOutcome::Failed { errors: report.batch_errors.clone(), warnings: Vec::new() }
                    }
                    None => ItemOutcome::Succeeded { id: None },
                };
                ItemReport { index, item, outcome }
            })
            .collect();
        BulkOutcome {
            operation_id: self.operation_id.clone(),
            items,
            batch_errors: report.batch_errors,
            unmatched,
            counts: report.counts,
        }
    }
}

fn outcome_of(entry: BulkItemIssues) -> ItemOutcome {
    let id = entry.item_id.and_then(id_from_number);
    if !entry.errors.is_empty() {
        ItemOutcome::Failed { errors: entry.errors, warnings: entry.warnings }
    } else if !entry.existing_entities.is_empty() {
        ItemOutcome::Duplicate { existing_id: id, existing: entry.existing_entities, warnings: entry.warnings }
    } else if !entry.warnings.is_empty() {
        ItemOutcome::SucceededWithWarnings { id, warnings: entry.warnings }
    } else {
        ItemOutcome::Succeeded { id }
    }
}
