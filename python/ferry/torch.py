"""Training straight off the drives: a PyTorch IterableDataset and a DataLoader that
can save and restore its place in an epoch.

    from ferry.torch import FerryDataset, FerryDataLoader
    ds = FerryDataset(drives, key_file="ship.key", prefix="train/", group="basename",
                      shuffle=True, seed=0, decode=None, on_error="raise")
    loader = FerryDataLoader(ds, batch_size=256, num_workers=2)
    for epoch in range(epochs):
        ds.set_epoch(epoch)
        for batch in loader:
            ...
    state = loader.state_dict()        # at any point of an epoch; later, in a new process:
    loader.load_state_dict(state)      # the next iteration yields the rest of that epoch

Samples. group="basename": the files of one folder whose names agree up to the first
dot form one sample, as in WebDataset: train/7/00042.png and train/7/00042.cls give
{"__key__": "train/7/00042", "png": b"...", "cls": b"7"} (the extension is all of the
name after the first dot; a name without a dot is a sample of its own with extension "").
group="file": each file is a sample {"__key__": path, "data": b"..."}. `decode`, a
callable taking that dict, runs in the worker and its result is what is yielded.

The epoch's global order. Samples are taken in the order their bytes lie on the drives,
cut into spans of about `span_bytes`, the spans permuted by (seed, epoch) and the samples
shuffled within each window of `window_spans` spans (ferry/sample_order.h: one algorithm,
shared with `ferry export`). This sequence of N samples, positions 0..N-1, depends only on
the set, the seed and the epoch -- never on how many ranks or workers read it.

Split. The consumers are the rank x worker pairs (C = world_size x max(num_workers, 1));
consumer c = rank x workers + worker gets as many samples as the run of positions
[floor(c N / C), floor((c + 1) N / C)) holds, and reads them in position order. That run
covers whole windows except at its ends; a window cut between consumers is dealt out to
them span by span instead, so every span's bytes are read by one consumer, whose unit
cache holds one window, and the bytes read from the drives stay near the samples' own bytes
(stats()["read_amplification"]). Padding/drop rule: none -- every sample is read exactly
once per epoch, and ranks (as workers) get counts that differ by at most one sample.
Under DistributedDataParallel, ranks whose counts differ by one may see a different number
of batches: use torch.distributed.algorithms.Join, or stop every rank at the smallest
len(dataset) // batch_size.

Span and window defaults: 64 MiB spans (a hard drive's seek then costs about 5 % of its
time) and 4 spans a window (samples of a batch come from four distant places of the set);
a consumer's unit cache holds a window (256 MiB) plus a margin. A set smaller than a few
windows is not shuffled much between spans: lower span_bytes for small sets.

Resume. FerryDataLoader.state_dict() records, for each consumer of this rank, which
positions of the epoch are still to come (the loader has yielded everything before).
load_state_dict() in a new process makes the next iteration yield exactly those: with the
same world size and workers the same sequence of batches, otherwise the same set of
samples split again over the new consumers. With torch.distributed initialised the state
holds every rank's part (gathered), so it can resume on another world size; without it,
merge the ranks' states with merge_states().
"""

import bisect
import copy
import hashlib
import os

import numpy as np
import torch
import torch.utils.data as tud

from . import Shipment
from ._ferry import sample_order, span_starts
from .errors import Error, InvalidArgumentError

__all__ = ["FerryDataset", "FerryDataLoader", "merge_states", "split_key"]

_STATE_VERSION = 1
_DEFAULT_SPAN = 64 << 20
_DEFAULT_WINDOW = 4


def split_key(path):
    """(key, extension) of a file path by WebDataset's rule: the key is the folder and the
    name up to its first dot, the extension all of the name after that dot."""
    slash = path.rfind("/")
    name = path[slash + 1:]
    dot = name.find(".")
    if dot < 0:
        return path, ""
    return path[:slash + 1] + name[:dot], name[dot + 1:]


