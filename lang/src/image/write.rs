//! Writing a boot image: walk everything the root environment reaches
//! after the prelude, number what the prelude made or changed, and encode
//! it (see `image` for the format).
//!
//! Invariant: the walk is iterative (no recursion per object) and numbers
//! objects in post-order, so every object's content-hashed parts (tuples,
//! structs, strings) get smaller ids than the object itself unless they
//! sit on a cycle, which always passes through an identity-hashed object.

use super::opcodec::{put_capture, put_op};
use super::wire::{checksum, Out};
use super::{Baseline, Kind, MAGIC};
use crate::bytecode::Op;
use crate::isolate::Isolate;
use crate::objects::Upval;
use crate::table::TableObj;
use crate::value::{Ref, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Value tags of the payload.
pub(super) const V_NIL: u8 = 0;
pub(super) const V_FALSE: u8 = 1;
pub(super) const V_TRUE: u8 = 2;
pub(super) const V_NUM: u8 = 3;
pub(super) const V_KW: u8 = 4;
pub(super) const V_SYM: u8 = 5;
pub(super) const V_NATIVE: u8 = 6;
/// An object of the image, by id.
pub(super) const V_OBJ: u8 = 7;
/// A pre-prelude object, by kind and arena slot.
pub(super) const V_PRE: u8 = 8;
/// Kind-byte flag: this id is a pre-prelude object whose contents follow.
pub(super) const PRE_FLAG: u8 = 0x80;

/// The isolate right after `register_all`: its baseline and the contents
/// of every mutable object, to tell which ones the prelude changed.
pub struct Snapshot {
    base: Baseline,
    tables: Vec<TableObj>,
    arrays: Vec<Vec<Value>>,
    buffers: Vec<Vec<u8>>,
    ev_roots: Vec<Value>,
}

impl Snapshot {
    /// Takes the snapshot; call it after `register_all`, before the prelude.
    pub fn take(iso: &Isolate) -> Snapshot {
        let h = &iso.heap;
        let mut ev_roots = Vec::new();
        iso.ev.trace(&mut ev_roots);
        Snapshot {
            base: Baseline::of(iso),
            tables: (0..h.tables.slots() as u32)
                .map(|i| h.tables.get(Ref(i)).clone())
                .collect(),
            arrays: (0..h.arrays.slots() as u32)
                .map(|i| h.arrays.get(Ref(i)).clone())
                .collect(),
            buffers: (0..h.buffers.slots() as u32)
                .map(|i| h.buffers.get(Ref(i)).clone())
                .collect(),
            ev_roots,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    Obj(Kind, Ref),
    Proto(u32),
}

struct Writer<'a> {
    iso: &'a Isolate,
    snap: &'a Snapshot,
    changed: HashMap<(Kind, Ref), bool>,
    objs: Vec<(Kind, Ref)>,
    obj_id: HashMap<(Kind, Ref), u32>,
    protos: Vec<u32>,
    proto_id: HashMap<u32, u32>,
}

/// The image of `iso`, whose state before the prelude `snap` recorded.
/// Fails (naming the value) when the prelude left something an image
/// cannot hold: a fiber, an abstract value or an open upvalue of its own.
pub fn write(iso: &Isolate, snap: &Snapshot, fingerprint: &str) -> Result<Vec<u8>, String> {
    let mut ev_roots = Vec::new();
    iso.ev.trace(&mut ev_roots);
    if ev_roots != snap.ev_roots {
        return Err("the prelude changed the event loop's state".into());
    }
    let mut w = Writer {
        iso,
        snap,
        changed: HashMap::new(),
        objs: Vec::new(),
        obj_id: HashMap::new(),
        protos: Vec::new(),
        proto_id: HashMap::new(),
    };
    let mut roots = vec![Value::Table(iso.env)];
    roots.extend(ev_roots);
    w.walk(&roots)?;
    let mut p = Out::default();
    w.payload(&mut p)?;
    let mut out = Out::default();
    out.fixed(MAGIC);
    out.bytes(fingerprint.as_bytes());
    snap.base.put(&mut out);
    out.fixed(&checksum(&p.buf).to_le_bytes());
    out.bytes(&p.buf);
    Ok(out.buf)
}

impl Writer<'_> {
    /// The node that must be written for `v`, if any: objects the prelude
    /// made, and pre-prelude mutable objects it changed.
    fn node(&mut self, v: Value) -> Result<Option<Node>, String> {
        let Some((k, r)) = Kind::of(v) else {
            return Ok(None);
        };
        let base = self.snap.base;
        if !base.has(k, r) {
            return match k {
                Kind::Fiber | Kind::Abstract => Err(format!(
                    "the prelude left a {} in the environment",
                    self.describe(v)
                )),
                _ => Ok(Some(Node::Obj(k, r))),
            };
        }
        if !k.mutable() {
            return Ok(None);
        }
        let changed = match self.changed.get(&(k, r)) {
            Some(c) => *c,
            None => {
                let h = &self.iso.heap;
                let c = match k {
                    Kind::Table => {
                        let t = h.tables.get(r);
                        let was = &self.snap.tables[r.idx()];
                        t.proto != was.proto || !t.iter().eq(was.iter())
                    }
                    Kind::Arr => *h.arrays.get(r) != self.snap.arrays[r.idx()],
                    _ => *h.buffers.get(r) != self.snap.buffers[r.idx()],
                };
                self.changed.insert((k, r), c);
                c
            }
        };
        Ok(changed.then_some(Node::Obj(k, r)))
    }

    fn describe(&self, v: Value) -> String {
        match v {
            Value::Abstract(r) => self
                .iso
                .heap
                .abstracts
                .get(r)
                .as_ref()
                .map_or("abstract", |a| a.type_name())
                .to_string(),
            _ => v.type_name().to_string(),
        }
    }

    fn proto_node(&self, p: u32) -> Option<Node> {
        (p >= self.snap.base.protos).then_some(Node::Proto(p))
    }

    /// Pushes the nodes `n` refers to onto `kids`.
    fn children(&mut self, n: Node, kids: &mut Vec<Node>) -> Result<(), String> {
        let h = &self.iso.heap;
        let mut vals: Vec<Value> = Vec::new();
        match n {
            Node::Obj(k, r) => match k {
                Kind::Tup => vals.extend_from_slice(&h.tuples.get(r).items),
                Kind::Arr => vals.extend_from_slice(h.arrays.get(r)),
                Kind::Struct | Kind::Table => {
                    let t = if k == Kind::Table {
                        h.tables.get(r)
                    } else {
                        h.structs.get(r)
                    };
                    vals.extend(t.proto.map(|p| k.value(p)));
                    for (key, v) in t.iter() {
                        vals.push(key);
                        vals.push(v);
                    }
                }
                Kind::Closure => {
                    let c = h.closures.get(r);
                    vals.extend_from_slice(&c.captures);
                    kids.extend(self.proto_node(c.proto));
                }
                Kind::Upval => match *h.upvals.get(r) {
                    Upval::Closed(v) => vals.push(v),
                    Upval::Open { .. } => {
                        return Err("the prelude left an open upvalue".into());
                    }
                },
                Kind::Str | Kind::Buf | Kind::Fiber | Kind::Abstract => {}
            },
            Node::Proto(p) => {
                let proto = &self.iso.protos[p as usize];
                vals.extend_from_slice(&proto.consts);
                for op in &proto.code {
                    if let Op::Closure(_, q) = *op {
                        kids.extend(self.proto_node(q));
                    }
                }
            }
        }
        for v in vals {
            kids.extend(self.node(v)?);
        }
        Ok(())
    }

    fn walk(&mut self, roots: &[Value]) -> Result<(), String> {
        let mut seen: HashSet<Node> = HashSet::new();
        let mut stack: Vec<(Node, bool)> = Vec::new();
        for v in roots.iter().rev() {
            stack.extend(self.node(*v)?.map(|n| (n, false)));
        }
        let mut kids = Vec::new();
        while let Some((n, done)) = stack.pop() {
            if done {
                match n {
                    Node::Obj(k, r) => {
                        self.obj_id.insert((k, r), self.objs.len() as u32);
                        self.objs.push((k, r));
                    }
                    Node::Proto(p) => {
                        self.proto_id.insert(p, self.protos.len() as u32);
                        self.protos.push(p);
                    }
                }
                continue;
            }
            if !seen.insert(n) {
                continue;
            }
            stack.push((n, true));
            kids.clear();
            self.children(n, &mut kids)?;
            for k in kids.iter().rev() {
                if !seen.contains(k) {
                    stack.push((*k, false));
                }
            }
        }
        Ok(())
    }

    /// The index prototype `p` will have in the restored isolate.
    fn proto_index(&self, p: u32) -> u32 {
        match self.proto_id.get(&p) {
            Some(i) => self.snap.base.protos + i,
            None => p,
        }
    }

    fn value(&self, v: Value, out: &mut Out) -> Result<(), String> {
        match v {
            Value::Nil => out.byte(V_NIL),
            Value::Bool(false) => out.byte(V_FALSE),
            Value::Bool(true) => out.byte(V_TRUE),
            Value::Num(n) => {
                out.byte(V_NUM);
                out.fixed(&n.to_le_bytes());
            }
            Value::Keyword(s) => {
                out.byte(V_KW);
                out.uint(s.0 as u64);
            }
            Value::Symbol(s) => {
                out.byte(V_SYM);
                out.uint(s.0 as u64);
            }
            Value::Native(i) => {
                out.byte(V_NATIVE);
                out.uint(i as u64);
            }
            _ => {
                let Some((k, r)) = Kind::of(v) else {
                    unreachable!("every other value is a heap object")
                };
                if let Some(id) = self.obj_id.get(&(k, r)) {
                    out.byte(V_OBJ);
                    out.uint(*id as u64);
                } else if self.snap.base.has(k, r) {
                    out.byte(V_PRE);
                    out.byte(k.code());
                    out.uint(r.0 as u64);
                } else {
                    return Err(format!("a {} was not reached by the walk", v.type_name()));
                }
            }
        }
        Ok(())
    }

    fn payload(&self, out: &mut Out) -> Result<(), String> {
        let iso = self.iso;
        let h = &iso.heap;
        let base = self.snap.base;
        out.uint((h.syms.len() - base.syms as usize) as u64);
        for i in base.syms as usize..h.syms.len() {
            out.bytes(h.syms.name(crate::value::Sym(i as u32)));
        }
        out.uint(h.syms.gensym_count());
        let mut sources: Vec<Arc<str>> = Vec::new();
        let mut source_id: HashMap<Arc<str>, u32> = HashMap::new();
        for p in &self.protos {
            let s = &iso.protos[*p as usize].source;
            if !source_id.contains_key(s) {
                source_id.insert(s.clone(), sources.len() as u32);
                sources.push(s.clone());
            }
        }
        out.uint(sources.len() as u64);
        for s in &sources {
            out.bytes(s.as_bytes());
        }
        out.uint(self.objs.len() as u64);
        for (k, r) in &self.objs {
            if base.has(*k, *r) {
                out.byte(k.code() | PRE_FLAG);
                out.uint(r.0 as u64);
            } else {
                out.byte(k.code());
            }
        }
        out.uint(self.protos.len() as u64);
        for p in &self.protos {
            let proto = &iso.protos[*p as usize];
            out.uint(proto.code.len() as u64);
            for op in &proto.code {
                let op = match *op {
                    Op::Closure(d, q) => Op::Closure(d, self.proto_index(q)),
                    other => other,
                };
                put_op(op, out);
            }
            out.uint(proto.consts.len() as u64);
            for c in &proto.consts {
                self.value(*c, out)?;
            }
            out.uint(proto.positions.len() as u64);
            for (l, c) in &proto.positions {
                out.uint(*l as u64);
                out.uint(*c as u64);
            }
            out.uint(proto.nparams as u64);
            out.uint(proto.nopt as u64);
            out.uint(proto.nregs as u64);
            out.byte(proto.vararg as u8 | (proto.has_upvals as u8) << 1);
            out.uint(proto.captures.len() as u64);
            for c in &proto.captures {
                put_capture(*c, out);
            }
            match &proto.name {
                Some(n) => {
                    out.byte(1);
                    out.bytes(n.as_bytes());
                }
                None => out.byte(0),
            }
            out.uint(source_id[&proto.source] as u64);
        }
        for (k, r) in &self.objs {
            self.record(*k, *r, out)?;
        }
        Ok(())
    }

    /// The contents of one object.
    fn record(&self, k: Kind, r: Ref, out: &mut Out) -> Result<(), String> {
        let h = &self.iso.heap;
        match k {
            Kind::Str => out.bytes(&h.strings.get(r).bytes),
            Kind::Buf => out.bytes(h.buffers.get(r)),
            Kind::Tup => {
                let t = h.tuples.get(r);
                out.uint(t.line as u64);
                out.uint(t.col as u64);
                out.byte(t.bracket as u8);
                self.values(&t.items, out)?;
            }
            Kind::Arr => self.values(h.arrays.get(r), out)?,
            Kind::Table if self.snap.base.has(k, r) => {
                let t = h.tables.get(r);
                self.value(t.proto.map_or(Value::Nil, Value::Table), out)?;
                let puts = self.table_diff(r);
                out.uint(puts.len() as u64);
                for (key, v) in puts {
                    self.value(key, out)?;
                    self.value(v, out)?;
                }
            }
            Kind::Struct | Kind::Table => {
                let t = if k == Kind::Table {
                    h.tables.get(r)
                } else {
                    h.structs.get(r)
                };
                self.value(t.proto.map_or(Value::Nil, |p| k.value(p)), out)?;
                let pairs: Vec<(Value, Value)> = t.iter().collect();
                out.uint(pairs.len() as u64);
                for (key, v) in pairs {
                    self.value(key, out)?;
                    self.value(v, out)?;
                }
            }
            Kind::Closure => {
                let c = h.closures.get(r);
                out.uint(self.proto_index(c.proto) as u64);
                self.values(&c.captures, out)?;
            }
            Kind::Upval => match *h.upvals.get(r) {
                Upval::Closed(v) => self.value(v, out)?,
                Upval::Open { .. } => return Err("the prelude left an open upvalue".into()),
            },
            Kind::Fiber | Kind::Abstract => {
                return Err(format!("cannot write a {}", k.value(r).type_name()))
            }
        }
        Ok(())
    }

    /// The puts that turn pre-prelude table `r` as `register_all` left it
    /// into what it is now (nil for a removed key). Writing only these keeps
    /// the values the new isolate's own `register_all` made for every key
    /// the prelude did not touch.
    fn table_diff(&self, r: Ref) -> Vec<(Value, Value)> {
        let h = &self.iso.heap;
        let now = h.tables.get(r);
        let was = &self.snap.tables[r.idx()];
        let lookup = |t: &TableObj, k: Value| t.get(h.hash(k), |x| h.equals(x, k));
        let mut puts: Vec<(Value, Value)> = now
            .iter()
            .filter(|(k, v)| lookup(was, *k) != Some(*v))
            .collect();
        puts.extend(
            was.iter()
                .filter(|(k, _)| lookup(now, *k).is_none())
                .map(|(k, _)| (k, Value::Nil)),
        );
        puts
    }

    fn values(&self, vs: &[Value], out: &mut Out) -> Result<(), String> {
        out.uint(vs.len() as u64);
        for v in vs {
            self.value(*v, out)?;
        }
        Ok(())
    }
}
