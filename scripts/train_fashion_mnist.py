#!/usr/bin/python3
"""Train from the drives, end to end, on real data: Debian's Fashion-MNIST
(dataset-fashion-mnist) is written out as one PNG a sample, train/<label>/<n>.png with
its label in <n>.cls (test/ alike), packed onto four drives with parity 1, one drive is
removed, and a small CPU model trains through FerryDataLoader (two workers) straight off
the three drives left, reading every sample through parity where the lost drive held it.
Prints the test accuracy (read off the drives as well) and the reader's figures.

    PYTHONPATH=build/python /usr/bin/python3 scripts/train_fashion_mnist.py

Options: --ferry BIN (default build/ferry), --work DIR (default a temporary folder, removed
at the end), --epochs 2, --workers 2, --train-limit N (use the first N training images;
default all 60,000), --batch-size 128. On two cores the whole run takes one to two minutes.

Fashion-MNIST is small (60,000 PNG files of about 300 bytes, 20 MB) and its files lie on
the drives class by class, so the hard-drive defaults (64 MiB spans, 4 a window) would
make it one span. Here spans are 512 KiB and one window holds the whole set: every batch
mixes samples from all over it, and the two workers are dealt alternate spans. Blocks are
64 KiB, so that a span is several blocks and the workers share few of them.
"""

import argparse
import gzip
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

DATA = "/usr/share/datasets/fashion-mnist"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_idx(path):
    """An idx file (the MNIST format): big-endian dims, then unsigned bytes."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def write_pngs(images, labels, folder):
    from PIL import Image
    for n, (image, label) in enumerate(zip(images, labels)):
        d = os.path.join(folder, str(int(label)))
        os.makedirs(d, exist_ok=True)
        Image.fromarray(image, mode="L").save(os.path.join(d, f"{n:05d}.png"), optimize=False)
        with open(os.path.join(d, f"{n:05d}.cls"), "w") as f:
            f.write(str(int(label)))


def decode(sample):
    """Runs in the DataLoader worker: PNG bytes to a normalised tensor, label to an int."""
    import torch
    from PIL import Image
    image = np.asarray(Image.open(io.BytesIO(sample["png"])), dtype=np.float32) / 255.0
    return torch.from_numpy((image - 0.286) / 0.353).reshape(-1), int(sample["cls"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ferry", default=os.path.join(REPO, "build", "ferry"))
    parser.add_argument("--work", default=None)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--train-limit", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch
    from ferry.torch import FerryDataLoader, FerryDataset

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    work = args.work or tempfile.mkdtemp(prefix="ferry-fashion-")
    os.makedirs(work, exist_ok=True)
    started = time.monotonic()
    try:
        source = os.path.join(work, "source")
        if os.path.exists(source):
            shutil.rmtree(source)
        train_x = read_idx(os.path.join(DATA, "train-images-idx3-ubyte.gz"))
        train_y = read_idx(os.path.join(DATA, "train-labels-idx1-ubyte.gz"))
        if args.train_limit:
            train_x, train_y = train_x[:args.train_limit], train_y[:args.train_limit]
        write_pngs(train_x, train_y, os.path.join(source, "train"))
        write_pngs(read_idx(os.path.join(DATA, "t10k-images-idx3-ubyte.gz")),
                   read_idx(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz")),
                   os.path.join(source, "test"))
        print(f"wrote {len(train_y)} training and 10000 test images as PNG "
              f"({time.monotonic() - started:.1f} s)", flush=True)

        key = os.path.join(work, "ship.key")
        drives = [os.path.join(work, f"drive{i}") for i in range(4)]
        for d in drives:
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
        if os.path.exists(key):
            os.remove(key)
        subprocess.run([args.ferry, "keygen", "-o", key], check=True, capture_output=True)
        t = time.monotonic()
        subprocess.run([args.ferry, "pack", source, "--to", *drives, "--parity", "1",
                        "--key-file", key, "--block-size", "64", "-q"], check=True)
        print(f"packed onto 4 drives, parity 1 ({time.monotonic() - t:.1f} s)", flush=True)
        shutil.rmtree(source)
        shutil.rmtree(drives[2])  # a drive lost on the way
        drives = drives[:2] + drives[3:]
        print("drive 2 removed: training from the other three", flush=True)

        shuffle = dict(span_bytes=512 << 10, window_spans=64)
        t = time.monotonic()
        train = FerryDataset(drives, key_file=key, prefix="train/", seed=args.seed,
                             decode=decode, **shuffle)
        test = FerryDataset(drives, key_file=key, prefix="test/", shuffle=False,
                            decode=decode, **shuffle)
        print(f"opened: {train.num_samples} training and {test.num_samples} test samples "
              f"({time.monotonic() - t:.1f} s)", flush=True)
        loader = FerryDataLoader(train, batch_size=args.batch_size, num_workers=args.workers)
        model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                    torch.nn.Linear(256, 10))
        optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
        for epoch in range(args.epochs):
            train.set_epoch(epoch)
            t = time.monotonic()
            model.train()
            total_loss = seen = 0
            for x, y in loader:
                optimiser.zero_grad()
                loss = torch.nn.functional.cross_entropy(model(x), y)
                loss.backward()
                optimiser.step()
                total_loss += loss.item() * len(y)
                seen += len(y)
            stats = loader.stats()
            seconds = time.monotonic() - t
            print(f"epoch {epoch}: loss {total_loss / seen:.3f}, {seen} samples in "
                  f"{seconds:.1f} s ({seen / seconds:.0f} samples/s, "
                  f"{stats['sample_bytes'] / seconds / 1e6:.1f} MB/s), read amplification "
                  f"{stats['read_amplification']:.2f}, stripes rebuilt "
                  f"{stats['stripes_rebuilt']}", flush=True)

        model.eval()
        t = time.monotonic()
        correct = count = 0
        with torch.no_grad():
            for x, y in FerryDataLoader(test, batch_size=1000, num_workers=args.workers):
                correct += (model(x).argmax(1) == y).sum().item()
                count += len(y)
        print(f"test accuracy: {correct / count:.4f} ({correct}/{count}), read in "
              f"{time.monotonic() - t:.1f} s; {time.monotonic() - started:.0f} s in all",
              flush=True)
        return 0
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
