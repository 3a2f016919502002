# Shell lines (interactive `shell` and one-off SSH `exec`): destructive or download-and-run
# commands are denied, privilege, service, package, firewall and scheduler changes and whatever
# cannot be known statically are held; on production, so are an agent's recursive deletes and
# anyone's writes into system directories. The facts already unwrap wrappers (sudo, env, sh -c,
# xargs, find -exec …) and remove quoting, so every command is checked whatever its `via`, and
# words inside quoted arguments are data, not commands.
package portcullis.shell

import rego.v1

import data.portcullis.files
import data.portcullis.lib

is_shell if input.action.type in {"shell", "exec"}

commands := input.action.shell.commands if is_shell

shells := {"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish", "csh", "tcsh", "busybox"}

interpreters := shells | {"python", "python2", "python3", "perl", "ruby", "node", "nodejs", "php", "lua", "tclsh", "pwsh", "deno", "bun"}

# Programs that execute a script given by name: `bash <(…)`, `source <(…)`, `eval "$(…)"`.
script_runners := interpreters | {"source", ".", "eval"}

downloaders := {"curl", "wget", "fetch", "aria2c", "http", "https", "xh", "lwp-request", "GET"}

# Non-option arguments: paths and operands.
operands(c) := [a | some a in c.args; not startswith(a, "-")]

recursive(c) if {
	some f in c.flags
	f in {"-r", "-R", "--recursive"}
}

# /, //, /*, /. and the like.
root_path(p) if regex.match(`^/+(\.?/*)?\*?$`, p)

system_dir(p) if {
	dirs := concat("|", lib.setting("system_dirs"))
	regex.match(sprintf(`^/+(%s)/*(\.?/*)?\*?$`, [dirs]), p)
}

dangerous_path(p) if root_path(p)

dangerous_path(p) if system_dir(p)

block_device(p) if regex.match(`^/dev/(sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme[0-9]|mmcblk[0-9]|dm-[0-9]|md[0-9]|loop[0-9]|sr[0-9]|mapper/|disk/|mem$|kmem$|port$)`, p)

write_ops := {">", ">>", ">|", "&>", "&>>", "<>"}

via_text(c) := sprintf(" (via %s)", [concat(" → ", c.via)]) if count(c.via) > 0

else := ""

# ---------------------------------------------------------------------------------------
# deny

deny contains {"rule": "shell.missing_facts", "message": "shell action carries no shell facts"} if {
	is_shell
	not input.action.shell
}

deny contains {"rule": "shell.recursive_delete_root", "message": msg} if {
	some c in commands
	c.program == "rm"
	recursive(c)
	some target in operands(c)
	dangerous_path(target)
	msg := sprintf("recursive rm of %s%s", [target, via_text(c)])
}

deny contains {"rule": "shell.recursive_delete_root", "message": msg} if {
	some c in commands
	c.program == "find"
	some target in operands(c)
	dangerous_path(target)
	deletes_found(c)
	msg := sprintf("find %s deletes what it finds%s", [target, via_text(c)])
}

deletes_found(c) if "-delete" in c.args

deletes_found(c) if {
	some a in c.args
	a in {"-exec", "-execdir", "-ok", "-okdir"}
	"rm" in c.args
}

deny contains {"rule": "shell.filesystem_create", "message": msg} if {
	some c in commands
	mkfs(c.program)
	msg := sprintf("%s creates or wipes a filesystem: %s", [c.program, concat(" ", c.args)])
}

mkfs(program) if startswith(program, "mkfs")

mkfs(program) if program in {"mke2fs", "mkswap", "wipefs", "mkdosfs", "mkntfs"}

deny contains {"rule": "shell.block_device_write", "message": msg} if {
	some c in commands
	c.program == "dd"
	some a in c.args
	startswith(a, "of=")
	target := substring(a, 3, -1)
	block_device(target)
	msg := sprintf("dd writes to the block device %s", [target])
}

