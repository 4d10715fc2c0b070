//! Cache hints for callers whose next accesses are known but far apart in
//! memory (a scheduler about to resume one of a million parked tasks).
//!
//! A prefetch is only a hint: it never faults and changes no value, so
//! the safe wrappers take a reference (the address is live anyway) and
//! compile to nothing on targets without the instruction.

/// Bytes per cache line on the targets we run on.
const LINE: usize = 64;

/// Asks the CPU to bring every cache line of `*r` into cache (for reading),
/// without waiting for them: the miss overlaps with whatever runs next.
#[inline(always)]
pub fn prefetch<T>(r: &T) {
    let start = r as *const T as *const u8;
    let size = std::mem::size_of::<T>().max(1);
    let mut off = 0;
    while off < size {
        prefetch_line(start.wrapping_add(off));
        off += LINE;
    }
    // An object that starts mid-line may end on one more line.
    prefetch_line(start.wrapping_add(size - 1));
}

#[inline(always)]
fn prefetch_line(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: PREFETCHT0 is in every x86_64 CPU (SSE); it is a hint
        // that never faults and never reads into the program, so any
        // address is allowed. `p` is within a live object.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::prefetch;

    #[test]
    fn prefetch_reads_nothing_and_accepts_any_size_and_alignment() {
        let bytes = vec![7u8; 1000];
        prefetch(&());
        prefetch(&bytes[999]);
        let odd: &[u8; 300] = bytes[1..301].try_into().unwrap();
        prefetch(odd);
        assert!(bytes.iter().all(|&b| b == 7));
    }
}
