#include "xlsx.h"

#include <ctype.h>
#include <stdarg.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "error.h"

struct reader {
	zip_t *za;
	char **sst; /* shared strings */
	size_t n_sst;
	char *err;
	size_t errlen;
};

static int bad(struct reader *r, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct reader *r, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* One part of the package, whole, or CV_ENOTFOUND; over the limit: CV_ETOOBIG. */
static int read_part(struct reader *r, const char *name, char **out, size_t *len)
{
	zip_stat_t st;
	zip_int64_t idx = zip_name_locate(r->za, name, 0), n = 0;
	zip_file_t *f;
	size_t cap, have = 0;
	char *buf;

	*out = NULL;
	if (idx < 0)
		return CV_ENOTFOUND;
	if (zip_stat_index(r->za, (zip_uint64_t)idx, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
		return bad(r, CV_EMALFORMED, "%s: unreadable in the zip file", name);
	if (st.size > XLSX_MAX_PART)
		return bad(r, CV_ETOOBIG, "%s: %llu bytes unpacked, over the limit of %u", name,
			   (unsigned long long)st.size, XLSX_MAX_PART);
	if ((f = zip_fopen_index(r->za, (zip_uint64_t)idx, 0)) == NULL)
		return bad(r, CV_EMALFORMED, "%s: %s", name, zip_strerror(r->za));
	cap = (size_t)st.size + 1;
	if ((buf = malloc(cap + 1)) == NULL) {
		zip_fclose(f);
		return CV_ENOMEM;
	}
	/* Never more than the size declared (plus one byte to see a lie). */
	while (have < cap && (n = zip_fread(f, buf + have, cap - have)) > 0)
		have += (size_t)n;
	zip_fclose(f);
	if (n < 0 || have != (size_t)st.size) {
		free(buf);
		return bad(r, CV_EMALFORMED, "%s: its size or checksum does not match the zip file",
			   name);
	}
	buf[have] = '\0';
	*out = buf;
	*len = have;
	return 0;
}

static xmlDocPtr parse_part(struct reader *r, const char *name, int *rc)
{
	char *buf;
	size_t len = 0;
	xmlDocPtr doc;

	if ((*rc = read_part(r, name, &buf, &len)) != 0)
		return NULL;
	if (len > INT32_MAX) {
		free(buf);
		*rc = CV_ETOOBIG;
		return NULL;
	}
	/* No network, no DTD, no entity expansion: the XML as written. */
	doc = xmlReadMemory(buf, (int)len, name, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	free(buf);
	if (doc == NULL || xmlDocGetRootElement(doc) == NULL) {
		xmlFreeDoc(doc);
		*rc = bad(r, CV_EMALFORMED, "%s: not well-formed XML", name);
	}
	return doc;
}

static bool named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n ? n->children : NULL; c != NULL; c = c->next)
		if (named(c, name))
			return c;
	return NULL;
}

/* An attribute's value (any namespace), or NULL; the caller frees with xmlFree. */
static char *attr(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a != NULL; a = a->next)
		if (strcmp((const char *)a->name, name) == 0)
			return (char *)xmlNodeGetContent((const xmlNode *)a);
	return NULL;
}

/* The text of every <t> under n, joined (rich text runs included). */
static void gather_t(const xmlNode *n, char **acc, size_t *len)
{
	for (const xmlNode *c = n->children; c != NULL; c = c->next) {
		if (named(c, "t")) {
			xmlChar *t = xmlNodeGetContent(c);
			size_t tl = t ? strlen((const char *)t) : 0;
			char *grown = realloc(*acc, *len + tl + 1);
			if (grown != NULL) {
				memcpy(grown + *len, t ? (const char *)t : "", tl);
				*len += tl;
				grown[*len] = '\0';
				*acc = grown;
			}
			xmlFree(t);
		} else if (named(c, "r")) {
			gather_t(c, acc, len);
		}
	}
}

static char *text_of(const xmlNode *n)
{
	char *acc = calloc(1, 1);
	size_t len = 0;
	if (acc != NULL)
		gather_t(n, &acc, &len);
	return acc;
}

static int shared_strings(struct reader *r)
{
	int rc;
	xmlDocPtr doc = parse_part(r, "xl/sharedStrings.xml", &rc);
	const xmlNode *root;
	size_t n = 0;

	if (doc == NULL)
		return rc == CV_ENOTFOUND ? 0 : rc; /* a workbook without strings */
	root = xmlDocGetRootElement(doc);
	for (const xmlNode *c = root->children; c != NULL; c = c->next)
		n += named(c, "si");
	if (n > (size_t)XLSX_MAX_ROWS * XLSX_MAX_COLS) {
		xmlFreeDoc(doc);
		return bad(r, CV_ETOOBIG, "xl/sharedStrings.xml: %zu strings, over the limit", n);
	}
	r->sst = calloc(n + 1, sizeof *r->sst);
	for (const xmlNode *c = root->children; r->sst != NULL && c != NULL; c = c->next)
		if (named(c, "si"))
			r->sst[r->n_sst++] = text_of(c);
	xmlFreeDoc(doc);
	return r->sst != NULL ? 0 : CV_ENOMEM;
}

/* "H14" -> row 13, col 7; -1 when it is not a cell reference within the limits. */
static int parse_ref(const char *ref, size_t *row, size_t *col)
{
	size_t c = 0, rw = 0, k = 0;
	while (isupper((unsigned char)ref[k]) && k < 4)
		c = c * 26 + (size_t)(ref[k++] - 'A' + 1);
	if (k == 0 || !isdigit((unsigned char)ref[k]))
		return -1;
	for (; isdigit((unsigned char)ref[k]) && k < 12; k++)
		rw = rw * 10 + (size_t)(ref[k] - '0');
	if (ref[k] != '\0' || rw == 0)
		return -1;
	*row = rw - 1;
	*col = c - 1;
	return 0;
}

void xlsx_ref(size_t row, size_t col, char buf[16])
{
	char letters[8];
	int n = 0;
	col++;
	while (col > 0 && n < 7) {
		letters[n++] = (char)('A' + (col - 1) % 26);
		col = (col - 1) / 26;
	}
	for (int i = 0; i < n; i++)
		buf[i] = letters[n - 1 - i];
	snprintf(buf + n, (size_t)(16 - n), "%zu", row + 1);
}

static char *cell_value(struct reader *r, const xmlNode *c, int *rc)
{
	char *t = attr(c, "t"), *out = NULL;
	const xmlNode *v = child(c, "v");
	xmlChar *vt = v ? xmlNodeGetContent(v) : NULL;

	*rc = 0;
	if (t != NULL && strcmp(t, "inlineStr") == 0) {
		const xmlNode *is = child(c, "is");
		out = is ? text_of(is) : NULL;
	} else if (t != NULL && strcmp(t, "s") == 0) {
		char *end;
		unsigned long i = vt ? strtoul((const char *)vt, &end, 10) : 0;
		if (vt == NULL || *end != '\0' || i >= r->n_sst)
			*rc = bad(r, CV_EMALFORMED, "a shared string that does not exist");
		else
			out = strdup(r->sst[i] ? r->sst[i] : "");
	} else if (t != NULL && strcmp(t, "b") == 0) {
		out = strdup(vt && strcmp((const char *)vt, "1") == 0 ? "TRUE" : "FALSE");
	} else if (vt != NULL) {
		out = strdup((const char *)vt); /* n, str, e: as written */
	}
	xmlFree(t);
	xmlFree(vt);
	if (out != NULL && out[0] == '\0') {
		free(out);
		out = NULL;
	}
	return out;
}

/* The cells of one worksheet part into s (name set by the caller). */
static int read_sheet(struct reader *r, const char *part, struct xlsx_sheet *s)
{
	int rc;
	xmlDocPtr doc = parse_part(r, part, &rc);
	const xmlNode *root, *data, *merges;
	size_t rows = 0, cols = 0;

	if (doc == NULL)
		return rc == CV_ENOTFOUND ? bad(r, CV_EMALFORMED, "%s: missing", part) : rc;
	root = xmlDocGetRootElement(doc);
	data = child(root, "sheetData");
	/* First the extent, with every reference checked against the limits. */
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		size_t next_row = 0;
		if (pass == 1) {
			s->rows = rows;
			s->cols = cols;
			if (rows > 0 && (s->cells = calloc(rows * cols, sizeof *s->cells)) == NULL)
				rc = CV_ENOMEM;
		}
		for (const xmlNode *row = data ? data->children : NULL; rc == 0 && row != NULL;
		     row = row->next) {
			char *rr;
			size_t ri = next_row, next_col = 0;
			if (!named(row, "row"))
				continue;
			if ((rr = attr(row, "r")) != NULL) {
				char *end;
				unsigned long v = strtoul(rr, &end, 10);
				if (*end != '\0' || v == 0 || v > XLSX_MAX_ROWS)
					rc = bad(r, v > XLSX_MAX_ROWS ? CV_ETOOBIG : CV_EMALFORMED,
						 "sheet %s: row %s: more than %u rows, or no row "
						 "number",
						 s->name, rr, XLSX_MAX_ROWS);
				ri = (size_t)v - 1;
				xmlFree(rr);
			}
			if (rc == 0 && ri >= XLSX_MAX_ROWS)
				rc = bad(r, CV_ETOOBIG, "sheet %s: more than %u rows", s->name,
					 XLSX_MAX_ROWS);
			next_row = ri + 1;
			for (const xmlNode *c = row->children; rc == 0 && c != NULL; c = c->next) {
				char *ref;
				size_t ci = next_col, rj = ri;
				if (!named(c, "c"))
					continue;
				if ((ref = attr(c, "r")) != NULL) {
					if (parse_ref(ref, &rj, &ci) != 0 || rj != ri)
						rc = bad(r, CV_EMALFORMED,
							 "sheet %s: a cell reference \"%.20s\" "
							 "that does "
							 "not fit its row",
							 s->name, ref);
					xmlFree(ref);
				}
				if (rc == 0 && ci >= XLSX_MAX_COLS)
					rc = bad(r, CV_ETOOBIG, "sheet %s: more than %u columns",
						 s->name, XLSX_MAX_COLS);
				next_col = ci + 1;
				if (rc != 0)
					break;
				if (pass == 0) {
					if (child(c, "v") == NULL && child(c, "is") == NULL)
						continue; /* formatting only */
					rows = ri + 1 > rows ? ri + 1 : rows;
					cols = ci + 1 > cols ? ci + 1 : cols;
				} else if (ri < rows && ci < cols) {
					char *v = cell_value(r, c, &rc);
					free(s->cells[ri * cols + ci]);
					s->cells[ri * cols + ci] = v;
				}
			}
		}
	}
	merges = child(root, "mergeCells");
	for (const xmlNode *m = merges ? merges->children : NULL; rc == 0 && m != NULL;
	     m = m->next) {
		char *ref;
		struct xlsx_merge *grown;
		if (!named(m, "mergeCell") || (ref = attr(m, "ref")) == NULL)
			continue;
		grown = realloc(s->merges, (s->n_merges + 1) * sizeof *s->merges);
		if (grown != NULL) {
			s->merges = grown;
			snprintf(s->merges[s->n_merges++].ref, sizeof grown->ref, "%s", ref);
		}
		xmlFree(ref);
	}
	xmlFreeDoc(doc);
	return rc;
}

