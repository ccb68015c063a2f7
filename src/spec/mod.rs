//! The specs as data: what the runtime checks every request against before
//! it is sent, what the sandbox checks every request and response with, and
//! what `convo <api> check` surveys a tenant's answers with.

pub mod diff;
mod lenient;
pub mod model;
pub mod provenance;
pub mod security;
pub mod survey;
pub mod validate;
mod walk;
