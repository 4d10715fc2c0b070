//! Restoring a boot image into an isolate fresh from `register_all`.
//!
//! Protocol:
//! 1. Check the magic, the fingerprint, that the isolate's baseline is the
//!    one the image was made against, and the payload checksum.
//! 2. Intern the prelude's names in their original order (each must get
//!    the id it had) and carry the gensym count over.
//! 3. Allocate an empty shell for every new object (or take the slot of a
//!    pre-prelude one), so every id has its `Value` before anything is read.
//! 4. Decode the prototypes (constants name objects by id) and append them.
//! 5. Fill the objects in image order; tables and structs are rebuilt from
//!    their pairs, so their hashes are this heap's. A pre-prelude table
//!    gets the prelude's puts applied to it instead, so the keys the
//!    prelude left alone keep this isolate's own values.
//!
//! Invariant: every index read is checked (ids, arena slots, names,
//! natives, prototypes), so bad bytes end in `Err`, never a panic. A failed
//! restore leaves the isolate half-written: the caller must drop it.

use super::opcodec::{get_capture, get_op};
use super::wire::{checksum, In};
use super::write::{PRE_FLAG, V_FALSE, V_KW, V_NATIVE, V_NIL, V_NUM, V_OBJ, V_PRE, V_SYM, V_TRUE};
use super::{Baseline, Kind, MAGIC};
use crate::bytecode::{Op, Proto};
use crate::isolate::Isolate;
use crate::objects::{hash_bytes, Closure, StrObj, TupleObj, Upval};
use crate::value::{Ref, Sym, Value};
use crate::vm::ops::table_from_pairs;
use std::sync::Arc;

/// Restores the image `img` into `iso` (fresh from `register_all`).
pub fn restore(iso: &mut Isolate, img: &[u8], fingerprint: &str) -> Result<(), String> {
    let mut inp = In::new(img);
    if inp.take(MAGIC.len()) != Some(&MAGIC[..]) {
        return Err("not a spindle image".into());
    }
    match inp.bytes() {
        Some(f) if f == fingerprint.as_bytes() => {}
        Some(_) => return Err("made by another build".into()),
        None => return Err("truncated".into()),
    }
    let base = Baseline::get(&mut inp).ok_or("truncated")?;
    if base != Baseline::of(iso) {
        return Err("made against another core library".into());
    }
    let sum = inp
        .array::<8>()
        .map(u64::from_le_bytes)
        .ok_or("truncated")?;
    let payload = inp.bytes().ok_or("truncated")?;
    if !inp.at_end() {
        return Err("trailing bytes".into());
    }
    if checksum(payload) != sum {
        return Err("checksum mismatch".into());
    }
    let mut r = Restorer {
        inp: In::new(payload),
        base,
        vals: Vec::new(),
    };
    r.run(iso).ok_or_else(|| "corrupt payload".to_string())
}

struct Restorer<'a> {
    inp: In<'a>,
    base: Baseline,
    /// The value of each image object id.
    vals: Vec<Value>,
}