deny contains {"rule": "shell.block_device_write", "message": msg} if {
	some r in all_redirects
	r.op in write_ops
	block_device(r.target)
	msg := sprintf("redirect %s writes to the block device %s", [r.op, r.target])
}

deny contains {"rule": "shell.block_device_write", "message": msg} if {
	some c in commands
	c.program in {"shred", "tee", "cp", "blkdiscard", "badblocks", "cat", "pv"}
	some target in operands(c)
	block_device(target)
	not c.program in {"cat", "pv"}
	msg := sprintf("%s writes to the block device %s", [c.program, target])
}

all_redirects contains r if {
	is_shell
	some r in input.action.shell.redirects
}

all_redirects contains r if {
	some c in commands
	some r in c.redirects
}

deny contains {"rule": "shell.fork_bomb", "message": msg} if {
	some c in commands
	c.recursive == true
	fork_shape(c)
	msg := sprintf("function %q calls itself in a pipeline or in the background: a fork bomb", [c.program])
}

fork_shape(c) if c.piped == true

fork_shape(c) if c.background == true

deny contains {"rule": "shell.shutdown", "message": msg} if {
	some c in commands
	c.program in {"shutdown", "reboot", "halt", "poweroff", "kexec"}
	msg := sprintf("%s stops or restarts the host%s", [c.program, via_text(c)])
}

deny contains {"rule": "shell.shutdown", "message": msg} if {
	some c in commands
	c.program in {"init", "telinit"}
	some a in c.args
	a in {"0", "6"}
	msg := sprintf("%s %s stops or restarts the host", [c.program, a])
}

deny contains {"rule": "shell.shutdown", "message": msg} if {
	some c in commands
	c.program == "systemctl"
	some a in c.args
	a in {"poweroff", "reboot", "halt", "kexec", "emergency", "rescue", "soft-reboot"}
	msg := sprintf("systemctl %s stops or restarts the host", [a])
}

# kill 1 ends init, which takes the host down; kill -1 (as a target) signals every process.
deny contains {"rule": "shell.shutdown", "message": msg} if {
	some c in commands
	c.program == "kill"
	some i, a in c.args
	kills_everything(a, i)
	not signal_value(c.args, i)
	msg := sprintf("kill %s signals %s%s", [concat(" ", c.args), target_desc(a), via_text(c)])
}

# The value of `-s` or `-n` is a signal, not a process: kill -s 1 1234.
signal_value(args, i) if {
	i > 0
	args[i - 1] in {"-s", "-n"}
}

deny contains {"rule": "shell.shutdown", "message": msg} if {
	some c in commands
	c.program == "killall5"
	msg := sprintf("killall5 signals every process%s", [via_text(c)])
}

kills_everything(a, _) if a == "1"

# `-1` first is a signal number (kill -1 1234 sends SIGHUP); after it, the target -1.
kills_everything(a, i) if {
	a == "-1"
	i > 0
}

target_desc("1") := "init (PID 1), which stops the host"

target_desc("-1") := "every process it may"

deny contains {"rule": "shell.recursive_permission_root", "message": msg} if {
	some c in commands
	c.program in {"chmod", "chown", "chgrp", "setfacl"}
	recursive(c)
	some target in operands(c)
	dangerous_path(target)
	msg := sprintf("recursive %s of %s%s", [c.program, target, via_text(c)])
}

# curl … | sh, wget -O- | sudo bash: the facts pair each interpreter with its feeder.
deny contains {"rule": "shell.download_execute", "message": msg} if {
	is_shell
	some p in input.action.shell.interpreter_pipes
	p.from in downloaders
	msg := sprintf("output of %s is piped into %s", [p.from, p.to])
}

# curl … | tee x | python: a downloader earlier in the line than a piped interpreter.
deny contains {"rule": "shell.download_execute", "message": msg} if {
	some i, d in commands
	d.program in downloaders
	not d.in_substitution
	some j, c in commands
	j > i
	c.piped == true
	c.program in interpreters
	c.piped_from != d.program # a direct pipe is reported by the rule above
	msg := sprintf("output of %s reaches %s through a pipeline", [d.program, c.program])
}

