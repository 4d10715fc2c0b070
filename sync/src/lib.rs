//! spindle-sync: one futex wait table and the primitives built on it,
//! usable by OS threads and by tasks alike.
