#!/usr/bin/perl
# Types a script into the reference system's shell the way a person would:
# waits for the prompt, types one line, waits for the next prompt, and so on,
# so that each command's output comes before the next command is typed and
# the transcript reads in order. A script line that starts with "!" is run on
# the host with sh when its prompt comes (the guest's output is read on
# meanwhile), and the next line is typed after it ends. "^@" in a line is
# typed as a NUL byte (the console echoes it as "^@"). Perl (perl-base) is on every Debian system.
#
#   session.pl SCRIPT TRANSCRIPT TIMEOUT_S -- QEMU-COMMAND...
#
# QEMU's serial port must be "-serial unix:SOCKET,server=on,wait=on" where
# SOCKET is the environment variable SESSION_SOCKET. Writes everything the
# guest printed to TRANSCRIPT (carriage returns removed) and exits with
# QEMU's exit status, or 124 if the time ran out.
use strict;
use warnings;
use IO::Socket::UNIX;
use IO::Select;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);

my ($script, $transcript, $limit, $dashes, @qemu) = @ARGV;
die "usage: session.pl SCRIPT TRANSCRIPT TIMEOUT -- QEMU...\n" unless $dashes && $dashes eq '--';
my $socket_path = $ENV{SESSION_SOCKET} or die "SESSION_SOCKET is not set\n";

open(my $in, '<', $script) or die "$script: $!\n";
my @lines = <$in>;
close($in);

unlink($socket_path);
my $pid = fork();
die "fork: $!\n" unless defined $pid;
if ($pid == 0) {
	open(STDIN, '<', '/dev/null');
	exec(@qemu) or die "exec $qemu[0]: $!\n";
}

my $deadline = time() + $limit;
my $serial;
while (!$serial && time() < $deadline) {
	$serial = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $socket_path);
	sleep(0.05) unless $serial;
}
die "cannot connect to QEMU's serial port at $socket_path\n" unless $serial;

open(my $out, '>', $transcript) or die "$transcript: $!\n";
my $select = IO::Select->new($serial);
my $seen = '';     # output since the last line was typed
my $host;          # the pid of a host command that runs, if one does
my $status;
# Types the next line, or starts the host command it names. A host command
# runs in the background: the guest's output is read meanwhile, or its
# serial port would fill and stall the guest.
sub next_line {
	return if defined $host || !@lines;
	my $line = shift(@lines);
	if ($line =~ /^!(.*)/) {
		$host = fork();
		die "fork: $!\n" unless defined $host;
		if ($host == 0) {
			exec('sh', '-c', $1) or exit(127);
		}
		return;
	}
	$line =~ s/\^@/\0/g;
	syswrite($serial, $line);
	$seen = '';
}
while (1) {
	if (time() > $deadline) {
		kill('TERM', $host) if defined $host;
		kill('TERM', $pid);
		waitpid($pid, 0);
		print $out "\n[session.pl: timed out after $limit s]\n";
		close($out);
		exit(124);
	}
	if (defined $host && waitpid($host, WNOHANG) == $host) {
		# The host command is done: the prompt is still there.
		undef $host;
		next_line();
	}
	if ($select->can_read(0.1)) {
		my $n = sysread($serial, my $chunk, 4096);
		if (!$n) {
			last;    # QEMU closed the port: it is exiting
		}
		$chunk =~ s/\r//g;
		print $out $chunk;
		$seen .= $chunk;
		# The prompt at the end of the output: type the next line (or run
		# the host command). The servers' log lines (each written whole by
		# the kernel) may land after the prompt: look with them cut out.
		# A server's name starts a word: "lspci: no PCI server" is the
		# shell's own line, and cutting it hid the prompt after it.
		(my $shell = $seen) =~ s/\b(?:init|fs|pci|blk|eth|net|console|kserve|udpecho): [^\n]*\n//g;
		next_line() if $shell =~ /(^|\n)\$ $/;
	}
	my $done = waitpid($pid, WNOHANG);
	if ($done == $pid) {
		$status = $? >> 8;
		last;
	}
}
waitpid($host, 0) if defined $host;
unless (defined $status) {
	waitpid($pid, 0);
	$status = $? >> 8;
}
close($out);
exit($status);
