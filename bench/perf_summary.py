#!/usr/bin/env python3
"""Summarise a `perf record --call-graph dwarf` profile of ferry (python3 stdlib only).

  perf_summary.py PERF.DATA [--hz 2000] [--wall SECONDS] [--top 15]

Prints three views:
  - by thread: CPU seconds per thread and the ferry function it runs (its outermost
    ferry:: frame), and how busy it kept its core if --wall is given: the thread near
    100% is the one the others wait for;
  - by leaf function (self time), with the unnamed code of a stripped libcrypto named by
    what it is made of (sha256rnds2: SHA-256; aesenc with pclmulqdq: AES-GCM);
  - by ferry function: every sample charged to the innermost ferry:: frame that led to
    it, so library and kernel time lands on the ferry code that asked for it.
"""
import argparse
import collections
import os
import re
import subprocess
import sys

_page_kind = {}


def classify_libcrypto(dso_path, addr):
    """Name stripped libcrypto code by the instructions of its 4 KiB page."""
    page = addr & ~0xFFF
    key = (dso_path, page)
    if key not in _page_kind:
        try:
            text = subprocess.run(
                ["objdump", "-d", "--no-show-raw-insn", "--start-address=%#x" % page,
                 "--stop-address=%#x" % (page + 0x1000), dso_path],
                capture_output=True, text=True, check=False).stdout
        except OSError:
            text = ""
        if "sha256rnds2" in text:
            kind = "SHA-256 (libcrypto, SHA-NI)"
        elif "sha256" in text or re.search(r"\bror\b.*\n(.*\n){0,3}.*\bror\b", text) and "aesenc" not in text:
            kind = "SHA-256 (libcrypto, no SHA-NI)"
        elif "aesenc" in text and "pclmul" in text:
            kind = "AES-GCM (libcrypto, AES-NI + PCLMUL)"
        elif "aesenc" in text or "aesdec" in text:
            kind = "AES (libcrypto)"
        elif "pclmul" in text:
            kind = "GHASH (libcrypto)"
        else:
            kind = "libcrypto, other"
        _page_kind[key] = kind
    return _page_kind[key]


HEAD = re.compile(r"^\s*(\d+)\s+(\d+\.\d+):\s*$")
FRAME = re.compile(r"^\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$")


def samples(path):
    """Yields (tid, time, frames) with frames leaf first, each (addr, symbol, dso)."""
    proc = subprocess.Popen(["perf", "script", "-i", path, "-F", "tid,time,ip,sym,dso"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            errors="replace")
    tid, when, frames = None, 0.0, []
    for line in proc.stdout:
        line = line.rstrip("\n")
        if not line.strip():
            if tid is not None:
                yield tid, when, frames
            tid, frames = None, []
            continue
        h = HEAD.match(line)
        if tid is None and h:
            tid, when = h.group(1), float(h.group(2))
            continue
        m = FRAME.match(line)
        if m:
            frames.append((int(m.group(1), 16), m.group(2), m.group(3)))
    if tid is not None:
        yield tid, when, frames
    proc.wait()


def leaf_name(frame):
    addr, sym, dso = frame
    if dso.endswith("]"):  # [kernel.kallsyms]
        return "[k] " + sym
    lib = dso.rsplit("/", 1)[-1]
    if sym.startswith("[unknown]") or sym.startswith("0x") or not sym:
        if "libcrypto" in lib:
            return classify_libcrypto(dso, addr)
        return "%s (unnamed)" % lib
    return "%s (%s)" % (re.sub(r"\+0x[0-9a-f]+$", "", sym), lib)


def short(sym):
    sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
    sym = re.sub(r"\(anonymous namespace\)::", "", sym)
    return sym


def main():
    try:
        run()
    except BrokenPipeError:
        pass


def run():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data")
    p.add_argument("--hz", type=float, default=2000, help="the -F of perf record")
    p.add_argument("--wall", type=float,
                   help="wall seconds of the run (default: first to last sample), for busy shares")
    p.add_argument("--top", type=int, default=15)
    a = p.parse_args()

    total = 0
    by_leaf = collections.Counter()
    by_ferry = collections.Counter()
    by_thread = collections.Counter()
    role = collections.defaultdict(collections.Counter)
    first = last = None
    for tid, when, frames in samples(a.data):
        if not frames:
            continue
        first = when if first is None else min(first, when)
        last = when if last is None else max(last, when)
        total += 1
        by_leaf[leaf_name(frames[0])] += 1
        ferry_frames = [short(f[1]) for f in frames if f[1].startswith("ferry::")]
        by_ferry[ferry_frames[0] if ferry_frames else "(outside ferry code: start-up, libraries, kernel)"] += 1
        by_thread[tid] += 1
        # The thread's role: its outermost ferry frame below the command itself.
        loops = [f for f in ferry_frames if not f.startswith(("ferry::cli::", "ferry::pack_shipment",
                                                             "ferry::restore_shipment",
                                                             "ferry::verify_shipment"))]
        role[tid][loops[-1] if loops else (ferry_frames[-1] if ferry_frames else "?")] += 1
    if not total:
        sys.exit("no samples in %s (is perf able to read it?)" % a.data)

    wall = a.wall or max(last - first, 1e-3)
    print("%d samples at %g Hz = %.2f CPU seconds over %.2f s%s" % (
        total, a.hz, total / a.hz, wall, "" if a.wall else " (first to last sample)"))
    print("\nby thread (CPU s, share of all the CPU time, share of the wall time it kept its core busy, role):")
    for tid, n in by_thread.most_common(8):
        print("  tid %-8s %6.2f s %5.0f%% %5.0f%%  %s" % (
            tid, n / a.hz, 100 * n / total, 100 * n / a.hz / wall, role[tid].most_common(1)[0][0]))
    busiest = by_thread.most_common(1)[0][1]
    cores = os.cpu_count() or 1
    print("  the busiest thread does %.0f%% of the work: on %d cores the run cannot take less than "
          "max(its %.2f s, all %.2f s / %d) = %.2f s of CPU-bound time" % (
              100 * busiest / total, cores, busiest / a.hz, total / a.hz, cores,
              max(busiest, total / cores) / a.hz))
    print("\nby leaf function (self):")
    for name, n in by_leaf.most_common(a.top):
        print("  %5.1f%%  %s" % (100 * n / total, name))
    print("\nby ferry function (innermost ferry frame; library and kernel time included):")
    for name, n in by_ferry.most_common(a.top):
        print("  %5.1f%%  %s" % (100 * n / total, name))


if __name__ == "__main__":
    main()
