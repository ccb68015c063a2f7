//! The API key: a static `X-API-KEY` header on every request.

use reqwest::Request;
use reqwest::header::HeaderName;

use crate::runtime::Authorizer;
use crate::secret::Secret;

/// The header the spec's `ApiKeyAuth` scheme names (inferred, see the spec).
pub(crate) const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");

/// Adds the key, marked sensitive, to each request.
#[derive(Debug)]
pub(crate) struct ApiKey(pub(crate) Secret);

impl Authorizer for ApiKey {
    fn authorize(&self, request: &mut Request, _operation: &str) {
        if let Some(value) = self.0.header_value("") {
            request.headers_mut().insert(API_KEY_HEADER, value);
        }
    }
}
