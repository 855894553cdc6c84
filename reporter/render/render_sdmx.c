/*
 * The aggregate reports as SDMX: an SDMX-CSV 2.0 data message (compare,
 * trend) and the SDMX-ML 3.0 structure message that describes it
 * (sdmx-structure): codelists, concept scheme, data structure definition and
 * dataflow of one questionnaire version. docs/reports.md "SDMX" has the
 * dataflow; the codes are built here, in one place, for both.
 */
#include "render.h"

#include <ctype.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "util.h"

#define AGENCY "CANVASS"

/* The statistics of a cell, in order (CL_STATISTIC). */
static const struct {
	const char *id, *name;
} statistics[] = {
	{"N", "Members answering"},
	{"N_NA", "Members answering not applicable"},
	{"N_DK", "Members answering don't know"},
	{"MEAN", "Mean"},
	{"SD", "Standard deviation"},
	{"MIN", "Minimum"},
	{"Q1", "First quartile"},
	{"MEDIAN", "Median"},
	{"Q3", "Third quartile"},
	{"MAX", "Maximum"},
	{"COUNT", "Members choosing the option"},
	{"SHARE", "Members choosing the option, percent of those answering"},
};

/* CL_CONF_STATUS: the SDMX cross-domain codes canvass uses. */
static const struct {
	const char *id, *name;
} conf_codes[] = {
	{"F", "Free"},
	{"A", "Primary confidentiality due to small counts"},
	{"C", "Confidential statistical information (primary confidentiality)"},
	{"D", "Secondary confidentiality set by the sender, not for publication"},
};

/* The CONF_STATUS of a cell hidden for a reason (disclosure.h). */
static const char *conf_status(enum suppression s)
{
	switch (s) {
	case SHOWN: return "F";
	case SUPPRESSED_PRIMARY: return "A";
	case SUPPRESSED_COMPLEMENTARY:
	case SUPPRESSED_LINKED: return "D"; /* hidden to protect other cells */
	default: return "C";                /* shares, equal values: respondents identifiable */
	}
}

/* An SDMX id from a canvass id: '.' (not allowed in SDMX ids) becomes '_'. */
static void code_id(char *buf, size_t len, const char *prefix, const char *id)
{
	size_t k = (size_t)snprintf(buf, len, "%s", prefix);
	for (; *id && k + 1 < len; id++)
		buf[k++] = *id == '.' ? '_' : *id;
	buf[k < len ? k : len - 1] = '\0';
}

/* An upper-case id from a name: letters and digits, other runs as one '_'. */
static void slug(char *buf, size_t len, const char *prefix, const char *name)
{
	size_t k = (size_t)snprintf(buf, len, "%s", prefix);
	bool gap = false;
	for (; *name && k + 2 < len; name++) {
		if (isalnum((unsigned char)*name)) {
			if (gap && k > strlen(prefix))
				buf[k++] = '_';
			buf[k++] = (char)toupper((unsigned char)*name);
			gap = false;
		} else {
			gap = true;
		}
	}
	buf[k] = '\0';
}

static void flow_ref(char *buf, size_t len, const struct questionnaire *def)
{
	char id[128];
	slug(id, sizeof id, "DF_", def->id);
	snprintf(buf, len, AGENCY ":%s(%u.0.0)", id, def->version);
}

static void area_code(char *buf, size_t len, const struct dataset *ds, size_t g)
{
	if (g + 1 == ds_groups(ds))
		snprintf(buf, len, "WORLD");
	else
		slug(buf, len, "", ds_group_name(ds, g));
}

static void indicator_code(char *buf, size_t len, const struct compare_report *r,
			   const struct compare_table *t)
{
	if (t->q != NULL)
		code_id(buf, len, "", t->id);
	else if (t == &r->overall)
		snprintf(buf, len, "SCORE_OVERALL");
	else
		code_id(buf, len, "SCORE_", t->id);
}

/* ------------------------------------------------------------ data */

struct obs {
	FILE *out;
	const char *flow, *indicator, *area, *cycle;
};

static void row(const struct obs *o, const char *option, const char *stat, double x,
		const char *conf)
{
	fprintf(o->out, "dataflow,%s,I,", o->flow);
	cv_csv_field(o->out, o->indicator);
	fputc(',', o->out);
	cv_csv_field(o->out, option);
	fprintf(o->out, ",%s,%s,", o->area, stat);
	cv_csv_field(o->out, o->cycle);
	fputc(',', o->out);
	if (strcmp(conf, "F") == 0) {
		fprintf(o->out, "%.15g", x);
		/* A message not for publication (a past position, disclosure control
		 * off): every value it carries is C, confidential, never F, free. */
		if (render_confidential())
			conf = "C";
	}
	/* The message's own classification, on every row (a dataset-level attribute). */
	fprintf(o->out, ",%s,%s\n", conf, render_confidential() ? "CONFIDENTIAL" : "PUBLIC");
}