# bash <(curl …), source <(wget -O- …), bash -c "$(curl …)", eval "$(curl …)".
deny contains {"rule": "shell.download_execute", "message": msg} if {
	some d in commands
	d.program in downloaders
	d.in_substitution == true
	some c in commands
	c.program in script_runners
	some a in c.args
	substitution_word(a)
	msg := sprintf("%s runs what %s downloads (%s)", [c.program, d.program, a])
}

substitution_word(a) if contains(a, "<(")

substitution_word(a) if contains(a, "$(")

substitution_word(a) if contains(a, "`")

deny contains {"rule": "shell.pipe_to_shell", "message": msg} if {
	some c in commands
	c.piped == true
	c.program in shells
	msg := sprintf("output of %s is piped into the shell %s%s", [object.get(c, "piped_from", "a command"), c.program, via_text(c)])
}

# ---------------------------------------------------------------------------------------
# approve

approve contains {"rule": "shell.privilege_escalation", "message": msg} if {
	some c in commands
	c.program in {"sudo", "su", "doas", "pkexec", "runuser", "sudoedit"}
	msg := sprintf("%s runs as another user: %s", [c.program, concat(" ", array.concat([c.program], c.args))])
}

service_verbs := {
	"start", "stop", "restart", "reload", "try-restart", "reload-or-restart", "force-reload",
	"enable", "disable", "reenable", "mask", "unmask", "kill", "isolate", "daemon-reload",
	"set-default", "edit", "link", "preset", "revert", "set-property",
}

approve contains {"rule": "shell.service_change", "message": msg} if {
	some c in commands
	c.program == "systemctl"
	some a in operands(c)
	a in service_verbs
	msg := sprintf("systemctl %s changes services: %s", [a, concat(" ", c.args)])
}

approve contains {"rule": "shell.service_change", "message": msg} if {
	some c in commands
	c.program in {"service", "rc-service", "invoke-rc.d"}
	some a in c.args
	a in service_verbs
	msg := sprintf("%s changes services: %s", [c.program, concat(" ", c.args)])
}

# Firewall and scheduler changes change the host as a service change does.
firewall_change(c) if {
	c.program in {"iptables", "ip6tables", "iptables-legacy", "ip6tables-legacy", "iptables-nft", "ip6tables-nft"}
	some a in c.args
	a in {"-F", "--flush", "-X", "--delete-chain", "-P", "--policy", "-D", "--delete", "-A", "--append", "-I", "--insert", "-R", "--replace", "-Z", "--zero", "-N", "--new-chain", "-E", "--rename-chain"}
}

firewall_change(c) if {
	c.program in {"iptables-restore", "ip6tables-restore"}
}

firewall_change(c) if {
	c.program == "nft"
	some a in operands(c)
	a in {"flush", "delete", "add", "insert", "replace", "create", "destroy", "reset"}
}

firewall_change(c) if {
	c.program == "nft"
	"-f" in c.args
}

firewall_change(c) if {
	c.program == "ufw"
	some a in operands(c)
	a in {"enable", "disable", "reset", "reload", "allow", "deny", "reject", "limit", "delete", "insert", "default", "route"}
}

firewall_change(c) if {
	c.program == "firewall-cmd"
	some a in c.args
	not a in {"--state", "--list-all", "--list-all-zones", "--get-active-zones", "--get-default-zone", "--list-services", "--list-ports"}
	startswith(a, "--")
}

approve contains {"rule": "shell.host_config_change", "message": msg} if {
	some c in commands
	firewall_change(c)
	msg := sprintf("%s changes the firewall: %s", [c.program, concat(" ", c.args)])
}

approve contains {"rule": "shell.host_config_change", "message": msg} if {
	some c in commands
	c.program == "crontab"
	some a in c.args
	a in {"-r", "-ir"}
	msg := sprintf("crontab %s removes the scheduled jobs", [concat(" ", c.args)])
}

