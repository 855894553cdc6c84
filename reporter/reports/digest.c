#include "digest.h"
#include "error.h"
#include "text.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* The groups after the regions: named members not in the registry, and withheld regions. */
#define G_UNREGISTERED(d) ((d)->n_regions)
#define G_WITHHELD(d)     ((d)->n_regions + 1)

const char *digest_group_name(const struct digest *d, size_t group)
{
	if (group < d->n_regions)
		return d->ds->reg->regions[group];
	return group == G_UNREGISTERED(d) ? "Not in the member registry" : "Region not given";
}

bool digest_group_withheld(const struct digest *d, size_t group)
{
	return group == G_WITHHELD(d);
}

/* The row's answer to question id (answers are sorted by question id), or NULL. */
static const Canvass__Answer *answer_of(const struct ds_row *r, const char *id)
{
	size_t lo = 0, hi = r->sub->n_answers;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->sub->answers[mid]->question, id);
		if (c == 0)
			return r->sub->answers[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The label of option id, or the id when the definition has none. */
static const char *option_label(const struct question *q, const char *id)
{
	int i = qdef_option_index(q, id);
	return i >= 0 ? q->options[i].label : id;
}

/*
 * An answer as a reader reads it (malloc'd): the text, Yes or No, a scale
 * level's or an option's label, options' labels joined by "; " in the
 * definition's order, a number with its unit. NULL for a special or empty answer (nothing to
 * share); *rc set to CV_ENOMEM when out of memory.
 */
static char *shown_answer(const struct question *q, const Canvass__Answer *a, int *rc)
{
	char *s = NULL, num[64];
	size_t len = 0;
	FILE *m;

	if (a == NULL || a->value_case == CANVASS__ANSWER__VALUE_SPECIAL ||
	    (a->value_case == CANVASS__ANSWER__VALUE_TEXT && a->text[0] == '\0'))
		return NULL;
	if ((m = open_memstream(&s, &len)) == NULL) {
		*rc = CV_ENOMEM;
		return NULL;
	}
	switch (a->value_case) {
	case CANVASS__ANSWER__VALUE_TEXT:
		fputs(q->type == QT_CHOICE ? option_label(q, a->text) : a->text, m);
		break;
	case CANVASS__ANSWER__VALUE_BOOLEAN: fputs(a->boolean ? "Yes" : "No", m); break;
	case CANVASS__ANSWER__VALUE_INTEGER:
		if (q->type == QT_SCALE && qdef_level_index(q, a->integer) >= 0) {
			fputs(q->options[qdef_level_index(q, a->integer)].label, m);
			break;
		}
		fprintf(m, "%lld%s%s", (long long)a->integer, q->unit ? " " : "",
			q->unit ? q->unit : "");
		break;
	case CANVASS__ANSWER__VALUE_NUMBER:
		snprintf(num, sizeof num, "%.15g", a->number);
		fprintf(m, "%s%s%s", num, q->unit ? " " : "", q->unit ? q->unit : "");
		break;
	case CANVASS__ANSWER__VALUE_LIST: {
		/* In the definition's order of the options, as the member saw them. */
		size_t shown = 0;
		for (size_t o = 0; o < q->n_options; o++)
			for (size_t i = 0; i < a->list->n_items; i++)
				if (q->options[o].id != NULL &&
				    strcmp(q->options[o].id, a->list->items[i]) == 0) {
					fprintf(m, "%s%s", shown++ ? "; " : "",
						q->options[o].label);
					break;
				}
		for (size_t i = 0; i < a->list->n_items; i++)
			if (qdef_option_index(q, a->list->items[i]) < 0)
				fprintf(m, "%s%s", shown++ ? "; " : "", a->list->items[i]);
		break;
	}
	default: break;
	}
	if (fclose(m) != 0) {
		free(s);
		*rc = CV_ENOMEM;
		return NULL;
	}
	return s;
}

/*
 * A field's label: the question's text without the title of the section it
 * is about in front ("Leadership and Commitment: the initiative's results"
 * under that key factor reads "The initiative's results"); the title's
 * number ("1. ") is not part of it.
 */
static const char *field_label(const struct question *q, const char *about_title)
{
	const char *t = about_title, *text = q->text;
	size_t n;

	while (*t >= '0' && *t <= '9')
		t++;
	if (t != about_title && t[0] == '.' && t[1] == ' ')
		t += 2;
	else
		t = about_title;
	n = strlen(t);
	if (n == 0 || strncmp(text, t, n) != 0)
		return text;
	text += n;
	if (text[0] == ' ')
		text++;
	if (text[0] != ':' || text[1] != ' ' || text[2] == '\0')
		return q->text;
	return text + 2;
}

/* The label as a heading: its first letter a capital (ASCII letters only). */
static char *heading(const char *label)
{
	char *s = strdup(label);
	if (s != NULL && s[0] >= 'a' && s[0] <= 'z')
		s[0] = (char)(s[0] - 'a' + 'A');
	return s;
}

static struct digest_section *section_of(struct digest *d, const struct section *s)
{
	struct digest_section *grown;

	for (size_t i = 0; i < d->n_sections; i++)
		if (strcmp(d->sections[i].id, s->id) == 0)
			return &d->sections[i];
	grown = realloc(d->sections, (d->n_sections + 1) * sizeof *grown);
	if (grown == NULL)
		return NULL;
	d->sections = grown;
	memset(&grown[d->n_sections], 0, sizeof *grown);
	grown[d->n_sections].id = s->id;
	grown[d->n_sections].title = s->title;
	return &grown[d->n_sections++];
}

/* The entry of row r about section s (made when new). */
static struct digest_entry *entry_of(struct digest_section *s, const struct ds_row *r,
				     enum qshare level)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->entries[i].row == r)
			return &s->entries[i];
	if (cv_reserve(&s->entries, &s->cap, s->n, sizeof *s->entries) != 0)
		return NULL;
	memset(&s->entries[s->n], 0, sizeof *s->entries);
	s->entries[s->n].row = r;
	s->entries[s->n].level = level;
	return &s->entries[s->n++];
}

