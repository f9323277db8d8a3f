// Response masking: simdjson on-demand finds the item-shaped members of a
// DynamoDB answer and, inside each item, the top-level attributes the plan
// names; only those attributes' values are handed to the mask methods. The
// result is the original body with those value spans replaced (a list of
// edits applied once at the end), so every other byte -- Count,
// ConsumedCapacity's 1.0, unknown members, member order, whitespace -- is
// kept exactly, and a body nothing applies to is never copied.
//
// Shape decisions:
// - Item, Attributes, Items[], Responses (BatchGetItem's {table: [items]}
//   and the [{Item}, {Error: {Item}}] of TransactGetItems, ExecuteTransaction
//   and BatchExecuteStatement), CancellationReasons[].Item and Streams
//   Records[].dynamodb.{Keys, NewImage, OldImage} are masked as items,
//   whatever the operation says, so a shape is never missed. Stream Keys are
//   masked like items (they are the changed item's key, as readers see it).
// - LastEvaluatedKey: an attribute that a spec masks as a whole (path = the
//   attribute name) is sealed into a pagination token (see crypto.hpp) that
//   unseal_request restores, so pagination still works; NextToken is opaque
//   and kept.
// - UnprocessedKeys (BatchGetItem) and UnprocessedItems are what the client
//   itself sent: kept as they are, so its retry loop resends them unchanged.
// - Only parts the masker walks are validated; bytes it skips are copied,
//   not judged (the upstream is DynamoDB, and a body that does not parse
//   where the masker looks is withheld).
#include "masking/response_masker.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include <simdjson.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "masking/compiled_plan.hpp"
#include "masking/crypto.hpp"
#include "masking/json_text.hpp"
#include "masking/mask_methods.hpp"

namespace dynaudit::masking {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using simdjson::SUCCESS;

// Masking runs to completion on one thread without suspending, so the
// parser and its padded input copy are reused per thread (no allocation per
// reply once warm).
struct ThreadParser {
  od::parser parser;
  std::string buffer;
};
thread_local ThreadParser t_parser;

simdjson::simdjson_result<od::document> iterate_padded(std::string_view body) {
  auto& tp = t_parser;
  const std::size_t need = body.size() + simdjson::SIMDJSON_PADDING;
  if (tp.buffer.capacity() < need) tp.buffer.reserve(need);
  tp.buffer.assign(body.data(), body.size());
  return tp.parser.iterate(simdjson::padded_string_view(tp.buffer.data(), body.size(), tp.buffer.capacity()));
}

// The HMAC key's prepared contexts, kept per thread while the key stays the
// same (keys change only when the configuration is reloaded).
const Hmac& thread_hmac(const std::string& key) {
  thread_local std::string t_key;
  thread_local std::optional<Hmac> t_hmac;
  if (!t_hmac || t_key != key) {
    t_hmac.reset();
    t_hmac.emplace(key);
    t_key = key;
  }
  return *t_hmac;
}

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

struct Edit {
  std::size_t begin, end;            // span of the original body
  std::size_t text_begin, text_end;  // replacement, in Masker::texts
};

// Our own failure inside an on-demand walk travels as this code with
// Masker::error set.
constexpr error_code kOwnError = simdjson::INCORRECT_TYPE;

class Masker {
 public:
  Masker(const MaskPlan::Compiled& plan, const MaskKeys& keys, const char* base, std::size_t size)
      : plan_(plan), keys_(keys), base_(base), size_(size), spec_hits_(plan.specs.size(), 0) {
    if (plan.needs_hmac && !keys.hmac_key.empty()) ctx_.hmac = &thread_hmac(keys.hmac_key);
    // Room for the masked values of a typical reply without regrowing.
    texts_.reserve(size / 4);
    edits_.reserve(64);
  }

