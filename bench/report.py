#!/usr/bin/env python3
"""Tables and JSON for bench/run.sh (python3 standard library only).

  report.py pick WORK ID                  of a step's runs time/ID.1, .2, ...: the median one
                                          becomes time/ID (its wall times: time/ID.runs)
  report.py line WORK ID                  one line for a step just measured
  report.py report WORK --out F.json --md F.md [--readme README.md]
  report.py wall TIME-FILE                 the wall seconds in one output of /usr/bin/time -v
  report.py render F.json [--md F.md] [--readme README.md]   the tables again from the JSON's
                                          steps (the targets worked out anew)

WORK holds what run.sh wrote: time/ID (the output of /usr/bin/time -v), steps.tsv
(id, set, label, exit status), sets.tsv (set, bytes, files), notes.tsv and meta.tsv,
floor.tsv (ferry-floor), reader_*.tsv (ferry-random-read: random reads, and the
sequential read with one drive slowed) and loader-SET.json (bench/loader.py).
Every rate is the bytes and files of the *source set* over the wall time of the step,
whatever the tool reads or writes (verify reads 4/3 of them, par2 writes a third more).
"""
import argparse
import json
import os
import re
import sys

MiB = 1024 * 1024

# For each step that is not ferry: the ferry step it is compared against.
PEER_OF = {
    "pack_t1": "pack",
    "pack_1core": "pack",
    "restic_backup": "pack",
    "tar_zstd_age": "pack",
    "tar": "pack",
    "restic_restore": "restore_all",
    "par2_create": "par2_pack",
    "small_restic": "small_pack",
    "small_tar_zstd_age": "small_pack",
    "small_tar": "small_pack",
    "small_untar": "small_restore",
    "mksquashfs": "pack",
    "squashfuse_read": "mount_read",
    "small_mksquashfs": "small_pack",
    "small_squashfuse_read": "small_mount_read",
}
SET_TITLES = {
    "mixed": "mixed set",
    "par2": "smaller mixed set (par2)",
    "small": "small-files set",
}


def parse_time(path):
    """The fields of `/usr/bin/time -v` that matter here."""
    out = {}
    with open(path, errors="replace") as f:
        for line in f:
            key, _, value = line.strip().rpartition(": ")
            if key == "User time (seconds)":
                out["user_s"] = float(value)
            elif key == "System time (seconds)":
                out["sys_s"] = float(value)
            elif key.startswith("Elapsed (wall clock) time"):
                secs = 0.0
                for part in value.split(":"):
                    secs = secs * 60 + float(part)
                out["wall_s"] = secs
            elif key == "Maximum resident set size (kbytes)":
                out["max_rss_mib"] = int(value) / 1024
            elif key == "Exit status":
                out["exit_status"] = int(value)
    return out


