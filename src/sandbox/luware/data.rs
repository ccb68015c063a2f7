//! Deterministic conversation records, generated from (seed, index) on demand
//! so that a million of them cost no memory. Start times grow with the index,
//! so index order is `startTime` order.

use std::sync::LazyLock;

use chrono::{Duration, NaiveDate, NaiveDateTime};

use super::FieldValue;
use crate::luware::format_datetime;
use crate::luware::transcript::{Speaker, Tcu, Topic, Transcript, Word};
use crate::luware::types::{Conversation, ConversationStatus, Direction, EndCause, ForwardReason, Modality, Platform};
pub(crate) use crate::sandbox::mix;

/// How a user's conversations are recorded; decides which control actions fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordingMode {
    Always,
    /// Controlled or Controlled-AutoStart: start/stop apply.
    Controlled,
    /// On-Demand: keep applies.
    OnDemand,
}

pub(crate) struct User {
    pub name: &'static str,
    pub login: &'static str,
    pub mode: RecordingMode,
}

const USERS: [User; 8] = [
    User { name: "Alex Wilber", login: "alexw@contoso.example", mode: RecordingMode::Always },
    User { name: "Megan Bowen", login: "meganb@contoso.example", mode: RecordingMode::Controlled },
    User { name: "Lee Gu", login: "leeg@contoso.example", mode: RecordingMode::OnDemand },
    User { name: "Adele Vance", login: "adelev@contoso.example", mode: RecordingMode::Always },
    User { name: "Diego Siciliani", login: "diegos@contoso.example", mode: RecordingMode::Controlled },
    User { name: "Isaiah Langer", login: "isaiahl@contoso.example", mode: RecordingMode::Always },
    User { name: "Johanna Lorenz", login: "johannal@contoso.example", mode: RecordingMode::OnDemand },
    User { name: "Nestor Wilke", login: "nestorw@contoso.example", mode: RecordingMode::Always },
];

const EXTERNAL: [(&str, &str); 6] = [
    ("Contoso Support", "+442079460123"),
    ("Fabrikam Sales", "+14155550142"),
    ("Northwind Traders", "+4930901820"),
    ("Woodgrove Bank", "+33140205050"),
    ("Tailspin Toys", "+61291234567"),
    ("Unknown caller", "+447700900456"),
];

/// Minutes between consecutive conversations' start times.
const SPACING_MINUTES: i64 = 7;

pub(crate) fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 7, 1).and_then(|d| d.and_hms_opt(8, 0, 0)).unwrap_or_default()
}

/// The id of conversation `index`: UUID-shaped, with the index in the last group
/// so that a lookup needs no table.
pub(crate) fn ccdr_id(seed: u64, index: u64) -> String {
    let h = mix(seed ^ 0x5eed);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        h as u32,
        (h >> 32) as u16,
        (h >> 48) & 0xfff,
        index >> 48 & 0xfff,
        index & 0xffff_ffff_ffff
    )
}

/// The index encoded in an id, if the id is one of this seed's.
pub(crate) fn index_of(seed: u64, id: &str, count: u64) -> Option<u64> {
    let last = id.rsplit('-').next()?;
    let index = u64::from_str_radix(last, 16).ok()?;
    (index < count && ccdr_id(seed, index) == id).then_some(index)
}

pub(crate) fn user(seed: u64, index: u64) -> &'static User {
    &USERS[(mix(seed ^ index.wrapping_mul(31)) % USERS.len() as u64) as usize]
}

/// A conversation with no field set but its id, built once through the
/// generated builder. Its one required field is set, so it cannot fail.
fn blank() -> &'static Conversation {
    static BLANK: LazyLock<Conversation> =
        LazyLock::new(|| match Conversation::try_from(Conversation::builder().ccdr_id(String::new())) {
            Ok(blank) => blank,
            Err(e) => unreachable!("{e}"),
        });
    &BLANK
}

