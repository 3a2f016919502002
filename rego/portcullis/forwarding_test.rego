package portcullis.forwarding_test

import rego.v1

import data.portcullis
import data.portcullis.forwarding

agent := {"id": "deploy-agent", "kind": "agent", "groups": ["agents"], "claims": {}}

alice := {"id": "alice@example.com", "kind": "human", "groups": ["sre"], "claims": {}}

web := {"type": "ssh", "name": "web-1", "labels": {"env": "prod"}}

db := {"type": "postgres", "name": "prod-db", "labels": {"env": "prod"}}

# A connect request as the SSH adapter sends it: the pseudo command line, parsed.
doc(subject, resource, program, args) := {
	"version": "portcullis.v1",
	"subject": subject,
	"resource": resource,
	"session": {"id": "s1", "started_at": "2026-11-25T20:00:00Z", "source": "", "approvals": []},
	"action": {
		"type": "connect",
		"shell": {
			"raw": concat(" ", array.concat([program], args)),
			"parsed": true,
			"commands": [{"program": program, "args": args, "flags": []}],
		},
	},
	"time": "2026-11-25T21:00:00Z",
}

denied(d) := ids if {
	ids := {r.rule | some r in forwarding.deny} with input as d
}

local_forward := doc(alice, web, "direct-tcpip", ["db.internal", "5432"])

remote_forward := doc(alice, web, "tcpip-forward", ["127.0.0.1", "8080"])

agent_forward := doc(alice, web, "auth-agent", [])

test_every_kind_denied_by_default if {
	"ssh.forwarding_not_allowed" in denied(local_forward)
	"ssh.forwarding_not_allowed" in denied(remote_forward)
	"ssh.forwarding_not_allowed" in denied(agent_forward)
	d := portcullis.decision with input as local_forward
	d.effect == "deny"
	d.reasons[0].message == `forwarding to db.internal:5432 is not allowed on production resource "web-1"`
}

test_messages_name_the_kind if {
	r := portcullis.decision with input as remote_forward
	r.reasons[0].message == `remote forwarding from 127.0.0.1:8080 on the host is not allowed on production resource "web-1"`
	a := portcullis.decision with input as agent_forward
	a.reasons[0].message == `agent forwarding is not allowed on production resource "web-1"`
}

test_listed_target_allowed if {
	config := {"ssh_forwarding": [{"kind": "direct-tcpip", "host": "db.internal", "port": 5432}]}
	d := portcullis.decision with input as local_forward with data.portcullis.config as config
	d.effect == "allow"
	# Another port, another host, or another kind of forwarding is still denied.
	other_port := doc(alice, web, "direct-tcpip", ["db.internal", "22"])
	"ssh.forwarding_not_allowed" in denied(other_port) with data.portcullis.config as config
	other_host := doc(alice, web, "direct-tcpip", ["10.0.0.1", "5432"])
	"ssh.forwarding_not_allowed" in denied(other_host) with data.portcullis.config as config
	"ssh.forwarding_not_allowed" in denied(remote_forward) with data.portcullis.config as config
}

test_port_as_string_and_wildcards if {
	by_string := {"ssh_forwarding": [{"kind": "tcpip-forward", "host": "127.0.0.1", "port": "8080"}]}
	not "ssh.forwarding_not_allowed" in denied(remote_forward) with data.portcullis.config as by_string
	any_port := {"ssh_forwarding": [{"kind": "direct-tcpip", "host": "db.internal", "port": "*"}]}
	not "ssh.forwarding_not_allowed" in denied(local_forward) with data.portcullis.config as any_port
	no_target := {"ssh_forwarding": [{"kind": "direct-tcpip"}]}
	not "ssh.forwarding_not_allowed" in denied(local_forward) with data.portcullis.config as no_target
}

test_scoped_by_resource_subject_and_group if {
	sre_only := {"ssh_forwarding": [{"kind": "auth-agent", "resources": ["web-1"], "groups": ["sre"]}]}
	not "ssh.forwarding_not_allowed" in denied(agent_forward) with data.portcullis.config as sre_only
	"ssh.forwarding_not_allowed" in denied(doc(agent, web, "auth-agent", [])) with data.portcullis.config as sre_only
	web2 := {"type": "ssh", "name": "web-2", "labels": {}}
	"ssh.forwarding_not_allowed" in denied(doc(alice, web2, "auth-agent", [])) with data.portcullis.config as sre_only
	by_subject := {"ssh_forwarding": [{"kind": "auth-agent", "subjects": ["deploy-agent"]}]}
	not "ssh.forwarding_not_allowed" in denied(doc(agent, web, "auth-agent", [])) with data.portcullis.config as by_subject
}

test_other_connects_untouched if {
	shell := doc(alice, web, "shell", [])
	denied(shell) == set()
	sftp := doc(alice, web, "subsystem", ["sftp"])
	denied(sftp) == set()
	# A postgres login is a connect without a command.
	login := {"subject": alice, "resource": db, "session": {"approvals": []}, "action": {"type": "connect"}, "time": "2026-11-25T21:00:00Z"}
	denied(login) == set()
	d := portcullis.decision with input as login
	d.effect == "allow"
}

test_waivable if {
	waived := {"overrides": [{"rule": "ssh.forwarding_not_allowed", "subjects": ["alice@example.com"]}]}
	d := portcullis.decision with input as agent_forward with data.portcullis.config as waived
	d.effect == "allow"
}
