//! The `version:` of a buildspec (0.2) or an appspec (0.0): a YAML number, never a string.
//!
//! The CodeDeploy agent reads appspec.yml with Ruby's `YAML.load` and accepts only the float 0.0;
//! a quoted `"0.0"` is rejected. So the version is a type of its own that serialises as a float and
//! reads back only that exact number, which also makes a template that quotes it fail at render
//! time instead of at deploy time.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The version `TENTHS / 10` (`FixedVersion<2>` is `0.2`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FixedVersion<const TENTHS: u8>;

/// `version: 0.2`
pub type BuildSpecVersion = FixedVersion<2>;
/// `version: 0.0`
pub type AppSpecVersion = FixedVersion<0>;

impl<const TENTHS: u8> FixedVersion<TENTHS> {
    fn value() -> f64 {
        f64::from(TENTHS) / 10.0
    }

    fn matches(number: f64) -> bool {
        (number - Self::value()).abs() < 1e-9
    }

    fn wrong<E: de::Error>(found: impl fmt::Display) -> E {
        E::custom(format_args!(
            "version must be the number {:.1}, found {found}",
            Self::value()
        ))
    }
}

impl<const TENTHS: u8> Serialize for FixedVersion<TENTHS> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(Self::value())
    }
}

impl<'de, const TENTHS: u8> Deserialize<'de> for FixedVersion<TENTHS> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(VersionVisitor::<TENTHS>)
    }
}

struct VersionVisitor<const TENTHS: u8>;

impl<const TENTHS: u8> Visitor<'_> for VersionVisitor<TENTHS> {
    type Value = FixedVersion<TENTHS>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the number {:.1}", FixedVersion::<TENTHS>::value())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if FixedVersion::<TENTHS>::matches(v) {
            Ok(FixedVersion)
        } else {
            Err(FixedVersion::<TENTHS>::wrong(v))
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        // An integer is never 0.2; `0` is rejected too, as the agent wants the float 0.0.
        Err(FixedVersion::<TENTHS>::wrong(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Err(FixedVersion::<TENTHS>::wrong(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Err(E::custom(format_args!(
            "version must be the number {:.1}, not the string {v:?}: remove the quotes",
            FixedVersion::<TENTHS>::value()
        )))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::render::yaml::{from_yaml, to_yaml};

    #[derive(Debug, Serialize, Deserialize)]
    struct Doc {
        version: AppSpecVersion,
    }

    #[test]
    fn appspec_version_is_the_number_zero() {
        let text = to_yaml(
            &Doc {
                version: FixedVersion,
            },
            "test",
        )
        .unwrap();
        assert_eq!(text, "version: 0.0\n");
        assert!(from_yaml::<Doc>(&text).is_ok());
    }

    #[test]
    fn quoted_or_integer_versions_are_rejected() {
        for text in [
            "version: \"0.0\"\n",
            "version: '0.0'\n",
            "version: 0\n",
            "version: 0.2\n",
        ] {
            let err = from_yaml::<Doc>(text).unwrap_err();
            assert!(err.message.contains("0.0"), "{text}: {err:?}");
        }
    }

    #[test]
    fn buildspec_version_is_zero_point_two() {
        #[derive(Serialize, Deserialize)]
        struct Build {
            version: BuildSpecVersion,
        }
        let text = to_yaml(
            &Build {
                version: FixedVersion,
            },
            "test",
        )
        .unwrap();
        assert_eq!(text, "version: 0.2\n");
        assert!(from_yaml::<Build>(&text).is_ok());
        assert!(from_yaml::<Build>("version: 0.1\n").is_err());
    }
}
