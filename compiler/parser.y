/*
 * parser.y: the grammar of .idl files. Actions only build nodes.
 *
 * Recovery happens at declaration and member boundaries (the `error`
 * alternatives), so a typo costs one error and the rest of the file is
 * still checked. docs/language.md holds the same grammar in EBNF.
 */
%define api.pure full
%define api.prefix {idlc_yy}
%define api.token.prefix {TOK_}
%define api.location.type {loc}
%define parse.error custom
%define parse.lac full
%locations
%param {void *scanner}
%parse-param {parse_ctx *p}

%code requires {
#include "parse.h"
typedef struct node_list {
	void *head;
	void *tail;
} node_list;
/* The body of an enum, bits, union or interface: its members and its
 * `reserved` lines. */
typedef struct body_lists {
	node_list items;
	node_list reserved;
} body_lists;
}

%code provides {
int idlc_yylex(IDLC_YYSTYPE *lval, loc *lloc, void *scanner);
}

%code {
#include "suggest.h"

#include <string.h>

#define YYLLOC_DEFAULT(cur, rhs, n)                                      \
	do {                                                             \
		if (n) {                                                 \
			(cur).file = YYRHSLOC(rhs, 1).file;              \
			(cur).begin = YYRHSLOC(rhs, 1).begin;            \
			(cur).end = YYRHSLOC(rhs, n).end;                \
		} else {                                                 \
			(cur).file = YYRHSLOC(rhs, 0).file;              \
			(cur).begin = (cur).end = YYRHSLOC(rhs, 0).end;  \
		}                                                        \
	} while (0)

static void idlc_yyerror(loc *at, void *scanner, parse_ctx *p, const char *msg);
static char *join_docs(parse_ctx *p, char *docs, const char *line);
static char *join_name(parse_ctx *p, const char *a, const char *b);
static void split_name(parse_ctx *p, const char *qname, const char **qualifier, const char **name);
static void modifier(parse_ctx *p, decl *d, const char *word, loc at);
/* Appends in O(1): a list under construction is a head and a tail. */
#define LIST_ADD(list, item, type) list_add(&(list), (item), offsetof(type, next))
static void list_add(node_list *list, void *item, size_t next_offset);
static void reserved_line(parse_ctx *p, node_list *list, const char *doc, const char *word,
                          loc at, node_list items);
}

%union {
	const char *str;
	char *doc;
	idl_int num;
	int ikind;
	expr *expr;
	type *type;
	member *member;
	method *method;
	decl *decl;
	attribute *attr;
	import *imp;
	reserved *res;
	node_list list;
	body_lists body;
}

%token END 0 "end of file"
%token <str> IDENT "identifier"
%token <str> STRING "string literal"
%token <str> DOC "doc comment"
%token <num> INTEGER "integer"
%token PACKAGE "'package'" IMPORT "'import'" CONST "'const'" ENUM "'enum'" BITS "'bits'"
%token STRUCT "'struct'" UNION "'union'" INTERFACE "'interface'" ONEWAY "'oneway'"
%token EVENT "'event'" ERROR "'error'" OPTIONAL "'optional'" VECTOR "'vector'"
%token STRING_KW "'string'" BYTES "'bytes'" HANDLE "'handle'" BOOL "'bool'"
%token U8 "'u8'" U16 "'u16'" U32 "'u32'" U64 "'u64'" I8 "'i8'" I16 "'i16'" I32 "'i32'" I64 "'i64'"
%token ARROW "'->'" SHL "'<<'"

%type <doc> docs
%type <str> qname
%type <ikind> int_type
%type <expr> expr bound
%type <type> type
%type <list> fields params attrs imports decls reserved_items
%type <body> enum_members variants methods
%type <member> enum_member field variant params_opt param
%type <res> reserved_item
%type <expr> default_opt
%type <method> method method_body
%type <decl> decl decl_body enum_like
%type <attr> attr
%type <imp> import
%type <type> error_opt

%left '|'
%left '^'
%left '&'
%left SHL '>'
%left '+' '-'
%left '*' '/' '%'
%precedence UNARY

%initial-action {
	/* An empty file still has a location: its start. */
	@$.file = p->source;
	@$.begin = @$.end = 0;
}

%%