/* workbook.xml's sheets and their parts (from the relationships). */
static int read_sheets(struct reader *r, struct xlsx *x)
{
	int rc;
	xmlDocPtr wb = parse_part(r, "xl/workbook.xml", &rc), rels = NULL;
	const xmlNode *sheets;

	if (wb == NULL)
		return rc == CV_ENOTFOUND
			       ? bad(r, CV_EMALFORMED, "not an xlsx workbook (no xl/workbook.xml)")
			       : rc;
	rels = parse_part(r, "xl/_rels/workbook.xml.rels", &rc);
	if (rels == NULL) {
		xmlFreeDoc(wb);
		return rc == CV_ENOTFOUND ? bad(r, CV_EMALFORMED, "no xl/_rels/workbook.xml.rels")
					  : rc;
	}
	sheets = child(xmlDocGetRootElement(wb), "sheets");
	for (const xmlNode *s = sheets ? sheets->children : NULL; rc == 0 && s != NULL;
	     s = s->next) {
		char *name, *rid, *target = NULL, part[600];
		if (!named(s, "sheet"))
			continue;
		if (x->n == XLSX_MAX_SHEETS) {
			rc = bad(r, CV_ETOOBIG, "more than %u sheets", XLSX_MAX_SHEETS);
			break;
		}
		name = attr(s, "name");
		rid = attr(s, "id");
		for (const xmlNode *rel = xmlDocGetRootElement(rels)->children;
		     rid != NULL && rel != NULL && target == NULL; rel = rel->next) {
			char *id;
			if (!named(rel, "Relationship") || (id = attr(rel, "Id")) == NULL)
				continue;
			if (strcmp(id, rid) == 0)
				target = attr(rel, "Target");
			xmlFree(id);
		}
		if (name == NULL || target == NULL || strstr(target, "..") != NULL) {
			rc = bad(r, CV_EMALFORMED, "a sheet without its part");
		} else {
			struct xlsx_sheet *sh = &x->sheets[x->n];
			snprintf(part, sizeof part, "%s%s", target[0] == '/' ? "" : "xl/",
				 target[0] == '/' ? target + 1 : target);
			sh->name = strdup(name);
			x->n++;
			rc = sh->name != NULL ? read_sheet(r, part, sh) : CV_ENOMEM;
		}
		xmlFree(name);
		xmlFree(rid);
		xmlFree(target);
	}
	xmlFreeDoc(wb);
	xmlFreeDoc(rels);
	return rc;
}

