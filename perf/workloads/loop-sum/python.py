# loop-sum: sum 1..50,000,000 in a loop inside a function.
def sum_to(n):
    s = 0
    for i in range(1, n + 1):
        s += i
    return s


print(sum_to(50000000))
