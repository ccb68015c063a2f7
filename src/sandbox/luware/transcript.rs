//! `.vtr` archives as the emulator serves them (and tests build them).

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::luware::transcript::zip_error;
use crate::luware::{Transcript, TranscriptError};

/// Writes `transcript` as a `.vtr` file: a ZIP with one deflate-compressed
/// JSON entry named `entry_name` (e.g. `"transcript.vtr"`), which `decode_vtr` reads back unchanged.
///
/// # Errors
///
/// [`TranscriptError::Zip`] when the ZIP writer rejects the entry (e.g. a
/// name longer than 65535 bytes), [`TranscriptError::Io`] when writing fails.
pub fn encode_vtr(transcript: &Transcript, entry_name: &str) -> Result<Vec<u8>, TranscriptError> {
    write_single_entry(entry_name, |out| {
        serde_json::to_writer(out, transcript).map_err(|err| TranscriptError::Io(err.into()))
    })
}

/// Like [`encode_vtr`], but stores `contents` as given, e.g. vendor JSON
/// captured verbatim or deliberately broken input for tests.
///
/// # Errors
///
/// As for [`encode_vtr`].
pub fn encode_vtr_raw(contents: &[u8], entry_name: &str) -> Result<Vec<u8>, TranscriptError> {
    write_single_entry(entry_name, |out| Ok(out.write_all(contents)?))
}

fn write_single_entry(
    entry_name: &str,
    write: impl FnOnce(&mut ZipWriter<Cursor<Vec<u8>>>) -> Result<(), TranscriptError>,
) -> Result<Vec<u8>, TranscriptError> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    zip.start_file(entry_name, options).map_err(zip_error)?;
    write(&mut zip)?;
    Ok(zip.finish().map_err(zip_error)?.into_inner())
}
