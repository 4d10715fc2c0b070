//! Every name the library issue documents is bound in a fresh isolate and
//! carries a docstring (readable with `(doc name)`).

use spindle_lang::Isolate;

/// The names listed by issue 6, by area.
const NAMES: &str = "
let if-let when-let if-not unless cond case match loop seq catseq tabseq for each eachk
eachp eachy repeat forever -> ->> -?> -?>> as-> as?-> comp partial juxt complement
identity default var- def- defn- defmacro- ++ -- += -= *= /= %= assert coro generate
with-syms with-dyns tracev comment compif compwhen map mapcat filter keep reduce reduce2
accumulate accumulate2 find find-index index-of some every? count sort sort-by sorted
sorted-by reverse reverse! distinct frequencies group-by partition partition-by interleave
interpose zipcoll keys values pairs kvs take drop take-while drop-while take-until
drop-until range first last butlast get-in put-in update update-in merge merge-into invert
flatten flatten-into table/proto-flatten slice array/new array/new-filled array/push
array/pop array/peek array/insert array/remove array/slice array/concat array/fill
array/trim array/ensure array/clear tuple/slice tuple/brackets tuple/type tuple/sourcemap
table/new table/getproto table/setproto table/rawget table/clone table/to-struct
struct/getproto struct/with-proto struct/to-table buffer/new buffer/new-filled buffer/push
buffer/push-string buffer/push-byte buffer/push-word buffer/popn buffer/clear buffer/slice
buffer/blit buffer/format buffer/trim buffer/bit-set buffer/bit-clear buffer/bit-toggle
buffer/bit length get put in next empty? deep= compare compare< compare<= compare>
compare>= compare= hash string string/find string/find-all string/replace
string/replace-all string/split string/join string/trim string/triml string/trimr
string/ascii-upper string/ascii-lower string/has-prefix? string/has-suffix? string/slice
string/repeat string/reverse string/bytes string/from-bytes string/check-set string/format
describe keyword symbol scan-number printf math/floor math/ceil math/round math/trunc
math/abs math/pow math/sqrt math/cbrt math/exp math/exp2 math/log math/log2 math/log10
math/log1p math/sin math/cos math/tan math/asin math/acos math/atan math/atan2 math/sinh
math/cosh math/tanh math/hypot math/gcd math/lcm math/random math/seedrandom math/rng
math/rng-int math/rng-uniform math/inf math/nan math/pi math/e math/int-max math/int-min
mod rem div band bor bxor bnot blshift brshift brushift int? nat? pos? neg? even? odd?
zero? nan? inc dec min max sum product int/s64 int/u64 dyn setdyn with-dyns *out* *err*
*args* *current-file* import require use module/paths eval eval-string parse parser/new
parser/consume parser/produce parser/status parser/has-more parser/eof compile doc marshal
unmarshal print prin printf prinf eprint eprintf pp flush eflush file/open file/read
file/write file/close file/flush file/seek file/tell file/lines file/temp slurp spit getline
os/clock os/time os/date os/mktime os/getenv os/setenv os/environ os/exit os/cwd os/cd
os/dir os/stat os/mkdir os/rm os/rmdir os/rename os/realpath os/which os/cpu-count os/arch
os/sleep
";

/// api.md §8, Futex & std/sync.
const SYNC_NAMES: &str = "
ev/atomic ev/futex-wait ev/futex-wake sync/make-futex sync/make-lock ev/lock ev/acquire-lock
ev/release-lock ev/with-lock sync/make-semaphore sync/make-condvar sync/make-rwlock ev/rwlock
ev/acquire-rlock ev/release-rlock ev/acquire-wlock ev/release-wlock ev/with-rlock ev/with-wlock
sync/make-barrier sync/make-latch sync/make-once sync/make-queue sync/closed sync/make-monitor
";

#[test]
fn every_documented_name_is_bound_with_a_docstring() {
    let mut iso = Isolate::new();
    let mut missing = Vec::new();
    for name in NAMES
        .split_whitespace()
        .chain(SYNC_NAMES.split_whitespace())
    {
        let probe = format!(
            "(let [e (dyn '{})] (and e (string? (get e :doc)) (< 0 (length (get e :doc)))))",
            name
        );
        match iso.eval_str(&probe) {
            Ok(v) if v.truthy() => {}
            _ => missing.push(name),
        }
    }
    assert!(
        missing.is_empty(),
        "unbound or undocumented: {}",
        missing.join(" ")
    );
}

#[test]
fn every_root_binding_has_a_docstring() {
    let mut iso = Isolate::new();
    let v = iso
        .eval_str(
            "((fn [] (string/join (seq [k :keys root-env :when (symbol? k)
               :let [e (table/rawget root-env k)]
               :when (and (table? e) (not (e :private)) (not (e :doc)))] (string k)) \" \")))",
        )
        .expect("probe runs");
    let text = spindle_lang::printer::to_text(&iso, v);
    assert!(text.is_empty(), "bindings without a docstring: {}", text);
}
