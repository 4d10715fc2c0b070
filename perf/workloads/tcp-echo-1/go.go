// tcp-echo-1 (one connection): an echo server and its clients in one program, over loopback.
// conns client goroutines each make rounds round trips of a 100-byte message
// (checking every echo); the program prints the bytes echoed in total.
package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"sync"
)

const conns = 1
const rounds = 100000

func echo(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func client(addr string, c int, out *int64, mu *sync.Mutex, wg *sync.WaitGroup) {
	defer wg.Done()
	s, err := net.Dial("tcp", addr)
	if err != nil {
		panic(err)
	}
	s.(*net.TCPConn).SetNoDelay(true)
	msg := bytes.Repeat([]byte{byte(65 + c%26)}, 100)
	back := make([]byte, 100)
	n := int64(0)
	for r := 0; r < rounds; r++ {
		if _, err := s.Write(msg); err != nil {
			panic(err)
		}
		if _, err := io.ReadFull(s, back); err != nil {
			panic(err)
		}
		if !bytes.Equal(msg, back) {
			panic("echo mismatch")
		}
		n += 100
	}
	s.Close()
	mu.Lock()
	*out += n
	mu.Unlock()
}

func main() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go echo(c)
		}
	}()
	var total int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go client(l.Addr().String(), c, &total, &mu, &wg)
	}
	wg.Wait()
	l.Close()
	fmt.Printf("echoed %d bytes over %d connections\n", total, conns)
}
