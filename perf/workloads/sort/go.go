// sort: sort 1,000,000 floats in [0, 1) drawn from the Park-Miller LCG
// (x <- x * 16807 mod 2^31-1, seed 42; exact in doubles), then print a
// checksum: the sum of floor(a[i] * 1e6) over every 1000th element.
package main

import (
	"fmt"
	"math"
	"sort"
)

const n, m = 1000000, 2147483647

func main() {
	a := make([]float64, 0, n)
	x := int64(42)
	for i := 0; i < n; i++ {
		x = (x * 16807) % m
		a = append(a, float64(x)/float64(m))
	}
	sort.Float64s(a)
	sum := int64(0)
	for i := 0; i < n; i += 1000 {
		sum += int64(math.Floor(a[i] * 1000000))
	}
	fmt.Println(sum)
}
