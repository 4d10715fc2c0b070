//! The one place bytecode meets the image format: every `Op` variant and
//! every `CaptureSrc` as a tag byte and its fields, both directions.
//!
//! Invariant: the variant list below is matched exhaustively when encoding,
//! so adding an `Op` variant without listing it here is a compile error
//! (never an image that silently decodes to something else). A tag is the
//! variant's position in the list; the list order is part of the image
//! format, and the build fingerprint (which hashes this file) retires every
//! cached image when it changes.

use super::wire::{In, Out};
use crate::bytecode::{CaptureSrc, Op};

/// An operand type of an instruction.
trait Field: Sized {
    fn put(self, out: &mut Out);
    fn get(inp: &mut In) -> Option<Self>;
}

macro_rules! int_field {
    ($($t:ty),*) => {$(
        impl Field for $t {
            fn put(self, out: &mut Out) {
                out.fixed(&self.to_le_bytes());
            }
            fn get(inp: &mut In) -> Option<Self> {
                Some(<$t>::from_le_bytes(inp.array()?))
            }
        }
    )*};
}
int_field!(u8, u16, i16, u32, i32);

impl Field for bool {
    fn put(self, out: &mut Out) {
        out.byte(self as u8);
    }
    fn get(inp: &mut In) -> Option<Self> {
        match inp.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

macro_rules! op_codec {
    ($($name:ident $(( $($f:ident : $t:ty),* ))?,)*) => {
        #[repr(u8)]
        enum Tag {
            $($name,)*
        }

        /// Appends `op` to `out`.
        pub fn put_op(op: Op, out: &mut Out) {
            match op {
                $(Op::$name $(($($f),*))? => {
                    out.byte(Tag::$name as u8);
                    $($(Field::put($f, out);)*)?
                })*
            }
        }

        /// Decoders indexed by tag.
        const DECODE: &[fn(&mut In) -> Option<Op>] = &[
            $(|_inp: &mut In| Some(Op::$name $(($(<$t as Field>::get(_inp)?),*))?),)*
        ];
    };
}

op_codec! {
    Nil(a: u16),
    Bool(a: u16, b: bool),
    Int(a: u16, b: i32),
    Const(a: u16, b: u32),
    Move(a: u16, b: u16),
    Capture(a: u16, b: u16),
    UpGet(a: u16, b: u16),
    UpSet(a: u16, b: u16),
    SelfFn(a: u16),
    Closure(a: u16, b: u32),
    RefGet(a: u16, b: u32),
    RefSet(a: u16, b: u32),
    DefGlobal(a: u16, b: u32),
    Jmp(a: i32),
    JmpIf(a: u16, b: i32),
    JmpIfNot(a: u16, b: i32),
    JmpLt(a: u16, b: u16, c: i16),
    JmpLe(a: u16, b: u16, c: i16),
    JmpEq(a: u16, b: u16, c: i16),
    JmpNotLt(a: u16, b: u16, c: i16),
    JmpNotLe(a: u16, b: u16, c: i16),
    JmpNotEq(a: u16, b: u16, c: i16),
    JmpLtK(a: u16, b: i16, c: i16),
    JmpNotLtK(a: u16, b: i16, c: i16),
    JmpLeK(a: u16, b: i16, c: i16),
    JmpNotLeK(a: u16, b: i16, c: i16),
    JmpGtK(a: u16, b: i16, c: i16),
    JmpNotGtK(a: u16, b: i16, c: i16),
    JmpGeK(a: u16, b: i16, c: i16),
    JmpNotGeK(a: u16, b: i16, c: i16),
    JmpEqK(a: u16, b: i16, c: i16),
    JmpNotEqK(a: u16, b: i16, c: i16),
    IncJmpLt(a: u16, b: u16, c: i16),
    NumLoop(a: u16, b: u16, c: i16),
    Add(a: u16, b: u16, c: u16),
    AddK(a: u16, b: u16, c: i16),
    Sub(a: u16, b: u16, c: u16),
    Mul(a: u16, b: u16, c: u16),
    MulK(a: u16, b: u16, c: i16),
    Div(a: u16, b: u16, c: u16),
    Lt(a: u16, b: u16, c: u16),
    Le(a: u16, b: u16, c: u16),
    Eq(a: u16, b: u16, c: u16),
    Neq(a: u16, b: u16, c: u16),
    Not(a: u16, b: u16),
    Get(a: u16, b: u16, c: u16),
    GetIdx(a: u16, b: u16, c: u16),
    SliceFrom(a: u16, b: u16, c: u16),
    Put(a: u16, b: u16, c: u16),
    Rem(a: u16, b: u16, c: u16),
    Call(a: u16, b: u16),
    TailCall(a: u16, b: u16),
    CallSelf(a: u16, b: u16),
    CallSplat(a: u16),
    TailCallSplat(a: u16),
    Ret(a: u16),
    RetNil,
    Close(a: u16),
    MkTuple(a: u16, b: u16, c: u16),
    MkBracket(a: u16, b: u16, c: u16),
    MkArray(a: u16, b: u16, c: u16),
    MkStruct(a: u16, b: u16, c: u16),
    MkTable(a: u16, b: u16, c: u16),
    Push(a: u16, b: u16),
    PushAll(a: u16, b: u16),
    Convert(a: u16, b: u16, c: u16),
    KeysStruct(a: u16, b: u16),
    Error(a: u32),
}

/// The next instruction of `inp`; `None` for an unknown tag or short input.
pub fn get_op(inp: &mut In) -> Option<Op> {
    let tag = inp.byte()?;
    DECODE.get(tag as usize)?(inp)
}

/// Appends a capture source to `out`.
pub fn put_capture(c: CaptureSrc, out: &mut Out) {
    match c {
        CaptureSrc::Reg(r) => {
            out.byte(0);
            r.put(out);
        }
        CaptureSrc::RegUpval(r) => {
            out.byte(1);
            r.put(out);
        }
        CaptureSrc::Capture(i) => {
            out.byte(2);
            i.put(out);
        }
        CaptureSrc::SelfFn => out.byte(3),
    }
}

/// The next capture source of `inp`.
pub fn get_capture(inp: &mut In) -> Option<CaptureSrc> {
    Some(match inp.byte()? {
        0 => CaptureSrc::Reg(u16::get(inp)?),
        1 => CaptureSrc::RegUpval(u16::get(inp)?),
        2 => CaptureSrc::Capture(u16::get(inp)?),
        3 => CaptureSrc::SelfFn,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_round_trip_and_bad_tags_fail() {
        let ops = [
            Op::Nil(3),
            Op::Bool(1, true),
            Op::Int(2, -70000),
            Op::Closure(4, 123456),
            Op::JmpNotGeK(9, -3, -200),
            Op::RetNil,
            Op::Error(u32::MAX),
        ];
        let mut out = Out::default();
        for op in ops {
            put_op(op, &mut out);
        }
        let mut inp = In::new(&out.buf);
        for op in ops {
            assert_eq!(get_op(&mut inp), Some(op));
        }
        assert!(inp.at_end());
        assert_eq!(get_op(&mut In::new(&[250])), None, "unknown tag");
        assert_eq!(
            get_op(&mut In::new(&[Tag::Bool as u8, 0, 0, 7])),
            None,
            "bad bool"
        );
        assert_eq!(
            get_op(&mut In::new(&[Tag::Int as u8, 0])),
            None,
            "short operands"
        );
    }

    #[test]
    fn captures_round_trip() {
        let cs = [
            CaptureSrc::Reg(7),
            CaptureSrc::RegUpval(8),
            CaptureSrc::Capture(9),
            CaptureSrc::SelfFn,
        ];
        let mut out = Out::default();
        for c in cs {
            put_capture(c, &mut out);
        }
        let mut inp = In::new(&out.buf);
        for c in cs {
            assert_eq!(get_capture(&mut inp), Some(c));
        }
        assert_eq!(get_capture(&mut In::new(&[4])), None);
    }
}
