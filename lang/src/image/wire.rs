//! The image's byte-level encoding: little-endian fixed-width numbers,
//! LEB128 lengths and indices, length-prefixed byte strings, and the
//! checksum that guards the payload.
//!
//! Invariant: `In` never panics and never reads past its slice; every
//! getter returns `None` on short or malformed input, which the image
//! reader turns into a fallback to compiling the prelude.

/// Output buffer of the image writer.
#[derive(Default)]
pub struct Out {
    pub buf: Vec<u8>,
}

impl Out {
    pub fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    pub fn fixed(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// An unsigned LEB128 number.
    pub fn uint(&mut self, mut n: u64) {
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.buf.push(b);
                return;
            }
            self.buf.push(b | 0x80);
        }
    }

    /// A length-prefixed byte string.
    pub fn bytes(&mut self, b: &[u8]) {
        self.uint(b.len() as u64);
        self.buf.extend_from_slice(b);
    }
}

/// Input cursor of the image reader.
pub struct In<'a> {
    src: &'a [u8],
    pos: usize,
}

impl<'a> In<'a> {
    pub fn new(src: &'a [u8]) -> In<'a> {
        In { src, pos: 0 }
    }

    /// Bytes not read yet.
    pub fn bytes_left(&self) -> usize {
        self.src.len() - self.pos
    }

    pub fn at_end(&self) -> bool {
        self.pos == self.src.len()
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.src.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }

    pub fn byte(&mut self) -> Option<u8> {
        let b = *self.src.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    pub fn uint(&mut self) -> Option<u64> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    pub fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.uint()?).ok()
    }

    /// A count of items that each take at least one byte: larger than what
    /// is left means the input is corrupt (and must not size an allocation).
    pub fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.uint()?).ok()?;
        (n <= self.src.len() - self.pos).then_some(n)
    }

    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.count()?;
        self.take(n)
    }

    pub fn text(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }
}

/// A 64-bit checksum of `b`, eight bytes at a time. It detects torn and
/// corrupted files; it is not a defence against someone who can write the
/// cache directory (they can already change what the user runs).
pub fn checksum(b: &[u8]) -> u64 {
    let mut h: u64 = 0x243f_6a88_85a3_08d3 ^ b.len() as u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ w).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29);
    }
    for &c in chunks.remainder() {
        h = (h ^ c as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
    crate::objects::mix(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uint_round_trips_and_rejects_short_input() {
        let mut o = Out::default();
        for n in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            o.uint(n);
        }
        let mut i = In::new(&o.buf);
        for n in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            assert_eq!(i.uint(), Some(n));
        }
        assert!(i.at_end());
        assert_eq!(In::new(&[0x80, 0x80]).uint(), None);
        assert_eq!(In::new(&[5, 1, 2]).bytes(), None, "length past the end");
    }

    #[test]
    fn checksum_sees_one_flipped_bit() {
        let a = vec![7u8; 1000];
        let mut b = a.clone();
        b[500] ^= 4;
        assert_ne!(checksum(&a), checksum(&b));
        assert_ne!(checksum(&a), checksum(&a[..999]));
    }
}