def others_percent(path, step):
    """Share of the machine (all cores) that other processes used during the step."""
    try:
        with open(path) as f:
            rows = [[int(x) for x in line.split()[1:]] for line in f if line.startswith("cpu ")]
    except OSError:
        return None
    if len(rows) != 2 or not step.get("wall_s"):
        return None
    d = [b - a for a, b in zip(*rows)]
    busy = d[0] + d[1] + d[2] + d[5] + d[6] + (d[7] if len(d) > 7 else 0)
    hz = os.sysconf("SC_CLK_TCK")
    ours = step.get("user_s", 0) + step.get("sys_s", 0)
    ncpu = os.cpu_count() or 1
    # Clock ticks are coarse (10 ms): clamp what rounding pushes past the bounds.
    return min(100.0, max(0.0, 100 * (busy / hz - ours) / (step["wall_s"] * ncpu)))


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def load(work):
    sets = {name: {"bytes": int(b), "files": int(n)} for name, b, n in read_tsv(os.path.join(work, "sets.tsv"))}
    steps = []
    for sid, set_name, label, rc in read_tsv(os.path.join(work, "steps.tsv")):
        t = parse_time(os.path.join(work, "time", sid))
        s = {"id": sid, "set": set_name, "label": label, "exit_status": int(rc)}
        s.update({k: t[k] for k in ("wall_s", "user_s", "sys_s", "max_rss_mib") if k in t})
        data = sets.get(set_name)
        if data and s.get("wall_s"):
            wall = max(s["wall_s"], 0.01)
            s["bytes"] = data["bytes"]
            s["files"] = data["files"]
            s["gb_per_s"] = data["bytes"] / wall / 1e9
            s["files_per_s"] = data["files"] / wall
            s["cpu_percent"] = 100 * (s.get("user_s", 0) + s.get("sys_s", 0)) / wall
        runs = os.path.join(work, "time", sid + ".runs")
        if os.path.exists(runs):
            with open(runs) as f:
                s["runs_wall_s"] = [float(x) for x in f.read().split()]
        others = others_percent(os.path.join(work, "time", sid + ".stat"), s)
        if others is not None:
            s["others_cpu_percent"] = others
        s["ok"] = s["exit_status"] == 0
        steps.append(s)
    by_id = {s["id"]: s for s in steps}
    for s in steps:
        ref = by_id.get(PEER_OF.get(s["id"], ""))
        if ref and ref.get("ok") and s.get("ok") and s.get("gb_per_s"):
            s["ratio_against"] = ref["id"]
            s["ferry_ratio"] = ref["gb_per_s"] / s["gb_per_s"]
    notes = [row[0] for row in read_tsv(os.path.join(work, "notes.tsv"))]
    meta = {row[0]: (row[1] if len(row) > 1 else "") for row in read_tsv(os.path.join(work, "meta.tsv"))}
    floor = {key: float(value) for key, value in read_tsv(os.path.join(work, "floor.tsv"))}
    reader = {}
    for name in ("reader_seq.tsv", "reader_random.tsv"):
        reader.update({key: float(value) for key, value in read_tsv(os.path.join(work, name))})
    for set_name in SET_TITLES:
        reader.update(loader_figures(os.path.join(work, "loader-%s.json" % set_name), set_name))
    return sets, steps, by_id, notes, meta, floor, reader


