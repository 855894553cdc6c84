/*
 * keys.h - CurveZMQ key pairs on disk.
 *
 * A key pair lives in two files written by `canvassctl keygen NAME`:
 *   NAME.key  mode 0600, INI:  [curve] public = <Z85>  secret = <Z85>
 *   NAME.pub  one line: the public key in Z85 (40 characters)
 * A secret file readable by group or others is refused, as ssh does.
 * Secret keys are never logged; callers wipe them (keys_wipe) when done.
 */
#ifndef CANVASS_KEYS_H
#define CANVASS_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#define KEY_Z85_LEN 40

struct keypair {
	char public_z85[KEY_Z85_LEN + 1];
	char secret_z85[KEY_Z85_LEN + 1];
};

int keys_generate(struct keypair *kp);
/* Writes dir/name.key (0600) and dir/name.pub (0644); refuses to overwrite. */
int keys_save(const char *dir, const char *name, const struct keypair *kp, char *err,
	      size_t errlen);
/* Reads a .key file (permissions checked). */
int keys_load_pair(const char *path, struct keypair *kp, char *err, size_t errlen);
/* Reads a public key from a .pub file, or the public half of a .key file. */
int keys_load_public(const char *path, char out[KEY_Z85_LEN + 1], char *err, size_t errlen);
/* True when s is 40 characters of Z85 that decode to 32 bytes. */
bool keys_valid_z85(const char *s);
/* Overwrites the secret half. */
void keys_wipe(struct keypair *kp);

#endif
