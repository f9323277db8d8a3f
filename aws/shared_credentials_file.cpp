// The shared credentials file (~/.aws/credentials): a small INI reader
// with the rules botocore's configparser applies, and the profile lookup.
// Errors name the file, line and profile, never a value.
#include <fstream>
#include <map>

#include "aws/credential_sources.hpp"
#include "aws/header_lookup.hpp"

namespace dynaudit::aws {
namespace {

using Section = std::map<std::string, std::string>;

std::string_view trim_all(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "value  # note" -> "value". Only a '#' or ';' preceded by whitespace
// starts a comment, so key material (base64, never containing spaces) is
// never cut.
std::string_view strip_inline_comment(std::string_view value) {
  for (std::size_t i = 1; i < value.size(); ++i) {
    if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t'))
      return trim_all(value.substr(0, i));
  }
  return value;
}

struct IniParse {
  std::map<std::string, Section> sections;
  std::string error;
};

IniParse parse_ini(std::istream& in, const std::string& path) {
  IniParse ini;
  std::string line;
  Section* current = nullptr;
  bool in_nested_block = false;  // after "key =" with an empty value (e.g. "s3 =")
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    std::string_view raw = line;
    if (line_number == 1 && raw.substr(0, 3) == "\xEF\xBB\xBF") raw.remove_prefix(3);
    const bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    const std::string_view text = trim_all(raw);
    if (text.empty() || text.front() == '#' || text.front() == ';') continue;
    if (text.front() == '[') {
      const auto close = text.find(']');
      if (close == std::string_view::npos) {
        ini.error = path + ":" + std::to_string(line_number) + ": section header lacks ']'";
        return ini;
      }
      current = &ini.sections[std::string(trim_all(text.substr(1, close - 1)))];
      in_nested_block = false;
      continue;
    }
    // Indented lines under "s3 =" belong to that nested block; we need
    // none of those settings.
    if (indented && in_nested_block) continue;
    const auto delimiter = text.find_first_of("=:");
    if (delimiter == std::string_view::npos || delimiter == 0) {
      ini.error = path + ":" + std::to_string(line_number) + ": expected 'key = value'";
      return ini;
    }
    if (current == nullptr) {
      ini.error = path + ":" + std::to_string(line_number) + ": setting outside of any [profile] section";
      return ini;
    }
    const std::string key = http::to_lower(trim_all(text.substr(0, delimiter)));
    const std::string_view value = strip_inline_comment(trim_all(text.substr(delimiter + 1)));
    in_nested_block = value.empty();
    (*current)[key] = std::string(value);
  }
  return ini;
}

}  // namespace

namespace upstream {

std::string resolve_credentials_file(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (auto file = env("AWS_SHARED_CREDENTIALS_FILE")) return *file;
  return env("HOME").value_or("") + "/.aws/credentials";
}

std::string resolve_profile(const std::string& configured) {
  if (!configured.empty()) return configured;
  return env("AWS_PROFILE").value_or("default");
}

}  // namespace upstream

CredentialResult load_from_profile(const std::string& file, const std::string& profile) {
  CredentialResult result;
  result.source_name = "profile:" + profile;
  std::ifstream in(file);
  if (!in) {
    result.error = "profile:" + profile + ": cannot open " + file;
    return result;
  }
  IniParse ini = parse_ini(in, file);
  if (!ini.error.empty()) {
    result.error = "profile:" + profile + ": " + ini.error;
    return result;
  }
  const auto section = ini.sections.find(profile);
  if (section == ini.sections.end()) {
    result.error = "profile:" + profile + ": no [" + profile + "] section in " + file;
    return result;
  }
  const Section& s = section->second;
  auto get = [&](const char* key) -> std::string {
    const auto it = s.find(key);
    return it == s.end() ? std::string{} : it->second;
  };
  AwsCredentials creds;
  creds.access_key_id = get("aws_access_key_id");
  creds.secret_access_key = get("aws_secret_access_key");
  creds.session_token = get("aws_session_token");
  if (creds.session_token.empty()) creds.session_token = get("aws_security_token");
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    result.error = "profile:" + profile + ": [" + profile + "] in " + file + " lacks " +
                   (creds.access_key_id.empty() ? "aws_access_key_id" : "aws_secret_access_key");
    return result;
  }
  result.credentials = std::move(creds);
  return result;
}

}  // namespace dynaudit::aws
