//! The estimate for people: one table of lines, then what it assumed and what it left out.

use std::fmt;

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};

use super::estimate::{Estimate, Line};
use super::numbers::{quantity, usd};

/// The widest the estimate prints, table and notes: an 80-column terminal shows it unwrapped,
/// and it is the same on every terminal, so the output is reproducible.
const WIDTH: usize = 80;

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let region = if self.region == self.prices_region {
            self.region.clone()
        } else {
            format!("{} (priced as {})", self.region, self.prices_region)
        };
        paragraph(
            f,
            "",
            &format!(
                "Estimated monthly cost of {} in {region}, in {}.",
                self.pipeline, self.currency
            ),
            "",
        )?;
        writeln!(f, "This is an estimate, not a quote.")?;
        writeln!(
            f,
            "No AWS call was made; account {} is a placeholder.",
            self.account
        )?;
        writeln!(f)?;
        writeln!(f, "{}", self.table())?;
        writeln!(f)?;
        self.write_counted(f)?;
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
            paragraph(
                f,
                "",
                &format!(
                    "Free tier: monthly allowances applied to {} (the Free column).",
                    free.join(", ")
                ),
                "",
            )?;
        }
        writeln!(f)?;
        self.write_assumptions(f)?;
        writeln!(f)?;
        for note in &self.notes {
            paragraph(f, "", note, "  ")?;
        }
        paragraph(
            f,
            "",
            &format!(
                "Prices: pipewright's price file, read on {} (--output json lists each price's \
                 source).",
                self.prices_read_on
            ),
            "",
        )
    }
}

/// `head` (kept as it is), then `text` wrapped to [`WIDTH`] between words, its later lines
/// indented by `indent`.
fn paragraph(f: &mut fmt::Formatter<'_>, head: &str, text: &str, indent: &str) -> fmt::Result {
    let mut line = head.to_owned();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            writeln!(f, "{line}")?;
            indent.clone_into(&mut line);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    writeln!(f, "{line}")
}

impl Estimate {
    /// How each line was counted: its unit price, then how its quantity was reached.
    fn write_counted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "How each line is counted (its unit price, then its quantity):"
        )?;
        for line in &self.lines {
            let text = format!(
                "{} {}: {}; {}",
                line.service,
                line.item,
                unit_price(line),
                line.detail
            );
            paragraph(f, "  ", &text, "    ")?;
        }
        Ok(())
    }

    /// Every usage figure the estimate rests on, after the flag that changes it.
    fn write_assumptions(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Assumptions (the flag that changes each):")?;
        let width = self
            .assumptions
            .iter()
            .filter_map(|a| a.flag.as_ref().map(|flag| flag.chars().count()))
            .max()
            .unwrap_or(0);
        let hanging = " ".repeat(width + 4);
        for a in &self.assumptions {
            let flag = a.flag.as_deref().unwrap_or("");
            let head = format!("  {flag:<width$}  ");
            paragraph(f, &head, &format!("{}: {}", a.what, a.value), &hanging)?;
        }
        Ok(())
    }

    /// Service by service, each line's quantity, the part the free tier covers and its cost;
    /// how each was counted goes below the table, so no cell wraps.
    fn table(&self) -> Table {
        let mut table = Table::new();
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .force_no_tty()
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(u16::try_from(WIDTH).unwrap_or(u16::MAX))
            .set_header(vec!["Service / item", "Quantity", "Free", "Monthly"]);
        let mut service = "";
        for line in &self.lines {
            if line.service != service {
                service = &line.service;
                table.add_row(vec![Cell::new(service)]);
            }
            table.add_row(vec![
                Cell::new(format!("  {}", line.item)),
                Cell::new(quantity_with_unit(line)).set_alignment(CellAlignment::Right),
                Cell::new(if line.free_tier_applied {
                    quantity(line.free_quantity)
                } else {
                    "-".to_owned()
                })
                .set_alignment(CellAlignment::Right),
                Cell::new(usd(line.monthly_usd)).set_alignment(CellAlignment::Right),
            ]);
        }
        table.add_row(vec![
            Cell::new("Total"),
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
