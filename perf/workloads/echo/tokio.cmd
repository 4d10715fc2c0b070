# tokio side: tokio echo server (1 worker) + the same shared client, 64 connections
echo_tokio --workers 1 --conns 64 --rounds 2000
