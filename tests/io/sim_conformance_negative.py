#!/usr/bin/env python3
"""Negative conformance of cleanlist-sim, generated from the official OpenAPI v2 schema.

usage: negative.py PATH/TO/cleanlist-sim PATH/TO/cleanlist-openapi-v2.json

For every operation with a request body or query parameters, starts from the schema's own
example (the example of each oneOf member; for queries, the required parameters) and derives
requests from the schema:
  - negative: each required field dropped; an unknown property where additionalProperties is
    false; an out-of-enum value for each enum; a string one character over each maxLength (and
    under each minLength) made of multi-byte characters; wrong types (null where not nullable);
    fractional and out-of-range integers; too many / too few items; wrong item types; unknown
    dictionary keys (propertyNames) and empty dictionaries (minProperties); required query
    parameters dropped, unparsable / out-of-range / out-of-enum query values;
  - positive: the example itself, strings exactly at maxLength (multi-byte: 2 to 4 bytes per
    character, sent as raw UTF-8), integers at their bounds, arrays at maxItems.
Each generated body is first classified by an independent validator (jsonschema, Draft 2020-12)
so the generator cannot mislabel a case. Then on /api/v2 a negative case must answer 422 with a
body valid against HTTPValidationError whose `loc` names the field, and a positive case must not
answer 422. The same requests are sent on /api/v1/public, which applies the same schema except
the documented v1 relaxations (src/testing/README.md). Exits non-zero on any failure.
"""
import copy
import http.client
import json
import subprocess
import sys
import urllib.parse

from jsonschema import Draft202012Validator

if len(sys.argv) != 3:
    print(__doc__)
    sys.exit(2)

SIM, SCHEMA_PATH = sys.argv[1], sys.argv[2]
with open(SCHEMA_PATH, encoding="utf-8") as f:
    DOC = json.load(f)
COMPONENTS = DOC["components"]
MB = "\u00e9\u20ac\U0001F600"  # 2-, 3- and 4-byte characters in UTF-8
PLACEHOLDER = {"list_id": "list_7c2a91", "workflow_id": "enrich-7c2a91", "smart_agent_task_id": "run_7c2a91"}
# Cases /api/v1/public accepts on purpose (README: the quickstart's documented forms).
V1_RELAXED = {("POST", "/enrichment/person", "EnrichPersonRequest: drop required lead_list_id"),
              # v1: column_mapping keys are open (the reference maps title, company, domain, location)
              ("POST", "/lead-lists/{list_id}/csv-import", "CsvImportRequest: column_mapping: unknown dictionary key")}

failures = []
stats = {"negative": 0, "positive": 0, "v1_checked": 0, "v1_relaxed": 0}


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def validator_for(schema):
    root = dict(schema)
    root["components"] = COMPONENTS
    return Draft202012Validator(root)


HTTP_422 = validator_for({"$ref": "#/components/schemas/HTTPValidationError"})


def resolve(s):
    while isinstance(s, dict) and "$ref" in s:
        node = DOC
        for part in s["$ref"].lstrip("#/").split("/"):
            node = node[part]
        s = node
    return s


def alternatives(s):
    """(nullable, non-null alternatives) of a property schema."""
    s = resolve(s)
    if "anyOf" in s:
        alts = [resolve(a) for a in s["anyOf"]]
        non_null = [a for a in alts if a.get("type") != "null"]
        return len(non_null) < len(alts), non_null
    return False, [s]


def mb(n):
    return "".join(MB[i % len(MB)] for i in range(n))


WRONG = {"string": 12345, "integer": "12", "number": "1.5", "boolean": "yes", "array": "not-a-list",
         "object": ["not", "an", "object"]}


