// ferry._ferry: the native half of the Python package. A thin layer over the public
// reader (ferry/shipment.h) and the epoch's sample order (ferry/sample_order.h); the
// Python half (python/ferry/) adds pickling, the dataset and the loader.
//
// Paths cross the boundary as str decoded from UTF-8 with "surrogateescape", as os.fsdecode
// does, so a name that is not UTF-8 round-trips; bytes are accepted as well. Every call
// that may touch a drive runs with the GIL released. ferry::Error becomes the
// ferry.errors class of its kind (looked up when raised, so import order does not matter).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "ferry/error.h"
#include "ferry/sample_order.h"
#include "ferry/shipment.h"
#include "format/keys.h"

namespace py = pybind11;

namespace {

using ferry::ErrorKind;

const char* error_class(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument: return "InvalidArgumentError";
    case ErrorKind::kIO: return "DriveIOError";
    case ErrorKind::kNoSpace: return "DriveIOError";
    case ErrorKind::kCorruption: return "CorruptionError";
    case ErrorKind::kWrongKey: return "WrongKeyError";
    case ErrorKind::kUnsupported: return "UnsupportedError";
    case ErrorKind::kNotEnoughDrives: return "NotEnoughDrivesError";
    case ErrorKind::kConflict: return "Error";
    case ErrorKind::kUnsafePath: return "Error";
    case ErrorKind::kInterrupted: return "Error";
  }
  return "Error";
}

py::str to_str(const std::string& raw) {
  PyObject* s = PyUnicode_DecodeUTF8(raw.data(), static_cast<Py_ssize_t>(raw.size()),
                                     "surrogateescape");
  if (!s) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(s);
}

// str (UTF-8, surrogateescape) or bytes: the raw path bytes.
std::string to_raw(const py::handle& path) {
  if (PyBytes_Check(path.ptr())) return std::string(py::reinterpret_borrow<py::bytes>(path));
  if (!PyUnicode_Check(path.ptr())) throw py::type_error("a path is a str or bytes");
  PyObject* b = PyUnicode_AsEncodedString(path.ptr(), "utf-8", "surrogateescape");
  if (!b) throw py::error_already_set();
  return std::string(py::reinterpret_steal<py::bytes>(b));
}

std::string hex(const uint8_t* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  return out;
}

const char* kind_name(ferry::ShipmentEntry::Kind kind) {
  switch (kind) {
    case ferry::ShipmentEntry::Kind::kFile: return "file";
    case ferry::ShipmentEntry::Kind::kDirectory: return "directory";
    case ferry::ShipmentEntry::Kind::kSymlink: return "symlink";
  }
  return "file";
}

// The file at `raw`; the reader's own error when there is none (the same words as a
// read of it), looked up without the GIL.
ferry::ShipmentEntry file_entry(const ferry::Shipment& shipment, const std::string& raw) {
  py::gil_scoped_release release;
  std::optional<ferry::ShipmentEntry> entry = shipment.stat(raw);
  if (!entry || entry->kind != ferry::ShipmentEntry::Kind::kFile) {
    shipment.read(raw, 0, 0);  // throws the reader's own error, naming the path
    throw ferry::Error(ErrorKind::kInvalidArgument, "no file " + raw + " in the shipment");
  }
  return *entry;
}

// Reads [offset, offset + length) of `entry` into a new bytes object, without the GIL:
// straight into the bytes object, never through a zero-filled copy.
py::bytes read_entry_range(const ferry::Shipment& shipment, const ferry::ShipmentEntry& entry,
                           uint64_t offset, uint64_t length) {
  uint64_t avail = offset < entry.size ? entry.size - offset : 0;
  uint64_t want = std::min(avail, length);
  PyObject* raw = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(want));
  if (!raw) throw py::error_already_set();
  auto out = py::reinterpret_steal<py::bytes>(raw);
  size_t got = 0;
  {
    py::gil_scoped_release release;
    char* p = PyBytes_AS_STRING(raw);
    while (got < want) {
      size_t n = shipment.read(entry, offset + got, p + got, want - got);
      if (n == 0) break;
      got += n;
    }
  }
  if (got != want) {
    throw ferry::Error(ErrorKind::kCorruption,
                       "file " + entry.path + " ended early: the catalog says " +
                           std::to_string(entry.size) + " bytes");
  }
  return out;
}

py::dict stats_dict(const ferry::ShipmentStats& s) {
  py::dict d;
  d["bytes_per_slot"] = s.bytes_per_slot;
  d["slow_per_slot"] = s.slow_per_slot;
  d["errors_per_slot"] = s.errors_per_slot;
  uint64_t total = 0;
  for (uint64_t b : s.bytes_per_slot) total += b;
  d["bytes_read"] = total;
  d["units_opened"] = s.units_opened;
  d["frames_opened"] = s.frames_opened;
  d["stripes_rebuilt"] = s.stripes_rebuilt;
  d["cache_hits"] = s.cache_hits;
  d["cache_misses"] = s.cache_misses;
  d["bytes_returned"] = s.bytes_returned;
  d["files_verified"] = s.files_verified;
  return d;
}

