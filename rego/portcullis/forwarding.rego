# SSH forwarding (docs/adapters/ssh.md): a local forward (`ssh -L`, `-D`, `-W`), a remote
# forward (`ssh -R`) and agent forwarding (`ssh -A`) reach the policy as `connect` actions
# whose command is a pseudo command line: `direct-tcpip <host> <port>`,
# `tcpip-forward <address> <port>` and `auth-agent`. A tunnel carries traffic no rule of this
# library sees, and a forwarded agent signs with the user's keys on the host, so each is
# denied unless the operator lists it in data.portcullis.config.ssh_forwarding.
package portcullis.forwarding

import rego.v1

import data.portcullis.lib

kinds := {"direct-tcpip", "tcpip-forward", "auth-agent"}

request := c if {
	input.action.type == "connect"
	input.resource.type == "ssh"
	c := input.action.shell.commands[0]
	c.program in kinds
}

# An entry of ssh_forwarding: {"kind": one of kinds, "host": …, "port": …, "resources": [...],
# "subjects": [...], "groups": [...]}. An absent key, or "*", matches anything; host and port
# are the target of a local forward and the bind address and port (on the host) of a remote one.
allowed if {
	some entry in lib.setting("ssh_forwarding")
	entry.kind == request.program
	target_matches(entry)
	lib.list_matches(entry, "resources", input.resource.name)
	lib.list_matches(entry, "subjects", input.subject.id)
	lib.groups_match(entry)
}

target_matches(_) if request.program == "auth-agent"

target_matches(entry) if {
	request.program != "auth-agent"
	value_matches(entry, "host", request.args[0])
	value_matches(entry, "port", request.args[1])
}

value_matches(entry, key, _) if not entry[key]

value_matches(entry, key, _) if entry[key] == "*"

# A port may be given as a number or a string.
value_matches(entry, key, actual) if sprintf("%v", [entry[key]]) == actual

description := sprintf("forwarding to %s:%s", [request.args[0], request.args[1]]) if {
	request.program == "direct-tcpip"
} else := sprintf("remote forwarding from %s:%s on the host", [request.args[0], request.args[1]]) if {
	request.program == "tcpip-forward"
} else := "agent forwarding"

# ---------------------------------------------------------------------------------------
# deny

deny contains {"rule": "ssh.forwarding_not_allowed", "message": msg} if {
	request
	not allowed
	msg := sprintf("%s is not allowed on %s", [description, lib.resource_desc])
}
