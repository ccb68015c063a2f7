//! raia's credential: the agent's secret key, sent as a static header.

use reqwest::Request;
use reqwest::header::HeaderName;

use crate::runtime::Authorizer;
use crate::secret::Secret;

/// The header every Conversations call needs (spec `securitySchemes.agentSecretKey`).
pub(crate) const AGENT_SECRET_KEY: HeaderName = HeaderName::from_static("agent-secret-key");

/// Adds the agent secret key to every request. There is no token to fetch or
/// refresh: a rejected key is a 403 and stays one.
#[derive(Debug)]
pub(crate) struct AgentSecretKey(pub(crate) Secret);

impl Authorizer for AgentSecretKey {
    fn authorize(&self, request: &mut Request, _operation: &str) {
        // Checked when the client is built, so a value is always there.
        if let Some(value) = self.0.header_value("") {
            request.headers_mut().insert(AGENT_SECRET_KEY, value);
        }
    }
}
