/*
 * xlsform_expr.c - XLSForm's expressions (the subset of XPath it uses) read
 * as canvass's expression language (xlsform.h, xlsform_expression): a
 * tokenizer, then each token rewritten, with the yes/no and empty-string
 * patterns that need a token's neighbours.
 */
#include "xlsform.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

enum tok { T_END, T_REF, T_STR, T_NUM, T_OP, T_WORD };

struct token {
	enum tok kind;
	char text[256];
};

/* The next token of an XLSForm expression at *pp; -1 with err on a bad one. */
static int next_token(const char **pp, struct token *t, char *err, size_t errlen)
{
	const char *p = *pp;
	size_t n = 0;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	t->text[0] = '\0';
	if (*p == '\0') {
		t->kind = T_END;
	} else if (p[0] == '$' && p[1] == '{') {
		const char *end = strchr(p, '}');
		if (end == NULL || end == p + 2 || (size_t)(end - p - 2) >= sizeof t->text) {
			snprintf(err, errlen, "\"${\" without its name and \"}\"");
			return -1;
		}
		t->kind = T_REF;
		memcpy(t->text, p + 2, (size_t)(end - p - 2));
		t->text[end - p - 2] = '\0';
		p = end + 1;
	} else if (*p == '\'' || *p == '"') {
		char q = *p++;
		t->kind = T_STR;
		while (*p && *p != q && n + 1 < sizeof t->text)
			t->text[n++] = *p++;
		if (*p != q) {
			snprintf(err, errlen, "a string without its closing %c", q);
			return -1;
		}
		t->text[n] = '\0';
		p++;
	} else if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
		t->kind = T_NUM;
		while ((isdigit((unsigned char)*p) || *p == '.') && n + 1 < sizeof t->text)
			t->text[n++] = *p++;
		t->text[n] = '\0';
	} else if (isalpha((unsigned char)*p) || *p == '_') {
		t->kind = T_WORD;
		while ((isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == ':') &&
		       n + 1 < sizeof t->text)
			t->text[n++] = *p++;
		t->text[n] = '\0';
	} else {
		static const char *const ops[] = {"!=", "<=", ">=", "=", "<", ">", "+",
						  "-",  "*",  "(",  ")", ",", "."};
		t->kind = T_OP;
		for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
			if (strncmp(p, ops[k], strlen(ops[k])) == 0) {
				snprintf(t->text, sizeof t->text, "%s", ops[k]);
				p += strlen(ops[k]);
				break;
			}
		if (t->text[0] == '\0') {
			snprintf(err, errlen, "\"%c\" is outside the expressions canvass reads",
				 *p);
			return -1;
		}
	}
	*pp = p;
	return 0;
}

static int append(char *out, size_t outlen, size_t *at, const char *s)
{
	size_t n = strlen(s);
	if (*at + n + 1 > outlen)
		return -1;
	memcpy(out + *at, s, n + 1);
	*at += n;
	return 0;
}

int xlsform_expression(const char *src, const char *self, xlsform_yes_no_fn yes_no, void *ctx,
		       char *out, size_t outlen, char *err, size_t errlen)
{
	struct token tk[512];
	size_t n = 0, at = 0;
	const char *p = src;

	/* Tokens first: the yes/no and empty-string patterns look at neighbours. */
	do {
		if (n == sizeof tk / sizeof tk[0]) {
			snprintf(err, errlen, "longer than %zu tokens", sizeof tk / sizeof tk[0]);
			return CV_EINVAL;
		}
		if (next_token(&p, &tk[n], err, errlen) != 0)
			return CV_EINVAL;
		if (tk[n].kind == T_OP && strcmp(tk[n].text, ".") == 0) {
			if (self == NULL) {
				snprintf(err, errlen,
					 "\".\" (this question's answer) is only for a "
					 "constraint");
				return CV_EINVAL;
			}
			tk[n].kind = T_REF;
			snprintf(tk[n].text, sizeof tk[n].text, "%s", self);
		}
	} while (tk[n++].kind != T_END);
	out[0] = '\0';
	for (size_t i = 0; i + 1 < n; i++) {
		const struct token *t = &tk[i];
		char buf[600];
		bool cmp_next =
			i + 2 < n && tk[i + 1].kind == T_OP &&
			(strcmp(tk[i + 1].text, "=") == 0 || strcmp(tk[i + 1].text, "!=") == 0);
		if (t->kind == T_REF && cmp_next && tk[i + 2].kind == T_STR) {
			bool eq = strcmp(tk[i + 1].text, "=") == 0;
			const char *s = tk[i + 2].text;
			if (s[0] == '\0') { /* ${id} != '': answered */
				snprintf(buf, sizeof buf,
					 eq ? "(not answered(%s))" : "answered(%s)", t->text);
				i += 2;
			} else if (yes_no(ctx, t->text) &&
				   (strcmp(s, "yes") == 0 || strcmp(s, "no") == 0)) {
				snprintf(buf, sizeof buf, "%s %s %s", t->text, eq ? "==" : "!=",
					 strcmp(s, "yes") == 0 ? "true" : "false");
				i += 2;
			} else {
				snprintf(buf, sizeof buf, "%s", t->text);
			}
		} else if (t->kind == T_REF) {
			snprintf(buf, sizeof buf, "%s", t->text);
		} else if (t->kind == T_STR) {
			size_t k = 0;
			buf[k++] = '"';
			for (const char *c = t->text; *c && k + 3 < sizeof buf; c++) {
				if (*c == '"' || *c == '\\')
					buf[k++] = '\\';
				buf[k++] = *c;
			}
			buf[k++] = '"';
			buf[k] = '\0';
		} else if (t->kind == T_NUM) {
			snprintf(buf, sizeof buf, "%s", t->text);
		} else if (t->kind == T_OP) {
			snprintf(buf, sizeof buf, "%s", strcmp(t->text, "=") == 0 ? "==" : t->text);
		} else if (strcmp(t->text, "and") == 0 || strcmp(t->text, "or") == 0 ||
			   strcmp(t->text, "not") == 0 || strcmp(t->text, "selected") == 0) {
			snprintf(buf, sizeof buf, "%s", t->text);
		} else if (strcmp(t->text, "div") == 0) {
			snprintf(buf, sizeof buf, "/");
		} else if (strcmp(t->text, "count-selected") == 0) {
			snprintf(buf, sizeof buf, "count_selected");
		} else if ((strcmp(t->text, "true") == 0 || strcmp(t->text, "false") == 0) &&
			   i + 3 < n && strcmp(tk[i + 1].text, "(") == 0 &&
			   strcmp(tk[i + 2].text, ")") == 0) {
			snprintf(buf, sizeof buf, "%s", t->text);
			i += 2;
		} else {
			snprintf(err, errlen,
				 "\"%s\" is outside the expressions canvass reads (${id}, numbers, "
				 "'strings', = != < <= > >=, + - * div, and or not(), true() "
				 "false(), "
				 "selected(), count-selected(), .)",
				 t->text);
			return CV_EINVAL;
		}
		if ((at > 0 && append(out, outlen, &at, " ") != 0) ||
		    append(out, outlen, &at, buf) != 0) {
			snprintf(err, errlen, "too long");
			return CV_EINVAL;
		}
	}
	return 0;
}