# On production, an agent's recursive delete of anything (the root and system directories are
# denied above for everyone) waits for a person: `rm -rf /var/lib/postgresql` is one line.
approve contains {"rule": "shell.agent_recursive_delete_on_prod", "message": msg} if {
	lib.is_agent
	lib.is_prod
	some c in commands
	recursive_delete(c)
	msg := sprintf("an agent deleting %s recursively on %s needs approval", [concat(" ", operands(c)), lib.resource_desc])
}

recursive_delete(c) if {
	c.program == "rm"
	recursive(c)
}

recursive_delete(c) if {
	c.program == "find"
	deletes_found(c)
}

# A database client run on a host talks to the database past the gateway's own database
# resources, where statements are decided and results masked: on production an agent's use of
# one waits for a person (`psql -c "DROP TABLE users"`, `pg_dump` of every table unmasked).
database_clients := {
	"psql", "pg_dump", "pg_dumpall", "pg_restore", "mysql", "mariadb", "mysqldump", "mariadb-dump",
	"sqlite3", "mongo", "mongosh", "mongodump", "mongoexport", "redis-cli", "cqlsh",
	"clickhouse-client", "sqlcmd",
}

approve contains {"rule": "shell.agent_database_client_on_prod", "message": msg} if {
	lib.is_agent
	lib.is_prod
	some c in commands
	c.program in database_clients
	msg := sprintf("an agent running %s on %s reaches the database past its policy; use the database resource", [c.program, lib.resource_desc])
}

# Programs that re-encode what they read (base64, hex dumps, another character set): their
# output is the same data in a form no detector reads (UTF-16 output is withheld by the SSH
# adapter; base64 is not). A masked subject's use of one waits for a person, on any resource,
# as masks apply on every resource.
output_encoders := {"base64", "base32", "basenc", "xxd", "od", "hexdump", "hd", "uuencode", "iconv", "recode"}

approve contains {"rule": "shell.masked_output_encoder", "message": msg} if {
	lib.masked_subject
	some c in commands
	c.program in output_encoders
	msg := sprintf("%s re-encodes what it reads, where the masks for %s could not read it", [c.program, input.subject.id])
}

# Writing into a system directory (as sftp may not: files.system_path) through the shell: a
# redirect, or a program that writes the file it is given. Held on production.
system_writes contains r.target if {
	some r in all_redirects
	r.op in write_ops
}

system_writes contains target if {
	some c in commands
	c.program in {"tee", "truncate", "shred", "sponge"}
	some target in operands(c)
}

system_writes contains target if {
	some c in commands
	c.program in {"cp", "mv", "install", "ln", "rsync"}
	ops := operands(c)
	count(ops) > 1
	target := ops[count(ops) - 1]
}

system_writes contains target if {
	some c in commands
	c.program == "sed"
	some f in c.flags
	startswith(f, "-i")
	some target in operands(c)
	startswith(target, "/")
}

system_writes contains target if {
	some c in commands
	c.program == "dd"
	some a in c.args
	startswith(a, "of=")
	target := substring(a, 3, -1)
}

approve contains {"rule": "shell.system_file_write", "message": msg} if {
	lib.is_prod
	some target in system_writes
	files.protected_path(target)
	msg := sprintf("writing %s changes a system directory on %s", [target, lib.resource_desc])
}

