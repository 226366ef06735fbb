/*
 * sh.h: the shell's commands (sh_files.c, sh_system.c, sh_net.c) and its
 * start-up.
 * Each command takes its words, command name first, prints what it has to
 * say, and returns 0 or 1.
 */
#ifndef SH_H
#define SH_H

#include "ulib.h"

int sh_ls(int argc, char **argv);
int sh_cat(int argc, char **argv);
int sh_echo(int argc, char **argv);
int sh_mkdir(int argc, char **argv);
int sh_rm(int argc, char **argv);
int sh_mv(int argc, char **argv);
int sh_stat(int argc, char **argv);
int sh_crc32(int argc, char **argv);
int sh_readbench(int argc, char **argv);
int sh_lspci(int argc, char **argv);
int sh_kill(int argc, char **argv);
int sh_ifconfig(int argc, char **argv);
int sh_netstat(int argc, char **argv);
int sh_help(int argc, char **argv);

/* Connects to the console (stdio) and the services; < 0 if it cannot. */
int sh_connect(void);

#endif
