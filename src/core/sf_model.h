/* sf_model.h - the SF model file: a versioned, human-readable text format
 * that is read without executing anything from the file.
 *
 *   sflex-model 1                      <- magic and format version
 *   # comment                          <- '#' lines and blank lines ignored
 *   key = value                        <- header entries (model-wide)
 *   [centre Cu]                        <- one section per centre species
 *   key = value                        <- section entries
 *   weights 99                         <- exactly 99 lines follow, one
 *   -0.12345678901234567                  number each (%.17g: exact)
 *   ...
 *   [centre Zr]
 *   ...
 *   end sflex-model                    <- required last line (truncation)
 *
 * Keys are [A-Za-z0-9_.:+-]+ and unique within a section; values are the
 * rest of the line with surrounding blanks removed (no control characters).
 * Every centre has exactly one weights block.  The core stores keys as
 * strings; what they mean (descriptor, label, scores, provenance) is defined
 * in lua/sflex/learn.lua and doc/learning.md.  A reader that meets a newer
 * format version refuses it.  Errors read "path:line: problem". */
#ifndef SF_MODEL_H
#define SF_MODEL_H

#include <stddef.h>

#define SF_MODEL_VERSION 1

typedef struct sf_model sf_model;

sf_model *sf_model_new(void);
void sf_model_free(sf_model *m);

/* centre == NULL addresses the header.  set() creates the centre section
 * if needed and replaces an existing key in place (order is kept).
 * SF_ERR on an invalid key, value or centre name. */
int sf_model_set(sf_model *m, const char *centre, const char *key,
                 const char *value);
/* NULL if the key (or centre) is absent. */
const char *sf_model_get(const sf_model *m, const char *centre,
                         const char *key);
/* Line of the file the key was read from (0: set in memory / absent). */
int sf_model_line(const sf_model *m, const char *centre, const char *key);
/* Entries of a section in file order: key i of nkeys (NULL if out of range). */
size_t sf_model_nkeys(const sf_model *m, const char *centre);
const char *sf_model_key(const sf_model *m, const char *centre, size_t i);

/* Centres in order of first appearance. */
int sf_model_add_centre(sf_model *m, const char *centre);
size_t sf_model_ncentres(const sf_model *m);
const char *sf_model_centre(const sf_model *m, size_t i);
/* Line of the [centre NAME] header (0 if not read from a file). */
int sf_model_centre_line(const sf_model *m, const char *centre);

int sf_model_set_weights(sf_model *m, const char *centre, const double *w,
                         size_t n);
/* NULL (and *n = 0) if the centre or its weights are absent. */
const double *sf_model_weights(const sf_model *m, const char *centre,
                               size_t *n);

/* The file text (malloc'd, NUL-terminated; *len may be NULL).  SF_ERR/NULL
 * if a centre has no weights or there are no centres. */
char *sf_model_format(const sf_model *m, size_t *len);
/* Write to path via a temporary file in the same directory + rename. */
int sf_model_write(const sf_model *m, const char *path);

/* Parse text; name is used in error messages ("name:line: ..."). */
sf_model *sf_model_parse(const char *text, size_t len, const char *name);
sf_model *sf_model_read(const char *path);

#endif
