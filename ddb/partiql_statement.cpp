// Scans a PartiQL statement's tokens once, tracking which clause it is in to
// decide whether a path is a table, a read or a write. No grammar is enforced;
// DynamoDB validates the statement, the scan only has to see what it names.
#include "ddb/partiql_statement.hpp"

#include <algorithm>

#include "ddb/partiql_lexer.hpp"
#include "ddb/table_reference.hpp"

namespace dynaudit::ddb {
namespace {

using Kind = PartiqlTokenKind;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

// The structural PartiQL keywords. A bare word equal to one is never taken
// as an attribute. The list is kept short on purpose: a word wrongly taken
// for a keyword would hide an attribute from the rules, while a keyword taken
// for an attribute only adds a harmless name. RETURNING's ALL/OLD/NEW/MODIFIED
// need no entry: everything after RETURNING is ignored.
constexpr std::string_view kKeywords[] = {
    "and",    "asc",   "between", "by",     "delete", "desc", "distinct", "exists", "false",
    "from",   "in",    "insert",  "into",   "is",     "like", "missing",  "not",    "null",
    "or",     "order", "remove",  "returning", "select", "set", "true",   "update", "value",
    "values", "where",
};

bool is_keyword(std::string_view word) {
  return std::any_of(std::begin(kKeywords), std::end(kKeywords),
                     [&](std::string_view keyword) { return equals_ignoring_case(word, keyword); });
}

bool is_word(const PartiqlToken& token, std::string_view keyword) {
  return token.kind == Kind::word && equals_ignoring_case(token.text, keyword);
}

bool is_punctuation(const PartiqlToken& token, char c) {
  return token.kind == Kind::punctuation && token.text.size() == 1 && token.text[0] == c;
}

bool is_name(const PartiqlToken& token) {
  return token.kind == Kind::quoted_identifier || (token.kind == Kind::word && !is_keyword(token.text));
}

enum class Clause {
  none,        // before SELECT, or after a table reference
  projection,  // SELECT list
  condition,   // WHERE
  order,       // ORDER BY
  set,         // UPDATE … SET
  remove,      // UPDATE … REMOVE
  value,       // INSERT … VALUE {…}
  ignored,     // RETURNING …
};

class StatementScanner {
 public:
  explicit StatementScanner(std::string_view statement) : lexer_(statement) {}

  PartiqlFacts scan() {
    bool first_token = true;
    for (PartiqlToken token = lexer_.next(); token.kind != Kind::end; previous_ = token, token = lexer_.next()) {
      const bool statement_start = first_token;
      first_token = false;
      switch (token.kind) {
        case Kind::word:
          if (handle_keyword(token, statement_start)) continue;
          if (lexer_.peek().kind == Kind::punctuation && lexer_.peek().text == "(") {
            at_action_start_ = false;  // a function: begins_with, size, list_append, ...
            pending_function_ = token.text;
            continue;
          }
          on_path(token);
          continue;
        case Kind::quoted_identifier:
          on_path(token);
          continue;
        case Kind::string_literal:
          // INSERT's VALUE {'name': …}: top-level tuple keys are the attributes written.
          if (clause_ == Clause::value && nesting_ == 1 && is_punctuation(lexer_.peek(), ':')) {
            if (std::string name = string_literal_text(token); !name.empty()) {
              add_use(name, UseKind::write, "INSERT");
              facts_.attributes_written.push_back(std::move(name));
            }
          }
          continue;
        case Kind::punctuation:
          on_punctuation(token.text.front());
          continue;
        default:
          at_action_start_ = false;
          continue;
      }
    }
    return std::move(facts_);
  }

 private:
  // Returns true when `token` is a keyword (handled here).
  bool handle_keyword(const PartiqlToken& token, bool statement_start) {
    if (is_word(token, "from") || is_word(token, "into") || (statement_start && is_word(token, "update"))) {
      read_table_reference();
      clause_ = Clause::none;
      return true;
    }
    if (!is_keyword(token.text)) return false;
    if (is_word(token, "select")) {
      clause_ = Clause::projection;
    } else if (is_word(token, "where")) {
      clause_ = Clause::condition;
    } else if (is_word(token, "order")) {
      clause_ = Clause::order;
    } else if (is_word(token, "set")) {
      enter_action_clause(Clause::set);
    } else if (is_word(token, "remove")) {
      enter_action_clause(Clause::remove);
    } else if (is_word(token, "value") || is_word(token, "values")) {
      clause_ = Clause::value;
    } else if (is_word(token, "returning")) {
      clause_ = Clause::ignored;
    }
    return true;
  }

  void enter_action_clause(Clause clause) {
    clause_ = clause;
    at_action_start_ = true;
    action_nesting_ = nesting_;
    targets_.clear();
  }

  void open_nesting(std::string_view function) {
    ++nesting_;
    functions_.push_back(function);
  }

  void on_punctuation(char c) {
    if (c == '*' && clause_ == Clause::projection && nesting_ == 0) facts_.selects_all = true;
    if (c == '(' || c == '[' || c == '{') open_nesting(c == '(' ? pending_function_ : std::string_view{});
    pending_function_ = {};
    if ((c == ')' || c == ']' || c == '}') && nesting_ > 0) {
      --nesting_;
      if (!functions_.empty()) functions_.pop_back();
    }
    if (c == ',' && nesting_ == action_nesting_ && (clause_ == Clause::set || clause_ == Clause::remove)) {
      at_action_start_ = true;
    } else {
      at_action_start_ = false;
    }
  }

