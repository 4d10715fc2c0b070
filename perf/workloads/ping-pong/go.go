// ping-pong: 1,000,000 round trips between two goroutines over two
// unbuffered channels. The main goroutine sends i, the echo goroutine answers
// i + 1; the main goroutine prints the sum of the answers.
package main

import "fmt"

const n = 1000000

func main() {
	ping := make(chan int)
	pong := make(chan int)
	go func() {
		for i := 0; i < n; i++ {
			pong <- 1 + <-ping
		}
	}()
	sum := 0
	for i := 0; i < n; i++ {
		ping <- i
		sum += <-pong
	}
	fmt.Println(sum)
}
