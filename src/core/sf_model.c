/* sf_model.c - see sf_model.h for the format. */
#include "sf_model.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sf_error.h"

typedef struct entry {
    char *key, *value;
    int line;
} entry;

typedef struct section {
    char *name; /* NULL: header */
    entry *e;
    size_t n, cap;
    double *w;
    size_t nw;
    int has_w, line, wline;
} section;

struct sf_model {
    section header;
    section *c;
    size_t nc, capc;
};

sf_model *sf_model_new(void)
{
    return sf_calloc(1, sizeof(sf_model));
}

static void section_free(section *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].key);
        free(s->e[i].value);
    }
    free(s->e);
    free(s->w);
    free(s->name);
}

void sf_model_free(sf_model *m)
{
    if (!m)
        return;
    section_free(&m->header);
    for (size_t i = 0; i < m->nc; i++)
        section_free(&m->c[i]);
    free(m->c);
    free(m);
}

/* ---- validation ------------------------------------------------------------------ */

static int key_char(int ch)
{
    return isalnum(ch) || ch == '_' || ch == '.' || ch == ':' || ch == '+' ||
           ch == '-';
}

static int check_key(const char *key)
{
    if (!key || !*key)
        return sf_error("model: empty key");
    for (const char *p = key; *p; p++)
        if (!key_char((unsigned char)*p))
            return sf_error("model: invalid character '%c' in key '%s' "
                            "(allowed: letters, digits, _ . : + -)", *p, key);
    return SF_OK;
}

static int check_value(const char *key, const char *v)
{
    if (!v)
        return sf_error("model: key '%s' has no value", key);
    size_t n = strlen(v);
    for (size_t i = 0; i < n; i++)
        if (iscntrl((unsigned char)v[i]))
            return sf_error("model: value of '%s' contains a control "
                            "character (code %d)", key, (unsigned char)v[i]);
    if (n && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1])))
        return sf_error("model: value of '%s' has leading or trailing blanks",
                        key);
    return SF_OK;
}

static int check_centre(const char *name)
{
    if (!name || !*name)
        return sf_error("model: empty centre name");
    for (const char *p = name; *p; p++)
        if (!key_char((unsigned char)*p))
            return sf_error("model: invalid character '%c' in centre name "
                            "'%s'", *p, name);
    return SF_OK;
}

/* ---- access ------------------------------------------------------------------------ */

static section *find_centre(const sf_model *m, const char *name)
{
    for (size_t i = 0; i < m->nc; i++)
        if (!strcmp(m->c[i].name, name))
            return &m->c[i];
    return NULL;
}

static section *get_section(const sf_model *m, const char *centre)
{
    return centre ? find_centre(m, centre) : (section *)&m->header;
}

static section *add_centre(sf_model *m, const char *name, int line)
{
    if (check_centre(name))
        return NULL;
    section *s = find_centre(m, name);
    if (s)
        return s;
    if (m->nc == m->capc) {
        size_t cap = m->capc ? 2 * m->capc : 4;
        section *c = sf_realloc(m->c, cap * sizeof *c);
        if (!c)
            return NULL;
        m->c = c;
        m->capc = cap;
    }
    s = &m->c[m->nc];
    memset(s, 0, sizeof *s);
    s->name = sf_strdup(name);
    if (!s->name)
        return NULL;
    s->line = line;
    m->nc++;
    return s;
}

int sf_model_add_centre(sf_model *m, const char *centre)
{
    return add_centre(m, centre, 0) ? SF_OK : SF_ERR;
}

static entry *find_entry(const section *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->e[i].key, key))
            return &s->e[i];
    return NULL;
}

static int set_entry(section *s, const char *key, const char *value, int line)
{
    entry *e = find_entry(s, key);
    char *v = sf_strdup(value);
    if (!v)
        return SF_ERR;
    if (e) {
        free(e->value);
        e->value = v;
        e->line = line;
        return SF_OK;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        entry *ne = sf_realloc(s->e, cap * sizeof *ne);
        if (!ne) {
            free(v);
            return SF_ERR;
        }
        s->e = ne;
        s->cap = cap;
    }
    char *k = sf_strdup(key);
    if (!k) {
        free(v);
        return SF_ERR;
    }
    s->e[s->n].key = k;
    s->e[s->n].value = v;
    s->e[s->n].line = line;
    s->n++;
    return SF_OK;
}