  // Every item-bearing member of a response object.
  error_code response(od::object top) {
    for (auto field_result : top) {
      od::field field;
      if (auto e = std::move(field_result).get(field)) return e;
      std::string_view name;
      if (auto e = field.unescaped_key().get(name)) return e;
      od::value value = field.value();
      error_code e = SUCCESS;
      if (name == "Item" || name == "Attributes") {
        e = item(value);
      } else if (name == "Items") {
        e = item_array(value);
      } else if (name == "LastEvaluatedKey") {
        e = key(value);
      } else if (name == "Responses") {
        e = responses(value);
      } else if (name == "CancellationReasons") {
        e = each_object(value, [this](od::object reason) { return members_named(reason, {"Item"}); });
      } else if (name == "Records") {
        e = each_object(value, [this](od::object record) {
          for (auto f : record) {
            od::field rf;
            if (auto err = std::move(f).get(rf)) return err;
            std::string_view n;
            if (auto err = rf.unescaped_key().get(n)) return err;
            if (n != "dynamodb") continue;
            od::object stream_record;
            if (!as_object(rf.value(), stream_record)) continue;
            if (auto err = members_named(stream_record, {"Keys", "NewImage", "OldImage"})) return err;
          }
          return SUCCESS;
        });
      }
      if (e) return e;
    }
    return SUCCESS;
  }

  // One item object: its masked attributes.
  error_code item_object(od::object object) { return attributes(object, /*seal=*/false); }

  MaskOutcome finish(std::string_view body) {
    MaskOutcome outcome;
    outcome.values_masked = values_masked_;
    for (std::size_t i = 0; i < spec_hits_.size(); ++i) {
      const auto& id = plan_.specs[i].spec.rule_id;
      if (spec_hits_[i] == 0 || id.empty()) continue;
      if (std::find(outcome.rules.begin(), outcome.rules.end(), id) == outcome.rules.end()) outcome.rules.push_back(id);
    }
    if (edits_.empty()) return outcome;
    outcome.changed = true;
    std::size_t size = body.size();
    for (const auto& e : edits_) size = size - (e.end - e.begin) + (e.text_end - e.text_begin);
    outcome.body.reserve(size);
    std::size_t at = 0;
    for (const auto& e : edits_) {
      outcome.body.append(body.substr(at, e.begin - at));
      outcome.body.append(texts_, e.text_begin, e.text_end - e.text_begin);
      at = e.end;
    }
    outcome.body.append(body.substr(at));
    return outcome;
  }

  const std::string& error() const { return error_; }

 private:
  std::size_t offset(const void* p) const {
    return static_cast<std::size_t>(static_cast<const char*>(p) - base_);
  }

  void add_edit(std::size_t begin, std::size_t end, std::string_view text) {
    const std::size_t at = texts_.size();
    texts_.append(text);
    edits_.push_back({begin, end, at, texts_.size()});
  }

  static bool as_object(od::value value, od::object& object) {
    od::json_type type;
    if (value.type().get(type) || type != od::json_type::object) return false;
    return !value.get_object().get(object);
  }

  error_code item(od::value value) {
    od::json_type type;
    if (auto e = value.type().get(type)) return e;
    if (type != od::json_type::object) return SUCCESS;  // null or odd: nothing item-shaped
    od::object object;
    if (auto e = value.get_object().get(object)) return e;
    return attributes(object, false);
  }

  error_code key(od::value value) {
    od::json_type type;
    if (auto e = value.type().get(type)) return e;
    if (type != od::json_type::object) return SUCCESS;
    od::object object;
    if (auto e = value.get_object().get(object)) return e;
    return attributes(object, true);
  }

  error_code item_array(od::value value) {
    od::json_type type;
    if (auto e = value.type().get(type)) return e;
    if (type != od::json_type::array) return SUCCESS;
    od::array array;
    if (auto e = value.get_array().get(array)) return e;
    for (auto element : array) {
      od::value v;
      if (auto e = std::move(element).get(v)) return e;
      if (auto e = item(v)) return e;
    }
    return SUCCESS;
  }

  template <class F>
  error_code each_object(od::value value, F&& f) {
    od::json_type type;
    if (auto e = value.type().get(type)) return e;
    if (type != od::json_type::array) return SUCCESS;
    od::array array;
    if (auto e = value.get_array().get(array)) return e;
    for (auto element : array) {
      od::value v;
      if (auto e = std::move(element).get(v)) return e;
      if (auto e = v.type().get(type)) return e;
      if (type != od::json_type::object) continue;
      od::object object;
      if (auto e = v.get_object().get(object)) return e;
      if (auto e = f(object)) return e;
    }
    return SUCCESS;
  }

