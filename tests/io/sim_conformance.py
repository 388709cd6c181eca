#!/usr/bin/env python3
"""Conformance of cleanlist-sim with the official OpenAPI v2 schema.

usage: conformance.py PATH/TO/cleanlist-sim PATH/TO/cleanlist-openapi-v2.json

Starts `cleanlist-sim --http`, runs every one of the 24 operations of the schema under both
/api/v1/public and /api/v2, validates every success body (and its status code) against the
response schema of the operation (jsonschema, Draft 2020-12, $refs resolved inside the
document), validates 422 bodies against HTTPValidationError, and sends the request examples
embedded in the schema: each must pass the schema layer (no 422) as is, and succeed once its
placeholder ids are replaced by live ones. Exits non-zero on any failure.
"""
import base64
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
PREFIXES = ["/api/v1/public", "/api/v2"]

failures = []
covered = set()
validated = 0


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def validator_for(schema):
    root = dict(schema)
    root["components"] = COMPONENTS
    return Draft202012Validator(root)


def response_schema(method, template):
    op = DOC["paths"]["/api/v2" + template][method.lower()]
    for code in ("200", "201", "202"):
        if code in op["responses"]:
            return int(code), op["responses"][code]["content"]["application/json"]["schema"]
    raise KeyError((method, template))


# Self-check: the validator must reject a wrong body (guards against silently passing $refs).
_whoami = response_schema("GET", "/whoami")[1]
assert list(validator_for(_whoami).iter_errors({"user_email": None})), "validator accepts an invalid body"
assert list(validator_for(_whoami).iter_errors({"user_email": "a", "organization_id": "o", "auth_type": "api_key",
                                                 "scopes": [], "tier": "pro", "features": [], "extra": 1}))
assert not list(validator_for(_whoami).iter_errors(COMPONENTS["schemas"]["WhoamiResponse"]["example"]))

ALL_OPS = sorted((m.upper(), p[len("/api/v2"):]) for p, ops in DOC["paths"].items() for m in ops)
assert len(ALL_OPS) == 24, ALL_OPS

proc = subprocess.Popen([SIM, "--http", "--no-rate-limit", "--pending-ms", "40", "--running-ms", "120",
                         "--seed", "7"], stdout=subprocess.PIPE, text=True)
