//! Rebuilds when the bundled corpus changes: `include_dir!` notices edited files, not added
//! or removed ones; a directory here makes cargo scan all of it.

fn main() {
    println!("cargo:rerun-if-changed=scenarios");
    println!("cargo:rerun-if-changed=snapshots");
    println!("cargo:rerun-if-changed=build.rs");
}