  // The members of `object` named in `names` are items.
  error_code members_named(od::object object, std::initializer_list<std::string_view> names) {
    for (auto f : object) {
      od::field field;
      if (auto e = std::move(f).get(field)) return e;
      std::string_view n;
      if (auto e = field.unescaped_key().get(n)) return e;
      if (std::find(names.begin(), names.end(), n) == names.end()) continue;
      if (auto e = item(field.value())) return e;
    }
    return SUCCESS;
  }

  error_code responses(od::value value) {
    od::json_type type;
    if (auto e = value.type().get(type)) return e;
    if (type == od::json_type::object) {  // BatchGetItem: {table: [items]}
      od::object tables;
      if (auto e = value.get_object().get(tables)) return e;
      for (auto f : tables) {
        od::field field;
        if (auto e = std::move(f).get(field)) return e;
        if (auto e = item_array(field.value())) return e;
      }
      return SUCCESS;
    }
    // [{Item}], BatchExecuteStatement's [{Item, Error: {Item}}]
    return each_object(value, [this](od::object response) {
      for (auto f : response) {
        od::field field;
        if (auto e = std::move(f).get(field)) return e;
        std::string_view n;
        if (auto e = field.unescaped_key().get(n)) return e;
        if (n == "Item") {
          if (auto e = item(field.value())) return e;
        } else if (n == "Error") {
          od::object error;
          if (!as_object(field.value(), error)) continue;
          if (auto e = members_named(error, {"Item"})) return e;
        }
      }
      return SUCCESS;
    });
  }

  // The attributes of one item (or key, when `seal`).
  error_code attributes(od::object object, bool seal) {
    bool kept_any = false;
    for (auto f : object) {
      od::field field;
      if (auto e = std::move(f).get(field)) return e;
      const char* key_quote = reinterpret_cast<const char*>(field.key().raw()) - 1;
      std::string_view name;
      if (auto e = key_name(field, name)) return e;
      const int top = plan_.find_top(name);
      if (top < 0) {
        kept_any = true;
        continue;
      }
      od::object av;
      if (field.value().get_object().get(av)) {
        error_ = "attribute '" + std::string(name) + "' is not an AttributeValue";
        return kOwnError;
      }
      std::string_view raw;
      if (auto e = av.raw_json().get(raw)) return e;
      raw = trim_right(raw);
      if (!attribute(static_cast<std::size_t>(top), name, offset(key_quote), raw, seal, kept_any)) return kOwnError;
    }
    return SUCCESS;
  }

 public:
  // One named attribute of an item (or key, when `seal`) whose name is
  // top_names[t]: `raw` is its AttributeValue object's text (in the body),
  // `key_begin` the offset of its key's opening quote. False with error_ set.
  bool attribute(std::size_t t, std::string_view name, std::size_t key_begin, std::string_view raw, bool seal,
                 bool& kept_any) {
    const std::size_t value_begin = offset(raw.data());
    const std::size_t value_end = value_begin + raw.size();
    if (seal) {
      kept_any = true;
      return !plan_.seal[t] || seal_attribute(t, name, raw, value_begin, value_end);
    }
    const auto& specs = plan_.specs_of[t];
    if (specs.size() == 1) {
      // One spec: its result is written straight into texts_.
      const std::size_t index = specs.front();
      const std::size_t mark = texts_.size();
      const std::size_t before = values_masked_;
      const Change r = apply_spec(plan_.specs[index], raw, texts_, ctx_, values_masked_);
      if (r == Change::error) {
        texts_.resize(mark);
        error_ = "attribute '" + std::string(name) + "': " + ctx_.error;
        return false;
      }
      if (values_masked_ > before) ++spec_hits_[index];
      if (r == Change::removed) {
        remove_member(kept_any, key_begin, value_end);
        return true;
      }
      kept_any = true;
      if (r == Change::changed) edits_.push_back({value_begin, value_end, mark, texts_.size()});
      return true;
    }
    std::string_view current = raw;
    bool changed = false;
    for (const std::size_t index : specs) {
      next_.clear();
      const std::size_t before = values_masked_;
      const Change r = apply_spec(plan_.specs[index], current, next_, ctx_, values_masked_);
      if (r == Change::error) {
        error_ = "attribute '" + std::string(name) + "': " + ctx_.error;
        return false;
      }
      if (values_masked_ > before) ++spec_hits_[index];
      if (r == Change::removed) {
        remove_member(kept_any, key_begin, value_end);
        return true;
      }
      if (r == Change::changed) {
        std::swap(next_, current_);
        current = current_;
        changed = true;
      }
    }
    kept_any = true;
    if (changed) add_edit(value_begin, value_end, current);
    return true;
  }

