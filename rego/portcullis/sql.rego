# PostgreSQL (and other SQL dialects): what is denied, what is held for approval, and which
# columns are masked for masked subjects (agents by default). Every check looks at top-level
# statements and at the nested statements in `inner` (CTEs, EXPLAIN targets, DO and function
# bodies, PREPARE, rules), so wrapping a statement does not hide it.
package portcullis.sql

import rego.v1

import data.portcullis.lib

is_sql if input.action.type == "sql"

# Every statement, top-level or nested.
statements contains s if {
	is_sql
	some s in input.action.sql.statements
}

statements contains s if {
	is_sql
	some top in input.action.sql.statements
	some s in top.inner
}

# A short description of a statement for messages: its type and what it touches.
describe(s) := sprintf("%s %s", [upper_type, concat(", ", s.writes)]) if {
	upper_type := upper(s.type)
	count(s.writes) > 0
} else := upper(s.type)

server_file_functions := {
	"pg_read_file",
	"pg_read_binary_file",
	"pg_ls_dir",
	"pg_stat_file",
	"pg_ls_logdir",
	"pg_ls_waldir",
	"pg_ls_tmpdir",
	"pg_ls_archive_statusdir",
	"pg_file_write",
	"pg_file_rename",
	"pg_file_unlink",
	"lo_import",
	"lo_export",
	"lo_from_bytea",
	"dblink_exec",
}

# Statement kinds that only configure the session's role: not held as DCL.
session_role_types := {"set_role", "reset_role", "set_session_authorization", "reset_session_authorization"}

# ---------------------------------------------------------------------------------------
# deny

deny contains {"rule": "sql.missing_facts", "message": "SQL action carries no SQL facts"} if {
	is_sql
	not input.action.sql
}

deny contains {"rule": "sql.unparsed", "message": sprintf("SQL does not parse (%s); unparsed SQL is denied", [why])} if {
	is_sql
	input.action.sql.parsed == false
	why := object.get(input.action.sql, ["error", "message"], "no reason given")
}

deny contains {"rule": "sql.drop_on_prod", "message": msg} if {
	lib.is_prod
	some s in statements
	startswith(s.type, "drop")
	msg := sprintf("DROP of %s %s on %s", [object.get(s, "object_type", "object"), concat(", ", object.get(s, "writes", [])), lib.resource_desc])
}

deny contains {"rule": "sql.truncate_on_prod", "message": msg} if {
	lib.is_prod
	some s in statements
	s.type == "truncate"
	msg := sprintf("TRUNCATE of %s on %s", [concat(", ", s.writes), lib.resource_desc])
}

deny contains {"rule": "sql.copy_program", "message": msg} if {
	some s in statements
	s.copy.program == true
	msg := sprintf("COPY %s PROGRAM runs a command on the database server: %q", [upper(s.copy.direction), object.get(s.copy, "target", "")])
}

# COPY to or from a file on the server: the file is out of reach of every mask, and a later
# COPY FROM loads what it holds back as a table of its own.
deny contains {"rule": "sql.copy_server_file", "message": msg} if {
	some s in statements
	s.copy.stdio == false
	s.copy.program == false
	msg := sprintf("COPY %s a file on the database server (%q)", [object.get({"to": "TO", "from": "FROM"}, s.copy.direction, upper(s.copy.direction)), object.get(s.copy, "target", "")])
}

deny contains {"rule": "sql.server_file_access", "message": msg} if {
	some s in statements
	some f in s.functions
	lib.last_segment(f) in server_file_functions
	msg := sprintf("%s reads or writes files on the database server", [f])
}

# set_config keeps a value in a session setting, where a later SHOW or current_setting reads it
# back as a constant that no column mask can follow: a masked subject may not feed it a table.
deny contains {"rule": "sql.setting_from_table", "message": msg} if {
	lib.masked_subject
	some s in statements
	some f in s.functions
	lib.last_segment(f) == "set_config"
	count(s.tables) > 0
	not reads_settings_only(s)
	msg := sprintf("set_config with a value read from %s would keep it where masks cannot follow", [concat(", ", s.tables)])
}

# pg_dump sets one setting it names from pg_settings, to a constant:
# `SELECT set_config(name, 'view, foreign-table', false) FROM pg_settings WHERE name = …`.
# Only that shape passes: pg_settings alone, and only its `name` read (a relation the session
# resolves as pg_settings through its search_path could be another one; its `name` would only
# name a setting, never fill one). Any other relation or column, a subquery's included, denies.
reads_settings_only(s) if {
	count(s.tables) > 0
	every t in s.tables {
		t in {"pg_settings", "pg_catalog.pg_settings"}
	}
	every c in s.columns {
		lib.last_segment(c) == "name"
	}
}

deny contains {"rule": "sql.alter_system", "message": "ALTER SYSTEM changes the server configuration"} if {
	some s in statements
	s.type == "alter_system"
}

