#!/usr/bin/python3
"""The reader alone, without FUSE or a DataLoader: every file of a shipment read by
THREADS Python threads through ferry.Shipment, whole or in CHUNK-byte reads, as the mount
reads them. Prints the rate, the time a file takes a thread (what a small-files set is
about) and the reader's counters; asserts nothing. By hand:

    PYTHONPATH=build/python /usr/bin/python3 bench/reader_threads.py --key ship.key \\
        --threads 4 --chunk 131072 d0 d1 d2 d3
"""

import argparse
import threading
import time

import ferry


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("drives", nargs="+")
    parser.add_argument("--key", required=True, help="key file of the shipment")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--chunk", type=int, default=0, help="bytes a read (0: whole files)")
    args = parser.parse_args()
    s = ferry.open(args.drives, key_file=args.key)
    files = s.files()
    total = sum(e.size for e in files)

    def read_share(first):
        for e in files[first::args.threads]:
            if not args.chunk:
                s.read_entry(e)
                continue
            for offset in range(0, e.size, args.chunk):
                s.read_entry(e, offset, args.chunk)

    start = time.monotonic()
    threads = [threading.Thread(target=read_share, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - start
    print(f"{len(files)} files, {total / 1e9:.3f} GB in {took:.2f} s: {total / took / 1e9:.3f} GB/s, "
          f"{took * args.threads / len(files) * 1e6:.1f} µs a file a thread "
          f"({args.threads} threads, {'whole files' if not args.chunk else f'{args.chunk}-byte reads'})")
    print(s.stats())


if __name__ == "__main__":
    main()
