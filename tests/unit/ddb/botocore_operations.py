"""Prints the operations of botocore's DynamoDB and DynamoDB Streams models.

Used by test_operation_catalog.cpp at test time, so that the catalog is
checked against whatever botocore is installed. Output, one per line:
    prefix <family> <targetPrefix>
    operation <family> <OperationName>
and on stderr where the models came from. Exits non-zero if a model is
missing: the test must fail, not skip, without its reference.
"""
import gzip
import json
import os
import sys

import botocore

MODELS = {"dynamodb": "dynamodb", "streams": "dynamodbstreams"}


def load_model(service):
    base = os.path.join(os.path.dirname(botocore.__file__), "data", service, "2012-08-10", "service-2.json")
    if os.path.exists(base + ".gz"):
        with gzip.open(base + ".gz", "rt", encoding="utf-8") as f:
            return base + ".gz", json.load(f)
    with open(base, encoding="utf-8") as f:
        return base, json.load(f)


def main():
    for family, service in MODELS.items():
        path, model = load_model(service)
        print(f"botocore {botocore.__version__}: {path}", file=sys.stderr)
        print(f"prefix {family} {model['metadata']['targetPrefix']}")
        for name in sorted(model["operations"]):
            print(f"operation {family} {name}")


if __name__ == "__main__":
    main()
