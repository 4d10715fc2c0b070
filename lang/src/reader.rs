//! The reader: Janet source text to values, one top-level form at a time.
//!
//! Invariant: every tuple it produces carries the line and column (1-based)
//! of its opening delimiter, which is where compile errors point. Every error
//! names the line and column where reading failed and what was expected.
//! Nesting is bounded (`MAX_DEPTH`) so hostile input cannot overflow the
//! Rust stack.

use crate::heap::Heap;
use crate::table::TableObj;
use crate::value::Value;

/// Deepest nesting of forms the reader accepts.
pub const MAX_DEPTH: usize = 512;

/// A syntax error with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadError {
    pub line: u32,
    pub col: u32,
    pub msg: String,
}

/// Reads forms from a byte slice.
pub struct Reader<'s> {
    src: &'s [u8],
    pos: usize,
    line: u32,
    col: u32,
    depth: usize,
}

/// True for bytes that may appear in a symbol, keyword or number token.
pub fn is_symbol_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!$%&*+-./:<?=>@^_".contains(&c) || c >= 0x80
}

impl<'s> Reader<'s> {
    /// A reader over `src`.
    pub fn new(src: &'s [u8]) -> Reader<'s> {
        Reader {
            src,
            pos: 0,
            line: 1,
            col: 1,
            depth: 0,
        }
    }

    /// A reader resuming at a saved `position`.
    pub fn at(src: &'s [u8], pos: (usize, u32, u32)) -> Reader<'s> {
        Reader {
            src,
            pos: pos.0,
            line: pos.1,
            col: pos.2,
            depth: 0,
        }
    }

    /// Where the reader is: (byte offset, line, column).
    pub fn position(&self) -> (usize, u32, u32) {
        (self.pos, self.line, self.col)
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        if c == b'\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn err<T>(&self, line: u32, col: u32, msg: impl Into<String>) -> Result<T, ReadError> {
        Err(ReadError {
            line,
            col,
            msg: msg.into(),
        })
    }

    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if c == b'#' {
                while let Some(c) = self.peek() {
                    if c == b'\n' {
                        break;
                    }
                    self.bump();
                }
            } else if c.is_ascii_whitespace() || c == 0 || c == 0x0b {
                self.bump();
            } else {
                break;
            }
        }
    }

    /// Reads the next form, or `None` at the end of the source.
    pub fn next_form(&mut self, heap: &mut Heap) -> Result<Option<Value>, ReadError> {
        self.skip_space();
        if self.peek().is_none() {
            return Ok(None);
        }
        self.form(heap).map(Some)
    }

    fn form(&mut self, heap: &mut Heap) -> Result<Value, ReadError> {
        self.skip_space();
        let (line, col) = (self.line, self.col);
        let Some(c) = self.peek() else {
            return self.err(line, col, "unexpected end of source, expected a form");
        };
        if self.depth >= MAX_DEPTH {
            return self.err(line, col, "forms nested too deeply");
        }
        self.depth += 1;
        let r = self.form_inner(heap, c, line, col);
        self.depth -= 1;
        r
    }

    fn form_inner(
        &mut self,
        heap: &mut Heap,
        c: u8,
        line: u32,
        col: u32,
    ) -> Result<Value, ReadError> {
        match c {
            b'(' | b'[' | b'{' => {
                self.bump();
                let close = match c {
                    b'(' => b')',
                    b'[' => b']',
                    _ => b'}',
                };
                let items = self.seq(heap, close, line, col)?;
                match c {
                    b'{' => self.make_struct(heap, items, line, col, false),
                    _ => Ok(heap.tuple_at(items, line, col, c == b'[')),
                }
            }
            b')' | b']' | b'}' => self.err(
                line,
                col,
                format!("unexpected closing delimiter {}", c as char),
            ),
            b'@' => match self.src.get(self.pos + 1) {
                Some(b'(') | Some(b'[') => {
                    self.bump();
                    let open = self.bump().unwrap_or(b'(');
                    let close = if open == b'(' { b')' } else { b']' };
                    let items = self.seq(heap, close, line, col)?;
                    Ok(heap.array(items))
                }
                Some(b'{') => {
                    self.bump();
                    self.bump();
                    let items = self.seq(heap, b'}', line, col)?;
                    self.make_struct(heap, items, line, col, true)
                }
                Some(b'"') | Some(b'`') => {
                    self.bump();
                    let bytes = self.string_body()?;
                    Ok(heap.buffer(bytes))
                }
                _ => self.token(heap),
            },
            b'"' | b'`' => {
                let bytes = self.string_body()?;
                Ok(heap.string(&bytes))
            }
            b'\'' | b'~' | b',' | b';' | b'|' => {
                self.bump();
                let name = match c {
                    b'\'' => "quote",
                    b'~' => "quasiquote",
                    b',' => "unquote",
                    b';' => "splice",
                    _ => "short-fn",
                };
                self.skip_space();
                if self.peek().is_none() {
                    return self.err(line, col, format!("expected a form after {}", c as char));
                }
                let inner = self.form(heap)?;
                let head = heap.symbol(name);
                Ok(heap.tuple_at(vec![head, inner], line, col, false))
            }
            _ if is_symbol_byte(c) => self.token(heap),
            _ => self.err(line, col, format!("unexpected character {:?}", c as char)),
        }
    }

