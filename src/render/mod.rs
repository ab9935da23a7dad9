//! Generated files: `buildspec.yml` and `appspec.yml` (placeholder).