int sf_model_set(sf_model *m, const char *centre, const char *key,
                 const char *value)
{
    if (check_key(key) || check_value(key, value))
        return SF_ERR;
    section *s = centre ? add_centre(m, centre, 0) : &m->header;
    if (!s)
        return SF_ERR;
    return set_entry(s, key, value, 0);
}

const char *sf_model_get(const sf_model *m, const char *centre,
                         const char *key)
{
    section *s = get_section(m, centre);
    entry *e = s ? find_entry(s, key) : NULL;
    return e ? e->value : NULL;
}

int sf_model_line(const sf_model *m, const char *centre, const char *key)
{
    section *s = get_section(m, centre);
    entry *e = s ? find_entry(s, key) : NULL;
    return e ? e->line : 0;
}

size_t sf_model_nkeys(const sf_model *m, const char *centre)
{
    section *s = get_section(m, centre);
    return s ? s->n : 0;
}

const char *sf_model_key(const sf_model *m, const char *centre, size_t i)
{
    section *s = get_section(m, centre);
    return s && i < s->n ? s->e[i].key : NULL;
}

size_t sf_model_ncentres(const sf_model *m)
{
    return m->nc;
}

const char *sf_model_centre(const sf_model *m, size_t i)
{
    return i < m->nc ? m->c[i].name : NULL;
}

int sf_model_centre_line(const sf_model *m, const char *centre)
{
    section *s = find_centre(m, centre);
    return s ? s->line : 0;
}

int sf_model_set_weights(sf_model *m, const char *centre, const double *w,
                         size_t n)
{
    if (!centre)
        return sf_error("model: weights belong to a centre section");
    if (n == 0)
        return sf_error("model: centre %s: empty weight vector", centre);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(w[i]))
            return sf_error("model: centre %s: weight %zu is %g", centre,
                            i + 1, w[i]);
    section *s = add_centre(m, centre, 0);
    if (!s)
        return SF_ERR;
    double *copy = sf_malloc(n * sizeof *copy);
    if (!copy)
        return SF_ERR;
    memcpy(copy, w, n * sizeof *copy);
    free(s->w);
    s->w = copy;
    s->nw = n;
    s->has_w = 1;
    return SF_OK;
}

const double *sf_model_weights(const sf_model *m, const char *centre,
                               size_t *n)
{
    section *s = centre ? find_centre(m, centre) : NULL;
    if (!s || !s->has_w) {
        if (n)
            *n = 0;
        return NULL;
    }
    if (n)
        *n = s->nw;
    return s->w;
}

/* ---- writing ------------------------------------------------------------------------ */

typedef struct strbuf {
    char *p;
    size_t n, cap;
    int bad;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...) SF_PRINTF(2, 3);
