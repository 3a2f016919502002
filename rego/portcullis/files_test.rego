package portcullis.files_test

import rego.v1

import data.portcullis
import data.portcullis.files

agent := {"id": "deploy-agent", "kind": "agent", "groups": ["agents"], "claims": {}}

alice := {"id": "alice@example.com", "kind": "human", "groups": ["dev"], "claims": {}}

prod := {"type": "ssh", "name": "web-1", "labels": {"env": "prod"}}

staging := {"type": "ssh", "name": "web-2", "labels": {"env": "staging"}}

doc(subject, resource, file) := {
	"version": "portcullis.v1",
	"subject": subject,
	"resource": resource,
	"session": {"id": "s1", "started_at": "2026-11-25T20:00:00Z", "source": "", "approvals": []},
	"action": {"type": "file", "fingerprint": "file:0", "file": file},
	"time": "2026-11-25T21:00:00Z",
}

op(operation, path) := {"operation": operation, "path": path, "protocol": "sftp"}

denied(d) := ids if {
	ids := {r.rule | some r in files.deny} with input as d
}

held(d) := ids if {
	ids := {r.rule | some r in files.approve} with input as d
}

# --- system directories

test_changes_under_system_dirs_denied if {
	missed := [[o, p] |
		some o in ["write", "remove", "mkdir", "rmdir", "setstat", "symlink"]
		some p in ["/etc/passwd", "/etc", "//etc/x", "/./usr/bin/ls", "/boot/vmlinuz", "/bin/sh", "/sbin/init", "/lib/x.so", "/lib64/ld.so", "/var/lib/dpkg/status", "/var//lib/apt"]
		not "files.system_path" in denied(doc(alice, staging, op(o, p)))
	]
	missed == []
}

test_rename_into_or_out_of_system_dirs_denied if {
	into := object.union(op("rename", "/tmp/x"), {"target": "/etc/cron.d/x"})
	"files.system_path" in denied(doc(alice, staging, into))
	out := object.union(op("rename", "/usr/bin/sudo"), {"target": "/tmp/sudo"})
	"files.system_path" in denied(doc(alice, staging, out))
}

test_reads_and_lists_of_system_dirs_allowed if {
	count(denied(doc(agent, prod, op("read", "/etc/hosts")))) == 0
	count(denied(doc(agent, prod, op("list", "/etc")))) == 0
}

test_lookalike_paths_allowed if {
	found := [p |
		some p in ["/etcetera/x", "/usr2/x", "/var/library/x", "/home/alice/etc/x", "etc/passwd", "/srv/bin/x", "/tmp/lib"]
		count(denied(doc(alice, staging, op("write", p)))) > 0
	]
	found == []
}

test_symlink_pointing_into_system_dir_allowed if {
	link := object.union(op("symlink", "/tmp/hosts"), {"target": "/etc/hosts"})
	count(denied(doc(alice, staging, link))) == 0
}

test_protected_dirs_configurable if {
	d := doc(alice, staging, op("write", "/srv/app/x"))
	"files.system_path" in denied(d) with data.portcullis.config.file_protected_dirs as ["srv"]
	count(denied(doc(alice, staging, op("write", "/etc/x")))) > 0
	etc := doc(alice, staging, op("write", "/etc/x"))
	reasons := files.deny with input as etc with data.portcullis.config.file_protected_dirs as ["srv"]
	count(reasons) == 0
}

test_parent_segments_in_changes_denied if {
	"files.parent_segment" in denied(doc(alice, staging, op("write", "/tmp/../etc/passwd")))
	"files.parent_segment" in denied(doc(alice, staging, op("remove", "../x")))
	count(denied(doc(alice, staging, op("read", "/tmp/../etc/hosts")))) == 0
	count(denied(doc(alice, staging, op("write", "/tmp/a..b")))) == 0
}

test_missing_facts_denied if {
	d := object.union(object.remove(doc(alice, staging, op("read", "/x")), ["action"]), {"action": {"type": "file"}})
	"files.missing_facts" in {r.rule | some r in files.deny} with input as d
}

# --- removals on production

test_agent_remove_on_prod_held if {
	held(doc(agent, prod, op("remove", "/srv/app/cache.db"))) == {"files.agent_remove_on_prod"}
	held(doc(agent, prod, op("rmdir", "/srv/app/old"))) == {"files.agent_remove_on_prod"}
}

test_remove_not_held_for_humans_or_off_prod if {
	count(held(doc(alice, prod, op("remove", "/srv/app/cache.db")))) == 0
	count(held(doc(agent, staging, op("remove", "/srv/app/cache.db")))) == 0
}

# --- through the combined decision

test_decision_denies_system_change if {
	d := portcullis.decision with input as doc(alice, staging, op("write", "/etc/shadow"))
	d.effect == "deny"
	some r in d.reasons
	r.rule == "files.system_path"
}

test_decision_holds_agent_remove_on_prod if {
	d := portcullis.decision with input as doc(agent, prod, op("remove", "/srv/app/x"))
	d.effect == "approve"
	d.approval.reviewers == ["group:sre"]
}

test_decision_allows_ordinary_transfers if {
	allowed := [o |
		some o in ["read", "write", "mkdir", "rename", "list", "setstat"]
		d := portcullis.decision with input as doc(agent, prod, object.union(op(o, "/srv/app/x"), {"target": "/srv/app/y"}))
		d.effect == "allow"
	]
	count(allowed) == 6
}

test_file_is_a_known_action_type if {
	d := portcullis.decision with input as doc(alice, staging, op("read", "/srv/x"))
	not "portcullis.unknown_action" in {r.rule | some r in d.reasons}
}

# --- masks

test_masked_subject_reads_and_lists_carry_the_detectors if {
	read := files.masks with input as doc(agent, staging, op("read", "/srv/export.csv"))
	{"detector": "email", "strategy": "partial"} in read
	{"detector": "private_key", "strategy": "redact"} in read
	list := files.masks with input as doc(agent, prod, op("list", "/srv"))
	list == read
}

test_changes_and_humans_carry_no_masks if {
	count(files.masks) == 0 with input as doc(agent, prod, op("write", "/srv/x"))
	count(files.masks) == 0 with input as doc(agent, prod, op("rename", "/srv/x"))
	count(files.masks) == 0 with input as doc(alice, prod, op("read", "/srv/x"))
}

test_mask_file_reads_can_be_turned_off if {
	count(files.masks) == 0 with input as doc(agent, prod, op("read", "/srv/x"))
		with data.portcullis.config as {"mask_file_reads": false}
	count(files.masks) == 0 with input as doc(agent, prod, op("list", "/srv"))
		with data.portcullis.config as {"mask_file_reads": false}
}

test_agent_read_decision_carries_masks if {
	d := portcullis.decision with input as doc(agent, prod, op("read", "/srv/export.csv"))
	d.effect == "allow"
	{"detector": "us_ssn", "strategy": "redact"} in d.masks
}
