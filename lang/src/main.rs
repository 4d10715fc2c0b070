//! The `spindle` command: runs a file (then its `main`, if any) or an
//! expression on a spindle-rt worker thread.
//!
//! Environment: SPINDLE_CACHE_DIR (where the prelude image is cached;
//! default `$XDG_CACHE_HOME/spindle` or `~/.cache/spindle`),
//! SPINDLE_NO_CACHE=1 (do not use the cache), SPINDLE_WORKERS, SPINDLE_IO.
//!
//! Exit status: 0 on success, 1 on an uncaught error (message with
//! file:line and a stack trace on stderr), 2 on a usage error.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use spindle_lang::ev::EvRun;
use spindle_lang::Isolate;
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "usage: spindle [options] FILE [args...]
       spindle [options] -e EXPR
       spindle [options] -            (read the program from stdin)
       spindle                        (interactive REPL)

options:
  -e EXPR        evaluate EXPR and exit
  --workers N    number of worker threads (default: available parallelism)
  --io DRIVER    io driver: uring (default; falls back to epoll where the
                 kernel refuses io_uring) or epoll; also SPINDLE_IO
  --verbose      report the workers, the io driver and the prelude image
                 cache on stderr
  -h, --help     show this help
  -v, --version  show the version
";

enum Source {
    File(String),
    Expr(String),
    Stdin,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut source = None;
    let mut workers = None;
    let mut io = None;
    let mut verbose = false;
    let mut rest = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "-h" | "--help" => {
                print!("{}", USAGE);
                return ExitCode::SUCCESS;
            }
            "-v" | "--version" => {
                println!("spindle {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            "-e" => match args.next() {
                Some(e) => source = Some(Source::Expr(e)),
                None => return usage("-e needs an expression"),
            },
            "--workers" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => workers = Some(n),
                None => return usage("--workers needs a number"),
            },
            "--io" => match args.next().as_deref() {
                Some("uring") | Some("io_uring") => io = Some(spindle_rt::IoDriver::Uring),
                Some("epoll") => io = Some(spindle_rt::IoDriver::Epoll),
                Some(other) => {
                    return usage(&format!("--io takes uring or epoll, not {:?}", other))
                }
                None => return usage("--io needs a driver name (uring or epoll)"),
            },
            "--verbose" => verbose = true,
            "-" if source.is_none() => source = Some(Source::Stdin),
            _ if source.is_none() && !a.starts_with('-') => source = Some(Source::File(a)),
            _ if source.is_some() => rest.push(a),
            _ => return usage(&format!("unknown option {}", a)),
        }
    }
    // A fresh process boots from the prelude image on disk (see `image`).
    spindle_lang::image::cache::enable_disk(verbose);
    let Some(source) = source else {
        let mut iso = Isolate::new();
        return ExitCode::from(spindle_lang::repl::run(&mut iso) as u8);
    };
    let (src, path) = match source {
        Source::Expr(e) => (e.into_bytes(), "eval".to_string()),
        Source::Stdin => {
            let mut b = Vec::new();
            if let Err(e) = std::io::Read::read_to_end(&mut std::io::stdin(), &mut b) {
                eprintln!("spindle: cannot read stdin: {}", e);
                return ExitCode::from(1);
            }
            (b, "stdin".to_string())
        }
        Source::File(p) => match std::fs::read(&p) {
            Ok(b) => (b, p),
            Err(e) => {
                eprintln!("spindle: cannot read {}: {}", p, e);
                return ExitCode::from(1);
            }
        },
    };
    let mut builder = spindle_rt::Runtime::builder();
    if let Some(n) = workers {
        builder = builder.workers(n);
    }
    if let Some(io) = io {
        builder = builder.io(io);
    }
    let rt = match builder.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("spindle: cannot start runtime: {}", e);
            return ExitCode::from(1);
        }
    };
    if verbose {
        report_runtime(&rt);
    }
    // The program (its forms, then `main`, then the tasks it left running)
    // runs on the isolate's event loop (`spindle_lang::ev`).
    let (result, unobserved) = rt.block_on(async move {
        let mut iso = Isolate::new();
        spindle_lang::corelib::modules::set_script(&mut iso, &path, &rest);
        let fin = EvRun::new(iso, src, &path, rest).await;
        (fin.result.map(|_| ()), fin.unobserved)
    });
    spindle_lang::corelib::stdout::drain_at_exit();
    let _ = std::io::stdout().flush();
    match result {
        Ok(()) if unobserved => ExitCode::from(1),
        Ok(()) => ExitCode::SUCCESS,
        Err(report) => {
            eprint!("{}", report);
            if !report.ends_with('\n') {
                eprintln!();
            }
            ExitCode::from(1)
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("spindle: {}\n{}", msg, USAGE);
    ExitCode::from(2)
}

/// `--verbose`: which driver the workers actually run (io_uring may have
/// fallen back to epoll) and the ring flags the kernel accepted.
fn report_runtime(rt: &spindle_rt::Runtime) {
    // The workers record their driver when they start; one round trip
    // through the runtime makes sure they have.
    rt.block_on(async {});
    let stats = rt.stats();
    eprintln!(
        "spindle: {} workers, io driver {:?}",
        stats.workers.len(),
        rt.io_driver()
    );
    if let Some(flags) = stats.workers.first().and_then(|w| w.ring_flags) {
        eprintln!("spindle: ring flags {:?}", flags);
    }
    if let Some(errno) = stats.workers.first().and_then(|w| w.uring_setup_errno) {
        eprintln!(
            "spindle: io_uring setup failed ({}); fell back to epoll",
            std::io::Error::from_raw_os_error(errno)
        );
    }
}
