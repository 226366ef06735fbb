#!/usr/bin/perl
# check_diagnostics_doc.pl IDLC DOC COMPILER_DIR: docs/diagnostics.md is
# the reference of idlc's diagnostic codes, and this keeps it honest:
#  - every code the compiler's sources give diag_error/diag_warning has an
#    entry (### `code`), and every entry is a code the sources use;
#  - every entry's bad example (```idl bad blocks; a name after "bad" is
#    another file beside it) makes `idlc --check main.idl` print [code],
#    and its fix (```idl fix) makes idlc print nothing and exit 0;
#  - an entry without examples says "No example".
use strict;
use warnings;
use File::Spec;
use File::Temp qw(tempdir);

my ($idlc, $doc, $src) = @ARGV;
die "usage: $0 IDLC DOC COMPILER_DIR\n" unless defined $src;
$idlc = File::Spec->rel2abs($idlc);

my %used;
for my $file (glob("$src/*.c"), glob("$src/*.y"), glob("$src/*.l")) {
	open my $fh, '<', $file or die "$file: $!";
	local $/;
	my $text = <$fh>;
	$used{$1} = 1 while $text =~ /diag_(?:error|warning)\(\s*[^,]+,\s*"([a-z0-9-]+)"/g;
}

open my $fh, '<', $doc or die "$doc: $!";
my (%entries, $code, $block, $kind, $name);
my @order;
while (my $line = <$fh>) {
	if (defined $block) {
		if ($line =~ /^```\s*$/) {
			$entries{$code}{$kind}{$name} = $block;
			undef $block;
		} else {
			$block .= $line;
		}
		next;
	}
	if ($line =~ /^### `([a-z0-9-]+)`/) {
		$code = $1;
		die "$doc: two entries for $code\n" if exists $entries{$code};
		$entries{$code} = {bad => {}, fix => {}, text => ''};
		push @order, $code;
		next;
	}
	next unless defined $code;
	if ($line =~ /^```idl (bad|fix)(?: (\S+))?\s*$/) {
		($kind, $name, $block) = ($1, $2 // 'main.idl', '');
		next;
	}
	$entries{$code}{text} .= $line;
}

my $failures = 0;
sub fail { print "FAIL: @_\n"; $failures++; }

for my $c (sort keys %used) {
	fail("code $c is used by the compiler but has no entry in $doc") unless $entries{$c};
}

# Runs idlc on a set of files in a fresh directory: (output, exit status).
sub run_case {
	my ($files) = @_;
	my $dir = tempdir(CLEANUP => 1);
	for my $n (keys %$files) {
		open my $out, '>', "$dir/$n" or die "$dir/$n: $!";
		print $out $files->{$n};
		close $out;
	}
	my $output = `cd '$dir' && '$idlc' --check main.idl 2>&1`;
	return ($output, $? >> 8);
}

my $checked = 0;
for my $c (@order) {
	my $e = $entries{$c};
	fail("entry $c: no such code in the compiler") unless $used{$c};
	if (!%{$e->{bad}}) {
		fail("entry $c has no example and does not say 'No example'")
		    unless $e->{text} =~ /No example/;
		next;
	}
	fail("entry $c has a bad example but no fix") unless %{$e->{fix}};
	my ($out, $status) = run_case($e->{bad});
	fail("entry $c: the bad example does not print [$c]:\n$out") unless $out =~ /\[\Q$c\E\]/;
	($out, $status) = run_case($e->{fix});
	fail("entry $c: the fix is not accepted without a word (status $status):\n$out")
	    if $status != 0 || $out ne '';
	$checked++;
}
print "$checked examples checked, " . scalar(@order) . " codes documented\n";
exit($failures ? 1 : 0);