impl Restorer<'_> {
    fn run(&mut self, iso: &mut Isolate) -> Option<()> {
        self.names(iso)?;
        let sources = self.sources()?;
        self.shells(iso)?;
        self.protos(iso, &sources)?;
        for id in 0..self.vals.len() {
            self.fill(iso, self.vals[id])?;
        }
        self.inp.at_end().then_some(())
    }

    fn names(&mut self, iso: &mut Isolate) -> Option<()> {
        let n = self.inp.count()?;
        for i in 0..n {
            let name = self.inp.bytes()?;
            let s = iso.heap.syms.intern(name);
            if s.0 as usize != self.base.syms as usize + i {
                return None;
            }
        }
        let g = self.inp.uint()?;
        iso.heap.syms.set_gensym_count(g);
        Some(())
    }

    fn sources(&mut self) -> Option<Vec<Arc<str>>> {
        let n = self.inp.count()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(Arc::from(self.inp.text()?));
        }
        Some(out)
    }

    fn shells(&mut self, iso: &mut Isolate) -> Option<()> {
        let n = self.inp.count()?;
        self.vals.reserve(n);
        let h = &mut iso.heap;
        for _ in 0..n {
            let b = self.inp.byte()?;
            let k = Kind::from_code(b & !PRE_FLAG)?;
            let r = if b & PRE_FLAG != 0 {
                let r = Ref(self.inp.u32()?);
                if !k.mutable() || !self.base.has(k, r) {
                    return None;
                }
                r
            } else {
                match k {
                    Kind::Str => h.strings.alloc(StrObj::default()),
                    Kind::Buf => h.buffers.alloc(Vec::new()),
                    Kind::Tup => h.tuples.alloc(TupleObj::default()),
                    Kind::Arr => h.arrays.alloc(Vec::new()),
                    Kind::Struct => h.structs.alloc(Default::default()),
                    Kind::Table => h.tables.alloc(Default::default()),
                    Kind::Closure => h.closures.alloc(Closure::default()),
                    Kind::Upval => h.upvals.alloc(Upval::default()),
                    Kind::Fiber | Kind::Abstract => return None,
                }
            };
            self.vals.push(k.value(r));
        }
        Some(())
    }

    fn value(&mut self, iso: &Isolate) -> Option<Value> {
        Some(match self.inp.byte()? {
            V_NIL => Value::Nil,
            V_FALSE => Value::Bool(false),
            V_TRUE => Value::Bool(true),
            V_NUM => Value::Num(f64::from_le_bytes(self.inp.array()?)),
            t @ (V_KW | V_SYM) => {
                let s = self.inp.u32()?;
                if s as usize >= iso.heap.syms.len() {
                    return None;
                }
                if t == V_KW {
                    Value::Keyword(Sym(s))
                } else {
                    Value::Symbol(Sym(s))
                }
            }
            V_NATIVE => {
                let i = self.inp.u32()?;
                (i < self.base.natives).then_some(Value::Native(i))?
            }
            V_OBJ => *self.vals.get(self.inp.u32()? as usize)?,
            V_PRE => {
                let k = Kind::from_code(self.inp.byte()?)?;
                let r = Ref(self.inp.u32()?);
                self.base.has(k, r).then_some(k.value(r))?
            }
            _ => return None,
        })
    }

    fn values(&mut self, iso: &Isolate) -> Option<Vec<Value>> {
        let n = self.inp.count()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.value(iso)?);
        }
        Some(out)
    }

    fn protos(&mut self, iso: &mut Isolate, sources: &[Arc<str>]) -> Option<()> {
        let n = self.inp.count()?;
        let total = self.base.protos as usize + n;
        iso.protos.reserve(n);
        for _ in 0..n {
            let ncode = self.inp.count()?;
            let mut code = Vec::with_capacity(ncode);
            for _ in 0..ncode {
                let op = get_op(&mut self.inp)?;
                match op {
                    Op::Closure(_, p) if p as usize >= total => return None,
                    _ => {}
                }
                code.push(op);
            }
            let consts = self.values(iso)?;
            let npos = self.inp.count()?;
            let mut positions = Vec::with_capacity(npos);
            for _ in 0..npos {
                positions.push((self.inp.u32()?, self.inp.u32()?));
            }
            let nparams = u16::try_from(self.inp.uint()?).ok()?;
            let nopt = u16::try_from(self.inp.uint()?).ok()?;
            let nregs = u16::try_from(self.inp.uint()?).ok()?;
            let flags = self.inp.byte()?;
            let ncap = self.inp.count()?;
            let mut captures = Vec::with_capacity(ncap);
            for _ in 0..ncap {
                captures.push(get_capture(&mut self.inp)?);
            }
            let name = match self.inp.byte()? {
                0 => None,
                1 => Some(self.inp.text()?.to_string()),
                _ => return None,
            };
            let source = sources.get(self.inp.u32()? as usize)?.clone();
            iso.protos.push(Proto {
                code,
                consts,
                positions,
                nparams,
                nopt,
                vararg: flags & 1 != 0,
                nregs,
                captures,
                name,
                source,
                has_upvals: flags & 2 != 0,
            });
        }
        Some(())
    }

    fn fill(&mut self, iso: &mut Isolate, v: Value) -> Option<()> {
        match v {
            Value::Str(r) => {
                let b = self.inp.bytes()?;
                *iso.heap.strings.get_mut(r) = StrObj {
                    bytes: b.into(),
                    hash: hash_bytes(b),
                };
            }
            Value::Buffer(r) => *iso.heap.buffers.get_mut(r) = self.inp.bytes()?.to_vec(),
            Value::Tuple(r) => {
                let line = self.inp.u32()?;
                let col = self.inp.u32()?;
                let bracket = match self.inp.byte()? {
                    0 => false,
                    1 => true,
                    _ => return None,
                };
                let items = self.values(iso)?.into();
                *iso.heap.tuples.get_mut(r) = TupleObj {
                    items,
                    line,
                    col,
                    bracket,
                };
            }
            Value::Array(r) => *iso.heap.arrays.get_mut(r) = self.values(iso)?,
            Value::Table(r) if self.base.has(Kind::Table, r) => {
                let proto = match self.value(iso)? {
                    Value::Nil => None,
                    Value::Table(p) => Some(p),
                    _ => return None,
                };
                iso.heap.tables.get_mut(r).proto = proto;
                let n = self.inp.count()?;
                for _ in 0..n {
                    let k = self.value(iso)?;
                    let v = self.value(iso)?;
                    if k == Value::Nil {
                        return None;
                    }
                    iso.table_put(r, k, v);
                }
            }
            Value::Table(r) | Value::Struct(r) => {
                let table = matches!(v, Value::Table(_));
                let proto = match (self.value(iso)?, table) {
                    (Value::Nil, _) => None,
                    (Value::Table(p), true) | (Value::Struct(p), false) => Some(p),
                    _ => return None,
                };
                let n = self.inp.count()?;
                let mut kv = Vec::with_capacity(2 * n);
                for _ in 0..2 * n {
                    kv.push(self.value(iso)?);
                }
                let mut t = table_from_pairs(&iso.heap, &kv);
                t.proto = proto;
                if table {
                    *iso.heap.tables.get_mut(r) = t;
                } else {
                    *iso.heap.structs.get_mut(r) = t;
                }
            }
            Value::Closure(r) => {
                let proto = self.inp.u32()?;
                if proto as usize >= iso.protos.len() {
                    return None;
                }
                let captures = self.values(iso)?.into();
                *iso.heap.closures.get_mut(r) = Closure { proto, captures };
            }
            Value::Upval(r) => *iso.heap.upvals.get_mut(r) = Upval::Closed(self.value(iso)?),
            _ => return None,
        }
        Some(())
    }
}
