//! Amounts, exactly: the serde functions the generated models use for every
//! amount (`xtask/src/money.rs` says which fields those are), around
//! [`Decimal`].
//!
//! Hand-written because no crate does this: `rust_decimal`'s own serde
//! support writes one form for every field (a string, or a float that loses
//! digits), and reading a JSON number exactly needs serde_json's
//! `arbitrary_precision`, which would change every `serde_json::Number` in
//! a user's build. Here a number is read and written as its raw JSON text
//! (serde_json's `RawValue`), so `19.90` stays `19.90` byte for byte, never
//! `19.899999…`, whatever its size; each field keeps the wire form its
//! docs page gives (a JSON number, or a string), and reads the other too.

use std::str::FromStr;

pub use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// The text of an amount as the API may send it: a JSON number or a JSON
/// string holding one. More digits than a [`Decimal`] holds (28) is an
/// error, never a rounding.
fn parse(raw: &RawValue) -> Result<Decimal, String> {
    let text = raw.get().trim();
    let number = match text.strip_prefix('"') {
        Some(_) => serde_json::from_str::<String>(text).map_err(|e| e.to_string())?,
        None => text.to_string(),
    };
    let trimmed = number.trim();
    Decimal::from_str_exact(trimmed)
        .or_else(|_| {
            if trimmed.contains(['e', 'E']) {
                Decimal::from_scientific(trimmed)
            } else {
                Decimal::from_str(trimmed).and_then(|d| {
                    // Rounded: refuse rather than lose digits.
                    Err(rust_decimal::Error::ConversionTo(format!("{d}")))
                })
            }
        })
        .map_err(|_| format!("{text} is not an amount this client can hold exactly (a decimal of at most 28 digits)"))
}

fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let raw = Box::<RawValue>::deserialize(deserializer)?;
    parse(&raw).map_err(D::Error::custom)
}

fn read_opt<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
    let raw = Option::<Box<RawValue>>::deserialize(deserializer)?;
    match raw {
        // `null` is absent.
        Some(raw) if raw.get().trim() != "null" => parse(&raw).map(Some).map_err(D::Error::custom),
        _ => Ok(None),
    }
}

/// An amount the docs page types as a JSON number.
pub mod number {
    use super::*;

    /// Writes the decimal's exact text as a JSON number.
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        RawValue::from_string(value.to_string())
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }

    /// Reads a JSON number (or, leniently, a string holding one).
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        read(deserializer)
    }
}

/// [`number`], optional.
pub mod number_opt {
    use super::*;

    #[allow(missing_docs)]
    pub fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => super::number::serialize(value, serializer),
            None => serializer.serialize_none(),
        }
    }

    #[allow(missing_docs)]
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        read_opt(deserializer)
    }
}

/// An amount the docs page types as a string.
pub mod text {
    use super::*;

    /// Writes the decimal's exact text as a JSON string.
    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_string())
    }

    /// Reads a JSON string holding a decimal (or, leniently, a number).
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        read(deserializer)
    }
}

/// [`text`], optional.
pub mod text_opt {
    use super::*;

    #[allow(missing_docs)]
    pub fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => super::text::serialize(value, serializer),
            None => serializer.serialize_none(),
        }
    }

    #[allow(missing_docs)]
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        read_opt(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Both {
        #[serde(with = "number")]
        total: Decimal,
        #[serde(default, with = "text_opt", skip_serializing_if = "Option::is_none")]
        amount: Option<Decimal>,
    }

    /// Every amount of up to 13 integer digits and 2 decimals, negative
    /// ones too, round-trips byte for byte in both wire forms: the text
    /// read back writes the same text, never `19.989999…`.
    #[test]
    fn every_amount_of_13_digits_and_2_decimals_round_trips_byte_exact() {
        let mut rng = fastrand::Rng::with_seed(29);
        let mut cases: Vec<Decimal> = vec![
            Decimal::new(1999, 2),
            Decimal::new(1990, 2),
            Decimal::new(1, 2),
            Decimal::new(-5, 1),
            Decimal::new(999_999_999_999_999, 2),
            Decimal::ZERO,
        ];
        for _ in 0..30_000 {
            let mantissa = rng.i64(-999_999_999_999_999..=999_999_999_999_999);
            cases.push(Decimal::new(mantissa, rng.u32(0..=2)));
        }
        for amount in cases {
            let both = Both {
                total: amount,
                amount: Some(amount),
            };
            let text = serde_json::to_string(&both).expect("writes");
            assert_eq!(
                text,
                format!(r#"{{"total":{amount},"amount":"{amount}"}}"#),
                "{amount}"
            );
            let back: Both = serde_json::from_str(&text).expect("reads");
            assert_eq!(serde_json::to_string(&back).expect("writes"), text);
            assert_eq!(
                (back.total.scale(), back.amount),
                (amount.scale(), Some(amount))
            );
        }
    }

    #[test]
    fn amounts_keep_their_digits_and_their_wire_form() {
        let text = r#"{"total":19.90,"amount":"0.10"}"#;
        let both: Both = serde_json::from_str(text).expect("reads");
        assert_eq!(both.total.to_string(), "19.90");
        assert_eq!(serde_json::to_string(&both).expect("writes"), text);
        // Each form reads the other.
        let swapped: Both =
            serde_json::from_str(r#"{"total":"19.99","amount":0.1}"#).expect("lenient");
        assert_eq!(
            (
                swapped.total.to_string(),
                swapped.amount.map(|a| a.to_string())
            ),
            ("19.99".into(), Some("0.1".into()))
        );
        let absent: Both = serde_json::from_str(r#"{"total":1,"amount":null}"#).expect("null");
        assert_eq!(absent.amount, None);
        // 28 digits exactly; more is an error, never a rounding.
        let big: Both =
            serde_json::from_str(r#"{"total":1234567890123456789.123456789}"#).expect("28 digits");
        assert_eq!(big.total.to_string(), "1234567890123456789.123456789");
        for bad in [
            r#"{"total":1e300}"#,
            r#"{"total":0.12345678901234567890123456789012}"#,
            r#"{"total":"twelve"}"#,
            r#"{"total":true}"#,
        ] {
            let error = serde_json::from_str::<Both>(bad)
                .expect_err(bad)
                .to_string();
            assert!(
                error.contains("amount") || error.contains("invalid type"),
                "{bad}: {error}"
            );
        }
        let tiny: Both = serde_json::from_str(r#"{"total":1.5e2}"#).expect("scientific");
        assert_eq!(tiny.total, Decimal::from(150));
    }
}
