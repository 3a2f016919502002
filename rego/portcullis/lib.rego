# Shared helpers of the Portcullis policy library: configuration with defaults, the notion of
# a production resource, subjects whose results are masked, and operator overrides.
#
# Operators configure the library through data at data.portcullis.config; every key is
# optional and falls back to default_config below.
package portcullis.lib

import rego.v1

default_config := {
	# A resource is production when all labels of any one selector match (a selector value
	# may be a string or a list of accepted strings), or when its name is listed.
	"prod_selectors": [{"env": "prod"}],
	"prod_resources": [],
	# Subject kinds whose results are masked.
	"mask_subject_kinds": ["agent"],
	# Column masks: a regular expression on the lower-cased column name (the part after the
	# last dot of `table.column`), first match wins.
	"sensitive_columns": [
		{"name": "email", "pattern": "e_?mail", "strategy": "partial"},
		{"name": "phone", "pattern": "phone|mobile|msisdn|(^|_)tel(_|$)", "strategy": "partial", "keep": 4},
		{"name": "ssn", "pattern": "(^|_)ssn(_|$)|social_?security|(^|_)sin(_|$)|national_?id", "strategy": "redact"},
		{"name": "card", "pattern": "(^|_)(card|pan|cc)(_|$)|card_?(no|num|number)|credit_?card|(^|_)cvv|(^|_)cvc", "strategy": "partial", "keep": 4},
		{"name": "iban", "pattern": "iban|account_?(no|num|number)|routing_?number", "strategy": "partial", "keep": 4},
		{"name": "password", "pattern": "passw(or)?d|(^|_)pwd(_|$)|passphrase", "strategy": "redact"},
		{"name": "secret", "pattern": "secret|token|api_?key|private_?key|(^|_)salt(_|$)|otp_?seed", "strategy": "redact"},
		{"name": "dob", "pattern": "(^|_)dob(_|$)|birth_?date|date_?of_?birth|birthday", "strategy": "redact"},
	],
	# `table.column` names the patterns above match that hold nothing sensitive: columns of
	# PostgreSQL's own catalogs that pg_dump and psql read (a text search parser's token
	# function, a configuration's token type). Matched on the statement's own spelling, with or
	# without `pg_catalog.`, and given to the column patterns as their `except`, which the
	# adapter applies where it knows a column's table.
	"sensitive_column_exceptions": ["pg_ts_parser.prstoken", "pg_ts_config_map.maptokentype"],
	# Column patterns for every statement that reads a relation or calls a function, not only
	# for `SELECT *` and statements whose rows come from elsewhere (see sql.rego's
	# pattern_masked): a view that renames a sensitive column, or a function of the user's that
	# returns one, is then masked too. `false` masks only what statements name.
	"column_patterns_on_every_read": true,
	# Columns of PostgreSQL's catalogs whose names say nothing but whose values can hold
	# secrets: a user mapping's options (a foreign server's `password=…`), a subscription's
	# connection string, per-role settings, the SQL other sessions are running, with its
	# literals. Redacted, by `table.column`, when a statement names the relation. (Foreign
	# servers' and tables' options are left out: pg_dump reads them in every dump, beside
	# expressions the adapter would then have to prove clean.)
	"sensitive_catalog_columns": [
		"pg_user_mapping.umoptions", "pg_user_mappings.umoptions", "pg_subscription.subconninfo",
		"pg_db_role_setting.setconfig", "pg_roles.rolconfig", "pg_stat_activity.query",
		"pg_stat_statements.query",
	],
	# Bare column names masked when a statement selects `*`, where no column is named.
	"sensitive_column_names": [
		"email", "email_address", "e_mail", "phone", "phone_number", "mobile", "mobile_phone",
		"telephone", "ssn", "social_security_number", "national_id", "card", "card_number",
		"credit_card", "cc_number", "pan", "cvv", "iban", "account_number", "routing_number",
		"password", "password_hash", "passwd", "token", "access_token", "refresh_token", "api_key",
		"secret", "client_secret", "private_key", "dob", "date_of_birth", "birth_date", "birthday",
	],
	# Value detectors applied to whatever flows back to a masked subject: query results, HTTP
	# bodies and headers, command output, sftp listings and file reads (see below).
	"detectors": [
		{"detector": "email", "strategy": "partial"},
		{"detector": "credit_card", "strategy": "partial", "keep": 4},
		{"detector": "us_ssn", "strategy": "redact"},
		{"detector": "iban", "strategy": "partial", "keep": 4},
		{"detector": "phone", "strategy": "partial", "keep": 4},
		{"detector": "jwt", "strategy": "redact"},
		{"detector": "aws_access_key", "strategy": "redact"},
		{"detector": "private_key", "strategy": "redact"},
		{"detector": "api_token", "strategy": "redact"},
		# A password in a connection string, URL, environment file or setting
		# (`password=…`, `postgres://app:…@db`, `DB_PASSWORD="…"`, PostgreSQL's primary_conninfo).
		{"detector": "password", "strategy": "redact"},
	],
	# File reads (sftp, scp) by a masked subject carry the detectors too. The SSH adapter
	# cannot mask a file transfer, so it refuses them: set false to let masked subjects
	# download files unmasked.
	"mask_file_reads": true,
	# JSONPaths masked in HTTP bodies.
	"http_mask_paths": [
		{"path": "$..email", "strategy": "partial"},
		{"path": "$..phone", "strategy": "partial", "keep": 4},
		{"path": "$..ssn", "strategy": "redact"},
		{"path": "$..password", "strategy": "redact"},
		{"path": "$..card_number", "strategy": "partial", "keep": 4},
		{"path": "$..iban", "strategy": "partial", "keep": 4},
		{"path": "$..date_of_birth", "strategy": "redact"},
	],
	# Top-level directories whose recursive deletion (or chmod/chown) is denied, besides /.
	"system_dirs": [
		"bin", "boot", "dev", "etc", "home", "lib", "lib32", "lib64", "libx32", "media", "mnt",
		"opt", "proc", "root", "run", "sbin", "snap", "srv", "sys", "usr", "var",
	],
	# SSH forwarding requests allowed (everything else is denied): {"kind": "direct-tcpip" |
	# "tcpip-forward" | "auth-agent", "host", "port", "resources", "subjects", "groups"}; an
	# absent key or "*" matches anything. See forwarding.rego.
	"ssh_forwarding": [],
	# Waivers: {"rule": "sql.drop_on_prod" | "sql.*", "resources": [...], "subjects": [...],
	# "groups": [...]}; an absent list matches anything. A waived reason is dropped.
	"overrides": [],
	# The most rows one SQL statement may write on a production resource, by subject kind
	# (the decision's limits.affected_rows): past it, the statement is rolled back and fails.
	# A kind not listed has no limit; an approval granted for the statement (or the session)
	# lifts it, as the reviewer approved the statement as written.
	"prod_affected_rows_limits": {"agent": 1000},
	# Who approves what is held, by resource type.
	"approvers": {
		"postgres": ["group:dba"],
		"ssh": ["group:sre"],
		"http": ["group:api-owners"],
	},
	"default_approvers": ["group:security"],
	"approval_quorum": 1,
	"approval_scope": "statement",
	"approval_ttl": "15m",
}

