// See rules_command.hpp.
#include "cli/rules_command.hpp"

#include <iostream>
#include <memory>

#include "cli/rule_cases.hpp"
#include "rules/reachability_lint.hpp"
#include "rules/rule_snapshot.hpp"

namespace dynaudit::cli {
namespace {

struct RulesArgs {
  std::vector<std::string> files;
  std::vector<std::string> cases;
  std::string default_effect = "allow";
  std::string default_audit = "metadata";
  bool verbose = false;
  bool strict = false;  // check: warnings fail the check
};

bool settings_of(const RulesArgs& args, rules::EngineSettings& settings) {
  if (args.default_effect != "allow" && args.default_effect != "deny") {
    std::cerr << "dynaudit: --default-effect must be allow or deny\n";
    return false;
  }
  settings.default_effect = args.default_effect == "deny" ? rules::Effect::deny : rules::Effect::allow;
  if (args.default_audit == "none") settings.default_audit_level = rules::AuditLevel::none;
  else if (args.default_audit == "full") settings.default_audit_level = rules::AuditLevel::full;
  else if (args.default_audit == "metadata") settings.default_audit_level = rules::AuditLevel::metadata;
  else {
    std::cerr << "dynaudit: --default-audit must be none, metadata or full\n";
    return false;
  }
  return true;
}

rules::SnapshotResult load(const RulesArgs& args, const rules::EngineSettings& settings) {
  auto result = rules::RuleSnapshot::load_files(args.files, settings);
  for (const auto& error : result.errors) std::cerr << rules::format(error) << "\n";
  return result;
}

int check(const RulesArgs& args) {
  rules::EngineSettings settings;
  if (!settings_of(args, settings)) return 2;
  const auto result = load(args, settings);
  if (!result.snapshot) {
    std::cerr << "rules check: " << result.errors.size() << " error(s)\n";
    return 1;
  }
  // Deny rules that leave another route to the same data open
  // (docs/rules.md, "Reachability warnings"). Warnings, not errors: the rule
  // set is valid and loads; --strict makes them fail the check.
  const auto lint = rules::lint_rule_files(args.files);
  for (const auto& error : lint.errors) std::cerr << rules::format(error) << "\n";
  if (!lint.errors.empty()) {  // a file changed between the two reads
    std::cerr << "rules check: " << lint.errors.size() << " error(s)\n";
    return 1;
  }
  for (const auto& warning : lint.warnings) std::cerr << rules::format(warning) << "\n";
  const std::size_t warnings = lint.warnings.size();
  if (warnings && args.strict) {
    std::cerr << "rules check: " << warnings << " warning(s), failing because of --strict\n";
    return 1;
  }
  std::size_t shadow = 0, response = 0;
  for (const auto& rule : result.snapshot->rules()) {
    shadow += rule.mode == rules::RuleMode::shadow;
    response += rule.phase == rules::Phase::response;
  }
  std::cout << "rules OK: " << result.snapshot->rules().size() << " rules (" << shadow << " shadow, " << response
            << " response-phase) in " << args.files.size() << " file(s)";
  if (warnings) std::cout << ", " << warnings << " warning(s)";
  std::cout << "\n";
  return 0;
}

int test(const RulesArgs& args) {
  rules::EngineSettings settings;
  if (!settings_of(args, settings)) return 2;
  std::size_t passed = 0, failed = 0;
  for (const auto& path : args.cases) {
    auto cases = load_rule_cases(path);
    if (!cases.errors.empty()) {
      for (const auto& e : cases.errors) std::cerr << e << "\n";
      return 2;
    }
    // A cases file may pin the defaults it was written for.
    auto file_settings = settings;
    if (cases.default_effect) file_settings.default_effect = *cases.default_effect;
    if (cases.default_audit) file_settings.default_audit_level = *cases.default_audit;
    const auto loaded = load(args, file_settings);
    if (!loaded.snapshot) return 1;
    for (const auto& c : cases.cases) {
      const auto diffs = run_rule_case(*loaded.snapshot, c);
      if (diffs.empty()) {
        ++passed;
        if (args.verbose) std::cout << "PASS " << c.name << "\n";
        continue;
      }
      ++failed;
      std::cout << "FAIL " << c.name << " (" << path << ":" << c.line << ")\n";
      for (const auto& d : diffs) std::cout << "     " << d << "\n";
    }
  }
  std::cout << (failed ? "FAIL" : "PASS") << ": " << passed << " passed, " << failed << " failed\n";
  return failed ? 1 : 0;
}

}  // namespace

void add_rules_command(CLI::App& app, int& exit_code) {
  auto* rules_cmd = app.add_subcommand("rules", "Validate and test rule files");
  rules_cmd->require_subcommand(1);

  auto check_args = std::make_shared<RulesArgs>();
  auto* check_cmd = rules_cmd->add_subcommand(
      "check", "Validate rule files (exit 1 when any is invalid) and warn about denies with a way round them");
  check_cmd->add_option("files", check_args->files, "Rule files")->required();
  check_cmd->add_flag("--strict", check_args->strict, "Exit 1 when there are warnings, too");
  check_cmd->callback([check_args, &exit_code] { exit_code = check(*check_args); });

  auto test_args = std::make_shared<RulesArgs>();
  auto* test_cmd = rules_cmd->add_subcommand("test", "Run decision test cases against rule files (exit 1 on a failing case)");
  test_cmd->add_option("files", test_args->files, "Rule files")->required();
  test_cmd->add_option("--cases", test_args->cases, "YAML file of cases (see docs/rules.md)")->required();
  test_cmd->add_option("--default-effect", test_args->default_effect, "allow (default) or deny, as rules.default_effect");
  test_cmd->add_option("--default-audit", test_args->default_audit, "none, metadata (default) or full");
  test_cmd->add_flag("-v,--verbose", test_args->verbose, "Also list the passing cases");
  test_cmd->callback([test_args, &exit_code] { exit_code = test(*test_args); });
}

}  // namespace dynaudit::cli
