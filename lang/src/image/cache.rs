//! Where boot images come from: the process keeps the first one it has
//! (compiled or loaded) for every later isolate, and the CLI also keeps one
//! on disk so a fresh process does not compile the prelude.
//!
//! The disk file is `prelude-<fingerprint>.img` under `$SPINDLE_CACHE_DIR`,
//! else `$XDG_CACHE_HOME/spindle`, else `~/.cache/spindle`;
//! `SPINDLE_NO_CACHE=1` turns it off. The fingerprint (from `build.rs`)
//! hashes every file of the crate's `src/` and its version, so an image is
//! only ever read by the build that wrote it.
//!
//! Invariant: nothing here can make booting fail. A missing, unreadable,
//! corrupt or mismatched file just means compiling (and writing the file
//! again); a file is written to a temporary name and renamed into place, so
//! a reader sees a whole image or none; an unwritable directory is only a
//! `--verbose` note.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The fingerprint of this build (see `build.rs`).
pub const FINGERPRINT: &str = env!("SPINDLE_IMAGE_FINGERPRINT");

/// The image every isolate of this process boots from, once there is one.
static PROCESS: OnceLock<Vec<u8>> = OnceLock::new();

/// The disk cache, when the program turned it on.
static DISK: OnceLock<Disk> = OnceLock::new();

struct Disk {
    /// The image file; `None` when the cache is off or has no home.
    path: Option<PathBuf>,
    verbose: bool,
}

/// Turns the disk cache on for this process (the `spindle` binary does;
/// embedders and tests boot from the in-process image only). With
/// `verbose`, notes about the cache go to stderr.
pub fn enable_disk(verbose: bool) {
    let path = dir().map(|d| d.join(format!("prelude-{}.img", FINGERPRINT)));
    let _ = DISK.set(Disk { path, verbose });
}

/// The cache directory the environment names, if any.
pub fn dir() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if var("SPINDLE_NO_CACHE").is_some_and(|v| v == "1") {
        return None;
    }
    if let Some(d) = var("SPINDLE_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = var("XDG_CACHE_HOME").map(PathBuf::from) {
        if d.is_absolute() {
            return Some(d.join("spindle"));
        }
    }
    var("HOME").map(|h| Path::new(&h).join(".cache").join("spindle"))
}

/// The process's image, if it has one yet.
pub fn process_image() -> Option<&'static [u8]> {
    PROCESS.get().map(|v| v.as_slice())
}

/// Keeps `img` as the process's image (the first one kept wins).
pub fn keep(img: Vec<u8>) {
    let _ = PROCESS.set(img);
}

/// A note for `--verbose`.
pub fn note(msg: &str) {
    if DISK.get().is_some_and(|d| d.verbose) {
        eprintln!("spindle: {}", msg);
    }
}

/// The disk image's path and bytes, when the disk cache is on and the file
/// can be read.
pub fn load_disk() -> Option<(&'static Path, Vec<u8>)> {
    let path = DISK.get()?.path.as_deref()?;
    match std::fs::read(path) {
        Ok(b) => Some((path, b)),
        Err(e) => {
            note(&format!(
                "no prelude image at {} ({}); compiling the prelude",
                path.display(),
                e
            ));
            None
        }
    }
}

/// Writes `img` to the disk cache (when it is on), atomically.
pub fn store_disk(img: &[u8]) {
    let Some(path) = DISK.get().and_then(|d| d.path.as_deref()) else {
        return;
    };
    if let Err(e) = write_atomically(path, img) {
        note(&format!(
            "cannot write prelude image {}: {}",
            path.display(),
            e
        ));
    }
}

fn write_atomically(path: &Path, img: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{}.{}.tmp", name, std::process::id()));
    let res = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(img))
        .and_then(|()| std::fs::rename(&tmp, path));
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}