static void cell_rows(const struct obs *o, const struct compare_table *t,
		      const struct compare_cell *c)
{
	size_t nopt = t->q ? compare_n_options(t->q) : 0;
	const char *hidden = c->hidden != SHOWN ? conf_status(c->hidden) : NULL;

	row(o, "_Z", "N", (double)c->n, hidden ? hidden : "F");
	row(o, "_Z", "N_NA", (double)c->not_applicable,
	    c->special_hidden != SHOWN ? conf_status(c->special_hidden) : "F");
	row(o, "_Z", "N_DK", (double)c->dont_know,
	    c->special_hidden != SHOWN ? conf_status(c->special_hidden) : "F");
	if (t->numeric) {
		const struct stats_summary *s = &c->stats;
		const double v[] = {s->mean, s->sd, s->min, s->q1, s->median, s->q3, s->max};
		for (int k = 0; k < 7; k++) {
			/* min, quartiles and max: order statistics, shown only when allowed */
			const char *conf = hidden                                  ? hidden
					   : k >= 2 && !c->order_shown && c->n > 0 ? "C"
										   : "F";
			if (strcmp(conf, "F") == 0 && isnan(v[k]))
				continue; /* not defined (no answer, or one for sd) */
			row(o, "_Z", statistics[3 + k].id, v[k], conf);
		}
		return;
	}
	for (size_t i = 0; i < nopt; i++) {
		char opt[80];
		code_id(opt, sizeof opt, "", compare_option_id(t->q, i));
		row(o, opt, "COUNT", (double)(hidden ? 0 : c->counts[i]), hidden ? hidden : "F");
		if (hidden || c->n > 0)
			row(o, opt, "SHARE", hidden ? 0 : (double)c->counts[i] / (double)c->n * 100,
			    hidden ? hidden : "F");
	}
}

static void report_rows(FILE *out, const struct compare_report *r, const char *cycle)
{
	char flow[160], indicator[96], area[96];
	struct obs o = {
		.out = out, .flow = flow, .indicator = indicator, .area = area, .cycle = cycle};
	const struct compare_table *tables[3] = {r->questions, r->sections, &r->overall};
	size_t counts[3] = {r->n_questions, r->n_sections, r->has_scores ? 1 : 0};

	flow_ref(flow, sizeof flow, r->ds->def);
	for (int k = 0; k < 3; k++)
		for (size_t i = 0; i < counts[k]; i++) {
			const struct compare_table *t = &tables[k][i];
			indicator_code(indicator, sizeof indicator, r, t);
			for (size_t g = 0; g < r->n_groups; g++) {
				area_code(area, sizeof area, r->ds, g);
				cell_rows(&o, t, &t->cells[g]);
			}
		}
}

static void header(FILE *out)
{
	fputs("STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,OPTION,REF_AREA,STATISTIC,TIME_PERIOD,"
	      "OBS_VALUE,CONF_STATUS,CLASSIFICATION\n",
	      out);
}

int render_compare_sdmx(const struct compare_report *r, FILE *out)
{
	header(out);
	report_rows(out, r, r->ds->cycle);
	return ferror(out) ? CV_EIO : 0;
}

int render_trend_sdmx(const struct trend *t, FILE *out)
{
	header(out);
	for (size_t c = 0; c < t->n_cycles; c++)
		if (t->cmp[c]->ds->def == t->latest->def)
			report_rows(out, t->cmp[c], t->cycles[c]);
	return ferror(out) ? CV_EIO : 0;
}

/* ------------------------------------------------------------ structure */

/* XML text and attribute values escape as HTML does. */
#define xml_text render_html_escape

static void name(FILE *out, const char *indent, const char *text)
{
	fprintf(out, "%s<com:Name xml:lang=\"en\">", indent);
	xml_text(out, text);
	fputs("</com:Name>\n", out);
}

static void code(FILE *out, const char *id, const char *text)
{
	fputs("        <str:Code id=\"", out);
	xml_text(out, id);
	fputs("\">\n", out);
	name(out, "          ", text);
	fputs("        </str:Code>\n", out);
}

static void codelist_open(FILE *out, const char *id, const char *version, const char *text)
{
	fprintf(out, "      <str:Codelist id=\"%s\" agencyID=\"" AGENCY "\" version=\"%s\">\n", id,
		version);
	name(out, "        ", text);
}

