# table-ops: insert 1,000,000 integer keys (scattered by a multiplicative
# hash modulo the prime 1000003), then look up the keys 0..999,999; print how
# many were found and the sum of the values found.
N, P = 1000000, 1000003


def run():
    t = {}
    for i in range(N):
        t[(i * 7919) % P] = i
    found = 0
    total = 0
    for k in range(N):
        v = t.get(k)
        if v is not None:
            found += 1
            total += v
    print(found)
    print(total)


run()