def value_cases(s):
    """(label, value, negative) replacements for one property."""
    nullable, alts = alternatives(s)
    if len(alts) != 1:
        return
    a = alts[0]
    t = a.get("type")
    if not nullable:
        yield "null", None, True
    if "enum" in a:
        yield "out-of-enum value", "not-a-valid-value-\u00e9", True
        yield "enum value", a["enum"][-1], False
    if t in WRONG:
        yield f"wrong type ({type(WRONG[t]).__name__})", WRONG[t], True
    if t == "integer":
        yield "fractional number", 1.5, True
    if t == "string" and "enum" not in a:
        if "maxLength" in a:
            n = int(a["maxLength"])
            yield f"{n + 1} multi-byte characters (maxLength {n})", mb(n + 1), True
            yield f"{n} multi-byte characters (maxLength {n})", mb(n), False
        if int(a.get("minLength", 0)) > 0:
            n = int(a["minLength"])
            yield f"{n - 1} characters (minLength {n})", mb(n - 1), True
            yield f"{n} multi-byte characters (minLength {n})", mb(n), False
    if t in ("integer", "number"):
        if "minimum" in a:
            lo = int(a["minimum"])
            yield f"{lo - 1} (minimum {lo})", lo - 1, True
            yield f"{lo} (minimum {lo})", lo, False
        if "maximum" in a:
            hi = int(a["maximum"])
            yield f"{hi + 1} (maximum {hi})", hi + 1, True
            yield f"{hi} (maximum {hi})", hi, False
    if t == "array":
        items = resolve(a.get("items", {}))
        if int(a.get("minItems", 0)) > 0:
            n = int(a["minItems"])
            yield f"{n - 1} items (minItems {n})", [f"x{i}" for i in range(n - 1)], True
        if "maxItems" in a:
            n = int(a["maxItems"])
            yield f"{n + 1} items (maxItems {n})", [f"x{i}" for i in range(n + 1)], True
            yield f"{n} items (maxItems {n})", [f"x{i}" for i in range(n)], False
        if items.get("type") == "string":
            yield "an item of the wrong type", ["ok", 123], True
    if t == "object" and isinstance(a.get("additionalProperties"), dict):
        names = a.get("propertyNames", {})
        key = names["enum"][0] if "enum" in names else "k"
        if "enum" in names:
            yield "unknown dictionary key", {key: "x", "zz_unknown_key": "x"}, True
        if a["additionalProperties"].get("type") == "string":
            yield "dictionary value of the wrong type", {key: 1}, True
        if int(a.get("minProperties", 0)) > 0:
            yield f"empty dictionary (minProperties {a['minProperties']})", {}, True


def body_cases(model):
    """(label, field, body, negative) per case of one object schema with an example."""
    example = model["example"]
    for field in model.get("required", []):
        body = copy.deepcopy(example)
        body.pop(field, None)
        yield f"drop required {field}", field, body, True
    if model.get("additionalProperties") is False:
        yield "unknown property zz_unknown", "zz_unknown", dict(copy.deepcopy(example), zz_unknown=1), True
    for field, ps in model.get("properties", {}).items():
        for label, value, negative in value_cases(ps):
            yield f"{field}: {label}", field, dict(copy.deepcopy(example), **{field: value}), negative


def encode(body):
    return json.dumps(body, ensure_ascii=False).encode("utf-8")  # raw UTF-8 on the wire


