//! The persistent highlight cache: the HTML of every highlighted code block, stored beside the
//! results in the book's `.gradbook-cache/` under a hash of the gradbook build's highlighter,
//! the fence's info string, the code and the hidden-lines settings. A rebuild whose code blocks
//! did not change then loads no syntax and compiles no regular expression (syntect compiles a
//! syntax's patterns on first use, which cost a third of a prose-edit rebuild).
//!
//! Entries are `<key in hex>.gbh` files in the results cache's frame (see [`Store`]): one that
//! is damaged, foreign or not valid UTF-8 is a miss, and the block is highlighted afresh.

use super::CodeConfig;
use crate::site::cache::{Key, Store, key_of};
use std::path::Path;

/// The gradbook build an entry belongs to: the crate version and a digest of the
/// highlighter's sources and the locked dependencies (see `build.rs`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "+",
    env!("GRADBOOK_HIGHLIGHT_DIGEST")
);

/// First bytes of every highlight entry.
const MAGIC: &[u8; 16] = b"gradbook-hilit1\n";

/// The extension of highlight entries.
const EXTENSION: &str = "gbh";

/// The highlight cache of one book (or a disabled one that always misses).
#[derive(Debug)]
pub struct Cache {
    store: Store,
    version: String,
}

impl Default for Cache {
    fn default() -> Cache {
        Cache::disabled()
    }
}

impl Cache {
    /// The cache of the book rooted at `root`, in `<root>/.gradbook-cache/`.
    pub fn for_book(root: &Path) -> Cache {
        Cache {
            store: Store::for_book(root, MAGIC, EXTENSION),
            version: VERSION.to_string(),
        }
    }

    /// A cache that never stores anything.
    pub fn disabled() -> Cache {
        Cache {
            store: Store::disabled(MAGIC, EXTENSION),
            version: VERSION.to_string(),
        }
    }

    /// The same cache as seen by another gradbook build.
    pub fn with_version(mut self, version: &str) -> Cache {
        self.version = version.to_string();
        self
    }

    /// [`super::code_block`], taken from the cache when this block was highlighted before.
    /// Plain-text blocks are not cached: they cost nothing to render.
    pub fn code_block(&self, info: &str, code: &str, config: &CodeConfig) -> String {
        if super::is_plain(super::language_of(info)) {
            return super::code_block(info, code, config);
        }
        let key = key(&self.version, info, code, config);
        if let Some(html) = self
            .store
            .get(&key)
            .and_then(|bytes| String::from_utf8(bytes).ok())
        {
            return html;
        }
        let html = super::code_block(info, code, config);
        self.store.put(&key, html.as_bytes());
        html
    }
}