/// Conversation `index` of the data set, before any writes.
pub(crate) fn conversation(seed: u64, index: u64, count: u64) -> Conversation {
    let mut rng = fastrand::Rng::with_seed(mix(seed.wrapping_add(index.wrapping_mul(0x9e37_79b9_7f4a_7c15))));
    let user = user(seed, index);
    let (other_name, other_number) = EXTERNAL[rng.usize(..EXTERNAL.len())];
    let platform = match rng.u8(..10) {
        0..=4 => Platform::MicrosoftTeams,
        5 => Platform::ZoomPhone,
        6 => Platform::WebEx,
        7 => Platform::CiscoNetworkBased,
        8 => Platform::GenericSip,
        _ => Platform::MicrosoftTeamsIm,
    };
    let modality = match platform {
        Platform::MicrosoftTeamsIm => Modality::Im,
        _ => match rng.u8(..10) {
            0..=6 => Modality::Voice,
            7 | 8 => Modality::Video,
            _ => Modality::Share,
        },
    };
    let direction = match rng.u8(..10) {
        0..=3 => Direction::Incoming,
        4..=6 => Direction::Outgoing,
        7 => Direction::Internal,
        8 => Direction::ContactCenterIn,
        _ => Direction::FederatedIn,
    };
    let start = epoch() + Duration::minutes(SPACING_MINUTES * index as i64) + Duration::seconds(rng.i64(0..300));
    let seconds = rng.i64(20..2400);
    let end = start + Duration::seconds(seconds);
    // The newest few are still in progress.
    let ongoing = index + 3 >= count;
    let incoming = matches!(direction, Direction::Incoming | Direction::ContactCenterIn | Direction::FederatedIn);
    let (source_name, source_id, destination_name, destination_id) = if incoming {
        (other_name.to_string(), other_number.to_string(), user.name.to_string(), user.login.to_string())
    } else {
        (user.name.to_string(), user.login.to_string(), other_name.to_string(), other_number.to_string())
    };
    let rtp = i32::try_from(seconds * 50).unwrap_or(i32::MAX);
    // From a blank record, so that the fields not set here (the expanded parts,
    // and any the spec adds later) stay unset with no edit.
    let mut c = blank().clone();
    c.ccdr_id = ccdr_id(seed, index);
    c.platform_call_id = Some(format!("{:016x}", mix(seed ^ index ^ 0xca11)));
    c.start_time = Some(format_datetime(start));
    c.end_time = (!ongoing).then(|| format_datetime(end));
    c.verba_user_name = Some(user.name.to_string());
    c.verba_user_login = Some(user.login.to_string());
    c.agent_id = Some(format!("{:08x}-agent", mix(user.login.len() as u64 ^ seed) as u32));
    c.status = ongoing.then_some(ConversationStatus::Ongoing);
    c.recorded_party = match rng.u8(..5) {
        0 => None,
        n => Some(i32::from(n % 2)),
    };
    c.source_name = Some(source_name);
    c.source_caller_id = Some(source_id);
    c.destination_name = Some(destination_name);
    c.destination_caller_id = Some(destination_id);
    c.modality_name = Some(modality.clone());
    c.cause = Some(match rng.u8(..10) {
        0..=6 => EndCause::Normal,
        7 => EndCause::FromTerminated,
        8 => EndCause::ToTerminated,
        _ => EndCause::Transfer,
    });
    c.direction = Some(direction);
    c.storage_folder_id = Some(rng.i32(1..4));
    c.retention_until = Some(format_datetime(start + Duration::days(7 * 365)));
    c.retention_auto_delete = Some(true);
    c.native_id = Some(format!("{:x}", mix(index ^ 0x7e57)));
    c.secondary = Some(false);
    c.hold = (rng.u8(..20) == 0).then_some(1);
    c.cdr_media_type = Some(0);
    c.source_audio_rtp_count = Some(rtp);
    c.destination_audio_rtp_count = Some(rtp.saturating_sub(rng.i32(0..200)));
    c.platform_name = Some(platform);
    c.forward_reason_name = (rng.u8(..10) == 0).then_some(ForwardReason::Transferred);
    c.meeting_id = (modality == Modality::Video).then(|| format!("19:meeting_{:x}@thread.v2", mix(index)));
    c.priv_ = Some(rng.u8(..50) == 0);
    c.ondemand = Some(user.mode == RecordingMode::OnDemand);
    c.keep = Some(false);
    c.do_not_delete = Some(0);
    c
}

// `FilterField::read`: a conversation's value of each filter field.
include!(concat!(env!("OUT_DIR"), "/luware_filter_reads.rs"));

/// A plausible two-speaker transcript for a voice or video conversation, of
/// `utterances` turns (the six lines of a short call, repeated as needed).
pub(crate) fn transcript(seed: u64, index: u64, c: &Conversation, utterances: usize) -> Transcript {
    const LINES: [(&str, &str); 6] = [
        ("Speaker 1", "Good morning, thank you for calling, how can I help?"),
        ("Speaker 2", "Hi, I'm calling about the invoice I received last week."),
        ("Speaker 1", "Of course, could you read me the invoice number please?"),
        ("Speaker 2", "It is four seven one one, dated the first of July."),
        ("Speaker 1", "Thanks, I can see it, the credit will be applied today."),
        ("Speaker 2", "Great, that's all I needed, goodbye."),
    ];
    let mut rng = fastrand::Rng::with_seed(mix(seed ^ index ^ 0x7a));
    let mut words = Vec::new();
    let mut tcus = Vec::new();
    let mut t = 0.5_f64;
    for (speaker, text) in LINES.into_iter().cycle().take(utterances) {
        let start = t;
        for w in text.split(' ') {
            let duration = 0.18 + f64::from(rng.u8(..30)) / 100.0;
            words.push(Word {
                word: Some(w.trim_matches(|c: char| c.is_ascii_punctuation()).to_string()),
                time: Some(round2(t)),
                duration: Some(round2(duration)),
                confidence: Some(round2(0.80 + f64::from(rng.u8(..20)) / 100.0)),
                speaker: Some(speaker.to_string()),
                extra: Default::default(),
            });
            t += duration + 0.05;
        }
        tcus.push(Tcu {
            text: Some(text.to_string()),
            speaker: Some(speaker.to_string()),
            start: Some(round2(start)),
            end: Some(round2(t)),
            ..Default::default()
        });
        t += 0.6;
    }
    let name = |id: &str, label: &str, name: Option<&str>| Speaker {
        id: Some(id.to_string()),
        name: name.map(str::to_string),
        iv_label: Some(label.to_string()),
        ..Default::default()
    };
    Transcript {
        provider: Some("intelligentvoice".into()),
        language: Some("en-GB".into()),
        speakers: vec![
            name("Speaker 1", "Channel 1", c.verba_user_name.as_deref()),
            name("Speaker 2", "Channel 2", c.source_name.as_deref()),
        ],
        topics: vec![Topic { name: Some("billing".into()), score: Some(0.91), extra: Default::default() }],
        words,
        tcus,
        extra: Default::default(),
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
