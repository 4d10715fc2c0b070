//! `tcp-echo` workload, tokio side: an echo server and its clients in one
//! process on tokio's multi-thread runtime (`--workers`, default 2), as the
//! Spindle, Go and Erlang programs of the workload do. `--conns` client
//! tasks each make `--rounds` round trips of a 100-byte message, checking
//! every echo; prints the bytes echoed in total.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a count"))
}

async fn echo(mut s: TcpStream) {
    let mut buf = vec![0u8; 4096];
    loop {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if s.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
}

async fn client(addr: std::net::SocketAddr, c: usize, rounds: usize) -> usize {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.set_nodelay(true).expect("nodelay");
    let msg = [b'A' + (c % 26) as u8; 100];
    let mut back = [0u8; 100];
    for _ in 0..rounds {
        s.write_all(&msg).await.expect("write");
        s.read_exact(&mut back).await.expect("read");
        assert_eq!(msg, back, "echo mismatch");
    }
    rounds * msg.len()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let conns = arg(&args, "--conns", 50);
    let rounds = arg(&args, "--rounds", 2000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(arg(&args, "--workers", 2))
        .enable_all()
        .build()
        .expect("tokio runtime");
    let total = rt.block_on(async move {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = l.local_addr().expect("local_addr");
        let server = tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                tokio::spawn(echo(s));
            }
        });
        let clients: Vec<_> = (0..conns)
            .map(|c| tokio::spawn(client(addr, c, rounds)))
            .collect();
        let mut total = 0;
        for t in clients {
            total += t.await.expect("client task");
        }
        server.abort();
        total
    });
    println!("echoed {total} bytes over {conns} connections");
}
