/*
 * registry.h - the member registry: member code, name, WCO region and,
 * once CURVE is in use, the member's public key (Z85, 40 characters).
 *
 * Loaded from a CSV file (RFC 4180, header "code,name,region[,public_key]").
 * A file is accepted only when every row is valid; err names the file, line
 * and reason otherwise. Pointers into a registry stay valid until
 * registry_free().
 */
#ifndef CANVASS_REGISTRY_H
#define CANVASS_REGISTRY_H

#include <stddef.h>
#include <stdio.h>

#define REGISTRY_MAX_CODE 16
#define REGISTRY_KEY_LEN  40

struct member {
	char *code;
	char *name;
	char *region;
	char *public_key; /* NULL when the row has none */
	size_t region_index;
};

struct registry {
	struct member *members; /* sorted by code */
	size_t n;
	char **regions; /* distinct regions, sorted */
	size_t n_regions;
};

int registry_load(const char *path, struct registry **out, char *err, size_t errlen);
void registry_free(struct registry **reg);
/* Writes reg as a registry file registry_load reads back (header, one row per member). */
int registry_write(const struct registry *reg, FILE *out);
const struct member *registry_find(const struct registry *reg, const char *code);
/* The member whose public key is key (Z85), or NULL. */
const struct member *registry_find_key(const struct registry *reg, const char *key);

#endif
