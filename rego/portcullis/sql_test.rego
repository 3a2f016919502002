package portcullis.sql_test

import rego.v1

import data.portcullis.sql

# Inputs shaped like `portcullis facts --sql …` output.

prod := {"type": "postgres", "name": "prod-db", "labels": {"env": "prod"}}

staging := {"type": "postgres", "name": "staging-db", "labels": {"env": "staging"}}

agent := {"id": "report-agent", "kind": "agent", "groups": ["agents"], "claims": {}}

human := {"id": "alice@example.com", "kind": "human", "groups": ["dev"], "claims": {}}

base_stmt := {
	"type": "select",
	"category": "read",
	"tables": [],
	"reads": [],
	"writes": [],
	"columns": [],
	"read_columns": [],
	"returned_columns": [],
	"has_where": false,
	"functions": [],
	"operators": [],
	"dynamic": false,
	"opaque": false,
	"inner": [],
	"fingerprint": "0000",
	"text": "",
}

stmt(fields) := object.union(base_stmt, fields)

inner(fields, via) := object.union(base_stmt, object.union(fields, {"via": via}))

doc(resource, subject, statements) := {
	"version": "portcullis.v1",
	"subject": subject,
	"resource": resource,
	"session": {"id": "s1", "started_at": "2026-11-25T20:00:00Z", "source": "", "approvals": []},
	"action": {"type": "sql", "sql": {"raw": "", "dialect": "postgresql", "parsed": true, "statements": statements}},
	"time": "2026-11-25T21:00:00Z",
}

rules(set) := {r.rule | some r in set}

drop_users := stmt({"type": "drop", "category": "ddl", "object_type": "table", "tables": ["users"], "writes": ["users"], "text": "DROP TABLE users"})

truncate_orders := stmt({"type": "truncate", "category": "ddl", "tables": ["orders"], "writes": ["orders"], "text": "TRUNCATE orders"})

delete_all := stmt({"type": "delete", "category": "write", "tables": ["t"], "writes": ["t"], "has_where": false, "text": "DELETE FROM t"})

delete_some := stmt({"type": "delete", "category": "write", "tables": ["t"], "writes": ["t"], "columns": ["t.id"], "has_where": true, "text": "DELETE FROM t WHERE id = 1"})

# --- unparsed / missing facts

test_unparsed_denied_everywhere if {
	d := object.union(doc(staging, human, []), {"action": {"type": "sql", "sql": {"raw": "SELEC 1", "dialect": "postgresql", "parsed": false, "error": {"message": "syntax error at or near \"SELEC\"", "position": 0}, "statements": []}}})
	r := sql.deny with input as d
	"sql.unparsed" in rules(r)
	some reason in r
	contains(reason.message, "SELEC")
}

test_parsed_not_denied if {
	count(sql.deny) == 0 with input as doc(prod, human, [stmt({"type": "select", "tables": ["t"], "reads": ["t"]})])
}

test_missing_facts_denied if {
	"sql.missing_facts" in rules(sql.deny) with input as {"subject": human, "resource": prod, "action": {"type": "sql"}}
}

# --- DROP / TRUNCATE

test_drop_denied_on_prod if {
	r := sql.deny with input as doc(prod, human, [drop_users])
	rules(r) == {"sql.drop_on_prod"}
	some reason in r
	contains(reason.message, "users")
	contains(reason.message, "prod-db")
}

test_drop_allowed_off_prod if {
	count(sql.deny) == 0 with input as doc(staging, human, [drop_users])
	count(sql.approve) == 0 with input as doc(staging, human, [drop_users])
}

test_drop_role_and_database_denied_on_prod if {
	role := stmt({"type": "drop", "category": "dcl", "object_type": "role", "role": {"names": ["bob"], "attributes": []}})
	db := stmt({"type": "drop", "category": "ddl", "object_type": "database"})
	"sql.drop_on_prod" in rules(sql.deny) with input as doc(prod, human, [role])
	"sql.drop_on_prod" in rules(sql.deny) with input as doc(prod, human, [db])
}

test_drop_owned_denied_on_prod if {
	"sql.drop_on_prod" in rules(sql.deny) with input as doc(prod, human, [stmt({"type": "drop_owned", "category": "dcl"})])
}

