// The fingerprint of a rule set: SHA-256 over the files it was loaded from
// (each file's name, length and bytes, in the configured order), written
// "sha256:<hex>". Two proxies whose fingerprints match run the same rules;
// the audit log records it on every load and reload, so a report can say
// which rules were in force at any time without keeping the files.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace dynaudit::rules {

class RuleFingerprint {
 public:
  RuleFingerprint();
  ~RuleFingerprint();
  RuleFingerprint(const RuleFingerprint&) = delete;
  RuleFingerprint& operator=(const RuleFingerprint&) = delete;

  void add(std::string_view source, std::string_view text);
  // The fingerprint of everything added; call once.
  std::string finish();

 private:
  struct Digest;
  std::unique_ptr<Digest> digest_;
};

}  // namespace dynaudit::rules
