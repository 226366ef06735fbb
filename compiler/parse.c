/*
 * parse.c: runs the scanner and parser over one registered source, and
 * keeps what the parser's syntax errors need to know of the tokens it was
 * given (the last three, and the braces still open).
 */
#include "parse.h"
#include "parser.h"

/* The scanner's header names the parser's value and location types. */
#define YYSTYPE IDLC_YYSTYPE
#define YYLTYPE loc
#include "lexer.h"

#include <string.h>

int idlc_scan(IDLC_YYSTYPE *lval, loc *lloc, yyscan_t scanner);

static void open_brace(parse_ctx *p, loc at)
{
	if (p->brace_depth == p->brace_capacity) {
		size_t cap = p->brace_capacity ? p->brace_capacity * 2 : 16;
		loc *braces = arena_alloc(p->arena, cap * sizeof(*braces));
		const char **what = arena_alloc(p->arena, cap * sizeof(*what));
		if (p->brace_depth) {
			memcpy(braces, p->open_braces, p->brace_depth * sizeof(*braces));
			memcpy(what, p->open_what, p->brace_depth * sizeof(*what));
		}
		p->open_braces = braces;
		p->open_what = what;
		p->brace_capacity = cap;
	}
	p->open_braces[p->brace_depth] = at;
	p->open_what[p->brace_depth] =
	    p->last_keyword && p->last_name
	        ? arena_printf(p->arena, "%s %s", p->last_keyword, p->last_name)
	        : NULL;
	p->brace_depth++;
	p->last_keyword = NULL;
}

/* The keyword that starts a declaration with a body, or NULL. */
static const char *declaration_keyword(int token)
{
	switch (token) {
	case TOK_ENUM:
		return "enum";
	case TOK_BITS:
		return "bits";
	case TOK_STRUCT:
		return "struct";
	case TOK_UNION:
		return "union";
	case TOK_INTERFACE:
		return "interface";
	default:
		return NULL;
	}
}

/*
 * Follows the braces from the tokens, so that a syntax error can name what
 * an expected '}' would close ("struct Stat"): a declaration's keyword and
 * the name after it describe the '{' that comes next.
 */
static void follow_braces(parse_ctx *p, int token, const IDLC_YYSTYPE *lval, loc at)
{
	const char *keyword = declaration_keyword(token);
	if (keyword != NULL) {
		p->last_keyword = keyword;
		p->last_name = NULL;
		p->expect_name = true;
		return;
	}
	switch (token) {
	case TOK_IDENT:
		if (p->expect_name)
			p->last_name = lval->str;
		break;
	case '{':
		open_brace(p, at);
		break;
	case '}':
		if (p->brace_depth > 0)
			p->brace_depth--;
		break;
	case TOK_INTEGER:
	case TOK_PACKAGE:
	case TOK_IMPORT:
	case TOK_CONST:
	case TOK_ONEWAY:
	case TOK_EVENT:
	case TOK_ERROR:
	case TOK_OPTIONAL:
	case TOK_VECTOR:
	case TOK_STRING_KW:
	case TOK_BYTES:
	case TOK_HANDLE:
	case TOK_BOOL:
	case TOK_U8:
	case TOK_U16:
	case TOK_U32:
	case TOK_U64:
	case TOK_I8:
	case TOK_I16:
	case TOK_I32:
	case TOK_I64:
		break;
	default:
		return; /* punctuation and the rest leave the name awaited */
	}
	p->expect_name = false;
}

int idlc_yylex(IDLC_YYSTYPE *lval, loc *lloc, void *scanner)
{
	parse_ctx *p = idlc_yyget_extra(scanner);
	int token = idlc_scan(lval, lloc, scanner);
	follow_braces(p, token, lval, *lloc);
	p->earlier_token = p->previous_token;
	p->earlier_loc = p->previous_loc;
	p->previous_token = p->last_token;
	p->previous_loc = p->last_loc;
	p->last_token = token;
	p->last_loc = *lloc;
	return token;
}

file *parse_file(arena *a, diag_ctx *d, const char *path, uint32_t source)
{
	parse_ctx p = {.arena = a, .diag = d, .source = source};
	p.file = ast_file(a, path, source);

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
