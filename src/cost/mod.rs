//! `pipewright cost`: what the spec's pipeline costs a month, line by line, offline.
//!
//! Prices are data (`prices.json`, each figure with its source and the date it was read), the
//! arithmetic is a pure function of the desired model and the usage assumptions
//! ([`Estimate::compute`]), and the result is one value printed for people ([`std::fmt::Display`],
//! a table) or machines (`Serialize`, `--output json`). Nothing here calls AWS.

mod display;
mod estimate;
mod numbers;
mod prices;

pub use estimate::{
    Assumption, DAYS_PER_MONTH, Estimate, GREEN_FLEET_MINUTES, LAMBDA_DEPLOY_MINUTES, Line,
    MINUTES_PER_BATCH, S3_DEPLOY_MINUTES, Usage, traffic_shift_minutes,
};
pub use numbers::{quantity, usd};
pub use prices::{Allowance, Price, PriceFile, RegionPrices, Selected};