    fn seq(
        &mut self,
        heap: &mut Heap,
        close: u8,
        line: u32,
        col: u32,
    ) -> Result<Vec<Value>, ReadError> {
        let mut items = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                None => {
                    return self.err(
                        self.line,
                        self.col,
                        format!(
                            "unexpected end of source, expected {} to close the form opened at line {}, column {}",
                            close as char, line, col
                        ),
                    )
                }
                Some(c) if c == close => {
                    self.bump();
                    return Ok(items);
                }
                Some(c @ (b')' | b']' | b'}')) => {
                    return self.err(
                        self.line,
                        self.col,
                        format!("mismatched delimiter {}, expected {}", c as char, close as char),
                    )
                }
                Some(_) => items.push(self.form(heap)?),
            }
        }
    }

    fn make_struct(
        &mut self,
        heap: &mut Heap,
        items: Vec<Value>,
        line: u32,
        col: u32,
        table: bool,
    ) -> Result<Value, ReadError> {
        if !items.len().is_multiple_of(2) {
            return self.err(
                line,
                col,
                "struct and table literals expect an even number of forms",
            );
        }
        let mut t = TableObj::with_capacity(items.len() / 2);
        for kv in items.chunks(2) {
            if kv[0] == Value::Nil {
                continue;
            }
            let h = heap.hash(kv[0]);
            t.put(kv[0], h, kv[1], |k| heap.equals(k, kv[0]));
        }
        Ok(if table { heap.table(t) } else { heap.strukt(t) })
    }

    fn string_body(&mut self) -> Result<Vec<u8>, ReadError> {
        let (line, col) = (self.line, self.col);
        if self.peek() == Some(b'`') {
            let mut n = 0;
            while self.peek() == Some(b'`') {
                self.bump();
                n += 1;
            }
            let start = self.pos;
            loop {
                match self.peek() {
                    None => {
                        return self.err(
                            line,
                            col,
                            format!("unterminated long string, expected {} backquote(s)", n),
                        )
                    }
                    Some(b'`') => {
                        let run = self.src[self.pos..]
                            .iter()
                            .take_while(|&&c| c == b'`')
                            .count();
                        if run >= n {
                            let mut body = self.src[start..self.pos].to_vec();
                            for _ in 0..n {
                                self.bump();
                            }
                            if body.first() == Some(&b'\n') {
                                body.remove(0);
                            } else if body.starts_with(b"\r\n") {
                                body.drain(..2);
                            }
                            return Ok(body);
                        }
                        for _ in 0..run {
                            self.bump();
                        }
                    }
                    Some(_) => {
                        self.bump();
                    }
                }
            }
        }
        self.bump();
        let mut out = Vec::new();
        loop {
            let (l, c) = (self.line, self.col);
            match self.bump() {
                None => return self.err(line, col, "unterminated string, expected \""),
                Some(b'"') => return Ok(out),
                Some(b'\\') => {
                    let Some(e) = self.bump() else {
                        return self.err(l, c, "unterminated escape sequence");
                    };
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'0' | b'z' => out.push(0),
                        b'f' => out.push(0x0c),
                        b'v' => out.push(0x0b),
                        b'a' => out.push(0x07),
                        b'b' => out.push(0x08),
                        b'e' => out.push(0x1b),
                        b'"' | b'\\' | b'\'' | b'?' => out.push(e),
                        b'x' => {
                            let v = self.hex_digits(2, l, c)?;
                            out.push(v as u8);
                        }
                        b'u' | b'U' => {
                            let v = self.hex_digits(if e == b'u' { 4 } else { 6 }, l, c)?;
                            let Some(ch) = char::from_u32(v) else {
                                return self.err(l, c, "invalid unicode code point in escape");
                            };
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => {
                            return self.err(l, c, format!("unknown string escape \\{}", e as char))
                        }
                    }
                }
                Some(ch) => out.push(ch),
            }
        }
    }

    fn hex_digits(&mut self, n: usize, l: u32, c: u32) -> Result<u32, ReadError> {
        let mut v = 0u32;
        for _ in 0..n {
            match self.bump().and_then(|d| (d as char).to_digit(16)) {
                Some(d) => v = v * 16 + d,
                None => return self.err(l, c, format!("expected {} hex digits in escape", n)),
            }
        }
        Ok(v)
    }

    fn token(&mut self, heap: &mut Heap) -> Result<Value, ReadError> {
        let (line, col) = (self.line, self.col);
        let start = self.pos;
        while self.peek().is_some_and(is_symbol_byte) {
            self.bump();
        }
        let tok = &self.src[start..self.pos];
        if tok.is_empty() {
            return self.err(line, col, "expected a symbol");
        }
        if let Some(n) = parse_number(tok) {
            return Ok(Value::Num(n));
        }
        let first = tok[0];
        if first.is_ascii_digit() {
            return self.err(
                line,
                col,
                format!("malformed number {}", String::from_utf8_lossy(tok)),
            );
        }
        Ok(match tok {
            b"nil" => Value::Nil,
            b"true" => Value::Bool(true),
            b"false" => Value::Bool(false),
            _ if first == b':' => Value::Keyword(heap.syms.intern(&tok[1..])),
            _ => Value::Symbol(heap.syms.intern(tok)),
        })
    }
}

