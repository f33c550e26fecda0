//! The shared machinery of nullivote's binary codecs and their JSON form.
//!
//! Every wire type has exactly one codec, [`Wire`]: `encode` writes the canonical bytes and
//! `decode` accepts only those (lengths checked before allocation, trailing bytes refused, every
//! point and scalar canonical). Its serde form is the lowercase hex of the same bytes, produced by
//! [`wire_serde!`], so JSON and binary can never disagree on what is valid.

use crate::error::EncodingError;
use crate::group::{ELEMENT_LEN, Element, SCALAR_LEN, decode_scalar};
use curve25519_dalek::scalar::Scalar;

/// A type with one canonical binary encoding.
pub trait Wire: Sized {
    /// The name used in errors about this type.
    const NAME: &'static str;
    /// The canonical encoding.
    fn encode(&self) -> Vec<u8>;
    /// Decodes the canonical encoding, refusing anything else.
    ///
    /// # Errors
    /// An [`EncodingError`] naming the field that was wrong.
    fn decode(bytes: &[u8]) -> Result<Self, EncodingError>;

    /// The longest encoding of the type: JSON text longer than twice this is refused by its
    /// length, before it is decoded. (The longest today is a 256-branch range proof, 32 KiB.)
    const MAX_LEN: usize = 1 << 16;
}

/// Implements `Serialize`/`Deserialize` for a [`Wire`] type as the hex of its encoding.
macro_rules! wire_serde {
    ($ty:ty) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $crate::codec::serialize_hex(&$crate::codec::Wire::encode(self), serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str($crate::codec::HexVisitor::<$ty>::new())
            }
        }
    };
}
pub(crate) use wire_serde;

/// Gives a [`Wire`] type the inherent `to_bytes`/`from_bytes` of the crate's one codec
/// vocabulary, so that no caller needs the trait (`to_bytes` only, for a type whose
/// `from_bytes` returns its own richer error).
macro_rules! wire_bytes {
    ($ty:ty) => {
        $crate::codec::wire_bytes!($ty, to_bytes);
        impl $ty {
            /// Decodes the canonical encoding (see the type's layout), refusing anything else:
            /// wrong lengths, trailing bytes, non-canonical points and scalars.
            ///
            /// # Errors
            /// An [`EncodingError`](crate::EncodingError) naming the field that was wrong.
            pub fn from_bytes(bytes: &[u8]) -> Result<Self, $crate::error::EncodingError> {
                <Self as $crate::codec::Wire>::decode(bytes)
            }
        }
    };
    ($ty:ty, to_bytes) => {
        impl $ty {
            /// The canonical encoding (see the type's layout); its JSON form is the lowercase hex
            /// of these bytes.
            pub fn to_bytes(&self) -> Vec<u8> {
                <Self as $crate::codec::Wire>::encode(self)
            }
        }
    };
}
pub(crate) use wire_bytes;

/// The serde visitor behind [`wire_serde!`]: takes the text without copying it, refuses it by
/// its length if it is longer than the type's longest encoding, then decodes.
pub(crate) struct HexVisitor<T>(core::marker::PhantomData<T>);

impl<T> HexVisitor<T> {
    pub(crate) fn new() -> Self {
        Self(core::marker::PhantomData)
    }
}

impl<T: Wire> serde::de::Visitor<'_> for HexVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "the lowercase hex of a {}", T::NAME)
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
        if text.len() > 2 * T::MAX_LEN {
            return Err(E::custom(EncodingError::TooMany {
                field: T::NAME,
                count: text.len() / 2,
                limit: T::MAX_LEN,
            }));
        }
        // Most encodings (points, ciphertexts, proofs of a few branches) fit on the stack, which
        // spares a record's millions of fields an allocation each.
        let mut stack = [0u8; HEX_STACK_LEN];
        if let Some(buf) = stack.get_mut(..text.len() / 2) {
            decode_hex_into(text, buf, T::NAME).map_err(E::custom)?;
            T::decode(buf).map_err(E::custom)
        } else {
            let bytes = decode_hex(text, T::NAME).map_err(E::custom)?;
            T::decode(&bytes).map_err(E::custom)
        }
    }
}

/// The longest encoding [`HexVisitor`] decodes into a stack buffer, and [`serialize_hex`]
/// encodes from one (a 1-of-2 ballot's longest field, a range proof of two branches, is 226
/// bytes). Every type with [`wire_serde!`] is
/// public data, so the buffer never holds a secret.
const HEX_STACK_LEN: usize = 512;

