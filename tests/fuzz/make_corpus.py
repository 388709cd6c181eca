#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets from the examples embedded in the OpenAPI schema.

usage: make_corpus.py <cleanlist-openapi-v2.json> <out_dir>

out_dir/models/   "<type name>\\n<JSON>"  (fuzz_models): each response schema's example, the
                  same with each required field removed and with each field set to null,
                  plus hand-written legacy (v1) answers that the v2 schema does not describe.
out_dir/classify/ "<status:2 bytes><len:1><len:1><retry-after><request-id><body>" (fuzz_classify):
                  every example as a 200 body, the error shapes (envelope, FastAPI 422
                  detail[], legacy detail string) with their statuses, and a few edge cases.
"""
import hashlib
import json
import os
import struct
import sys

# OpenAPI schema name -> C++ type decoded by fuzz_models (names must match its table).
SCHEMA_TO_TYPE = {
    "WhoamiResponse": "whoami_response",
    "CreditsBalanceResponse": "credits_balance_response",
    "EstimateCostResponse": "estimate_response",
    "ApiKeyInfo": "api_key_info",
    "ApiKeysResponse": "api_keys_response",
    "UsageGroupRow": "usage_group_row",
    "UsageReportResponse": "usage_response",
    "ListDetailResponse": "list_detail",
    "ListSummary": "list_summary",
    "ListsPageResponse": "lists_page",
    "DeleteListResponse": "delete_list_response",
    "LeadRow": "lead_row",
    "LeadsPageResponse": "leads_page",
    "AddLeadsResponse": "add_leads_response",
    "RemoveLeadsResponse": "remove_leads_response",
    "CsvImportResponse": "csv_import_response",
    "EnrichPersonResponse": "enrich_person_response",
    "CompanyRecord": "company_record",
    "EnrichCompanyResponse": "enrich_company_response",
    "EnrichByTaskEntityResult": "enrich_by_task_entity_result",
    "EnrichByTaskResponse": "enrich_by_task_response",
    "EnrichListResponse": "enrich_list_response",
    "SingleEnrichmentResultRead": "single_enrichment_result",
    "WorkflowStatusResponse": "workflow_status_response",
    "RunSmartAgentResponse": "run_smart_agent_response",
    "SmartAgentRun": "smart_agent_run",
    "ListSmartAgentsResponse": "list_smart_agents_response",
    "SmartAgentResultRow": "smart_agent_result_row",
    "SmartAgentResultsResponse": "smart_agent_results_response",
    "ExportCsvResponse": "export_csv_response",
    "ExportJsonResponse": "export_json_response",
}

LEGACY = {
    "validate_key_response": [
        {"valid": True, "user_id": "user_1", "organization_id": "org_1"},
        {"valid": False},
    ],
    "legacy_bulk_response": [
        {"workflow_id": "public_bulk_1", "status": "pending", "task_ids": ["t1", "t2"], "total_contacts": 2},
    ],
    "legacy_status_response": [
        {"workflow_id": "public_bulk_1", "status": "completed", "total_contacts": 2, "completed": 2,
         "failed": 0, "results": [{"task_id": "t1", "status": "completed", "email": "a@b.io"}]},
    ],
    "webhook_deliveries_response": [
        {"workflow_id": "public_bulk_1", "deliveries": [{"status": "delivered", "attempts": 1}]},
    ],
}

ERROR_BODIES = [
    (401, {"error": {"code": "unauthenticated", "problem": "Invalid API key", "cause": "unknown key",
                     "fix": "check the key", "retryable": False, "docs_url": "https://docs", "request_id": "req_1"}}),
    (429, {"error": {"code": "rate_limited", "problem": "slow down", "retryable": True, "retry_after_ms": 1500}}),
    (400, {"error": {"code": "insufficient_credits", "problem": "need 10", "retryable": False}}),
    (409, {"error": {"code": "quote_already_used", "problem": "used", "retryable": False}}),
    (402, {"detail": "Insufficient credits"}),
    (404, {"detail": "Not found"}),
    (500, {"detail": "Internal Server Error"}),
    (503, {}),
]


def write(dirname, payload: bytes):
    os.makedirs(dirname, exist_ok=True)
    name = hashlib.sha1(payload).hexdigest()[:16]
    with open(os.path.join(dirname, name), "wb") as f:
        f.write(payload)


def classify_seed(status, body: bytes, retry_after=b"", request_id=b""):
    return struct.pack(">HBB", status, len(retry_after), len(request_id)) + retry_after + request_id + body


def compact(v) -> bytes:
    return json.dumps(v, separators=(",", ":")).encode()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    out = sys.argv[2]
    models_dir, classify_dir = os.path.join(out, "models"), os.path.join(out, "classify")
    schemas = doc["components"]["schemas"]
    n_models = n_classify = 0

    for schema_name, schema in schemas.items():
        ex = schema.get("example")
        if ex is None:
            continue
        # every example (requests and error shapes too) is a fine 200/4xx body for classify
        write(classify_dir, classify_seed(200, compact(ex), request_id=b"req_seed"))
        n_classify += 1
        if schema_name == "HTTPValidationError":
            write(classify_dir, classify_seed(422, compact(ex)))
            n_classify += 1
        t = SCHEMA_TO_TYPE.get(schema_name)
        if t is None or not isinstance(ex, dict):
            continue
        prefix = t.encode() + b"\n"
        write(models_dir, prefix + compact(ex))
        write(models_dir, prefix + json.dumps(ex, indent=1).encode())
        n_models += 2
        for field in schema.get("required", []):
            if field in ex:  # missing required field
                write(models_dir, prefix + compact({k: v for k, v in ex.items() if k != field}))
                n_models += 1
        for field in ex:  # each field null, and each field a wrong type
            write(models_dir, prefix + compact({**ex, field: None}))
            write(models_dir, prefix + compact({**ex, field: [] if not isinstance(ex[field], list) else "x"}))
            n_models += 2

    for t, bodies in LEGACY.items():
        for b in bodies:
            write(models_dir, t.encode() + b"\n" + compact(b))
            n_models += 1

    for status, body in ERROR_BODIES:
        write(classify_dir, classify_seed(status, compact(body), retry_after=b"2", request_id=b"req_hdr"))
        n_classify += 1
    for status, body in [(200, b"[1,2]"), (200, b"<html>oops</html>"), (200, b'{"a":'), (200, b"[" * 70),
                         (502, b"Bad Gateway"), (429, b"")]:
        write(classify_dir, classify_seed(status, body, retry_after=b"Wed, 21 Oct 2015 07:28:00 GMT"))
        n_classify += 1

    print(f"fuzz corpus: {n_models} model seeds, {n_classify} classify seeds in {out}")


if __name__ == "__main__":
    main()
