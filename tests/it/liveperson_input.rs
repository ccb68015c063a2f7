//! LivePerson's input that is not a call: where the API lives
//! (`LIVEPERSON_BOT_DOMAIN`'s values) and time to response (TTR), as text
//! and as the body sent.

use convo_clients::liveperson::types::SetTtrRequest;
use convo_clients::liveperson::{BotDomain, Ttr, Zone};
use serde_json::json;

#[test]
fn parses_zones_domains_and_urls() {
    assert_eq!("z2".parse(), Ok(BotDomain::Zone(Zone::Z2)));
    assert_eq!("Z3.bot-connectors.liveperson.net".parse(), Ok(BotDomain::Zone(Zone::Z3)));
    assert_eq!("http://127.0.0.1:9".parse(), Ok(BotDomain::BaseUrl("http://127.0.0.1:9".into())));
    assert_eq!(
        "bot-platform-api.fs.liveperson.com".parse(),
        Ok(BotDomain::BaseUrl("https://bot-platform-api.fs.liveperson.com".into()))
    );
    assert!("nowhere".parse::<BotDomain>().is_err());
    assert_eq!(Zone::from_connectors_domain("z1.bot-connectors.liveperson.net"), Some(Zone::Z1));
}

#[test]
fn ttr_text_and_body() {
    assert_eq!("custom:45".parse::<Ttr>().unwrap(), Ttr::Custom(45));
    assert_eq!("URGENT".parse::<Ttr>().unwrap(), Ttr::Urgent);
    assert!("custom".parse::<Ttr>().is_err());
    assert!("custom:soon".parse::<Ttr>().is_err());
    assert_eq!(
        serde_json::to_value(SetTtrRequest::from(Ttr::Custom(10))).unwrap(),
        json!({"ttrType": "CUSTOM", "value": "10"})
    );
    assert_eq!(serde_json::to_value(SetTtrRequest::from(Ttr::Normal)).unwrap(), json!({"ttrType": "NORMAL"}));
}
