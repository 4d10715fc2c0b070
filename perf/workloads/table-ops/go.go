// table-ops: insert 1,000,000 integer keys (scattered by a multiplicative
// hash modulo the prime 1000003), then look up the keys 0..999,999; print how
// many were found and the sum of the values found.
package main

import "fmt"

const n, p = 1000000, 1000003

func main() {
	t := make(map[int]int)
	for i := 0; i < n; i++ {
		t[(i*7919)%p] = i
	}
	found, sum := 0, 0
	for k := 0; k < n; k++ {
		if v, ok := t[k]; ok {
			found++
			sum += v
		}
	}
	fmt.Println(found)
	fmt.Println(sum)
}