def _compress(positions):
    """Ascending positions as [[begin, end), ...] runs."""
    positions = np.asarray(positions, dtype=np.int64)
    if positions.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(positions) != 1) + 1
    starts = np.concatenate(([0], breaks))
    ends = np.concatenate((breaks, [positions.size]))
    return [[int(positions[a]), int(positions[b - 1]) + 1] for a, b in zip(starts, ends)]


def _expand(intervals):
    if not intervals:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in intervals])


def _assign(todo, order, window_starts, span_of, consumers):
    """Splits the positions `todo` (ascending) over `consumers`: consumer c gets as many
    as the contiguous run [c n / C, (c + 1) n / C) of them holds, and that run itself
    where it covers whole windows. A window cut between consumers is dealt out span by
    span instead, round robin, each span's samples in drive order (a span is split only
    where a consumer has its count), so that each span's bytes are still read by one
    consumer and each consumer's part mixes the whole window. Returns one ascending array
    per consumer."""
    n = todo.size
    bounds = [c * n // consumers for c in range(consumers + 1)]
    result = todo.copy()
    window = np.searchsorted(window_starts, todo, side="right") - 1
    cut = sorted({int(window[b]) for b in bounds[1:-1] if 0 < b < n and window[b - 1] == window[b]})
    for w in cut:
        lo = int(np.searchsorted(window, w, side="left"))
        hi = int(np.searchsorted(window, w, side="right"))
        members = todo[lo:hi]
        samples = order[members]
        spans = span_of[samples]
        # Spans in the order the window's shuffle first reaches them; samples by span,
        # then drive order.
        _, first = np.unique(spans, return_index=True)
        span_sequence = spans[np.sort(first)]
        grouped = np.lexsort((samples, spans))
        sorted_spans = spans[grouped]
        owners = [c for c in range(consumers) if max(lo, bounds[c]) < min(hi, bounds[c + 1])]
        need = {c: min(hi, bounds[c + 1]) - max(lo, bounds[c]) for c in owners}
        given = {c: [] for c in owners}
        turn = 0
        for span in span_sequence.tolist():
            a = int(np.searchsorted(sorted_spans, span, side="left"))
            e = int(np.searchsorted(sorted_spans, span, side="right"))
            chunk = members[grouped[a:e]]
            while chunk.size:
                while need[owners[turn]] == 0:
                    turn = (turn + 1) % len(owners)
                c = owners[turn]
                take = min(need[c], chunk.size)
                given[c].append(chunk[:take])
                need[c] -= take
                chunk = chunk[take:]
            turn = (turn + 1) % len(owners)
        for c in owners:
            a, e = max(lo, bounds[c]), min(hi, bounds[c + 1])
            result[a:e] = np.sort(np.concatenate(given[c]))
    return [result[bounds[c]:bounds[c + 1]] for c in range(consumers)]


def _normalise(intervals):
    out = []
    for a, b in sorted([int(a), int(b)] for a, b in intervals):
        if a >= b:
            continue
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def _world():
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


class FerryDataset(tud.IterableDataset):
    """Samples of a shipment, read straight off its drives (see the module's doc).

    drives, key_file, passphrase: as ferry.open(); or shipment= an open ferry.Shipment.
    prefix: only files at or below it ("train/"). group: "basename" or "file".
    shuffle, seed: the epoch's order (set_epoch() picks the epoch). decode: callable run
    on each sample dict in the worker. on_error: "raise" (a sample that cannot be read
    raises the ferry error, naming the sample) or "skip" (it is left out and counted in
    stats()). rank, world_size: default from torch.distributed when initialised, else
    0 and 1. span_bytes, window_spans: the shuffle's granularity. cache_bytes: each
    consumer's cache of decrypted units (default: a window plus 64 MiB). read_ahead_stripes:
    the reader's read-ahead after a file read in order. shipment: an open ferry.Shipment to
    use instead of opening the drives (its cache is what it was opened with).
    """

    def __init__(self, drives=None, key_file=None, passphrase=None, prefix="", group="basename",
                 shuffle=True, seed=0, decode=None, on_error="raise", rank=None, world_size=None,
                 span_bytes=_DEFAULT_SPAN, window_spans=_DEFAULT_WINDOW, cache_bytes=None,
                 read_ahead_stripes=2, shipment=None):
        super().__init__()
        if group not in ("basename", "file"):
            raise InvalidArgumentError(f'group is "basename" or "file", not {group!r}')
        if on_error not in ("raise", "skip"):
            raise InvalidArgumentError(f'on_error is "raise" or "skip", not {on_error!r}')
        if int(span_bytes) < 1 or int(window_spans) < 1:
            raise InvalidArgumentError("span_bytes and window_spans are at least 1")
        if cache_bytes is None:
            cache_bytes = int(span_bytes) * int(window_spans) + (64 << 20)
        if shipment is None:
            if drives is None:
                raise InvalidArgumentError("give the drives (or an open shipment=)")
            shipment = Shipment(drives, key_file=key_file, passphrase=passphrase,
                                cache_bytes=cache_bytes, read_ahead_stripes=read_ahead_stripes)
        self.shipment = shipment
        self.prefix = prefix
        self.group = group
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.decode = decode
        self.on_error = on_error
        self.span_bytes = int(span_bytes)
        self.window_spans = int(window_spans)
        self.epoch = 0
        auto_rank, auto_world = _world()
        self.rank = auto_rank if rank is None else int(rank)
        self.world_size = auto_world if world_size is None else int(world_size)
        if not 0 <= self.rank < self.world_size:
            raise InvalidArgumentError(f"rank {self.rank} is not within world size {self.world_size}")
        self._index()
        # Set by FerryDataLoader for one iteration: the workers, a resume plan, whether
        # items carry their positions.
        self._num_workers = None
        self._plan = None
        self._tagged = False
        self._order = None
        self._counters = None
        self._stats_base = None
        self._local = 0

    # -- the samples ------------------------------------------------------------------

    def _index(self):
        """The samples in drive order: keys, files [(ext, entry)], sizes."""
        keys, files, sizes = [], [], []
        where = {}
        for e in self.shipment.files(self.prefix):
            if self.group == "file":
                keys.append(e.path)
                files.append((("data", e),))
                sizes.append(e.size)
                continue
            key, ext = split_key(e.path)
            if ext == "__key__":
                raise InvalidArgumentError(
                    f"{e.path}: the extension __key__ would take the place of its sample's "
                    f"key; rename the file, or read it with group=\"file\"")
            i = where.get(key)
            if i is None:
                where[key] = len(keys)
                keys.append(key)
                files.append(((ext, e),))
                sizes.append(e.size)
            else:
                if any(x == ext for x, _ in files[i]):
                    raise InvalidArgumentError(f"two files of sample {key} have extension {ext!r}")
                files[i] = files[i] + ((ext, e),)
                sizes[i] += e.size
        if not keys and self.prefix:
            raise InvalidArgumentError(
                f"no files at or below {self.prefix!r} in the shipment (`ferry ls` lists it)")
        self.keys = keys
        self._files = files
        self.sizes = sizes

    def __len__(self):
        """Samples this rank reads in a fresh epoch."""
        n = len(self.keys)
        return (self.rank + 1) * n // self.world_size - self.rank * n // self.world_size

    @property
    def num_samples(self):
        """Samples in the whole set (all ranks)."""
        return len(self.keys)

    def set_epoch(self, epoch):
        """The epoch the next iteration reads (its order depends on it)."""
        self.epoch = int(epoch)

    def order(self, epoch=None):
        """The epoch's global order: sample indices (into .keys), position by position."""
        return self._order_and_windows(epoch)[0]

    def _span_of(self):
        """The span of each sample (spans numbered in drive order)."""
        if getattr(self, "_spans", None) is None:
            starts = span_starts(np.asarray(self.sizes, dtype=np.uint64), self.span_bytes)
            self._spans = (np.searchsorted(starts.astype(np.int64),
                                           np.arange(len(self.sizes)), side="right") - 1)
        return self._spans

    def _order_and_windows(self, epoch=None):
        epoch = self.epoch if epoch is None else int(epoch)
        if self._order is not None and self._order[0] == epoch:
            return self._order[1], self._order[2]
        order, starts = sample_order(np.asarray(self.sizes, dtype=np.uint64), self.shuffle,
                                     self.seed, epoch, self.span_bytes, self.window_spans)
        order = order.astype(np.int64)
        starts = starts.astype(np.int64)
        self._order = (epoch, order, starts)
        return order, starts

    def fingerprint(self):
        """A digest of the sample keys and sizes and the order's parameters: a saved state
        only applies to a dataset with the same one."""
        if getattr(self, "_fingerprint", None):
            return self._fingerprint
        h = hashlib.sha256()
        h.update(repr((self.group, self.shuffle, self.seed, self.span_bytes,
                       self.window_spans)).encode())
        for k, s in zip(self.keys, self.sizes):
            h.update(k.encode("utf-8", "surrogateescape"))
            h.update(b"\0%d\0" % s)
        self._fingerprint = h.hexdigest()
        return self._fingerprint

    def read_sample(self, index):
        """Sample `index` (into .keys) as a dict, before decode. Raises a ferry error."""
        key = self.keys[index]
        sample = {"__key__": key}
        for ext, entry in self._files[index]:
            try:
                sample[ext] = self.shipment.read_entry(entry)
            except Error as e:
                raise type(e)(f"sample {key}: {e}") from e
        return sample

    # -- the split ----------------------------------------------------------------------

    def consumer_positions(self, num_workers, todo=None):
        """For each worker of this rank, the ascending positions of the epoch it reads:
        of `todo` (all positions when None), split over every rank's workers."""
        workers = max(int(num_workers), 1)
        order, starts = self._order_and_windows()
        if todo is None:
            todo = np.arange(len(self.keys), dtype=np.int64)
        every = _assign(todo, order, starts, self._span_of(), self.world_size * workers)
        return every[self.rank * workers:(self.rank + 1) * workers]

    def __iter__(self):
        info = tud.get_worker_info()
        worker = 0 if info is None else info.id
        workers = 1 if info is None else info.num_workers
        if self._num_workers is not None and max(self._num_workers, 1) != workers:
            raise InvalidArgumentError("the dataset was prepared for another number of workers")
        if self._plan is not None:
            positions = self._plan["positions"]
            shift = self._plan["shift"]
        else:
            positions = self.consumer_positions(workers)
            shift = 0
        local = (worker + shift) % workers
        self._local = local
        self._counters = {"samples": 0, "sample_bytes": 0, "skipped": 0, "skipped_keys": []}
        self._stats_base = self.shipment.stats()
        return self._generate(self.order(), positions[local], self._tagged)

    def _generate(self, order, positions, tagged):
        for pos in positions.tolist():
            index = int(order[pos])
            try:
                sample = self.read_sample(index)
            except Error:
                if self.on_error != "skip":
                    raise
                self._counters["skipped"] += 1
                if len(self._counters["skipped_keys"]) < 100:
                    self._counters["skipped_keys"].append(self.keys[index])
                continue
            self._counters["samples"] += 1
            self._counters["sample_bytes"] += self.sizes[index]
            if self.decode is not None:
                sample = self.decode(sample)
            yield (pos, sample) if tagged else sample
        if tagged:
            # Carries the counters of what came after the last sample (skips) to the loader.
            yield (None, None)

    def stats(self):
        """This process's counters for the current (or last) iteration: samples,
        sample_bytes, skipped (and the first skipped_keys), and the reader's: bytes_read
        from the drives, read_amplification = bytes_read / sample_bytes, stripes_rebuilt,
        bytes_per_slot. In the main process of a loader with workers, use the loader's."""
        return _combine([self._snapshot()])

    def _snapshot(self):
        counters = dict(self._counters or {"samples": 0, "sample_bytes": 0, "skipped": 0,
                                           "skipped_keys": []})
        now = self.shipment.stats()
        base = self._stats_base or {}
        for name in ("bytes_read", "stripes_rebuilt", "units_opened", "cache_hits",
                     "cache_misses", "files_verified"):
            counters[name] = now.get(name, 0) - base.get(name, 0)
        per_slot = now.get("bytes_per_slot", [])
        base_slot = base.get("bytes_per_slot", [0] * len(per_slot))
        counters["bytes_per_slot"] = [x - y for x, y in zip(per_slot, base_slot)]
        return counters


def _combine(snapshots):
    total = {"samples": 0, "sample_bytes": 0, "skipped": 0, "skipped_keys": [],
             "bytes_read": 0, "stripes_rebuilt": 0, "units_opened": 0, "cache_hits": 0,
             "cache_misses": 0, "files_verified": 0, "bytes_per_slot": []}
    for s in snapshots:
        for name, value in s.items():
            if name == "bytes_per_slot":
                slots = total["bytes_per_slot"]
                slots.extend([0] * (len(value) - len(slots)))
                for i, v in enumerate(value):
                    slots[i] += v
            elif name == "skipped_keys":
                total[name] = (total[name] + list(value))[:100]
            else:
                total[name] = total.get(name, 0) + value
    sb = total["sample_bytes"]
    total["read_amplification"] = total["bytes_read"] / sb if sb else 0.0
    return total


_END = "ferry: the end of a worker's samples"  # a batch of no samples, never yielded


class _TaggedCollate:
    """Runs in the worker: the user's collate on the samples, with their positions, the
    worker's consumer and its counters alongside, for the loader to track."""

    def __init__(self, dataset, collate, batched):
        self.dataset = dataset
        self.collate = collate
        self.batched = batched

    def __call__(self, items):
        if not self.batched:
            items = [items]
        items = [x for x in items if x[0] is not None]
        positions = [p for p, _ in items]
        if not items:
            batch = _END
        elif self.batched:
            batch = self.collate([s for _, s in items])
        else:
            batch = self.collate(items[0][1])
        return positions, self.dataset._local, self.dataset._snapshot(), batch


def merge_states(states):
    """One state from the state_dict() of every rank (when torch.distributed was not
    initialised while saving), to resume on any world size."""
    if not states:
        raise InvalidArgumentError("no states to merge")
    base = dict(states[0])
    remaining, last = {}, {}
    for s in states:
        for name in ("fingerprint", "epoch", "world_size", "num_workers"):
            if s[name] != base[name]:
                raise InvalidArgumentError(f"the states differ in {name}: not one run")
        remaining.update({int(c): r for c, r in s["remaining"].items()})
        last.update({int(r): v for r, v in s["last"].items()})
    base["remaining"] = remaining
    base["last"] = last
    base["complete"] = len(remaining) == base["world_size"] * max(base["num_workers"], 1)
    return base


class FerryDataLoader(tud.DataLoader):
    """A DataLoader over a FerryDataset that knows, batch by batch, which samples it has
    yielded: state_dict() / load_state_dict() resume an epoch, stats() adds up the
    workers' counters. Takes DataLoader's arguments (not sampler or persistent_workers)."""

    def __init__(self, dataset, batch_size=1, num_workers=0, collate_fn=None, **kwargs):
        if not isinstance(dataset, FerryDataset):
            raise InvalidArgumentError("FerryDataLoader reads a FerryDataset")
        if kwargs.get("persistent_workers"):
            raise InvalidArgumentError("persistent_workers would keep the first epoch's split")
        if collate_fn is None:
            collate_fn = (tud.default_collate if batch_size is not None else
                          tud.default_convert)
        self._user_collate = collate_fn
        tagged = _TaggedCollate(dataset, collate_fn, batch_size is not None)
        super().__init__(dataset, batch_size=batch_size, num_workers=num_workers,
                         collate_fn=tagged, **kwargs)
        self._pending = None     # a loaded state, for the next iteration
        self._progress = None    # the iteration under way (or the last one)
        self._snapshots = {}

    def __iter__(self):
        ds = self.dataset
        workers = max(self.num_workers, 1)
        plan = None
        if self._pending is not None:
            ds.set_epoch(self._pending["epoch"])
            plan = self._plan_from(self._pending, workers)
            self._pending = None
        ds.order()  # computed once here, inherited by forked workers
        if plan is None:
            plan = {"positions": ds.consumer_positions(workers), "shift": 0}
        ds._num_workers = self.num_workers
        ds._plan = plan
        ds._tagged = True
        self._progress = {"epoch": ds.epoch, "positions": plan["positions"],
                          "next": [None] * workers,
                          "last": (plan["shift"] - 1) % workers}
        self._snapshots = {}
        try:
            inner = super().__iter__()
        finally:
            ds._plan = None
            ds._tagged = False
            ds._num_workers = None
        return self._track(inner)

    def _track(self, inner):
        progress = self._progress
        for positions, local, snapshot, batch in inner:
            self._snapshots[local] = snapshot
            if isinstance(batch, str) and batch == _END:
                continue
            progress["next"][local] = positions[-1] + 1
            progress["last"] = local
            yield batch

    def stats(self):
        """The counters of the current (or last) epoch, summed over its workers (see
        FerryDataset.stats): read_amplification is bytes read from the drives over the
        bytes of the samples read."""
        return _combine(self._snapshots.values())

    def state_dict(self):
        """Where this rank is in the epoch: what is still to come, per consumer. With
        torch.distributed initialised, every rank's part is gathered into it."""
        if self._pending is not None:
            # Loaded and not iterated since: still exactly where that state says.
            return copy.deepcopy(self._pending)
        ds = self.dataset
        workers = max(self.num_workers, 1)
        p = self._progress
        if p is None:
            positions = ds.consumer_positions(workers)
            nexts = [None] * workers
            last = workers - 1
            epoch = ds.epoch
        else:
            positions, nexts, last, epoch = p["positions"], p["next"], p["last"], p["epoch"]
        remaining = {}
        for local in range(workers):
            todo = positions[local]
            if nexts[local] is not None:
                todo = todo[todo >= nexts[local]]
            remaining[ds.rank * workers + local] = _compress(todo)
        state = {"version": _STATE_VERSION, "fingerprint": ds.fingerprint(), "epoch": epoch,
                 "world_size": ds.world_size, "num_workers": self.num_workers,
                 "last": {ds.rank: last}, "remaining": remaining, "complete": False}
        if torch.distributed.is_available() and torch.distributed.is_initialized() \
                and ds.world_size > 1:
            gathered = [None] * ds.world_size
            torch.distributed.all_gather_object(gathered, state)
            state = merge_states(gathered)
        elif ds.world_size == 1:
            state["complete"] = True
        return state

    def load_state_dict(self, state):
        """The next iteration yields what `state` says was still to come of its epoch."""
        if state.get("version") != _STATE_VERSION:
            raise InvalidArgumentError("this state was saved by another version of ferry")
        if state["fingerprint"] != self.dataset.fingerprint():
            raise InvalidArgumentError(
                "this state belongs to another set of samples or another order "
                "(prefix, group, seed, shuffle, span or window differ)")
        self._pending = state
        self._progress = None

    def _plan_from(self, state, workers):
        ds = self.dataset
        remaining = {int(c): r for c, r in state["remaining"].items()}
        last = {int(r): v for r, v in state["last"].items()}
        same = (state["world_size"] == ds.world_size and
                max(state["num_workers"], 1) == workers and
                all(ds.rank * workers + w in remaining for w in range(workers)))
        if same:
            positions = [_expand(remaining[ds.rank * workers + w]) for w in range(workers)]
            # The next batch comes from the consumer after the last one that gave one
            # (skipping those with nothing left), as it would have without the stop.
            last = last.get(ds.rank, workers - 1)
            shift = 0
            for step in range(1, workers + 1):
                j = (last + step) % workers
                if positions[j].size:
                    shift = j
                    break
            # Worker w runs consumer (w + shift) % workers.
            return {"positions": positions, "shift": shift}
        if not state.get("complete"):
            raise InvalidArgumentError(
                "resuming on another world size or number of workers needs every rank's "
                "state: merge them with ferry.torch.merge_states()")
        todo = _expand(_normalise([x for r in remaining.values() for x in r]))
        return {"positions": ds.consumer_positions(workers, todo), "shift": 0}
