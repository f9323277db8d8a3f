// A shortcut the writer and the verifier take on every record: the stored
// JSON is the canonical bytes with the hash field spliced in, so it need not
// be written twice. Lives beside to_json, whose layout it depends on.
#pragma once

#include <string>
#include <string_view>

namespace dynaudit::storage {

// == to_json(e, true) given canonical == to_json(e, false) and hash == e.hash.
std::string record_with_hash(std::string canonical, std::string_view hash);

}  // namespace dynaudit::storage
