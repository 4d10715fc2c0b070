//! The shared client of the `echo` workload: one thread (tokio
//! current-thread runtime), `--conns` connections to `--addr`, each doing
//! `--rounds` round trips of a 100-byte message and checking every echo.
//! Both echo servers (`echo_spindle`, `echo_tokio`) start this same binary,
//! so the client side is identical and only the server differs.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let addr = arg(&args, "--addr", "127.0.0.1:7000");
    let conns: usize = arg(&args, "--conns", "64").parse().expect("--conns N");
    let rounds: usize = arg(&args, "--rounds", "2000").parse().expect("--rounds N");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let total = rt.block_on(async move {
        let mut tasks = Vec::new();
        for c in 0..conns {
            let addr = addr.clone();
            tasks.push(tokio::spawn(async move {
                let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
                s.set_nodelay(true).expect("nodelay");
                let mut msg = [0u8; 100];
                let mut back = [0u8; 100];
                let mut bytes = 0usize;
                for r in 0..rounds {
                    for (i, b) in msg.iter_mut().enumerate() {
                        *b = (c + r + i) as u8;
                    }
                    s.write_all(&msg).await.expect("write");
                    s.read_exact(&mut back).await.expect("read");
                    assert_eq!(msg, back, "echo mismatch");
                    bytes += back.len();
                }
                bytes
            }));
        }
        let mut total = 0;
        for t in tasks {
            total += t.await.expect("client task");
        }
        total
    });
    println!("echoed {total} bytes over {conns} connections");
}