/// Serialises `bytes` as their lowercase hex (the JSON form of [`wire_serde!`]), through a stack
/// buffer when they fit in [`HEX_STACK_LEN`]: the record reader writes every value it parses
/// again to check the file's form (`spec/record.md` §1), and `hex::encode` (a `String` collected
/// from an iterator of characters) was about 2.5% of verifying a record.
pub(crate) fn serialize_hex<S: serde::Serializer>(
    bytes: &[u8],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::Error;
    let mut stack = [0u8; 2 * HEX_STACK_LEN];
    match stack.get_mut(..2 * bytes.len()) {
        Some(buf) => {
            hex::encode_to_slice(bytes, buf).map_err(S::Error::custom)?;
            serializer.serialize_str(core::str::from_utf8(buf).map_err(S::Error::custom)?)
        }
        None => serializer.serialize_str(&hex::encode(bytes)),
    }
}

/// Decodes lowercase hexadecimal text, naming `field` on failure. Uppercase is refused so that
/// every value has exactly one JSON text.
///
/// One pass without branches on the digits: fast on a record's hundreds of megabytes, and
/// constant time in the value (secret shares are read with it); only the length and whether the
/// whole text is valid are revealed.
pub fn decode_hex(text: &str, field: &'static str) -> Result<Vec<u8>, EncodingError> {
    let mut out = vec![0u8; text.len() / 2];
    decode_hex_into(text, &mut out, field)?;
    Ok(out)
}

/// [`decode_hex`] into `out`, which must be exactly half as long as `text` (else
/// [`EncodingError::InvalidHex`]).
fn decode_hex_into(text: &str, out: &mut [u8], field: &'static str) -> Result<(), EncodingError> {
    /// The value of a lowercase hex digit, and `0xff` in `bad` if `c` is not one.
    #[inline(always)]
    fn nibble(c: u8, bad: &mut u8) -> u8 {
        let digit = c.wrapping_sub(b'0');
        let letter = c.wrapping_sub(b'a');
        // 0xff when in range: (x − n) borrows into the high byte exactly when x < n.
        let is_digit = ((u16::from(digit).wrapping_sub(10)) >> 8) as u8;
        let is_letter = ((u16::from(letter).wrapping_sub(6)) >> 8) as u8;
        *bad |= !(is_digit | is_letter);
        (digit & is_digit) | (letter.wrapping_add(10) & is_letter)
    }
    let text = text.as_bytes();
    if text.len() % 2 != 0 || out.len() != text.len() / 2 {
        return Err(EncodingError::InvalidHex { field });
    }
    let mut bad = 0u8;
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *byte = (nibble(pair[0], &mut bad) << 4) | nibble(pair[1], &mut bad);
    }
    if bad != 0 {
        return Err(EncodingError::InvalidHex { field });
    }
    Ok(())
}

/// serde helper: an `Option` whose key must be present in JSON (`null` for `None`), so that
/// leaving a key out is not a second spelling of `null`.
pub(crate) fn required<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer)
}

/// serde helper: a JSON array of at most `outer` arrays of at most `inner` elements each (per
/// contest, per option), each limit enforced before what lies past it is decoded.
pub(crate) fn bounded_nested<'de, D, T>(
    deserializer: D,
    field: &'static str,
    outer: usize,
    inner: usize,
) -> Result<Vec<Vec<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct Inner<T>(Vec<T>);

    struct InnerSeed<T> {
        field: &'static str,
        limit: usize,
        marker: core::marker::PhantomData<T>,
    }

    impl<'de, T: serde::Deserialize<'de>> serde::de::DeserializeSeed<'de> for InnerSeed<T> {
        type Value = Inner<T>;

        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Inner<T>, D::Error> {
            bounded_vec(d, self.field, self.limit).map(Inner)
        }
    }

    struct Outer<T> {
        field: &'static str,
        outer: usize,
        inner: usize,
        marker: core::marker::PhantomData<T>,
    }

    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Outer<T> {
        type Value = Vec<Vec<T>>;

        fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            write!(f, "an array of at most {} arrays", self.outer)
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            loop {
                if out.len() == self.outer {
                    return match seq.next_element::<serde::de::IgnoredAny>()? {
                        Some(_) => Err(serde::de::Error::custom(EncodingError::TooMany {
                            field: self.field,
                            count: self.outer + 1,
                            limit: self.outer,
                        })),
                        None => Ok(out),
                    };
                }
                let seed = InnerSeed {
                    field: self.field,
                    limit: self.inner,
                    marker: core::marker::PhantomData,
                };
                match seq.next_element_seed(seed)? {
                    Some(Inner(v)) => out.push(v),
                    None => return Ok(out),
                }
            }
        }
    }

    deserializer.deserialize_seq(Outer {
        field,
        outer,
        inner,
        marker: core::marker::PhantomData,
    })
}