 private:
  // The member's name. Keys without escapes (all DynamoDB sends in practice)
  // are compared where they lie; only escaped ones are decoded.
  error_code key_name(od::field& field, std::string_view& name) {
    const char* raw = reinterpret_cast<const char*>(field.key().raw());
    const char* end = base_ + size_;
    const char* p = raw;
#if defined(__SSE2__)
    // The buffer is padded (SIMDJSON_PADDING), so 16-byte loads that start
    // before `end` stay inside it; a hit past `end` is treated as none.
    static_assert(simdjson::SIMDJSON_PADDING >= 16);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i slash = _mm_set1_epi8('\\');
    for (;;) {
      if (p >= end) break;
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, slash)));
      if (mask != 0) {
        p += __builtin_ctz(static_cast<unsigned>(mask));
        break;
      }
      p += 16;
    }
    if (p > end) p = end;
#else
    while (p < end && *p != '"' && *p != '\\') ++p;
#endif
    if (p < end && *p == '"') {
      name = std::string_view(raw, static_cast<std::size_t>(p - raw));
      return SUCCESS;
    }
    return field.unescaped_key().get(name);
  }

  // Drops `"name": value` and one comma: the one before it when an earlier
  // member stays, else the one after it, so removals never overlap.
  void remove_member(bool earlier_member_kept, std::size_t key_begin, std::size_t value_end) {
    std::size_t begin = key_begin;
    std::size_t end = value_end;
    if (earlier_member_kept) {
      std::size_t p = key_begin;
      while (p > 0 && is_ws(base_[p - 1])) --p;
      if (p > 0 && base_[p - 1] == ',') begin = p - 1;
    } else {
      std::size_t p = value_end;
      while (p < size_ && is_ws(base_[p])) ++p;
      if (p < size_ && base_[p] == ',') end = p + 1;
    }
    add_edit(begin, end, {});
  }

  bool seal_attribute(std::size_t top, std::string_view name, std::string_view raw, std::size_t begin,
                      std::size_t end) {
    std::string token;
    if (!seal_token(keys_.token_key, name, raw, token)) {
      error_ = "cannot seal LastEvaluatedKey: the pagination token key must be 32 bytes";
      return false;
    }
    next_.assign("{\"S\":\"");
    next_ += token;
    next_ += "\"}";
    add_edit(begin, end, next_);
    ++values_masked_;
    for (const std::size_t index : plan_.specs_of[top])
      if (plan_.specs[index].steps.size() == 1) ++spec_hits_[index];
    return true;
  }

  const MaskPlan::Compiled& plan_;
  const MaskKeys& keys_;
  const char* base_;
  std::size_t size_;
  MethodContext ctx_;
  std::vector<Edit> edits_;
  std::string texts_;
  std::string current_, next_;
  std::vector<std::size_t> spec_hits_;
  std::size_t values_masked_ = 0;
  std::string error_;
};

std::string parse_error(const Masker& masker, error_code e, std::string_view what) {
  if (!masker.error().empty()) return masker.error();
  return std::string(what) + " is not valid JSON: " + simdjson::error_message(e);
}

}  // namespace

