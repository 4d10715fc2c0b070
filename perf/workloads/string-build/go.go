// string-build: append the decimal forms of 0..999,999 to one buffer,
// separated by commas, then split it on commas. Prints the byte length, the
// number of parts, and the total length of the parts.
package main

import (
	"fmt"
	"strconv"
	"strings"
)

const n = 1000000

func main() {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(strconv.Itoa(i))
	}
	s := b.String()
	parts := strings.Split(s, ",")
	chars := 0
	for _, part := range parts {
		chars += len(part)
	}
	fmt.Println(len(s))
	fmt.Println(len(parts))
	fmt.Println(chars)
}
