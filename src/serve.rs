//! Live preview server (not built yet).
