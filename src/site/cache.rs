//! The persistent results cache: the outcome of every network and optimizer study, stored in
//! the book's `.gradbook-cache/` folder under a hash of everything it depends on — its kind,
//! its file's text (the study's settings) and the gradbook build — so a build after a prose
//! or template edit skips the computations. Computations never see the cache: the site layer
//! asks it before running one and fills it after.
//!
//! An entry is one file, `<key in hex>.gbc`: a magic line, the key, the payload's length, the
//! payload (the result in CBOR) and a SHA-256 of key and payload. A file that is truncated,
//! altered, from another build, a symbolic link, or not ours at all is a miss, never an
//! error: the computation runs and the entry is rewritten (a file gradbook did not write is
//! never replaced). Autograd scripts are not cached: they take well under a millisecond. The
//! entry files are a [`Store`], which the highlight cache (`site::highlight::cache`) shares.

use crate::compute::{self, Kind, Outcome};
use crate::diag::SpanError;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The cache folder's name in the book root.
pub const DIR_NAME: &str = ".gradbook-cache";

/// The gradbook build an entry belongs to: the crate version and a digest of the sources
/// and locked dependencies that computations are made of (see `build.rs`), so any change
/// to a computation's code invalidates its entries.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "+",
    env!("GRADBOOK_COMPUTE_DIGEST")
);

/// First bytes of every results entry (and of nothing else gradbook writes).
const MAGIC: &[u8; 16] = b"gradbook-cache1\n";

/// Entries larger than this are not read (the default book's largest is about 1 MiB).
const MAX_ENTRY: u64 = 256 << 20;

/// A key: the SHA-256 of what an outcome depends on.
pub type Key = [u8; 32];

/// A folder of checked entries, one file per key (`<key in hex>.<extension>`), each framed by
/// a magic line, the key, the payload's length and a SHA-256 of key and payload. The results
/// cache and the highlight cache each keep their entries in one, told apart by magic and
/// extension.
#[derive(Debug)]
pub struct Store {
    dir: Option<PathBuf>,
    magic: &'static [u8; 16],
    extension: &'static str,
}

impl Store {
    /// The store in `<root>/.gradbook-cache/` of the entries starting with `magic` and named
    /// `*.extension`. When that folder's name is taken by a symbolic link or by something that
    /// is not a folder, the store is off.
    pub fn for_book(root: &Path, magic: &'static [u8; 16], extension: &'static str) -> Store {
        let dir = root.join(DIR_NAME);
        let usable = match fs::symlink_metadata(&dir) {
            Ok(meta) => meta.is_dir(),
            Err(err) => err.kind() == std::io::ErrorKind::NotFound,
        };
        Store {
            dir: usable.then_some(dir),
            magic,
            extension,
        }
    }

    /// A store that never holds anything.
    pub fn disabled(magic: &'static [u8; 16], extension: &'static str) -> Store {
        Store {
            dir: None,
            magic,
            extension,
        }
    }

    fn entry(&self, key: &Key) -> Option<PathBuf> {
        Some(
            self.dir
                .as_ref()?
                .join(format!("{}.{}", hex(key), self.extension)),
        )
    }

    /// The payload stored under `key`, if its entry is sound.
    pub fn get(&self, key: &Key) -> Option<Vec<u8>> {
        let path = self.entry(key)?;
        let meta = fs::symlink_metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > MAX_ENTRY {
            return None;
        }
        let bytes = fs::read(&path).ok()?;
        unframe(self.magic, key, &bytes).map(<[u8]>::to_vec)
    }

    /// Store `payload` under `key`; failures (a read-only book, a full disk) only mean the
    /// next build does the work again.
    pub fn put(&self, key: &Key, payload: &[u8]) {
        let (Some(dir), Some(path)) = (self.dir.as_ref(), self.entry(key)) else {
            return;
        };
        if let Ok(meta) = fs::symlink_metadata(&path)
            && !(meta.is_file() && starts_with_magic(&path, self.magic))
        {
            return; // not ours: leave it alone
        }
        if let Err(err) = fs::create_dir(dir)
            && err.kind() != std::io::ErrorKind::AlreadyExists
        {
            return;
        }
        if !fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir()) {
            return;
        }
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let tmp = dir.join(format!(
            ".{}.tmp-{}-{}",
            hex(key),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut file| file.write_all(&frame(self.magic, key, payload)));
        if written.and_then(|()| fs::rename(&tmp, &path)).is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }
}

/// The results cache of one book (or a disabled one that always misses).
#[derive(Debug)]
pub struct Cache {
    store: Store,
    version: String,
    hits: AtomicUsize,
}

/// The extension of results entries.
const EXTENSION: &str = "gbc";

impl Cache {
    /// The cache of the book rooted at `root`: `<root>/.gradbook-cache/`. When that name is
    /// taken by a symbolic link or by something that is not a folder, the cache is off.
    pub fn for_book(root: &Path) -> Cache {
        Cache {
            store: Store::for_book(root, MAGIC, EXTENSION),
            version: VERSION.to_string(),
            hits: AtomicUsize::new(0),
        }
    }

    /// A cache that never stores anything.
    pub fn disabled() -> Cache {
        Cache {
            store: Store::disabled(MAGIC, EXTENSION),
            version: VERSION.to_string(),
            hits: AtomicUsize::new(0),
        }
    }

    /// The same cache as seen by another gradbook build (tests use this to show that a new
    /// version invalidates every entry).
    pub fn with_version(mut self, version: &str) -> Cache {
        self.version = version.to_string();
        self
    }

    /// How many outcomes came from the cache so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }

