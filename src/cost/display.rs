//! The estimate for people: one table of lines, then what it assumed and what it left out.

use std::fmt;

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};

use super::estimate::{Estimate, Line};
use super::numbers::{quantity, usd};

/// Columns the table wraps to: the same on every terminal, so the output is reproducible.
const TABLE_WIDTH: u16 = 100;

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let region = if self.region == self.prices_region {
            self.region.clone()
        } else {
            format!("{} (priced as {})", self.region, self.prices_region)
        };
        writeln!(
            f,
            "Estimated monthly cost of {} in {region}, in {}: an estimate, not a quote.",
            self.pipeline, self.currency
        )?;
        writeln!(
            f,
            "No AWS call was made; account {} is a placeholder.",
            self.account
        )?;
        writeln!(f)?;
        writeln!(f, "{}", self.table())?;
        writeln!(f)?;
        let mut free: Vec<&str> = Vec::new();
        for line in self.lines.iter().filter(|l| l.free_tier_applied) {
            if !free.contains(&line.service.as_str()) {
                free.push(&line.service);
            }
        }
        if free.is_empty() {
            writeln!(f, "Free tier: none applied.")?;
        } else {
            writeln!(
                f,
                "Free tier: monthly allowances applied to {} (the Free column).",
                free.join(", ")
            )?;
        }
        writeln!(f)?;
        writeln!(f, "Assumptions (change them with the flags):")?;
        let width = self
            .assumptions
            .iter()
            .map(|a| a.what.chars().count() + a.value.chars().count() + 2)
            .max()
            .unwrap_or(0);
        for a in &self.assumptions {
            let text = format!("{}: {}", a.what, a.value);
            match &a.flag {
                Some(flag) => writeln!(f, "  {text:<width$}  {flag}")?,
                None => writeln!(f, "  {text}")?,
            }
        }
        writeln!(f)?;
        for note in &self.notes {
            writeln!(f, "{note}")?;
        }
        write!(
            f,
            "Prices: pipewright's price file, read on {} (--output json lists each price's source).",
            self.prices_read_on
        )
    }
}

impl Estimate {
    fn table(&self) -> Table {
        let mut table = Table::new();
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .force_no_tty()
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(TABLE_WIDTH)
            .set_header(vec![
                "Service",
                "Item",
                "Quantity",
                "Free",
                "Unit price",
                "Monthly",
            ]);
        for line in &self.lines {
            table.add_row(vec![
                Cell::new(&line.service),
                Cell::new(format!("{}\n{}", line.item, line.detail)),
                Cell::new(quantity_with_unit(line)).set_alignment(CellAlignment::Right),
                Cell::new(if line.free_tier_applied {
                    quantity(line.free_quantity)
                } else {
                    "-".to_owned()
                })
                .set_alignment(CellAlignment::Right),
                Cell::new(unit_price(line)).set_alignment(CellAlignment::Right),
                Cell::new(usd(line.monthly_usd)).set_alignment(CellAlignment::Right),
            ]);
        }
        table.add_row(vec![
            Cell::new("Total"),
            Cell::new(""),
            Cell::new(""),
            Cell::new(""),
            Cell::new(""),
            Cell::new(usd(self.total_usd)).set_alignment(CellAlignment::Right),
        ]);
        table
    }
}

/// `700 min`; requests, priced per thousand, are shown one by one (`2,200 requests`).
fn quantity_with_unit(line: &Line) -> String {
    match line.unit.strip_prefix("1k ") {
        Some(unit) => format!("{} {unit}", quantity(line.quantity * 1000.0)),
        None => format!("{} {}", quantity(line.quantity), line.unit),
    }
}

/// A unit price with all its digits (`$0.0004`), at least to the cent (`$1.00`).
fn unit_price(line: &Line) -> String {
    let digits = format!("{}", line.unit_price);
    let decimals = digits.split_once('.').map_or(0, |(_, d)| d.len());
    let amount = if decimals < 2 {
        format!("{:.2}", line.unit_price)
    } else {
        digits
    };
    // Requests are priced per thousand: `$0.005/1k`.
    let unit = line
        .price_unit
        .strip_suffix(" requests")
        .unwrap_or(&line.price_unit);
    format!("${amount}/{unit}")
}
