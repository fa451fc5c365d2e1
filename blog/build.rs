//! Embeds the revision files of `migrations/versions/` in the binary: writes
//! `$OUT_DIR/migrations.rs` with `&[("<file name>", include_str!("<path>")), ...]`.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let versions = manifest.join("migrations").join("versions");
    println!("cargo:rerun-if-changed={}", versions.display());

    let mut files: Vec<PathBuf> = match std::fs::read_dir(&versions) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                path.is_file() && name.ends_with(".toml") && !name.starts_with('.')
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();

    let mut code = String::from("&[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().and_then(|n| n.to_str()).expect("the filter kept UTF-8 names");
        writeln!(code, "    ({name:?}, include_str!({:?})),", path.display().to_string()).expect("writing to a String");
    }
    code.push_str("]\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("migrations.rs");
    std::fs::write(&out, code).expect("OUT_DIR is writable");
}
