//! Many transcripts at once, the Luware flow's main job: search, then fetch
//! the Speech Analytics file of every match, several downloads at a time.

use futures::{Stream, StreamExt};

use super::client::Client;
use super::transcript::{Transcript, decode_vtr};
use crate::error::Result;
use crate::runtime::{PageRetries, again_if_transient};

/// Downloads in flight at once unless the caller says otherwise: enough to
/// hide the latency of a remote tenant, few enough not to crowd it.
pub const DEFAULT_TRANSCRIPT_CONCURRENCY: usize = 8;

impl Client {
    /// The `.vtr` archives of `ccdr_ids`, `concurrency` downloads at a time
    /// (at least one), as they complete: each with its conversation's id.
    /// A download that fails for a passing reason, a body that breaks off
    /// included, is fetched again (besides the client's own retries), so one
    /// bad moment costs time, not a transcript.
    pub fn transcript_files<I>(&self, ccdr_ids: I, concurrency: usize) -> impl Stream<Item = (String, Result<Vec<u8>>)>
    where
        I: IntoIterator<Item = String>,
    {
        let client = self.clone();
        let retries = PageRetries::of(self.api.inner.retry_policy());
        futures::stream::iter(ccdr_ids)
            .map(move |id| {
                let client = client.clone();
                async move {
                    let vtr = again_if_transient("download_media", retries, || client.transcript_vtr(&id)).await;
                    (id, vtr)
                }
            })
            .buffer_unordered(concurrency.max(1))
    }

    /// The parsed transcripts of `ccdr_ids`, fetched as
    /// [`Client::transcript_files`] fetches them.
    pub fn transcripts<I>(&self, ccdr_ids: I, concurrency: usize) -> impl Stream<Item = (String, Result<Transcript>)>
    where
        I: IntoIterator<Item = String>,
    {
        let limits = self.state.transcript_limits;
        self.transcript_files(ccdr_ids, concurrency)
            .map(move |(id, vtr)| (id, vtr.and_then(|vtr| Ok(decode_vtr(&vtr, &limits)?))))
    }
}
