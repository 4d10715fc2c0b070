// spawn: start 100,000 goroutines; each yields to the scheduler once
// (runtime.Gosched) and then reports its number on an unbuffered channel. The
// main goroutine receives all the reports and prints their sum.
package main

import (
	"fmt"
	"runtime"
)

const n = 100000

func main() {
	ch := make(chan int)
	for i := 0; i < n; i++ {
		go func(i int) {
			runtime.Gosched()
			ch <- i
		}(i)
	}
	sum := 0
	for i := 0; i < n; i++ {
		sum += <-ch
	}
	fmt.Println(sum)
}