int xlsx_read(const void *data, size_t len, struct xlsx **out, char *err, size_t errlen)
{
	struct reader r = {.err = err, .errlen = errlen};
	zip_error_t ze;
	zip_source_t *src;
	struct xlsx *x;
	int rc;

	*out = NULL;
	zip_error_init(&ze);
	if ((src = zip_source_buffer_create(data, len, 0, &ze)) == NULL) {
		zip_error_fini(&ze);
		return bad(&r, CV_ENOMEM, "out of memory");
	}
	if ((r.za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze)) == NULL) {
		zip_source_free(src);
		rc = bad(&r, CV_EMALFORMED, "not an xlsx workbook (not a zip file: %s)",
			 zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return rc;
	}
	zip_error_fini(&ze);
	x = calloc(1, sizeof *x);
	if (x == NULL || (x->sheets = calloc(XLSX_MAX_SHEETS, sizeof *x->sheets)) == NULL) {
		free(x);
		zip_discard(r.za);
		return CV_ENOMEM;
	}
	rc = shared_strings(&r);
	if (rc == 0)
		rc = read_sheets(&r, x);
	for (size_t i = 0; i < r.n_sst; i++)
		free(r.sst[i]);
	free(r.sst);
	zip_discard(r.za);
	if (rc != 0) {
		xlsx_free(&x);
		return rc;
	}
	*out = x;
	return 0;
}

void xlsx_free(struct xlsx **xp)
{
	struct xlsx *x = xp ? *xp : NULL;
	if (x == NULL)
		return;
	for (size_t i = 0; i < x->n; i++) {
		struct xlsx_sheet *s = &x->sheets[i];
		for (size_t k = 0; s->cells != NULL && k < s->rows * s->cols; k++)
			free(s->cells[k]);
		free(s->cells);
		free(s->merges);
		free(s->name);
	}
	free(x->sheets);
	free(x);
	*xp = NULL;
}

const struct xlsx_sheet *xlsx_sheet(const struct xlsx *x, const char *name)
{
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->sheets[i].name, name) == 0)
			return &x->sheets[i];
	return NULL;
}

const char *xlsx_cell(const struct xlsx_sheet *s, size_t row, size_t col)
{
	if (row >= s->rows || col >= s->cols)
		return NULL;
	return s->cells[row * s->cols + col];
}