static void sb_printf(strbuf *b, const char *fmt, ...)
{
    if (b->bad)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0,
                          fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->bad = 1;
            return;
        }
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap <= b->n + (size_t)k)
            cap *= 2;
        char *p = sf_realloc(b->p, cap);
        if (!p) {
            b->bad = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

static void sb_entries(strbuf *b, const section *s)
{
    for (size_t i = 0; i < s->n; i++)
        sb_printf(b, "%s = %s\n", s->e[i].key, s->e[i].value);
}

char *sf_model_format(const sf_model *m, size_t *len)
{
    if (m->nc == 0) {
        sf_error("model: no centre sections to write");
        return NULL;
    }
    for (size_t i = 0; i < m->nc; i++)
        if (!m->c[i].has_w) {
            sf_error("model: centre %s has no weights", m->c[i].name);
            return NULL;
        }
    strbuf b = {0};
    sb_printf(&b, "sflex-model %d\n", SF_MODEL_VERSION);
    sb_printf(&b, "# SF model written by sflex; format: doc/learning.md\n");
    sb_entries(&b, &m->header);
    for (size_t i = 0; i < m->nc; i++) {
        const section *s = &m->c[i];
        sb_printf(&b, "\n[centre %s]\n", s->name);
        sb_entries(&b, s);
        sb_printf(&b, "weights %zu\n", s->nw);
        for (size_t j = 0; j < s->nw; j++)
            sb_printf(&b, "%.17g\n", s->w[j]);
    }
    sb_printf(&b, "end sflex-model\n");
    if (b.bad) {
        free(b.p);
        sf_error("model: out of memory while formatting");
        return NULL;
    }
    if (len)
        *len = b.n;
    return b.p;
}

int sf_model_write(const sf_model *m, const char *path)
{
    size_t len;
    char *text = sf_model_format(m, &len);
    if (!text)
        return sf_error_prefix("%s", path);
    size_t pl = strlen(path);
    char *tmp = sf_malloc(pl + 16);
    if (!tmp) {
        free(text);
        return SF_ERR;
    }
    snprintf(tmp, pl + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(text);
        free(tmp);
        return sf_error("%s: cannot create temporary file: %s", path,
                        strerror(e));
    }
    fchmod(fd, 0644);
    FILE *f = fdopen(fd, "w");
    int ok = f && fwrite(text, 1, len, f) == len;
    if (f)
        ok = (fclose(f) == 0) && ok;
    else
        close(fd);
    free(text);
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        free(tmp);
        return sf_error("%s: write failed: %s", path, strerror(e));
    }
    free(tmp);
    return SF_OK;
}

/* ---- reading ------------------------------------------------------------------------ */

typedef struct reader {
    const char *p, *end, *name;
    int line;
    char *buf; /* current line, NUL-terminated, CR stripped */
    size_t cap;
} reader;

/* Next line into r->buf; 0 at end of text, -1 on allocation failure. */
static int next_line(reader *r)
{
    if (r->p >= r->end)
        return 0;
    const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    const char *e = nl ? nl : r->end;
    size_t n = (size_t)(e - r->p);
    if (n + 1 > r->cap) {
        char *b = sf_realloc(r->buf, n + 1);
        if (!b)
            return -1;
        r->buf = b;
        r->cap = n + 1;
    }
    memcpy(r->buf, r->p, n);
    if (n && r->buf[n - 1] == '\r')
        n--;
    r->buf[n] = '\0';
    r->p = nl ? nl + 1 : r->end;
    r->line++;
    return 1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

#define FAIL(...)                                                     \
    do {                                                              \
        sf_error(__VA_ARGS__);                                        \
        sf_error_prefix("%s:%d", r.name, r.line);                     \
        goto fail;                                                    \
    } while (0)
/* the message is already set: only add "name:line" */
#define FAILED()                                                      \
    do {                                                              \
        sf_error_prefix("%s:%d", r.name, r.line);                     \
        goto fail;                                                    \
    } while (0)

static int parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v))
        return SF_ERR;
    *out = v;
    return SF_OK;
}

