//! pipewright: one declarative `pipewright.yml` in, a complete AWS delivery pipeline out.
//!
//! The layers each know one thing, and each uses only the layers below it (README,
//! "Architecture"):
//!
//! ```text
//! cli  error                                    arguments, printing, exit codes
//! observe apply diagnose push cost graph        the jobs
//! plan  render  aws                             pure diff; offline text; one adapter per service
//! model                                         desired and live resources, ownership, ARNs
//! spec                                          pipewright.yml → validated Spec, names; no AWS
//! output                                        how results are printed
//! ```

pub mod apply;
pub mod aws;
pub mod cli;
pub mod cost;
pub mod diagnose;
pub mod error;
pub mod graph;
pub mod model;
pub mod observe;
pub mod output;
pub mod plan;
pub mod push;
pub mod render;
pub mod spec;

pub use error::{Error, Result};
