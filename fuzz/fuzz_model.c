/* fuzz_model.c - libFuzzer harness for the SF model file parser
 * (src/core/sf_model.h).
 *
 * Invariants (a violation aborts):
 *   - a failed parse leaves a message "fuzz.sfmodel:LINE: ..." naming the
 *     file and a line;
 *   - a parsed model formats (sf_model_format) to text that parses again,
 *     to the same text (format . parse is a fixed point), with the same
 *     centres and weights bit for bit. */
#include "sf_error.h"
#include "sf_model.h"

#include "fuzz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char NAME[] = "fuzz.sfmodel";

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_model: invariant violated: %s\n  last error: %s\n", what,
            sf_error_message() ? sf_error_message() : "(none)");
    FUZZ_ABORT();
}

static void same_weights(const sf_model *a, const sf_model *b)
{
    size_t nc = sf_model_ncentres(a);
    if (nc != sf_model_ncentres(b))
        fail("re-parsed model has a different number of centres");
    for (size_t i = 0; i < nc; i++) {
        const char *c = sf_model_centre(a, i);
        if (strcmp(c, sf_model_centre(b, i)) != 0)
            fail("re-parsed model has different centres");
        size_t na = 0, nb = 0;
        const double *wa = sf_model_weights(a, c, &na);
        const double *wb = sf_model_weights(b, c, &nb);
        if (na != nb || (na && memcmp(wa, wb, na * sizeof *wa) != 0))
            fail("weights change in a format/parse round trip");
        if (sf_model_nkeys(a, c) != sf_model_nkeys(b, c))
            fail("keys change in a format/parse round trip");
    }
    if (sf_model_nkeys(a, NULL) != sf_model_nkeys(b, NULL))
        fail("header keys change in a format/parse round trip");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_error_clear();
    sf_model *m = sf_model_parse((const char *)data, size, NAME);
    if (!m) {
        const char *msg = sf_error_message();
        if (!msg || strncmp(msg, NAME, sizeof NAME - 1) != 0 || msg[sizeof NAME - 1] != ':')
            fail("parse error that does not start with 'name:'");
        return 0;
    }
    size_t len = 0;
    char *text = sf_model_format(m, &len);
    if (!text) {
        /* e.g. a model without centres: refused with a message */
        if (!sf_error_message() || !*sf_error_message())
            fail("format failed without a message");
        sf_model_free(m);
        return 0;
    }
    if (strlen(text) != len)
        fail("formatted length disagrees with the text");
    sf_model *m2 = sf_model_parse(text, len, "formatted");
    if (!m2) {
        fprintf(stderr, "%s\n", text);
        fail("formatted model does not parse");
    }
    same_weights(m, m2);
    size_t len2 = 0;
    char *text2 = sf_model_format(m2, &len2);
    if (!text2 || len2 != len || memcmp(text, text2, len) != 0)
        fail("format(parse(format(m))) != format(m)");
    free(text2);
    free(text);
    sf_model_free(m2);
    sf_model_free(m);
    return 0;
}
