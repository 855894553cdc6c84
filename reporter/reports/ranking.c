#include "ranking.h"
#include "error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int by_score(const void *a, const void *b)
{
	const struct ranking_line *x = a, *y = b;
	if (isnan(x->score) != isnan(y->score))
		return isnan(x->score) ? 1 : -1;
	if (!isnan(x->score) && x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return strcmp(x->row->member, y->row->member);
}

int ranking_build(const struct dataset *ds, const char *section, struct ranking **out)
{
	struct ranking *r = calloc(1, sizeof *r);
	size_t sec = (size_t)-1;

	*out = NULL;
	if (r == NULL)
		return CV_ENOMEM;
	if (section != NULL) {
		for (size_t s = 0; s < ds->def->n_sections; s++)
			if (strcmp(ds->def->sections[s].id, section) == 0)
				sec = s;
		if (sec == (size_t)-1) {
			free(r);
			return CV_ENOTFOUND;
		}
	}
	r->ds = ds;
	r->by = sec == (size_t)-1 ? "overall" : ds->def->sections[sec].id;
	r->title = sec == (size_t)-1 ? "Overall score" : ds->def->sections[sec].title;
	r->lines = calloc(ds->n + 1, sizeof *r->lines);
	if (r->lines == NULL) {
		free(r);
		return CV_ENOMEM;
	}
	r->n = ds->n;
	for (size_t i = 0; i < ds->n; i++) {
		r->lines[i].row = &ds->rows[i];
		r->lines[i].score =
			sec == (size_t)-1 ? ds->rows[i].overall : ds->rows[i].section_score[sec];
	}
	qsort(r->lines, r->n, sizeof *r->lines, by_score);
	for (size_t i = 0; i < r->n; i++) {
		struct ranking_line *l = &r->lines[i];
		if (isnan(l->score))
			continue;
		r->ranked++;
		if (i > 0 && !isnan(r->lines[i - 1].score) && r->lines[i - 1].score == l->score) {
			l->rank = r->lines[i - 1].rank;
			l->tied = r->lines[i - 1].tied = true;
		} else {
			l->rank = i + 1;
		}
	}
	for (size_t i = 0; i < r->n; i++)
		r->ties += r->lines[i].tied;
	*out = r;
	return 0;
}

void ranking_free(struct ranking **rp)
{
	if (rp == NULL || *rp == NULL)
		return;
	free((*rp)->lines);
	free(*rp);
	*rp = NULL;
}
