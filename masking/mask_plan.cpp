// MaskPlan compilation: paths parsed and regexes compiled once per plan, so
// that masking a response never fails on a spec; see mask_plan.hpp.
#include "masking/mask_plan.hpp"

#include "masking/compiled_plan.hpp"

namespace dynaudit::masking {

namespace {

constexpr std::string_view kMethodNames[] = {"redact", "partial", "email", "hash",
                                             "nullify", "remove", "regex", "round"};

}  // namespace

std::optional<Method> parse_method(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kMethodNames); ++i)
    if (kMethodNames[i] == name) return static_cast<Method>(i);
  return std::nullopt;
}

std::string_view to_string(Method method) {
  const auto i = static_cast<std::size_t>(method);
  return i < std::size(kMethodNames) ? kMethodNames[i] : "unknown";
}

bool parse_path(std::string_view path, std::vector<PathStep>& steps) {
  steps.clear();
  std::size_t i = 0;
  bool expect_name = true;
  while (i < path.size()) {
    if (expect_name) {
      std::size_t j = i;
      while (j < path.size() && path[j] != '.' && path[j] != '[' && path[j] != ']') ++j;
      if (j == i) return false;
      PathStep step;
      step.name = std::string(path.substr(i, j - i));
      steps.push_back(std::move(step));
      i = j;
      expect_name = false;
    } else if (path[i] == '.') {
      ++i;
      expect_name = true;
    } else if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string_view::npos || close == i + 1) return false;
      const std::string_view inside = path.substr(i + 1, close - i - 1);
      PathStep step;
      if (inside == "*") {
        step.kind = PathStep::Kind::wildcard;
      } else {
        step.kind = PathStep::Kind::index;
        if (inside.size() > 9) return false;
        for (const char c : inside) {
          if (c < '0' || c > '9') return false;
          step.index = step.index * 10 + static_cast<std::size_t>(c - '0');
        }
      }
      steps.push_back(std::move(step));
      i = close + 1;
    } else {
      return false;
    }
  }
  return !expect_name && !steps.empty();
}

std::optional<MaskPlan> MaskPlan::compile(const std::vector<MaskSpec>& specs, std::string& error) {
  MaskPlan plan;
  auto& c = *plan.compiled_;
  for (const auto& spec : specs) {
    CompiledSpec cs;
    cs.spec = spec;
    const std::string where = "mask " + (spec.rule_id.empty() ? std::string() : "of rule " + spec.rule_id + " ") +
                              "on '" + spec.path + "': ";
    if (!parse_path(spec.path, cs.steps)) {
      error = where + "path must look like a, a.b, a[2].b or a[*]";
      return std::nullopt;
    }
    if (static_cast<int>(spec.method) < 0 || static_cast<std::size_t>(spec.method) >= std::size(kMethodNames)) {
      error = where + "unknown method";
      return std::nullopt;
    }
    cs.redact_text = spec.replacement.empty() ? "****" : spec.replacement;
    switch (spec.method) {
      case Method::partial:
        if (spec.keep_first < 0 || spec.keep_last < 0) {
          error = where + "keep_first and keep_last must not be negative";
          return std::nullopt;
        }
        break;
      case Method::regex:
        if (spec.pattern.empty()) {
          error = where + "regex needs a pattern";
          return std::nullopt;
        }
        try {
          cs.regex.emplace(spec.pattern, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
          error = where + "bad pattern: " + e.what();
          return std::nullopt;
        } catch (const std::exception& e) {
          error = where + "bad pattern: " + e.what();
          return std::nullopt;
        }
        break;
      case Method::round: {
        const auto step = decimal_step(spec.step);
        if (!step) {
          error = where + "round needs a positive step (with at most 18 significant digits)";
          return std::nullopt;
        }
        cs.round_step = *step;
        break;
      }
      case Method::hash:
        c.needs_hmac = true;
        break;
      default:
        break;
    }
    const std::string& top = cs.steps.front().name;
    int at = c.find_top(top);
    if (at < 0) {
      c.top_names.push_back(top);
      c.specs_of.emplace_back();
      c.seal.push_back(false);
      at = static_cast<int>(c.top_names.size() - 1);
    }
    const auto index = static_cast<std::size_t>(at);
    c.specs_of[index].push_back(c.specs.size());
    if (cs.steps.size() == 1) c.seal[index] = true;
    c.specs.push_back(std::move(cs));
  }
  return plan;
}

MaskPlan::MaskPlan() : compiled_(std::make_unique<Compiled>()) {}
MaskPlan::~MaskPlan() = default;
MaskPlan::MaskPlan(MaskPlan&&) noexcept = default;
MaskPlan& MaskPlan::operator=(MaskPlan&&) noexcept = default;

const MaskPlan::Compiled& MaskPlan::compiled() const {
  static const Compiled kEmpty;
  return compiled_ ? *compiled_ : kEmpty;
}

bool MaskPlan::empty() const { return compiled().specs.empty(); }

const std::vector<std::string>& MaskPlan::top_level_names() const { return compiled().top_names; }

}  // namespace dynaudit::masking
