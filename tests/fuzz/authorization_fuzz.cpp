// libFuzzer target for the SigV4 Authorization header parser and the
// verifier behind it: arbitrary header text must give a value (a parse or an
// error), never a crash, and never echo a secret.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/auth/credential_store.hpp"
#include "aws/sigv4.hpp"
#include "proxy/auth/aws_imports.hpp"
#include "proxy/auth/sigv4_verifier.hpp"

using namespace dynaudit::proxy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)sigv4::parse_authorization(input);

  static const auto store =
      CredentialStore::from_keys({IssuedKey{"AKIDFUZZ", "fuzz-secret-never-echoed", "", "fuzzer", {}}});
  static const SigV4Verifier verifier(store, VerifierSettings{});
  const HeaderView headers[] = {{"Host", "127.0.0.1:8000"},
                                {"X-Amz-Date", "20240101T000000Z"},
                                {"Authorization", input}};
  const RequestView request{"POST", "/", headers, "{}"};
  auto result = verifier.verify(request, *sigv4::parse_amz_date("20240101T000000Z"));
  // Messages echo the header, as AWS's do: the secret may appear only when
  // the caller wrote it there.
  if (result.error && result.error->message.find("fuzz-secret-never-echoed") != std::string::npos &&
      input.find("fuzz-secret-never-echoed") == std::string_view::npos)
    __builtin_trap();
  return 0;
}
