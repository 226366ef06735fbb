/*
 * parse.c: runs the scanner and parser over one registered source.
 */
#include "parse.h"
#include "parser.h"

/* The scanner's header names the parser's value and location types. */
#define YYSTYPE IDLC_YYSTYPE
#define YYLTYPE loc
#include "lexer.h"

int idlc_scan(IDLC_YYSTYPE *lval, loc *lloc, yyscan_t scanner);

int idlc_yylex(IDLC_YYSTYPE *lval, loc *lloc, void *scanner)
{
	parse_ctx *p = idlc_yyget_extra(scanner);
	int token = idlc_scan(lval, lloc, scanner);
	p->previous_token = p->last_token;
	p->previous_loc = p->last_loc;
	p->last_token = token;
	p->last_loc = *lloc;
	return token;
}

file *parse_file(arena *a, diag_ctx *d, const char *path, uint32_t source)
{
	parse_ctx p = {.arena = a, .diag = d, .source = source};
	p.file = arena_alloc(a, sizeof(file));
	p.file->path = path;
	p.file->source = source;

	const struct source *src = diag_source(d, source);
	yyscan_t scanner;
	if (idlc_yylex_init_extra(&p, &scanner) != 0) {
		diag_error(d, "internal-error", (loc){0}, "cannot start the scanner");
		return p.file;
	}
	YY_BUFFER_STATE buf = idlc_yy_scan_bytes(src->text, (int)src->size, scanner);
	unsigned errors_before = d->errors;
	idlc_yyparse(scanner, &p);
	p.file->had_syntax_errors = d->errors > errors_before;
	idlc_yy_delete_buffer(buf, scanner);
	idlc_yylex_destroy(scanner);
	return p.file;
}