file
	: docs PACKAGE qname ';' imports decls {
		p->file->doc = $1;
		p->file->imports = $5.head;
		p->file->decls = $6.head;
		p->file->package = $3;
		p->file->package_loc = @3;
	}
	;

docs
	: %empty { $$ = NULL; }
	| docs DOC { $$ = join_docs(p, $1, $2); }
	;

qname
	: IDENT { $$ = $1; }
	| qname '.' IDENT { $$ = join_name(p, $1, $3); }
	;

imports
	: %empty { $$ = (node_list){0}; }
	| imports import { $$ = $1; LIST_ADD($$, $2, import); }
	;

import
	: IMPORT STRING ';' {
		$$ = ast_import(p->arena, @2, $2);
	}
	;

decls
	: %empty { $$ = (node_list){0}; }
	| decls decl { $$ = $1; if ($2) LIST_ADD($$, $2, decl); }
	;

decl
	: docs attrs decl_body { $$ = $3; $$->doc = $1; $$->attrs = $2.head; }
	| error ';' { $$ = NULL; }
	| error '}' { $$ = NULL; }
	;

attrs
	: %empty { $$ = (node_list){0}; }
	| attrs attr { $$ = $1; LIST_ADD($$, $2, attribute); }
	;

attr
	: '@' IDENT { $$ = ast_attribute(p->arena, @2, $2, NULL); }
	| '@' IDENT '(' expr ')' { $$ = ast_attribute(p->arena, @2, $2, $4); }
	;

decl_body
	: CONST IDENT ':' int_type '=' expr ';' {
		$$ = ast_decl(p->arena, p->file, @2, DECL_CONST, $2);
		$$->int_kind = (int_kind)$4;
		$$->int_kind_loc = @4;
		$$->value = $6;
	}
	| enum_like
	| IDENT enum_like { $$ = $2; modifier(p, $$, $1, @1); }
	| STRUCT IDENT '{' fields '}' {
		$$ = ast_decl(p->arena, p->file, @2, DECL_STRUCT, $2);
		$$->members = $4.head;
	}
	| INTERFACE IDENT '{' methods '}' {
		$$ = ast_decl(p->arena, p->file, @2, DECL_INTERFACE, $2);
		$$->methods = $4.items.head;
		$$->reserveds = $4.reserved.head;
	}
	;

/* The declarations that `strict` or `flexible` may come before. */
enum_like
	: ENUM IDENT ':' int_type '{' enum_members '}' {
		$$ = ast_decl(p->arena, p->file, @2, DECL_ENUM, $2);
		$$->int_kind = (int_kind)$4;
		$$->int_kind_loc = @4;
		$$->members = $6.items.head;
		$$->reserveds = $6.reserved.head;
	}
	| BITS IDENT ':' int_type '{' enum_members '}' {
		$$ = ast_decl(p->arena, p->file, @2, DECL_BITS, $2);
		$$->int_kind = (int_kind)$4;
		$$->int_kind_loc = @4;
		$$->members = $6.items.head;
		$$->reserveds = $6.reserved.head;
	}
	| UNION IDENT ':' int_type '{' variants '}' {
		$$ = ast_decl(p->arena, p->file, @2, DECL_UNION, $2);
		$$->int_kind = (int_kind)$4;
		$$->int_kind_loc = @4;
		$$->members = $6.items.head;
		$$->reserveds = $6.reserved.head;
	}
	;

/* `reserved a, 7;`: names and numbers that may not be used again. The
 * word is an identifier, so that it stays usable as a name elsewhere. */
reserved_items
	: reserved_item { $$ = (node_list){0}; LIST_ADD($$, $1, reserved); }
	| reserved_items ',' reserved_item { $$ = $1; LIST_ADD($$, $3, reserved); }
	;

reserved_item
	: IDENT { $$ = ast_reserved(p->arena, @1, $1, NULL); }
	| INTEGER { $$ = ast_reserved(p->arena, @1, NULL, ast_expr_int(p->arena, @1, $1)); }
	| '-' INTEGER {
		$$ = ast_reserved(p->arena, @$, NULL,
		                  ast_expr_unary(p->arena, @$, '-', ast_expr_int(p->arena, @2, $2)));
	}
	;

