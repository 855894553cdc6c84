#include "registry.h"
#include "text.h"
#include "error.h"
#include "util.h"

#include <csv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define REGISTRY_MAX_FILE  (16 * 1024 * 1024)
#define REGISTRY_MAX_FIELD 256

/* State of the CSV callbacks while rows stream in. */
struct load {
	struct registry *reg;
	const char *path;
	size_t cap;
	size_t line;
	size_t field;
	char *row[4];
	bool header_done;
	bool key_column;
	int rc;
	char *err;
	size_t errlen;
};

static void on_field(void *data, size_t len, void *ctx)
{
	struct load *l = ctx;

	if (l->rc != 0)
		return;
	if (l->field >= 4) {
		l->rc = cv_fail(l->err, l->errlen, CV_ECONFIG, "%s: line %zu: more than 4 fields",
				l->path, l->line);
		return;
	}
	if (len > REGISTRY_MAX_FIELD) {
		l->rc = cv_fail(l->err, l->errlen, CV_ECONFIG,
				"%s: line %zu: field %zu longer than %d bytes", l->path, l->line,
				l->field + 1, REGISTRY_MAX_FIELD);
		return;
	}
	l->row[l->field] = strndup(data ? data : "", len);
	if (l->row[l->field] == NULL)
		l->rc = CV_ENOMEM;
	l->field++;
}

static int header(struct load *l)
{
	static const char *const want[] = {"code", "name", "region", "public_key"};
	if (l->field < 3 || l->field > 4)
		goto badh;
	for (size_t i = 0; i < l->field; i++)
		if (strcmp(l->row[i], want[i]) != 0)
			goto badh;
	l->key_column = l->field == 4;
	l->header_done = true;
	return 0;
badh:
	return cv_fail(l->err, l->errlen, CV_ECONFIG,
		       "%s: line 1: header must be code,name,region[,public_key]", l->path);
}

static int row(struct load *l)
{
	struct registry *reg = l->reg;
	struct member *m;
	const char *key;

	if (l->field != (l->key_column ? 4u : 3u))
		return cv_fail(l->err, l->errlen, CV_ECONFIG, "%s: line %zu: expected %d fields",
			       l->path, l->line, l->key_column ? 4 : 3);
	if (!text_id_ok(ID_MEMBER, l->row[0]))
		return cv_fail(l->err, l->errlen, CV_ECONFIG,
			       "%s: line %zu: code must be 2-16 of A-Z 0-9", l->path, l->line);
	if (l->row[1][0] == '\0' || l->row[2][0] == '\0')
		return cv_fail(l->err, l->errlen, CV_ECONFIG,
			       "%s: line %zu: name and region are required", l->path, l->line);
	key = l->key_column ? l->row[3] : "";
	if (key[0] != '\0' && strlen(key) != REGISTRY_KEY_LEN)
		return cv_fail(l->err, l->errlen, CV_ECONFIG,
			       "%s: line %zu: public_key must be 40 characters of Z85", l->path,
			       l->line);
	if (cv_reserve(&reg->members, &l->cap, reg->n, sizeof *reg->members) != 0)
		return CV_ENOMEM;
	m = &reg->members[reg->n++];
	m->code = l->row[0];
	m->name = l->row[1];
	m->region = l->row[2];
	m->public_key = key[0] != '\0' ? l->row[3] : NULL;
	if (l->key_column && m->public_key == NULL)
		free(l->row[3]);
	m->region_index = 0;
	memset(l->row, 0, sizeof l->row);
	return 0;
}

static void on_row(int c, void *ctx)
{
	struct load *l = ctx;
	(void)c;

	l->line++;
	if (l->rc == 0) {
		if (!l->header_done)
			l->rc = header(l);
		else
			l->rc = row(l);
	}
	for (size_t i = 0; i < 4; i++) {
		free(l->row[i]);
		l->row[i] = NULL;
	}
	l->field = 0;
}

static int member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->code, ((const struct member *)b)->code);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int index_regions(struct registry *reg)
{
	reg->regions = calloc(reg->n ? reg->n : 1, sizeof *reg->regions);
	if (reg->regions == NULL)
		return CV_ENOMEM;
	for (size_t i = 0; i < reg->n; i++) {
		bool seen = false;
		for (size_t r = 0; r < reg->n_regions && !seen; r++)
			seen = strcmp(reg->regions[r], reg->members[i].region) == 0;
		if (!seen)
			reg->regions[reg->n_regions++] = reg->members[i].region;
	}
	qsort(reg->regions, reg->n_regions, sizeof *reg->regions, str_cmp);
	for (size_t i = 0; i < reg->n; i++)
		for (size_t r = 0; r < reg->n_regions; r++)
			if (strcmp(reg->regions[r], reg->members[i].region) == 0)
				reg->members[i].region_index = r;
	return 0;
}

static int by_key(const void *a, const void *b)
{
	const struct member *x = *(const struct member *const *)a;
	const struct member *y = *(const struct member *const *)b;
	int c = strcmp(x->public_key, y->public_key);
	return c != 0 ? c : strcmp(x->code, y->code);
}

