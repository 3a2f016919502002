package portcullis.lib_test

import rego.v1

import data.portcullis.lib

prod_db := {"type": "postgres", "name": "prod-db", "labels": {"env": "prod", "team": "payments"}}

staging_db := {"type": "postgres", "name": "staging-db", "labels": {"env": "staging"}}

test_prod_by_default_label if {
	lib.is_prod with input.resource as prod_db
}

test_not_prod_without_label if {
	not lib.is_prod with input.resource as staging_db
}

test_not_prod_with_no_labels if {
	not lib.is_prod with input.resource as {"type": "ssh", "name": "web-1", "labels": {}}
}

test_prod_selector_configurable if {
	lib.is_prod with input.resource as {"type": "ssh", "name": "web-1", "labels": {"tier": "production", "region": "eu"}}
		with data.portcullis.config as {"prod_selectors": [{"tier": "production"}]}
}

test_prod_selector_replaces_default if {
	not lib.is_prod with input.resource as prod_db
		with data.portcullis.config as {"prod_selectors": [{"tier": "production"}]}
}

test_prod_selector_all_labels_must_match if {
	not lib.is_prod with input.resource as {"type": "ssh", "name": "x", "labels": {"tier": "production"}}
		with data.portcullis.config as {"prod_selectors": [{"tier": "production", "region": "eu"}]}
}

test_prod_selector_value_list if {
	lib.is_prod with input.resource as {"type": "ssh", "name": "x", "labels": {"env": "production"}}
		with data.portcullis.config as {"prod_selectors": [{"env": ["prod", "production"]}]}
}

test_empty_selector_matches_nothing if {
	not lib.is_prod with input.resource as staging_db
		with data.portcullis.config as {"prod_selectors": [{}]}
}

test_prod_by_resource_name if {
	lib.is_prod with input.resource as staging_db
		with data.portcullis.config as {"prod_resources": ["staging-db"]}
}

test_agent_is_masked_by_default if {
	lib.masked_subject with input.subject as {"id": "bot", "kind": "agent", "groups": [], "claims": {}}
}

test_human_is_not_masked_by_default if {
	not lib.masked_subject with input.subject as {"id": "alice", "kind": "human", "groups": [], "claims": {}}
}

test_masked_subject_kinds_configurable if {
	lib.masked_subject with input.subject as {"id": "alice", "kind": "human", "groups": [], "claims": {}}
		with data.portcullis.config as {"mask_subject_kinds": ["human", "agent"]}
}

test_setting_falls_back_to_default if {
	lib.setting("approval_ttl") == "15m" with data.portcullis.config as {"approval_quorum": 2}
	lib.setting("approval_quorum") == 2 with data.portcullis.config as {"approval_quorum": 2}
}

test_mask_with_and_without_keep if {
	lib.mask("column", "users.card", {"strategy": "partial", "keep": 4}) == {"column": "users.card", "strategy": "partial", "keep": 4}
	lib.mask("column", "users.email", {"strategy": "partial"}) == {"column": "users.email", "strategy": "partial"}
}

test_last_segment if {
	lib.last_segment("public.users.email") == "email"
	lib.last_segment("email") == "email"
}

test_resource_desc if {
	lib.resource_desc == "production resource \"prod-db\"" with input.resource as prod_db
	lib.resource_desc == "resource \"staging-db\"" with input.resource as staging_db
}

alice := {"id": "alice@example.com", "kind": "human", "groups": ["dba"], "claims": {}}

test_waiver_exact_rule if {
	lib.waived("sql.drop_on_prod") with input.subject as alice with input.resource as prod_db
		with data.portcullis.config as {"overrides": [{"rule": "sql.drop_on_prod", "resources": ["prod-db"]}]}
}

test_waiver_wildcard_rule if {
	lib.waived("sql.truncate_on_prod") with input.subject as alice with input.resource as prod_db
		with data.portcullis.config as {"overrides": [{"rule": "sql.*", "subjects": ["alice@example.com"]}]}
}

test_waiver_other_resource_not_waived if {
	not lib.waived("sql.drop_on_prod") with input.subject as alice with input.resource as prod_db
		with data.portcullis.config as {"overrides": [{"rule": "sql.drop_on_prod", "resources": ["scratch-db"]}]}
}

test_waiver_other_subject_not_waived if {
	not lib.waived("sql.drop_on_prod") with input.subject as alice with input.resource as prod_db
		with data.portcullis.config as {"overrides": [{"rule": "sql.drop_on_prod", "subjects": ["bob@example.com"]}]}
}

test_waiver_by_group if {
	lib.waived("sql.drop_on_prod") with input.subject as alice with input.resource as prod_db
		with data.portcullis.config as {"overrides": [{"rule": "sql.drop_on_prod", "groups": ["dba"]}]}
	not lib.waived("sql.drop_on_prod") with input.subject as alice with input.resource as prod_db
		with data.portcullis.config as {"overrides": [{"rule": "sql.drop_on_prod", "groups": ["sre"]}]}
}

test_waiver_other_rule_not_waived if {
	not lib.waived("shell.sudo") with input.subject as alice with input.resource as prod_db
		with data.portcullis.config as {"overrides": [{"rule": "sql.*"}]}
}

test_no_waivers_by_default if {
	not lib.waived("sql.drop_on_prod") with input.subject as alice with input.resource as prod_db
}
