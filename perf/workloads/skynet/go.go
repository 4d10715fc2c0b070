// skynet: a tree of goroutines with fan-out 10 and 1,000,000 leaves
// (1,111,111 goroutines in all). Each leaf reports its number; each inner
// goroutine sums its ten children's reports (received on its own unbuffered
// channel) and reports the sum to its parent. Prints the sum at the root.
package main

import "fmt"

const leaves, fanOut = 1000000, 10

func node(ch chan<- int, num, size int) {
	if size == 1 {
		ch <- num
		return
	}
	sub := make(chan int)
	step := size / fanOut
	for i := 0; i < fanOut; i++ {
		go node(sub, num+i*step, step)
	}
	sum := 0
	for i := 0; i < fanOut; i++ {
		sum += <-sub
	}
	ch <- sum
}

func main() {
	ch := make(chan int)
	go node(ch, 0, leaves)
	fmt.Println(<-ch)
}
