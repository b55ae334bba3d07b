#!/usr/bin/python3
"""Training input from the drives against plain files: samples/s and MB/s through
FerryDataLoader over a shipment's drives (all of them, then with one missing) and through a
plain torch Dataset reading the same files from a restored tree, with the same number of
workers, batch size and shuffling (each file a sample, read whole). Prints the figures and
FerryDataLoader's read amplification; asserts nothing. Run by bench/run.sh; by hand:

    PYTHONPATH=build/python /usr/bin/python3 bench/loader.py --key ship.key \\
        --tree restored/ --drives d1 d2 d3 d4 [--workers 2] [--batch-size 64] [--json F]

The plain Dataset reads the files in a random order (RandomSampler); ferry reads them in
its epoch order (spans of 64 MiB, windows of 4 spans), as a training run would.
"""

import argparse
import json
import os
import sys
import time

import torch
import torch.utils.data as tud


class PlainFiles(tud.Dataset):
    """The baseline: every file of a tree, read whole from the file system."""

    def __init__(self, root):
        self.paths = []
        for folder, _, names in os.walk(root):
            for name in sorted(names):
                path = os.path.join(folder, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    self.paths.append(path)
        self.paths.sort()

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        with open(self.paths[i], "rb") as f:
            return f.read()


def sizes(batch):
    """Collated in the worker: only the sizes travel back, as a real decode would shrink
    samples; the bytes were read all the same."""
    return [len(b if isinstance(b, bytes) else b["data"]) for b in batch]


def timed(loader):
    t = time.monotonic()
    samples = total = 0
    for batch in loader:
        samples += len(batch)
        total += sum(batch)
    return samples, total, time.monotonic() - t


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drives", nargs="+", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--tree", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--missing", type=int, default=1, help="slot index left out (-1: none)")
    parser.add_argument("--label", default="")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    from ferry.torch import FerryDataLoader, FerryDataset

    rows = []

    def row(name, samples, total, seconds, amplification=None):
        r = {"set": args.label, "reader": name, "samples": samples, "bytes": total,
             "seconds": round(seconds, 3), "samples_per_s": samples / seconds,
             "mb_per_s": total / seconds / 1e6, "read_amplification": amplification}
        rows.append(r)
        extra = "" if amplification is None else f", read amplification {amplification:.3f}"
        print(f"  {args.label} {name}: {samples} samples in {seconds:.1f} s, "
              f"{r['samples_per_s']:.0f} samples/s, {r['mb_per_s']:.0f} MB/s{extra}", flush=True)
        return r

    plain = PlainFiles(args.tree)
    loader = tud.DataLoader(plain, batch_size=args.batch_size, shuffle=True,
                            num_workers=args.workers, collate_fn=sizes)
    base = row(f"plain Dataset, restored tree, {args.workers} workers", *timed(loader))

    runs = [("FerryDataLoader, all drives", args.drives)]
    if 0 <= args.missing < len(args.drives):
        left = args.drives[:args.missing] + args.drives[args.missing + 1:]
        runs.append(("FerryDataLoader, one drive missing", left))
    for name, drives in runs:
        ds = FerryDataset(drives, key_file=args.key, group="file", shuffle=True, seed=0)
        loader = FerryDataLoader(ds, batch_size=args.batch_size, num_workers=args.workers,
                                 collate_fn=sizes)
        samples, total, seconds = timed(loader)
        r = row(f"{name}, {args.workers} workers", samples, total, seconds,
                loader.stats()["read_amplification"])
        print(f"    {r['samples_per_s'] / base['samples_per_s'] * 100:.0f} % of the plain "
              f"Dataset's samples/s", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