test_drop_not_also_held_as_ddl if {
	count(sql.approve) == 0 with input as doc(prod, human, [drop_users])
}

test_drop_in_function_body_denied_on_prod if {
	f := stmt({"type": "create_function", "category": "ddl", "object_type": "function", "dynamic": true, "inner": [inner({"type": "drop", "category": "ddl", "object_type": "table", "writes": ["x"]}, "function_body")]})
	"sql.drop_on_prod" in rules(sql.deny) with input as doc(prod, human, [f])
	"sql.ddl_on_prod" in rules(sql.approve) with input as doc(prod, human, [f])
}

test_drop_in_do_block_denied_on_prod if {
	d := stmt({"type": "do", "category": "dynamic", "dynamic": true, "inner": [inner({"type": "drop", "category": "ddl", "object_type": "table", "writes": ["x"]}, "do")]})
	"sql.drop_on_prod" in rules(sql.deny) with input as doc(prod, human, [d])
}

test_string_containing_drop_allowed if {
	s := stmt({"type": "select", "text": "SELECT 'DROP TABLE users'"})
	count(sql.deny) == 0 with input as doc(prod, human, [s])
	count(sql.approve) == 0 with input as doc(prod, human, [s])
}

test_truncate_denied_on_prod if {
	rules(sql.deny) == {"sql.truncate_on_prod"} with input as doc(prod, human, [truncate_orders])
}

test_truncate_allowed_off_prod if {
	count(sql.deny) == 0 with input as doc(staging, human, [truncate_orders])
}

test_truncate_in_cte_or_prepare_denied if {
	s := stmt({"type": "prepare", "category": "dynamic", "dynamic": true, "inner": [inner({"type": "truncate", "category": "ddl", "writes": ["orders"]}, "prepare")]})
	"sql.truncate_on_prod" in rules(sql.deny) with input as doc(prod, human, [s])
}

# --- COPY PROGRAM

copy_program := stmt({"type": "copy", "category": "write", "tables": ["t"], "writes": ["t"], "copy": {"direction": "from", "program": true, "stdio": false, "target": "curl x"}})

test_copy_program_denied_everywhere if {
	"sql.copy_program" in rules(sql.deny) with input as doc(staging, human, [copy_program])
	"sql.copy_program" in rules(sql.deny) with input as doc(prod, agent, [copy_program])
}

test_copy_to_program_denied if {
	s := stmt({"type": "copy", "category": "read", "copy": {"direction": "to", "program": true, "stdio": false, "target": "sh"}})
	"sql.copy_program" in rules(sql.deny) with input as doc(staging, human, [s])
}

test_copy_stdio_allowed if {
	s := stmt({"type": "copy", "category": "read", "tables": ["t"], "reads": ["t"], "copy": {"direction": "to", "program": false, "stdio": true}})
	count(sql.deny) == 0 with input as doc(prod, human, [s])
}

test_copy_to_server_file_denied_everywhere if {
	s := stmt({"type": "copy", "category": "read", "tables": ["users"], "reads": ["users"], "copy": {"direction": "to", "program": false, "stdio": false, "target": "/tmp/users.csv"}})
	rules(sql.deny) == {"sql.copy_server_file"} with input as doc(staging, human, [s])
	rules(sql.deny) == {"sql.copy_server_file"} with input as doc(prod, agent, [s])
}

test_copy_from_server_file_denied if {
	s := stmt({"type": "copy", "category": "write", "tables": ["t"], "writes": ["t"], "copy": {"direction": "from", "program": false, "stdio": false, "target": "/tmp/users.csv"}})
	"sql.copy_server_file" in rules(sql.deny) with input as doc(staging, human, [s])
}

test_copy_program_is_not_also_a_server_file if {
	not "sql.copy_server_file" in rules(sql.deny) with input as doc(staging, human, [copy_program])
}

# --- server files and large objects

test_pg_read_file_denied if {
	s := stmt({"functions": ["pg_read_file"]})
	r := sql.deny with input as doc(staging, human, [s])
	rules(r) == {"sql.server_file_access"}
}

test_schema_qualified_file_function_denied if {
	s := stmt({"functions": ["pg_catalog.pg_read_binary_file"]})
	"sql.server_file_access" in rules(sql.deny) with input as doc(staging, human, [s])
}