/*
 * Two members with one key: refused, naming the pair whose first code is
 * the smallest (and its next member with that key). Sorted by key, not
 * compared pairwise: a registry of thousands loads in a blink.
 */
static int shared_keys(const struct registry *reg, const char *path, char *err, size_t errlen)
{
	const struct member **keyed = calloc(reg->n ? reg->n : 1, sizeof *keyed), *a = NULL,
			    *b = NULL;
	size_t n = 0;

	if (keyed == NULL)
		return cv_fail(err, errlen, CV_ENOMEM, "%s: out of memory", path);
	for (size_t i = 0; i < reg->n; i++)
		if (reg->members[i].public_key != NULL)
			keyed[n++] = &reg->members[i];
	qsort(keyed, n, sizeof *keyed, by_key);
	for (size_t i = 1; i < n; i++)
		if (strcmp(keyed[i - 1]->public_key, keyed[i]->public_key) == 0 &&
		    (i < 2 || strcmp(keyed[i - 2]->public_key, keyed[i]->public_key) != 0) &&
		    (a == NULL || strcmp(keyed[i - 1]->code, a->code) < 0)) {
			a = keyed[i - 1];
			b = keyed[i];
		}
	free(keyed);
	if (a == NULL)
		return 0;
	return cv_fail(err, errlen, CV_ECONFIG, "%s: members %s and %s share a public key", path,
		       a->code, b->code);
}

int registry_load(const char *path, struct registry **out, char *err, size_t errlen)
{
	struct load l = {.path = path, .err = err, .errlen = errlen};
	struct csv_parser p;
	char *text = NULL;
	size_t len;
	int rc;

	*out = NULL;
	rc = cv_read_file(path, REGISTRY_MAX_FILE, &text, &len, err, errlen);
	if (rc != 0)
		return rc == CV_ENOMEM ? rc : CV_ECONFIG;
	if ((l.reg = calloc(1, sizeof *l.reg)) == NULL ||
	    csv_init(&p, CSV_STRICT | CSV_APPEND_NULL | CSV_EMPTY_IS_NULL) != 0) {
		free(text);
		free(l.reg);
		return CV_ENOMEM;
	}
	if (csv_parse(&p, text, len, on_field, on_row, &l) != len ||
	    csv_fini(&p, on_field, on_row, &l) != 0) {
		if (l.rc == 0)
			l.rc = cv_fail(err, errlen, CV_ECONFIG, "%s: line %zu: %s", path,
				       l.line + 1, csv_strerror(csv_error(&p)));
	}
	csv_free(&p);
	free(text);
	for (size_t i = 0; i < 4; i++)
		free(l.row[i]);
	rc = l.rc;
	if (rc == 0 && l.reg->n == 0)
		rc = cv_fail(err, errlen, CV_ECONFIG, "%s: no members", path);
	if (rc == 0) {
		qsort(l.reg->members, l.reg->n, sizeof *l.reg->members, member_cmp);
		for (size_t i = 1; i < l.reg->n && rc == 0; i++)
			if (strcmp(l.reg->members[i - 1].code, l.reg->members[i].code) == 0)
				rc = cv_fail(err, errlen, CV_ECONFIG, "%s: member %s listed twice",
					     path, l.reg->members[i].code);
		if (rc == 0)
			rc = shared_keys(l.reg, path, err, errlen);
	}
	if (rc == 0)
		rc = index_regions(l.reg);
	if (rc != 0) {
		registry_free(&l.reg);
		return rc;
	}
	*out = l.reg;
	return 0;
}

void registry_free(struct registry **regp)
{
	struct registry *reg;
	if (regp == NULL || *regp == NULL)
		return;
	reg = *regp;
	for (size_t i = 0; i < reg->n; i++) {
		free(reg->members[i].code);
		free(reg->members[i].name);
		free(reg->members[i].region);
		free(reg->members[i].public_key);
	}
	free(reg->members);
	free(reg->regions);
	free(reg);
	*regp = NULL;
}

const struct member *registry_find(const struct registry *reg, const char *code)
{
	struct member key = {.code = (char *)(uintptr_t)code};
	return bsearch(&key, reg->members, reg->n, sizeof *reg->members, member_cmp);
}

const struct member *registry_find_key(const struct registry *reg, const char *key)
{
	for (size_t i = 0; i < reg->n; i++)
		if (reg->members[i].public_key && strcmp(reg->members[i].public_key, key) == 0)
			return &reg->members[i];
	return NULL;
}

int registry_write(const struct registry *reg, FILE *out)
{
	fputs("code,name,region,public_key\n", out);
	for (size_t i = 0; i < reg->n; i++) {
		const struct member *m = &reg->members[i];
		cv_csv_field(out, m->code);
		fputc(',', out);
		cv_csv_field(out, m->name);
		fputc(',', out);
		cv_csv_field(out, m->region);
		fputc(',', out);
		fputs(m->public_key != NULL ? m->public_key : "", out);
		fputc('\n', out);
	}
	return ferror(out) ? CV_EIO : 0;
}
