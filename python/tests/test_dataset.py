"""The Python package and the PyTorch dataset, on a set packed by the real binary:
reading, grouping, the split over ranks and workers, the epoch's order, resume in a new
process, a missing drive, a lost file, and read amplification."""

import glob
import hashlib
import os
import shutil
import pickle
import subprocess
import sys
import textwrap
import unittest

import torch

import ferry
from ferry.torch import FerryDataLoader, FerryDataset, merge_states, split_key

from support import PackedSet
from support import ferry as ferry_cli

# Small spans so that the little test set has many of them: 1 MiB spans, two a window.
SPAN = 1 << 20
WINDOW = 2
SET = None


def setUpModule():
    global SET
    SET = PackedSet()


def tearDownModule():
    SET.remove()


def key_of(sample):
    return sample["__key__"]


def dataset(**kwargs):
    drives = kwargs.pop("drives", SET.drives)
    options = dict(key_file=SET.key, prefix="train/", span_bytes=SPAN, window_spans=WINDOW,
                   decode=key_of)
    options.update(kwargs)
    return FerryDataset(drives, **options)


def train_keys():
    return sorted({split_key(p)[0] for p in SET.digests if p.startswith("train/")})


class ShipmentTest(unittest.TestCase):
    def test_an_extension_that_would_replace_the_key_is_refused(self):
        root = os.path.join(SET.root, "keyed")
        os.makedirs(os.path.join(root, "source"))
        for name, body in (("b.jpg", b"image"), ("b.__key__", b"not the key")):
            with open(os.path.join(root, "source", name), "wb") as f:
                f.write(body)
        drives = [os.path.join(root, f"d{i}") for i in range(3)]
        for d in drives:
            os.makedirs(d)
        ferry_cli("pack", os.path.join(root, "source"), "--to", *drives, "--parity", "1",
                  "--key-file", SET.key, "-q")
        with self.assertRaises(ferry.InvalidArgumentError) as caught:
            FerryDataset(drives, key_file=SET.key)
        self.assertIn("b.__key__", str(caught.exception))
        ds = FerryDataset(drives, key_file=SET.key, group="file", shuffle=False)
        self.assertEqual(sorted(s["__key__"] for s in ds), ["b.__key__", "b.jpg"])

    def test_extended_attributes_read_as_packed(self):
        if SET.xattrs is None:
            self.skipTest("this file system takes no user.* attributes")
        s = ferry.open(SET.drives, key_file=SET.key)
        self.assertEqual(s.xattrs("other/README"), SET.xattrs)
        self.assertEqual(s.xattrs("other/a.json"), {})
        with self.assertRaises(ferry.InvalidArgumentError):
            s.xattrs("no/such/file")

    def test_a_prefix_with_no_files_is_refused(self):
        with self.assertRaises(ferry.InvalidArgumentError) as caught:
            dataset(prefix="nothere/")
        self.assertIn("nothere/", str(caught.exception))

    def test_bad_arguments_are_said_without_the_key(self):
        from ferry._ferry import read_key_file
        key_shown = repr(read_key_file(SET.key))[2:30]  # as pybind11 would print it
        for kwargs in (dict(cache_bytes=-1), dict(cache_bytes=2**64),
                       dict(read_ahead_stripes=-1), dict(cache_bytes="big")):
            with self.subTest(**kwargs):
                with self.assertRaises(ferry.InvalidArgumentError) as caught:
                    ferry.open(SET.drives, key_file=SET.key, **kwargs)
                message = str(caught.exception)
                self.assertNotIn(key_shown, message)
                self.assertNotIn("Invoked with", message)
        with self.assertRaises(ferry.InvalidArgumentError) as caught:
            ferry.open(SET.drives, passphrase="my secret phrase", cache_bytes=-1)
        self.assertNotIn("my secret phrase", str(caught.exception))
        s = ferry.open(SET.drives, key_file=SET.key)
        path = s.files(prefix="train/")[0].path
        for offset, length in ((-1, 5), (0, -5)):
            with self.assertRaises(ferry.InvalidArgumentError):
                s.read(path, offset=offset, length=length)

    def test_open_list_and_read(self):
        s = ferry.open(SET.drives, key_file=SET.key)
        self.assertEqual(len(s.id), 32)
        files = s.files(prefix="other/")
        self.assertEqual(sorted(e.path for e in files),
                         ["other/README", "other/a.json", "other/a.tar.gz"])
        for e in [e for e in s.files(prefix="train/0/") if e.path.endswith(".bin")][:5]:
            body = s.read(e.path)
            self.assertEqual(len(body), e.size)
            self.assertEqual(hashlib.sha256(body).hexdigest(), SET.digests[e.path])
            self.assertEqual(e.sha256, SET.digests[e.path])
            self.assertEqual(s.read(e.path, offset=10, length=100), body[10:110])
            self.assertEqual(s.read(e.path, offset=e.size - 5), body[-5:])
        self.assertIsNone(s.stat("train/nothing"))
        self.assertGreater(s.stats()["bytes_returned"], 0)

    def test_handle_pickles_and_reopens(self):
        s = ferry.open(SET.drives, key_file=SET.key)
        copy = pickle.loads(pickle.dumps(s))
        self.assertEqual(copy.id, s.id)
        self.assertEqual(copy.read("other/a.json"), b"{}")

    def test_wrong_key_is_a_clear_error(self):
        other = os.path.join(SET.root, "other.key")
        if not os.path.exists(other):
            subprocess.run([os.environ.get("FERRY_BINARY", "ferry"), "keygen", "-o", other],
                           check=True, capture_output=True)
        with self.assertRaises(ferry.WrongKeyError):
            ferry.open(SET.drives, key_file=other)

    def test_passphrase_opens_and_pickles(self):
        root = os.path.join(SET.root, "passphrase")
        drives = [os.path.join(root, d) for d in "abc"]
        for d in drives:
            os.makedirs(d)
        secret = os.path.join(root, "secret")
        with open(secret, "w") as f:
            f.write("correct horse\n")
        ferry_cli("pack", os.path.join(SET.source, "other"), "--to", *drives, "--parity", "1",
                  "--passphrase-file", secret, "--kdf-log2-n", "10", "-q")
        s = ferry.open(drives[1:], passphrase="correct horse")
        self.assertEqual(s.missing_slots, [0])
        self.assertEqual(pickle.loads(pickle.dumps(s)).read("a.json"), b"{}")
        with self.assertRaises(ferry.WrongKeyError):
            ferry.open(drives, passphrase="wrong horse")
        with self.assertRaises(ferry.NotEnoughDrivesError):
            ferry.open(drives[:1], passphrase="correct horse")

    def test_no_key_is_a_clear_error(self):
        env = os.environ.pop("FERRY_PASSPHRASE", None)
        try:
            with self.assertRaises(ferry.InvalidArgumentError):
                ferry.open(SET.drives)
        finally:
            if env is not None:
                os.environ["FERRY_PASSPHRASE"] = env


