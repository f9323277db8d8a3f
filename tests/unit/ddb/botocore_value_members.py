"""Every request member of botocore's DynamoDB and DynamoDB Streams models that
can carry a value, per operation, with the kind of shape that carries it.

Used at test time by test_value_members.cpp (the committed table in
ddb/value_members.cpp must equal this output) and by
tests/security/test_audit_values.py (which plants a value in each member).
Run with --cpp to print the C++ entries of both tables for ddb/value_members.cpp.

Output, one per line (sorted):
    member <family> <Operation> <path> <kind>
    wrapper <Shape> <member> <kind>
Paths: member names joined by '.', '*' for any key of a map, '[]' for any
element of a list ("RequestItems.*[].PutRequest.Item").
Kinds:
    item                 map<AttributeName, AttributeValue> (Key, Item, ExclusiveStartKey, ...)
    attribute_updates    map<AttributeName, AttributeValueUpdate> (legacy AttributeUpdates)
    expected             map<AttributeName, ExpectedAttributeValue> (legacy Expected)
    conditions           map<AttributeName, Condition> (legacy KeyConditions, QueryFilter, ScanFilter)
    expression_values    map<ExpressionAttributeValueVariable, AttributeValue>
    value_list           list<AttributeValue> (PartiQL Parameters)
    value                a lone AttributeValue
    statement            a PartiQL statement
    expression           a condition, key condition, filter, projection or update expression
"wrapper" lines name the members of AttributeValueUpdate, ExpectedAttributeValue
and Condition that hold values (kind value or value_list).
Exits non-zero (the test must fail, not skip) when a model is missing or a
value reaches a shape this script cannot classify.
"""
import gzip
import json
import os
import sys

MODELS = {"dynamodb": "dynamodb", "streams": "dynamodbstreams"}
WRAPPERS = {"AttributeValueUpdate": "attribute_updates", "ExpectedAttributeValue": "expected",
            "Condition": "conditions"}


class Unclassified(Exception):
    pass


def load_model(service):
    import botocore
    base = os.path.join(os.path.dirname(botocore.__file__), "data", service, "2012-08-10", "service-2.json")
    if os.path.exists(base + ".gz"):
        with gzip.open(base + ".gz", "rt", encoding="utf-8") as f:
            return base + ".gz", json.load(f)
    with open(base, encoding="utf-8") as f:
        return base, json.load(f)


def join(path, member):
    return member if not path else path + "." + member


def carries_value(shapes, name, seen=()):
    """True when an AttributeValue is reachable from shape `name`."""
    if name == "AttributeValue":
        return True
    if name in seen:
        return False
    shape = shapes[name]
    seen = seen + (name,)
    if shape["type"] == "structure":
        return any(carries_value(shapes, m["shape"], seen) for m in shape["members"].values())
    if shape["type"] == "list":
        return carries_value(shapes, shape["member"]["shape"], seen)
    if shape["type"] == "map":
        return carries_value(shapes, shape["value"]["shape"], seen)
    return False


def classify(shapes, name, path):
    """The kind of a member of shape `name`, or None when it is not itself a
    value member (it may still contain some)."""
    shape = shapes[name]
    kind = shape["type"]
    if name == "AttributeValue":
        return "value"
    if name in WRAPPERS:
        raise Unclassified("%s at %s is not the value of a map keyed by attribute name" % (name, path))
    if kind == "string" and name == "PartiQLStatement":
        return "statement"
    if kind == "string" and name.endswith("Expression"):
        return "expression"
    if kind == "list" and shape["member"]["shape"] == "AttributeValue":
        return "value_list"
    if kind == "map":
        key, value = shape["key"]["shape"], shape["value"]["shape"]
        if value == "AttributeValue" and key == "AttributeName":
            return "item"
        if value == "AttributeValue" and key == "ExpressionAttributeValueVariable":
            return "expression_values"
        if value in WRAPPERS and key == "AttributeName":
            return WRAPPERS[value]
        if value == "AttributeValue" or value in WRAPPERS:
            raise Unclassified("map %s of %s keyed by %s at %s" % (name, value, key, path))
    return None


