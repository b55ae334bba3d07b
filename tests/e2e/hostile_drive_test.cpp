// Drives back from transit are hostile input (SECURITY.md): symbolic links, FIFOs and
// huge or sparse files planted where ferry keeps its files, labels edited to absurd or
// inconsistent values. Each test crafts such a drive the way an attacker would and
// checks that no command follows the link, hangs, crashes or obeys the odd drive.
#include <sqlite3.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "codec/crc32c.h"
#include "codec/kdf.h"
#include "codec/sha256.h"
#include "e2e/damage.h"
#include "e2e/fixture.h"
#include "format/catalog_file.h"
#include "format/stripe_format.h"
#include "support/within_a_minute.h"

namespace ferry::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Rewrites the label on `drive` as an attacker would: edits the JSON, then recomputes
// the CRC32C so that the label looks intact.
void forge_label(const std::string& drive, const std::function<void(json&)>& edit) {
  std::string path = format::label_path(shipment_folder(drive));
  json j = json::parse(read_all(path));
  j.erase("crc32c");
  edit(j);
  std::string body = j.dump();
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", codec::crc32c(body.data(), body.size()));
  j["crc32c"] = crc;
  std::ofstream(path, std::ios::trunc) << j.dump(2) << "\n";
}

void replace_with_fifo(const std::string& path) {
  remove_file(path);
  if (::mkfifo(path.c_str(), 0644) != 0) throw std::runtime_error("cannot make a FIFO at " + path);
}

void replace_with_symlink(const std::string& path, const std::string& target) {
  remove_file(path);
  fs::create_symlink(target, path);
}

bool crashed(const RunResult& r) { return r.exit_code > 128; }

class HostileDrive : public ShipmentTest {
 protected:
  void SetUp() override {
    ShipmentTest::SetUp();
    write_file(source(), "a.bin", random_bytes(30000, 1));
    write_file(source(), "c/d.bin", random_bytes(9000, 3));
    make_dir(source(), "open-dir", 0777);
    RunResult p = pack(4, 1, {"--segment-size", "12500"});
    ASSERT_EQ(p.exit_code, 0) << p.err;
  }
  std::string folder(int i) const { return shipment_folder(drive(i)); }
  // `ferry args... drives 0..3`, which must return within a minute.
  RunResult on_drives(std::vector<std::string> args, int n = 4) {
    for (int i = 0; i < n; ++i) args.push_back(drive(i));
    return within_a_minute("ferry", [&] { return run_ferry(args); });
  }
  RunResult restore_all(const std::string& to, std::vector<std::string> extra = {}) {
    return within_a_minute("restore", [&] { return restore(drives(4), to, extra); });
  }
};

