//! Placeholder: the rt benchmarks land with their crate.
fn main() {}
