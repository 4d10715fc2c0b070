# Spindle side: spindle-rt echo server (1 worker) + the shared client (1 thread), 64 connections
echo_spindle --workers 1 --conns 64 --rounds 2000
