// Paths through maps and lists, wildcards, missing paths, several specs on
// one attribute, and path syntax errors.
#include "masking_test_util.hpp"

using namespace dynaudit::masking;
using namespace dynaudit::masking::testing;

namespace {

const std::string kCustomer =
    R"({"pk":{"S":"c#1"},"card":{"M":{"number":{"S":"4111111111111111"},"cvv":{"S":"123"}}},)"
    R"("cards":{"L":[{"M":{"number":{"S":"5500000000000004"},"exp":{"S":"12/29"}}},)"
    R"({"M":{"number":{"S":"340000000000009"}}},{"S":"not a map"}]},)"
    R"("tags":{"SS":["vip","gold"]},"name":{"S":"Ann"}})";

}  // namespace

TEST_CASE("nested map path", "[paths]") {
  const auto out = mask_item({spec("card.number", Method::redact)}, kCustomer);
  CHECK(out.find(R"("card":{"M":{"number":{"S":"****"},"cvv":{"S":"123"}}})") != std::string::npos);
  CHECK(out.find("5500000000000004") != std::string::npos);
}

TEST_CASE("list index and wildcard paths", "[paths]") {
  auto first = mask_item({spec("cards[0].number", Method::redact)}, kCustomer);
  CHECK(first.find(R"({"M":{"number":{"S":"****"},"exp":{"S":"12/29"}}})") != std::string::npos);
  CHECK(first.find("340000000000009") != std::string::npos);

  auto all = mask_item({spec("cards[*].number", Method::redact)}, kCustomer);
  CHECK(all.find("5500000000000004") == std::string::npos);
  CHECK(all.find("340000000000009") == std::string::npos);
  CHECK(all.find(R"({"S":"not a map"})") != std::string::npos);  // path does not exist there

  auto whole = mask_item({spec("cards[*]", Method::nullify)}, kCustomer);
  CHECK(whole.find(R"("cards":{"L":[{"NULL":true},{"NULL":true},{"NULL":true}]})") != std::string::npos);

  auto removed = mask_item({spec("cards[1]", Method::remove)}, kCustomer);
  CHECK(removed.find("340000000000009") == std::string::npos);
  CHECK(removed.find(R"({"S":"not a map"}]})") != std::string::npos);

  auto removed_all = mask_item({spec("cards[*]", Method::remove)}, kCustomer);
  CHECK(removed_all.find(R"("cards":{"L":[]})") != std::string::npos);

  auto removed_member = mask_item({spec("cards[*].exp", Method::remove)}, kCustomer);
  CHECK(removed_member.find(R"({"M":{"number":{"S":"5500000000000004"}}})") != std::string::npos);
}

TEST_CASE("wildcard on a set masks its elements", "[paths]") {
  auto out = mask_item({spec("tags[*]", Method::redact)}, kCustomer);
  CHECK(out.find(R"("tags":{"SS":["****"]})") != std::string::npos);
}

TEST_CASE("missing paths are ignored", "[paths]") {
  const auto plan = plan_of({spec("nothere", Method::redact), spec("card.nope", Method::redact),
                             spec("cards[9].number", Method::redact), spec("name.first", Method::redact),
                             spec("tags[0]", Method::redact), spec("pk[*]", Method::redact)});
  const auto out = mask_item_json(kCustomer, plan, test_keys());
  CHECK(out.error.empty());
  CHECK_FALSE(out.changed);
  CHECK(out.values_masked == 0);
  CHECK(out.rules.empty());
}

TEST_CASE("several specs on one attribute apply in order", "[paths]") {
  auto number = spec("card.number", Method::partial, "pci");
  number.keep_last = 4;
  const auto out = mask_item({number, spec("card.cvv", Method::remove, "pci-cvv"), spec("name", Method::hash, "pii")},
                             kCustomer);
  CHECK(out.find(R"("card":{"M":{"number":{"S":"************1111"}}})") != std::string::npos);
  const auto plan = plan_of({number, spec("card.cvv", Method::remove, "pci-cvv"), spec("name", Method::hash, "pii"),
                             spec("absent", Method::redact, "unused")});
  const auto outcome = mask_item_json(kCustomer, plan, test_keys());
  CHECK(outcome.values_masked == 3);
  CHECK(outcome.rules == std::vector<std::string>{"pci", "pci-cvv", "pii"});
  // A whole-attribute remove first makes later specs on it moot.
  const auto gone = mask_item({spec("card", Method::remove), spec("card.number", Method::redact)}, kCustomer);
  CHECK(gone.find("\"card\"") == std::string::npos);
}

TEST_CASE("attribute names with escapes match their decoded form", "[paths]") {
  CHECK(mask_item({spec("caf\xc3\xa9", Method::redact)}, R"({"caf\u00e9":{"S":"x"}})") ==
        R"({"caf\u00e9":{"S":"****"}})");
  CHECK(mask_item({spec("m.k\"q", Method::redact)}, R"({"m":{"M":{"k\"q":{"S":"x"}}}})") ==
        R"({"m":{"M":{"k\"q":{"S":"****"}}}})");
}

TEST_CASE("path syntax", "[paths][plan]") {
  std::string error;
  for (const char* bad : {"", ".a", "a.", "a..b", "a[", "a[]", "a[x]", "[0]", "a[1]b", "a]", "a[-1]"}) {
    INFO(bad);
    CHECK_FALSE(MaskPlan::compile({spec(bad, Method::redact)}, error));
    CHECK_FALSE(error.empty());
  }
  for (const char* good : {"a", "a.b.c", "a[2].b", "a[*].b", "a[*]", "a[0][1]", "a-b_c:d"}) {
    INFO(good);
    CHECK(MaskPlan::compile({spec(good, Method::redact)}, error));
  }
  auto plan = plan_of({spec("a.b", Method::redact), spec("a", Method::hash), spec("c[*]", Method::redact)});
  CHECK(plan.top_level_names() == std::vector<std::string>{"a", "c"});
  CHECK_FALSE(plan.empty());
  CHECK(MaskPlan().empty());
  MaskPlan moved = std::move(plan);
  CHECK(plan.empty());  // NOLINT: a moved-from plan is empty, not broken
  CHECK_FALSE(moved.empty());
}