package_managers := {
	"apt": {"install", "remove", "purge", "upgrade", "full-upgrade", "dist-upgrade", "autoremove", "reinstall"},
	"apt-get": {"install", "remove", "purge", "upgrade", "dist-upgrade", "autoremove", "reinstall", "build-dep"},
	"aptitude": {"install", "remove", "purge", "upgrade", "safe-upgrade", "full-upgrade", "reinstall"},
	"yum": {"install", "remove", "erase", "update", "upgrade", "downgrade", "reinstall", "groupinstall", "localinstall"},
	"dnf": {"install", "remove", "erase", "update", "upgrade", "downgrade", "reinstall", "distro-sync", "swap"},
	"microdnf": {"install", "remove", "update", "upgrade"},
	"zypper": {"install", "in", "remove", "rm", "update", "up", "dist-upgrade", "dup", "patch"},
	"apk": {"add", "del", "upgrade", "fix"},
	"pacman": {"-S", "-R", "-U", "-Syu", "-Sy", "-Rs", "-Rns"},
	"snap": {"install", "remove", "refresh", "revert"},
	"flatpak": {"install", "uninstall", "update"},
	"dpkg": {"-i", "--install", "-r", "--remove", "-P", "--purge", "--unpack", "--configure"},
	"rpm": {"-i", "--install", "-U", "--upgrade", "-e", "--erase", "-F", "--freshen"},
	"pip": {"install", "uninstall"},
	"pip3": {"install", "uninstall"},
	"pipx": {"install", "uninstall", "upgrade", "reinstall"},
	"npm": {"install", "i", "uninstall", "remove", "rm", "update", "add", "ci"},
	"pnpm": {"install", "i", "add", "remove", "rm", "update", "up"},
	"yarn": {"add", "remove", "install", "upgrade"},
	"gem": {"install", "uninstall", "update"},
	"cargo": {"install", "uninstall"},
	"brew": {"install", "uninstall", "remove", "upgrade", "reinstall"},
}

approve contains {"rule": "shell.package_change", "message": msg} if {
	some c in commands
	verbs := package_managers[c.program]
	some a in c.args
	a in verbs
	msg := sprintf("%s %s changes installed packages", [c.program, a])
}

approve contains {"rule": "shell.opaque", "message": msg} if {
	is_shell
	some o in input.action.shell.opaque
	msg := sprintf("cannot be known before it runs (%s): %s", [o.reason, o.text])
}

approve contains {"rule": "shell.unparsed", "message": msg} if {
	is_shell
	input.action.shell.parsed == false
	msg := sprintf("the line does not parse: %s", [object.get(input.action.shell, "error", "no reason given")])
}

approve contains {"rule": "shell.dynamic_command", "message": msg} if {
	some c in commands
	c.dynamic == true
	msg := sprintf("the program %q is only known when the line runs", [c.path])
}

approve contains {"rule": "shell.inline_code", "message": msg} if {
	some c in commands
	is_string(c.inline_code)
	msg := sprintf("%s runs inline code: %s", [c.program, c.inline_code])
}

# bash <(…) without a download: a script that only exists when the line runs.
approve contains {"rule": "shell.substituted_script", "message": msg} if {
	some c in commands
	c.program in script_runners
	some a in c.args
	startswith(a, "<(")
	msg := sprintf("%s runs a script produced by %s", [c.program, a])
}

# ---------------------------------------------------------------------------------------
# masks

# What a command prints reaches a masked subject as it would through SQL or HTTP: the value
# detectors apply to exec output and, from the interactive shell request's decision, to the
# whole session.
masks contains lib.mask("detector", entry.detector, entry) if {
	is_shell
	lib.masked_subject
	some entry in lib.setting("detectors")
}

masks contains lib.mask("detector", entry.detector, entry) if {
	interactive_shell
	lib.masked_subject
	some entry in lib.setting("detectors")
}

# The SSH adapter decides an interactive shell request as `connect` with the pseudo command
# `shell`; each line typed in it is then decided as a `shell` action.
interactive_shell if {
	input.action.type == "connect"
	input.action.shell.commands[0].program == "shell"
}

# In an interactive shell what runs is only partly what is typed: aliases, functions and
# scripts written in the session run unseen (docs/adapters/ssh.md). On production an agent's
# interactive shell waits for a person; exec requests are decided line by line without it.
approve contains {"rule": "shell.agent_interactive_on_prod", "message": msg} if {
	interactive_shell
	lib.is_agent
	lib.is_prod
	msg := sprintf("an agent opening an interactive shell on %s needs approval; run commands with ssh host CMD instead", [lib.resource_desc])
}
