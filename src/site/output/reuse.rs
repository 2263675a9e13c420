//! Unchanged files of the previous site are hard-linked into the staging folder instead of
//! written again: a rebuild then allocates (and the swap later frees) no inode and no block for
//! them, which on ext4 was half of a large book's build time. Only a regular file with one
//! link, reached through real folders of the previous site (never a symbolic link) and with
//! exactly the bytes the build would write, is reused; anything else is written as before.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The previous site, checked to be one, as the source of reusable files.
pub struct Previous {
    root: PathBuf,
    /// Folders of the previous site known to be real folders (not links), relative paths.
    real_dirs: HashSet<String>,
}

impl Previous {
    /// Reuse files of the site at `root` (a folder already checked to carry the marker).
    pub fn new(root: &Path) -> Previous {
        Previous {
            root: root.to_path_buf(),
            real_dirs: HashSet::new(),
        }
    }

    /// Hard-link the previous site's `path` to `target` if it holds exactly `contents`; whether
    /// it did. `path` is a site path already checked to stay inside the site.
    pub fn link_if_same(&mut self, path: &str, contents: &[u8], target: &Path) -> bool {
        if !self.folders_are_real(path) {
            return false;
        }
        let old = self.root.join(path);
        let same = std::fs::symlink_metadata(&old).is_ok_and(|m| {
            m.file_type().is_file() && m.nlink() == 1 && m.len() == contents.len() as u64
        }) && std::fs::read(&old).is_ok_and(|bytes| bytes == contents);
        same && std::fs::hard_link(&old, target).is_ok()
    }

    /// Whether every folder on the way to `path` in the previous site is a real folder.
    fn folders_are_real(&mut self, path: &str) -> bool {
        let mut prefix = String::new();
        let mut parts: Vec<&str> = path.split('/').collect();
        parts.pop();
        for part in parts {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            if self.real_dirs.contains(&prefix) {
                continue;
            }
            let real = std::fs::symlink_metadata(self.root.join(&prefix))
                .is_ok_and(|m| m.file_type().is_dir());
            if !real {
                return false;
            }
            self.real_dirs.insert(prefix.clone());
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_identical_regular_files_inside_real_folders_are_linked() {
        let tmp = tempfile::tempdir().unwrap();
        let old = tmp.path().join("old");
        let new = tmp.path().join("new");
        let outside = tmp.path().join("outside");
        for d in [&old.join("part"), &new.join("part"), &outside] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(old.join("part/a.html"), "same").unwrap();
        std::fs::write(old.join("b.html"), "old text").unwrap();
        std::fs::write(outside.join("c.html"), "same").unwrap();
        std::os::unix::fs::symlink(&outside, old.join("linked")).unwrap();
        std::os::unix::fs::symlink(outside.join("c.html"), old.join("d.html")).unwrap();
        let mut previous = Previous::new(&old);

        assert!(previous.link_if_same("part/a.html", b"same", &new.join("part/a.html")));
        assert_eq!(std::fs::read(new.join("part/a.html")).unwrap(), b"same");
        // Changed bytes, a folder that is a link, a file that is a link, a missing file.
        assert!(!previous.link_if_same("b.html", b"new text", &new.join("b.html")));
        assert!(!previous.link_if_same("linked/c.html", b"same", &new.join("c.html")));
        assert!(!previous.link_if_same("d.html", b"same", &new.join("d.html")));
        assert!(!previous.link_if_same("e.html", b"", &new.join("e.html")));
        // A file already linked twice (here: the one just reused) is not linked again.
        assert!(!previous.link_if_same("part/a.html", b"same", &new.join("a2.html")));
        for name in ["b.html", "c.html", "d.html", "e.html", "a2.html"] {
            assert!(!new.join(name).exists(), "{name} was created");
        }
    }
}