def children(shapes, name, path):
    """(shape, path) of what a structure, list or map holds."""
    shape = shapes[name]
    if shape["type"] == "structure":
        return [(ref["shape"], join(path, member)) for member, ref in sorted(shape["members"].items())]
    if shape["type"] == "list":
        return [(shape["member"]["shape"], path + "[]")]
    if shape["type"] == "map":
        return [(shape["value"]["shape"], path + ".*")]
    return []


def walk(shapes, name, path, out, everything=None, depth=0):
    """Appends (path, kind) for each value member under shape `name`; with
    `everything`, records every member path too (kind None when not one)."""
    if depth > 32:
        raise Unclassified("shapes nest deeper than expected at %s" % path)
    kind = classify(shapes, name, path)
    if everything is not None and path:
        everything[path] = kind
    if kind is not None:
        out.append((path, kind))
        return
    for child, child_path in children(shapes, name, path):
        walk(shapes, child, child_path, out, everything, depth + 1)


def union_conflicts(model_shapes, members):
    """The walk in C++ uses the union of every operation's value members
    whatever the operation: a path must mean the same in every operation
    that has it, value member or not."""
    union = {}
    for family, operation, path, kind in members:
        union.setdefault(path, set()).add(kind)
    conflicts = [(path, sorted(kinds)) for path, kinds in union.items() if len(kinds) > 1]
    for family, shapes, operations in model_shapes:
        for operation, spec in operations.items():
            if "input" not in spec:
                continue
            paths = {}
            walk(shapes, spec["input"]["shape"], "", [], paths)
            for path, kind in paths.items():
                if path in union and kind not in union[path]:
                    conflicts.append((path, "%s %s has it as %s" % (family, operation, kind)))
    return conflicts


def wrapper_members(shapes):
    """The value-holding members of the three legacy wrapper shapes."""
    out = []
    for wrapper in sorted(WRAPPERS):
        for member, ref in sorted(shapes[wrapper]["members"].items()):
            target = ref["shape"]
            if target == "AttributeValue":
                out.append((wrapper, member, "value"))
            elif shapes[target]["type"] == "list" and shapes[target]["member"]["shape"] == "AttributeValue":
                out.append((wrapper, member, "value_list"))
            elif carries_value(shapes, target):
                raise Unclassified("%s.%s holds values in a shape this script does not know" % (wrapper, member))
    return out


def value_members():
    """([(family, operation, path, kind)], [(wrapper, member, kind)], [diagnostics])."""
    import botocore
    members, wrappers, notes, model_shapes = [], set(), [], []
    for family, service in MODELS.items():
        path, model = load_model(service)
        notes.append("botocore %s: %s" % (botocore.__version__, path))
        shapes = model["shapes"]
        model_shapes.append((family, shapes, model["operations"]))
        for operation, spec in sorted(model["operations"].items()):
            found = []
            if "input" in spec:
                walk(shapes, spec["input"]["shape"], "", found)
            members += [(family, operation, p, k) for p, k in found]
        if "AttributeValueUpdate" in shapes:
            wrappers.update(wrapper_members(shapes))
    for path, why in union_conflicts(model_shapes, members):
        raise Unclassified("the path %s means different things: %s" % (path, why))
    return sorted(members), sorted(wrappers), notes


def main():
    try:
        members, wrappers, notes = value_members()
    except Unclassified as e:
        print("unclassified value member: %s" % e, file=sys.stderr)
        return 2
    for note in notes:
        print(note, file=sys.stderr)
    if "--cpp" in sys.argv:
        for family, operation, path, kind in members:
            print('    ValueMember{"%s", "%s", ValueKind::%s},' % (operation, path, kind))
        print()
        for wrapper, member, kind in wrappers:
            print('    WrapperValueMember{"%s", "%s", ValueKind::%s},' % (wrapper, member, kind))
        return 0
    for family, operation, path, kind in members:
        print("member %s %s %s %s" % (family, operation, path, kind))
    for wrapper, member, kind in wrappers:
        print("wrapper %s %s %s" % (wrapper, member, kind))
    return 0


if __name__ == "__main__":
    sys.exit(main())
