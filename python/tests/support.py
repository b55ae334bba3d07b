"""Shared set-up for the Python tests: a generated set packed onto four drives (parity 1)
by the real `ferry` binary (FERRY_BINARY, set by the test command)."""

import hashlib
import os
import random
import shutil
import subprocess
import tempfile

FERRY = os.environ.get("FERRY_BINARY", "ferry")
BLOCK_KIB = 64


def ferry(*args):
    result = subprocess.run([FERRY, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"ferry {' '.join(args)} failed ({result.returncode}):\n"
                           f"{result.stdout}{result.stderr}")
    return result


class PackedSet:
    """`samples` samples train/<label>/<n>.bin (random, incompressible, 8-56 KiB) plus
    <n>.cls (the label), a few extra files, packed onto drives d0..d3 with parity 1."""

    def __init__(self, samples=480, seed=7):
        self.root = tempfile.mkdtemp(prefix="ferry-py-")
        self.source = os.path.join(self.root, "source")
        self.key = os.path.join(self.root, "ship.key")
        self.drives = [os.path.join(self.root, f"d{i}") for i in range(4)]
        rng = random.Random(seed)
        self.digests = {}
        for n in range(samples):
            label = n % 5
            folder = os.path.join(self.source, "train", str(label))
            os.makedirs(folder, exist_ok=True)
            body = rng.randbytes(rng.randrange(8 << 10, 56 << 10))
            self._write(f"train/{label}/{n:05d}.bin", body)
            self._write(f"train/{label}/{n:05d}.cls", str(label).encode())
        # Grouping cases: a double extension, a name without a dot, another folder.
        self._write("other/a.tar.gz", b"gz")
        self._write("other/a.json", b"{}")
        self._write("other/README", b"plain")
        try:  # tmpfs before Linux 6.6 takes no user.* attributes
            os.setxattr(os.path.join(self.source, "other/README"), "user.ferry", b"kept")
            self.xattrs = {"user.ferry": b"kept"}
        except OSError:
            self.xattrs = None
        for d in self.drives:
            os.makedirs(d)
        ferry("keygen", "-o", self.key)
        ferry("pack", self.source, "--to", *self.drives, "--parity", "1", "--key-file",
              self.key, "--block-size", str(BLOCK_KIB), "-q")

    def _write(self, rel, body):
        path = os.path.join(self.source, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(body)
        self.digests[rel] = hashlib.sha256(body).hexdigest()

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)
