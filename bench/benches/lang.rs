//! Placeholder: the lang benchmarks land with their crate.
fn main() {}
