// loop-sum: sum 1..50,000,000 in a loop inside a function.
package main

import "fmt"

//go:noinline
func sumTo(n int) int {
	s := 0
	for i := 1; i <= n; i++ {
		s += i
	}
	return s
}

func main() {
	fmt.Println(sumTo(50000000))
}