class GroupingTest(unittest.TestCase):
    def test_basename_groups_files_of_a_sample(self):
        ds = FerryDataset(SET.drives, key_file=SET.key, prefix="", shuffle=False)
        samples = {s["__key__"]: s for s in ds}
        self.assertEqual(samples["train/3/00008"]["cls"], b"3")
        self.assertEqual(sorted(samples["train/3/00008"]), ["__key__", "bin", "cls"])
        # The extension is all of the name after its first dot; no dot: extension "".
        self.assertEqual(sorted(samples["other/a"]), ["__key__", "json", "tar.gz"])
        self.assertEqual(samples["other/a"]["tar.gz"], b"gz")
        self.assertEqual(samples["other/README"][""], b"plain")
        self.assertEqual(len(samples), len(train_keys()) + 2)

    def test_file_groups_nothing(self):
        ds = FerryDataset(SET.drives, key_file=SET.key, prefix="other/", group="file")
        samples = {s["__key__"]: s["data"] for s in ds}
        self.assertEqual(samples, {"other/a.tar.gz": b"gz", "other/a.json": b"{}",
                                   "other/README": b"plain"})

    def test_split_key(self):
        self.assertEqual(split_key("a/b.c/d.e.f"), ("a/b.c/d", "e.f"))
        self.assertEqual(split_key("x"), ("x", ""))


