package portcullis.decision_test

import rego.v1

import data.portcullis

agent := {"id": "report-agent", "kind": "agent", "groups": ["agents"], "claims": {}}

alice := {"id": "alice@example.com", "kind": "human", "groups": ["dba"], "claims": {}}

prod_db := {"type": "postgres", "name": "prod-db", "labels": {"env": "prod"}}

dev_db := {"type": "postgres", "name": "dev-db", "labels": {"env": "dev"}}

web := {"type": "ssh", "name": "web-1", "labels": {"env": "prod"}}

base_stmt := {
	"type": "select", "category": "read", "tables": [], "reads": [], "writes": [], "columns": [],
	"has_where": false, "functions": [], "dynamic": false, "opaque": false, "inner": [],
	"fingerprint": "0000", "text": "",
}

stmt(fields) := object.union(base_stmt, fields)

sql_doc(subject, resource, statements) := {
	"version": "portcullis.v1",
	"subject": subject,
	"resource": resource,
	"session": {"id": "s1", "started_at": "2026-11-25T20:00:00Z", "source": "", "approvals": []},
	"action": {"type": "sql", "sql": {"raw": "", "dialect": "postgresql", "parsed": true, "statements": statements}},
	"time": "2026-11-25T21:00:00Z",
}

shell_doc(subject, resource, commands) := {
	"version": "portcullis.v1",
	"subject": subject,
	"resource": resource,
	"session": {"id": "s1", "started_at": "2026-11-25T20:00:00Z", "source": "", "approvals": []},
	"action": {"type": "shell", "shell": {"raw": "", "parsed": true, "commands": commands, "substitutions": false, "redirects": [], "interpreter_pipes": [], "opaque": []}},
	"time": "2026-11-25T21:00:00Z",
}

cmd(program, args, flags) := {
	"program": program, "path": program, "args": args, "flags": flags, "assignments": {}, "redirects": [],
	"via": [], "piped": false, "in_substitution": false, "background": false, "dynamic": false,
}

drop := stmt({"type": "drop", "category": "ddl", "object_type": "table", "tables": ["users"], "writes": ["users"]})

delete_all := stmt({"type": "delete", "category": "write", "tables": ["t"], "writes": ["t"]})

select_users := stmt({"tables": ["users"], "reads": ["users"], "columns": ["users.id", "users.email"]})

test_allow_is_plain if {
	d := portcullis.decision with input as sql_doc(alice, prod_db, [select_users])
	d == {"effect": "allow", "reasons": [], "masks": []}
}

test_deny_beats_approve if {
	d := portcullis.decision with input as sql_doc(alice, prod_db, [delete_all, drop])
	d.effect == "deny"
	[r.rule | some r in d.reasons] == ["sql.drop_on_prod", "sql.write_without_where"]
	not d.approval
}

test_approve_carries_approval_block if {
	d := portcullis.decision with input as sql_doc(alice, prod_db, [delete_all])
	d.effect == "approve"
	d.approval == {"reviewers": ["group:dba"], "quorum": 1, "scope": "statement", "ttl": "15m"}
	[r.rule | some r in d.reasons] == ["sql.write_without_where"]
}

test_shell_approvers_by_resource_type if {
	d := portcullis.decision with input as shell_doc(alice, web, [cmd("sudo", ["ls"], []), cmd("ls", [], [])])
	d.effect == "approve"
	d.approval.reviewers == ["group:sre"]
}

test_approval_configurable if {
	d := portcullis.decision with input as sql_doc(alice, prod_db, [delete_all])
		with data.portcullis.config as {"approvers": {"postgres": ["user:bob@example.com"]}, "approval_quorum": 2, "approval_ttl": "1h", "approval_scope": "session"}
	d.approval == {"reviewers": ["user:bob@example.com"], "quorum": 2, "scope": "session", "ttl": "1h"}
}

test_default_approvers_when_type_unlisted if {
	d := portcullis.decision with input as sql_doc(alice, prod_db, [delete_all])
		with data.portcullis.config as {"approvers": {}}
	d.approval.reviewers == ["group:security"]
}

test_agent_select_masked if {
	d := portcullis.decision with input as sql_doc(agent, dev_db, [select_users])
	d.effect == "allow"
	{"column": "users.email", "strategy": "partial"} in d.masks
	{"detector": "us_ssn", "strategy": "redact"} in d.masks
}

test_agent_command_output_masked if {
	d := portcullis.decision with input as shell_doc(agent, web, [cmd("cat", ["/srv/app/.env"], [])])
	d.effect == "allow"
	{"detector": "api_token", "strategy": "redact"} in d.masks
	{"detector": "password", "strategy": "redact"} in d.masks
	{"detector": "credit_card", "strategy": "partial", "keep": 4} in d.masks
	h := portcullis.decision with input as shell_doc(alice, web, [cmd("cat", ["/srv/app/.env"], [])])
	h.masks == []
}

test_waived_deny_becomes_allow if {
	d := portcullis.decision with input as sql_doc(alice, prod_db, [drop])
		with data.portcullis.config as {"overrides": [{"rule": "sql.drop_on_prod", "resources": ["prod-db"], "groups": ["dba"]}]}
	d.effect == "allow"
	d.reasons == []
}