/* The decision in force on question id ("": the whole return), or NULL. */
static const Canvass__Editorial *decision(const struct ds_row *r, const char *id)
{
	for (size_t i = 0; r->review != NULL && i < r->review->n_editorial; i++)
		if (strcmp(r->review->editorial[i]->question, id) == 0)
			return r->review->editorial[i];
	return NULL;
}

/*
 * The text an answer is shared with after the Secretariat's decision:
 * *text set (the answer, or its edit), or left NULL when excluded or held
 * back (counted).
 */
static int decide(struct digest *d, const struct ds_row *r, const struct question *q,
		  const Canvass__Answer *a, FILE *err, char **text, bool *edited)
{
	const Canvass__Editorial *all = decision(r, ""), *one = decision(r, q->id);
	int rc = 0;

	*text = NULL;
	*edited = false;
	if ((all != NULL && all->excluded) || (one != NULL && one->excluded)) {
		d->excluded++;
		return 0;
	}
	if (one != NULL) {
		uint8_t h[crypto_hash_sha256_BYTES] = {0};
		if (a->value_case == CANVASS__ANSWER__VALUE_TEXT)
			crypto_hash_sha256(h, (const unsigned char *)a->text, strlen(a->text));
		if (a->value_case != CANVASS__ANSWER__VALUE_TEXT ||
		    one->answer_hash.len != sizeof h ||
		    memcmp(one->answer_hash.data, h, sizeof h)) {
			d->held_back++;
			if (err != NULL)
				fprintf(err,
					"canvass-reporter: digest: %s's answer to %s changed after "
					"the edit at sequence %llu: held back until it is edited "
					"again or restored\n",
					r->member, q->id, (unsigned long long)one->sequence);
			return 0;
		}
		*edited = true;
		return (*text = strdup(one->text)) != NULL ? 0 : CV_ENOMEM;
	}
	*text = shown_answer(q, a, &rc);
	return rc;
}

/* Every shared answer of row r, into the entries of the sections they are about. */
static int add_row(struct digest *d, const struct qset *qs, const struct ds_row *r, FILE *err)
{
	const struct questionnaire *def = qset_find(qs, d->ds->def->id, r->version);
	bool any = false;
	int rc = 0;

	for (size_t i = 0; def != NULL && rc == 0 && i < def->n_questions; i++) {
		const struct question *q = &def->questions[i];
		const Canvass__Answer *a;
		enum qshare level;
		struct digest_section *s;
		struct digest_entry *e;
		struct digest_field *grown;
		char *text, *label;
		bool edited;

		if (!q->share)
			continue;
		level = qdef_share_level(answer_of(r, q->consent_by->id));
		a = answer_of(r, q->id);
		if (level == QSHARE_NO || a == NULL ||
		    a->value_case == CANVASS__ANSWER__VALUE_SPECIAL)
			continue;
		if ((rc = decide(d, r, q, a, err, &text, &edited)) != 0 || text == NULL)
			continue;
		s = section_of(d, &def->sections[q->about]);
		e = s ? entry_of(s, r, level) : NULL;
		grown = e ? realloc(e->fields, (e->n_fields + 1) * sizeof *grown) : NULL;
		label = heading(field_label(q, def->sections[q->about].title));
		if (grown == NULL || label == NULL) {
			free(text);
			free(label);
			return CV_ENOMEM;
		}
		e->fields = grown;
		e->fields[e->n_fields++] = (struct digest_field){q, label, text, edited};
		any = true;
	}
	d->members += any;
	return rc;
}

