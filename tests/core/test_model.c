/* test_model.c - the model file format: exact round trip (bits and bytes),
 * atomic write, and rejection of bad input with file:line messages. */
#include <stdio.h>
#include <string.h>

#include "sf_error.h"
#include "sf_model.h"
#include "sf_test.h"

static sf_model *make_model(void)
{
    sf_model *m = sf_model_new();
    sf_model_set(m, NULL, "label", "vflex");
    sf_model_set(m, NULL, "transform", "ln");
    sf_model_set(m, NULL, "descriptor.species", "[Cu Zr]");
    sf_model_set(m, NULL, "descriptor.rp.Cu-Zr", "2.6499999999999999");
    sf_model_set(m, NULL, "provenance.command", "sflex scripts/train.lua --train a b = c");
    sf_model_set(m, NULL, "empty", "");
    double wcu[6] = {1.0 / 3.0, -1e-300, 5e-324, 1.7976931348623157e308, 0.1, -0.0};
    double wzr[3] = {2.5, -7.125, 3.141592653589793};
    sf_model_set(m, "Cu", "C", "1");
    sf_model_set(m, "Cu", "test.pearson", "0.84123456789012345");
    sf_model_set_weights(m, "Cu", wcu, 6);
    sf_model_set_weights(m, "Zr", wzr, 3);
    sf_model_set(m, "Zr", "C", "4");
    return m;
}

static void test_round_trip(void)
{
    sf_model *m = make_model();
    size_t n1, n2;
    char *t1 = sf_model_format(m, &n1);
    CHECK(t1 != NULL);
    sf_model *r = sf_model_parse(t1, n1, "mem");
    CHECK_MSG(r != NULL, "%s", sf_error_message());
    if (!r) {
        free(t1);
        sf_model_free(m);
        return;
    }
    char *t2 = sf_model_format(r, &n2);
    CHECK(n1 == n2 && !memcmp(t1, t2, n1));
    size_t nw;
    const double *w0 = sf_model_weights(m, "Cu", &nw), *w1;
    CHECK(nw == 6);
    w1 = sf_model_weights(r, "Cu", &nw);
    CHECK(nw == 6 && !memcmp(w0, w1, 6 * sizeof *w0)); /* bits, incl. -0 */
    CHECK(sf_model_ncentres(r) == 2);
    CHECK(!strcmp(sf_model_centre(r, 0), "Cu"));
    CHECK(!strcmp(sf_model_centre(r, 1), "Zr"));
    CHECK(!strcmp(sf_model_get(r, NULL, "provenance.command"),
                  "sflex scripts/train.lua --train a b = c"));
    CHECK(!strcmp(sf_model_get(r, NULL, "empty"), ""));
    CHECK(!strcmp(sf_model_get(r, "Zr", "C"), "4"));
    CHECK(sf_model_get(r, "Zr", "nope") == NULL);
    CHECK(sf_model_get(r, "Fe", "C") == NULL);
    CHECK(sf_model_line(r, NULL, "label") == 3);
    CHECK(sf_model_nkeys(r, NULL) == 6);
    CHECK(!strcmp(sf_model_key(r, NULL, 1), "transform"));

    /* replace keeps order */
    sf_model_set(r, NULL, "label", "propensity");
    CHECK(!strcmp(sf_model_key(r, NULL, 0), "label"));
    CHECK(!strcmp(sf_model_get(r, NULL, "label"), "propensity"));

    /* file round trip */
    const char *path = "test_model.tmp";
    CHECK(sf_model_write(m, path) == SF_OK);
    sf_model *f = sf_model_read(path);
    CHECK(f != NULL);
    if (f) {
        char *t3 = sf_model_format(f, NULL);
        CHECK(t3 && !strcmp(t1, t3));
        free(t3);
        sf_model_free(f);
    }
    remove(path);
    CHECK(sf_model_write(m, "no/such/dir/model.txt") == SF_ERR);
    CHECK(sf_model_read("no/such/file") == NULL);
    CHECK(strstr(sf_error_message(), "no/such/file") != NULL);

    /* invalid keys/values refused when set */
    CHECK(sf_model_set(m, NULL, "bad key", "x") == SF_ERR);
    CHECK(sf_model_set(m, NULL, "k", "two\nlines") == SF_ERR);
    CHECK(sf_model_set(m, NULL, "k", " padded") == SF_ERR);
    CHECK(sf_model_set(m, "C u", "k", "v") == SF_ERR);
    double inf = HUGE_VAL;
    CHECK(sf_model_set_weights(m, "Cu", &inf, 1) == SF_ERR);
    /* a centre without weights cannot be written */
    sf_model_add_centre(m, "Al");
    CHECK(sf_model_format(m, NULL) == NULL);
    CHECK(strstr(sf_error_message(), "Al has no weights") != NULL);

    free(t1);
    free(t2);
    sf_model_free(r);
    sf_model_free(m);
}

