//! Times as users type them (`10m`, ISO 8601) and as pipewright prints them.

use aws_sdk_codepipeline::primitives::{DateTime, DateTimeFormat};

/// Epoch milliseconds as ISO 8601 (UTC, milliseconds).
#[must_use]
pub fn iso(millis: i64) -> String {
    let time = DateTime::from_millis(millis);
    time.fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| millis.to_string())
}

/// `--since`: `30s`, `10m`, `2h`, `1d`, `1w` before `now_ms`, or an ISO 8601 time.
pub fn parse_since(text: &str, now_ms: i64) -> Result<i64, String> {
    let text = text.trim();
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let unit = &text[digits.len()..];
    if !digits.is_empty() {
        let unit_ms: Option<i64> = match unit {
            "s" => Some(1_000),
            "m" => Some(60_000),
            "h" => Some(3_600_000),
            "d" => Some(86_400_000),
            "w" => Some(604_800_000),
            _ => None,
        };
        if let Some(unit_ms) = unit_ms {
            let amount: i64 = digits
                .parse()
                .map_err(|_| format!("`{text}` is too large"))?;
            return Ok(now_ms.saturating_sub(amount.saturating_mul(unit_ms)));
        }
    }
    DateTime::from_str(text, DateTimeFormat::DateTime)
        .ok()
        .and_then(|t| t.to_millis().ok())
        .ok_or_else(|| {
            format!("`{text}` is neither a duration (30s, 10m, 2h, 1d, 1w) nor an ISO 8601 time")
        })
}

#[cfg(test)]
mod tests {
    use super::{iso, parse_since};

    #[test]
    fn durations_count_back_from_now() {
        assert_eq!(parse_since("10m", 1_000_000), Ok(400_000));
        assert_eq!(parse_since("1d", 100_000_000), Ok(13_600_000));
    }

    #[test]
    fn iso_times_round_trip() {
        let ms = parse_since("2024-05-01T10:00:00Z", 0).expect("parses");
        assert_eq!(iso(ms), "2024-05-01T10:00:00Z");
        assert!(parse_since("yesterday", 0).is_err());
    }
}
