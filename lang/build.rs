//! Computes the boot-image fingerprint: a hash of every file under `src/`
//! (the prelude, the compiler, the core library, the image format itself)
//! and of the crate version. A cached prelude image is used only by a build
//! with the same fingerprint, so any change that could change an image
//! retires the old ones.

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=build.rs");
    let mut all = Vec::new();
    files(&src, &mut all);
    all.sort();
    // Two FNV-1a lanes with different offsets: 128 bits, no dependency.
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x6c62_272e_07bb_0142;
    let mut feed = |bytes: &[u8]| {
        for &c in bytes {
            a = (a ^ c as u64).wrapping_mul(0x100_0000_01b3);
            b = (b ^ c as u64).wrapping_mul(0x100_0000_01b3).rotate_left(5);
        }
    };
    feed(env!("CARGO_PKG_VERSION").as_bytes());
    for p in &all {
        let rel = p.strip_prefix(root).unwrap_or(p);
        feed(rel.to_string_lossy().as_bytes());
        feed(&[0]);
        feed(&std::fs::read(p).unwrap_or_default());
        feed(&[0]);
    }
    println!(
        "cargo:rustc-env=SPINDLE_IMAGE_FINGERPRINT={:016x}{:016x}",
        a, b
    );
}