enum_members
	: %empty { $$ = (body_lists){0}; }
	| enum_members enum_member { $$ = $1; if ($2) LIST_ADD($$.items, $2, member); }
	| enum_members docs IDENT reserved_items ';' {
		$$ = $1;
		reserved_line(p, &$$.reserved, $2, $3, @3, $4);
	}
	;

enum_member
	: docs IDENT '=' expr ';' { $$ = ast_member(p->arena, @2, $1, $2, NULL, $4); }
	| error ';' { $$ = NULL; }
	;

fields
	: %empty { $$ = (node_list){0}; }
	| fields field { $$ = $1; if ($2) LIST_ADD($$, $2, member); }
	;

field
	: docs IDENT ':' type ';' { $$ = ast_member(p->arena, @2, $1, $2, $4, NULL); }
	| error ';' { $$ = NULL; }
	;

variants
	: %empty { $$ = (body_lists){0}; }
	| variants variant { $$ = $1; if ($2) LIST_ADD($$.items, $2, member); }
	| variants docs IDENT reserved_items ';' {
		$$ = $1;
		reserved_line(p, &$$.reserved, $2, $3, @3, $4);
	}
	;

variant
	: docs IDENT ':' type '=' expr ';' { $$ = ast_member(p->arena, @2, $1, $2, $4, $6); }
	| error ';' { $$ = NULL; }
	;

methods
	: %empty { $$ = (body_lists){0}; }
	| methods method { $$ = $1; if ($2) LIST_ADD($$.items, $2, method); }
	| methods docs attrs IDENT reserved_items ';' {
		$$ = $1;
		if ($3.head != NULL)
			diag_error(p->diag, "attributes-on-reserved", ((attribute *)$3.head)->loc, "attributes before 'reserved' mean nothing");
		reserved_line(p, &$$.reserved, $2, $4, @4, $5);
	}
	;

method
	: docs attrs method_body { $$ = $3; $$->doc = $1; $$->attrs = $2.head; }
	| error ';' { $$ = NULL; }
	;

method_body
	: IDENT '(' params_opt ')' ARROW '(' params_opt ')' error_opt ';' {
		$$ = ast_method(p->arena, @1, METHOD_TWO_WAY, $1, $3);
		$$->has_reply = true;
		$$->results = $7;
		$$->error = $9;
	}
	| IDENT '(' params_opt ')' error_opt ';' {
		/* No reply: sema reports it and suggests 'oneway' or '-> ()'. */
		$$ = ast_method(p->arena, @1, METHOD_TWO_WAY, $1, $3);
		$$->error = $5;
	}
	| ONEWAY IDENT '(' params_opt ')' ';' { $$ = ast_method(p->arena, @2, METHOD_ONE_WAY, $2, $4); }
	| EVENT IDENT '(' params_opt ')' ';' { $$ = ast_method(p->arena, @2, METHOD_EVENT, $2, $4); }
	;

error_opt
	: %empty { $$ = NULL; }
	| ERROR type { $$ = $2; }
	;

params_opt
	: %empty { $$ = NULL; }
	| params { $$ = $1.head; }
	;

params
	: param { $$ = (node_list){0}; LIST_ADD($$, $1, member); }
	| params ',' param { $$ = $1; LIST_ADD($$, $3, member); }
	;

param
	: attrs IDENT ':' type default_opt {
		$$ = ast_member(p->arena, @2, NULL, $2, $4, NULL);
		$$->attrs = $1.head;
		$$->fallback = $5;
	}
	;

default_opt
	: %empty { $$ = NULL; }
	| '=' expr { $$ = $2; }
	;

int_type
	: U8 { $$ = INT_U8; }
	| U16 { $$ = INT_U16; }
	| U32 { $$ = INT_U32; }
	| U64 { $$ = INT_U64; }
	| I8 { $$ = INT_I8; }
	| I16 { $$ = INT_I16; }
	| I32 { $$ = INT_I32; }
	| I64 { $$ = INT_I64; }
	;