def loader_figures(path, set_name):
    """bench/loader.py's rows as flat figures: loader_SET_{plain,all,missing}_sps (samples/s)
    and loader_SET_{all,missing}_amplification."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        rows = json.load(f)
    out = {}
    for row in rows:
        name = row["reader"]
        which = ("plain" if name.startswith("plain") else
                 "missing" if "missing" in name else "all")
        out["loader_%s_%s_sps" % (set_name, which)] = row["samples_per_s"]
        if row.get("read_amplification") is not None:
            out["loader_%s_%s_amplification" % (set_name, which)] = row["read_amplification"]
    return out


def ceilings(floor):
    """GB/s that the bare work (ferry-floor) allows at most, on all cores, by kind."""
    if not floor.get("pack_total") or not floor.get("restore_total"):
        return {}
    cores = floor.get("cores", 1)
    return {"pack": cores / floor["pack_total"],
            "pipeline": cores / (floor["pack_total"] - floor.get("pack_write_drives", 0)),
            "restore": cores / floor["restore_total"]}


def cell(text):
    """Markdown table cell: a pipe in a command would end the cell."""
    return text.replace("|", "\\|")


def fmt(v, spec, missing="—"):
    return missing if v is None else format(v, spec)


def human_bytes(n):
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return "%.2f %s" % (n / scale, unit)
    return "%d B" % n


def cmd_pick(work, sid):
    """Several runs of one step: the one with the median wall time stands for the step."""
    base = os.path.join(work, "time", sid)
    runs = []
    while os.path.exists("%s.%d" % (base, len(runs) + 1)):
        runs.append(parse_time("%s.%d" % (base, len(runs) + 1)))
    if not runs:
        return
    walls = [r.get("wall_s", 0.0) for r in runs]
    ok = [i for i, r in enumerate(runs) if r.get("exit_status", 1) == 0]
    if len(ok) < len(runs):
        pick = next(i for i, r in enumerate(runs) if r.get("exit_status", 1) != 0)  # show the failure
    else:
        pick = sorted(ok, key=lambda i: walls[i])[(len(ok) - 1) // 2]
    for suffix in ("", ".stat"):
        with open("%s.%d%s" % (base, pick + 1, suffix)) as f, open(base + suffix, "w") as out:
            out.write(f.read())
    with open(base + ".runs", "w") as f:
        f.write(" ".join("%.2f" % w for w in walls) + "\n")


def wall_cell(s):
    runs = s.get("runs_wall_s", [])
    if len(runs) < 2:
        return "%.2f" % s["wall_s"]
    return "%.2f (%.2f–%.2f)" % (s["wall_s"], min(runs), max(runs))


def cmd_line(work, sid):
    sets, steps, by_id, _, _, _, _ = load(work)
    s = by_id[sid]
    if not s["ok"]:
        print("  %-40s FAILED (exit status %d)" % (s["label"], s["exit_status"]))
        return
    ratio = ""
    if "ferry_ratio" in s:
        ratio = ", ferry %.2fx this" % s["ferry_ratio"]
    runs = s.get("runs_wall_s", [])
    if len(runs) > 1:
        ratio += "; median of runs of %s s" % ", ".join("%.2f" % w for w in runs)
    print("  %-40s %7.2f s  %6.3f GB/s  %9.0f files/s  RSS %6.1f MiB  CPU %3.0f%%  others %3.0f%%%s"
          % (s["label"], s["wall_s"], s.get("gb_per_s", 0), s.get("files_per_s", 0),
             s.get("max_rss_mib", 0), s.get("cpu_percent", 0), s.get("others_cpu_percent", 0), ratio))


def parse_size(text):
    m = re.fullmatch(r"([0-9.]+)\s*(B|kB|KB|MB|GB|KiB|MiB|GiB)?", text)
    scale = {None: 1, "B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9,
             "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}[m.group(2)]
    return int(float(m.group(1)) * scale)


def mib_of(text, default):
    try:
        return parse_size(text) / 2**20
    except (AttributeError, KeyError, TypeError):
        return default


def targets(steps, by_id, notes, meta, floor, reader=None):
    reader = reader or {}
    out = []
    ceiling = ceilings(floor)
    main_bytes = parse_size(meta.get("size", "0B"))
    caveat = []
    if main_bytes < 2 * 1024**3:
        caveat.append("set smaller than the 2 GiB the targets are stated for")
    if meta.get("nproc") not in (None, "2"):
        caveat.append("targets are stated for 2 cores, this machine has %s" % meta.get("nproc"))

    if meta.get("nice", "0") not in ("", "0"):
        caveat.append("every measured step ran under `nice -n %s` (the machine was shared)" % meta["nice"])
    busy = ["%s (%.0f%%)" % (s["label"] if s["set"] == "mixed" else "%s, %s" % (s["label"], s["set"]),
                             s["others_cpu_percent"])
            for s in steps if s.get("others_cpu_percent", 0) >= 15]
    if busy:
        caveat.append("other processes used 15% or more of the machine during: " + "; ".join(busy)
                      + " (those figures are low)")

    def rate(sid, key="gb_per_s"):
        s = by_id.get(sid)
        return s.get(key) if s and s["ok"] else None

    # kind: which ferry step's rate the target asks for (pack, pipeline or restore);
    # needs: that rate in GB/s, set against what the bare work allows (ceilings()).
    # most: the target is a ceiling (peak RSS, blocks opened per read); wanted None: a
    # figure reported with no target.
    def add(name, measured, wanted, unit, status=None, detail="", kind=None, needs=None, step=None,
            most=None):
        if most is None:
            most = unit == "MiB"
        if status is None:
            if measured is None:
                status = "not measured" if by_id.get(detail) is None else "failed"
                detail = ""
            elif wanted is None:
                status = "reported"
            elif most:
                status = "met" if measured <= wanted else "NOT met"
            else:
                status = "met" if measured >= wanted else "NOT met"
        t = {"target": name, "wanted": wanted, "unit": unit, "most": most,
             "measured": measured, "status": status, "detail": detail}
        if kind in ceiling:
            t["needs_gb_per_s"] = needs if needs is not None else (wanted if unit == "GB/s" else None)
            t["floor_allows_gb_per_s"] = ceiling[kind]
        # At the CPU a byte the ferry step spent, the share of the cores the rate asked needs.
        s = by_id.get(step)
        if t.get("needs_gb_per_s") and s and s["ok"] and s.get("bytes"):
            cpu_s = s.get("user_s", 0) + s.get("sys_s", 0)
            t["needs_cpu_percent"] = 100 * cpu_s * t["needs_gb_per_s"] * 1e9 / s["bytes"]
            t["ran_cpu_percent"] = s["cpu_percent"]
        out.append(t)

    def ratio(a, b):
        ra, rb = rate(a), rate(b)
        return ra / rb if ra and rb else None

    def times(peer, factor):  # the rate a ratio target asks of ferry
        r = rate(peer)
        return factor * r if r else None

    add("pack GB/s", rate("pack"), 0.6, "GB/s", detail="pack", kind="pack", step="pack")
    add("pack vs restic backup", ratio("pack", "restic_backup"), 6.0, "x", detail="restic_backup",
        kind="pack", needs=times("restic_backup", 6.0), step="pack")
    add("pack vs tar | zstd | age", ratio("pack", "tar_zstd_age"), 2.5, "x", detail="tar_zstd_age",
        kind="pack", needs=times("tar_zstd_age", 2.5), step="pack")
    add("pack pipeline alone (discarding sink)", rate("pack_sink"), 1.1, "GB/s", detail="pack_sink",
        kind="pipeline", step="pack_sink")
    add("restore, all drives", rate("restore_all"), 0.6, "GB/s", detail="restore_all", kind="restore",
        step="restore_all")
    add("restore, one drive missing", rate("restore_missing"), 0.55, "GB/s", detail="restore_missing",
        kind="restore", step="restore_missing")
    add("restore all vs restic restore", ratio("restore_all", "restic_restore"), 3.0, "x",
        detail="restic_restore", kind="restore", needs=times("restic_restore", 3.0),
        step="restore_all")
    add("restore one missing vs restic restore", ratio("restore_missing", "restic_restore"), 3.0, "x",
        detail="restic_restore", kind="restore", needs=times("restic_restore", 3.0),
        step="restore_missing")
    add("keyless verify", rate("verify"), 2.0, "GB/s", detail="verify")
    add("export webdataset vs restore (MB/s)", ratio("export_wds", "restore_all"), 0.8, "x",
        detail="export_wds")
    add("export mds vs restore (MB/s)", ratio("export_mds", "restore_all"), 0.8, "x",
        detail="export_mds")
    se, sr = rate("small_export", "files_per_s"), rate("small_restore", "files_per_s")
    add("small files: export samples/s vs restore files/s", se / sr if se and sr else None, 0.8,
        "x", detail="small_export")
    sp, st = rate("small_pack", "files_per_s"), rate("small_tar", "files_per_s")
    add("small files: pack files/s vs tar files/s", sp / st if sp and st else None, 1.0, "x",
        detail="small_tar")
    add("scaling: default threads vs --threads 1", ratio("pack", "pack_t1"), 1.7, "x", detail="pack_t1")
    if "pack_1core" in by_id:
        add("scaling: both cores vs pinned to one core", ratio("pack", "pack_1core"), 1.7, "x",
            detail="pack_1core")

    # The read side: ferry mount against squashfuse and against restore (same set, same run).
    add("mount read vs squashfuse read", ratio("mount_read", "squashfuse_read"), 1.0, "x",
        detail="squashfuse_read")
    add("mount read vs ferry restore", ratio("mount_read", "restore_all"), 0.8, "x",
        detail="mount_read")
    add("mount read, one drive missing, vs ferry restore (all drives)",
        ratio("mount_missing", "restore_all"), 0.7, "x", detail="mount_missing")
    mf, qf = rate("small_mount_read", "files_per_s"), rate("small_squashfuse_read", "files_per_s")
    add("small files: mount files/s vs squashfuse files/s", mf / qf if mf and qf else None, 0.8, "x",
        detail="small_squashfuse_read")
    for key, what in (("random0", "compressible"), ("random1", "incompressible")):
        size = reader.get(key + "_bytes")
        of = "random 64 KiB reads of a %s %s file" % (human_bytes(size), what) if size else \
            "random 64 KiB reads of the %s file" % what
        missing = None if key + "_reads_per_s" in reader else "not measured"
        add(of, reader.get(key + "_reads_per_s"), None, "reads/s",
            status=missing)
        add(of + ": units opened per read, warm", reader.get(key + "_units_per_read"), 1.0,
            "per read", most=True, status=missing)
        add(of + ": zstd frames opened per read, warm", reader.get(key + "_frames_per_read"), 1.0,
            "per read", most=True, status=missing)
    slow = reader.get("seq_slow_factor")
    add("reader (under the mount), one drive of 4 at 1/%g speed (injected delay) vs none"
        % (slow or 5), reader.get("seq_slow_ratio"), 0.8, "x",
        status=None if "seq_slow_ratio" in reader else "not measured")
    why = next((n.split(": ", 1)[1] for n in notes if n.startswith("slowed drive, real throttle:")), None)
    add("restore, one drive of 4 at 1/5 (cgroup blkio on loop devices) vs none",
        ratio("slow_restore", "slow_restore_base"), 0.8, "x", detail="slow_restore", status=why)
    add("mount read, one drive of 4 at 1/5 (cgroup blkio on loop devices) vs none",
        ratio("slow_mount", "slow_mount_base"), 0.8, "x", detail="slow_mount", status=why)
    # Training input: FerryDataLoader over the drives against a plain Dataset over the
    # restored tree, same workers and batch size (bench/loader.py).
    for set_name in ("mixed", "small"):
        key = "loader_" + set_name
        plain = reader.get(key + "_plain_sps")
        missing = None if plain else "not measured"
        for which, wanted, what in (("all", 0.8, "all drives"), ("missing", 0.7, "one drive missing")):
            got = reader.get("%s_%s_sps" % (key, which))
            add("training input, %s: FerryDataLoader (%s) vs a plain Dataset, samples/s"
                % (SET_TITLES[set_name], what), got / plain if got and plain else None, wanted, "x",
                status=missing)
            add("training input, %s: read amplification, %s" % (SET_TITLES[set_name], what),
                reader.get("%s_%s_amplification" % (key, which)), 1.1, "x", most=True, status=missing)
    cache = mib_of(meta.get("mount_cache", "256MiB"), 256)
    for sid, where in (("mount_read", "mixed set"), ("small_mount_read", "small-files set")):
        s = by_id.get(sid)
        name = "peak RSS of ferry mount (cache %.0f MiB), %s" % (cache, where)
        if s is None:
            add(name, None, 256 + cache, "MiB", status="not measured")
        elif not s["ok"]:
            add(name, None, 256 + cache, "MiB", status="failed")
        else:
            add(name, s["max_rss_mib"], 256 + cache, "MiB")

    # Peak RSS at each size asked for (and at the 1 GiB and 10 GiB of the issue).
    sizes = [s for s in meta.get("sizes_rss", "").split(",") if s]
    for wanted_size in sizes + [s for s in ("1GiB", "10GiB") if s not in sizes]:
        b = parse_size(wanted_size)
        if b == main_bytes:  # the main set's own steps measured it
            ids = ("pack", "restore_all")
        else:
            ids = ("rss_pack_" + wanted_size, "rss_restore_" + wanted_size)
        skipped = next((n for n in notes if n.startswith("rss %s:" % wanted_size)), None)
        for what, sid in zip(("pack", "restore"), ids):
            name = "peak RSS %s at %s" % (what, wanted_size)
            s = by_id.get(sid)
            if skipped:
                add(name, None, 256, "MiB", status=skipped.split(": ", 1)[1])
            elif s is None:
                why = "not measured (not in --sizes-rss)"
                mem = parse_size(meta.get("memory", "0 GiB").replace(" ", ""))
                if mem and 2.4 * b > mem:
                    why = ("not measured: the source and its four drives alone need about %.0f GiB "
                           "in /dev/shm, more than this machine's %s of memory (--rss-dir on a disk "
                           "measures it)" % (2.4 * b / 2**30, meta.get("memory")))
                add(name, None, 256, "MiB", status=why)
            elif not s["ok"]:
                add(name, None, 256, "MiB", status="failed")
            else:
                m = s["max_rss_mib"]
                add(name, m, 256, "MiB", status="met" if m <= 256 else "NOT met")
    return out, caveat


def machine_line(meta):
    return "%s cores (`nproc`), %s, %s memory; kernel %s" % (
        meta.get("nproc", "?"), meta.get("cpu", "?"), meta.get("memory", "?"), meta.get("kernel", "?"))


FLOOR_PARTS = {
    "pack": [("sha256", "SHA-256"), ("write_drives", "writing the drives"), ("compress", "zstd"),
             ("seal", "AES-GCM"), ("read_source", "reading the files")],
    "restore": [("sha256", "SHA-256"), ("write_files", "writing the files"), ("open", "AES-GCM"),
                ("read_drives", "reading the drives"), ("decompress", "zstd")],
}


def floor_line(floor):
    """What the bare work costs, from ferry-floor's figures (ns a byte on one core)."""
    ceiling = ceilings(floor)
    if not ceiling:
        return None
    parts = []
    for kind in ("pack", "restore"):
        total = floor[kind + "_total"]
        named = [(title, floor.get("%s_%s" % (kind, key), 0)) for key, title in FLOOR_PARTS[kind]]
        rest = total - sum(v for _, v in named)
        shown = ", ".join("%s %.2f" % (title, v) for title, v in named) + ", the rest %.2f" % rest
        part = "%s %.2f ns a byte on one core (%s): at most %.2f GB/s on %d cores" % (
            kind, total, shown, ceiling[kind], floor.get("cores", 1))
        if kind == "pack":
            part += ", %.2f with the drives' writes discarded" % ceiling["pipeline"]
        parts.append(part)
    return ("The floor (`ferry-floor` on the mixed set: ferry's own codec calls on each byte one "
            "after the other while it is in cache, with none of its threads, queues, catalog or "
            "checks; each part's best of three passes), the least CPU a pack and a restore can "
            "need: " + "; ".join(parts) + ". A rate above the floor's is out of reach of any pack "
            "or restore that does this work on this machine.")