deny contains {"rule": "sql.superuser_role", "message": msg} if {
	some s in statements
	"superuser" in s.role.attributes
	msg := sprintf("%s grants SUPERUSER to %s", [upper(s.type), concat(", ", s.role.names)])
}

# ---------------------------------------------------------------------------------------
# approve (production only)

# Drops, truncates and ALTER SYSTEM are denied outright; every other DDL is held.
approve contains {"rule": "sql.ddl_on_prod", "message": msg} if {
	lib.is_prod
	some s in statements
	s.category == "ddl"
	not startswith(s.type, "drop")
	not s.type in {"truncate", "alter_system"}
	msg := sprintf("DDL %s on %s", [describe(s), lib.resource_desc])
}

approve contains {"rule": "sql.dcl_on_prod", "message": msg} if {
	lib.is_prod
	some s in statements
	s.category == "dcl"
	not startswith(s.type, "drop")
	not s.type in session_role_types
	msg := sprintf("privilege change %s on %s", [upper(s.type), lib.resource_desc])
}

# Server administration that touches other sessions or the whole server: ending backends,
# reloading or rotating, replication and WAL control, resetting statistics.
admin_functions := {
	"pg_terminate_backend",
	"pg_cancel_backend",
	"pg_reload_conf",
	"pg_rotate_logfile",
	"pg_promote",
	"pg_switch_wal",
	"pg_wal_replay_pause",
	"pg_wal_replay_resume",
	"pg_create_restore_point",
	"pg_drop_replication_slot",
	"pg_replication_origin_drop",
	"pg_stat_reset",
	"pg_stat_reset_shared",
	"pg_stat_reset_single_table_counters",
	"pg_stat_reset_single_function_counters",
	"pg_stat_reset_slru",
	"pg_stat_reset_replication_slot",
}

approve contains {"rule": "sql.admin_function_on_prod", "message": msg} if {
	lib.is_prod
	some s in statements
	some f in s.functions
	lib.last_segment(f) in admin_functions
	msg := sprintf("%s administers the server on %s", [f, lib.resource_desc])
}

# Table locks that stop other sessions: `share` and stronger block every write to the table,
# `exclusive` and `access_exclusive` (VACUUM FULL, CLUSTER, REFRESH MATERIALIZED VIEW, a plain
# LOCK TABLE) every read too, for as long as the statement or its transaction runs.
blocking_locks := {"share", "share_row_exclusive", "exclusive", "access_exclusive"}

lock_target(s) := concat(", ", s.tables) if count(s.tables) > 0
else := "every table it covers"

blocked_work(lock) := "all reads and writes" if lock in {"exclusive", "access_exclusive"}
else := "all writes"

approve contains {"rule": "sql.blocking_lock_on_prod", "message": msg} if {
	lib.is_prod
	some s in statements
	s.lock in blocking_locks
	msg := sprintf(
		"%s locks %s in %s mode, which stops %s by other sessions on %s",
		[upper(s.type), lock_target(s), upper(replace(s.lock, "_", " ")), blocked_work(s.lock), lib.resource_desc],
	)
}

approve contains {"rule": "sql.write_without_where", "message": msg} if {
	lib.is_prod
	some s in statements
	s.type in {"update", "delete", "merge"}
	s.has_where == false
	msg := sprintf("%s %s without WHERE affects every row on %s", [upper(s.type), concat(", ", s.writes), lib.resource_desc])
}

approve contains {"rule": "sql.opaque_dynamic_sql", "message": msg} if {
	lib.is_prod
	some s in statements
	s.opaque == true
	msg := sprintf("%s runs SQL that cannot be known before it runs on %s", [upper(s.type), lib.resource_desc])
}

# Functions that keep a value where a later statement reads it back with no column behind it:
# a sequence (`setval`, then `currval` or `last_value`) and a large object (`lo_put`, `lowrite`,
# then `lo_get`, whose bytea no detector reads either).
storing_functions := {"setval", "lo_put", "lowrite"}

deny contains {"rule": "sql.masked_column_stored", "message": msg} if {
	lib.masked_subject
	some s in statements
	some f in s.functions
	lib.last_segment(f) in storing_functions
	# A storing function in the RETURNING list stores what it returns as well.
	some column in array.concat(s.read_columns, object.get(s, "returned_columns", []))
	reads_sensitive(column)
	msg := sprintf("%s with a value of %s, which is masked for %s, would keep it where masks cannot follow", [f, column, input.subject.id])
}

# A write that reads a masked column stores its values where no mask follows them: `UPDATE
# users SET name = email`, then `SELECT name`, shows the emails. Held for a reviewer, on every
# resource, since masks apply on every resource. Assigning a column (SET email = '…') reads
# nothing of it, and what only RETURNING reads goes to the client, masked (see read_columns).
approve contains {"rule": "sql.masked_column_copied", "message": msg} if {
	lib.masked_subject
	some s in statements
	count(s.writes) > 0
	some column in s.read_columns
	reads_sensitive(column)
	msg := sprintf("%s %s reads %s, which is masked for %s: the write would keep it unmasked", [upper(s.type), concat(", ", s.writes), column, input.subject.id])
}

