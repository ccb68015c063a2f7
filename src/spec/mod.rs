//! The specs as data: what the runtime checks every request against before
//! it is sent, and what the sandbox checks every request and response with.

mod lenient;
pub mod validate;