def markdown(sets, steps, tgts, caveat, notes, meta, floor):
    lines = []
    lines.append("Measured %s on %s." % (meta.get("date", "?"), machine_line(meta)))
    lines.append("ferry %s; %s; %s; %s; %s; %s%s." % (
        meta.get("ferry_commit", "?"), meta.get("restic", "?"), meta.get("age", "?"),
        meta.get("zstd", "?"), meta.get("tar", "?"), meta.get("par2", "?"),
        "; " + meta["squashfuse"] if meta.get("squashfuse") else ""))
    lines.append("Drives, repositories and outputs all in `/dev/shm`. Rates are the source set's bytes "
                 "(GB = 10^9 B) and files over wall time; \"ferry ×\" is how many times faster the ferry "
                 "step it is set against is; peak RSS from `/usr/bin/time -v` (for a pipeline: its "
                 "largest process); CPU s is the step's user + system time, CPU % that over its wall time "
                 "(200 = both cores); \"others %\" is the share of the whole machine that other "
                 "processes used meanwhile (the machine is shared: a high figure means a slowed step).")
    if meta.get("repeat", "1") not in ("", "1"):
        lines[-1] += (" The steps ran in %s rounds, each round every step once (par2 and the peak-RSS-only "
                      "steps in the first only); a step's figures are those of its run with the median wall "
                      "time, the range of all its runs' wall times in brackets." % meta["repeat"])
    lines.append("")
    set_desc = []
    for name, d in sets.items():
        set_desc.append("%s: %s in %d files" % (SET_TITLES.get(name, name), human_bytes(d["bytes"]), d["files"]))
    lines.append("Sets: " + "; ".join(set_desc) + ".")
    lines.append("")
    lines.append("| set | step | wall s | GB/s | files/s | ferry × | CPU s | CPU % | peak RSS MiB | others % |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in steps:
        title = SET_TITLES.get(s["set"], s["set"])
        if not s["ok"]:
            lines.append("| %s | %s | failed (exit %d) | | | | | | | |" % (title, cell(s["label"]), s["exit_status"]))
            continue
        ratio = fmt(s.get("ferry_ratio"), ".2f", "")
        if ratio:
            ratio += " (vs ferry)"
            if s["id"] in ("pack_t1", "pack_1core"):
                ratio = "%.2f (default pack)" % s["ferry_ratio"]
        lines.append("| %s | %s | %s | %.3f | %s | %s | %.2f | %.0f | %.1f | %s |" % (
            title, cell(s["label"]), wall_cell(s), s["gb_per_s"], format(round(s["files_per_s"]), ","),
            ratio, s.get("user_s", 0) + s.get("sys_s", 0), s["cpu_percent"], s["max_rss_mib"],
            fmt(s.get("others_cpu_percent"), ".0f")))
    line = floor_line(floor)
    if line:
        lines.append("")
        lines.append(line)
    lines.append("")
    lines.append("| target | wanted | measured | asks of ferry | the floor allows | |")
    lines.append("|---|---:|---:|---:|---:|---|")
    for t in tgts:
        op = "≤" if t.get("most", t["unit"] == "MiB") else "≥"
        spec = ".0f" if t["unit"] in ("MiB", "reads/s") else ".2f"
        measured = fmt(t["measured"], spec, "—")
        if t["measured"] is not None:
            measured += " " + t["unit"]
        status = t["status"]
        if status in ("met", "NOT met"):
            status = "**%s**" % status if status == "NOT met" else status
        asks = fmt(t.get("needs_gb_per_s"), ".2f", "")
        allows = fmt(t.get("floor_allows_gb_per_s"), ".2f", "")
        if asks:
            asks += " GB/s"
            if t["status"] == "NOT met" and t["needs_gb_per_s"] > t["floor_allows_gb_per_s"]:
                status += ", beyond the floor"
            elif t["status"] == "NOT met" and "needs_cpu_percent" in t:
                status += (": at ferry's CPU a byte it needs %.0f %% CPU, ferry ran at %.0f %%"
                           % (t["needs_cpu_percent"], t["ran_cpu_percent"]))
        if allows:
            allows += " GB/s"
        wanted = "—" if t["wanted"] is None else "%s %s %s" % (op, format(t["wanted"], "g"), t["unit"])
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            cell(t["target"]), wanted, measured, asks, allows, status))
    extra = caveat + notes
    if extra:
        lines.append("")
        for n in extra:
            lines.append("- " + n)
    return "\n".join(lines) + "\n"


