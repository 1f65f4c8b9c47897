"""Validate recorded stand-in responses against the clouds' OpenAPI descriptions (used by spec.test.ts).

stdin: JSON {"hcloud": path, "contabo": path, "exchanges": [{api, method, template, status, body}]}.
stdout: JSON list of problems, one string each (empty when every response validates).
OpenAPI 3.0 schemas are turned into JSON Schema: `nullable: true` admits null. Formats: date-time is checked
(RFC 3339); others (date, email, ...) are not. Contabo's description gives some dates `pattern: yyyy-mm-dd`, a
placeholder rather than a regular expression (no real date matches it): that one pattern is dropped.
"""
import json
import re
import sys

import jsonschema
import yaml

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def convert(node):
    if isinstance(node, list):
        return [convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: convert(v) for k, v in node.items() if k not in ("nullable", "example", "discriminator", "xml")}
    if out.get("pattern") == "yyyy-mm-dd":
        del out["pattern"]
    if node.get("nullable") is True:
        if "type" in out:
            t = out["type"]
            out["type"] = (t if isinstance(t, list) else [t]) + ["null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = out["enum"] + [None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def load(path):
    with open(path) as f:
        return json.load(f) if path.endswith(".json") else yaml.safe_load(f)


checker = jsonschema.FormatChecker(formats=())


@checker.checks("date-time")
def is_date_time(value):
    return not isinstance(value, str) or bool(RFC3339.match(value))


def response_schema(spec, template, method, status):
    op = spec["paths"].get(template, {}).get(method)
    if op is None:
        return None, f"{method.upper()} {template} is not in the spec"
    responses = op.get("responses", {})
    first = str(status)[0]
    key = next((k for k in (str(status), f"{first}xx", f"{first}XX", "default") if k in responses), None)
    if key is None:
        return None, f"{method.upper()} {template} has no response {status} in the spec"
    content = responses[key].get("content")
    if not content:
        return {}, None
    media = content.get("application/json")
    if media is None:
        return None, f"{method.upper()} {template} {status} has no application/json body in the spec"
    return media.get("schema", {}), None


def main():
    request = json.load(sys.stdin)
    specs = {}
    for api in ("hcloud", "contabo"):
        doc = load(request[api])
        specs[api] = (doc, {"components": convert(doc.get("components", {}))})
    problems = []
    for ex in request["exchanges"]:
        doc, root = specs[ex["api"]]
        where = f'{ex["api"]} {ex["method"].upper()} {ex["template"]} -> {ex["status"]}'
        schema, why = response_schema(doc, ex["template"], ex["method"], ex["status"])
        if schema is None:
            # Contabo's description lists no error responses: its errors are checked by shape in the test.
            if ex["api"] == "contabo" and ex["status"] >= 400:
                continue
            problems.append(f"{where}: {why}")
            continue
        if ex.get("body") is None:
            if schema:
                problems.append(f"{where}: no body, but the spec describes one")
            continue
        validator = jsonschema.Draft7Validator({**root, "allOf": [convert(schema)]}, format_checker=checker)
        for error in sorted(validator.iter_errors(ex["body"]), key=lambda e: list(e.absolute_path)):
            path = "/".join(str(p) for p in error.absolute_path)
            problems.append(f"{where}: at /{path}: {error.message[:300]}")
    json.dump(problems, sys.stdout)


main()
