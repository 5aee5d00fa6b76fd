#!/usr/bin/env python3
"""Validate Berth manifest documents against the JSON Schemas in schemas/, independently of Berth.

Usage: check_schemas.py SCHEMA_DIR FILE...
Prints one JSON object per Berth document: {"file", "index", "valid", "errors"}.
A document is Berth's when it is a mapping whose apiVersion starts with "berth/", or that has a
kind but no apiVersion (the same rule as `berth validate`). Files that are not YAML are reported
with "index": -1.

YAML is read in Berth's dialect (docs/reference/limits.md): aliases, merge keys and tags other than
!!str are refused like a syntax error (never expanded: a billion-laughs file stays small), booleans
are YAML 1.2's true/false only, and .inf/.nan stay text, since JSON has no such numbers.
"""
import re
import json
import pathlib
import sys

import jsonschema
import yaml
from referencing import Registry, Resource


class StrictLoader(yaml.SafeLoader):
    """A YAML loader that rejects duplicate keys, as Berth does (PyYAML keeps the last one)."""

    ALLOWED_TAGS = {
        yaml.ScalarEvent: (None, "!", "tag:yaml.org,2002:str"),
        yaml.SequenceStartEvent: (None, "!", "tag:yaml.org,2002:seq"),
        yaml.MappingStartEvent: (None, "!", "tag:yaml.org,2002:map"),
    }

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases are not supported", event.start_mark)
        allowed = self.ALLOWED_TAGS.get(type(event))
        if allowed is not None and event.tag not in allowed:
            raise yaml.composer.ComposerError(None, None, f"tag {event.tag} is not supported", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        duplicates = {k for k in keys if keys.count(k) > 1}
        if duplicates:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate keys {sorted(duplicates)}", node.start_mark)
        return super().construct_mapping(node, deep=deep)


def construct_float(loader, node):
    value = loader.construct_scalar(node)
    if value.lstrip("+-").lower() in (".inf", ".nan"):
        return value
    return yaml.SafeLoader.construct_yaml_float(loader, node)


StrictLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
StrictLoader.add_constructor("tag:yaml.org,2002:float", construct_float)


def load_registry(schema_dir):
    resources = []
    for path in sorted(pathlib.Path(schema_dir).glob("*.schema.json")):
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def is_berth(doc):
    if not isinstance(doc, dict):
        return False
    if "apiVersion" in doc:
        return not isinstance(doc["apiVersion"], str) or doc["apiVersion"].startswith("berth/")
    return "kind" in doc


def main():
    schema_dir, files = sys.argv[1], sys.argv[2:]
    registry = load_registry(schema_dir)
    root = json.loads((pathlib.Path(schema_dir) / "berth.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(root, registry=registry)
    for name in files:
        try:
            docs = list(yaml.load_all(pathlib.Path(name).read_text(encoding="utf-8"), Loader=StrictLoader))
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            print(json.dumps({"file": name, "index": -1, "valid": False, "errors": [str(error)]}))
            continue
        if not any(is_berth(d) for d in docs):
            continue
        for index, doc in enumerate(docs):
            if doc is None:
                continue
            errors = [] if isinstance(doc, dict) else ["document is not a mapping"]
            if isinstance(doc, dict) and not is_berth(doc):
                continue
            errors += [e.message for e in validator.iter_errors(doc)]
            print(json.dumps({"file": name, "index": index, "valid": not errors, "errors": errors}))


if __name__ == "__main__":
    main()
