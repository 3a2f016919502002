# File operations over sftp and scp (`action.type == "file"`, docs/policy-contract.md):
# changes under system directories are denied on every resource, a change whose path climbs
# with `..` is denied (paths are not canonicalised, so `/tmp/../etc` must not pass for
# `/tmp`), removals on production are held for agents, and everything else is allowed.
# Reads and listings by a masked subject carry the value detectors, as `cat` and `ls` through
# exec do: the SSH adapter masks a listing's names and refuses a file transfer it cannot mask,
# so masked subjects cannot download files unless `mask_file_reads` is false.
package portcullis.files

import rego.v1

import data.portcullis.lib

is_file if input.action.type == "file"

file := input.action.file if is_file

# Operations that change the file system; `read` and `list` do not.
change_ops := {"write", "remove", "rename", "mkdir", "rmdir", "setstat", "symlink"}

is_change if file.operation in change_ops

# Directories whose contents a file transfer may not change, relative to /; operators
# replace the list with data.portcullis.config.file_protected_dirs.
default_protected_dirs := ["etc", "boot", "usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "var/lib"]

protected_dirs := dirs if {
	dirs := data.portcullis.config.file_protected_dirs
} else := default_protected_dirs

# /etc, //etc/x, /./usr/bin/x, /var//lib/dpkg …: the directory itself or anything in it.
protected_path(p) if {
	some dir in protected_dirs
	pattern := sprintf(`^/+(\./+)*%s(/|$)`, [replace(dir, "/", "/+")])
	regex.match(pattern, p)
}

parent_segment(p) if regex.match(`(^|/)\.\.(/|$)`, p)

# The paths an operation changes: both ends of a rename, the link (not what it points to).
changed_paths contains file.path if is_change

changed_paths contains file.target if {
	is_change
	file.operation == "rename"
	file.target
}

# ---------------------------------------------------------------------------------------
# deny

deny contains {"rule": "files.missing_facts", "message": "file action carries no file facts"} if {
	is_file
	not input.action.file
}

deny contains {"rule": "files.system_path", "message": msg} if {
	some p in changed_paths
	protected_path(p)
	msg := sprintf("%s of %s: system directories cannot be changed over %s", [file.operation, p, file.protocol])
}

deny contains {"rule": "files.parent_segment", "message": msg} if {
	some p in changed_paths
	parent_segment(p)
	msg := sprintf("%s of %s: spell the path out without `..`", [file.operation, p])
}

# ---------------------------------------------------------------------------------------
# approve

approve contains {"rule": "files.agent_remove_on_prod", "message": msg} if {
	file.operation in {"remove", "rmdir"}
	lib.is_prod
	lib.is_agent
	msg := sprintf("an agent removing %s on %s needs approval", [file.path, lib.resource_desc])
}

# ---------------------------------------------------------------------------------------
# masks

masks contains lib.mask("detector", entry.detector, entry) if {
	file.operation in {"read", "list"}
	lib.masked_subject
	lib.setting("mask_file_reads")
	some entry in lib.setting("detectors")
}