    /// Run the computation of `kind` on `source`, or take its outcome from the cache.
    pub fn run(&self, kind: Kind, source: &str) -> Result<Outcome, SpanError> {
        if kind == Kind::Autograd {
            return compute::run(kind, source);
        }
        let key = key(kind, source, &self.version);
        if let Some(outcome) = self.store.get(&key).and_then(|p| decode(kind, &p)) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(outcome);
        }
        let outcome = compute::run(kind, source)?;
        if let Some(payload) = encode(&outcome) {
            self.store.put(&key, &payload);
        }
        Ok(outcome)
    }
}

/// The key of an outcome: the build, the kind and the source text.
pub fn key(kind: Kind, source: &str, version: &str) -> Key {
    key_of(&[version.as_bytes(), kind_tag(kind), source.as_bytes()])
}

/// The SHA-256 of `parts`, each prefixed by its length (so no byte can move from one part to
/// the next without changing the key).
pub fn key_of(parts: &[&[u8]]) -> Key {
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.finalize().into()
}

fn kind_tag(kind: Kind) -> &'static [u8] {
    match kind {
        Kind::Autograd => b"autograd",
        Kind::Network => b"network",
        Kind::Optimizer => b"optimizer",
    }
}

fn hex(key: &Key) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

fn starts_with_magic(path: &Path, magic: &[u8; 16]) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == magic)
}

fn checksum(key: &Key, payload: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(key);
    h.update(payload);
    h.finalize().into()
}

/// An entry's bytes: `payload` framed for `key`.
fn frame(magic: &[u8; 16], key: &Key, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(payload.len() + 96);
    bytes.extend_from_slice(magic);
    bytes.extend_from_slice(key);
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(payload);
    bytes.extend_from_slice(&checksum(key, payload));
    bytes
}

/// The payload in an entry's bytes, if they are a sound entry for `key`.
fn unframe<'a>(magic: &[u8; 16], key: &Key, bytes: &'a [u8]) -> Option<&'a [u8]> {
    let rest = bytes.strip_prefix(magic.as_slice())?;
    let rest = rest.strip_prefix(key.as_slice())?;
    let (len, rest) = rest.split_first_chunk::<8>()?;
    let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
    if rest.len() != len.checked_add(32)? {
        return None;
    }
    let (payload, sum) = rest.split_at(len);
    (sum == checksum(key, payload)).then_some(payload)
}

/// The payload of `outcome` (`None` for kinds that are not cached).
fn encode(outcome: &Outcome) -> Option<Vec<u8>> {
    let mut payload = Vec::new();
    let written = match outcome {
        Outcome::Network(r) => ciborium::into_writer(r, &mut payload),
        Outcome::Optimizer(r) => ciborium::into_writer(r, &mut payload),
        Outcome::Autograd(_) => return None,
    };
    written.ok()?;
    Some(payload)
}

/// The outcome of `kind` in a payload, if it is one.
fn decode(kind: Kind, payload: &[u8]) -> Option<Outcome> {
    match kind {
        Kind::Network => ciborium::from_reader(payload).ok().map(Outcome::Network),
        Kind::Optimizer => ciborium::from_reader(payload).ok().map(Outcome::Optimizer),
        Kind::Autograd => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_of_the_key_matters() {
        let base = key(Kind::Network, "a = 1", "1.0+x");
        assert_ne!(base, key(Kind::Optimizer, "a = 1", "1.0+x"));
        assert_ne!(base, key(Kind::Network, "a = 2", "1.0+x"));
        assert_ne!(base, key(Kind::Network, "a = 1", "1.0+y"));
        // Parts are length-prefixed: moving a byte from one part to the next changes the key.
        assert_ne!(
            key(Kind::Network, "a", "1.0+x"),
            key(Kind::Network, "xa", "1.0+")
        );
        assert_eq!(base, key(Kind::Network, "a = 1", "1.0+x"));
    }

    #[test]
    fn damaged_entries_decode_to_nothing() {
        let source = "kind = \"optimizer\"";
        let k = key(Kind::Optimizer, source, VERSION);
        // A well-formed frame around a payload that is not a result.
        let mut payload = Vec::new();
        ciborium::into_writer(&vec![1.5_f64, 2.5], &mut payload).expect("encodes");
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&k);
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&payload);
        bytes.extend_from_slice(&checksum(&k, &payload));
        let decoded = |bytes: &[u8], kind| unframe(MAGIC, &k, bytes).and_then(|p| decode(kind, p));
        assert!(unframe(MAGIC, &k, &bytes).is_some());
        assert!(decoded(&bytes, Kind::Optimizer).is_none());
        assert!(decoded(&bytes, Kind::Network).is_none());
        // Every prefix, and a length field claiming more than the file holds.
        for end in 0..bytes.len() {
            assert!(unframe(MAGIC, &k, &bytes[..end]).is_none());
        }
        let mut long = bytes.clone();
        long[MAGIC.len() + 32..MAGIC.len() + 40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(unframe(MAGIC, &k, &long).is_none());
        // Pseudo-random bytes after a valid header, with a matching checksum: no panic.
        let mut x: u32 = 12345;
        for len in 0..200 {
            let junk: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (x >> 16) as u8
                })
                .collect();
            let mut bytes = MAGIC.to_vec();
            bytes.extend_from_slice(&k);
            bytes.extend_from_slice(&(junk.len() as u64).to_le_bytes());
            bytes.extend_from_slice(&junk);
            bytes.extend_from_slice(&checksum(&k, &junk));
            assert!(decoded(&bytes, Kind::Optimizer).is_none());
            assert!(decoded(&bytes, Kind::Network).is_none());
        }
    }
}
