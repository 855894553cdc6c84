/*
 * targets.h - the fuzz entry points: every decoder of untrusted bytes.
 * Built into libFuzzer programs (fuzz_*.c) and into the unit test that
 * replays tests/fuzz/regressions/ (test_fuzz_regressions.c).
 * Each returns 1 when the input got through (relayable, parsed, read,
 * decoded and checked) and 0 when it was refused, so that the regression
 * replay can assert each input's verdict; a bug shows up as a sanitizer
 * report, a crash or an abort.
 */
#ifndef CANVASS_FUZZ_TARGETS_H
#define CANVASS_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

/* Loads the shipped registry and questionnaires once; srcdir is the repo. */
void fuzz_init(const char *srcdir);
/* One member frame through the collector's intake (decode, limits, validation). */
int fuzz_request(const uint8_t *data, size_t size); /* 1: relayable */
/*
 * The round-trip property of one member frame: whatever the intake would
 * relay decodes again (strictly) to the same canonical bytes and hash,
 * holds only valid UTF-8 without NUL, and its export (CSV value cells
 * and JSON Lines values) reproduces every answer exactly. Aborts otherwise.
 * Returns 1 when the frame was relayable and checked, 0 when refused.
 */
int fuzz_roundtrip(const uint8_t *data, size_t size);
/* JSON submission text, then validation and canonical packing. 1: parsed. */
int fuzz_json(const uint8_t *data, size_t size);
/*
 * One stored HistoryEntry through the reports' in-place reader against the
 * integrity self-assessment (its ids matched in place): refused, or read
 * exactly as protobuf-c reads it (aborts otherwise). 1: read.
 */
int fuzz_entry(const uint8_t *data, size_t size);
/*
 * One collector frame through the aggregator's decoder and key checks and,
 * when they pass, its quality checks (findings against an in-memory cache
 * over an empty store; committed unless a dry run). 1: decoded and checked.
 */
int fuzz_store_request(const uint8_t *data, size_t size);

/*
 * A workbook's bytes through the xlsx reader and, when it reads, the
 * XLSForm import (every problem collected, the definition checked as the
 * daemons check it). 1: imported.
 */
int fuzz_xlsx(const uint8_t *data, size_t size);

#endif
