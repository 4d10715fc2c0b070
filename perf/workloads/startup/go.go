// startup: an empty program; measures process start and exit.
package main

func main() {}