type
	: int_type { $$ = ast_type(p->arena, @$, TYPE_INT); $$->int_kind = (int_kind)$1; }
	| BOOL { $$ = ast_type(p->arena, @$, TYPE_BOOL); }
	| STRING_KW '<' bound '>' { $$ = ast_type(p->arena, @$, TYPE_STRING); $$->bound = $3; }
	| BYTES '<' bound '>' { $$ = ast_type(p->arena, @$, TYPE_BYTES); $$->bound = $3; }
	| VECTOR '<' type ',' bound '>' {
		$$ = ast_type(p->arena, @$, TYPE_VECTOR);
		$$->element = $3;
		$$->bound = $5;
	}
	| OPTIONAL '<' type '>' { $$ = ast_type(p->arena, @$, TYPE_OPTIONAL); $$->element = $3; }
	| HANDLE '<' IDENT '>' {
		$$ = ast_type(p->arena, @$, TYPE_HANDLE);
		$$->name = $3;
	}
	| IDENT '<' type ',' bound '>' {
		/* packed<T, N>; sema checks the word. */
		$$ = ast_type(p->arena, @$, TYPE_PACKED);
		$$->name = $1;
		$$->element = $3;
		$$->bound = $5;
	}
	| IDENT '<' qname '>' {
		/* channel<pkg.Interface>; sema checks the word and the name. */
		$$ = ast_type(p->arena, @$, TYPE_HANDLE);
		$$->name = $1;
		split_name(p, $3, &$$->protocol_qualifier, &$$->protocol_name);
	}
	| qname {
		$$ = ast_type(p->arena, @$, TYPE_NAMED);
		split_name(p, $1, &$$->qualifier, &$$->name);
	}
	| type '[' expr ']' {
		/* Suffixes do not nest on the parser's stack, but on the checker's:
		 * bounded here, where they are counted. */
		uint32_t dimensions = ($1->kind == TYPE_ARRAY ? $1->dimensions : 0) + 1;
		if (dimensions > MAX_ARRAY_DIMENSIONS) {
			if (dimensions == MAX_ARRAY_DIMENSIONS + 1)
				diag_error(p->diag, "nesting-too-deep", @2,
				           "an array of more than %u dimensions", MAX_ARRAY_DIMENSIONS);
			$$ = $1;
			$$->dimensions = dimensions;
		} else {
			$$ = ast_type(p->arena, @$, TYPE_ARRAY);
			$$->element = $1;
			$$->bound = $3;
			$$->dimensions = dimensions;
		}
	}
	;

/* A bound inside <...> is a literal, a name or a parenthesized expression,
 * so that '>' always closes the brackets. */
bound
	: INTEGER { $$ = ast_expr_int(p->arena, @$, $1); }
	| qname {
		const char *q, *n;
		split_name(p, $1, &q, &n);
		$$ = ast_expr_name(p->arena, @$, q, n);
	}
	| '(' expr ')' { $$ = $2; }
	;

expr
	: INTEGER { $$ = ast_expr_int(p->arena, @$, $1); }
	| qname {
		const char *q, *n;
		split_name(p, $1, &q, &n);
		$$ = ast_expr_name(p->arena, @$, q, n);
	}
	| '(' expr ')' { $$ = $2; }
	| '-' expr %prec UNARY { $$ = ast_expr_unary(p->arena, @$, '-', $2); }
	| '~' expr %prec UNARY { $$ = ast_expr_unary(p->arena, @$, '~', $2); }
	| expr '|' expr { $$ = ast_expr_binary(p->arena, @2, '|', $1, $3); }
	| expr '^' expr { $$ = ast_expr_binary(p->arena, @2, '^', $1, $3); }
	| expr '&' expr { $$ = ast_expr_binary(p->arena, @2, '&', $1, $3); }
	| expr SHL expr { $$ = ast_expr_binary(p->arena, @2, TOK_SHL, $1, $3); }
	| expr '>' '>' expr {
		/* '>>' is two tokens so that vector<optional<u8>> closes twice. */
		if (@2.end != @3.begin)
			diag_error(p->diag, "space-in-shift", @2, "expected '>>' (no space between the two '>')");
		$$ = ast_expr_binary(p->arena, ast_loc_span(@2, @3), '>', $1, $4);
	}
	| expr '+' expr { $$ = ast_expr_binary(p->arena, @2, '+', $1, $3); }
	| expr '-' expr { $$ = ast_expr_binary(p->arena, @2, '-', $1, $3); }
	| expr '*' expr { $$ = ast_expr_binary(p->arena, @2, '*', $1, $3); }
	| expr '/' expr { $$ = ast_expr_binary(p->arena, @2, '/', $1, $3); }
	| expr '%' expr { $$ = ast_expr_binary(p->arena, @2, '%', $1, $3); }
	;

