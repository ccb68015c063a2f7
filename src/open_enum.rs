//! Open enums: response enums that accept values the spec does not list yet.
//!
//! build.rs emits one `open_enum!` per named string enum in a spec and tells
//! progenitor to use it instead of its own strict enum. A value the vendor adds
//! later decodes as `Unrecognized` rather than failing the whole response.
//! Callers cannot construct `Unrecognized` (its payload has a private field),
//! so requests stay strict. Each `Unrecognized` decoded in a typed call's
//! response is counted as drift (see [`crate::drift`]).

use std::fmt;

/// A value received from the server that this version of the crate does not
/// know. Read it with [`UnrecognizedValue::as_str`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnrecognizedValue(pub(crate) Box<str>);

impl UnrecognizedValue {
    /// The raw value as the server sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UnrecognizedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Error from parsing a string that is not one of an enum's known values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not one of {expected}")]
pub struct UnknownVariant {
    /// The rejected input.
    pub value: String,
    /// The known values, comma-separated.
    pub expected: String,
}

/// Defines an open enum with its wire values.
#[macro_export]
#[doc(hidden)]
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the crate does not know.
            Unrecognized($crate::UnrecognizedValue),
        }

        impl $name {
            /// Every known value, in the spec's order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Unrecognized(v) => v.as_str(),
                }
            }

            /// Whether this is a value the spec does not list.
            pub fn is_unrecognized(&self) -> bool {
                matches!(self, $name::Unrecognized(_))
            }

            fn from_wire(value: &str) -> Self {
                match value {
                    $( $wire => $name::$variant, )+
                    other => $name::Unrecognized($crate::UnrecognizedValue(other.into())),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Parses a known value; unknown input is an error, so values built by
        /// callers are always ones the spec lists.
        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownVariant;
            fn from_str(value: &str) -> ::std::result::Result<Self, $crate::UnknownVariant> {
                match Self::from_wire(value) {
                    $name::Unrecognized(_) => Err($crate::UnknownVariant {
                        value: value.to_string(),
                        expected: [$($wire),+].join(", "),
                    }),
                    known => Ok(known),
                }
            }
        }

        impl ::std::convert::TryFrom<&str> for $name {
            type Error = $crate::UnknownVariant;
            fn try_from(value: &str) -> ::std::result::Result<Self, $crate::UnknownVariant> {
                value.parse()
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                let decoded = Self::from_wire(&value);
                if decoded.is_unrecognized() {
                    // Counted as drift when a typed call's response decodes.
                    $crate::drift::note_unrecognized(stringify!($name), &value);
                }
                Ok(decoded)
            }
        }
    };
}
