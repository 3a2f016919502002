package portcullis.http_test

import rego.v1

import data.portcullis.http

agent := {"id": "support-agent", "kind": "agent", "groups": ["agents"], "claims": {}}

human := {"id": "alice@example.com", "kind": "human", "groups": [], "claims": {}}

prod_api := {"type": "http", "name": "billing-api", "labels": {"env": "prod"}}

dev_api := {"type": "http", "name": "billing-api-dev", "labels": {"env": "dev"}}

request(subject, resource, method, body) := {
	"version": "portcullis.v1",
	"subject": subject,
	"resource": resource,
	"session": {"id": "s1", "started_at": "2026-11-25T20:00:00Z", "source": "", "approvals": []},
	"action": {"type": "http", "http": {
		"method": method,
		"url": "https://billing.example.com/v1/customers",
		"scheme": "https",
		"host": "billing.example.com",
		"port": 443,
		"path": "/v1/customers",
		"query": {},
		"headers": {"content-type": "application/json"},
		"body": body,
		"content_type": "application/json",
		"body_size": 10,
	}},
	"time": "2026-11-25T21:00:00Z",
}

held(d) := ids if {
	ids := {r.rule | some r in http.approve} with input as d
}

test_agent_writes_held_on_prod if {
	missed := [m |
		some m in ["POST", "PUT", "PATCH", "DELETE"]
		not held(request(agent, prod_api, m, {})) == {"http.agent_write_on_prod"}
	]
	missed == []
}

test_message_names_method_and_path if {
	some r in http.approve with input as request(agent, prod_api, "DELETE", null)
	contains(r.message, "DELETE /v1/customers")
	contains(r.message, "billing-api")
}

test_agent_reads_allowed_on_prod if {
	count(http.approve) == 0 with input as request(agent, prod_api, "GET", null)
	count(http.approve) == 0 with input as request(agent, prod_api, "HEAD", null)
	count(http.approve) == 0 with input as request(agent, prod_api, "OPTIONS", null)
}

test_agent_writes_allowed_off_prod if {
	count(http.approve) == 0 with input as request(agent, dev_api, "POST", {})
}

test_human_writes_allowed_on_prod if {
	count(http.approve) == 0 with input as request(human, prod_api, "POST", {})
}

test_lower_case_method_still_held if {
	"http.agent_write_on_prod" in held(request(agent, prod_api, "post", {}))
}

test_agent_gets_path_and_detector_masks if {
	m := http.masks with input as request(agent, dev_api, "GET", null)
	{"path": "$..email", "strategy": "partial"} in m
	{"path": "$..ssn", "strategy": "redact"} in m
	{"detector": "credit_card", "strategy": "partial", "keep": 4} in m
	{"detector": "us_ssn", "strategy": "redact"} in m
	{"detector": "email", "strategy": "partial"} in m
}

test_human_not_masked if {
	count(http.masks) == 0 with input as request(human, prod_api, "GET", null)
}

test_mask_paths_configurable if {
	m := http.masks with input as request(agent, dev_api, "GET", null)
		with data.portcullis.config as {"http_mask_paths": [{"path": "$.customers[*].tax_id", "strategy": "hash"}], "detectors": []}
	m == {{"path": "$.customers[*].tax_id", "strategy": "hash"}}
}

test_missing_facts_denied if {
	some r in http.deny with input as {"subject": agent, "resource": prod_api, "action": {"type": "http"}}
	r.rule == "http.missing_facts"
}

test_not_http_no_opinion if {
	d := {"subject": agent, "resource": prod_api, "action": {"type": "sql", "sql": {"raw": "", "parsed": true, "statements": []}}}
	count(http.approve) == 0 with input as d
	count(http.masks) == 0 with input as d
}

# --- cloud metadata services

to_host(h) := object.union(request(human, dev_api, "GET", null), {"action": {"http": {"host": h}}})

test_cloud_metadata_denied if {
	missed := [h |
		some h in ["169.254.169.254", "169.254.170.2", "metadata.google.internal", "Metadata.Google.Internal.", "100.100.100.200", "fd00:ec2::254", "::ffff:a9fe:a9fe", "::ffff:169.254.169.254"]
		not "http.cloud_metadata" in {r.rule | some r in http.deny} with input as to_host(h)
	]
	missed == []
}

test_ordinary_hosts_not_metadata if {
	found := [h |
		some h in ["billing.example.com", "169.25.1.1", "10.169.254.1", "metadata.example.com", "fe80::1"]
		"http.cloud_metadata" in {r.rule | some r in http.deny} with input as to_host(h)
	]
	found == []
}