/* A component's concept and, when coded, its codelist. */
static void identity(FILE *out, const char *ver, const char *concept, const char *codelist)
{
	fprintf(out,
		"            <str:ConceptIdentity>urn:sdmx:org.sdmx.infomodel.conceptscheme."
		"Concept=" AGENCY ":CS_CANVASS(%s).%s</str:ConceptIdentity>\n",
		ver, concept);
	fputs("            <str:LocalRepresentation>\n", out);
	if (codelist != NULL)
		fprintf(out,
			"              <str:Enumeration>urn:sdmx:org.sdmx.infomodel.codelist."
			"Codelist=" AGENCY ":%s(%s)</str:Enumeration>\n",
			codelist, ver);
	else if (strcmp(concept, "TIME_PERIOD") == 0)
		fputs("              <str:TextFormat textType=\"ObservationalTimePeriod\"/>\n",
		      out);
	else
		fputs("              <str:TextFormat textType=\"Double\"/>\n", out);
	fputs("            </str:LocalRepresentation>\n", out);
}

/* Whether an earlier option (ids repeat across questions) has the code c. */
static bool option_listed_before(const struct questionnaire *def, size_t qi, size_t ki,
				 const char *c)
{
	for (size_t i = 0; i <= qi; i++) {
		const struct question *q = &def->questions[i];
		size_t n = q->consent != QCONSENT_NONE ? 0 : i < qi ? compare_n_options(q) : ki;
		for (size_t k = 0; k < n; k++) {
			char other[96];
			code_id(other, sizeof other, "", compare_option_id(q, k));
			if (strcmp(other, c) == 0)
				return true;
		}
	}
	return false;
}