reads_sensitive(column) if {
	not endswith(column, "*")
	sensitive_rule(column)
}

reads_sensitive(column) if endswith(column, "*")

# ---------------------------------------------------------------------------------------
# limits

# The most rows one statement may write here (prod_affected_rows_limits): a WHERE that looks
# narrow can still match every row, which no rule above can see before the statement runs.
affected_rows_limit := n if {
	lib.is_prod
	is_sql
	n := lib.setting("prod_affected_rows_limits")[input.subject.kind]
}

# ---------------------------------------------------------------------------------------
# masks (masked subjects: agents by default)

sensitive_rule(column) := rules[i] if {
	rules := lib.setting("sensitive_columns")
	name := lower(lib.last_segment(column))
	# Scanning an array visits indexes in order, so the first hit is the lowest index.
	hits := [j | some j, r in rules; regex.match(r.pattern, name)]
	count(hits) > 0
	i := hits[0]
}

masks contains lib.mask("column", column, rule) if {
	lib.masked_subject
	some s in statements
	some column in s.columns
	not endswith(column, "*")
	not sensitive_exception(column)
	rule := sensitive_rule(column)
}

sensitive_exception(column) if {
	name := lower(trim_prefix(column, "pg_catalog."))
	name in {lower(e) | some e in lib.setting("sensitive_column_exceptions")}
}

# `SELECT *` (or `t.*`) names no columns, so the patterns above have nothing to match: mask the
# usual names of sensitive columns, bare so they match in any table. The adapter resolves each
# result column to its table column, so a masked name never comes back in clear.
masks contains lib.mask("column", name, rule) if {
	lib.masked_subject
	some s in statements
	rows_from_elsewhere(s)
	some name in lib.setting("sensitive_column_names")
	rule := sensitive_rule(name)
}

# Catalog columns that hold secrets under names no pattern would take for one (see lib's
# sensitive_catalog_columns): redacted whenever the statement names their relation.
masks contains {"column": column, "strategy": "redact"} if {
	lib.masked_subject
	some s in statements
	some t in s.tables
	some column in lib.setting("sensitive_catalog_columns")
	lower(lib.last_segment(t)) == split(column, ".")[0]
}

# The name patterns themselves too, as column patterns the adapter matches against each result
# column's name once it has traced the column to its table: a sensitive column not on that
# list (Devise's `encrypted_password`, `reset_password_token`, `otp_secret`) is masked as it
# would be had the statement named it. The exceptions go with them, for the adapter to spare
# those columns where it knows their table.
masks contains pattern_mask(rule) if {
	lib.masked_subject
	some s in statements
	pattern_masked(s)
	some rule in lib.setting("sensitive_columns")
}

pattern_mask(rule) := object.union(lib.mask("column_pattern", rule.pattern, rule), {"except": spared}) if {
	spared := pattern_exceptions_of(rule)
	count(spared) > 0
} else := lib.mask("column_pattern", rule.pattern, rule)

# An exception spares a column only where the rule's pattern picks it (the adapter searches the
# pattern in the lower-cased column name, as here), so a rule carries only the exceptions its
# pattern picks: the rest would change nothing but the length of every decision and of every
# audit record that holds it.
pattern_exceptions_of(rule) := [e | some e in pattern_exceptions; regex.match(rule.pattern, lib.last_segment(e))]

# Only `table.column` and `schema.table.column` entries can be spared by table (a bare name
# stays masked), and the contract takes at most 256 of them.
pattern_exceptions := array.slice(
	sort([lower(e) |
		some e in lib.setting("sensitive_column_exceptions")
		count(split(e, ".")) in {2, 3}
	]),
	0, 256,
)

pattern_masked(s) if rows_from_elsewhere(s)

# With `column_patterns_on_every_read` (the default), for every statement that reads a relation
# or calls a function: a view that renames a sensitive column (`SELECT pw FROM v`, v having
# `password AS pw`) or a function of the user's returning one is then masked too, which the
# statement's names cannot show. The cost: every result of a masked subject is checked, and the
# adapter withholds (or masks) an expression column that a function of the user's computes, or
# that reads a view column carrying a sensitive one.
pattern_masked(s) if {
	lib.setting("column_patterns_on_every_read") == true
	count(s.tables) > 0
}

pattern_masked(s) if {
	lib.setting("column_patterns_on_every_read") == true
	count(s.functions) > 0
}

rows_from_elsewhere(s) if {
	some column in s.columns
	endswith(column, "*")
}

# A FETCH returns the rows of a query declared in another statement, and an opaque statement
# (EXECUTE of a statement prepared earlier, a function's dynamic SQL) of one not in it at all:
# they name no columns either.
rows_from_elsewhere(s) if s.type == "fetch"

rows_from_elsewhere(s) if s.opaque == true

masks contains lib.mask("detector", entry.detector, entry) if {
	lib.masked_subject
	is_sql
	input.action.sql.parsed == true
	some entry in lib.setting("detectors")
}