%%

static void idlc_yyerror(loc *at, void *scanner, parse_ctx *p, const char *msg)
{
	(void)scanner;
	/* Bison calls this only for its own failures, e.g. "memory exhausted"
	 * when input nests deeper than the parser's stack. */
	if (strstr(msg, "exhausted") != NULL)
		diag_error(p->diag, "nesting-too-deep", *at, "input nests too deeply");
	else
		diag_error(p->diag, "syntax-error", *at, "%s", msg);
}

/* Tokens are compared by name: bison numbers punctuation by first use. */
static bool is_token(yysymbol_kind_t kind, const char *name)
{
	return strcmp(yysymbol_name(kind), name) == 0;
}

static bool expects(const yysymbol_kind_t *expected, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (is_token(expected[i], name))
			return true;
	return false;
}

/* A keyword of the language: its token is named by its quoted spelling. */
static bool is_keyword(yysymbol_kind_t kind)
{
	const char *name = yysymbol_name(kind);
	return name[0] == '\'' && name[1] >= 'a' && name[1] <= 'z';
}

static unsigned line_of(const parse_ctx *p, loc at)
{
	unsigned line, col;
	diag_line_col(p->diag, at, &line, &col);
	return line;
}

/* The text of a token as written, for a message: at most 32 bytes. */
static const char *token_text(parse_ctx *p, loc at)
{
	const source *src = diag_source(p->diag, at.file);
	size_t len = at.end - at.begin;
	return arena_printf(p->arena, "%.*s", len > 32 ? 32 : (int)len, src->text + at.begin);
}

/*
 * A keyword misspelt, which the grammar sees as a name where a keyword
 * belongs: a word where one of the expected keywords would do ("erorr"),
 * a word taken for the modifier of an enum, bits or union where a
 * declaration's keyword was meant ("strcut S {"), or a word before '<'
 * where a type that takes arguments was meant ("vectr<u32, 4>"). Said as
 * "did you mean" when one is close enough; true when reported.
 */
static bool report_misspelt_keyword(parse_ctx *p, const yysymbol_kind_t *expected, int n,
                                    yysymbol_kind_t got, loc at)
{
	suggester g;
	if (is_token(got, "identifier")) {
		const char *word = token_text(p, at);
		suggest_init(&g, word);
		for (int i = 0; i < n; i++)
			if (is_keyword(expected[i])) {
				const char *name = yysymbol_name(expected[i]);
				suggest_consider(&g, arena_printf(p->arena, "%.*s",
				                                  (int)strlen(name) - 2, name + 1));
			}
		if (suggest_result(&g) != NULL) {
			diag_error(p->diag, "misspelt-keyword", at, "unknown word '%s'; did you mean '%s'?",
			           word, suggest_result(&g));
			return true;
		}
	}
	static const char *const declarations[] = {"const", "enum", "bits", "struct", "union",
	                                           "interface", "import", "strict", "flexible"};
	if (p->previous_token == TOK_IDENT && expects(expected, n, "'enum'") &&
	    expects(expected, n, "'union'")) {
		const char *word = token_text(p, p->previous_loc);
		suggest_init(&g, word);
		for (size_t i = 0; i < sizeof(declarations) / sizeof(declarations[0]); i++)
			suggest_consider(&g, declarations[i]);
		if (suggest_result(&g) != NULL) {
			diag_error(p->diag, "misspelt-keyword", p->previous_loc,
			           "unknown word '%s'; did you mean '%s'?", word, suggest_result(&g));
			return true;
		}
	}
	if (p->previous_token == '<' && p->earlier_token == TOK_IDENT) {
		const char *word = token_text(p, p->earlier_loc);
		const char *meant = ast_closest_generic_type(word);
		if (meant != NULL) {
			diag_error(p->diag, "misspelt-keyword", p->earlier_loc,
			           "unknown type '%s<...>'; did you mean '%s'?", word, meant);
			return true;
		}
	}
	return false;
}