template <typename Fn>
py::list collect(Fn&& list_fn) {
  std::vector<ferry::ShipmentEntry> entries;
  {
    py::gil_scoped_release release;
    list_fn([&](const ferry::ShipmentEntry& e) {
      entries.push_back(e);
      return true;
    });
  }
  py::list out;
  for (auto& e : entries) out.append(py::cast(std::move(e)));
  return out;
}

}  // namespace

PYBIND11_MODULE(_ferry, m) {
  m.doc() = "ferry's native reader; use the `ferry` package, not this module";

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ferry::Error& e) {
      py::object cls = py::module_::import("ferry.errors").attr(error_class(e.kind()));
      PyErr_SetString(cls.ptr(), e.what());
    }
  });

  using Entry = ferry::ShipmentEntry;
  py::class_<Entry>(m, "Entry", "One catalog entry of a shipment")
      .def_property_readonly("path", [](const Entry& e) { return to_str(e.path); })
      .def_property_readonly("raw_path", [](const Entry& e) { return py::bytes(e.path); })
      .def_property_readonly("kind", [](const Entry& e) { return kind_name(e.kind); })
      .def_readonly("mode", &Entry::mode)
      .def_readonly("mtime_ns", &Entry::mtime_ns)
      .def_readonly("size", &Entry::size)
      .def_property_readonly("sha256", [](const Entry& e) { return hex(e.sha256.data(), 32); })
      .def_property_readonly("target", [](const Entry& e) { return to_str(e.target); })
      .def_readonly("id", &Entry::id)
      .def(py::pickle(
          [](const Entry& e) {
            return py::make_tuple(py::bytes(e.path), static_cast<int>(e.kind), e.mode,
                                  e.mtime_ns, e.size,
                                  py::bytes(reinterpret_cast<const char*>(e.sha256.data()), 32),
                                  py::bytes(e.target), e.id);
          },
          [](py::tuple t) {
            if (t.size() != 8) throw py::value_error("not a pickled ferry.Entry");
            Entry e;
            e.path = t[0].cast<std::string>();
            e.kind = static_cast<Entry::Kind>(t[1].cast<int>());
            e.mode = t[2].cast<uint32_t>();
            e.mtime_ns = t[3].cast<int64_t>();
            e.size = t[4].cast<uint64_t>();
            std::string sha = t[5].cast<std::string>();
            if (sha.size() != 32) throw py::value_error("not a pickled ferry.Entry");
            std::copy(sha.begin(), sha.end(), e.sha256.begin());
            e.target = t[6].cast<std::string>();
            e.id = t[7].cast<int64_t>();
            return e;
          }))
      .def("__repr__", [](const Entry& e) {
        return py::str("<ferry.Entry {} {} {} bytes>")
            .format(kind_name(e.kind), to_str(e.path), e.size);
      });

  using ferry::Shipment;
  py::class_<Shipment, std::shared_ptr<Shipment>>(m, "Shipment")
      .def_static(
          "open",
          [](const std::vector<std::string>& drives, std::optional<py::bytes> key,
             std::optional<std::string> passphrase, uint64_t cache_bytes,
             uint32_t read_ahead_stripes, uint32_t hedge_after_ms) {
            ferry::ShipmentOptions o;
            o.drives = drives;
            if (key) {
              std::string k = *key;
              if (k.size() != 32) throw py::value_error("a key is 32 bytes");
              std::array<uint8_t, 32> a{};
              std::copy(k.begin(), k.end(), a.begin());
              o.credentials.key_file = a;
            }
            o.credentials.passphrase = passphrase;
            o.cache_bytes = cache_bytes;
            o.read_ahead_stripes = read_ahead_stripes;
            o.hedge_after_ms = hedge_after_ms;
            py::gil_scoped_release release;
            return std::shared_ptr<Shipment>(Shipment::open(o));
          },
          py::arg("drives"), py::arg("key") = py::none(), py::arg("passphrase") = py::none(),
          py::arg("cache_bytes") = uint64_t{256} << 20, py::arg("read_ahead_stripes") = 2,
          py::arg("hedge_after_ms") = 200)
      .def_property_readonly("id", &Shipment::id)
      .def_property_readonly("k", &Shipment::k)
      .def_property_readonly("m", &Shipment::m)
      .def_property_readonly("missing_slots", &Shipment::missing_slots)
      .def_property_readonly("warnings", &Shipment::warnings)
      .def("stat",
           [](const Shipment& s, py::handle path) -> std::optional<Entry> {
             std::string raw = to_raw(path);
             py::gil_scoped_release release;
             return s.stat(raw);
           })
      .def("list",
           [](const Shipment& s, py::handle prefix) {
             std::string raw = to_raw(prefix);
             return collect([&](auto visit) { s.list(raw, visit); });
           })
      .def("children",
           [](const Shipment& s, py::handle dir) {
             std::string raw = to_raw(dir);
             return collect([&](auto visit) { s.children(raw, visit); });
           })
      .def("xattrs",
           [](const Shipment& s, py::handle path) {
             std::string raw = to_raw(path);
             std::vector<std::pair<std::string, std::string>> found;
             {
               py::gil_scoped_release release;
               auto e = s.stat(raw);
               if (!e) {
                 throw ferry::Error(ferry::ErrorKind::kInvalidArgument,
                                    "no such entry in the shipment: " + raw);
               }
               found = s.xattrs(*e);
             }
             py::dict out;
             for (const auto& [name, value] : found) out[py::str(name)] = py::bytes(value);
             return out;
           })
      .def("read",
           [](const Shipment& s, py::handle path) {
             return read_entry_range(s, file_entry(s, to_raw(path)), 0, UINT64_MAX);
           })
      .def("read_range",
           [](const Shipment& s, py::handle path, uint64_t offset, uint64_t length) {
             return read_entry_range(s, file_entry(s, to_raw(path)), offset, length);
           })
      .def("read_entry", &read_entry_range, py::arg("entry"), py::arg("offset") = 0,
           py::arg("length") = UINT64_MAX)
      .def("stats", [](const Shipment& s) {
        ferry::ShipmentStats st;
        {
          py::gil_scoped_release release;
          st = s.stats();
        }
        return stats_dict(st);
      });

  m.def(
      "read_key_file",
      [](const std::string& path) {
        auto key = ferry::format::read_key_file(path);
        return py::bytes(reinterpret_cast<const char*>(key.data()), key.size());
      },
      "The 32-byte key in a key file made by `ferry keygen`");

  m.def(
      "span_starts",
      [](py::array_t<uint64_t, py::array::c_style | py::array::forcecast> sizes,
         uint64_t span_bytes) {
        // The same cut as ferry::sample_order (src/sample/sample_order.cpp): a span closes
        // once it holds span_bytes.
        std::vector<uint64_t> starts;
        const uint64_t* p = sizes.data();
        const uint64_t n = static_cast<uint64_t>(sizes.size());
        span_bytes = std::max<uint64_t>(span_bytes, 1);
        {
          py::gil_scoped_release release;
          uint64_t begin = 0, bytes = 0;
          for (uint64_t i = 0; i < n; ++i) {
            bytes += p[i];
            if (bytes >= span_bytes) {
              starts.push_back(begin);
              begin = i + 1;
              bytes = 0;
            }
          }
          if (begin < n) starts.push_back(begin);
        }
        py::array_t<uint64_t> out(static_cast<py::ssize_t>(starts.size()));
        std::copy(starts.begin(), starts.end(), out.mutable_data());
        return out;
      },
      py::arg("sizes"), py::arg("span_bytes") = ferry::SampleOrderOptions{}.span_bytes,
      "The first sample of each span sample_order() cuts, in drive order");

  m.def(
      "sample_order",
      [](py::array_t<uint64_t, py::array::c_style | py::array::forcecast> sizes, bool shuffle,
         uint64_t seed, uint64_t epoch, uint64_t span_bytes, uint32_t window_spans) {
        std::vector<uint64_t> v(sizes.data(), sizes.data() + sizes.size());
        ferry::SampleOrderOptions o;
        o.shuffle = shuffle;
        o.seed = seed;
        o.epoch = epoch;
        o.span_bytes = span_bytes;
        o.window_spans = window_spans;
        ferry::SampleOrder r;
        {
          py::gil_scoped_release release;
          r = ferry::sample_order(v, o);
        }
        py::array_t<uint64_t> order(static_cast<py::ssize_t>(r.order.size()));
        std::copy(r.order.begin(), r.order.end(), order.mutable_data());
        py::array_t<uint64_t> starts(static_cast<py::ssize_t>(r.window_starts.size()));
        std::copy(r.window_starts.begin(), r.window_starts.end(), starts.mutable_data());
        return py::make_tuple(order, starts);
      },
      py::arg("sizes"), py::arg("shuffle") = true, py::arg("seed") = 0, py::arg("epoch") = 0,
      py::arg("span_bytes") = ferry::SampleOrderOptions{}.span_bytes,
      py::arg("window_spans") = ferry::SampleOrderOptions{}.window_spans,
      "The epoch's order of samples of these stored sizes (ferry/sample_order.h): "
      "(order, window_starts), two uint64 arrays");
}
