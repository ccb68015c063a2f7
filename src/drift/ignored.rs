//! The fields a typed decode ignores, found in the same pass: a deserializer
//! that wraps another and tells of each value the model skipped, with its
//! path. A key is kept as the text the input lends, copied only when it holds
//! an escape (`serde_ignored`, used before, made a `String` of every key).
//! Each forwarding method is `#[inline]`: left as calls, the layers cost
//! twice as much (`benches/decode_drift.rs`).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};

/// Where a value sits in the document: built on the stack while descending.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Index(&'a Path<'a>, usize),
    Field(&'a Path<'a>, &'a str),
}

impl Path<'_> {
    /// `a.b[3].c`, or with `indices: false` `a.b[].c` (the field's shape).
    pub(crate) fn render(&self, out: &mut String, indices: bool) {
        match self {
            Self::Root => {}
            Self::Index(parent, index) => {
                parent.render(out, indices);
                out.push_str(&if indices { format!("[{index}]") } else { "[]".to_owned() });
            }
            Self::Field(parent, key) => {
                parent.render(out, indices);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
        }
    }
}

/// Decodes `T` from `deserializer`, telling `found` of each ignored value.
pub(crate) fn deserialize<'de, T, D, F>(deserializer: D, mut found: F) -> Result<T, D::Error>
where
    T: de::Deserialize<'de>,
    D: Deserializer<'de>,
    F: FnMut(&Path<'_>),
{
    T::deserialize(Watch { inner: deserializer, found: &mut found, path: &Path::Root })
}

/// A deserializer, visitor or seed (`inner`) of the value at `path`.
struct Watch<'p, 'f, X, F> {
    inner: X,
    found: &'f mut F,
    path: &'p Path<'p>,
}

/// The same deserializer methods on `$inner`, each visitor wrapped by `$wrap`.
macro_rules! forward_deserializer {
    ($wrap:ident; $($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(
            #[inline]
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Self::Error> {
                let (inner, wrapped) = $wrap(self, visitor);
                inner.$method($($arg,)* wrapped)
            }
        )*
    };
}

/// Every `deserialize_*` method but `deserialize_ignored_any`.
macro_rules! deserializer_methods {
    ($wrap:ident) => {
        forward_deserializer! { $wrap;
            deserialize_any(), deserialize_bool(), deserialize_i8(), deserialize_i16(), deserialize_i32(),
            deserialize_i64(), deserialize_i128(), deserialize_u8(), deserialize_u16(), deserialize_u32(),
            deserialize_u64(), deserialize_u128(), deserialize_f32(), deserialize_f64(), deserialize_char(),
            deserialize_str(), deserialize_string(), deserialize_bytes(), deserialize_byte_buf(),
            deserialize_option(), deserialize_unit(), deserialize_unit_struct(name: &'static str),
            deserialize_newtype_struct(name: &'static str), deserialize_seq(), deserialize_tuple(len: usize),
            deserialize_tuple_struct(name: &'static str, len: usize), deserialize_map(),
            deserialize_struct(name: &'static str, fields: &'static [&'static str]),
            deserialize_enum(name: &'static str, variants: &'static [&'static str]),
            deserialize_identifier(),
        }

        fn is_human_readable(&self) -> bool {
            self.inner.is_human_readable()
        }
    };
}

/// The deserializer, and the visitor watching at the same path.
#[allow(clippy::type_complexity)]
#[inline]
fn watching<'p, 'f, D, V, F>(watch: Watch<'p, 'f, D, F>, visitor: V) -> (D, Watch<'p, 'f, V, F>) {
    (watch.inner, Watch { inner: visitor, found: watch.found, path: watch.path })
}

impl<'de, D: Deserializer<'de>, F: FnMut(&Path<'_>)> Deserializer<'de> for Watch<'_, '_, D, F> {
    type Error = D::Error;

    deserializer_methods!(watching);

    /// The model skips this value: the one place a difference is told.
    #[inline]
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        (self.found)(self.path);
        self.inner.deserialize_ignored_any(visitor)
    }
}

impl<'de, X: DeserializeSeed<'de>, F: FnMut(&Path<'_>)> DeserializeSeed<'de> for Watch<'_, '_, X, F> {
    type Value = X::Value;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<X::Value, D::Error> {
        self.inner.deserialize(Watch { inner: deserializer, found: self.found, path: self.path })
    }
}

/// The visitor methods that take a plain value, passed on as they are.
macro_rules! forward_visits {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(
            #[inline]
            fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
                self.inner.$method(v)
            }
        )*
    };
    // Those that take a nested deserializer or access.
    (<$access:ident> $($method:ident),*) => {
        $(
            #[inline]
            fn $method<A: $access<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
                self.inner.$method(access)
            }
        )*
    };
}

macro_rules! scalar_visits {
    () => {
        forward_visits! {
            visit_bool(bool), visit_i8(i8), visit_i16(i16), visit_i32(i32), visit_i64(i64), visit_i128(i128),
            visit_u8(u8), visit_u16(u16), visit_u32(u32), visit_u64(u64), visit_u128(u128), visit_f32(f32),
            visit_f64(f64), visit_char(char), visit_bytes(&[u8]), visit_borrowed_bytes(&'de [u8]),
            visit_byte_buf(Vec<u8>),
        }

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.inner.expecting(f)
        }

        #[inline]
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            self.inner.visit_none()
        }

        #[inline]
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            self.inner.visit_unit()
        }
    };
}

impl<'de, V: Visitor<'de>, F: FnMut(&Path<'_>)> Visitor<'de> for Watch<'_, '_, V, F> {
    type Value = V::Value;

    scalar_visits!();
    forward_visits! { visit_str(&str), visit_borrowed_str(&'de str), visit_string(String) }

    #[inline]
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Watch { inner: d, found: self.found, path: self.path })
    }

    #[inline]
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Watch { inner: d, found: self.found, path: self.path })
    }

    #[inline]
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(Items { inner: seq, found: self.found, path: self.path, index: 0 })
    }

    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(Fields {
            inner: map,
            found: self.found,
            path: self.path,
            key: Some(""),
            escaped: String::new(),
        })
    }

    #[inline]
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(Watch { inner: data, found: self.found, path: self.path })
    }
}

impl<'p, 'f, 'de, A: EnumAccess<'de>, F: FnMut(&Path<'_>)> EnumAccess<'de> for Watch<'p, 'f, A, F> {
    type Error = A::Error;
    type Variant = Watch<'p, 'f, A::Variant, F>;

    #[inline]
    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, variant) = self.inner.variant_seed(seed)?;
        Ok((value, Watch { inner: variant, found: self.found, path: self.path }))
    }
}

