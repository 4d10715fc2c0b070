//! `echo` workload, Spindle side: a spindle-rt TCP echo server on
//! 127.0.0.1 (`--workers`, default 1) driven by the shared `echo_client`
//! binary, started as a child with the remaining flags. Prints the
//! client's summary line.

use std::process::{Command, Stdio};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let workers = args
        .iter()
        .position(|a| a == "--workers")
        .and_then(|i| args.get(i + 1))
        .map_or(1, |w| w.parse().expect("--workers N"));
    let rt = spindle_rt::Runtime::builder()
        .workers(workers)
        .build()
        .expect("spindle runtime");
    let addr = rt.block_on(async {
        let l = spindle_rt::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = l.local_addr().expect("local_addr");
        spindle_rt::spawn(async move {
            loop {
                let Ok((s, _)) = l.accept().await else {
                    continue;
                };
                let _ = s.set_nodelay(true);
                spindle_rt::spawn(async move {
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
                });
            }
        });
        addr
    });
    let client = std::env::current_exe()
        .expect("current_exe")
        .with_file_name("echo_client");
    let out = Command::new(client)
        .arg("--addr")
        .arg(addr.to_string())
        .args(&args)
        .stderr(Stdio::inherit())
        .output()
        .expect("run echo_client");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    std::process::exit(out.status.code().unwrap_or(1));
}
