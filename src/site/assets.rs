//! Built-in templates and static assets, embedded in the binary.

/// Tera templates by name (relative to `templates/`).
pub const TEMPLATES: &[(&str, &str)] = &[];

/// Static files by their path in the site.
pub const STATIC: &[(&str, &[u8])] = &[];