impl<'de, A: VariantAccess<'de>, F: FnMut(&Path<'_>)> VariantAccess<'de> for Watch<'_, '_, A, F> {
    type Error = A::Error;

    #[inline]
    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    #[inline]
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.newtype_variant_seed(Watch { inner: seed, found: self.found, path: self.path })
    }

    #[inline]
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.inner.tuple_variant(len, Watch { inner: visitor, found: self.found, path: self.path })
    }

    #[inline]
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.inner.struct_variant(fields, Watch { inner: visitor, found: self.found, path: self.path })
    }
}

/// The items of an array, each at its index.
struct Items<'p, 'f, A, F> {
    inner: A,
    found: &'f mut F,
    path: &'p Path<'p>,
    index: usize,
}

impl<'de, A: SeqAccess<'de>, F: FnMut(&Path<'_>)> SeqAccess<'de> for Items<'_, '_, A, F> {
    type Error = A::Error;

    #[inline]
    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, A::Error> {
        let path = Path::Index(self.path, self.index);
        self.index += 1;
        self.inner.next_element_seed(Watch { inner: seed, found: &mut *self.found, path: &path })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// The entries of an object, each value at its key.
struct Fields<'p, 'f, 'de, A, F> {
    inner: A,
    found: &'f mut F,
    path: &'p Path<'p>,
    /// The key just read, when the input lends it; else it is in `escaped`.
    key: Option<&'de str>,
    /// The last key that had to be unescaped.
    escaped: String,
}

impl<'de, A: MapAccess<'de>, F: FnMut(&Path<'_>)> MapAccess<'de> for Fields<'_, '_, 'de, A, F> {
    type Error = A::Error;

    #[inline]
    fn next_key_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, A::Error> {
        self.inner.next_key_seed(KeyOf { inner: seed, key: &mut self.key, escaped: &mut self.escaped })
    }

    #[inline]
    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let path = Path::Field(self.path, self.key.unwrap_or(&self.escaped));
        self.inner.next_value_seed(Watch { inner: seed, found: &mut *self.found, path: &path })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// A key's seed, deserializer or visitor (`inner`), keeping the key's text.
struct KeyOf<'k, 'de, X> {
    inner: X,
    key: &'k mut Option<&'de str>,
    escaped: &'k mut String,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for KeyOf<'_, 'de, S> {
    type Value = S::Value;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(KeyOf { inner: deserializer, key: self.key, escaped: self.escaped })
    }
}

/// The key's deserializer, and the visitor keeping its text.
#[inline]
fn keying<'k, 'de, D, V>(of: KeyOf<'k, 'de, D>, visitor: V) -> (D, KeyOf<'k, 'de, V>) {
    (of.inner, KeyOf { inner: visitor, key: of.key, escaped: of.escaped })
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for KeyOf<'_, 'de, D> {
    type Error = D::Error;

    deserializer_methods!(keying);

    #[inline]
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_ignored_any(visitor)
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for KeyOf<'_, 'de, V> {
    type Value = V::Value;

    scalar_visits!();

    #[inline]
    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<V::Value, E> {
        *self.key = Some(key);
        self.inner.visit_borrowed_str(key)
    }

    #[inline]
    fn visit_str<E: de::Error>(self, key: &str) -> Result<V::Value, E> {
        *self.key = None;
        key.clone_into(self.escaped);
        self.inner.visit_str(key)
    }

    #[inline]
    fn visit_string<E: de::Error>(self, key: String) -> Result<V::Value, E> {
        *self.key = None;
        key.clone_into(self.escaped);
        self.inner.visit_string(key)
    }

    forward_visits! { <Deserializer> visit_some, visit_newtype_struct }
    forward_visits! { <SeqAccess> visit_seq }
    forward_visits! { <MapAccess> visit_map }
    forward_visits! { <EnumAccess> visit_enum }
}
