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

# Cloud instance metadata services hand the host's own credentials to whoever asks from it: a
# guarded client has no business there, whoever it runs for. The URL parser already turned
# numeric spellings (`http://2852039166/`, `0xa9fea9fe`) into dotted form; a name that resolves
# there (DNS) is not seen.
metadata_names := {
	"metadata", "metadata.google.internal", "metadata.goog", "instance-data",
	"instance-data.ec2.internal", "metadata.azure.internal", "100.100.100.200", "fd00:ec2::254",
}

metadata_host(h) if h in metadata_names

# Link-local IPv4 (169.254.169.254, ECS 169.254.170.2), also IPv4-mapped in IPv6.
metadata_host(h) if regex.match(`^169\.254\.[0-9]+\.[0-9]+$`, h)

metadata_host(h) if regex.match(`^::ffff:(169\.254\.|a9fe:)`, h)

deny contains {"rule": "http.cloud_metadata", "message": msg} if {
	is_http
	host := lower(trim_suffix(input.action.http.host, "."))
	metadata_host(host)
	msg := sprintf("%s is a cloud metadata service, which hands out the host's own credentials", [host])
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
