// Applies a MaskPlan to a DynamoDB JSON body: every item-shaped part of every
// operation's answer (Item, Items, Responses, Attributes, the Item of a
// ConditionalCheckFailedException with ReturnValuesOnConditionCheckFailure,
// CancellationReasons[].Item, Streams Records[].dynamodb.NewImage/OldImage,
// LastEvaluatedKey / LastEvaluatedKeys). Bytes outside the rewritten items
// are kept as they were; a body the plan does not touch is not copied.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "masking/mask_plan.hpp"

namespace dynaudit::masking {

struct MaskOutcome {
  bool changed = false;          // body was rewritten
  std::string body;              // the new body when changed
  std::vector<std::string> rules;  // rule ids of the specs that masked something, unique
  std::size_t values_masked = 0;
  std::string error;             // non-empty: the body could not be parsed; it is withheld, never passed in clear
};

// `operation` is the X-Amz-Target operation ("Query", "GetRecords", ...).
MaskOutcome mask_response(std::string_view operation, std::string_view body, const MaskPlan& plan,
                          const MaskKeys& keys);

// One item ({"attr": {"S": "..."}, ...}) as JSON text: the audit log uses
// this for key values and request items. Returns the masked item JSON.
MaskOutcome mask_item_json(std::string_view item_json, const MaskPlan& plan, const MaskKeys& keys);

// Pagination without leaking masked keys: in LastEvaluatedKey, an attribute
// the plan masks is replaced by {"S": "dynaudit:v1:<base64 AES-256-GCM of the
// original AttributeValue JSON>"}; when the client sends it back in
// ExclusiveStartKey, unseal_request restores the original before the call is
// forwarded. A token that does not unseal (tampered, other key) fails.
struct UnsealOutcome {
  bool changed = false;
  std::string body;
  std::string error;  // non-empty: refuse the call with ValidationException
};
UnsealOutcome unseal_request(std::string_view body, const MaskKeys& keys);

}  // namespace dynaudit::masking
