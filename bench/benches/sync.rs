//! Placeholder: the sync benchmarks land with their crate.
fn main() {}
