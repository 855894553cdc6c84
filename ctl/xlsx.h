/*
 * xlsx.h - reading the cells of an Office Open XML workbook (.xlsx): the
 * zip container through libzip, each part's XML through libxml2 (no
 * network, no entities expanded). Every limit is explicit and checked
 * before the bytes are read: a part's size as unpacked, a sheet's rows and
 * columns, the sheets of a workbook. Built for spreadsheets people write
 * by hand (XLSForm), not for arbitrary workbooks.
 */
#ifndef CANVASS_XLSX_H
#define CANVASS_XLSX_H

#include <stdbool.h>
#include <stddef.h>

#define XLSX_MAX_PART   (16u << 20) /* bytes of one unpacked part */
#define XLSX_MAX_ROWS   10000u
#define XLSX_MAX_COLS   200u
#define XLSX_MAX_SHEETS 32u

/* A merged range (refused by XLSForm's reader: a value belongs to one cell). */
struct xlsx_merge {
	char ref[32];
};

struct xlsx_sheet {
	char *name;
	size_t rows, cols; /* the used range, from A1 */
	char **cells;      /* rows x cols, row-major; NULL: empty */
	struct xlsx_merge *merges;
	size_t n_merges;
};

struct xlsx {
	struct xlsx_sheet *sheets;
	size_t n;
};

/*
 * Reads the workbook in the bytes given. Cells are text: shared and inline
 * strings as written, numbers as written in the file (the shortest form
 * that reads back the same double), booleans as TRUE and FALSE. 0, or
 * CV_EMALFORMED / CV_ETOOBIG with the reason in err (no partial result).
 */
int xlsx_read(const void *data, size_t len, struct xlsx **out, char *err, size_t errlen);
void xlsx_free(struct xlsx **x);

/* The sheet named name, or NULL. */
const struct xlsx_sheet *xlsx_sheet(const struct xlsx *x, const char *name);
/* The cell (row, col) from 0, or NULL when empty or outside the sheet. */
const char *xlsx_cell(const struct xlsx_sheet *s, size_t row, size_t col);
/* A cell's reference: "H14" for (13, 7). */
void xlsx_ref(size_t row, size_t col, char buf[16]);

#endif
