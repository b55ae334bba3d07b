// Independent readers for the shards `ferry export` writes, for the export tests: a
// Python program that reads WebDataset shards with the standard library's tarfile and
// MDS shards with a reader written here from MosaicML Streaming's format (index.json,
// the shard header's count and offsets, the columns, zstd by the `zstd` command), and
// compares every sample's bytes with the source files. It shares no code with ferry.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "support/tree.h"

namespace ferry::test {

inline constexpr const char* kShardReader = R"PY(
import hashlib, json, os, re, struct, subprocess, sys, tarfile

fmt, shards_dir, source_dir = sys.argv[1], sys.argv[2], sys.argv[3]
fail = []
keys = []          # sample keys in shard order
files_seen = set()

def source_bytes(rel):
    path = os.path.join(source_dir, rel)
    if not os.path.isfile(path):
        fail.append("no source file for " + ascii(rel))
        return None
    with open(path, "rb") as f:
        return f.read()

def check(cond, what):
    if not cond:
        fail.append(what)

def split_key(name):
    m = re.match(r"^((?:.*/|)[^.]+)[.]([^/]*)$", name)   # WebDataset's rule
    return (m.group(1), m.group(2)) if m else (None, None)

if fmt == "webdataset":
    index = json.load(open(os.path.join(shards_dir, "shards.json")))
    check(index["__kind__"] == "wids-shard-index-v1", "index kind")
    for shard in index["shardlist"]:
        path = os.path.join(shards_dir, shard["url"])
        data = open(path, "rb").read()
        check(len(data) == shard["filesize"], "filesize of " + shard["url"])
        check(hashlib.sha256(data).hexdigest() == shard["sha256"], "sha256 of " + shard["url"])
        nsamples, last = 0, None
        with tarfile.open(path, "r:") as tar:
            for m in tar.getmembers():
                check(m.isfile(), "not a regular file: " + ascii(m.name))
                key, ext = split_key(m.name)
                check(key is not None, "member without key: " + ascii(m.name))
                if key != last:
                    nsamples += 1
                    keys.append(key)
                    last = key
                got = tar.extractfile(m).read()
                check(got == source_bytes(m.name), "bytes differ: " + ascii(m.name))
                check(m.name not in files_seen, "twice: " + ascii(m.name))
                files_seen.add(m.name)
        check(nsamples == shard["nsamples"], "nsamples of " + shard["url"])
elif fmt == "mds":
    index = json.load(open(os.path.join(shards_dir, "index.json")))
    check(index["version"] == 2, "index version")
    for shard in index["shards"]:
        check(shard["version"] == 2 and shard["format"] == "mds", "shard version/format")
        def read_checked(info):
            data = open(os.path.join(shards_dir, info["basename"]), "rb").read()
            check(len(data) == info["bytes"], "bytes of " + info["basename"])
            for algo, digest in info["hashes"].items():
                check(hashlib.new(algo, data).hexdigest() == digest, algo + " of " + info["basename"])
            return data
        if shard["zip_data"]:
            check(shard["compression"] == "zstd", "compression")
            zipped = read_checked(shard["zip_data"])
            raw = subprocess.run(["zstd", "-dcq"], input=zipped, stdout=subprocess.PIPE, check=True).stdout
            check(len(raw) == shard["raw_data"]["bytes"], "raw bytes")
            for algo, digest in shard["raw_data"]["hashes"].items():
                check(hashlib.new(algo, raw).hexdigest() == digest, algo + " of raw")
            check(not os.path.exists(os.path.join(shards_dir, shard["raw_data"]["basename"])),
                  "raw shard written next to the compressed one")
        else:
            raw = read_checked(shard["raw_data"])
        n, = struct.unpack_from("<I", raw, 0)
        check(n == shard["samples"], "samples of " + shard["raw_data"]["basename"])
        offsets = struct.unpack_from("<%dI" % (n + 1), raw, 4)
        check(offsets[-1] == len(raw), "last offset is the end")
        config = json.loads(raw[4 + 4 * (n + 1):offsets[0]])
        for field in ("column_encodings", "column_names", "column_sizes", "compression",
                      "format", "hashes", "size_limit", "version"):
            check(config[field] == shard[field], "config field " + field)
        names, encodings, sizes = shard["column_names"], shard["column_encodings"], shard["column_sizes"]
        check(names == sorted(names), "columns sorted")
        for i in range(n):
            data = raw[offsets[i]:offsets[i + 1]]
            pos, lengths = 0, []
            for size in sizes:
                if size is None:
                    lengths.append(struct.unpack_from("<I", data, pos)[0])
                    pos += 4
                else:
                    lengths.append(size)
            sample = {}
            for name, enc, length in zip(names, encodings, lengths):
                value = data[pos:pos + length]
                pos += length
                sample[name] = value.decode("utf-8") if enc == "str" else value
            check(pos == len(data), "sample %d of %s has trailing bytes" % (i, shard["raw_data"]["basename"]))
            key = sample.pop("__key__")
            keys.append(key)
            for ext, value in sample.items():
                rel = key + "." + ext
                if os.path.isfile(os.path.join(source_dir, rel)):
                    check(value == source_bytes(rel), "bytes differ: " + ascii(rel))
                    check(rel not in files_seen, "twice: " + ascii(rel))
                    files_seen.add(rel)
                else:
                    check(value == b"", "a value for a file that does not exist: " + ascii(rel))
else:
    fail.append("unknown format " + fmt)

check(len(keys) == len(set(keys)), "a key in two samples")
hexed = lambda names: [os.fsencode(n).hex() for n in names]
print(json.dumps({"ok": not fail, "fail": fail[:20], "keys": hexed(keys), "files": sorted(hexed(files_seen))}))
)PY";

struct ToolRun {
  int exit_code = -1;
  std::string out;
};

// Runs `command` with /bin/sh; stdout captured, stderr passed through.
inline ToolRun run_tool(const std::string& command) {
  ToolRun r;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return r;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

inline std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Reads every shard in `shards_dir` back and compares it with `source_dir`; the
// program's report ({"ok", "fail", "keys", "files"}, names as hex of their bytes).
inline nlohmann::json read_shards_back(const std::string& work_dir, const std::string& format,
                                       const std::string& shards_dir,
                                       const std::string& source_dir) {
  const std::string script = work_dir + "/read_shards.py";
  write_file(work_dir, "read_shards.py", kShardReader);
  ToolRun r = run_tool("/usr/bin/python3 " + shell_quoted(script) + " " + format + " " +
                       shell_quoted(shards_dir) + " " + shell_quoted(source_dir));
  if (r.exit_code != 0)
    return {{"ok", false}, {"fail", {"reader exited " + std::to_string(r.exit_code)}}};
  return nlohmann::json::parse(r.out);
}

}  // namespace ferry::test
