// Mask methods and the path walker over AttributeValue JSON text.
//
// Type decisions (each keeps the value a valid AttributeValue whose type an
// SDK deserialising into typed fields still accepts):
//   redact   S -> replacement ("****"); N -> "0"; B -> base64(replacement);
//            BOOL/NULL -> NULL; sets element-wise (so they collapse to one
//            element); L/M -> every value inside, recursively.
//   partial  S keeps keep_first/keep_last code points, '*' for each other;
//            N keeps type N: the masked significant digits become 0
//            ("4111111111111111", last 4 -> "1111"; keep_first 2 on 12345 ->
//            12000), written canonically; B is redacted (bytes have no
//            characters to keep); BOOL/NULL -> NULL.
//   email    S "alice@example.com" -> "a****@example.com"; not an address,
//            and every non-S scalar, is redacted.
//   hash     HMAC-SHA256(hmac_key, value bytes): S -> "h:" + 32 hex; N stays
//            N: the first 52 bits as a decimal integer (exact in a double, so
//            JavaScript SDKs read it unchanged), computed over the canonical
//            number so 1.0 and 1 hash alike; B -> base64 of 16 digest bytes
//            over the decoded bytes; BOOL/NULL -> NULL.
//   nullify  any value -> {"NULL": true}.  remove: the attribute or element
//            is dropped from its map or list.
//   regex    S (and SS elements): ECMAScript replace; others untouched.
//            Strings over 4 KiB, or a match that exhausts std::regex, become
//            "****" (std::regex recurses per character).
//   round    N (and NS elements): half away from zero to a multiple of step,
//            exact decimal arithmetic; others untouched.
// Sets are masked element-wise and deduplicated (first occurrence kept): a
// set of repeated values is invalid in DynamoDB, so redacting a set yields a
// one-element set. Invalid N text is treated as redacted ("0") by partial
// and round.
#include "masking/mask_methods.hpp"

#include <unordered_set>
#include <vector>

#include "masking/json_text.hpp"