# setting(key) is the operator's value for key, else the default.
setting(key) := value if {
	value := data.portcullis.config[key]
} else := default_config[key]

label_matches(actual, want) if {
	is_string(want)
	actual == want
}

label_matches(actual, want) if {
	is_array(want)
	actual in want
}

selector_matches(selector) if {
	count(selector) > 0
	every key, want in selector {
		label_matches(input.resource.labels[key], want)
	}
}

is_prod if input.resource.name in setting("prod_resources")

is_prod if {
	some selector in setting("prod_selectors")
	selector_matches(selector)
}

is_agent if input.subject.kind == "agent"

masked_subject if input.subject.kind in setting("mask_subject_kinds")

# The environment named in messages.
resource_desc := sprintf("%s resource %q", [env, input.resource.name]) if {
	is_prod
	env := "production"
} else := sprintf("resource %q", [input.resource.name])

# A mask rule from a configured entry: only the keys of the contract, `keep` when given.
mask(selector_key, selector_value, entry) := m if {
	keep := entry.keep
	m := {selector_key: selector_value, "strategy": entry.strategy, "keep": keep}
} else := {selector_key: selector_value, "strategy": entry.strategy}

# The last segment of a dotted name: the column of `schema.table.column`.
last_segment(name) := parts[count(parts) - 1] if parts := split(name, ".")

rule_pattern_matches(pattern, rule) if pattern == rule

rule_pattern_matches(pattern, rule) if {
	parts := split(pattern, "*")
	count(parts) == 2
	parts[1] == ""
	startswith(rule, parts[0])
}

list_matches(override, key, value) if not override[key]

list_matches(override, key, value) if value in override[key]

list_matches(override, key, _) if "*" in override[key]

groups_match(override) if not override.groups

groups_match(override) if {
	some group in input.subject.groups
	group in override.groups
}

waived(rule) if {
	some override in setting("overrides")
	rule_pattern_matches(override.rule, rule)
	list_matches(override, "resources", input.resource.name)
	list_matches(override, "subjects", input.subject.id)
	groups_match(override)
}
