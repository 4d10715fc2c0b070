# tokio peer: the same program on tokio's multi-thread runtime (2 workers)
tcp_echo_tokio --conns 50 --rounds 2000
