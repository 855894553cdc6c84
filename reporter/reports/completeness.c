#include "completeness.h"
#include "error.h"

#include <stdlib.h>

int completeness_build(const struct dataset *ds, struct completeness **out)
{
	struct completeness *c = calloc(1, sizeof *c);
	const struct registry *reg = ds->reg;
	size_t world;

	*out = NULL;
	if (c == NULL)
		return CV_ENOMEM;
	c->ds = ds;
	c->n_groups = ds_groups(ds);
	world = c->n_groups - 1;
	c->groups = calloc(c->n_groups, sizeof *c->groups);
	if (c->groups == NULL) {
		free(c);
		return CV_ENOMEM;
	}
	for (size_t g = 0; g < c->n_groups; g++) {
		struct completeness_group *cg = &c->groups[g];
		cg->missing_codes = calloc(reg->n + 1, sizeof(char *));
		cg->submitted_codes = calloc(reg->n + 1, sizeof(char *));
		cg->queried_codes = calloc(reg->n + 1, sizeof(char *));
		cg->approved_codes = calloc(reg->n + 1, sizeof(char *));
		if (cg->missing_codes == NULL || cg->submitted_codes == NULL ||
		    cg->queried_codes == NULL || cg->approved_codes == NULL) {
			completeness_free(&c);
			return CV_ENOMEM;
		}
	}
	for (size_t i = 0; i < reg->n; i++) {
		const struct member *m = &reg->members[i];
		const struct ds_row *r = ds_find(ds, m->code);
		size_t gs[2] = {m->region_index, world};
		for (size_t k = 0; k < 2; k++) {
			struct completeness_group *cg = &c->groups[gs[k]];
			cg->expected++;
			if (r == NULL) {
				cg->missing_codes[cg->missing++] = m->code;
				continue;
			}
			if (r->late)
				cg->late++;
			else
				cg->on_time++;
			cg->revisions += r->revision;
			cg->revised += r->revision > 1;
			if (r->state == CANVASS__RETURN_STATE__APPROVED)
				cg->approved_codes[cg->approved++] = m->code;
			else if (r->state == CANVASS__RETURN_STATE__QUERIED)
				cg->queried_codes[cg->queried++] = m->code;
			else
				cg->submitted_codes[cg->submitted++] = m->code;
		}
	}
	for (size_t i = 0; i < ds->n; i++)
		c->unregistered += ds->rows[i].reg == NULL;
	*out = c;
	return 0;
}

void completeness_free(struct completeness **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	for (size_t g = 0; (*cp)->groups != NULL && g < (*cp)->n_groups; g++) {
		free((*cp)->groups[g].missing_codes);
		free((*cp)->groups[g].submitted_codes);
		free((*cp)->groups[g].queried_codes);
		free((*cp)->groups[g].approved_codes);
	}
	free((*cp)->groups);
	free(*cp);
	*cp = NULL;
}