proc = subprocess.Popen([SIM, "--http", "--no-rate-limit", "--seed", "11"], stdout=subprocess.PIPE, text=True)
try:
    BASE = proc.stdout.readline().strip()
    KEY = proc.stdout.readline().strip()
    url = urllib.parse.urlparse(BASE)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=20)

    def call(method, target, data=None):
        headers = {"Authorization": "Bearer " + KEY, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, target, body=data, headers=headers)
        res = conn.getresponse()
        text = res.read().decode("utf-8", "replace")
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        return res.status, parsed, text

    def concrete(template):
        path = template
        for name, value in PLACEHOLDER.items():
            path = path.replace("{" + name + "}", value)
        return path

    def check(method, template, label, negative, loc_ok, target_rel, data):
        """Sends on both prefixes; returns nothing, records failures."""
        key = (method, template, label)
        for prefix in ("/api/v2", "/api/v1/public"):
            status, parsed, text = call(method, prefix + target_rel, data)
            what = f"{method} {prefix}{template} [{label}]"
            want_422 = negative and not (prefix != "/api/v2" and key in V1_RELAXED)
            if prefix != "/api/v2":
                stats["v1_checked"] += 1
                if key in V1_RELAXED:
                    stats["v1_relaxed"] += 1
            if not want_422:
                if status == 422:
                    fail(f"{what}: the schema layer refused a valid request: {text[:300]}")
                continue
            if status != 422:
                fail(f"{what}: expected 422, got {status}: {text[:200]}")
                continue
            errs = list(HTTP_422.iter_errors(parsed))
            for e in errs:
                fail(f"{what}: 422 body is not an HTTPValidationError: {e.message}")
            locs = [d.get("loc", []) for d in (parsed or {}).get("detail", [])]
            if not locs or not any(loc_ok(loc) for loc in locs):
                fail(f"{what}: no detail loc names the field: {locs}")

    ops = [(m.upper(), p[len("/api/v2"):], o) for p, item in DOC["paths"].items() for m, o in item.items()]
    ops_with_input = 0
    for method, template, op in ops:
        rb = op.get("requestBody")
        qparams = [p for p in op.get("parameters", []) if p["in"] == "query"]
        if not rb and not qparams:
            continue
        ops_with_input += 1
        path = concrete(template)
        if rb:
            body_schema = rb["content"]["application/json"]["schema"]
            whole = validator_for(body_schema)
            members = [resolve(m) for m in body_schema["oneOf"]] if "oneOf" in body_schema else [resolve(body_schema)]
            for model in members:
                title = model.get("title", "body")
                example = model["example"]
                if not whole.is_valid(example):
                    fail(f"{method} {template}: the schema's own example of {title} is invalid per jsonschema")
                stats["positive"] += 1
                check(method, template, f"{title} example", False, None, path, encode(example))
                for label, field, body, negative in body_cases(model):
                    if negative == whole.is_valid(body):  # the generator must agree with jsonschema
                        fail(f"{method} {template} [{title}: {label}]: generated as "
                             f"{'negative' if negative else 'positive'}, jsonschema disagrees")
                        continue
                    stats["negative" if negative else "positive"] += 1
                    check(method, template, f"{title}: {label}", negative,
                          lambda loc, field=field: len(loc) >= 2 and loc[0] == "body" and field in loc,
                          path, encode(body))
        if qparams:
            base = {p["name"]: PLACEHOLDER.get(p["name"], "x") for p in qparams if p.get("required")}

            def target(q):
                items = []
                for k, v in q.items():
                    for one in (v if isinstance(v, list) else [v]):
                        items.append((k, one))
                return path + ("?" + urllib.parse.urlencode(items) if items else "")

            stats["positive"] += 1
            check(method, template, "required query parameters only", False, None, target(base), None)
            for p in qparams:
                name = p["name"]
                loc_ok = (lambda loc, name=name: loc == ["query", name])
                cases = []
                if p.get("required"):
                    q = dict(base)
                    q.pop(name)
                    cases.append((f"drop required query {name}", q, True))
                _, alts = alternatives(p["schema"])
                a = alts[0]
                if a.get("type") == "integer":
                    cases.append((f"{name}=abc", dict(base, **{name: "abc"}), True))
                    cases.append((f"{name}=1.5", dict(base, **{name: "1.5"}), True))
                    for bound, delta in (("minimum", -1), ("maximum", 1)):
                        if bound in a:
                            b = int(a[bound])
                            cases.append((f"{name}={b + delta} ({bound} {b})", dict(base, **{name: str(b + delta)}), True))
                            cases.append((f"{name}={b} ({bound} {b})", dict(base, **{name: str(b)}), False))
                if "enum" in a:
                    cases.append((f"{name} out of enum", dict(base, **{name: "not-a-valid-value"}), True))
                    for v in a["enum"]:
                        cases.append((f"{name}={v}", dict(base, **{name: v}), False))
                if a.get("type") == "array":
                    cases.append((f"{name} repeated", dict(base, **{name: ["a", "b"]}), False))
                if a.get("type") == "string" and "enum" not in a:
                    cases.append((f"{name}={mb(3)}", dict(base, **{name: mb(3)}), False))
                for label, q, negative in cases:
                    stats["negative" if negative else "positive"] += 1
                    check(method, template, label, negative, loc_ok, target(q), None)
finally:
    proc.terminate()
    proc.wait(timeout=10)

print(f"{ops_with_input} operations with a request body or query parameters; "
      f"{stats['negative']} negative and {stats['positive']} positive cases generated, each sent on /api/v2 "
      f"and /api/v1/public ({stats['v1_relaxed']} v1 relaxation(s) expected to pass); {len(failures)} failures")
sys.exit(1 if failures else 0)
