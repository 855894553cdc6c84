#include "emit.h"
#include "error.h"
#include "render.h"

#include <stdbool.h>
#include <stdlib.h>

/* What the Notes sheet of a workbook keeps of the JSON output: its stamp. */
static json_t *stamp_of(const char *json, size_t len)
{
	static const char *const keep[] = {"report",
					   "questionnaire",
					   "cycle",
					   "cycles",
					   "member",
					   "by",
					   "store",
					   "program",
					   "classification",
					   "disclosure",
					   "previous_cycle",
					   "returns",
					   "special_rate_threshold",
					   "counts",
					   "anonymity",
					   NULL};
	json_t *all = json_loadb(json, len, 0, NULL), *notes = json_object();

	for (size_t i = 0; all != NULL && notes != NULL && keep[i] != NULL; i++) {
		json_t *v = json_object_get(all, keep[i]);
		if (v != NULL)
			json_object_set(notes, keep[i], v);
	}
	json_decref(all);
	return notes;
}

int emit_xlsx(const char *report, const struct emitters *e, const void *r, json_t *notes)
{
	char *csv = NULL, *json = NULL;
	size_t csv_len = 0, json_len = 0;
	FILE *mc = open_memstream(&csv, &csv_len), *mj = NULL;
	int rc;

	if (mc == NULL)
		return CV_ENOMEM;
	render_csv_set_raw(true);
	rc = e->csv(r, mc);
	render_csv_set_raw(false);
	if (fclose(mc) != 0 && rc == 0)
		rc = CV_ENOMEM;
	if (rc == 0 && notes == NULL && e->json != NULL) {
		if ((mj = open_memstream(&json, &json_len)) == NULL) {
			rc = CV_ENOMEM;
		} else {
			rc = e->json(r, mj);
			if (fclose(mj) != 0 && rc == 0)
				rc = CV_ENOMEM;
		}
		if (rc == 0)
			notes = stamp_of(json, json_len);
	} else if (notes != NULL) {
		json_incref(notes);
	}
	if (rc == 0)
		rc = render_xlsx(report, csv, csv_len, notes, stdout);
	json_decref(notes);
	free(csv);
	free(json);
	return rc;
}

int emit(const char *report, int fmt, const struct emitters *e, const void *r)
{
	switch (fmt) {
	case FMT_JSON: return e->json(r, stdout);
	case FMT_CSV: return e->csv(r, stdout);
	case FMT_SDMX: return e->sdmx(r, stdout);
	case FMT_XLSX: return emit_xlsx(report, e, r, NULL);
	default: return e->text(r, stdout);
	}
}