def run_epoch(world_size, workers, epoch=0, batch_size=7, **kwargs):
    """Every rank's batches of one epoch, and each rank's dataset."""
    batches, datasets = [], []
    for rank in range(world_size):
        ds = dataset(rank=rank, world_size=world_size, **kwargs)
        ds.set_epoch(epoch)
        loader = FerryDataLoader(ds, batch_size=batch_size, num_workers=workers)
        batches.append([list(b) for b in loader])
        datasets.append((ds, loader))
    return batches, datasets


class SplitTest(unittest.TestCase):
    def test_every_sample_once_in_one_global_order(self):
        expected = train_keys()
        reference = None
        for world_size in (1, 2, 3):
            for workers in (0, 1, 2):
                with self.subTest(world_size=world_size, workers=workers):
                    batches, datasets = run_epoch(world_size, workers)
                    got = [k for rank in batches for b in rank for k in b]
                    self.assertEqual(sorted(got), expected)  # each exactly once
                    ds = datasets[0][0]
                    order = [ds.keys[i] for i in ds.order()]
                    if reference is None:
                        reference = order
                    self.assertEqual(order, reference)  # the same global order
                    position = {k: p for p, k in enumerate(order)}
                    counts = [sum(len(b) for b in rank) for rank in batches]
                    self.assertLessEqual(max(counts) - min(counts), 1)
                    for rank, (ds, _) in zip(batches, datasets):
                        self.assertEqual(sum(len(b) for b in rank), len(ds))
                        for b in rank:  # a batch is one consumer's, in global order
                            self.assertEqual(b, sorted(b, key=position.get))
        self.assertNotEqual(reference, sorted(reference))  # shuffled

    def test_another_epoch_another_order(self):
        ds = dataset()
        first = list(ds.order(0))
        self.assertNotEqual(first, list(ds.order(1)))
        self.assertEqual(first, list(ds.order(0)))
        a, _ = run_epoch(1, 2, epoch=0)
        b, _ = run_epoch(1, 2, epoch=1)
        self.assertNotEqual(a, b)
        self.assertEqual(sorted(k for x in a[0] for k in x), sorted(k for x in b[0] for k in x))

    def test_seed_changes_the_order(self):
        self.assertNotEqual(list(dataset(seed=0).order()), list(dataset(seed=1).order()))

    def test_span_starts_cut_as_sample_order_does(self):
        # The split deals out spans that it cuts itself: the same cut as the order's.
        import numpy as np
        from ferry._ferry import span_starts
        rng = np.random.default_rng(3)
        sizes = rng.integers(0, 5000, 2000).astype(np.uint64)
        for span, window in ((1, 1), (4096, 3), (20000, 2), (1 << 30, 4)):
            order, windows = ferry.sample_order(sizes, False, 0, 0, span, window)
            self.assertEqual(list(order), list(range(2000)))
            self.assertEqual(list(span_starts(sizes, span)[::window]), list(windows))

    def test_no_shuffle_is_drive_order(self):
        ds = dataset(shuffle=False)
        self.assertEqual(list(ds.order()), list(range(ds.num_samples)))