MaskOutcome mask_response(std::string_view operation, std::string_view body, const MaskPlan& plan,
                          const MaskKeys& keys) {
  (void)operation;  // every documented item member is masked wherever it appears
  if (plan.empty()) return {};
  auto doc_result = iterate_padded(body);
  Masker masker(plan.compiled(), keys, t_parser.buffer.data(), body.size());
  MaskOutcome failed;
  od::document doc;
  if (auto e = std::move(doc_result).get(doc)) {
    failed.error = parse_error(masker, e, "response body");
    return failed;
  }
  od::object top;
  if (auto e = doc.get_object().get(top)) {
    failed.error = parse_error(masker, e, "response body");
    return failed;
  }
  if (auto e = masker.response(top)) {
    failed.error = parse_error(masker, e, "response body");
    return failed;
  }
  return masker.finish(body);
}

MaskOutcome mask_item_json(std::string_view item_json, const MaskPlan& plan, const MaskKeys& keys) {
  if (plan.empty()) return {};
  auto doc_result = iterate_padded(item_json);
  Masker masker(plan.compiled(), keys, t_parser.buffer.data(), item_json.size());
  MaskOutcome failed;
  od::document doc;
  od::object top;
  error_code e = std::move(doc_result).get(doc);
  if (!e) e = doc.get_object().get(top);
  if (!e) e = masker.item_object(top);
  if (e) {
    failed.error = parse_error(masker, e, "item");
    return failed;
  }
  return masker.finish(item_json);
}

UnsealOutcome unseal_request(std::string_view body, const MaskKeys& keys) {
  UnsealOutcome outcome;
  if (body.find(kTokenPrefix) == std::string_view::npos) return outcome;  // no token: nothing to do, no parse
  auto doc_result = iterate_padded(body);
  const char* base = t_parser.buffer.data();
  std::string texts;
  std::vector<Edit> edits;
  const auto invalid = [&] {
    UnsealOutcome bad;
    bad.error = "The provided starting key is invalid";
    return bad;
  };
  // A request that does not parse is forwarded as it is: DynamoDB answers it
  // with the SerializationException a client expects.
  od::document doc;
  od::object top;
  if (std::move(doc_result).get(doc) || doc.get_object().get(top)) return outcome;
  for (auto f : top) {
    od::field field;
    std::string_view name;
    if (std::move(f).get(field) || field.unescaped_key().get(name)) return outcome;
    if (name != "ExclusiveStartKey") continue;
    od::object key;
    if (field.value().get_object().get(key)) continue;
    for (auto kf : key) {
      od::field attribute;
      std::string_view attribute_name;
      if (std::move(kf).get(attribute) || attribute.unescaped_key().get(attribute_name)) return outcome;
      od::object av_object;
      std::string_view raw;
      if (attribute.value().get_object().get(av_object)) continue;
      if (av_object.raw_json().get(raw)) return outcome;
      raw = trim_right(raw);
      json::AvView av;
      if (!json::parse_av(raw, av) || av.type != json::AvType::S) continue;
      std::string storage;
      std::string_view token = av.inner.substr(1, av.inner.size() - 2);
      if (token.find('\\') != std::string_view::npos) {
        if (!json::decode_string(token, storage)) continue;
        token = storage;
      }
      if (token.substr(0, kTokenPrefix.size()) != kTokenPrefix) continue;
      std::string plaintext;
      json::AvView original;
      if (!unseal_token(keys.token_key, attribute_name, token, plaintext) || !json::parse_av(plaintext, original))
        return invalid();
      const std::size_t begin = static_cast<std::size_t>(raw.data() - base);
      const std::size_t at = texts.size();
      texts += plaintext;
      edits.push_back({begin, begin + raw.size(), at, texts.size()});
    }
  }
  if (edits.empty()) return outcome;
  outcome.changed = true;
  std::size_t at = 0;
  for (const auto& e : edits) {
    outcome.body.append(body.substr(at, e.begin - at));
    outcome.body.append(texts, e.text_begin, e.text_end - e.text_begin);
    at = e.end;
  }
  outcome.body.append(body.substr(at));
  return outcome;
}

}  // namespace dynaudit::masking