int render_sdmx_structure(const struct questionnaire *def, const struct registry *reg, FILE *out)
{
	static const char *const dims[] = {"INDICATOR", "OPTION", "REF_AREA", "STATISTIC"};
	static const char *const lists[] = {"CL_INDICATOR", "CL_OPTION", "CL_AREA", "CL_STATISTIC"};
	static const struct {
		const char *id, *name;
	} concepts[] = {
		{"INDICATOR", "Question or score"},
		{"OPTION", "Answer option (_Z: not applicable)"},
		{"REF_AREA", "WCO region, or the world"},
		{"STATISTIC", "Statistic over the members answering"},
		{"TIME_PERIOD", "Cycle"},
		{"OBS_VALUE", "Observation value"},
		{"CONF_STATUS", "Confidentiality status"},
		{"CLASSIFICATION", "Whether the whole message may be published"},
	};
	char ver[32], id[128], flow[140], dsd[140], when[32];
	time_t now = time(NULL);
	struct tm tm;
	bool any_score = false;

	snprintf(ver, sizeof ver, "%u.0.0", def->version);
	slug(id, sizeof id, "", def->id);
	snprintf(flow, sizeof flow, "DF_%s", id);
	snprintf(dsd, sizeof dsd, "DSD_%s", id);
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<mes:Structure "
	      "xmlns:mes=\"http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message\" "
	      "xmlns:str=\"http://www.sdmx.org/resources/sdmxml/schemas/v3_0/structure\" "
	      "xmlns:com=\"http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common\">\n"
	      "  <mes:Header>\n",
	      out);
	fprintf(out, "    <mes:ID>%s</mes:ID>\n    <mes:Test>false</mes:Test>\n", dsd);
	fprintf(out, "    <mes:Prepared>%s</mes:Prepared>\n", when);
	fputs("    <mes:Sender id=\"" AGENCY "\"/>\n  </mes:Header>\n  <mes:Structures>\n"
	      "    <str:Codelists>\n",
	      out);

	codelist_open(out, "CL_INDICATOR", ver, "Questions and scores");
	for (size_t i = 0; i < def->n_questions; i++) {
		char c[96];
		if (def->questions[i].consent != QCONSENT_NONE)
			continue; /* never tabulated (compare.c) */
		code_id(c, sizeof c, "", def->questions[i].id);
		code(out, c, def->questions[i].text);
		any_score |= def->questions[i].score.scored;
	}
	for (size_t s = 0; any_score && s < def->n_sections; s++) {
		char c[96], text[300];
		code_id(c, sizeof c, "SCORE_", def->sections[s].id);
		snprintf(text, sizeof text, "Section score (0-100): %s", def->sections[s].title);
		code(out, c, text);
	}
	if (any_score)
		code(out, "SCORE_OVERALL", "Overall score (0-100)");
	fputs("      </str:Codelist>\n", out);

	codelist_open(out, "CL_OPTION", ver, "Answer options");
	code(out, "_Z", "Not applicable");
	for (size_t i = 0; i < def->n_questions; i++) {
		const struct question *q = &def->questions[i];
		for (size_t k = 0; q->consent == QCONSENT_NONE && k < compare_n_options(q); k++) {
			char c[96];
			code_id(c, sizeof c, "", compare_option_id(q, k));
			if (!option_listed_before(def, i, k, c))
				code(out, c, c);
		}
	}
	fputs("      </str:Codelist>\n", out);

	codelist_open(out, "CL_AREA", ver, "WCO regions and the world");
	for (size_t g = 0; reg != NULL && g < reg->n_regions; g++) {
		char c[96];
		slug(c, sizeof c, "", reg->regions[g]);
		code(out, c, reg->regions[g]);
	}
	code(out, "WORLD", "World (all WCO members)");
	fputs("      </str:Codelist>\n", out);

	codelist_open(out, "CL_STATISTIC", ver, "Statistics");
	for (size_t k = 0; k < sizeof statistics / sizeof statistics[0]; k++)
		code(out, statistics[k].id, statistics[k].name);
	fputs("      </str:Codelist>\n", out);

	codelist_open(out, "CL_CONF_STATUS", ver, "Confidentiality status (SDMX codes)");
	for (size_t k = 0; k < sizeof conf_codes / sizeof conf_codes[0]; k++)
		code(out, conf_codes[k].id, conf_codes[k].name);
	fputs("      </str:Codelist>\n", out);

	codelist_open(out, "CL_CLASSIFICATION", ver, "Classification of a message");
	code(out, "PUBLIC", "Public: disclosure control applied");
	code(out, "CONFIDENTIAL", "Confidential: for the Secretariat only, not for publication");
	fputs("      </str:Codelist>\n    </str:Codelists>\n    <str:ConceptSchemes>\n", out);

	fprintf(out,
		"      <str:ConceptScheme id=\"CS_CANVASS\" agencyID=\"" AGENCY
		"\" version=\"%s\">\n",
		ver);
	name(out, "        ", "canvass concepts");
	for (size_t k = 0; k < sizeof concepts / sizeof concepts[0]; k++) {
		fprintf(out, "        <str:Concept id=\"%s\">\n", concepts[k].id);
		name(out, "          ", concepts[k].name);
		fputs("        </str:Concept>\n", out);
	}
	fputs("      </str:ConceptScheme>\n    </str:ConceptSchemes>\n    <str:Dataflows>\n", out);
	fprintf(out, "      <str:Dataflow id=\"%s\" agencyID=\"" AGENCY "\" version=\"%s\">\n",
		flow, ver);
	name(out, "        ", def->title);
	fprintf(out,
		"        "
		"<str:Structure>urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=" AGENCY
		":%s(%s)</str:Structure>\n",
		dsd, ver);
	fputs("      </str:Dataflow>\n    </str:Dataflows>\n    <str:DataStructures>\n", out);

	fprintf(out, "      <str:DataStructure id=\"%s\" agencyID=\"" AGENCY "\" version=\"%s\">\n",
		dsd, ver);
	name(out, "        ", def->title);
	fputs("        <str:DataStructureComponents>\n"
	      "          <str:DimensionList id=\"DimensionDescriptor\">\n",
	      out);
	for (int k = 0; k < 4; k++) {
		fprintf(out, "          <str:Dimension id=\"%s\" position=\"%d\">\n", dims[k],
			k + 1);
		identity(out, ver, dims[k], lists[k]);
		fputs("          </str:Dimension>\n", out);
	}
	fputs("          <str:TimeDimension id=\"TIME_PERIOD\">\n", out);
	identity(out, ver, "TIME_PERIOD", NULL);
	fputs("          </str:TimeDimension>\n          </str:DimensionList>\n"
	      "          <str:AttributeList id=\"AttributeDescriptor\">\n"
	      "          <str:Attribute id=\"CONF_STATUS\" usage=\"mandatory\">\n",
	      out);
	identity(out, ver, "CONF_STATUS", "CL_CONF_STATUS");
	fputs("            <str:AttributeRelationship>\n"
	      "              <str:Observation/>\n"
	      "            </str:AttributeRelationship>\n"
	      "          </str:Attribute>\n"
	      "          <str:Attribute id=\"CLASSIFICATION\" usage=\"mandatory\">\n",
	      out);
	identity(out, ver, "CLASSIFICATION", "CL_CLASSIFICATION");
	fputs("            <str:AttributeRelationship>\n"
	      "              <str:Dataflow/>\n"
	      "            </str:AttributeRelationship>\n"
	      "          </str:Attribute>\n"
	      "          </str:AttributeList>\n"
	      "          <str:MeasureList id=\"MeasureDescriptor\">\n"
	      "          <str:Measure id=\"OBS_VALUE\">\n",
	      out);
	identity(out, ver, "OBS_VALUE", NULL);
	fputs("          </str:Measure>\n          </str:MeasureList>\n"
	      "        </str:DataStructureComponents>\n      </str:DataStructure>\n"
	      "    </str:DataStructures>\n  </mes:Structures>\n</mes:Structure>\n",
	      out);
	return ferror(out) ? CV_EIO : 0;
}