/// The key of a block: the build, the info string, the code, every hidden-lines prefix and
/// the playground settings.
fn key(version: &str, info: &str, code: &str, config: &CodeConfig) -> Key {
    let mut parts: Vec<&[u8]> = vec![version.as_bytes(), info.as_bytes(), code.as_bytes()];
    for (language, prefix) in &config.hidelines {
        parts.push(language.as_bytes());
        parts.push(prefix.as_bytes());
    }
    // Last, after the pairs (every part is length-prefixed, so nothing is ambiguous).
    let playground = config.playground;
    let flags = [u8::from(playground.runnable), u8::from(playground.editable)];
    parts.push(&flags);
    key_of(&parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const CODE: &str = "# hidden\nfn main() { let x = \"<b>\"; }\n";

    fn hidelines(language: &str, prefix: &str) -> CodeConfig {
        CodeConfig {
            hidelines: BTreeMap::from([(language.to_string(), prefix.to_string())]),
            ..CodeConfig::default()
        }
    }

    fn playground(runnable: bool, editable: bool) -> CodeConfig {
        CodeConfig {
            playground: crate::site::mdbook::hidelines::Playground { runnable, editable },
            ..CodeConfig::default()
        }
    }

    fn entries(root: &Path) -> Vec<std::path::PathBuf> {
        let mut found: Vec<_> = std::fs::read_dir(root.join(crate::site::cache::DIR_NAME))
            .map(|dir| dir.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        found.retain(|p| p.extension().is_some_and(|e| e == EXTENSION));
        found.sort();
        found
    }

    #[test]
    fn a_cached_block_is_byte_identical_to_an_uncached_render() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let config = hidelines("python", "~");
        for (info, code) in [
            ("rust", CODE),
            ("rust,ignore", CODE),
            ("python", "~import os\ns = \"\"\"a\nb\"\"\"\n"),
            ("toml", "[book]\ntitle = \"A & B\"\n"),
            ("sh", "echo \"$HOME\" | wc -l\n"),
            ("\"><script>", "<img>\n"),
        ] {
            let uncached = super::super::code_block(info, code, &config);
            let cache = Cache::for_book(tmp.path());
            let first = cache.code_block(info, code, &config);
            let again = Cache::for_book(tmp.path()).code_block(info, code, &config);
            assert_eq!(first, uncached, "{info}: the first render");
            assert_eq!(again, uncached, "{info}: from the cache");
        }
        assert_eq!(entries(tmp.path()).len(), 6, "one entry per block");
    }

    #[test]
    fn a_hit_is_served_from_the_entry() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let config = CodeConfig::default();
        let cache = Cache::for_book(tmp.path());
        cache.code_block("rust", CODE, &config);
        let [entry] = entries(tmp.path()).try_into().expect("one entry");
        let k = key(VERSION, "rust", CODE, &config);
        Store::for_book(tmp.path(), MAGIC, EXTENSION).put(&k, b"<p>stored</p>");
        assert_eq!(cache.code_block("rust", CODE, &config), "<p>stored</p>");
        assert!(entry.exists());
    }

    #[test]
    fn a_changed_block_info_string_setting_or_build_misses() {
        let base = key(VERSION, "rust", CODE, &CodeConfig::default());
        assert_eq!(base, key(VERSION, "rust", CODE, &CodeConfig::default()));
        for other in [
            key(
                VERSION,
                "rust",
                &CODE.replace("<b>", "<i>"),
                &CodeConfig::default(),
            ),
            key(VERSION, "rust,ignore", CODE, &CodeConfig::default()),
            key(VERSION, "rust", CODE, &hidelines("rust", "~")),
            key("0.0.0+other", "rust", CODE, &CodeConfig::default()),
            key(VERSION, "rust", CODE, &playground(false, false)),
            key(VERSION, "rust", CODE, &playground(true, true)),
        ] {
            assert_ne!(base, other);
        }
        assert_ne!(
            key(VERSION, "rust", CODE, &hidelines("rust", "~")),
            key(VERSION, "rust", CODE, &hidelines("rust", "!"))
        );
        // The same block under those changes, through a cache: a new entry each time.
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let cache = Cache::for_book(tmp.path());
        cache.code_block("rust", CODE, &CodeConfig::default());
        cache.code_block("rust", &CODE.replace("<b>", "<i>"), &CodeConfig::default());
        cache.code_block("rust,ignore", CODE, &CodeConfig::default());
        cache.code_block("rust", CODE, &hidelines("rust", "~"));
        Cache::for_book(tmp.path())
            .with_version("0.0.0+other")
            .code_block("rust", CODE, &CodeConfig::default());
        assert_eq!(entries(tmp.path()).len(), 5);
    }

    #[test]
    fn corrupt_or_foreign_entries_are_ignored_and_rewritten() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let config = CodeConfig::default();
        let expected = super::super::code_block("python", "x = 1\n", &config);
        let cache = Cache::for_book(tmp.path());
        cache.code_block("python", "x = 1\n", &config);
        let [entry] = entries(tmp.path()).try_into().expect("one entry");
        let sound = std::fs::read(&entry).expect("the entry");
        // Truncated, or a flipped byte in the payload; then invalid UTF-8 in a sound frame.
        let mut flipped = sound.clone();
        flipped[60] ^= 1;
        for damaged in [sound[..sound.len() - 1].to_vec(), flipped] {
            std::fs::write(&entry, &damaged).expect("damaging the entry");
            assert_eq!(cache.code_block("python", "x = 1\n", &config), expected);
            assert_eq!(std::fs::read(&entry).expect("rewritten"), sound);
        }
        let k = key(VERSION, "python", "x = 1\n", &config);
        Store::for_book(tmp.path(), MAGIC, EXTENSION).put(&k, &[0xff, 0xfe]);
        assert_eq!(cache.code_block("python", "x = 1\n", &config), expected);
        // A file gradbook did not write is read as a miss and left alone.
        std::fs::write(&entry, "not ours").expect("a foreign file");
        assert_eq!(cache.code_block("python", "x = 1\n", &config), expected);
        assert_eq!(std::fs::read(&entry).expect("kept"), b"not ours");
    }

    #[test]
    fn plain_blocks_and_a_disabled_cache_store_nothing() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let cache = Cache::for_book(tmp.path());
        assert_eq!(
            cache.code_block("text", "a<b\n", &CodeConfig::default()),
            super::super::code_block("text", "a<b\n", &CodeConfig::default())
        );
        cache.code_block("", "x\n", &CodeConfig::default());
        assert!(entries(tmp.path()).is_empty());
        let html = Cache::disabled().code_block("rust", CODE, &CodeConfig::default());
        assert_eq!(
            html,
            super::super::code_block("rust", CODE, &CodeConfig::default())
        );
    }
}
