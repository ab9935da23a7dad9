//! Reading failures back and saying what they mean.

pub mod known;
