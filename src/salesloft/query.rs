//! A typed query for `GET /v2/conversations`. Each bound is set once (a
//! newer `after`/`at_or_after` replaces the lower bound, and so on), so no
//! contradictory pair like `created_at[gt]` with `created_at[gte]` can be
//! written; an empty range (a lower bound above the upper one) is rejected
//! before sending, by the spec's `x-range` rule that the runtime checks.

use chrono::{DateTime, Utc};

use super::types::{ConversationSortBy, LanguageCode, MediaType, Platform, SortDirection};

/// One side of a range: exclusive (`gt`/`lt`) or inclusive (`gte`/`lte`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound<T> {
    Exclusive(T),
    Inclusive(T),
}

/// A range with at most one lower and one upper bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range<T> {
    pub lower: Option<Bound<T>>,
    pub upper: Option<Bound<T>>,
}

impl<T> Default for Range<T> {
    fn default() -> Self {
        Self { lower: None, upper: None }
    }
}

impl<T: Copy + PartialOrd> Range<T> {
    /// `(gt, gte, lt, lte)` as the API's keys take them.
    pub(crate) fn keys(&self) -> (Option<T>, Option<T>, Option<T>, Option<T>) {
        let (gt, gte) = match self.lower {
            Some(Bound::Exclusive(v)) => (Some(v), None),
            Some(Bound::Inclusive(v)) => (None, Some(v)),
            None => (None, None),
        };
        let (lt, lte) = match self.upper {
            Some(Bound::Exclusive(v)) => (Some(v), None),
            Some(Bound::Inclusive(v)) => (None, Some(v)),
            None => (None, None),
        };
        (gt, gte, lt, lte)
    }
}

/// Title filter: exact, or by prefix (the API takes one or the other).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TitleFilter {
    Exact(String),
    StartsWith(String),
}

/// Filters, sort and page size of a conversation listing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConversationQuery {
    pub(crate) title: Option<TitleFilter>,
    pub(crate) created_at: Range<DateTime<Utc>>,
    pub(crate) updated_at: Range<DateTime<Utc>>,
    /// Milliseconds.
    pub(crate) duration: Range<i64>,
    pub(crate) language_code: Option<LanguageCode>,
    pub(crate) platform: Option<Platform>,
    pub(crate) owner_ids: Vec<String>,
    pub(crate) user_guids: Vec<String>,
    pub(crate) ids: Vec<String>,
    pub(crate) account_ids: Vec<String>,
    pub(crate) person_ids: Vec<String>,
    pub(crate) is_api: Option<bool>,
    pub(crate) media_type: Option<MediaType>,
    pub(crate) sort: Option<(ConversationSortBy, SortDirection)>,
    pub(crate) per_page: Option<u32>,
    pub(crate) include_paging_counts: bool,
}

macro_rules! time_bounds {
    ($field:ident, $after:ident, $at_or_after:ident, $before:ident, $at_or_before:ident, $what:literal) => {
        #[doc = concat!("Only conversations ", $what, " after `t` (`[gt]`).")]
        pub fn $after(mut self, t: DateTime<Utc>) -> Self {
            self.$field.lower = Some(Bound::Exclusive(t));
            self
        }
        #[doc = concat!("Only conversations ", $what, " at or after `t` (`[gte]`).")]
        pub fn $at_or_after(mut self, t: DateTime<Utc>) -> Self {
            self.$field.lower = Some(Bound::Inclusive(t));
            self
        }
        #[doc = concat!("Only conversations ", $what, " before `t` (`[lt]`).")]
        pub fn $before(mut self, t: DateTime<Utc>) -> Self {
            self.$field.upper = Some(Bound::Exclusive(t));
            self
        }
        #[doc = concat!("Only conversations ", $what, " at or before `t` (`[lte]`).")]
        pub fn $at_or_before(mut self, t: DateTime<Utc>) -> Self {
            self.$field.upper = Some(Bound::Inclusive(t));
            self
        }
    };
}

impl ConversationQuery {
    /// Every conversation, in the API's default order (newest first).
    pub fn new() -> Self {
        Self::default()
    }

    /// Only conversations with exactly this title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(TitleFilter::Exact(title.into()));
        self
    }

    /// Only conversations whose title starts with `prefix` (`title[_starts_with]`).
    pub fn title_starts_with(mut self, prefix: impl Into<String>) -> Self {
        self.title = Some(TitleFilter::StartsWith(prefix.into()));
        self
    }

    time_bounds!(created_at, created_after, created_at_or_after, created_before, created_at_or_before, "created");
    time_bounds!(updated_at, updated_after, updated_at_or_after, updated_before, updated_at_or_before, "updated");

    /// Only conversations longer than `ms` milliseconds (`duration[gt]`); see also [`Self::duration`].
    pub fn longer_than(mut self, ms: i64) -> Self {
        self.duration.lower = Some(Bound::Exclusive(ms));
        self
    }

    /// Only conversations shorter than `ms` milliseconds (`duration[lt]`).
    pub fn shorter_than(mut self, ms: i64) -> Self {
        self.duration.upper = Some(Bound::Exclusive(ms));
        self
    }

    /// Any duration range, in milliseconds.
    pub fn duration(mut self, range: Range<i64>) -> Self {
        self.duration = range;
        self
    }

    pub fn language(mut self, code: LanguageCode) -> Self {
        self.language_code = Some(code);
        self
    }

    pub fn platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// Only conversations owned by these users (UUIDs).
    pub fn owners<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.owner_ids.extend(ids.into_iter().map(Into::into));
        self
    }

    /// Only conversations recorded by these users (GUIDs).
    pub fn recorded_by<S: Into<String>>(mut self, guids: impl IntoIterator<Item = S>) -> Self {
        self.user_guids.extend(guids.into_iter().map(Into::into));
        self
    }

    pub fn ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.ids.extend(ids.into_iter().map(Into::into));
        self
    }

    pub fn accounts<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.account_ids.extend(ids.into_iter().map(Into::into));
        self
    }

    pub fn people<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.person_ids.extend(ids.into_iter().map(Into::into));
        self
    }

    /// Only conversations created (true) or not created (false) through the API.
    pub fn created_through_api(mut self, yes: bool) -> Self {
        self.is_api = Some(yes);
        self
    }

    pub fn media(mut self, media: MediaType) -> Self {
        self.media_type = Some(media);
        self
    }

    pub fn sort(mut self, by: ConversationSortBy, direction: SortDirection) -> Self {
        self.sort = Some((by, direction));
        self
    }

    /// Records per page, 1 to 100 (the API's default is 25).
    pub fn per_page(mut self, n: u32) -> Self {
        self.per_page = Some(n);
        self
    }

    /// Ask for `total_pages` and `total_count` in the paging metadata.
    pub fn include_paging_counts(mut self) -> Self {
        self.include_paging_counts = true;
        self
    }
}
