# transcript.sh: what the kernel tests do with a guest's serial transcript,
# sourced by them.
#
# The servers and init log through the kernel, which writes each line whole;
# the shell writes through the console server; both share COM1, so a log
# line may land in the middle of one of the shell's. strip_log_lines cuts
# whole log lines out wherever they start (session.pl does the same when it
# looks for the prompt).

# The programs whose lines are logs, as a Perl pattern.
LOG_PREFIXES='init|fs|pci|blk|eth|net|console|kserve|udpecho'

# strip_log_lines IN OUT [MORE_PREFIXES]
strip_log_lines() {
	perl -0pe "s/(?:$LOG_PREFIXES${3:+|$3}): [^\\n]*\\n//g" "$1" >"$2"
}

# expect FILE TEXT: TEXT is in FILE, or the test fails (bad=1) saying so.
expect_in() {
	if ! grep -qaF -- "$2" "$1"; then
		echo "missing from $(basename "$1"): $2"
		bad=1
	fi
}