/* parse text and expect an error containing want (e.g. "bad:4:") */
static void reject(const char *text, const char *want)
{
    sf_model *m = sf_model_parse(text, strlen(text), "bad");
    CHECK_MSG(m == NULL, "accepted: %s", text);
    CHECK_MSG(strstr(sf_error_message(), want) != NULL,
              "message '%s' lacks '%s'", sf_error_message(), want);
    sf_model_free(m);
}

#define OK_TAIL "[centre Cu]\nweights 2\n1\n2\nend sflex-model\n"

static void test_reject(void)
{
    /* sanity: the minimal file is accepted, CRLF too */
    const char *good = "sflex-model 1\nlabel = y\n" OK_TAIL;
    sf_model *m = sf_model_parse(good, strlen(good), "good");
    CHECK_MSG(m != NULL, "%s", sf_error_message());
    sf_model_free(m);
    const char *crlf = "sflex-model 1\r\nlabel = y\r\n[centre Cu]\r\nweights 1\r\n"
                       "1\r\nend sflex-model\r\n";
    m = sf_model_parse(crlf, strlen(crlf), "crlf");
    CHECK_MSG(m && !strcmp(sf_model_get(m, NULL, "label"), "y"), "%s",
              sf_error_message());
    sf_model_free(m);

    reject("", "bad:1: empty file");
    reject("return os.execute('rm -rf /')\n", "bad:1: not an sflex model");
    reject("sflex-model 2\n" OK_TAIL, "bad:1: unsupported model format version 2");
    reject("sflex-model one\n" OK_TAIL, "bad:1: malformed version");
    reject("sflex-model 1\nlabel = a\nlabel = b\n" OK_TAIL,
           "bad:3: duplicate key 'label' (first at line 2)");
    reject("sflex-model 1\nlabel a\n" OK_TAIL, "bad:2: expected 'key = value'");
    reject("sflex-model 1\nla bel = a\n" OK_TAIL, "bad:2:");
    reject("sflex-model 1\nweights 1\n1\n" OK_TAIL, "bad:2: weights outside");
    reject("sflex-model 1\n[centre Cu\nweights 1\n1\nend sflex-model\n",
           "bad:2: malformed section header");
    reject("sflex-model 1\n[center Cu]\nweights 1\n1\nend sflex-model\n",
           "bad:2: malformed section header");
    reject("sflex-model 1\n[centre Cu]\nweights 2\n1\nnan\nend sflex-model\n",
           "bad:5: weight 2 of [centre Cu]: 'nan' is not a finite number");
    reject("sflex-model 1\n[centre Cu]\nweights 2\n1\n2x\nend sflex-model\n",
           "bad:5: weight 2");
    reject("sflex-model 1\n[centre Cu]\nweights 3\n1\n2\n",
           "bad:5: end of file inside weights block of [centre Cu] (2 of 3");
    reject("sflex-model 1\n[centre Cu]\nweights -3\n", "bad:3: malformed weight count");
    reject("sflex-model 1\n[centre Cu]\nweights 1000000000000\n1\n",
           "bad:3: weights block of [centre Cu] claims 1000000000000 numbers");
    reject("sflex-model 1\n[centre Cu]\nweights 1\n1\nweights 1\n2\nend sflex-model\n",
           "bad:5: second weights block in [centre Cu] (first at line 3)");
    reject("sflex-model 1\n[centre Cu]\nweights 1\n1\n", "bad:4: truncated file");
    reject("sflex-model 1\n" OK_TAIL "label = x\n", "bad:7: text after 'end sflex-model'");
    reject("sflex-model 1\nlabel = x\nend sflex-model\n", "no [centre NAME] section");
    reject("sflex-model 1\n[centre Cu]\nC = 1\n[centre Zr]\nweights 1\n1\nend sflex-model\n",
           "bad:2: [centre Cu] has no weights block");
    reject("sflex-model 1\n" "[centre Cu]\nweights 1\n1\n" OK_TAIL,
           "bad:5: duplicate section [centre Cu] (first at line 2)");
    reject("sflex-model 1\nk = a\001b\n" OK_TAIL, "bad:2:");
}

int main(void)
{
    test_round_trip();
    test_reject();
    return sf_test_summary();
}
