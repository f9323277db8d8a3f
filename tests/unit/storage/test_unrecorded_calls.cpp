// The file that keeps the count of unrecorded calls across restarts
// (storage/unrecorded_calls.hpp): made private with a count of 0, read back
// exactly, never grown by a write, and refused when it holds anything else.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "storage/unrecorded_calls.hpp"
#include "test_support.hpp"

using dynaudit::storage::default_unrecorded_file;
using dynaudit::storage::read_unrecorded_file;
using dynaudit::storage::UnrecordedCalls;
using dynaudit::storage::UnrecordedCallsFile;
using storage_test::TempDir;

TEST_CASE("unrecorded calls file: made at 0, private, fixed size, read back after a restart") {
  TempDir dir("unrecorded");
  const std::string path = dir.path() + "/audit.unrecorded";
  std::string error;
  {
    auto file = UnrecordedCallsFile::open(path, error);
    REQUIRE(file);
    CHECK(file->at_open().count == 0);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(st.st_size == 128);
    REQUIRE(file->write(UnrecordedCalls{40, 1796620000000, 1796620009999}, error));
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK(st.st_size == 128);  // overwritten in place, never grown
  }
  auto again = UnrecordedCallsFile::open(path, error);
  REQUIRE(again);
  CHECK(again->at_open().count == 40);
  CHECK(again->at_open().first_ms == 1796620000000);
  CHECK(again->at_open().last_ms == 1796620009999);
  const auto read = read_unrecorded_file(path, error);
  REQUIRE(read);
  CHECK(read->count == 40);
}

TEST_CASE("unrecorded calls file: anything but a count is refused, a missing file reads as 0") {
  TempDir dir("unrecorded-bad");
  const std::string path = dir.path() + "/x.unrecorded";
  std::string error;
  const auto missing = read_unrecorded_file(path, error);
  REQUIRE(missing);
  CHECK(missing->count == 0);
  std::ofstream(path) << "{\"unrecordedCalls\":4";  // cut short
  CHECK_FALSE(UnrecordedCallsFile::open(path, error));
  CHECK(error.find("does not hold a count") != std::string::npos);
  error.clear();
  CHECK_FALSE(read_unrecorded_file(path, error));
  CHECK_FALSE(error.empty());
}

TEST_CASE("unrecorded calls file: beside the witness, else beside the store folder") {
  CHECK(default_unrecorded_file("/var/lib/dynaudit/audit", "/mnt/w/witness.jsonl") == "/mnt/w/witness.jsonl.unrecorded");
  CHECK(default_unrecorded_file("/var/lib/dynaudit/audit", "") == "/var/lib/dynaudit/audit.unrecorded");
  CHECK(default_unrecorded_file("/var/lib/dynaudit/audit/", "") == "/var/lib/dynaudit/audit.unrecorded");
}
