//! Drawings of 1-D networks (Q1), drawn through [`super::diagram`].

use crate::compute::network::StudyResult;

/// The figure kinds this module draws.
pub const KINDS: &[&str] = &[];

/// Draw figure `kind` of `result`; `None` if there is no such kind.
pub fn draw(result: &StudyResult, kind: &str, id_prefix: &str) -> Option<String> {
    let _ = (result, kind, id_prefix);
    None
}
