//! Numbers for people: money to the cent, quantities grouped by thousands. Shared by the table
//! (`display`) and the lines' details (`estimate`), so both write a number the same way.

/// Dollars to the cent; a non-zero amount below half a cent says so rather than `$0.00`.
#[must_use]
pub fn usd(value: f64) -> String {
    if value > 0.0 && value < 0.005 {
        "< $0.01".to_owned()
    } else {
        format!("${}", group(&format!("{value:.2}")))
    }
}

/// A quantity: whole numbers grouped by thousands, fractions to three significant places.
#[must_use]
pub fn quantity(value: f64) -> String {
    if value.fract() == 0.0 {
        return group(&format!("{value:.0}"));
    }
    if value > 0.0 && value < 0.001 {
        return "< 0.001".to_owned();
    }
    let text = format!("{value:.3}");
    group(text.trim_end_matches('0').trim_end_matches('.'))
}

/// `12345.67` → `12,345.67`.
fn group(number: &str) -> String {
    let (whole, fraction) = number
        .split_once('.')
        .map_or((number, None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(f) => format!("{grouped}.{f}"),
        None => grouped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_quantities_read_well() {
        assert_eq!(usd(0.0), "$0.00");
        assert_eq!(usd(0.001), "< $0.01");
        assert_eq!(usd(1.2), "$1.20");
        assert_eq!(usd(12_345.678), "$12,345.68");
        assert_eq!(quantity(700.0), "700");
        assert_eq!(quantity(1_000.0), "1,000");
        assert_eq!(quantity(0.244_140_625), "0.244");
        assert_eq!(quantity(0.000_01), "< 0.001");
        assert_eq!(quantity(2.5), "2.5");
    }
}