/*
 * Three mistakes a bare "expected X, found Y" explains badly, reported as
 * what they are: a ';' missing at the end of a line (reported there, not
 * at the next line's first token), a keyword used as a name, and a string,
 * bytes or vector without its bound. True when one was reported.
 */
static bool report_likely_mistake(parse_ctx *p, const yysymbol_kind_t *expected, int n,
                                  yysymbol_kind_t got, loc at)
{
	const source *src = diag_source(p->diag, at.file);
	if (p->previous_token == 0 || p->previous_token == TOK_DOC)
		return false;
	loc before = p->previous_loc;
	int before_len = (int)(before.end - before.begin);
	if (report_misspelt_keyword(p, expected, n, got, at))
		return true;
	if (expects(expected, n, "identifier") && is_keyword(got) && p->previous_token != '<') {
		diag_error(p->diag, "keyword-as-name", at,
		           "%s is a keyword and cannot be used as a name", yysymbol_name(got));
		diag_note(p->diag, at, "choose another name, e.g. '%.*s_'", (int)(at.end - at.begin),
		          src->text + at.begin);
		return true;
	}
	if (n == 1 && is_token(expected[0], "'<'") && (p->previous_token == TOK_STRING_KW ||
	                                              p->previous_token == TOK_BYTES ||
	                                              p->previous_token == TOK_VECTOR)) {
		const char *what = p->previous_token == TOK_STRING_KW ? "string"
		                   : p->previous_token == TOK_BYTES   ? "bytes"
		                                                       : "vector";
		diag_error(p->diag, "missing-bound", at, "'%s' needs a bound: %s", what,
		           p->previous_token == TOK_VECTOR ? "vector<T, N>, at most N elements of T"
		           : p->previous_token == TOK_BYTES ? "bytes<N>, at most N bytes"
		                                            : "string<N>, at most N bytes");
		diag_note(p->diag, before,
		          "every message has a static maximum size, so every %s declares the most it holds",
		          what);
		return true;
	}
	if (expects(expected, n, "';'") && !is_token(got, "';'") &&
	    line_of(p, at) > line_of(p, (loc){before.file, before.end, before.end})) {
		diag_error(p->diag, "missing-semicolon", (loc){before.file, before.end, before.end},
		           "expected ';' after '%.*s'", before_len > 32 ? 32 : before_len,
		           src->text + before.begin);
		return true;
	}
	return false;
}

/* Formats "expected ';' or '}', found identifier 'x'", naming what an
 * expected '}' would close. */