  void read_table_reference() {
    if (!is_name(lexer_.peek())) return;
    const std::string name = identifier_text(lexer_.next());
    PartiqlTableRef ref;
    ref.table = std::string(table_name_from_name_or_arn(name).value_or(name));
    if (is_punctuation(lexer_.peek(), '.')) {
      lexer_.next();
      if (is_name(lexer_.peek())) {
        if (std::string index = identifier_text(lexer_.next()); !index.empty()) ref.index = std::move(index);
      }
    }
    if (!ref.table.empty()) facts_.tables.push_back(std::move(ref));
  }

  void on_path(const PartiqlToken& first) {
    const PartiqlToken before = previous_;
    std::string path = read_path(first);
    const bool written = at_action_start_ && (clause_ == Clause::set || clause_ == Clause::remove);
    at_action_start_ = false;
    if (path.empty() || clause_ == Clause::ignored) return;
    record_use(path, written, before);
    if (clause_ == Clause::value) return;
    if (written) targets_.assign(1, path);  // the current action's target only
    (written ? facts_.attributes_written : facts_.attributes_read).push_back(std::move(path));
  }

  void add_use(const std::string& path, UseKind kind, std::string_view clause, std::string_view detail = {}) {
    AttributeUse use{path, kind, "PartiQL " + std::string(clause), std::string(detail), {}, {}};
    if (!facts_.tables.empty()) use.table = facts_.tables.front().table;
    facts_.uses.push_back(std::move(use));
  }

  std::string_view enclosing_function() const {
    for (auto it = functions_.rbegin(); it != functions_.rend(); ++it)
      if (!it->empty()) return *it;
    return {};
  }

  // How the path just read is used, from its clause, the function call it
  // sits in and the tokens on either side. Anything unrecognised is a
  // comparison: the analysis may refuse too much, never too little.
  void record_use(const std::string& path, bool written, const PartiqlToken& before) {
    const std::string_view function = enclosing_function();
    switch (clause_) {
      case Clause::set:
      case Clause::remove: {
        if (written) return add_use(path, UseKind::write, clause_ == Clause::set ? "SET" : "REMOVE");
        bool own_target = false;
        for (const std::string& target : targets_) own_target = own_target || target == path;
        return add_use(path, own_target ? UseKind::write : UseKind::copy, "SET", function);
      }
      case Clause::value: return add_use(path, UseKind::copy, "VALUE");
      case Clause::projection:
        if (!function.empty()) return add_use(path, UseKind::function, "SELECT", function);
        return add_use(path, UseKind::read, "SELECT");
      case Clause::order: return add_use(path, UseKind::compare, "ORDER BY");
      case Clause::condition: break;
      default: return add_use(path, UseKind::compare, "statement");
    }
    if (!function.empty()) {
      const bool existence = equals_ignoring_case(function, "attribute_exists") ||
                             equals_ignoring_case(function, "attribute_not_exists");
      return add_use(path, existence ? UseKind::exists : UseKind::function, "WHERE", function);
    }
    const PartiqlToken after = lexer_.peek();
    if (is_word(after, "is")) return add_use(path, UseKind::exists, "WHERE", "IS");
    if (is_punctuation(after, '=') || is_punctuation(after, '!'))
      return add_use(path, UseKind::equality, "WHERE", "=");
    if (is_punctuation(before, '=')) return add_use(path, UseKind::equality, "WHERE", "=");
    add_use(path, UseKind::compare, "WHERE");
  }

  // name ( . name | [ number ] | [ 'key' ] )*
  std::string read_path(const PartiqlToken& first) {
    std::string path = identifier_text(first);
    for (;;) {
      const PartiqlToken following = lexer_.peek();
      if (is_punctuation(following, '.')) {
        lexer_.next();
        if (!is_name(lexer_.peek())) break;
        path += '.';
        path += identifier_text(lexer_.next());
      } else if (is_punctuation(following, '[')) {
        lexer_.next();
        const PartiqlToken inside = lexer_.peek();
        if (inside.kind == Kind::number) {
          lexer_.next();
          path += '[';
          path += inside.text;
          path += ']';
        } else if (inside.kind == Kind::string_literal) {
          lexer_.next();
          path += '.';
          path += string_literal_text(inside);
        } else {
          open_nesting({});  // an unusual subscript: let the main loop see its tokens
          break;
        }
        if (is_punctuation(lexer_.peek(), ']')) lexer_.next();
      } else {
        break;
      }
    }
    return path;
  }

  PartiqlLexer lexer_;
  PartiqlFacts facts_;
  Clause clause_ = Clause::none;
  int nesting_ = 0;         // depth of ( [ { around the current token
  int action_nesting_ = 0;  // depth at which SET/REMOVE actions are separated by commas
  bool at_action_start_ = false;
  std::vector<std::string_view> functions_;  // per open ( [ {: the function it calls, or empty
  std::string_view pending_function_;        // a word just followed by '('
  PartiqlToken previous_;                    // the token before the current one
  std::vector<std::string> targets_;         // the path the current SET/REMOVE action writes
};

}  // namespace

PartiqlFacts scan_partiql_statement(std::string_view statement) {
  return StatementScanner(statement).scan();
}

}  // namespace dynaudit::ddb
