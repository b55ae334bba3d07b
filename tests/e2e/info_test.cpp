// ferry info needs no key: it tells what the shipment is and which slots are present or
// missing, from any drives including a single one, and never shows a file name.
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "e2e/checks.h"
#include "e2e/fixture.h"

namespace ferry::test {
namespace {

const std::vector<std::string> kNames = {"INFONAME-file", "INFONAME-dir", "INFONAME-nested",
                                         "INFONAME-link", "INFONAME-target"};

class Info : public ShipmentTest {
 protected:
  void SetUp() override {
    ShipmentTest::SetUp();
    write_file(source(), "INFONAME-file.txt", csv_text(3 * kTestUnitPlain, 1));
    write_file(source(), "INFONAME-dir/INFONAME-nested.bin", random_bytes(2 * kTestUnitPlain, 2));
    make_symlink(source(), "INFONAME-link", "INFONAME-target");
    ASSERT_EQ(pack(4, 1).exit_code, 0);
    // The shipment id, from the label of drive 0.
    RunResult j = run_ferry({"info", drive(0), "--json"});
    shipment_ = nlohmann::json::parse(j.out).at("shipment").get<std::string>();
    ASSERT_EQ(shipment_.size(), 32u);
  }

  static std::string names_shown(const RunResult& r) {
    std::string found;
    for (const std::string& n : kNames) {
      if ((r.out + r.err).find(n) != std::string::npos) found += n + "\n";
    }
    return found;
  }

  std::string shipment_;
};

TEST_F(Info, AllDrivesHumanAndJsonShowNoFileNames) {
  RunResult human = run_ferry({"info", drive(0), drive(1), drive(2), drive(3)});
  EXPECT_EQ(human.exit_code, 0) << human.err;
  EXPECT_EQ(names_shown(human), "") << human.out;
  EXPECT_NE(human.out.find(shipment_), std::string::npos) << human.out;

  RunResult json = run_ferry({"info", drive(0), drive(1), drive(2), drive(3), "--json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(names_shown(json), "") << json.out;
  nlohmann::json j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j.at("present_slots"), nlohmann::json({0, 1, 2, 3}));
  EXPECT_EQ(j.at("missing_slots"), nlohmann::json::array());
  EXPECT_EQ(j.at("restorable"), true);
  EXPECT_EQ(j.at("drives"), 4);
  EXPECT_EQ(j.at("data_drives"), 3);
  EXPECT_EQ(j.at("parity_drives"), 1);
}

TEST_F(Info, ListsPresentAndMissingSlots) {
  RunResult human = run_ferry({"info", drive(2), drive(0)});
  EXPECT_EQ(human.exit_code, 1) << "2 of 3 needed drives cannot restore: " << human.out;
  EXPECT_EQ(names_shown(human), "") << human.out;
  EXPECT_NE(human.out.find("slot 1     not attached"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("slot 3     not attached"), std::string::npos) << human.out;
  EXPECT_EQ(human.out.find("slot 0     not attached"), std::string::npos) << human.out;
  EXPECT_EQ(human.out.find("slot 2     not attached"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find(drive(0)), std::string::npos) << human.out;
  EXPECT_NE(human.out.find(drive(2)), std::string::npos) << human.out;

  RunResult json = run_ferry({"info", drive(2), drive(0), "--json"});
  EXPECT_EQ(json.exit_code, 1);
  EXPECT_EQ(names_shown(json), "") << json.out;
  nlohmann::json j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j.at("present_slots"), nlohmann::json({0, 2}));
  EXPECT_EQ(j.at("missing_slots"), nlohmann::json({1, 3}));
  EXPECT_EQ(j.at("restorable"), false);

  RunResult three = run_ferry({"info", drive(3), drive(1), drive(2), "--json"});
  EXPECT_EQ(three.exit_code, 0) << three.err;
  nlohmann::json t = nlohmann::json::parse(three.out);
  EXPECT_EQ(t.at("present_slots"), nlohmann::json({1, 2, 3}));
  EXPECT_EQ(t.at("missing_slots"), nlohmann::json::array({0}));
  EXPECT_EQ(t.at("restorable"), true);
}

TEST_F(Info, WorksFromASingleDrive) {
  for (int slot = 0; slot < 4; ++slot) {
    RunResult human = run_ferry({"info", drive(slot)});
    // One drive of a 3+1 shipment cannot restore it: exit 1, but the shipment is described.
    EXPECT_EQ(human.exit_code, 1) << human.err;
    EXPECT_NE(human.out.find(shipment_), std::string::npos) << human.out << human.err;
    EXPECT_NE(human.out.find("3 data + 1 parity"), std::string::npos) << human.out;
    EXPECT_EQ(names_shown(human), "") << human.out;

    RunResult json = run_ferry({"info", drive(slot), "--json"});
    EXPECT_EQ(json.exit_code, 1);
    EXPECT_EQ(names_shown(json), "") << json.out;
    nlohmann::json j = nlohmann::json::parse(json.out);
    EXPECT_EQ(j.at("shipment"), shipment_);
    EXPECT_EQ(j.at("state"), "complete");
    EXPECT_EQ(j.at("present_slots"), nlohmann::json({slot}));
    nlohmann::json missing = nlohmann::json::array();
    for (int s = 0; s < 4; ++s) {
      if (s != slot) missing.push_back(s);
    }
    EXPECT_EQ(j.at("missing_slots"), missing);
    ASSERT_EQ(j.at("given").size(), 1u);
    EXPECT_EQ(j.at("given")[0].at("slot"), slot);
    EXPECT_EQ(j.at("given")[0].at("role"), "member");
  }
}

TEST_F(Info, NeedsNoKeyAndAcceptsTheShipmentFolderItself) {
  // The key is gone; info still works, given the ferry-<id> folder instead of the drive.
  ASSERT_EQ(::unlink(key().c_str()), 0);
  RunResult r = run_ferry({"info", drive(1) + "/ferry-" + shipment_, drive(2), drive(3), "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(names_shown(r), "") << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("present_slots"), nlohmann::json({1, 2, 3}));
}

}  // namespace
}  // namespace ferry::test