static int yyreport_syntax_error(const yypcontext_t *ctx, void *scanner, parse_ctx *p)
{
	(void)scanner;
	enum { MAX_EXPECTED = 5, MAX_SCANNED = 64 };
	yysymbol_kind_t expected[MAX_SCANNED];
	int n = yypcontext_expected_tokens(ctx, expected, MAX_SCANNED);
	if (report_likely_mistake(p, expected, n, yypcontext_token(ctx), *yypcontext_location(ctx)))
		return 0;
	/* When many tokens could follow (inside an expression, say), a missing
	 * ';' or '}' is the likely mistake: name just that. */
	if (n > MAX_EXPECTED) {
		for (int i = 0; i < n; i++) {
			const char *name = yysymbol_name(expected[i]);
			if (strcmp(name, "';'") == 0 || strcmp(name, "'}'") == 0) {
				expected[0] = expected[i];
				n = 1;
				break;
			}
		}
	}
	yysymbol_kind_t got = yypcontext_token(ctx);
	loc at = *yypcontext_location(ctx);
	const source *src = diag_source(p->diag, at.file);

	char found[96];
	/* A doc comment followed by something that cannot carry it. */
	if (p->previous_token == TOK_DOC) {
		diag_error(p->diag, "misplaced-doc-comment", p->previous_loc, "doc comment must come before a declaration or member");
		return 0;
	}
	if (got == YYSYMBOL_YYEOF) {
		snprintf(found, sizeof(found), "end of file");
	} else if (got == YYSYMBOL_DOC) {
		diag_error(p->diag, "misplaced-doc-comment", at, "doc comment must come before a declaration or member");
		return 0;
	} else if (got == YYSYMBOL_IDENT || got == YYSYMBOL_INTEGER) {
		size_t len = at.end - at.begin;
		snprintf(found, sizeof(found), "%s '%.*s%s'", yysymbol_name(got), len > 32 ? 32 : (int)len,
		         src->text + at.begin, len > 32 ? "..." : "");
	} else {
		snprintf(found, sizeof(found), "%s", yysymbol_name(got));
	}

	char want[256] = "";
	bool closes_brace = false;
	if (n > 0 && n <= MAX_EXPECTED) {
		size_t used = 0;
		for (int i = 0; i < n; i++) {
			const char *name = yysymbol_name(expected[i]);
			const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";
			used += (size_t)snprintf(want + used, sizeof(want) - used, "%s%s", sep, name);
			if (used >= sizeof(want))
				break;
			if (strcmp(name, "'}'") == 0)
				closes_brace = true;
		}
		/* A missing ';' belongs at the end of what it should end, as gcc
		 * reports it, not at the next line's first token. */
		loc where = at;
		if (n == 1 && strcmp(want, "';'") == 0 && p->previous_token != 0)
			where = (loc){.file = p->previous_loc.file, .begin = p->previous_loc.end, .end = p->previous_loc.end};
		diag_error(p->diag, "syntax-error", where, "expected %s, found %s", want, found);
	} else {
		diag_error(p->diag, "syntax-error", at, "unexpected %s", found);
	}
	if (closes_brace && p->brace_depth > 0) {
		size_t top = p->brace_depth - 1;
		if (p->open_what[top])
			diag_note(p->diag, p->open_braces[top], "to close '%s' opened here", p->open_what[top]);
		else
			diag_note(p->diag, p->open_braces[top], "to match this '{'");
	}
	return 0;
}

static char *join_docs(parse_ctx *p, char *docs, const char *line)
{
	if (docs == NULL)
		return arena_strdup(p->arena, line);
	return arena_printf(p->arena, "%s\n%s", docs, line);
}

static char *join_name(parse_ctx *p, const char *a, const char *b)
{
	return arena_printf(p->arena, "%s.%s", a, b);
}

static void split_name(parse_ctx *p, const char *qname, const char **qualifier, const char **name)
{
	const char *dot = strrchr(qname, '.');
	if (dot == NULL) {
		*qualifier = NULL;
		*name = qname;
	} else {
		*qualifier = arena_strndup(p->arena, qname, (size_t)(dot - qname));
		*name = dot + 1;
	}
}

/* `strict` or `flexible` before enum, bits or union. */
static void modifier(parse_ctx *p, decl *d, const char *word, loc at)
{
	d->modifier_loc = at;
	if (strcmp(word, "flexible") == 0)
		d->flexible = true;
	else if (strcmp(word, "strict") != 0) {
		suggester g;
		suggest_init(&g, word);
		suggest_consider(&g, "strict");
		suggest_consider(&g, "flexible");
		if (suggest_result(&g) != NULL)
			diag_error(p->diag, "unknown-modifier", at, "unknown modifier '%s'; did you mean '%s'?",
			           word, suggest_result(&g));
		else
			diag_error(p->diag, "unknown-modifier", at,
			           "unknown modifier '%s'; expected 'strict' or 'flexible'", word);
	}
}

/* A `reserved` line: its word must be `reserved`; a doc comment cannot
 * describe it. */
static void reserved_line(parse_ctx *p, node_list *list, const char *doc, const char *word,
                          loc at, node_list items)
{
	if (strcmp(word, "reserved") != 0) {
		diag_error(p->diag, "syntax-error", at, "expected a member, found '%s'", word);
		diag_note(p->diag, at, "a line of names and numbers kept from reuse starts with 'reserved'");
		return;
	}
	if (doc != NULL)
		diag_error(p->diag, "misplaced-doc-comment", at, "doc comment before 'reserved'; it describes nothing");
	if (list->tail != NULL)
		((reserved *)list->tail)->next = items.head;
	else
		list->head = items.head;
	list->tail = items.tail;
}

static void list_add(node_list *list, void *item, size_t next_offset)
{
	if (list->tail != NULL)
		*(void **)((char *)list->tail + next_offset) = item;
	else
		list->head = item;
	list->tail = item;
}