def resume_child(mode, state_file, workers, stop=0, world_size=1, rank=0):
    """Runs an epoch in a fresh process: `mode` "stop" yields `stop` batches and saves the
    state; "rest" loads it and yields the rest. Returns the batches (lists of keys)."""
    code = textwrap.dedent(f"""
        import json, sys, torch
        from ferry.torch import FerryDataset, FerryDataLoader, merge_states
        def key_of(s):
            return s["__key__"]
        ds = FerryDataset({SET.drives!r}, key_file={SET.key!r}, prefix="train/",
                          span_bytes={SPAN}, window_spans={WINDOW}, decode=key_of,
                          rank={rank}, world_size={world_size})
        ds.set_epoch(3)
        loader = FerryDataLoader(ds, batch_size=5, num_workers={workers})
        out = []
        if {mode!r} == "rest":
            state = torch.load({state_file!r})
            if isinstance(state, list):
                state = merge_states(state)
            loader.load_state_dict(state)
        for batch in loader:
            out.append(list(batch))
            if {mode!r} == "stop" and len(out) == {stop}:
                break
        if {mode!r} == "stop":
            torch.save(loader.state_dict(), {state_file!r})
        print(json.dumps(out))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=os.environ)
    if result.returncode != 0:
        raise AssertionError(result.stderr)
    import json
    return json.loads(result.stdout.strip().splitlines()[-1])


class ResumeTest(unittest.TestCase):
    def test_resume_mid_epoch_in_a_new_process(self):
        whole = resume_child("all", "", workers=2)
        for stop in (1, 9):
            with self.subTest(stop=stop):
                state = os.path.join(SET.root, f"state-{stop}.pt")
                first = resume_child("stop", state, workers=2, stop=stop)
                self.assertEqual(first, whole[:stop])
                rest = resume_child("rest", state, workers=2)
                self.assertEqual(first + rest, whole)  # the same sequence of batches
                # Another number of workers: the same samples, each once.
                other = resume_child("rest", state, workers=0)
                self.assertEqual(sorted(k for b in first + other for k in b),
                                 sorted(k for b in whole for k in b))

    def test_resume_on_another_world_size(self):
        states, first = [], []
        for rank in range(2):
            path = os.path.join(SET.root, f"rank-{rank}.pt")
            first += resume_child("stop", path, workers=1, stop=3, world_size=2, rank=rank)
            states.append(torch.load(path))
        merged = os.path.join(SET.root, "merged.pt")
        torch.save(states, merged)
        rest = []
        for rank in range(3):
            rest += resume_child("rest", merged, workers=2, world_size=3, rank=rank)
        got = sorted(k for b in first + rest for k in b)
        self.assertEqual(got, train_keys())

    def test_a_state_saved_again_before_iterating_is_the_state_loaded(self):
        ds = dataset()
        ds.set_epoch(3)
        loader = FerryDataLoader(ds, batch_size=4)
        it = iter(loader)
        first = [next(it) for _ in range(2)]
        state = loader.state_dict()
        again = FerryDataLoader(dataset(), batch_size=4)
        again.load_state_dict(state)
        saved = again.state_dict()  # pre-empted before its first batch
        self.assertEqual(saved, state)
        resumed = FerryDataLoader(dataset(), batch_size=4)
        resumed.load_state_dict(saved)
        rest = list(resumed)
        ds3 = dataset()
        ds3.set_epoch(3)
        whole = list(FerryDataLoader(ds3, batch_size=4))
        self.assertEqual(first + rest, whole)

    def test_a_state_of_another_set_is_refused(self):
        ds = dataset()
        loader = FerryDataLoader(ds, batch_size=4)
        state = loader.state_dict()
        other = FerryDataLoader(dataset(seed=5), batch_size=4)
        with self.assertRaises(ferry.InvalidArgumentError):
            other.load_state_dict(state)


DISTRIBUTED_CHILD = """
import json, sys, torch, torch.distributed as dist
from ferry.torch import FerryDataset, FerryDataLoader
rank, init = int(sys.argv[1]), sys.argv[2]
dist.init_process_group("gloo", init_method=init, rank=rank, world_size=2)
def key_of(s):
    return s["__key__"]
ds = FerryDataset({drives!r}, key_file={key!r}, prefix="train/", span_bytes={span},
                  window_spans={window}, decode=key_of)
loader = FerryDataLoader(ds, batch_size=5, num_workers=1)
out = []
for batch in loader:
    out.append(list(batch))
    if len(out) == 3:
        break
state = loader.state_dict()  # gathers both ranks' parts
torch.save(state, sys.argv[3])
print(json.dumps({{"rank": ds.rank, "world_size": ds.world_size, "keys": out}}))
dist.destroy_process_group()
"""


class DistributedTest(unittest.TestCase):
    def test_rank_and_world_size_come_from_torch_distributed(self):
        init = "file://" + os.path.join(SET.root, "dist-init")
        code = DISTRIBUTED_CHILD.format(drives=SET.drives, key=SET.key, span=SPAN,
                                        window=WINDOW)
        children = [subprocess.Popen(
            [sys.executable, "-c", code, str(r), init, os.path.join(SET.root, f"dist-{r}.pt")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in range(2)]
        results = []
        for child in children:
            out, err = child.communicate(timeout=300)
            self.assertEqual(child.returncode, 0, err)
            results.append(__import__("json").loads(out.strip().splitlines()[-1]))
        self.assertEqual(sorted((r["rank"], r["world_size"]) for r in results), [(0, 2), (1, 2)])
        first = [k for r in results for b in r["keys"] for k in b]
        # Either rank's state holds both parts: one process resumes the whole rest.
        rest = resume_child("rest", os.path.join(SET.root, "dist-1.pt"), workers=2)
        self.assertEqual(sorted(first + [k for b in rest for k in b]), train_keys())


class DegradedTest(unittest.TestCase):
    def test_a_drive_missing_changes_nothing(self):
        full = list(FerryDataLoader(dataset(decode=None), batch_size=None, num_workers=2))
        ds = dataset(drives=SET.drives[1:], decode=None)
        self.assertEqual(ds.shipment.missing_slots, [0])
        loader = FerryDataLoader(ds, batch_size=None, num_workers=2)
        got = list(loader)
        self.assertEqual([s["__key__"] for s in got], [s["__key__"] for s in full])
        for s in got:
            self.assertEqual(hashlib.sha256(s["bin"]).hexdigest(), SET.digests[s["__key__"] + ".bin"])
        self.assertGreater(loader.stats()["stripes_rebuilt"], 0)


def damaged_copy(name):
    """Drives 0-2 copied, drive 3 left out, and a few blocks in the middle of drive 0's
    segment overwritten: their stripes have two members gone, one more than parity."""
    root = os.path.join(SET.root, name)
    drives = []
    for d in SET.drives[:3]:
        copy = os.path.join(root, os.path.basename(d))
        shutil.copytree(d, copy)
        drives.append(copy)
    segments = sorted(glob.glob(os.path.join(drives[0], "*", "segments", "*")),
                      key=os.path.getsize)
    with open(segments[-1], "r+b") as f:
        size = os.path.getsize(segments[-1])
        f.seek(size // 2)
        f.write(b"\xa5" * (3 * 65 << 10))
    return drives


class LostFileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.drives = damaged_copy("lost")

    def test_a_lost_file_raises(self):
        ds = dataset(drives=self.drives, decode=None)
        loader = FerryDataLoader(ds, batch_size=4, num_workers=2)
        with self.assertRaises(ferry.Error) as caught:
            for _ in loader:
                pass
        self.assertIn("sample train/", str(caught.exception))

    def test_a_lost_file_is_skipped_and_counted(self):
        ds = dataset(drives=self.drives, decode=None, on_error="skip")
        loader = FerryDataLoader(ds, batch_size=None, num_workers=2)
        got = {}
        for s in loader:
            got[s["__key__"]] = s
            self.assertEqual(hashlib.sha256(s["bin"]).hexdigest(),
                             SET.digests[s["__key__"] + ".bin"])
        stats = loader.stats()
        self.assertGreater(stats["skipped"], 0)
        self.assertEqual(stats["samples"], len(got))
        self.assertEqual(stats["skipped"] + len(got), ds.num_samples)
        self.assertFalse(set(stats["skipped_keys"]) & set(got))
        self.assertEqual(sorted(set(stats["skipped_keys"]) | set(got)), train_keys())


class ReadAmplificationTest(unittest.TestCase):
    def test_bytes_read_stay_near_sample_bytes(self):
        for world_size, workers in ((1, 2), (3, 2)):
            with self.subTest(world_size=world_size, workers=workers):
                total_read = total_samples = 0
                for rank in range(world_size):
                    # A cache of one window plus a little, as on a large set.
                    ds = dataset(rank=rank, world_size=world_size,
                                 cache_bytes=SPAN * WINDOW + (256 << 10))
                    loader = FerryDataLoader(ds, batch_size=16, num_workers=workers)
                    for _ in loader:
                        pass
                    stats = loader.stats()
                    total_read += stats["bytes_read"]
                    total_samples += stats["sample_bytes"]
                self.assertGreater(total_samples, 0)
                amplification = total_read / total_samples
                print(f"read amplification, {world_size} ranks x {workers} workers: "
                      f"{amplification:.3f}", file=sys.stderr)
                self.assertLessEqual(amplification, 1.1)
                self.assertGreaterEqual(amplification, 0.9)


if __name__ == "__main__":
    unittest.main()
