// libFuzzer target for response masking: the first byte picks the operation,
// the rest is the body, masked with a fixed plan that uses every method on
// top-level, nested, indexed and wildcard paths. Invariants: no crash; an
// error never comes with a body; when the input is valid JSON with valid
// AttributeValues, so is the output; masking with idempotent methods
// (redact, nullify, remove) twice changes nothing the second time; and
// unseal_request never crashes on the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "av_validator.hpp"
#include "masking/mask_plan.hpp"
#include "masking/response_masker.hpp"

namespace {

using namespace dynaudit::masking;

void require(bool condition) {
  if (!condition) std::abort();
}

MaskSpec make(std::string path, Method method, std::string id) {
  MaskSpec s;
  s.path = std::move(path);
  s.method = method;
  s.rule_id = std::move(id);
  s.keep_first = 1;
  s.keep_last = 2;
  s.pattern = "[0-9]+";
  s.replacement = "#";
  s.step = 0.5;
  return s;
}

MaskPlan compile(const std::vector<MaskSpec>& specs) {
  std::string error;
  auto plan = MaskPlan::compile(specs, error);
  require(plan.has_value());
  return std::move(*plan);
}

const MaskPlan& every_method() {
  static const MaskPlan plan = compile({
      make("a", Method::redact, "redact"), make("b", Method::partial, "partial"), make("c", Method::email, "email"),
      make("d", Method::hash, "hash"), make("e", Method::nullify, "nullify"), make("f", Method::remove, "remove"),
      make("g", Method::regex, "regex"), make("h", Method::round, "round"), make("m.x", Method::redact, "nested"),
      make("m.y.z", Method::hash, "deep"), make("l[*].y", Method::partial, "wild"), make("l[1]", Method::remove, "idx"),
      make("s[*]", Method::partial, "set"), make("pk", Method::hash, "key"), make("n", Method::round, "round-n"),
  });
  return plan;
}

const MaskPlan& idempotent() {
  static const MaskPlan plan = compile({
      // Not l[0] remove: a second pass would remove the next element.
      make("m.x", Method::redact, "r"), make("l[*].y", Method::nullify, "n"), make("l[*].f", Method::remove, "x"),
      make("m.f", Method::remove, "f"), make("s[*]", Method::redact, "s"),
  });
  return plan;
}

constexpr std::string_view kOperations[] = {
    "GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems", "ExecuteStatement",
    "BatchExecuteStatement", "ExecuteTransaction", "PutItem", "GetRecords",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view operation = kOperations[data[0] % std::size(kOperations)];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  MaskKeys keys;
  keys.hmac_key = "fuzz-hmac-key";
  keys.token_key = std::string(32, 'f');

  const auto out = mask_response(operation, body, every_method(), keys);
  require(out.error.empty() || (!out.changed && out.body.empty()));
  require(out.changed == (out.values_masked > 0));
  require(out.rules.empty() == (out.values_masked == 0));
  const bool input_valid = dynaudit::masking::testing::check_response_json(body).empty();
  if (out.error.empty() && input_valid) {
    const std::string_view result = out.changed ? std::string_view(out.body) : body;
    require(dynaudit::masking::testing::check_response_json(result).empty());
  }

  if (input_valid && body.find("LastEvaluatedKey") == std::string_view::npos) {
    const auto once = mask_response(operation, body, idempotent(), keys);
    if (once.error.empty() && once.changed) {
      const auto twice = mask_response(operation, once.body, idempotent(), keys);
      require(twice.error.empty() && !twice.changed);
    }
  }

  const auto unsealed = unseal_request(body, keys);
  require(unsealed.error.empty() || !unsealed.changed);
  return 0;
}