/* Text order of two anonymous entries: field by field, then by the number of fields. */
static int text_cmp(const struct digest_entry *a, const struct digest_entry *b)
{
	for (size_t i = 0; i < a->n_fields && i < b->n_fields; i++) {
		int c = strcmp(a->fields[i].text, b->fields[i].text);
		if (c != 0)
			return c;
	}
	return a->n_fields < b->n_fields ? -1 : a->n_fields > b->n_fields;
}

static const char *name_of(const struct digest_entry *e)
{
	return e->row->reg != NULL ? e->row->reg->name : e->row->member;
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct digest_entry *a = pa, *b = pb;
	int c;

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->level != b->level)
		return a->level == QSHARE_WITH_NAME ? -1 : 1;
	if (a->level == QSHARE_ANONYMOUSLY)
		return text_cmp(a, b); /* never the code: the order must not tell */
	c = strcmp(name_of(a), name_of(b));
	return c != 0 ? c : strcmp(a->row->member, b->row->member);
}

/*
 * Each entry's group: a named one its member's region (or not in the
 * registry); an anonymous one its region when at least k members of that
 * region share anonymously about the section, else the withheld group.
 */
static int place(struct digest *d, struct digest_section *s)
{
	size_t *anon = calloc(d->n_regions + 1, sizeof *anon);

	if (anon == NULL)
		return CV_ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		struct digest_entry *e = &s->entries[i];
		e->group = e->row->reg != NULL ? e->row->group : G_UNREGISTERED(d);
		if (e->level == QSHARE_ANONYMOUSLY) {
			anon[e->group]++;
			s->anonymous++;
		} else {
			s->named++;
		}
	}
	for (size_t i = 0; i < s->n; i++) {
		struct digest_entry *e = &s->entries[i];
		if (e->level == QSHARE_ANONYMOUSLY &&
		    (e->group == G_UNREGISTERED(d) || anon[e->group] < d->k))
			e->group = G_WITHHELD(d);
	}
	free(anon);
	qsort(s->entries, s->n, sizeof *s->entries, entry_cmp);
	return 0;
}

/* The sections in the order of the report's definition (others after, as met). */
static void order_sections(struct digest *d)
{
	const struct questionnaire *def = d->ds->def;
	size_t placed = 0;

	for (size_t k = 0; k < def->n_sections; k++)
		for (size_t i = placed; i < d->n_sections; i++)
			if (strcmp(d->sections[i].id, def->sections[k].id) == 0) {
				struct digest_section t = d->sections[placed];
				d->sections[placed] = d->sections[i];
				d->sections[i] = t;
				d->sections[placed].title = def->sections[k].title;
				placed++;
				break;
			}
}

int digest_build(const struct dataset *ds, const struct qset *qs, size_t k, FILE *err,
		 struct digest **out)
{
	struct digest *d = calloc(1, sizeof *d);
	int rc = 0;

	*out = NULL;
	if (d == NULL)
		return CV_ENOMEM;
	d->ds = ds;
	d->k = k;
	d->n_regions = ds->reg->n_regions;
	for (size_t i = 0; rc == 0 && i < ds->n; i++)
		rc = add_row(d, qs, &ds->rows[i], err);
	order_sections(d);
	for (size_t s = 0; rc == 0 && s < d->n_sections; s++)
		rc = place(d, &d->sections[s]);
	if (rc != 0) {
		digest_free(&d);
		return rc;
	}
	*out = d;
	return 0;
}

void digest_free(struct digest **dp)
{
	struct digest *d;

	if (dp == NULL || *dp == NULL)
		return;
	d = *dp;
	for (size_t s = 0; s < d->n_sections; s++) {
		for (size_t i = 0; i < d->sections[s].n; i++) {
			struct digest_entry *e = &d->sections[s].entries[i];
			for (size_t f = 0; f < e->n_fields; f++) {
				free(e->fields[f].text);
				free(e->fields[f].label);
			}
			free(e->fields);
		}
		free(d->sections[s].entries);
	}
	free(d->sections);
	free(d);
	*dp = NULL;
}
