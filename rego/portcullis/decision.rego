# The Portcullis decision: combines the reasons and masks of the SQL, shell, HTTP and file rules
# into the decision document at data.portcullis.decision. Deny beats approve beats allow;
# a reason an operator waived (config.overrides) does not count.
package portcullis

import rego.v1

import data.portcullis.files
import data.portcullis.forwarding
import data.portcullis.http
import data.portcullis.lib
import data.portcullis.shell
import data.portcullis.sql

known_action_types := {"sql", "shell", "exec", "http", "connect", "file"}

# Fail closed on what this library does not understand.
unknown_action contains {"rule": "portcullis.unknown_action", "message": msg} if {
	not input.action.type in known_action_types
	msg := sprintf("unknown action type %v", [object.get(input, ["action", "type"], null)])
}

deny_reasons contains r if {
	some r in sql.deny
	not lib.waived(r.rule)
}

deny_reasons contains r if {
	some r in shell.deny
	not lib.waived(r.rule)
}

deny_reasons contains r if {
	some r in http.deny
	not lib.waived(r.rule)
}

deny_reasons contains r if {
	some r in files.deny
	not lib.waived(r.rule)
}

deny_reasons contains r if {
	some r in forwarding.deny
	not lib.waived(r.rule)
}

deny_reasons contains r if some r in unknown_action

approve_reasons contains r if {
	some r in sql.approve
	not lib.waived(r.rule)
}

approve_reasons contains r if {
	some r in shell.approve
	not lib.waived(r.rule)
}

approve_reasons contains r if {
	some r in http.approve
	not lib.waived(r.rule)
}

approve_reasons contains r if {
	some r in files.approve
	not lib.waived(r.rule)
}

all_masks contains m if some m in sql.masks

all_masks contains m if some m in http.masks

all_masks contains m if some m in shell.masks

all_masks contains m if some m in files.masks

# An approval already granted in this session, for this very action (same fingerprint) or for
# the whole session, and not yet expired, lets a held action run. It never lifts a deny.
granted contains g if {
	some g in input.session.approvals
	g.scope == "session"
	not approval_expired(g)
}

granted contains g if {
	some g in input.session.approvals
	g.scope == "statement"
	g.fingerprint == input.action.fingerprint
	not approval_expired(g)
}

approval_expired(g) if time.parse_rfc3339_ns(g.expires_at) <= time.parse_rfc3339_ns(input.time)

effect := "deny" if {
	count(deny_reasons) > 0
} else := "allow" if {
	count(approve_reasons) > 0
	count(granted) > 0
} else := "approve" if {
	count(approve_reasons) > 0
} else := "allow"

# Which approval let a held action run, so the audit record says so.
granted_reasons contains {"rule": "portcullis.approval_granted", "message": msg} if {
	effect == "allow"
	count(approve_reasons) > 0
	some g in granted
	msg := sprintf("approval %v granted by %v (%v scope)", [g.id, concat(", ", g.approved_by), g.scope])
}

# Deny reasons first, then what would have been held (and the grant that released it).
reasons := array.concat(
	array.concat([r | some r in deny_reasons], [r | some r in approve_reasons]),
	[r | some r in granted_reasons],
)

masks := [m | some m in all_masks]

approvers := lib.setting("approvers")[input.resource.type] if {
	count(lib.setting("approvers")[input.resource.type]) > 0
} else := lib.setting("default_approvers")

approval := {
	"reviewers": approvers,
	"quorum": lib.setting("approval_quorum"),
	"scope": lib.setting("approval_scope"),
	"ttl": lib.setting("approval_ttl"),
}

# What an allowed statement may do once it runs; an approval granted for it lifts the limit.
limits := {"affected_rows": n} if {
	n := sql.affected_rows_limit
	count(granted) == 0
}

held := {"effect": effect, "reasons": reasons, "masks": masks, "approval": approval} if {
	effect == "approve"
} else := {"effect": effect, "reasons": reasons, "masks": masks}

decision := object.union(held, {"limits": l}) if {
	effect != "deny"
	l := limits
} else := held
