# HTTP APIs: writes by masked-out subjects (agents) on production are held; personal data in
# JSON bodies is masked for masked subjects by JSONPath and by value detectors.
package portcullis.http

import rego.v1

import data.portcullis.lib

is_http if input.action.type == "http"

write_methods := {"POST", "PUT", "PATCH", "DELETE"}

deny contains {"rule": "http.missing_facts", "message": "HTTP action carries no HTTP facts"} if {
	is_http
	not input.action.http
}

approve contains {"rule": "http.agent_write_on_prod", "message": msg} if {
	is_http
	lib.is_agent
	lib.is_prod
	method := upper(input.action.http.method)
	method in write_methods
	msg := sprintf("agent %s sends %s %s to %s", [input.subject.id, method, input.action.http.path, lib.resource_desc])
}

masks contains lib.mask("path", entry.path, entry) if {
	is_http
	lib.masked_subject
	some entry in lib.setting("http_mask_paths")
}

masks contains lib.mask("detector", entry.detector, entry) if {
	is_http
	lib.masked_subject
	some entry in lib.setting("detectors")
}
