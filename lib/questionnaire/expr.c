#include "expr.h"
#include "canon.h"
#include "error.h"
#include "question.h"

#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPR_MAX_NODES 512
#define EXPR_MAX_DEPTH 64

enum op {
	OP_NUM,
	OP_BOOL,
	OP_STR,
	OP_REF,
	OP_ANSWERED,
	OP_SELECTED,
	OP_COUNT, /* count_selected(id): options selected */
	OP_NEG,
	OP_NOT,
	OP_ADD,
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_AND,
	OP_OR,
};

struct node {
	enum op op;
	enum expr_type type;
	int a, b; /* operands (node indexes) */
	double num;
	char *str; /* OP_STR, OP_SELECTED option */
	const struct question *q;
};

struct expr {
	struct node *nodes;
	int n;
	int root;
};

/* Parser state. */
struct parser {
	const char *src, *p;
	const struct questionnaire *q;
	struct expr *e;
	int depth;
	int rc;
	char *err;
	size_t errlen;
};

static int fail(struct parser *ps, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, const char *at, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	if (ps->rc != 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ps->rc = cv_fail(ps->err, ps->errlen, CV_ECONFIG, "position %d: %s",
			 (int)(at - ps->src) + 1, msg);
	return -1;
}

static void skip_space(struct parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

static int is_ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static int is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.';
}

/* Consumes keyword or operator tok when it is next. */
static int accept(struct parser *ps, const char *tok)
{
	size_t n = strlen(tok);
	skip_space(ps);
	if (strncmp(ps->p, tok, n) != 0)
		return 0;
	if (is_ident_start(tok[0]) && is_ident(ps->p[n]))
		return 0; /* "and" must not match "andrew" */
	ps->p += n;
	return 1;
}

static int add_node(struct parser *ps, struct node nd)
{
	struct node *nn;
	if (ps->e->n >= EXPR_MAX_NODES)
		return fail(ps, ps->p, "expression too long");
	nn = realloc(ps->e->nodes, (size_t)(ps->e->n + 1) * sizeof *nn);
	if (nn == NULL) {
		ps->rc = CV_ENOMEM;
		return -1;
	}
	ps->e->nodes = nn;
	nn[ps->e->n] = nd;
	return ps->e->n++;
}

static const char *type_name(enum expr_type t)
{
	return t == EXPR_NUMBER ? "a number" : t == EXPR_BOOL ? "true/false" : "a string";
}

static int parse_or(struct parser *ps);

static int read_ident(struct parser *ps, char *buf, size_t len)
{
	size_t n = 0;
	skip_space(ps);
	if (!is_ident_start(*ps->p))
		return -1;
	while (is_ident(ps->p[n]))
		n++;
	if (n >= len)
		return -1;
	memcpy(buf, ps->p, n);
	buf[n] = '\0';
	ps->p += n;
	return 0;
}

static char *read_string(struct parser *ps)
{
	const char *start;
	char *out, *o;

	skip_space(ps);
	if (*ps->p != '"')
		return NULL;
	start = ++ps->p;
	out = o = malloc(strlen(start) + 1);
	if (out == NULL)
		return NULL;
	while (*ps->p && *ps->p != '"') {
		if (*ps->p == '\\' && (ps->p[1] == '"' || ps->p[1] == '\\'))
			ps->p++;
		*o++ = *ps->p++;
	}
	if (*ps->p != '"') {
		free(out);
		fail(ps, start - 1, "unterminated string");
		return NULL;
	}
	ps->p++;
	*o = '\0';
	return out;
}

static const struct question *lookup_question(struct parser *ps, const char *at, const char *id)
{
	const struct question *q = qdef_question(ps->q, id);
	if (q == NULL)
		fail(ps, at, "unknown question \"%s\"", id);
	return q;
}

static int parse_call(struct parser *ps, const char *at, int selected)
{
	char id[80];
	const char *idat;
	const struct question *q;
	struct node nd = {.type = selected == 2 ? EXPR_NUMBER : EXPR_BOOL};

	if (!accept(ps, "("))
		return fail(ps, ps->p, "expected (");
	skip_space(ps);
	idat = ps->p;
	if (read_ident(ps, id, sizeof id) != 0)
		return fail(ps, idat, "expected a question id");
	if ((q = lookup_question(ps, idat, id)) == NULL)
		return -1;
	nd.q = q;
	nd.op = selected == 2 ? OP_COUNT : selected ? OP_SELECTED : OP_ANSWERED;
	if (selected == 2 && q->type != QT_CHOICE && q->type != QT_MULTI_CHOICE)
		return fail(ps, idat, "count_selected() needs a choice question; \"%s\" is not one",
			    id);
	if (selected == 1) {
		const char *optat;
		if (q->type != QT_CHOICE && q->type != QT_MULTI_CHOICE)
			return fail(ps, idat,
				    "selected() needs a choice question; \"%s\" is not one", id);
		if (!accept(ps, ","))
			return fail(ps, ps->p, "expected , and an option");
		skip_space(ps);
		optat = ps->p;
		if ((nd.str = read_string(ps)) == NULL)
			return fail(ps, optat, "expected an option id in quotes");
		if (qdef_option_index(q, nd.str) < 0) {
			fail(ps, optat, "\"%s\" is not an option of that question", nd.str);
			free(nd.str);
			return -1;
		}
	}
	if (!accept(ps, ")")) {
		free(nd.str);
		return fail(ps, ps->p, "expected )");
	}
	(void)at;
	{
		int idx = add_node(ps, nd);
		if (idx < 0)
			free(nd.str);
		return idx;
	}
}

static int parse_primary(struct parser *ps)
{
	struct node nd = {0};
	const char *at;
	char id[80];

	skip_space(ps);
	at = ps->p;
	if (*ps->p == '(') {
		int inner;
		ps->p++;
		inner = parse_or(ps);
		if (inner < 0)
			return -1;
		if (!accept(ps, ")"))
			return fail(ps, ps->p, "expected )");
		return inner;
	}
	if (isdigit((unsigned char)*ps->p) || (*ps->p == '.' && isdigit((unsigned char)ps->p[1]))) {
		char *end;
		nd.op = OP_NUM;
		nd.type = EXPR_NUMBER;
		nd.num = strtod(ps->p, &end);
		ps->p = end;
		return add_node(ps, nd);
	}
	if (*ps->p == '"') {
		nd.op = OP_STR;
		nd.type = EXPR_STRING;
		if ((nd.str = read_string(ps)) == NULL)
			return -1;
		{
			int idx = add_node(ps, nd);
			if (idx < 0)
				free(nd.str);
			return idx;
		}
	}
	if (read_ident(ps, id, sizeof id) != 0)
		return *at ? fail(ps, at, "unexpected \"%.1s\"", at)
			   : fail(ps, at, "unexpected end");
	if (strcmp(id, "true") == 0 || strcmp(id, "false") == 0) {
		nd.op = OP_BOOL;
		nd.type = EXPR_BOOL;
		nd.num = id[0] == 't';
		return add_node(ps, nd);
	}
	if (strcmp(id, "answered") == 0)
		return parse_call(ps, at, 0);
	if (strcmp(id, "selected") == 0)
		return parse_call(ps, at, 1);
	if (strcmp(id, "count_selected") == 0)
		return parse_call(ps, at, 2);
	if (strcmp(id, "and") == 0 || strcmp(id, "or") == 0 || strcmp(id, "not") == 0)
		return fail(ps, at, "unexpected \"%s\"", id);
	if ((nd.q = lookup_question(ps, at, id)) == NULL)
		return -1;
	nd.op = OP_REF;
	switch (nd.q->type) {
	case QT_YES_NO: nd.type = EXPR_BOOL; break;
	case QT_INTEGER:
	case QT_NUMBER:
	case QT_SCALE: nd.type = EXPR_NUMBER; break;
	case QT_CHOICE:
	case QT_TEXT: nd.type = EXPR_STRING; break;
	case QT_MULTI_CHOICE:
		return fail(ps, at, "\"%s\" is a multiple choice: use selected(id, \"option\")",
			    id);
	}
	return add_node(ps, nd);
}

static int parse_unary(struct parser *ps)
{
	const char *at;
	skip_space(ps);
	at = ps->p;
	if (*ps->p == '-') {
		struct node nd = {.op = OP_NEG, .type = EXPR_NUMBER};
		ps->p++;
		if (++ps->depth > EXPR_MAX_DEPTH)
			return fail(ps, at, "nested too deeply");
		nd.a = parse_unary(ps);
		ps->depth--;
		if (nd.a < 0)
			return -1;
		if (ps->e->nodes[nd.a].type != EXPR_NUMBER)
			return fail(ps, at, "- needs a number");
		return add_node(ps, nd);
	}
	return parse_primary(ps);
}

/* A binary level: ops[i] is the token for code codes[i]; next parses operands. */
static int parse_binary(struct parser *ps, int (*next)(struct parser *), const char *const *ops,
			const enum op *codes, size_t nops, enum expr_type operand, int chain)
{
	int left = next(ps);
	while (left >= 0) {
		size_t k;
		const char *at;
		struct node nd = {0};

		skip_space(ps);
		at = ps->p;
		for (k = 0; k < nops; k++)
			if (accept(ps, ops[k]))
				break;
		if (k == nops)
			break;
		nd.op = codes[k];
		nd.a = left;
		nd.b = next(ps);
		if (nd.b < 0)
			return -1;
		if (ps->e->nodes[nd.a].type != operand || ps->e->nodes[nd.b].type != operand) {
			ps->rc = cv_fail(ps->err, ps->errlen, CV_ECONFIG,
					 "position %d: %s needs %s on both sides",
					 (int)(at - ps->src) + 1, ops[k], type_name(operand));
			return -1;
		}
		nd.type = operand;
		left = add_node(ps, nd);
		if (!chain)
			break;
	}
	return left;
}

static int parse_term(struct parser *ps)
{
	static const char *const ops[] = {"*", "/"};
	static const enum op codes[] = {OP_MUL, OP_DIV};
	return parse_binary(ps, parse_unary, ops, codes, 2, EXPR_NUMBER, 1);
}

static int parse_sum(struct parser *ps)
{
	static const char *const ops[] = {"+", "-"};
	static const enum op codes[] = {OP_ADD, OP_SUB};
	return parse_binary(ps, parse_term, ops, codes, 2, EXPR_NUMBER, 1);
}

static int parse_cmp(struct parser *ps)
{
	/* Longest tokens first. */
	static const char *const ops[] = {"==", "!=", "<=", ">=", "<", ">"};
	static const enum op codes[] = {OP_EQ, OP_NE, OP_LE, OP_GE, OP_LT, OP_GT};
	int left = parse_sum(ps);
	const char *at;
	size_t k;
	struct node nd = {.type = EXPR_BOOL};
	enum expr_type lt, rt;

	if (left < 0)
		return -1;
	skip_space(ps);
	at = ps->p;
	for (k = 0; k < 6; k++)
		if (accept(ps, ops[k]))
			break;
	if (k == 6)
		return left;
	nd.op = codes[k];
	nd.a = left;
	nd.b = parse_sum(ps);
	if (nd.b < 0)
		return -1;
	lt = ps->e->nodes[nd.a].type;
	rt = ps->e->nodes[nd.b].type;
	if (lt != rt) {
		ps->rc = cv_fail(ps->err, ps->errlen, CV_ECONFIG,
				 "position %d: %s compares %s with %s", (int)(at - ps->src) + 1,
				 ops[k], type_name(lt), type_name(rt));
		return -1;
	}
	if (lt != EXPR_NUMBER && nd.op != OP_EQ && nd.op != OP_NE) {
		ps->rc = cv_fail(
			ps->err, ps->errlen, CV_ECONFIG,
			"position %d: %s needs numbers; %s can only be compared with == or !=",
			(int)(at - ps->src) + 1, ops[k], type_name(lt));
		return -1;
	}
	left = add_node(ps, nd);
	skip_space(ps);
	for (k = 0; k < 6 && left >= 0; k++)
		if (strncmp(ps->p, ops[k], strlen(ops[k])) == 0)
			return fail(ps, ps->p, "comparisons cannot be chained; use and");
	return left;
}

static int parse_not(struct parser *ps)
{
	const char *at;
	skip_space(ps);
	at = ps->p;
	if (accept(ps, "not")) {
		struct node nd = {.op = OP_NOT, .type = EXPR_BOOL};
		if (++ps->depth > EXPR_MAX_DEPTH)
			return fail(ps, at, "nested too deeply");
		nd.a = parse_not(ps);
		ps->depth--;
		if (nd.a < 0)
			return -1;
		if (ps->e->nodes[nd.a].type != EXPR_BOOL)
			return fail(ps, at, "not needs true/false");
		return add_node(ps, nd);
	}
	return parse_cmp(ps);
}

static int parse_and(struct parser *ps)
{
	static const char *const ops[] = {"and"};
	static const enum op codes[] = {OP_AND};
	return parse_binary(ps, parse_not, ops, codes, 1, EXPR_BOOL, 1);
}

static int parse_or(struct parser *ps)
{
	static const char *const ops[] = {"or"};
	static const enum op codes[] = {OP_OR};
	int r;
	if (++ps->depth > EXPR_MAX_DEPTH)
		return fail(ps, ps->p, "nested too deeply");
	r = parse_binary(ps, parse_and, ops, codes, 1, EXPR_BOOL, 1);
	ps->depth--;
	return r;
}

int expr_compile(const char *src, const struct questionnaire *q, struct expr **out, char *err,
		 size_t errlen)
{
	struct parser ps = {.src = src, .p = src, .q = q, .err = err, .errlen = errlen};
	int root;

	*out = NULL;
	ps.e = calloc(1, sizeof *ps.e);
	if (ps.e == NULL)
		return CV_ENOMEM;
	root = parse_or(&ps);
	if (root >= 0) {
		skip_space(&ps);
		if (*ps.p != '\0')
			root = fail(&ps, ps.p, "unexpected \"%.1s\"", ps.p);
	}
	if (root >= 0 && ps.e->nodes[root].type != EXPR_BOOL) {
		ps.rc = cv_fail(err, errlen, CV_ECONFIG,
				"position 1: the expression is %s, not true/false",
				type_name(ps.e->nodes[root].type));
		root = -1;
	}
	if (root < 0) {
		int rc = ps.rc ? ps.rc : CV_ECONFIG;
		expr_free(&ps.e);
		return rc;
	}
	ps.e->root = root;
	*out = ps.e;
	return 0;
}

void expr_free(struct expr **ep)
{
	if (ep == NULL || *ep == NULL)
		return;
	for (int i = 0; i < (*ep)->n; i++)
		free((*ep)->nodes[i].str);
	free((*ep)->nodes);
	free(*ep);
	*ep = NULL;
}

/* A value at evaluation; unknown when kind is 0. */
struct value {
	int known;
	double num; /* numbers and booleans (0/1) */
	const char *str;
};

static struct value eval(const struct expr *e, int i, expr_lookup_fn lookup, void *ctx)
{
	const struct node *nd = &e->nodes[i];
	struct value v = {0}, a, b;
	const Canvass__Answer *ans;

	switch (nd->op) {
	case OP_NUM:
	case OP_BOOL:
		v.known = 1;
		v.num = nd->num;
		return v;
	case OP_STR:
		v.known = 1;
		v.str = nd->str;
		return v;
	case OP_REF:
		ans = lookup(ctx, nd->q);
		if (ans == NULL)
			return v;
		switch (ans->value_case) {
		case CANVASS__ANSWER__VALUE_BOOLEAN: v.num = ans->boolean; break;
		case CANVASS__ANSWER__VALUE_INTEGER: v.num = (double)ans->integer; break;
		case CANVASS__ANSWER__VALUE_NUMBER: v.num = ans->number; break;
		case CANVASS__ANSWER__VALUE_TEXT: v.str = ans->text; break;
		default: return v; /* special answers and mismatches: unknown */
		}
		/* The value must fit the question's type to be used at all. */
		if ((nd->type == EXPR_STRING) != (v.str != NULL) ||
		    (nd->type == EXPR_BOOL && ans->value_case != CANVASS__ANSWER__VALUE_BOOLEAN))
			return v;
		v.known = 1;
		return v;
	case OP_ANSWERED:
		ans = lookup(ctx, nd->q);
		v.known = 1;
		v.num = ans != NULL && ans->value_case != CANVASS__ANSWER__VALUE_SPECIAL;
		return v;
	case OP_COUNT:
		/* The options selected: unknown when unanswered or a special answer. */
		ans = lookup(ctx, nd->q);
		if (ans == NULL)
			return v;
		if (ans->value_case == CANVASS__ANSWER__VALUE_TEXT) {
			v.known = 1;
			v.num = 1;
		} else if (ans->value_case == CANVASS__ANSWER__VALUE_LIST) {
			v.known = 1;
			v.num = (double)ans->list->n_items;
		}
		return v;
	case OP_SELECTED:
		ans = lookup(ctx, nd->q);
		if (ans == NULL)
			return v;
		if (ans->value_case == CANVASS__ANSWER__VALUE_TEXT) {
			v.known = 1;
			v.num = strcmp(ans->text, nd->str) == 0;
		} else if (ans->value_case == CANVASS__ANSWER__VALUE_LIST) {
			v.known = 1;
			for (size_t k = 0; k < ans->list->n_items; k++)
				if (strcmp(ans->list->items[k], nd->str) == 0)
					v.num = 1;
		}
		return v;
	case OP_NEG:
		a = eval(e, nd->a, lookup, ctx);
		a.num = -a.num;
		return a;
	case OP_NOT:
		a = eval(e, nd->a, lookup, ctx);
		a.num = !a.num;
		return a;
	case OP_AND:
	case OP_OR:
		a = eval(e, nd->a, lookup, ctx);
		/* Kleene: false and x = false; true or x = true, whatever x is. */
		if (a.known && (nd->op == OP_AND ? a.num == 0 : a.num != 0))
			return a;
		b = eval(e, nd->b, lookup, ctx);
		if (b.known && (nd->op == OP_AND ? b.num == 0 : b.num != 0))
			return b;
		if (!a.known || !b.known)
			return v;
		return b;
	default: break;
	}
	a = eval(e, nd->a, lookup, ctx);
	b = eval(e, nd->b, lookup, ctx);
	if (!a.known || !b.known)
		return v;
	v.known = 1;
	switch (nd->op) {
	case OP_ADD: v.num = a.num + b.num; break;
	case OP_SUB: v.num = a.num - b.num; break;
	case OP_MUL: v.num = a.num * b.num; break;
	case OP_DIV:
		if (b.num == 0)
			v.known = 0; /* division by zero: unknown, never a crash or inf */
		else
			v.num = a.num / b.num;
		break;
	case OP_EQ:
	case OP_NE: {
		int eq = e->nodes[nd->a].type == EXPR_STRING ? strcmp(a.str, b.str) == 0
							     : a.num == b.num;
		v.num = nd->op == OP_EQ ? eq : !eq;
		break;
	}
	case OP_LT: v.num = a.num < b.num; break;
	case OP_LE: v.num = a.num <= b.num; break;
	case OP_GT: v.num = a.num > b.num; break;
	case OP_GE: v.num = a.num >= b.num; break;
	default: v.known = 0; break;
	}
	if (v.known && !isfinite(v.num))
		v.known = 0;
	return v;
}

enum expr_truth expr_eval(const struct expr *e, expr_lookup_fn lookup, void *ctx)
{
	struct value v = eval(e, e->root, lookup, ctx);
	if (!v.known)
		return EXPR_UNKNOWN;
	return v.num != 0 ? EXPR_TRUE : EXPR_FALSE;
}

/* ctx: a pointer to the submission's pointer (it stays const). */
static const Canvass__Answer *submission_answer(void *ctx, const struct question *q)
{
	const Canvass__Submission *const *s = ctx;
	return canon_find_answer(*s, q->id);
}

bool expr_applies(const struct question *q, const Canvass__Submission *s)
{
	return q->when == NULL || expr_eval(q->when, submission_answer, &s) == EXPR_TRUE;
}

size_t expr_questions(const struct expr *e, const struct question **out, size_t max)
{
	size_t n = 0;
	for (int i = 0; i < e->n; i++) {
		const struct question *q = e->nodes[i].q;
		int seen = 0;
		if (q == NULL)
			continue;
		for (size_t k = 0; k < n; k++)
			seen |= out[k] == q;
		if (!seen && n < max)
			out[n++] = q;
	}
	return n;
}

/* ------------------------------------------------------------ printing */

struct out {
	char *buf;
	size_t len, at;
	int rc;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->rc != 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->at, o->len - o->at, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->at)
		o->rc = CV_ETOOBIG;
	else
		o->at += (size_t)n;
}

