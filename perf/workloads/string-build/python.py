# string-build: append the decimal forms of 0..999,999 to one buffer,
# separated by commas, then split it on commas. Prints the byte length, the
# number of parts, and the total length of the parts.
import io

N = 1000000


def run():
    b = io.StringIO()
    for i in range(N):
        if i > 0:
            b.write(",")
        b.write(str(i))
    s = b.getvalue()
    parts = s.split(",")
    chars = 0
    for part in parts:
        chars += len(part)
    print(len(s))
    print(len(parts))
    print(chars)


run()