try:
    BASE = proc.stdout.readline().strip()
    KEY = proc.stdout.readline().strip()
    assert BASE.startswith("http://") and BASE.endswith("/api/v1/public"), BASE
    assert KEY.startswith("clapi_"), KEY
    url = urllib.parse.urlparse(BASE)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)

    def call(method, target, body=None, raw=None):
        headers = {"Authorization": "Bearer " + KEY, "Accept": "application/json"}
        data = None
        if raw is not None:
            data = raw.encode()
        elif body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, target, body=data, headers=headers)
        res = conn.getresponse()
        text = res.read().decode()
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        return res.status, parsed, text

    def check_422(what, status, body):
        global validated
        if status != 422:
            return
        errs = list(validator_for({"$ref": "#/components/schemas/HTTPValidationError"}).iter_errors(body))
        validated += 1
        for e in errs:
            fail(f"{what}: 422 body does not match HTTPValidationError: {e.message}")

    def op(method, prefix, template, path, body=None, raw=None, expect_ok=True):
        """Runs one operation; validates a success body against the schema."""
        global validated
        status, parsed, text = call(method, prefix + path, body, raw)
        what = f"{method} {prefix}{template}"
        if status == 422:
            check_422(what, status, parsed)
        if not expect_ok:
            return status, parsed
        code, schema = response_schema(method, template)
        if status != code:
            fail(f"{what}: expected {code}, got {status}: {text[:300]}")
            return status, parsed
        errs = list(validator_for(schema).iter_errors(parsed))
        validated += 1
        covered.add((method, template, prefix))
        for e in errs:
            fail(f"{what}: body does not validate: {e.message} at {list(e.absolute_path)}")
        return status, parsed

    def csv_b64(rows):
        return base64.b64encode(("\n".join(rows) + "\n").encode()).decode()

    def estimate(prefix, req):
        s, q = op("POST", prefix, "/credits/estimate", "/credits/estimate", req)
        return q["quote_id"] if s == 200 else ""

    def wait_terminal(prefix, wf):
        import time
        for _ in range(200):
            s, b = op("GET", prefix, "/enrichment/status/{workflow_id}", f"/enrichment/status/{wf}")
            if s != 200 or b.get("status") in ("completed", "completed_with_errors", "failed", "cancelled"):
                return b
            time.sleep(0.02)
        fail(f"workflow {wf} did not finish")
        return {}

    for prefix in PREFIXES:
        print(f"== {prefix}")
        # ---- workspace
        op("GET", prefix, "/whoami", "/whoami")
        op("GET", prefix, "/credits/balance", "/credits/balance")
        op("GET", prefix, "/api-keys", "/api-keys")
        op("GET", prefix, "/usage", "/usage")
        for g in ("tool", "key", "day", "error"):
            op("GET", prefix, "/usage", f"/usage?days=30&group_by={g}")
        # ---- lead lists
        v1 = prefix == "/api/v1/public"
        s, lst = op("POST", prefix, "/lead-lists", "/lead-lists", {"name": f"Conformance {prefix}", "description": "x"})
        list_id = lst["list_id"]
        op("POST", prefix, "/lead-lists", "/lead-lists", {"name": f"conformance {prefix}"}, expect_ok=False)
        op("GET", prefix, "/lead-lists", "/lead-lists")
        op("GET", prefix, "/lead-lists", "/lead-lists?limit=1")
        op("GET", prefix, "/lead-lists/{list_id}", f"/lead-lists/{list_id}")
        op("PATCH", prefix, "/lead-lists/{list_id}", f"/lead-lists/{list_id}", {"name": f"Conformance renamed {prefix}"})
        op("PATCH", prefix, "/lead-lists/{list_id}", f"/lead-lists/{list_id}", {"description": None, "folder_id": "folder_1"})
        rows = ["First,Last,Email,Company,Title,City"] + [f"F{i},L{i},p{i}@acme.io,Acme,VP,Paris" for i in range(6)]
        op("POST", prefix, "/lead-lists/{list_id}/csv-import", f"/lead-lists/{list_id}/csv-import",
           {"csv_content_base64": csv_b64(rows),
            "column_mapping": {"first_name": "First", "last_name": "Last", "email": "Email", "company_name": "Company",
                               "job_title": "Title", "city": "City"},
            "dispatch_enrichment": False})
        q = estimate(prefix, {"tool": "bulk_import_csv", "list_id": list_id, "enrichment_type": "partial"})
        op("POST", prefix, "/lead-lists/{list_id}/csv-import", f"/lead-lists/{list_id}/csv-import",
           {"csv_content_base64": csv_b64(["Email", "x1@acme.io", "x1@acme.io", ""]), "column_mapping": {"email": "Email"},
            "enrichment_type": "partial", "idempotency_key": "conf-" + prefix})
        s, page = op("GET", prefix, "/lead-lists/{list_id}/leads", f"/lead-lists/{list_id}/leads?limit=3")
        s, page2 = op("GET", prefix, "/lead-lists/{list_id}/leads", f"/lead-lists/{list_id}/leads?limit=3&cursor={page['cursor']}")
        lead_ids = [l["lead_id"] for l in page["leads"]]
        page_task = page["task_id"]
        s, other = op("POST", prefix, "/lead-lists", "/lead-lists", {"name": f"Other {prefix}"})
        other_id = other["list_id"]
        op("POST", prefix, "/lead-lists/{list_id}/leads", f"/lead-lists/{other_id}/leads", {"lead_ids": lead_ids})
        op("POST", prefix, "/lead-lists/{list_id}/leads", f"/lead-lists/{other_id}/leads",
           {"task_id": page_task, "entity_ids": lead_ids[:1], "idempotency_key": "k-" + prefix})
        op("DELETE", prefix, "/lead-lists/{list_id}/leads", f"/lead-lists/{other_id}/leads", {"lead_ids": lead_ids[:2]})
        # ---- enrichment
        s, person = op("POST", prefix, "/enrichment/person", "/enrichment/person",
                       {"email": "jane@acme.io", "lead_list_id": list_id, "enrichment_type": "full"})
        # without lead_list_id ("MCP Results" list): the quickstart's form, v1 only; v2 requires it
        person_b = {"first_name": "A", "last_name": "B", "domain": "b.io"}
        if v1:
            op("POST", prefix, "/enrichment/person", "/enrichment/person", person_b)
        else:
            status, parsed, text = call("POST", prefix + "/enrichment/person", person_b)
            if status != 422 or ["body", "lead_list_id"] not in [d["loc"] for d in parsed["detail"]]:
                fail(f"POST {prefix}/enrichment/person without lead_list_id: expected 422 missing, got {status}: {text[:200]}")
            check_422("person without lead_list_id", status, parsed)
            op("POST", prefix, "/enrichment/person", "/enrichment/person", dict(person_b, lead_list_id=list_id))
        op("POST", prefix, "/enrichment/company", "/enrichment/company", {"domain": "acme.io"})
        q = estimate(prefix, {"tool": "enrich_by_task", "task_id": page_task, "data_points": ["Email"]})
        s, bt = op("POST", prefix, "/enrichment/by-task", "/enrichment/by-task",
                   {"task_id": page_task, "data_points": ["Email"], "quote_id": q})
        companies = "cl-task_demo-companies-org_sim_default"
        q = estimate(prefix, {"tool": "enrich_by_task", "task_id": companies, "data_points": ["Industry", "Funding"]})
        op("POST", prefix, "/enrichment/by-task", "/enrichment/by-task",
           {"task_id": companies, "data_points": ["Funding", "Industry"], "quote_id": q})
        q = estimate(prefix, {"tool": "enrich_list", "list_id": list_id, "scope": "phone-only"})
        s, bulk = op("POST", prefix, "/enrichment/bulk", "/enrichment/bulk", {"list_id": list_id, "scope": "phone-only", "quote_id": q})
        op("GET", prefix, "/enrichment/status/{workflow_id}", f"/enrichment/status/{person['workflow_id']}")
        wait_terminal(prefix, person["workflow_id"])
        wait_terminal(prefix, bulk["workflow_id"])
        wait_terminal(prefix, bt["workflow_id"])
        op("GET", prefix, "/enrichment/status/{workflow_id}", f"/enrichment/status/{page_task}")
        # ---- smart agents
        q = estimate(prefix, {"tool": "run_smart_agent", "list_id": list_id, "agent_type": "company_intel"})
        s, run = op("POST", prefix, "/smart-agents/run", "/smart-agents/run",
                    {"list_id": list_id, "agent_type": "company_intel", "column_name": "Intel", "quote_id": q})
        op("GET", prefix, "/smart-agents", "/smart-agents")
        op("GET", prefix, "/smart-agents", f"/smart-agents?list_id={list_id}&limit=5")
        op("GET", prefix, "/smart-agents/{smart_agent_task_id}", f"/smart-agents/{run['smart_agent_task_id']}")
        # ---- export
        op("POST", prefix, "/export/csv/signed-url", "/export/csv/signed-url", {"list_id": list_id})
        op("GET", prefix, "/export/json", f"/export/json?list_id={list_id}&limit=2&columns=email&columns=first_name")
        op("GET", prefix, "/export/json", f"/export/json?list_id={list_id}")
        # ---- delete
        op("DELETE", prefix, "/lead-lists/{list_id}", f"/lead-lists/{other_id}")

        # ---- the request examples embedded in the schema
        schemas = COMPONENTS["schemas"]
        live_list = list_id
        s, lp, _ = call("GET", prefix + f"/lead-lists/{live_list}/leads?limit=2")
        live_task, live_leads = lp["task_id"], [l["lead_id"] for l in lp["leads"]]

        def example(name):
            return copy.deepcopy(schemas[name]["example"])

        def q_for(req):
            return estimate(prefix, req)

        cases = []  # (name, method, template, path, raw example, substituted example, expected status or None)
        ex = example("EstimateCostRequest")
        cases.append(("EstimateCostRequest", "POST", "/credits/estimate", "/credits/estimate", ex,
                      dict(ex, list_id=live_list)))
        ex = example("CreateListRequest")
        cases.append(("CreateListRequest", "POST", "/lead-lists", "/lead-lists", ex, dict(ex, name=ex["name"] + prefix)))
        ex = example("PublicLeadListUpdate")
        cases.append(("PublicLeadListUpdate", "PATCH", "/lead-lists/{list_id}", f"/lead-lists/{live_list}", ex, ex))
        ex = example("AddByLeadIds")
        # As published, the example's lead ids are not leads of this workspace: 404, nothing added.
        cases.append(("AddByLeadIds", "POST", "/lead-lists/{list_id}/leads", f"/lead-lists/{live_list}/leads", ex, ex, 404))
        cases.append(("AddByLeadIds (ids of the workspace)", "POST", "/lead-lists/{list_id}/leads",
                      f"/lead-lists/{live_list}/leads", ex, dict(ex, lead_ids=live_leads, idempotency_key=ex["idempotency_key"] + prefix)))
        ex = example("AddByCohort")
        cases.append(("AddByCohort", "POST", "/lead-lists/{list_id}/leads", f"/lead-lists/{live_list}/leads", ex,
                      dict(ex, task_id=live_task, entity_ids=live_leads, idempotency_key=ex["idempotency_key"] + prefix)))
        ex = example("RemoveLeadsRequest")
        cases.append(("RemoveLeadsRequest", "DELETE", "/lead-lists/{list_id}/leads", f"/lead-lists/{live_list}/leads", ex, ex))
        ex = example("CsvImportRequest")
        raw_csv = base64.b64decode(ex["csv_content_base64"]).decode()
        header = raw_csv.splitlines()[0].split(",")
        fixed_mapping = {k: k if k in header else "company" for k in ex["column_mapping"]}
        sub = dict(ex, quote_id=q_for({"tool": "bulk_import_csv", "list_id": live_list, "enrichment_type": "full", "row_count": 1}),
                   idempotency_key=ex["idempotency_key"] + prefix)
        # As published, the example maps to headers its own CSV does not have: 400 missing_column.
        cases.append(("CsvImportRequest", "POST", "/lead-lists/{list_id}/csv-import", f"/lead-lists/{live_list}/csv-import",
                      ex, dict(sub, idempotency_key=None), 400))
        cases.append(("CsvImportRequest (mapping matched to its CSV header)", "POST", "/lead-lists/{list_id}/csv-import",
                      f"/lead-lists/{live_list}/csv-import", ex, dict(sub, column_mapping=fixed_mapping)))
        ex = example("EnrichPersonRequest")
        cases.append(("EnrichPersonRequest", "POST", "/enrichment/person", "/enrichment/person", ex,
                      lambda ex=ex: dict(ex, lead_list_id=live_list, quote_id=q_for({"tool": "enrich_person", "enrichment_type": "full"}))))
        ex = example("EnrichCompanyRequest")
        cases.append(("EnrichCompanyRequest", "POST", "/enrichment/company", "/enrichment/company", ex,
                      lambda ex=ex: dict(ex, quote_id=q_for({"tool": "enrich_company"}))))
        ex = example("EnrichByTaskRequest")
        cases.append(("EnrichByTaskRequest", "POST", "/enrichment/by-task", "/enrichment/by-task", ex,
                      lambda ex=ex: dict(ex, task_id=live_task, entity_ids=live_leads, lead_list_id=live_list,
                           quote_id=q_for({"tool": "enrich_by_task", "task_id": live_task, "entity_ids": live_leads,
                                           "data_points": ex["data_points"]}))))
        ex = example("EnrichListRequest")
        cases.append(("EnrichListRequest", "POST", "/enrichment/bulk", "/enrichment/bulk", ex,
                      lambda ex=ex: dict(ex, list_id=live_list, quote_id=q_for({"tool": "enrich_list", "list_id": live_list, "scope": ex["scope"]}))))
        ex = example("RunSmartAgentRequest")
        cases.append(("RunSmartAgentRequest", "POST", "/smart-agents/run", "/smart-agents/run", ex,
                      lambda ex=ex: dict(ex, list_id=live_list, quote_id=q_for({"tool": "run_smart_agent", "list_id": live_list,
                                                                 "agent_type": ex["agent_type"]}))))
        ex = example("ExportCsvRequest")
        cases.append(("ExportCsvRequest", "POST", "/export/csv/signed-url", "/export/csv/signed-url", ex, dict(ex, list_id=live_list)))

        for case in cases:
            name, method, template, path, raw, sub = case[:6]
            expected = case[6] if len(case) > 6 else None
            if "{list_id}" in template:
                raw_path = path.replace(live_list, "list_7c2a91")
            else:
                raw_path = path
            status, body, text = call(method, prefix + raw_path, raw)
            if status == 422:
                fail(f"example {name} rejected by the schema layer: {text[:300]}")
            if callable(sub):
                sub = sub()  # quotes are minted right before use (earlier examples change the list)
            sub = {k: v for k, v in sub.items() if v is not None}
            if expected is None:
                op(method, prefix, template, path, sub)
            else:
                status, body, text = call(method, prefix + path, sub)
                if status != expected:
                    fail(f"example {name}: expected {expected}, got {status}: {text[:300]}")
        # parameter examples
        for path in ("/smart-agents?list_id=9c1f7e2a-4b6d-4f21-9a3e-2b7c8d1e5f04&limit=20", "/smart-agents/run_7c2a91"):
            status, body, text = call("GET", prefix + path)
            if status == 422:
                fail(f"parameter example {path} rejected: {text[:200]}")

        # ---- error shapes: 422 and the error envelope
        for method, path, body in (("POST", "/lead-lists", {"name": 1, "x": 2}), ("GET", "/lead-lists?limit=0", None),
                                   ("POST", "/enrichment/bulk", {"list_id": "x", "scope": "phone_only", "quote_id": "q"})):
            status, parsed, text = call(method, prefix + path, body)
            if status != 422:
                fail(f"{method} {path}: expected 422, got {status}")
            check_422(path, status, parsed)
        status, parsed, text = call("GET", prefix + "/lead-lists/does-not-exist")
        env = (parsed or {}).get("error", {})
        for k in ("code", "problem", "cause", "fix", "retryable", "retry_after_ms", "docs_url", "request_id"):
            if k not in env:
                fail(f"error envelope lacks {k}: {text}")

    # ---- coverage: every operation on both prefixes got at least one validated success
    for prefix in PREFIXES:
        for method, template in ALL_OPS:
            if (method, template, prefix) not in covered:
                fail(f"operation not covered: {method} {prefix}{template}")
finally:
    proc.terminate()
    proc.wait(timeout=10)

print(f"validated {validated} bodies; {len(covered)} operation/prefix pairs covered; {len(failures)} failures")
sys.exit(1 if failures else 0)
