/*
 * sh.c: the reference system's shell, on the serial console. It reads a
 * line, splits it into words (double quotes keep spaces in one word), and
 * runs one of its commands, each written on the libc shim's POSIX calls, so
 * that every file operation is a request to the file server. `poweroff`
 * ends the shell with status 0, which init takes as the end of a
 * successful session. Standard input that is not a person works as well:
 * a script piped into QEMU's serial port is typed line by line.
 */
#include "sh.h"
#include "posix.h"

#define LINE_BYTES 512
#define MAX_WORDS  32

enum {
	SPLIT_OPEN_QUOTE = -1,
	SPLIT_TOO_MANY = -2 /* a command cut short could do something else */
};

/*
 * Splits line into words in place: spaces separate, double quotes group
 * (and are dropped). Returns the count, SPLIT_OPEN_QUOTE, or
 * SPLIT_TOO_MANY for more than max words.
 */
static int split(char *line, char **words, int max)
{
	int n = 0;
	char *in = line, *out = line;
	for (;;) {
		while (*in == ' ' || *in == '\t')
			in++;
		if (*in == 0 || *in == '\n' || *in == '\r')
			return n;
		if (n == max)
			return SPLIT_TOO_MANY;
		words[n++] = out;
		bool quoted = false;
		while (*in && *in != '\n' && *in != '\r' &&
		       (quoted || (*in != ' ' && *in != '\t'))) {
			if (*in == '"')
				quoted = !quoted;
			else
				*out++ = *in;
			in++;
		}
		if (quoted)
			return SPLIT_OPEN_QUOTE;
		bool end = *in == 0 || *in == '\n' || *in == '\r';
		if (!end)
			in++;
		*out++ = 0;
		if (end)
			return n;
	}
}

/* A command, the words it takes after its name (max -1: any number; the
 * shell checks the count, so a command need not), and its line in help,
 * which starts with its synopsis. */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	int min_args, max_args;
	const char *usage;
} commands[] = {
    {"ls", sh_ls, 0, 2, "ls [-l] [PATH]      list a directory (one name per line)"},
    {"cat", sh_cat, 1, -1, "cat FILE...         print files"},
    {"echo", sh_echo, 0, -1, "echo WORD... [> FILE | >> FILE]"},
    {"mkdir", sh_mkdir, 1, 1, "mkdir PATH          make a directory"},
    {"rm", sh_rm, 1, 1, "rm PATH             remove a file or an empty directory"},
    {"mv", sh_mv, 2, 2, "mv FROM TO          rename or move"},
    {"stat", sh_stat, 1, 1, "stat PATH           what the file system knows of a file"},
    {"crc32", sh_crc32, 1, 1, "crc32 FILE          the CRC-32 of a file's bytes, in hex"},
    {"readbench", sh_readbench, 1, 1, "readbench FILE      read a file inline and shared, timed"},
    {"lspci", sh_lspci, 0, 0, "lspci               the PCI functions the PCI server found"},
    {"kill", sh_kill, 1, 1, "kill SERVICE        end a server (init starts it again)"},
    {"ifconfig", sh_ifconfig, 0, 0,
     "ifconfig            the network interface: addresses, counters"},
    {"netstat", sh_netstat, 0, 0, "netstat             the network server's open sockets"},
    {"help", sh_help, 0, 0, "help                this list"},
};

/* Whether argc words fit the command; says how to use it when not. */
static bool arguments_fit(const struct command *c, int argc)
{
	int args = argc - 1;
	if (args >= c->min_args && (c->max_args < 0 || args <= c->max_args))
		return true;
	int synopsis = 0; /* up to the two spaces before the description */
	while (c->usage[synopsis] && !(c->usage[synopsis] == ' ' && c->usage[synopsis + 1] == ' '))
		synopsis++;
	printf("usage: %.*s\n", synopsis, c->usage);
	return false;
}

int sh_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %s\n", commands[i].usage);
	printf("  poweroff            end the session\n");
	return 0;
}

int umain(const char *args, long nhandles)
{
	(void)args, (void)nhandles;
	if (sh_connect() < 0)
		return 1;
	printf("sh: the idlc reference system; \"help\" lists the commands\n");
	static char line[LINE_BYTES];
	for (;;) {
		printf("$ ");
		long length = read_stdin_line(line, sizeof(line));
		if (length < 0)
			return 1;
		/* A NUL byte would end the words early and run what came before it. */
		if (strlen(line) != (size_t)length) {
			printf("sh: the line holds a NUL byte; nothing was run\n");
			continue;
		}
		char *words[MAX_WORDS];
		int n = split(line, words, MAX_WORDS);
		if (n == SPLIT_OPEN_QUOTE) {
			printf("sh: a quote is not closed\n");
			continue;
		}
		if (n == SPLIT_TOO_MANY) {
			printf("sh: more than %d words; nothing was run\n", MAX_WORDS);
			continue;
		}
		if (n == 0)
			continue;
		if (strcmp(words[0], "poweroff") == 0) {
			printf("sh: powering off\n");
			fflush_stdout();
			files_shutdown();
			return 0;
		}
		size_t i = 0;
		while (i < sizeof(commands) / sizeof(commands[0]) &&
		       strcmp(commands[i].name, words[0]))
			i++;
		if (i == sizeof(commands) / sizeof(commands[0]))
			printf("sh: %s: no such command (\"help\" lists them)\n", words[0]);
		else if (arguments_fit(&commands[i], n))
			commands[i].run(n, words);
	}
}