test_waiver_is_per_rule if {
	d := portcullis.decision with input as sql_doc(alice, prod_db, [drop, delete_all])
		with data.portcullis.config as {"overrides": [{"rule": "sql.drop_on_prod"}]}
	d.effect == "approve"
}

test_waiver_for_other_subject_does_not_apply if {
	d := portcullis.decision with input as sql_doc(agent, prod_db, [drop])
		with data.portcullis.config as {"overrides": [{"rule": "sql.*", "subjects": ["alice@example.com"]}]}
	d.effect == "deny"
}

test_unknown_action_denied if {
	d := portcullis.decision with input as {"subject": alice, "resource": prod_db, "action": {"type": "teleport"}}
	d.effect == "deny"
	d.reasons[0].rule == "portcullis.unknown_action"
}

test_connect_allowed if {
	d := portcullis.decision with input as {"subject": alice, "resource": prod_db, "action": {"type": "connect"}}
	d.effect == "allow"
}

test_every_reason_has_rule_and_message if {
	d := portcullis.decision with input as sql_doc(alice, prod_db, [drop, delete_all, stmt({"functions": ["pg_read_file"]})])
	count(d.reasons) == 3
	bad := [r | some r in d.reasons; not well_formed(r)]
	bad == []
}

well_formed(r) if {
	is_string(r.rule)
	count(r.rule) > 0
	is_string(r.message)
	count(r.message) > 0
	count(r) == 2
}

with_approvals(doc, approvals, fingerprint) := object.union(doc, {
	"session": object.union(doc.session, {"approvals": approvals}),
	"action": object.union(doc.action, {"fingerprint": fingerprint}),
})

grant(scope, fingerprint, expires_at) := {
	"id": "apr-1", "scope": scope, "fingerprint": fingerprint, "approved_by": ["bob@example.com"],
	"expires_at": expires_at,
}

test_statement_grant_for_the_same_fingerprint_allows if {
	doc := with_approvals(sql_doc(alice, prod_db, [delete_all]), [grant("statement", "fp-1", "2026-11-25T21:15:00Z")], "fp-1")
	d := portcullis.decision with input as doc
	d.effect == "allow"
	some r in d.reasons
	r.rule == "portcullis.approval_granted"
	contains(r.message, "apr-1")
}

test_statement_grant_for_another_fingerprint_still_holds if {
	doc := with_approvals(sql_doc(alice, prod_db, [delete_all]), [grant("statement", "fp-other", "2026-11-25T21:15:00Z")], "fp-1")
	d := portcullis.decision with input as doc
	d.effect == "approve"
}

test_expired_grant_still_holds if {
	doc := with_approvals(sql_doc(alice, prod_db, [delete_all]), [grant("statement", "fp-1", "2026-11-25T20:59:59Z")], "fp-1")
	d := portcullis.decision with input as doc
	d.effect == "approve"
}

test_session_grant_allows_any_held_action if {
	doc := with_approvals(sql_doc(alice, prod_db, [delete_all]), [grant("session", "", "2026-11-25T22:00:00Z")], "fp-9")
	d := portcullis.decision with input as doc
	d.effect == "allow"
}

test_grant_never_lifts_a_deny if {
	doc := with_approvals(sql_doc(alice, prod_db, [drop]), [grant("session", "", "2026-11-25T22:00:00Z")], "fp-1")
	d := portcullis.decision with input as doc
	d.effect == "deny"
}

update_one := stmt({"type": "update", "category": "write", "tables": ["t"], "writes": ["t"], "has_where": true})

test_agent_writes_on_prod_are_limited if {
	d := portcullis.decision with input as sql_doc(agent, prod_db, [update_one])
	d.effect == "allow"
	d.limits == {"affected_rows": 1000}
	h := portcullis.decision with input as sql_doc(alice, prod_db, [update_one])
	not h.limits
	dev := portcullis.decision with input as sql_doc(agent, dev_db, [update_one])
	not dev.limits
	s := portcullis.decision with input as shell_doc(agent, web, [cmd("ls", [], [])])
	not s.limits
}

test_row_limits_configurable_by_subject_kind if {
	config := {"prod_affected_rows_limits": {"agent": 10, "human": 50000}}
	d := portcullis.decision with input as sql_doc(agent, prod_db, [update_one]) with data.portcullis.config as config
	d.limits.affected_rows == 10
	h := portcullis.decision with input as sql_doc(alice, prod_db, [update_one]) with data.portcullis.config as config
	h.limits.affected_rows == 50000
	none := portcullis.decision with input as sql_doc(agent, prod_db, [update_one])
		with data.portcullis.config as {"prod_affected_rows_limits": {}}
	not none.limits
}

test_row_limit_rides_on_a_hold_and_leaves_with_a_grant_or_a_deny if {
	held := portcullis.decision with input as sql_doc(agent, prod_db, [delete_all])
	held.effect == "approve"
	held.limits.affected_rows == 1000
	doc := with_approvals(sql_doc(agent, prod_db, [delete_all]), [grant("statement", "fp-1", "2026-11-25T21:15:00Z")], "fp-1")
	granted := portcullis.decision with input as doc
	granted.effect == "allow"
	not granted.limits
	denied := portcullis.decision with input as sql_doc(agent, prod_db, [drop])
	denied.effect == "deny"
	not denied.limits
}