/// serde helper: a JSON array of at most `limit` elements, refused as soon as the element past
/// the limit starts, before it is decoded.
pub(crate) fn bounded_vec<'de, D, T>(
    deserializer: D,
    field: &'static str,
    limit: usize,
) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct Bounded<T> {
        field: &'static str,
        limit: usize,
        marker: core::marker::PhantomData<T>,
    }

    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Bounded<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            write!(f, "an array of at most {} elements", self.limit)
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(self.limit));
            while let Some(item) = {
                if out.len() == self.limit {
                    // One more element would exceed the limit: look without decoding it.
                    match seq.next_element::<serde::de::IgnoredAny>()? {
                        Some(_) => {
                            return Err(serde::de::Error::custom(EncodingError::TooMany {
                                field: self.field,
                                count: self.limit + 1,
                                limit: self.limit,
                            }));
                        }
                        None => None,
                    }
                } else {
                    seq.next_element()?
                }
            } {
                out.push(item);
            }
            Ok(out)
        }
    }

    deserializer.deserialize_seq(Bounded {
        field,
        limit,
        marker: core::marker::PhantomData,
    })
}

/// A reader over an encoded object that names the field of every failure and refuses trailing
/// bytes. Every binary decoder in nullivote is written with it, so that lengths are checked
/// before any allocation or group operation.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// Takes the next `n` bytes.
    pub(crate) fn take(
        &mut self,
        n: usize,
        field: &'static str,
    ) -> Result<&'a [u8], EncodingError> {
        if self.bytes.len() < n {
            return Err(EncodingError::Truncated {
                field,
                needed: n,
                remaining: self.bytes.len(),
            });
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub(crate) fn element(&mut self, field: &'static str) -> Result<Element, EncodingError> {
        Element::decode_as(self.take(ELEMENT_LEN, field)?, field)
    }

    pub(crate) fn scalar(&mut self, field: &'static str) -> Result<Scalar, EncodingError> {
        decode_scalar(self.take(SCALAR_LEN, field)?, field)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, EncodingError> {
        Ok(self.take(1, field)?[0])
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, EncodingError> {
        let b = self.take(2, field)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, EncodingError> {
        let mut out = [0u8; 8];
        out.copy_from_slice(self.take(8, field)?);
        Ok(u64::from_be_bytes(out))
    }

    /// A u16 count, refused with [`EncodingError::TooMany`] above `limit` (before anything is
    /// allocated for it).
    pub(crate) fn count16(
        &mut self,
        field: &'static str,
        limit: usize,
    ) -> Result<usize, EncodingError> {
        let count = usize::from(self.u16(field)?);
        if count > limit {
            return Err(EncodingError::TooMany {
                field,
                count,
                limit,
            });
        }
        Ok(count)
    }

    /// The next two bytes as a big-endian u16, without consuming them.
    pub(crate) fn peek_u16(&self, field: &'static str) -> Result<u16, EncodingError> {
        match self.bytes {
            [a, b, ..] => Ok(u16::from_be_bytes([*a, *b])),
            _ => Err(EncodingError::Truncated {
                field,
                needed: 2,
                remaining: self.bytes.len(),
            }),
        }
    }

    pub(crate) fn array32(&mut self, field: &'static str) -> Result<[u8; 32], EncodingError> {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.take(32, field)?);
        Ok(out)
    }

    /// Bytes left to read, for bounding a count before allocating for it.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len()
    }

    /// Ends decoding; anything left over is an error.
    pub(crate) fn finish(self, field: &'static str) -> Result<(), EncodingError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(EncodingError::TrailingBytes {
                field,
                count: self.bytes.len(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any bytes up to 2,000 long: a [`Wire`] type to read through [`HexVisitor`].
    #[derive(Debug, PartialEq)]
    struct Blob(Vec<u8>);

    impl Wire for Blob {
        const NAME: &'static str = "blob";
        const MAX_LEN: usize = 2000;
        fn encode(&self) -> Vec<u8> {
            self.0.clone()
        }
        fn decode(bytes: &[u8]) -> Result<Self, EncodingError> {
            Ok(Self(bytes.to_vec()))
        }
    }

    wire_serde!(Blob);

    #[test]
    fn hex_fields_decode_alike_on_the_stack_and_on_the_heap() {
        for len in [
            0,
            1,
            HEX_STACK_LEN - 1,
            HEX_STACK_LEN,
            HEX_STACK_LEN + 1,
            2000,
        ] {
            let blob = Blob((0..len).map(|i| (i * 7 + 3) as u8).collect());
            let json = serde_json::to_string(&blob).unwrap();
            // Written as the lowercase hex of the bytes on either path of `serialize_hex`.
            assert_eq!(json, format!("\"{}\"", hex::encode(&blob.0)), "{len}");
            assert_eq!(serde_json::from_str::<Blob>(&json).unwrap(), blob, "{len}");
            // A bad digit is refused on either path.
            if len > 0 {
                let bad = json.replacen('0', "g", 1).replacen('3', "G", 1);
                assert!(serde_json::from_str::<Blob>(&bad).is_err(), "{len}");
            }
        }
        let odd = format!("\"{}\"", "a".repeat(2 * HEX_STACK_LEN - 1));
        assert!(serde_json::from_str::<Blob>(&odd).is_err());
        // Too long is refused by its length, and the message names how long it was.
        let long = format!("\"{}\"", "00".repeat(2001));
        let err = serde_json::from_str::<Blob>(&long).unwrap_err().to_string();
        let expected = EncodingError::TooMany {
            field: "blob",
            count: 2001,
            limit: 2000,
        }
        .to_string();
        assert!(err.starts_with(&expected), "{err}");
    }

    #[derive(serde::Deserialize, Debug)]
    struct Limited {
        #[serde(deserialize_with = "three")]
        items: Vec<u8>,
        #[serde(deserialize_with = "required")]
        maybe: Option<u8>,
    }

    fn three<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        bounded_vec(d, "items", 3)
    }

    #[derive(serde::Deserialize, Debug)]
    struct Nested {
        #[serde(deserialize_with = "two_by_two")]
        items: Vec<Vec<u8>>,
    }

    fn two_by_two<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        bounded_nested(d, "items", 2, 2)
    }

    #[test]
    fn bounded_nested_arrays() {
        let ok: Nested = serde_json::from_str(r#"{"items":[[1,2],[]]}"#).unwrap();
        assert_eq!(ok.items, vec![vec![1, 2], vec![]]);
        for bad in [r#"{"items":[[1],[2],[3]]}"#, r#"{"items":[[1,2,3]]}"#] {
            let err = serde_json::from_str::<Nested>(bad).unwrap_err();
            assert!(err.to_string().contains("exceeds the limit of 2"), "{err}");
        }
    }

    #[test]
    fn bounded_arrays_and_required_options() {
        let ok: Limited = serde_json::from_str(r#"{"items":[1,2,3],"maybe":null}"#).unwrap();
        assert_eq!((ok.items, ok.maybe), (vec![1, 2, 3], None));
        let err = serde_json::from_str::<Limited>(r#"{"items":[1,2,3,4],"maybe":1}"#).unwrap_err();
        assert!(err.to_string().contains("exceeds the limit of 3"), "{err}");
        assert!(serde_json::from_str::<Limited>(r#"{"items":[]}"#).is_err());
    }

    #[test]
    fn reader_refuses_trailing_and_truncated() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16("a").unwrap(), 0x0102);
        assert!(matches!(
            r.take(2, "b"),
            Err(EncodingError::Truncated {
                field: "b",
                needed: 2,
                remaining: 1
            })
        ));
        assert_eq!(
            r.finish("x"),
            Err(EncodingError::TrailingBytes {
                field: "x",
                count: 1
            })
        );
    }

    #[test]
    fn hex_errors_name_the_field() {
        assert_eq!(
            decode_hex("zz", "f"),
            Err(EncodingError::InvalidHex { field: "f" })
        );
        assert_eq!(decode_hex("0aff", "f").unwrap(), vec![0x0a, 0xff]);
    }

    #[test]
    fn hex_is_exactly_lowercase_pairs() {
        // Every byte value agrees with the hex crate's encoder, and every character outside
        // 0-9a-f is refused, alone or among valid ones, as is an odd length.
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode_hex(&hex::encode(&all), "f").unwrap(), all);
        assert_eq!(decode_hex("", "f").unwrap(), Vec::<u8>::new());
        for c in 0..=255u8 {
            let valid = c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
            let text = [b'0', c, b'a', b'b'];
            if let Ok(text) = core::str::from_utf8(&text) {
                assert_eq!(decode_hex(text, "f").is_ok(), valid, "{c:#04x}");
            }
        }
        assert!(decode_hex("0A", "f").is_err());
        assert!(decode_hex("abc", "f").is_err());
        // The neighbours of the ranges, in the high nibble too, and non-ASCII text.
        for bad in ["g0", "A0", ":0", "/0", "`0", "0g", "0`", "é", "00é0"] {
            assert!(decode_hex(bad, "f").is_err(), "{bad}");
        }
    }
}