/// Parses Janet number syntax: decimal with optional fraction and exponent,
/// `0x` hex, `NrDIGITS` radix (exponent `&`), `_` separators, a sign.
pub fn parse_number(tok: &[u8]) -> Option<f64> {
    let (neg, body) = match tok.first()? {
        b'-' => (true, &tok[1..]),
        b'+' => (false, &tok[1..]),
        _ => (false, tok),
    };
    let first = *body.first()?;
    if !(first.is_ascii_digit() || (first == b'.' && body.get(1).is_some_and(u8::is_ascii_digit))) {
        return None;
    }
    let (radix, digits) =
        if body.len() > 2 && body[0] == b'0' && (body[1] == b'x' || body[1] == b'X') {
            (16, &body[2..])
        } else if let Some(r) = body.iter().position(|&c| c == b'r' || c == b'R') {
            let radix: u32 = std::str::from_utf8(&body[..r]).ok()?.parse().ok()?;
            if !(2..=36).contains(&radix) {
                return None;
            }
            (radix, &body[r + 1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || digits[0] == b'_' {
        return None;
    }
    let v = if radix == 10 {
        let cleaned: String = digits
            .iter()
            .filter(|&&c| c != b'_')
            .map(|&c| c as char)
            .collect();
        if !cleaned
            .bytes()
            .all(|c| c.is_ascii_digit() || b".eE+-".contains(&c))
        {
            return None;
        }
        cleaned.parse::<f64>().ok()?
    } else {
        parse_radix(digits, radix)?
    };
    Some(if neg { -v } else { v })
}

fn parse_radix(digits: &[u8], radix: u32) -> Option<f64> {
    let mut mant = 0f64;
    let mut scale = 0i32;
    let mut seen_dot = false;
    let mut any = false;
    let mut i = 0;
    while i < digits.len() {
        let c = digits[i];
        match c {
            b'_' => {}
            b'.' if !seen_dot => seen_dot = true,
            b'&' => {
                let e: i32 = std::str::from_utf8(&digits[i + 1..]).ok()?.parse().ok()?;
                scale += e;
                break;
            }
            _ => {
                let d = (c as char).to_digit(radix)?;
                mant = mant * radix as f64 + d as f64;
                any = true;
                if seen_dot {
                    scale -= 1;
                }
            }
        }
        i += 1;
    }
    if !any {
        return None;
    }
    Some(mant * (radix as f64).powi(scale))
}

#[cfg(test)]
mod tests {
    use super::parse_number;

    #[test]
    fn numbers() {
        assert_eq!(parse_number(b"123"), Some(123.0));
        assert_eq!(parse_number(b"-1_000"), Some(-1000.0));
        assert_eq!(parse_number(b"0xFF"), Some(255.0));
        assert_eq!(parse_number(b"16rff"), Some(255.0));
        assert_eq!(parse_number(b"2r1010"), Some(10.0));
        assert_eq!(parse_number(b"1.5e3"), Some(1500.0));
        assert_eq!(parse_number(b".5"), Some(0.5));
        assert_eq!(parse_number(b"inf"), None);
        assert_eq!(parse_number(b"abc"), None);
        assert_eq!(parse_number(b"1x"), None);
        assert_eq!(parse_number(b"-"), None);
    }
}