def cmd_render(args):
    """The Markdown (and README table) again from a JSON file written by `report`."""
    with open(args.json) as f:
        doc = json.load(f)
    meta = {}
    for part in ("machine", "versions", "options"):
        meta.update({k: v for k, v in doc.get(part, {}).items() if v is not None})
    meta["date"] = doc.get("date")
    steps, notes, floor = doc["steps"], doc.get("notes", []), doc.get("floor", {})
    tgts, caveat = targets(steps, {s["id"]: s for s in steps}, notes, meta, floor, doc.get("reader", {}))
    md = markdown(doc["sets"], steps, tgts, caveat, notes, meta, floor)
    print(md)
    if args.md:
        with open(args.md, "w") as f:
            f.write(md)
    if args.readme:
        update_readme(args.readme, md)


def update_readme(path, md):
    with open(path) as f:
        text = f.read()
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        with open(path, "w") as f:
            f.write(head + begin + "\n" + md + end + tail)
        print("updated the table in %s" % path)
    else:
        print("%s has no %s ... %s markers: table not copied" % (path, begin, end), file=sys.stderr)


def cmd_report(args):
    sets, steps, by_id, notes, meta, floor, reader = load(args.work)
    tgts, caveat = targets(steps, by_id, notes, meta, floor, reader)
    md = markdown(sets, steps, tgts, caveat, notes, meta, floor)
    print(md)
    doc = {
        "machine": {k: meta.get(k) for k in ("nproc", "cpu", "memory", "kernel")},
        "versions": {k: meta.get(k) for k in ("ferry", "ferry_commit", "restic", "age", "zstd", "tar", "par2",
                                              "squashfuse")},
        "date": meta.get("date"),
        "options": {k: meta.get(k) for k in ("size", "sizes_rss", "small_files", "par2_size", "seed", "nice",
                                             "repeat", "random_size", "mount_cache")},
        "units": {"gb_per_s": "source bytes / wall second / 1e9", "files_per_s": "source files / wall second",
                  "ferry_ratio": "rate of the ferry step in ratio_against / rate of this step",
                  "max_rss_mib": "peak resident set of the largest process, /usr/bin/time -v",
                  "floor": "ferry-floor: ns of one core's CPU a byte of the mixed set, by part; "
                           "*_ceiling_gbps: cores / total",
                  "reader": "ferry-random-read: random*_ reads of 64 KiB (reads/s; units and frames "
                            "opened per read once warm), seq*_ every file of the mixed set read whole "
                            "through the Shipment API, seq_slow_* with one drive slowed by an "
                            "injected delay"},
        "sets": sets,
        "steps": steps,
        "targets": tgts,
        "floor": floor,
        "reader": reader,
        "caveats": caveat,
        "notes": notes,
    }
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    with open(args.md, "w") as f:
        f.write(md)
    print("wrote %s and %s" % (args.out, args.md))
    if args.readme:
        update_readme(args.readme, md)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    pp = sub.add_parser("pick")
    pp.add_argument("work")
    pp.add_argument("id")
    lp = sub.add_parser("line")
    lp.add_argument("work")
    lp.add_argument("id")
    rp = sub.add_parser("report")
    rp.add_argument("work")
    rp.add_argument("--out", required=True)
    rp.add_argument("--md", required=True)
    rp.add_argument("--readme")
    wp = sub.add_parser("wall")
    wp.add_argument("time")
    dp = sub.add_parser("render")
    dp.add_argument("json")
    dp.add_argument("--md")
    dp.add_argument("--readme")
    args = p.parse_args()
    if args.cmd == "pick":
        cmd_pick(args.work, args.id)
    elif args.cmd == "line":
        cmd_line(args.work, args.id)
    elif args.cmd == "wall":
        print(parse_time(args.time)["wall_s"])
    elif args.cmd == "render":
        cmd_render(args)
    else:
        cmd_report(args)


if __name__ == "__main__":
    main()
