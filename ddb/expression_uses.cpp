// See expression_uses.hpp.
#include "ddb/expression_uses.hpp"

#include <string>

#include "ddb/expression_lexer.hpp"
#include "ddb/expression_path_reader.hpp"

namespace dynaudit::ddb {
namespace {

using Kind = ExpressionTokenKind;

bool is_existence_function(std::string_view name) {
  return equals_ignoring_case(name, "attribute_exists") || equals_ignoring_case(name, "attribute_not_exists");
}

// One open parenthesis: the function it calls, or empty for grouping.
struct Frame {
  std::string_view function;
};

// The innermost function call around the current token, if any.
std::string_view enclosing_function(const std::vector<Frame>& frames) {
  for (auto it = frames.rbegin(); it != frames.rend(); ++it)
    if (!it->function.empty()) return it->function;
  return {};
}

class UseCollector {
 public:
  UseCollector(ExpressionRole role, std::string_view member, std::string_view expression,
               const ExpressionAttributeNames& names, std::string_view table, std::vector<AttributeUse>& out)
      : role_(role), member_(member), reader_(expression, names), table_(table), out_(out) {}

  void run() {
    if (role_ == ExpressionRole::update) update_uses();
    else condition_uses();
  }

 private:
  void emit(const std::vector<std::string>& paths, UseKind kind, std::string_view detail) {
    for (const std::string& path : paths)
      out_.push_back(AttributeUse{path, kind, std::string(member_), std::string(detail), std::string(table_), {}});
  }

  // Tracks parentheses; returns true when `token` was one (or a function
  // name, remembered for the parenthesis that follows it).
  bool track_structure(const ExpressionToken& token) {
    ExpressionLexer& lexer = reader_.lexer();
    if (token.kind == Kind::left_paren) {
      frames_.push_back(Frame{pending_function_});
      pending_function_ = {};
      return true;
    }
    if (token.kind == Kind::right_paren) {
      if (!frames_.empty()) frames_.pop_back();
      return true;
    }
    if (token.kind == Kind::identifier && lexer.peek().kind == Kind::left_paren) {
      pending_function_ = token.text;
      return true;
    }
    return false;
  }

  // Projection, condition, filter and key condition expressions.
  void condition_uses() {
    ExpressionLexer& lexer = reader_.lexer();
    ExpressionToken previous{Kind::end, {}};
    for (ExpressionToken token = lexer.next(); token.kind != Kind::end; previous = token, token = lexer.next()) {
      if (track_structure(token)) continue;
      if (token.kind == Kind::identifier && is_condition_keyword(token.text)) continue;
      if (!is_name_token(token)) continue;
      paths_.clear();
      reader_.read_path(token, paths_);
      const ExpressionToken following = lexer.peek();
      classify_condition_operand(previous, following);
    }
  }

  void classify_condition_operand(const ExpressionToken& previous, const ExpressionToken& following) {
    if (const std::string_view function = enclosing_function(frames_); !function.empty()) {
      if (is_existence_function(function)) return emit(paths_, UseKind::exists, function);
      return emit(paths_, UseKind::function, function);
    }
    if (role_ == ExpressionRole::projection) return emit(paths_, UseKind::read, {});
    std::string_view op;
    if (previous.kind == Kind::comparator) op = previous.text;
    else if (following.kind == Kind::comparator) op = following.text;
    if (op == "=") {
      return emit(paths_, role_ == ExpressionRole::key_condition ? UseKind::key_equality : UseKind::equality, op);
    }
    if (op == "<>") return emit(paths_, UseKind::equality, op);
    if (!op.empty()) return emit(paths_, UseKind::compare, op);
    for (const ExpressionToken* neighbour : {&previous, &following}) {
      if (neighbour->kind != Kind::identifier) continue;
      if (equals_ignoring_case(neighbour->text, "BETWEEN")) return emit(paths_, UseKind::compare, "BETWEEN");
      if (equals_ignoring_case(neighbour->text, "IN")) return emit(paths_, UseKind::compare, "IN");
    }
    emit(paths_, UseKind::compare, {});
  }

  // "SET a = b + :v, c = list_append(c, :l) REMOVE d ADD e :n DELETE f :s":
  // the first path of each action is written; any other path is the source
  // of a value and so a copy — except the action's own target (SET n = n + :1
  // or list_append(l, :x) onto l), which stays where it was.
  void update_uses() {
    ExpressionLexer& lexer = reader_.lexer();
    bool in_clause = false;
    bool at_action_start = false;
    std::string_view clause;
    std::vector<std::string> targets;
    for (ExpressionToken token = lexer.next(); token.kind != Kind::end; token = lexer.next()) {
      if (token.kind == Kind::comma) {
        at_action_start = frames_.empty() && in_clause;
        continue;
      }
      if (token.kind == Kind::identifier && is_update_clause_keyword(token.text)) {
        // Reserved words, valid only outside parentheses: unbalanced ones
        // before a clause keyword are forgotten.
        in_clause = true;
        clause = token.text;
        frames_.clear();
        pending_function_ = {};
        at_action_start = true;
        continue;
      }
      if (track_structure(token)) {
        at_action_start = false;
        continue;
      }
      if (!is_name_token(token)) {
        at_action_start = false;
        continue;
      }
      paths_.clear();
      reader_.read_path(token, paths_);
      if (at_action_start) {
        targets = paths_;
        emit(paths_, UseKind::write, clause);
        at_action_start = false;
        continue;
      }
      const std::string_view function = enclosing_function(frames_);
      const std::string_view detail = function.empty() ? clause : function;
      for (const std::string& path : paths_) {
        bool own_target = false;
        for (const std::string& target : targets) own_target = own_target || target == path;
        out_.push_back(AttributeUse{path, own_target ? UseKind::write : UseKind::copy, std::string(member_),
                                    std::string(detail), std::string(table_), {}});
      }
    }
  }

  ExpressionRole role_;
  std::string_view member_;
  ExpressionPathReader reader_;
  std::string_view table_;
  std::vector<AttributeUse>& out_;
  std::vector<Frame> frames_;
  std::string_view pending_function_;
  std::vector<std::string> paths_;
};

}  // namespace

std::string_view to_string(UseKind kind) {
  switch (kind) {
    case UseKind::read: return "read";
    case UseKind::write: return "write";
    case UseKind::exists: return "exists";
    case UseKind::key_equality: return "key equality";
    case UseKind::equality: return "equality";
    case UseKind::compare: return "comparison";
    case UseKind::function: return "function";
    case UseKind::copy: return "copy";
    case UseKind::start_key: return "start key";
  }
  return "comparison";
}

void collect_expression_uses(ExpressionRole role, std::string_view member, std::string_view expression,
                             const ExpressionAttributeNames& names, std::string_view table,
                             std::vector<AttributeUse>& out) {
  UseCollector(role, member, expression, names, table, out).run();
}

}  // namespace dynaudit::ddb