// Observation 1: a segment replaced by a link to a host file.
TEST_F(HostileDrive, RepairNeverWritesThroughASegmentReplacedByASymlink) {
  std::string victim = dir_ / "victim";
  std::ofstream(victim) << "host file\n";
  replace_with_symlink(segment_file(drive(1), 0), victim);
  RunResult r = on_drives({"repair"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_EQ(read_all(victim), "host file\n");
  EXPECT_NE(r.err.find("symbolic link"), std::string::npos) << r.err;
}

TEST_F(HostileDrive, RepairNeverCreatesTheTargetOfALockSymlink) {
  std::string planted = dir_ / "created-by-repair";
  replace_with_symlink(io::join(folder(2), format::kLockFile), planted);
  RunResult r = on_drives({"repair"});
  EXPECT_FALSE(path_exists(planted));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("symbolic link"), std::string::npos) << r.err;
}

TEST_F(HostileDrive, ASymlinkedSegmentFolderIsNotFollowedAndTheDriveIgnored) {
  fs::rename(io::join(folder(3), format::kSegmentDir), dir_ / "elsewhere");
  fs::create_symlink(dir_ / "elsewhere", io::join(folder(3), format::kSegmentDir));
  RunResult r = on_drives({"verify"});
  EXPECT_NE((r.out + r.err).find("symbolic link"), std::string::npos) << r.out << r.err;
  RunResult restored = restore_all(target());
  EXPECT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
}

// Observation 3: a link planted in the target where a folder of the shipment goes.
TEST_F(HostileDrive, RestoreNeverChangesTheModeOfAFolderOutsideTheTarget) {
  std::string outside = dir_ / "outside";
  ::mkdir(outside.c_str(), 0700);
  ::mkdir(target().c_str(), 0755);
  fs::create_symlink(outside, target() + "/open-dir");
  RunResult r = restore_all(target(), {"--overwrite"});
  struct stat st;
  ASSERT_EQ(::stat(outside.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u) << r.out << r.err;
}

// Observation 4: FIFOs and devices where files belong; huge sparse files.
TEST_F(HostileDrive, AFifoInPlaceOfALabelNeitherHangsInfoNorVerify) {
  replace_with_fifo(format::label_path(folder(0)));
  RunResult info = on_drives({"info"});
  EXPECT_FALSE(crashed(info));
  RunResult verify = on_drives({"verify"});
  EXPECT_FALSE(crashed(verify));
  EXPECT_NE(verify.out.find("recoverable"), std::string::npos) << verify.out << verify.err;
}

TEST_F(HostileDrive, AFifoInPlaceOfACatalogOrSegmentHangsNothing) {
  replace_with_fifo(format::catalog_path(folder(0)));
  replace_with_fifo(segment_file(drive(1), 0));
  for (const char* command : {"info", "verify"}) {
    RunResult r = on_drives({command});
    EXPECT_FALSE(crashed(r)) << command;
  }
  RunResult ls = on_drives({"ls", "--key-file", key()});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  RunResult restored = restore_all(target());
  EXPECT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
  RunResult repair = on_drives({"repair"});
  EXPECT_NE(repair.exit_code, 0);
  EXPECT_FALSE(crashed(repair));
  EXPECT_NE(repair.err.find("Remove it"), std::string::npos) << repair.err;  // says what to do
}

TEST_F(HostileDrive, ACatalogLinkedToDevZeroHangsNothing) {
  replace_with_symlink(format::catalog_path(folder(0)), "/dev/zero");
  RunResult ls = on_drives({"ls", "--key-file", key()});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  RunResult verify = on_drives({"verify", "--key-file", key()});
  EXPECT_FALSE(crashed(verify));
}

TEST_F(HostileDrive, AHugeSparseCatalogIsRefusedByItsSizeWithoutBeingRead) {
  // A terabyte of holes: hashing it would take many minutes.
  truncate_file(format::catalog_path(folder(0)), 1ull << 40);
  RunResult ls = on_drives({"ls", "--key-file", key()});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
  RunResult verify = on_drives({"verify"});
  EXPECT_FALSE(crashed(verify));
}

TEST_F(HostileDrive, AFifoInTheTargetDoesNotHoldTheRestore) {
  ::mkdir(target().c_str(), 0755);
  ASSERT_EQ(::mkfifo((target() + "/a.bin").c_str(), 0644), 0);
  RunResult r = restore_all(target(), {"--overwrite"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
}

// Observation 5: one label with absurd values.
TEST_F(HostileDrive, ADeeplyNestedLabelIsRefusedWithoutACrash) {
  std::string path = format::label_path(folder(0));
  std::ofstream(path, std::ios::trunc) << std::string(100000, '[');
  for (const char* command : {"info", "verify"}) {
    RunResult r = on_drives({command});
    EXPECT_FALSE(crashed(r)) << command << ": " << r.err;
  }
  RunResult restored = restore_all(target());
  EXPECT_EQ(restored.exit_code, 0) << restored.err;
}

TEST_F(HostileDrive, AHugeSparseLabelIsRefusedWithoutBeingRead) {
  truncate_file(format::label_path(folder(0)), 4ull << 30);
  RunResult r = on_drives({"verify"});
  EXPECT_FALSE(crashed(r)) << r.err;
  EXPECT_NE(r.out.find("recoverable"), std::string::npos) << r.out << r.err;
}

TEST_F(HostileDrive, LabelCountsThatWrapOrExplodeAreRefused) {
  // Every drive forged, each differently: none may be believed.
  forge_label(drive(0), [](json& j) { j["stripes"] = 1ull << 62; });
  forge_label(drive(1), [](json& j) {
    j["data_drives"] = 4294967295ull;
    j["parity_drives"] = 5;
    j["drives"] = 4;
  });
  forge_label(drive(2), [](json& j) { j["block_size"] = 1ull << 40; });
  forge_label(drive(3), [](json& j) { j["slot"] = -1; });
  for (const char* command : {"info", "verify", "repair"}) {
    RunResult r = on_drives({command});
    EXPECT_NE(r.exit_code, 0) << command;
    EXPECT_FALSE(crashed(r)) << command << ": " << r.err;
    EXPECT_NE(r.err.find("damaged or malformed"), std::string::npos) << command << ": " << r.err;
  }
}

TEST_F(HostileDrive, CostlyScryptParametersInALabelAreRefusedNotRun) {
  forge_label(drive(0), [](json& j) {
    json decoy = j["keys"][0];
    decoy["type"] = "passphrase";
    decoy["kdf"] = {{"name", "scrypt"}, {"log2_n", 20}, {"r", 8}, {"p", 16}};
    j["keys"].push_back(decoy);
  });
  RunResult r = on_drives({"verify"});
  EXPECT_NE((r.out + r.err).find("scrypt"), std::string::npos) << r.out << r.err;
  EXPECT_FALSE(crashed(r));
}

// Observation 2: a block sealed by another pack attempt (as one left from an attempt
// before a resume would be) stands in place of the stripe's own, with a right CRC.
TEST_F(HostileDrive, ABlockOfAnotherPackAttemptIsRebuiltFromParityNeverUsed) {
  const format::Label label = label_on(drive(0));
  const format::Layout& layout = label.layout;
  Credentials credentials;
  credentials.key_file = format::read_key_file(key());
  codec::AesGcm aead(
      codec::hkdf(*format::unwrap_data_key(label, credentials), format::kBlockKeyInfo));
  const format::StripeFormat stripe_format(label.shipment, layout);
  const uint64_t stripe = 1;
  const uint32_t member = 0;
  std::string record(layout.record_size(), '\0');  // zeros: a plaintext the file never held
  auto* bytes = reinterpret_cast<uint8_t*>(record.data());
  stripe_format.seal_unit(aead, label.pack_attempt + 1, stripe, member,
                          bytes + format::kBlockHeaderSize);
  stripe_format.make_header(stripe, member, bytes);
  BlockPlace place = block_place(drive(layout.slot_of(stripe, member)), layout, stripe);
  const std::string original = read_range(place.segment, place.offset, record.size());
  write_range(place.segment, place.offset, record);

  RunResult restored = restore_all(target());
  EXPECT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
  RunResult repair = on_drives({"repair", "--key-file", key()});
  EXPECT_EQ(repair.exit_code, 0) << repair.out << repair.err;
  EXPECT_EQ(read_range(place.segment, place.offset, record.size()), original)
      << "repair must put the stripe's own block back, not keep the replayed one";
  RunResult again = restore_all(target("again"));
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(compare_trees(source(), target("again")), "");
}

// Observation 6: every label relabelled to another layout; the key shows the lie.
TEST_F(HostileDrive, KeyedRepairUnderARelabelledLayoutWritesNothing) {
  const format::Label label = label_on(drive(0));
  format::Layout forged = label.layout;
  forged.k = 2;
  forged.m = 2;
  for (int i = 0; i < 4; ++i) {
    forge_label(drive(i), [&](json& j) {
      j["data_drives"] = 2;
      j["parity_drives"] = 2;
      j["stripes"] = forged.stripes_for(label.stream_bytes);
    });
  }
  std::vector<std::string> before;
  for (int i = 0; i < 4; ++i) before.push_back(read_all(segment_file(drive(i), 0)));
  RunResult r = on_drives({"repair", "--key-file", key()});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find("labels were edited"), std::string::npos) << r.err;
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(read_all(segment_file(drive(i), 0)), before[i]) << "drive " << i;
}

TEST_F(HostileDrive, RepairWritesNothingWhileTheDrivesDisagreeOnTheLayout) {
  const format::Label label = label_on(drive(3));
  forge_label(drive(3), [&](json& j) {
    j["stripes"] = label.stripes + 1;
    j["stream_bytes"] = label.stream_bytes + label.layout.stripe_plain();
  });
  flip_bit(segment_file(drive(1), 0), format::kBlockHeaderSize + 10);
  const std::string damaged = read_all(segment_file(drive(1), 0));
  RunResult r = on_drives({"repair"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find("disagree"), std::string::npos) << r.err;
  EXPECT_EQ(read_all(segment_file(drive(1), 0)), damaged);
}

// Observation 7: one edited label, named first, does not overrule three honest ones.
TEST_F(HostileDrive, TheLabelMostDrivesAgreeOnWinsWhicheverIsNamedFirst) {
  const format::Label label = label_on(drive(0));
  forge_label(drive(0), [&](json& j) {
    j["stripes"] = label.stripes + 1;
    j["stream_bytes"] = label.stream_bytes + label.layout.stripe_plain();
  });
  RunResult r = restore_all(target());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
  EXPECT_NE((r.out + r.err).find("disagrees"), std::string::npos) << r.out << r.err;
  // The edited drive is readable: verify calls it disputed, not unreadable.
  RunResult v = on_drives({"verify", "--json"});
  json report = json::parse(v.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << v.out << v.err;
  std::string role;
  for (const json& d : report["drives"]) {
    if (d["path"] == drive(0)) role = d["role"];
  }
  EXPECT_EQ(role, "disputed") << v.out;
}

// A label edited to claim another drive's slot (its CRC recomputed), named first: the
// drive whose blocks belong to that slot keeps it, and the odd one is named.
TEST_F(HostileDrive, ALabelClaimingAnotherDrivesSlotDoesNotPushTheHonestDriveOut) {
  forge_label(drive(0), [](json& j) { j["slot"] = 1; });
  RunResult r = restore_all(target());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
  EXPECT_NE(r.err.find("drive " + drive(0) + " has a label saying slot 1, but its blocks are "
                       "slot 0's"),
            std::string::npos)
      << r.err;
  // Whichever order the drives are named in.
  RunResult v = within_a_minute("verify", [&] {
    return run_ferry({"verify", drive(3), drive(2), drive(1), drive(0)});
  });
  EXPECT_NE(v.exit_code, 4) << v.out << v.err;
  EXPECT_NE((v.out + v.err).find("blocks are slot 0's"), std::string::npos) << v.out << v.err;
}

// The key wrap in the first-named drive's label edited (its CRC recomputed): the key is
// not blamed while another drive's wraps open with it.
TEST_F(HostileDrive, AnEditedKeyWrapOnTheFirstDriveDoesNotBlameTheKey) {
  forge_label(drive(0), [](json& j) {
    std::string w = j["keys"][0]["wrapped"].get<std::string>();
    w[0] = w[0] == '0' ? '1' : '0';
    j["keys"][0]["wrapped"] = w;
  });
  RunResult r = restore_all(target());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
  EXPECT_NE(r.err.find("a label was edited or damaged"), std::string::npos) << r.err;
  RunResult ls = on_drives({"ls", "--key-file", key()});
  EXPECT_EQ(ls.exit_code, 0) << ls.err;
}

// A segment file grown past the labels' stripes: keyless verify cannot tell leftovers
// from hidden stripes and sends the user to the key, not to a repair that has nothing
// to mend; with the key the catalog vouches for the labels. A stray folder named like a
// segment holds no blocks.
TEST_F(HostileDrive, BlocksPastTheLabelsSendToTheKeyNotToRepair) {
  const std::string segment = segment_file(drive(1), 0);
  ASSERT_EQ(::truncate(segment.c_str(), static_cast<off_t>(file_size(segment) + (1 << 20))), 0);
  make_dir(folder(2) + "/segments", "seg-00000099.fry");
  RunResult keyless = on_drives({"verify"});
  EXPECT_EQ(keyless.exit_code, 3) << keyless.out << keyless.err;
  EXPECT_NE(keyless.out.find("run `ferry verify` with the key"), std::string::npos) << keyless.out;
  EXPECT_EQ(keyless.out.find("run `ferry repair`"), std::string::npos) << keyless.out;
  EXPECT_EQ(keyless.out.find("seg-00000099"), std::string::npos) << keyless.out;
  RunResult keyed = on_drives({"verify", "--key-file", key()});
  EXPECT_EQ(keyed.exit_code, 0) << keyed.out << keyed.err;
  EXPECT_NE(keyed.out.find("the catalog vouches for the labels"), std::string::npos)
      << keyed.out;
}

// FORMAT.md: a drive may hold several shipment folders, and tools pick by shipment id.
TEST_F(HostileDrive, ShipmentPicksTheSecondShipmentOfADriveThatHoldsTwo) {
  const std::string first = format::id_hex(label_on(drive(0)).shipment);
  std::vector<std::string> other = {drive(4), drive(5), drive(6)};
  std::vector<std::string> args = {"pack", source(), "--parity", "1", "--key-file", key(),
                                   "--quiet", "--to"};
  args.insert(args.end(), other.begin(), other.end());
  ASSERT_EQ(run_ferry(args).exit_code, 0);
  const std::string second_folder = shipment_folder(drive(4));
  const std::string second = format::id_hex(label_on(drive(4)).shipment);
  fs::copy(second_folder, drive(0) + "/" + fs::path(second_folder).filename().string(),
           fs::copy_options::recursive);

  RunResult info = within_a_minute("info", [&] {
    return run_ferry({"info", drive(0), "--shipment", second.substr(0, 8)});
  });
  // (exit 1: one drive of three cannot restore it)
  EXPECT_NE(info.out.find("shipment   " + second), std::string::npos) << info.out << info.err;
  // Without --shipment the drive's other shipment is said, not passed over in silence.
  RunResult plain = within_a_minute("info", [&] { return run_ferry({"info", drive(0)}); });
  EXPECT_NE((plain.out + plain.err).find("also holds shipment"), std::string::npos)
      << plain.out << plain.err;
  RunResult r = within_a_minute("restore", [&] {
    return restore({drive(0), drive(5)}, target(), {"--shipment", second.substr(0, 8)});
  });
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(compare_trees(source(), target()), "");
  EXPECT_NE(first, second);
  // Without --shipment, the shipment most drives hold: the drive holding both is one of
  // its members, not a foreign drive, whichever folder it lists first.
  RunResult v = on_drives({"verify", "--json"});
  json report = json::parse(v.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << v.out << v.err;
  EXPECT_EQ(report["shipment"], first);
  for (const json& d : report["drives"]) {
    if (d["path"] == drive(0)) {
      EXPECT_EQ(d["role"], "member") << v.out;
    }
  }
  // The same the other way round (one of the two drives lists the other shipment's
  // folder first, whatever the random ids).
  const std::string first_folder = shipment_folder(drive(1));
  fs::copy(first_folder, drive(4) + "/" + fs::path(first_folder).filename().string(),
           fs::copy_options::recursive);
  RunResult w = within_a_minute("verify", [&] {
    return run_ferry({"verify", "--json", drive(4), drive(5), drive(6)});
  });
  report = json::parse(w.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << w.out << w.err;
  EXPECT_EQ(report["shipment"], second);
  for (const json& d : report["drives"]) {
    if (d["path"] == drive(4)) {
      EXPECT_EQ(d["role"], "member") << w.out;
    }
  }
}

// Observation 8: a checkpoint's snapshot sealed in the catalog's place, the labels'
// digest edited to match.
TEST_F(HostileDrive, ACheckpointSnapshotCannotStandInForTheCatalog) {
  const format::Label label = label_on(drive(0));
  Credentials credentials;
  credentials.key_file = format::read_key_file(key());
  const codec::Key data_key = *format::unwrap_data_key(label, credentials);
  std::string plain = dir_ / "plain-catalog";
  format::open_catalog(format::catalog_path(folder(0)), plain, label.shipment, data_key);
  std::string snapshot;
  format::seal_catalog(
      plain, label.shipment, data_key,
      [&](const uint8_t* p, size_t n) { snapshot.append(reinterpret_cast<const char*>(p), n); },
      format::checkpoint_catalog(0));
  const codec::Digest digest = codec::sha256(snapshot.data(), snapshot.size());
  for (int i = 0; i < 4; ++i) {
    std::ofstream(format::catalog_path(folder(i)), std::ios::trunc | std::ios::binary) << snapshot;
    forge_label(drive(i), [&](json& j) {
      j["catalog"]["bytes"] = snapshot.size();
      j["catalog"]["sha256"] = codec::to_hex(digest);
    });
  }
  RunResult r = on_drives({"ls", "--key-file", key()});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find("checkpoint 0"), std::string::npos) << r.err;
}

// The catalog, decrypted, changed with `sql` and sealed again as whoever holds the key
// could; every label's digest made to match.
void forge_catalog(HostileDrive& t, const std::vector<std::string>& drives, const std::string& key,
                   const std::string& plain, const std::string& sql) {
  const format::Label label = label_on(drives[0]);
  Credentials credentials;
  credentials.key_file = format::read_key_file(key);
  const codec::Key data_key = *format::unwrap_data_key(label, credentials);
  format::open_catalog(format::catalog_path(shipment_folder(drives[0])), plain, label.shipment,
                       data_key);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(plain.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  std::string sealed;
  format::seal_catalog(plain, label.shipment, data_key, [&](const uint8_t* p, size_t n) {
    sealed.append(reinterpret_cast<const char*>(p), n);
  });
  const codec::Digest digest = codec::sha256(sealed.data(), sealed.size());
  for (const std::string& drive : drives) {
    std::ofstream(format::catalog_path(shipment_folder(drive)), std::ios::trunc | std::ios::binary)
        << sealed;
    forge_label(drive, [&](json& j) {
      j["catalog"]["bytes"] = sealed.size();
      j["catalog"]["sha256"] = codec::to_hex(digest);
    });
  }
}

// Observation 5, the key holder's part: a catalog entry far beyond the data stream.
TEST_F(HostileDrive, ACatalogEntryBeyondTheDataStreamIsRefusedAtOnce) {
  forge_catalog(*this, drives(4), key(), dir_ / "plain-catalog",
                "UPDATE entries SET stored = 1125899906842624 WHERE path = CAST('a.bin' AS BLOB)");
  RunResult restored = restore_all(target());
  EXPECT_NE(restored.exit_code, 0);
  EXPECT_NE(restored.err.find("beyond the data stream"), std::string::npos) << restored.err;
  RunResult verify = on_drives({"verify", "--key-file", key()});
  EXPECT_NE(verify.exit_code, 0);
  EXPECT_NE(verify.err.find("beyond the data stream"), std::string::npos) << verify.err;
}

// Observation 5: every label edited to claim no stripes at all, and a stripe destroyed.
TEST_F(HostileDrive, LabelsClaimingFewerStripesThanTheDrivesHoldAreNotIntact) {
  for (int i = 0; i < 4; ++i) {
    forge_label(drive(i), [](json& j) {
      j["stripes"] = 0;
      j["stream_bytes"] = 0;
    });
  }
  zero_range(segment_file(drive(0), 0), 0, 4096);
  zero_range(segment_file(drive(1), 0), 0, 4096);
  RunResult r = on_drives({"verify"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("beyond"), std::string::npos) << r.out << r.err;
  RunResult keyed = on_drives({"verify", "--key-file", key()});
  EXPECT_NE(keyed.exit_code, 0) << keyed.out;
  EXPECT_NE(keyed.err.find("labels were edited"), std::string::npos) << keyed.err;
}

// Observation 9: a whole drive set of another shipment, sealed under the same key.
TEST_F(HostileDrive, ShipmentPinsTheShipmentAndAnotherSetUnderTheSameKeyIsRefused) {
  const std::string expected = format::id_hex(label_on(drive(0)).shipment);
  std::vector<std::string> other = {drive(4), drive(5), drive(6), drive(7)};
  std::vector<std::string> args = {"pack", source(), "--parity", "1", "--key-file", key(),
                                   "--block-size", "4", "--quiet", "--to"};
  args.insert(args.end(), other.begin(), other.end());
  ASSERT_EQ(run_ferry(args).exit_code, 0);

  RunResult wrong = within_a_minute("restore", [&] {
    return restore(other, target(), {"--shipment", expected.substr(0, 8)});
  });
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.err.find("no drive given holds shipment " + expected.substr(0, 8)),
            std::string::npos)
      << wrong.err;
  EXPECT_FALSE(path_exists(target() + "/a.bin"));

  RunResult right = restore_all(target(), {"--shipment", expected.substr(0, 6)});
  EXPECT_EQ(right.exit_code, 0) << right.err;
  RunResult info = on_drives({"info", "--shipment", expected});
  EXPECT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find(expected), std::string::npos) << info.out;
}

// Observation 10: text from a drive never reaches the terminal as escape sequences.
TEST_F(HostileDrive, EscapeSequencesInALabelNeverReachTheTerminal) {
  forge_label(drive(1), [](json& j) { j["state"] = "\x1b]0;owned\x07\x1b[2J"; });
  forge_label(drive(2), [](json& j) { j["keys"][0]["type"] = "\x1b[31mred"; });
  for (const char* command : {"info", "verify"}) {
    RunResult r = on_drives({command});
    EXPECT_EQ((r.out + r.err).find('\x1b'), std::string::npos) << command << ": " << r.out << r.err;
  }
  RunResult restored = restore_all(target());
  EXPECT_EQ((restored.out + restored.err).find('\x1b'), std::string::npos) << restored.err;
}

TEST_F(HostileDrive, AKeyFileOthersCanReadIsWarnedAbout) {
  RunResult quiet = on_drives({"ls", "--key-file", key()});
  EXPECT_EQ(quiet.err.find("can be read by other users"), std::string::npos) << quiet.err;
  ASSERT_EQ(::chmod(key().c_str(), 0644), 0);
  RunResult r = on_drives({"ls", "--key-file", key()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("can be read by other users"), std::string::npos) << r.err;
}

// Observation 5: every label claims 2^40 stripes, consistently; the drives hold a few.
TEST_F(HostileDrive, StripesClaimedBeyondEveryDriveAreCountedNotSearched) {
  const format::Label label = label_on(drive(0));
  const uint64_t claimed = format::kMaxStripes;
  for (int i = 0; i < 4; ++i) {
    forge_label(drive(i), [&](json& j) {
      j["stripes"] = claimed;
      j["stream_bytes"] = claimed * label.layout.stripe_plain();
    });
  }
  RunResult verify = on_drives({"verify", "--json"});
  EXPECT_EQ(verify.exit_code, 4) << verify.err;
  json report = json::parse(verify.out);
  EXPECT_EQ(report["stripes_lost"].get<uint64_t>(), claimed - label.stripes) << verify.out;
  RunResult repair = on_drives({"repair"});
  EXPECT_FALSE(crashed(repair));
  EXPECT_NE(repair.err.find("fewer than k"), std::string::npos) << repair.err;
}

// Observation 10: a restore killed with SIGKILL leaves no decrypted catalog behind.
TEST_F(HostileDrive, AKilledRestoreLeavesNoDecryptedCatalog) {
  const std::string tmp = dir_ / "tmp";
  fs::create_directory(tmp);
  const char* old = std::getenv("TMPDIR");
  const std::string previous = old ? old : "";
  ::setenv("TMPDIR", tmp.c_str(), 1);
  std::vector<std::string> args = {"restore", drive(0), drive(1), drive(2), drive(3), "--to",
                                   target(), "--key-file", key(), "--quiet"};
  int killed = 0;
  for (int delay_us = 0; delay_us < 200000 && killed < 3; delay_us += 2000) {
    fs::remove_all(target());
    int pid = spawn_ferry(args);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    bool catalog_there = !fs::is_empty(tmp);
    ::kill(pid, SIGKILL);
    if (wait_ferry(pid) == 128 + SIGKILL && catalog_there) ++killed;
  }
  if (old) ::setenv("TMPDIR", previous.c_str(), 1); else ::unsetenv("TMPDIR");
  if (killed == 0) GTEST_SKIP() << "no restore was killed while its catalog existed";
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {
    gone = fs::is_empty(tmp);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone) << "a decrypted catalog outlived its process: " << fs::begin(fs::directory_iterator(tmp))->path();
}

}  // namespace
}  // namespace ferry::test
