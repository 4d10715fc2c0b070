# sort: sort 1,000,000 floats in [0, 1) drawn from the Park-Miller LCG
# (x <- x * 16807 mod 2^31-1, seed 42; exact in doubles), then print a
# checksum: the sum of floor(a[i] * 1e6) over every 1000th element.
import math

N, M = 1000000, 2147483647


def run():
    a = []
    x = 42
    for _ in range(N):
        x = (x * 16807) % M
        a.append(x / M)
    a.sort()
    total = 0
    for i in range(0, N, 1000):
        total += math.floor(a[i] * 1000000)
    print(total)


run()
