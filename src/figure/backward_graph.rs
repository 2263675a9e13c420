//! Backward graphs of autograd scripts (Q3), drawn through [`super::diagram`].

use crate::compute::autograd::GraphResult;

/// The figure kinds this module draws.
pub const KINDS: &[&str] = &[];

/// Draw figure `kind` of `result`; `None` if there is no such kind.
pub fn draw(result: &GraphResult, kind: &str, id_prefix: &str) -> Option<String> {
    let _ = (result, kind, id_prefix);
    None
}