sf_model *sf_model_parse(const char *text, size_t len, const char *name)
{
    reader r = {text, text + len, name ? name : "model", 0, NULL, 0};
    sf_model *m = sf_model_new();
    if (!m)
        return NULL;
    section *cur = &m->header;
    int ended = 0, got;

    got = next_line(&r);
    if (got < 0)
        goto oom;
    if (got == 0) {
        r.line = 1;
        FAIL("empty file (expected 'sflex-model %d')", SF_MODEL_VERSION);
    }
    {
        char *s = trim(r.buf);
        int version;
        char extra;
        if (strncmp(s, "sflex-model", 11) != 0)
            FAIL("not an sflex model file (first line must be "
                 "'sflex-model %d')", SF_MODEL_VERSION);
        if (sscanf(s + 11, " %d %c", &version, &extra) != 1)
            FAIL("malformed version line '%s'", s);
        if (version != SF_MODEL_VERSION)
            FAIL("unsupported model format version %d (this sflex reads "
                 "version %d)", version, SF_MODEL_VERSION);
    }

    while ((got = next_line(&r)) > 0) {
        char *s = trim(r.buf);
        if (*s == '\0' || *s == '#')
            continue;
        if (ended)
            FAIL("text after 'end sflex-model'");
        if (!strcmp(s, "end sflex-model")) {
            ended = 1;
            continue;
        }
        if (*s == '[') {
            size_t n = strlen(s);
            if (s[n - 1] != ']' || strncmp(s, "[centre ", 8) != 0)
                FAIL("malformed section header '%s' (expected '[centre "
                     "NAME]')", s);
            s[n - 1] = '\0';
            char *cname = trim(s + 8);
            if (find_centre(m, cname))
                FAIL("duplicate section [centre %s] (first at line %d)",
                     cname, find_centre(m, cname)->line);
            if (check_centre(cname))
                FAILED();
            cur = add_centre(m, cname, r.line);
            if (!cur)
                goto oom;
            continue;
        }
        if (!strncmp(s, "weights", 7) && (s[7] == ' ' || s[7] == '\t') &&
            !strchr(s, '=')) {
            if (!cur->name)
                FAIL("weights outside a [centre NAME] section");
            if (cur->has_w)
                FAIL("second weights block in [centre %s] (first at line "
                     "%d)", cur->name, cur->wline);
            char *cnt = trim(s + 7), *end;
            errno = 0;
            unsigned long long n = strtoull(cnt, &end, 10);
            if (end == cnt || *end || errno || n == 0 || *cnt == '-' ||
                n > (1ULL << 40))
                FAIL("malformed weight count '%s'", cnt);
            /* each weight needs at least a digit and a newline */
            if (n > (unsigned long long)(r.end - r.p) / 2 + 1)
                FAIL("weights block of [centre %s] claims %llu numbers but "
                     "only %zu bytes follow", cur->name, n,
                     (size_t)(r.end - r.p));
            cur->w = malloc((size_t)n * sizeof *cur->w);
            if (!cur->w)
                goto oom;
            cur->wline = r.line;
            size_t k = 0;
            while (k < n) {
                got = next_line(&r);
                if (got < 0)
                    goto oom;
                if (got == 0)
                    FAIL("end of file inside weights block of [centre %s] "
                         "(%zu of %llu weights read)", cur->name, k, n);
                char *t = trim(r.buf);
                if (*t == '\0' || *t == '#')
                    continue;
                if (parse_number(t, &cur->w[k]))
                    FAIL("weight %zu of [centre %s]: '%s' is not a finite "
                         "number", k + 1, cur->name, t);
                k++;
            }
            cur->nw = (size_t)n;
            cur->has_w = 1;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq)
            FAIL("expected 'key = value', a section header or a weights "
                 "block, got '%s'", s);
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        if (check_key(key) || check_value(key, value))
            FAILED();
        entry *old = find_entry(cur, key);
        if (old)
            FAIL("duplicate key '%s' (first at line %d)", key, old->line);
        if (set_entry(cur, key, value, r.line))
            goto oom;
    }
    if (got < 0)
        goto oom;
    if (!ended)
        FAIL("truncated file: no 'end sflex-model' line");
    if (m->nc == 0)
        FAIL("no [centre NAME] section");
    for (size_t i = 0; i < m->nc; i++)
        if (!m->c[i].has_w) {
            r.line = m->c[i].line;
            FAIL("[centre %s] has no weights block", m->c[i].name);
        }
    free(r.buf);
    return m;
oom:
    sf_error("%s:%d: out of memory", r.name, r.line);
fail:
    free(r.buf);
    sf_model_free(m);
    return NULL;
}

sf_model *sf_model_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        sf_error("%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *text = sf_malloc(cap);
    while (text) {
        size_t got = fread(text + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        char *t = sf_realloc(text, cap *= 2);
        if (!t) {
            free(text);
            text = NULL;
        } else
            text = t;
    }
    int bad = ferror(f);
    fclose(f);
    if (!text)
        return NULL;
    if (bad) {
        free(text);
        sf_error("%s: read error", path);
        return NULL;
    }
    sf_model *m = sf_model_parse(text, n, path);
    free(text);
    return m;
}