test_every_file_function_denied if {
	# Comprehensions, not `every`: see the note on `with` inside `every` in README.md.
	missed := [f |
		some f in ["pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "lo_import", "lo_export", "pg_catalog.lo_export"]
		not "sql.server_file_access" in rules(sql.deny) with input as doc(staging, human, [stmt({"functions": [f]})])
	]
	missed == []
}

test_file_function_in_cte_denied if {
	s := stmt({"inner": [inner({"functions": ["pg_ls_dir"]}, "cte")]})
	"sql.server_file_access" in rules(sql.deny) with input as doc(staging, human, [s])
}

test_ordinary_functions_allowed if {
	s := stmt({"functions": ["now", "lower", "pg_catalog.count", "read_file_name"]})
	count(sql.deny) == 0 with input as doc(prod, human, [s])
}

# --- set_config fed from a table

set_config_from_users := stmt({"tables": ["users"], "reads": ["users"], "columns": ["users.email"], "functions": ["pg_catalog.set_config"]})

test_set_config_from_table_denied_for_agents if {
	rules(sql.deny) == {"sql.setting_from_table"} with input as doc(staging, agent, [set_config_from_users])
}

test_set_config_from_table_in_cte_denied_for_agents if {
	s := stmt({"inner": [inner({"tables": ["users"], "functions": ["set_config"]}, "cte")]})
	"sql.setting_from_table" in rules(sql.deny) with input as doc(staging, agent, [s])
}

test_set_config_of_constant_allowed_for_agents if {
	s := stmt({"functions": ["set_config"]})
	count(sql.deny) == 0 with input as doc(prod, agent, [s])
}

# pg_dump's first statement on a server with restrict_nonsystem_relation_kind.
test_set_config_named_from_pg_settings_allowed_for_agents if {
	s := stmt({"tables": ["pg_settings"], "reads": ["pg_settings"], "columns": ["pg_settings.name"], "functions": ["set_config"]})
	count(sql.deny) == 0 with input as doc(prod, agent, [s])
	q := stmt({"tables": ["pg_catalog.pg_settings"], "columns": ["pg_catalog.pg_settings.name"], "functions": ["pg_catalog.set_config"]})
	count(sql.deny) == 0 with input as doc(prod, agent, [q])
}

test_set_config_fed_a_setting_or_another_table_denied_for_agents if {
	value := stmt({"tables": ["pg_settings"], "columns": ["pg_settings.name", "pg_settings.setting"], "functions": ["set_config"]})
	"sql.setting_from_table" in rules(sql.deny) with input as doc(prod, agent, [value])
	joined := stmt({"tables": ["pg_settings", "users"], "columns": ["pg_settings.name"], "functions": ["set_config"]})
	"sql.setting_from_table" in rules(sql.deny) with input as doc(prod, agent, [joined])
	elsewhere := stmt({"tables": ["myschema.pg_settings"], "columns": ["myschema.pg_settings.name"], "functions": ["set_config"]})
	"sql.setting_from_table" in rules(sql.deny) with input as doc(prod, agent, [elsewhere])
}

test_set_config_from_table_allowed_for_humans if {
	count(sql.deny) == 0 with input as doc(prod, human, [set_config_from_users])
}

test_sequence_or_large_object_fed_a_masked_column_denied_for_agents if {
	found := [f |
		some f in ["setval", "pg_catalog.setval", "lo_put", "lowrite"]
		s := stmt({"tables": ["users"], "reads": ["users"], "columns": ["users.ssn"], "read_columns": ["users.ssn"], "functions": [f]})
		not "sql.masked_column_stored" in rules(sql.deny) with input as doc(staging, agent, [s])
	]
	found == []
	star := stmt({"tables": ["users"], "reads": ["users"], "columns": ["users.*"], "read_columns": ["users.*"], "functions": ["lo_put"]})
	"sql.masked_column_stored" in rules(sql.deny) with input as doc(staging, agent, [star])
}

test_setval_from_a_plain_column_allowed_for_agents if {
	s := stmt({"tables": ["orders"], "reads": ["orders"], "columns": ["orders.id"], "read_columns": ["orders.id"], "functions": ["setval", "max"]})
	count(sql.deny) == 0 with input as doc(prod, agent, [s])
}

test_sequence_fed_a_masked_column_allowed_for_humans if {
	s := stmt({"tables": ["users"], "reads": ["users"], "columns": ["users.ssn"], "read_columns": ["users.ssn"], "functions": ["setval"]})
	count(sql.deny) == 0 with input as doc(staging, human, [s])
}

# --- rows whose query is elsewhere

test_fetch_masks_sensitive_names_for_agents if {
	s := stmt({"type": "fetch", "text": "FETCH ALL FROM c"})
	masked := {m.column | some m in sql.masks with input as doc(staging, agent, [s]); m.column}
	"email" in masked
	"phone" in masked
}

test_opaque_execute_masks_sensitive_names_for_agents if {
	s := stmt({"type": "execute", "category": "utility", "dynamic": true, "opaque": true, "text": "EXECUTE p"})
	masked := {m.column | some m in sql.masks with input as doc(staging, agent, [s]); m.column}
	"ssn" in masked
}

test_fetch_not_masked_for_humans if {
	s := stmt({"type": "fetch", "text": "FETCH ALL FROM c"})
	count({m | some m in sql.masks with input as doc(staging, human, [s]); m.column}) == 0
}

# --- writes that copy a masked column

copy_email := stmt({"type": "update", "category": "write", "tables": ["users"], "writes": ["users"], "columns": ["users.name", "users.email", "users.id"], "read_columns": ["users.email", "users.id"], "has_where": true})

test_write_reading_masked_column_held_for_agents_everywhere if {
	rules(sql.approve) == {"sql.masked_column_copied"} with input as doc(staging, agent, [copy_email])
	"sql.masked_column_copied" in rules(sql.approve) with input as doc(prod, agent, [copy_email])
}

test_write_reading_masked_column_allowed_for_humans if {
	count(sql.approve) == 0 with input as doc(staging, human, [copy_email])
}

test_assigning_masked_column_not_held if {
	s := stmt({"type": "update", "category": "write", "tables": ["users"], "writes": ["users"], "columns": ["users.email", "users.id"], "read_columns": ["users.id"], "has_where": true})
	count(sql.approve) == 0 with input as doc(staging, agent, [s])
}

test_insert_select_star_held if {
	s := stmt({"type": "insert", "category": "write", "tables": ["log", "users"], "reads": ["users"], "writes": ["log"], "columns": ["users.*"], "read_columns": ["users.*"]})
	"sql.masked_column_copied" in rules(sql.approve) with input as doc(staging, agent, [s])
}

# pgjdbc's getGeneratedKeys, and ORMs, add RETURNING * (or every column) to an INSERT: what it
# returns goes to the client, where the masks apply, not into what the write stores.
test_write_returning_masked_column_not_held if {
	s := stmt({"type": "insert", "category": "write", "tables": ["users"], "writes": ["users"], "columns": ["users.email", "users.*"], "returned_columns": ["users.*"], "values_rows": 1})
	count(sql.approve) == 0 with input as doc(staging, agent, [s])
}

test_returning_fed_to_a_storing_function_denied if {
	s := stmt({"type": "update", "category": "write", "tables": ["users"], "writes": ["users"], "columns": ["users.email", "users.id"], "read_columns": ["users.id"], "returned_columns": ["users.email"], "functions": ["lo_put"], "has_where": true})
	"sql.masked_column_stored" in rules(sql.deny) with input as doc(staging, agent, [s])
}

test_read_of_masked_column_without_write_not_held if {
	s := stmt({"tables": ["users"], "reads": ["users"], "columns": ["users.email"], "read_columns": ["users.email"]})
	count(sql.approve) == 0 with input as doc(staging, agent, [s])
}

# --- ALTER SYSTEM, SUPERUSER

test_alter_system_denied_everywhere if {
	s := stmt({"type": "alter_system", "category": "ddl"})
	rules(sql.deny) == {"sql.alter_system"} with input as doc(staging, human, [s])
	rules(sql.deny) == {"sql.alter_system"} with input as doc(prod, human, [s])
	count(sql.approve) == 0 with input as doc(prod, human, [s])
}

test_create_superuser_denied if {
	s := stmt({"type": "create_role", "category": "dcl", "object_type": "role", "role": {"names": ["x"], "attributes": ["superuser", "login"]}})
	r := sql.deny with input as doc(staging, human, [s])
	rules(r) == {"sql.superuser_role"}
	some reason in r
	contains(reason.message, "x")
}

test_alter_role_superuser_denied if {
	s := stmt({"type": "alter_role", "category": "dcl", "object_type": "role", "role": {"names": ["bob"], "attributes": ["superuser"]}})
	"sql.superuser_role" in rules(sql.deny) with input as doc(staging, human, [s])
}

test_nosuperuser_allowed if {
	s := stmt({"type": "alter_role", "category": "dcl", "object_type": "role", "role": {"names": ["bob"], "attributes": ["nosuperuser"]}})
	count(sql.deny) == 0 with input as doc(staging, human, [s])
}

test_superuser_in_do_block_denied if {
	s := stmt({"type": "do", "category": "dynamic", "dynamic": true, "inner": [inner({"type": "alter_role", "category": "dcl", "role": {"names": ["me"], "attributes": ["superuser"]}}, "do")]})
	"sql.superuser_role" in rules(sql.deny) with input as doc(staging, human, [s])
}

# --- approvals on prod

test_other_ddl_held_on_prod if {
	s := stmt({"type": "create_index", "category": "ddl", "object_type": "index", "tables": ["t"], "writes": ["t"]})
	r := sql.approve with input as doc(prod, human, [s])
	rules(r) == {"sql.ddl_on_prod"}
	count(sql.approve) == 0 with input as doc(staging, human, [s])
}

test_alter_table_held_on_prod if {
	s := stmt({"type": "alter_table", "category": "ddl", "object_type": "table", "writes": ["users"]})
	"sql.ddl_on_prod" in rules(sql.approve) with input as doc(prod, human, [s])
}

test_grant_revoke_held_on_prod if {
	g := stmt({"type": "grant", "category": "dcl", "object_type": "table", "tables": ["t"]})
	r := stmt({"type": "revoke", "category": "dcl", "object_type": "table", "tables": ["t"]})
	rules(sql.approve) == {"sql.dcl_on_prod"} with input as doc(prod, human, [g])
	rules(sql.approve) == {"sql.dcl_on_prod"} with input as doc(prod, human, [r])
	count(sql.approve) == 0 with input as doc(staging, human, [g])
}

test_set_role_not_held if {
	count(sql.approve) == 0 with input as doc(prod, human, [stmt({"type": "set_role", "category": "dcl"})])
}

test_delete_without_where_held_on_prod if {
	r := sql.approve with input as doc(prod, human, [delete_all])
	rules(r) == {"sql.write_without_where"}
	some reason in r
	contains(reason.message, "DELETE")
}

test_update_without_where_held_on_prod if {
	s := stmt({"type": "update", "category": "write", "tables": ["users"], "writes": ["users"], "columns": ["users.x"]})
	"sql.write_without_where" in rules(sql.approve) with input as doc(prod, human, [s])
}

test_merge_without_where_held_on_prod if {
	s := stmt({"type": "merge", "category": "write", "tables": ["users", "s"], "writes": ["users"], "reads": ["s"]})
	"sql.write_without_where" in rules(sql.approve) with input as doc(prod, human, [s])
	restricted := object.union(s, {"has_where": true})
	count(sql.approve) == 0 with input as doc(prod, human, [restricted])
}

test_blocking_locks_held_on_prod if {
	vacuum_full := stmt({"type": "vacuum", "category": "utility", "tables": ["events"], "lock": "access_exclusive"})
	r := sql.approve with input as doc(prod, agent, [vacuum_full])
	rules(r) == {"sql.blocking_lock_on_prod"}
	some reason in r
	contains(reason.message, "VACUUM locks events in ACCESS EXCLUSIVE mode")
	contains(reason.message, "all reads and writes")
	reindex := stmt({"type": "reindex", "category": "utility", "lock": "share"})
	some why in sql.approve with input as doc(prod, human, [reindex])
	contains(why.message, "every table it covers in SHARE mode, which stops all writes")
	inside := stmt({"type": "do", "category": "utility", "inner": [inner({"type": "lock", "category": "utility", "tables": ["t"], "lock": "exclusive"}, "do")]})
	"sql.blocking_lock_on_prod" in rules(sql.approve) with input as doc(prod, human, [inside])
	count(sql.approve) == 0 with input as doc(staging, agent, [vacuum_full])
}

test_light_locks_not_held if {
	every lock in ["access_share", "row_share", "row_exclusive", "share_update_exclusive"] {
		s := stmt({"type": "lock", "category": "utility", "tables": ["t"], "lock": lock})
		count(sql.approve) == 0 with input as doc(prod, agent, [s])
	}
	count(sql.approve) == 0 with input as doc(prod, agent, [stmt({"type": "vacuum", "category": "utility"})])
}

test_admin_functions_held_on_prod if {
	missed := [f |
		some f in ["pg_terminate_backend", "pg_catalog.pg_cancel_backend", "pg_reload_conf", "pg_switch_wal", "pg_drop_replication_slot", "pg_stat_reset"]
		s := stmt({"functions": [f]})
		not "sql.admin_function_on_prod" in rules(sql.approve) with input as doc(prod, human, [s])
	]
	missed == []
	count(sql.approve) == 0 with input as doc(staging, human, [stmt({"functions": ["pg_terminate_backend"]})])
	count(sql.approve) == 0 with input as doc(prod, human, [stmt({"functions": ["pg_backend_pid"]})])
}

test_delete_with_where_allowed if {
	count(sql.approve) == 0 with input as doc(prod, human, [delete_some])
	count(sql.deny) == 0 with input as doc(prod, human, [delete_some])
}

test_delete_without_where_allowed_off_prod if {
	count(sql.approve) == 0 with input as doc(staging, human, [delete_all])
}

test_delete_without_where_in_cte_held if {
	s := stmt({"type": "select", "tables": ["users"], "writes": ["users"], "columns": ["users.email", "email"], "inner": [inner({"type": "delete", "category": "write", "tables": ["users"], "writes": ["users"], "columns": ["users.email"]}, "cte")]})
	"sql.write_without_where" in rules(sql.approve) with input as doc(prod, human, [s])
}

test_update_without_where_in_explain_analyze_held if {
	s := stmt({"type": "explain", "category": "write", "writes": ["users"], "explain": {"analyze": true, "executes_write": true}, "inner": [inner({"type": "update", "category": "write", "tables": ["users"], "writes": ["users"]}, "explain")]})
	"sql.write_without_where" in rules(sql.approve) with input as doc(prod, human, [s])
}

test_select_without_where_not_held if {
	s := stmt({"type": "select", "tables": ["users"], "reads": ["users"], "has_where": false})
	count(sql.approve) == 0 with input as doc(prod, human, [s])
}

test_opaque_dynamic_held_on_prod if {
	s := stmt({"type": "do", "category": "dynamic", "dynamic": true, "opaque": true})
	rules(sql.approve) == {"sql.opaque_dynamic_sql"} with input as doc(prod, human, [s])
	count(sql.approve) == 0 with input as doc(staging, human, [s])
}

test_transparent_dynamic_not_held if {
	s := stmt({"type": "prepare", "category": "dynamic", "dynamic": true, "opaque": false, "inner": [inner({"type": "select", "tables": ["t"]}, "prepare")]})
	count(sql.approve) == 0 with input as doc(prod, human, [s])
}

test_second_statement_checked if {
	"sql.write_without_where" in rules(sql.approve) with input as doc(prod, human, [stmt({"type": "select"}), delete_all])
}

# --- masks

test_agent_gets_column_masks if {
	s := stmt({"tables": ["users"], "reads": ["users"], "columns": ["users.email", "users.password", "users.id", "users.phone_number"]})
	m := sql.masks with input as doc(staging, agent, [s])
	{"column": "users.email", "strategy": "partial"} in m
	{"column": "users.password", "strategy": "redact"} in m
	{"column": "users.phone_number", "strategy": "partial", "keep": 4} in m
	not column_masked(m, "users.id")
}

# pg_dump reads these catalog columns; a user table's token columns stay masked.
test_catalog_token_columns_not_masked if {
	s := stmt({"tables": ["pg_ts_parser"], "columns": ["pg_ts_parser.prstoken", "pg_catalog.pg_ts_config_map.maptokentype", "pg_authid.rolpassword", "users.prstoken"]})
	m := sql.masks with input as doc(prod, agent, [s])
	not column_masked(m, "pg_ts_parser.prstoken")
	not column_masked(m, "pg_catalog.pg_ts_config_map.maptokentype")
	column_masked(m, "pg_authid.rolpassword")
	column_masked(m, "users.prstoken")
}

column_masked(masks, column) if {
	some m in masks
	m.column == column
}

test_every_sensitive_name_masked if {
	missed := [column |
		some column in ["t.email", "t.user_email", "t.mobile", "t.ssn", "t.card_number", "t.pan", "t.iban", "t.password_hash", "t.api_token", "t.client_secret", "t.dob", "t.date_of_birth", "public.t.api_key"]
		m := sql.masks with input as doc(staging, agent, [stmt({"columns": [column]})])
		not column_masked(m, column)
	]
	missed == []
}

test_innocent_names_not_masked if {
	wrongly := [column |
		some column in ["t.id", "t.name", "t.created_at", "t.company", "t.expand", "t.description", "t.panel", "t.capacity"]
		m := sql.masks with input as doc(staging, agent, [stmt({"columns": [column]})])
		column_masked(m, column)
	]
	wrongly == []
}

test_first_matching_pattern_wins if {
	m := sql.masks with input as doc(staging, agent, [stmt({"columns": ["t.email_token"]})])
	{"column": "t.email_token", "strategy": "partial"} in m
	not {"column": "t.email_token", "strategy": "redact"} in m
}

test_bare_column_masked if {
	m := sql.masks with input as doc(staging, agent, [stmt({"columns": ["email"]})])
	{"column": "email", "strategy": "partial"} in m
}

test_star_not_column_masked_but_detectors_apply if {
	m := sql.masks with input as doc(staging, agent, [stmt({"columns": ["users.*"]})])
	not column_masked(m, "users.*")
	{"detector": "email", "strategy": "partial"} in m
	{"detector": "phone", "strategy": "partial", "keep": 4} in m
}

# Regression: `SELECT *` returned a phone column in clear to an agent (no column was named,
# so no column pattern matched, and phones had no detector).
test_star_masks_usual_sensitive_names if {
	m := sql.masks with input as doc(staging, agent, [stmt({"columns": ["*"]})])
	{"column": "phone", "strategy": "partial", "keep": 4} in m
	{"column": "email", "strategy": "partial"} in m
	{"column": "card_number", "strategy": "partial", "keep": 4} in m
	{"column": "password_hash", "strategy": "redact"} in m
}

# Regression: `SELECT * FROM accounts` returned Devise's encrypted_password and
# reset_password_token in clear (names on no list), though naming them masked them.
test_star_masks_by_the_name_patterns if {
	off := {"column_patterns_on_every_read": false}
	m := sql.masks with input as doc(staging, agent, [stmt({"columns": ["accounts.*"]})]) with data.portcullis.config as off
	pattern_masks(m, "passw(or)?d|(^|_)pwd(_|$)|passphrase") == {"redact"}
	pattern_masks(m, "secret|token|api_?key|private_?key|(^|_)salt(_|$)|otp_?seed") == {"redact"}
	pattern_masks(m, "e_?mail") == {"partial"}
	fetched := sql.masks with input as doc(staging, agent, [stmt({"type": "fetch", "text": "FETCH ALL FROM c"})]) with data.portcullis.config as off
	pattern_masks(fetched, "e_?mail") == {"partial"}
	named := sql.masks with input as doc(staging, agent, [stmt({"tables": ["v2"], "columns": ["v2.pw"]})]) with data.portcullis.config as off
	count([r | some r in named; r.column_pattern]) == 0
}

pattern_masks(masks, pattern) := {r.strategy | some r in masks; r.column_pattern == pattern}

# A view can rename a sensitive column, a function of the user's return one: by default every
# statement that reads a relation or calls a function gets the patterns, with the catalog
# columns they would take for secrets spared by table.
test_column_patterns_on_every_read if {
	m := sql.masks with input as doc(staging, agent, [stmt({"tables": ["v2"], "columns": ["v2.pw"]})])
	pattern_masks(m, "passw(or)?d|(^|_)pwd(_|$)|passphrase") == {"redact"}
	some r in m
	r.column_pattern == "secret|token|api_?key|private_?key|(^|_)salt(_|$)|otp_?seed"
	r.except == ["pg_ts_config_map.maptokentype", "pg_ts_parser.prstoken"]
	# The password rule's pattern picks neither catalog column: it carries no exceptions.
	count([p | some p in m; p.column_pattern == "passw(or)?d|(^|_)pwd(_|$)|passphrase"; p.except]) == 0
	count([p | some p in m; p.column_pattern; p.except]) == 1
	called := sql.masks with input as doc(staging, agent, [stmt({"functions": ["login_of"]})])
	pattern_masks(called, "passw(or)?d|(^|_)pwd(_|$)|passphrase") == {"redact"}
	constant := sql.masks with input as doc(staging, agent, [stmt({})])
	count([r | some r in constant; r.column_pattern]) == 0
}

# Only table.column exceptions can be spared by table; a bare name would make the decision
# one the adapter refuses. Each rule carries the exceptions its own pattern picks, and one that
# no pattern picks is carried by none.
test_pattern_exceptions_keep_table_columns_only if {
	config := {"sensitive_column_exceptions": ["Notes.Token_Kind", "prstoken", "a.b.c.d", "s.t.SSN_last4", "s.t.c"]}
	m := sql.masks with input as doc(staging, agent, [stmt({"tables": ["t"]})]) with data.portcullis.config as config
	excepts := {e | some r in m; r.column_pattern; some e in r.except}
	excepts == {"notes.token_kind", "s.t.ssn_last4"}
	{r.column_pattern: r.except | some r in m; r.column_pattern; r.except} == {
		"secret|token|api_?key|private_?key|(^|_)salt(_|$)|otp_?seed": ["notes.token_kind"],
		"(^|_)ssn(_|$)|social_?security|(^|_)sin(_|$)|national_?id": ["s.t.ssn_last4"],
	}
	none := sql.masks with input as doc(staging, agent, [stmt({"tables": ["t"]})]) with data.portcullis.config as {"sensitive_column_exceptions": ["prstoken"]}
	count([r | some r in none; r.except]) == 0
}

# Regression: an agent read a foreign server's password from pg_user_mappings.umoptions.
test_catalog_secrets_redacted_when_their_relation_is_read if {
	s := stmt({"tables": ["pg_catalog.pg_user_mappings"], "columns": ["pg_catalog.pg_user_mappings.umoptions"]})
	m := sql.masks with input as doc(staging, agent, [s])
	{"column": "pg_user_mappings.umoptions", "strategy": "redact"} in m
	not {"column": "pg_user_mapping.umoptions", "strategy": "redact"} in m
	other := sql.masks with input as doc(staging, agent, [stmt({"tables": ["users"]})])
	count([r | some r in other; r.column]) == 0
	count({m | some m in sql.masks with input as doc(staging, human, [s])}) == 0
}

test_star_not_masked_for_humans if {
	m := sql.masks with input as doc(staging, human, [stmt({"columns": ["*"]})])
	count(m) == 0
}

test_agent_gets_detector_masks if {
	m := sql.masks with input as doc(staging, agent, [stmt({})])
	{"detector": "email", "strategy": "partial"} in m
	{"detector": "credit_card", "strategy": "partial", "keep": 4} in m
	{"detector": "us_ssn", "strategy": "redact"} in m
}

test_columns_in_inner_statements_masked if {
	s := stmt({"inner": [inner({"type": "delete", "columns": ["users.ssn"]}, "cte")]})
	m := sql.masks with input as doc(staging, agent, [s])
	{"column": "users.ssn", "strategy": "redact"} in m
}

test_human_not_masked if {
	s := stmt({"columns": ["users.email"]})
	count(sql.masks) == 0 with input as doc(prod, human, [s])
}

test_column_patterns_configurable if {
	s := stmt({"columns": ["users.email", "users.salary"]})
	m := sql.masks with input as doc(staging, agent, [s])
		with data.portcullis.config as {"sensitive_columns": [{"pattern": "salary", "strategy": "null"}], "detectors": []}
	m == {{"column": "users.salary", "strategy": "null"}}
}

test_not_sql_no_opinion if {
	d := {"subject": agent, "resource": prod, "action": {"type": "shell", "shell": {"raw": "ls", "parsed": true, "commands": [], "substitutions": false, "redirects": [], "interpreter_pipes": [], "opaque": []}}}
	count(sql.deny) == 0 with input as d
	count(sql.approve) == 0 with input as d
	count(sql.masks) == 0 with input as d
}