namespace dynaudit::masking {

namespace {

using json::AvType;
using json::AvView;

constexpr std::size_t kRegexMaxBytes = 4096;
constexpr std::string_view kNullAv = R"({"NULL":true})";
constexpr char kHex[] = "0123456789abcdef";

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

void append_partial(std::string& out, std::string_view s, int keep_first, int keep_last) {
  std::size_t n = 0;
  for (const char c : s) n += !is_continuation(c);
  const std::size_t first = keep_first < 0 ? 0 : static_cast<std::size_t>(keep_first);
  const std::size_t last = keep_last < 0 ? 0 : static_cast<std::size_t>(keep_last);
  if (first + last >= n) {
    out.append(n, '*');
    return;
  }
  // Byte offset after `first` code points, and of the last `last` ones.
  std::size_t head = 0;
  for (std::size_t cps = 0; head < s.size(); ++head) {
    if (!is_continuation(s[head])) {
      if (cps == first) break;
      ++cps;
    }
  }
  std::size_t tail = s.size();
  for (std::size_t cps = 0; cps < last;) {
    --tail;
    if (!is_continuation(s[tail])) ++cps;
  }
  out.append(s.substr(0, head));
  out.append(n - first - last, '*');
  out.append(s.substr(tail));
}

// False when `s` is not an address (no '@', empty local part or domain).
bool append_email(std::string& out, std::string_view s) {
  const std::size_t at = s.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == s.size()) return false;
  std::size_t first = 1;
  while (first < at && is_continuation(s[first])) ++first;
  out.append(s.substr(0, first));
  out += "****";
  out.append(s.substr(at));
  return true;
}

enum class Scalar { S, N, B };

std::string_view tag_of(Scalar t) { return t == Scalar::S ? "S" : t == Scalar::N ? "N" : "B"; }

bool hmac_of(MethodContext& ctx, std::string_view message, std::array<unsigned char, 32>& digest) {
  if (!ctx.hmac || !ctx.hmac->ok()) {
    ctx.error = "the hash mask needs an HMAC key";
    return false;
  }
  if (!ctx.hmac->digest(message, digest)) {
    ctx.error = "HMAC failed";
    return false;
  }
  return true;
}

// The masked value of one scalar (decoded text); `kept` when the method
// leaves it as it is. False on error.
bool mask_scalar(const CompiledSpec& cs, MethodContext& ctx, Scalar type, std::string_view value,
                 std::string& result, bool& kept) {
  kept = false;
  result.clear();
  const Method method = cs.spec.method;
  if (type == Scalar::S) {
    switch (method) {
      case Method::redact: result = cs.redact_text; return true;
      case Method::partial: append_partial(result, value, cs.spec.keep_first, cs.spec.keep_last); return true;
      case Method::email:
        if (!append_email(result, value)) result = cs.redact_text;
        return true;
      case Method::hash: {
        std::array<unsigned char, 32> digest;
        if (!hmac_of(ctx, value, digest)) return false;
        char text[34] = {'h', ':'};
        for (std::size_t i = 0; i < 16; ++i) {
          text[2 + 2 * i] = kHex[digest[i] >> 4];
          text[3 + 2 * i] = kHex[digest[i] & 15];
        }
        result.assign(text, sizeof text);
        return true;
      }
      case Method::regex: {
        if (value.size() > kRegexMaxBytes) {
          result = "****";
          return true;
        }
        try {
          result = std::regex_replace(std::string(value), *cs.regex, cs.spec.replacement);
        } catch (const std::exception&) {
          result = "****";
        }
        kept = result == value;
        return true;
      }
      default: kept = true; return true;
    }
  }
  if (type == Scalar::N) {
    switch (method) {
      case Method::redact:
      case Method::email: result = "0"; return true;
      case Method::partial: {
        const auto d = Decimal::parse(value);
        result = d ? partial_number(*d, cs.spec.keep_first, cs.spec.keep_last) : "0";
        return true;
      }
      case Method::round: {
        const auto d = Decimal::parse(value);
        result = d ? round_to_step(*d, cs.round_step).to_string() : "0";
        kept = result == value;
        return true;
      }
      case Method::hash: {
        const auto d = Decimal::parse(value);
        const std::string canonical = d ? d->to_string() : std::string(value);
        std::array<unsigned char, 32> digest;
        if (!hmac_of(ctx, canonical, digest)) return false;
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | digest[i];
        result = std::to_string(v >> 12);  // 52 bits
        return true;
      }
      default: kept = true; return true;
    }
  }
  // B
  switch (method) {
    case Method::redact:
    case Method::partial:
    case Method::email: json::append_base64(result, cs.redact_text); return true;
    case Method::hash: {
      std::string decoded;
      const std::string_view message = json::decode_base64(value, decoded) ? std::string_view(decoded) : value;
      std::array<unsigned char, 32> digest;
      if (!hmac_of(ctx, message, digest)) return false;
      json::append_base64(result, std::string_view(reinterpret_cast<const char*>(digest.data()), 16));
      return true;
    }
    default: kept = true; return true;
  }
}

// The decoded text of a JSON string literal (with quotes).
bool string_value(std::string_view literal, std::string& storage, std::string_view& value) {
  if (literal.size() < 2) return false;
  const std::string_view content = literal.substr(1, literal.size() - 2);
  if (content.find('\\') == std::string_view::npos) {
    value = content;
    return true;
  }
  storage.clear();
  if (!json::decode_string(content, storage)) return false;
  value = storage;
  return true;
}

// Finishes a rewrite that started at `mark`: identical text counts as no change.
Change finish(std::string& out, std::size_t mark, std::string_view original) {
  if (std::string_view(out).substr(mark) == original) {
    out.resize(mark);
    return Change::unchanged;
  }
  return Change::changed;
}

Change invalid(MethodContext& ctx) {
  ctx.error = "a masked attribute is not a valid AttributeValue";
  return Change::error;
}

// The method applied to a whole value (the end of the path).
Change leaf(const CompiledSpec& cs, std::string_view av_text, std::string& out, MethodContext& ctx, int depth) {
  if (depth > json::kMaxDepth) return invalid(ctx);
  AvView av;
  if (!json::parse_av(av_text, av)) return invalid(ctx);
  const Method method = cs.spec.method;
  const std::size_t mark = out.size();
  if (method == Method::remove) return Change::removed;
  if (method == Method::nullify) {
    out += kNullAv;
    return finish(out, mark, av_text);
  }
  const bool touches_others = method != Method::regex && method != Method::round;
  switch (av.type) {
    case AvType::S:
    case AvType::N:
    case AvType::B: {
      const Scalar t = av.type == AvType::S ? Scalar::S : av.type == AvType::N ? Scalar::N : Scalar::B;
      // Per-thread scratch: a scalar is finished before any other leaf runs.
      thread_local std::string storage, result;
      std::string_view value;
      if (!string_value(av.inner, storage, value)) return invalid(ctx);
      bool kept = false;
      if (!mask_scalar(cs, ctx, t, value, result, kept)) return Change::error;
      if (kept) return Change::unchanged;
      out.append(t == Scalar::S ? R"({"S":)" : t == Scalar::N ? R"({"N":)" : R"({"B":)", 5);
      json::append_quoted(out, result);
      out += '}';
      return finish(out, mark, av_text);
    }
    case AvType::BOOL:
    case AvType::NUL:
    case AvType::unknown:
      if (!touches_others) return Change::unchanged;
      out += kNullAv;
      return finish(out, mark, av_text);
    case AvType::SS:
    case AvType::NS:
    case AvType::BS: {
      const Scalar t = av.type == AvType::SS ? Scalar::S : av.type == AvType::NS ? Scalar::N : Scalar::B;
      std::vector<std::string> results;
      std::string storage;
      bool ok_types = true;
      bool error = false;
      const bool ok = json::for_each_element(av.inner, [&](std::string_view element) {
        std::string_view value;
        if (element.empty() || element.front() != '"' || !string_value(element, storage, value)) {
          ok_types = false;
          return false;
        }
        std::string result;
        bool kept = false;
        if (!mask_scalar(cs, ctx, t, value, result, kept)) {
          error = true;
          return false;
        }
        results.push_back(kept ? std::string(value) : std::move(result));
        return true;
      });
      if (error) return Change::error;
      if (!ok || !ok_types) return invalid(ctx);
      // Deduplicate, keeping the first occurrence.
      std::vector<std::string_view> unique;
      unique.reserve(results.size());
      if (results.size() <= 16) {
        for (const auto& r : results) {
          bool seen = false;
          for (const auto u : unique) seen = seen || u == r;
          if (!seen) unique.push_back(r);
        }
      } else {
        std::unordered_set<std::string_view> seen;
        for (const auto& r : results)
          if (seen.insert(r).second) unique.push_back(r);
      }
      out += "{\"";
      out += tag_of(t);
      out += "S\":[";
      for (std::size_t i = 0; i < unique.size(); ++i) {
        if (i) out += ',';
        json::append_quoted(out, unique[i]);
      }
      out += "]}";
      return finish(out, mark, av_text);
    }
    case AvType::L: {
      out += "{\"L\":[";
      bool first = true;
      Change failure = Change::unchanged;
      const bool ok = json::for_each_element(av.inner, [&](std::string_view element) {
        if (!first) out += ',';
        first = false;
        const Change r = leaf(cs, element, out, ctx, depth + 1);
        if (r == Change::error) {
          failure = r;
          return false;
        }
        if (r == Change::unchanged) out += element;
        return true;
      });
      if (failure == Change::error) return failure;
      if (!ok) return invalid(ctx);
      out += "]}";
      return finish(out, mark, av_text);
    }
    case AvType::M: {
      out += "{\"M\":{";
      bool first = true;
      Change failure = Change::unchanged;
      const bool ok = json::for_each_member(av.inner, [&](std::string_view key, bool, std::string_view value) {
        if (!first) out += ',';
        first = false;
        out += '"';
        out += key;
        out += "\":";
        const Change r = leaf(cs, value, out, ctx, depth + 1);
        if (r == Change::error) {
          failure = r;
          return false;
        }
        if (r == Change::unchanged) out += value;
        return true;
      });
      if (failure == Change::error) return failure;
      if (!ok) return invalid(ctx);
      out += "}}";
      return finish(out, mark, av_text);
    }
  }
  return Change::unchanged;
}

bool key_equals(std::string_view key, bool escaped, std::string_view name) {
  if (!escaped) return key == name;
  std::string decoded;
  return json::decode_string(key, decoded) && decoded == name;
}

Change walk(const CompiledSpec& cs, std::size_t step_index, std::string_view av_text, std::string& out,
            MethodContext& ctx, std::size_t& masked, int depth) {
  if (depth > json::kMaxDepth) return invalid(ctx);
  if (step_index == cs.steps.size()) {
    const Change r = leaf(cs, av_text, out, ctx, depth);
    if (r == Change::changed || r == Change::removed) ++masked;
    return r;
  }
  AvView av;
  if (!json::parse_av(av_text, av)) return invalid(ctx);
  const PathStep& step = cs.steps[step_index];
  const std::size_t mark = out.size();
  bool any = false;
  Change failure = Change::unchanged;
  if (step.kind == PathStep::Kind::name) {
    if (av.type != AvType::M) return Change::unchanged;
    out += "{\"M\":{";
    bool first = true;
    const bool ok = json::for_each_member(av.inner, [&](std::string_view key, bool escaped, std::string_view value) {
      const std::size_t member_mark = out.size();
      if (!first) out += ',';
      out += '"';
      out += key;
      out += "\":";
      if (key_equals(key, escaped, step.name)) {
        const Change r = walk(cs, step_index + 1, value, out, ctx, masked, depth + 1);
        if (r == Change::error) {
          failure = r;
          return false;
        }
        if (r == Change::removed) {
          out.resize(member_mark);
          any = true;
          return true;
        }
        if (r == Change::changed) {
          any = true;
        } else {
          out += value;
        }
      } else {
        out += value;
      }
      first = false;
      return true;
    });
    if (failure == Change::error) return failure;
    if (!ok) return invalid(ctx);
    if (!any) {
      out.resize(mark);
      return Change::unchanged;
    }
    out += "}}";
    return Change::changed;
  }
  // [i] or [*]
  const bool last_step = step_index + 1 == cs.steps.size();
  if ((av.type == AvType::SS || av.type == AvType::NS || av.type == AvType::BS) &&
      step.kind == PathStep::Kind::wildcard && last_step)
    return walk(cs, cs.steps.size(), av_text, out, ctx, masked, depth);
  if (av.type != AvType::L) return Change::unchanged;
  out += "{\"L\":[";
  bool first = true;
  std::size_t index = 0;
  const bool ok = json::for_each_element(av.inner, [&](std::string_view element) {
    const bool selected = step.kind == PathStep::Kind::wildcard || step.index == index;
    ++index;
    const std::size_t element_mark = out.size();
    if (!first) out += ',';
    if (selected) {
      const Change r = walk(cs, step_index + 1, element, out, ctx, masked, depth + 1);
      if (r == Change::error) {
        failure = r;
        return false;
      }
      if (r == Change::removed) {
        out.resize(element_mark);
        any = true;
        return true;
      }
      if (r == Change::changed)
        any = true;
      else
        out += element;
    } else {
      out += element;
    }
    first = false;
    return true;
  });
  if (failure == Change::error) return failure;
  if (!ok) return invalid(ctx);
  if (!any) {
    out.resize(mark);
    return Change::unchanged;
  }
  out += "]}";
  return Change::changed;
}

}  // namespace

std::string partial_string(std::string_view s, int keep_first, int keep_last) {
  std::string out;
  append_partial(out, s, keep_first, keep_last);
  return out;
}

std::optional<std::string> mask_email(std::string_view s) {
  std::string out;
  if (!append_email(out, s)) return std::nullopt;
  return out;
}

Change apply_spec(const CompiledSpec& spec, std::string_view av_text, std::string& out, MethodContext& ctx,
                  std::size_t& masked) {
  return walk(spec, 1, av_text, out, ctx, masked, 0);
}

}  // namespace dynaudit::masking
