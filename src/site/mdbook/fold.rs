//! `[output.html.fold]`: sections of the sidebar fold away behind a toggle, as in mdBook. The
//! sidebar is drawn once per page by `js/toc.js` from the book's `toc.js` data, so folding
//! happens there: a section nested `d` deep starts open when `d <= level` or when it holds the
//! current page (`level = 0` starts every section folded); the toggle is a button (keyboard
//! reachable) whose `aria-expanded` follows the section. This module decides what the data says.

use crate::config::FoldConfig;

/// The fold level `toc.js` applies, or `None` when folding is off.
pub fn level(fold: &FoldConfig) -> Option<u8> {
    fold.enable.then_some(fold.level)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_unless_enabled() {
        assert_eq!(
            level(&FoldConfig {
                enable: false,
                level: 3
            }),
            None
        );
        assert_eq!(
            level(&FoldConfig {
                enable: true,
                level: 0
            }),
            Some(0)
        );
    }
}