/* How tightly a node binds in a syntax (higher: tighter). */
static int precedence(const struct node *nd, enum expr_syntax syn)
{
	switch (nd->op) {
	case OP_OR: return 1;
	case OP_AND: return 2;
	case OP_NOT: return syn == EXPR_CANVASS ? 3 : 9; /* XLSForm: a function, not() */
	case OP_EQ:
	case OP_NE: return syn == EXPR_CANVASS ? 4 : 3;
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE: return 4;
	case OP_ADD:
	case OP_SUB: return 5;
	case OP_MUL:
	case OP_DIV: return 6;
	case OP_NEG: return 7;
	case OP_REF: /* XLSForm: a yes/no question reads as ${id} = 'yes' */
		return syn == EXPR_XLSFORM && nd->q->type == QT_YES_NO ? 3 : 9;
	case OP_ANSWERED: return syn == EXPR_XLSFORM ? 3 : 9;
	default: return 9;
	}
}

static void print_node(const struct expr *e, int i, enum expr_syntax syn, int min, struct out *o);

static void print_string(const char *s, enum expr_syntax syn, struct out *o)
{
	if (syn == EXPR_XLSFORM) {
		bool single = strchr(s, '\'') != NULL;
		if (single && strchr(s, '"') != NULL) {
			o->rc = o->rc ? o->rc : CV_EINVAL;
			return;
		}
		put(o, single ? "\"%s\"" : "'%s'", s);
		return;
	}
	put(o, "\"");
	for (; *s; s++)
		put(o, *s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
	put(o, "\"");
}

static const char *op_token(enum op op, enum expr_syntax syn)
{
	switch (op) {
	case OP_OR: return "or";
	case OP_AND: return "and";
	case OP_EQ: return syn == EXPR_CANVASS ? "==" : "=";
	case OP_NE: return "!=";
	case OP_LT: return "<";
	case OP_LE: return "<=";
	case OP_GT: return ">";
	case OP_GE: return ">=";
	case OP_ADD: return "+";
	case OP_SUB: return "-";
	case OP_MUL: return "*";
	case OP_DIV: return syn == EXPR_CANVASS ? "/" : "div";
	default: return "?";
	}
}

/* A yes/no question compared with true or false: XLSForm's ${id} = 'yes'. */
static bool yes_no_test(const struct expr *e, const struct node *nd, const struct node **ref,
			bool *yes)
{
	const struct node *a = &e->nodes[nd->a], *b = &e->nodes[nd->b];
	if (nd->op != OP_EQ && nd->op != OP_NE)
		return false;
	if (b->op == OP_REF && a->op == OP_BOOL) {
		const struct node *t = a;
		a = b;
		b = t;
	}
	if (a->op != OP_REF || a->q->type != QT_YES_NO || b->op != OP_BOOL)
		return false;
	*ref = a;
	*yes = (b->num != 0) == (nd->op == OP_EQ);
	return true;
}

static void print_node(const struct expr *e, int i, enum expr_syntax syn, int min, struct out *o)
{
	const struct node *nd = &e->nodes[i], *ref;
	int prec = precedence(nd, syn);
	bool paren, yes;

	/* canvass: a yes/no question compared with true or false reads as itself or not it. */
	if (syn == EXPR_CANVASS && yes_no_test(e, nd, &ref, &yes)) {
		paren = (yes ? 9 : 3) < min;
		put(o, "%s%s%s%s", paren ? "(" : "", yes ? "" : "not ", ref->q->id,
		    paren ? ")" : "");
		return;
	}
	paren = prec < min;
	if (paren)
		put(o, "(");
	switch (nd->op) {
	case OP_NUM: put(o, "%.15g", nd->num); break;
	case OP_BOOL:
		put(o, "%s%s", nd->num != 0 ? "true" : "false", syn == EXPR_XLSFORM ? "()" : "");
		break;
	case OP_STR: print_string(nd->str, syn, o); break;
	case OP_REF:
		if (syn == EXPR_CANVASS)
			put(o, "%s", nd->q->id);
		else if (nd->q->type == QT_YES_NO)
			put(o, "${%s} = 'yes'", nd->q->id);
		else
			put(o, "${%s}", nd->q->id);
		break;
	case OP_ANSWERED:
		if (syn == EXPR_CANVASS)
			put(o, "answered(%s)", nd->q->id);
		else
			put(o, "${%s} != ''", nd->q->id);
		break;
	case OP_COUNT:
		put(o, syn == EXPR_CANVASS ? "count_selected(%s)" : "count-selected(${%s})",
		    nd->q->id);
		break;
	case OP_SELECTED:
		put(o, syn == EXPR_CANVASS ? "selected(%s, " : "selected(${%s}, ", nd->q->id);
		print_string(nd->str, syn, o);
		put(o, ")");
		break;
	case OP_NEG:
		put(o, "-");
		print_node(e, nd->a, syn, 7, o);
		break;
	case OP_NOT:
		if (syn == EXPR_CANVASS) {
			put(o, "not ");
			print_node(e, nd->a, syn, 3, o);
		} else {
			put(o, "not(");
			print_node(e, nd->a, syn, 0, o);
			put(o, ")");
		}
		break;
	default:
		if (syn == EXPR_XLSFORM && yes_no_test(e, nd, &ref, &yes)) {
			put(o, "${%s} = '%s'", ref->q->id, yes ? "yes" : "no");
			break;
		}
		/*
		 * Left to right: the left operand at this level, the right one
		 * tighter; comparisons (not chained, in either syntax) take
		 * operands tighter than any comparison.
		 */
		{
			bool cmp = prec == 3 || prec == 4;
			if (cmp)
				prec = 4;
			print_node(e, nd->a, syn, cmp ? prec + 1 : prec, o);
			put(o, " %s ", op_token(nd->op, syn));
			print_node(e, nd->b, syn, prec + 1, o);
		}
		break;
	}
	if (paren)
		put(o, ")");
}

int expr_print(const struct expr *e, enum expr_syntax syntax, char *buf, size_t len)
{
	struct out o = {buf, len, 0, 0};

	if (len == 0)
		return CV_ETOOBIG;
	buf[0] = '\0';
	print_node(e, e->root, syntax, 0, &o);
	return o.rc;
}
